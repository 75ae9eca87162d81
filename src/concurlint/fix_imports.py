"""Tidying after a fix: the imports a fix left unused are removed.

A fix may replace the last use of an imported name (``snooze(1)`` becomes
``await asyncio.sleep(1)`` and ``from time import sleep as snooze`` is left unread).
This module owns finding, with libcst's scope analysis, the imported names that were
read before the fix and are not after it, and removing them
(``drop_imports_left_unused``): a removed import line hands its comments to the next
statement, and names listed in a string (``__all__``) or imported from ``__future__``
stay.
"""
from __future__ import annotations

from typing import Any, Dict, List, Set, Tuple, Union

import libcst as cst


def _unused_imports(module: cst.Module) -> Set[Tuple[str, str]]:
    """(bound name, import statement's code) of every imported name nothing reads."""
    from libcst.metadata import MetadataWrapper, ScopeProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    read: Dict[Tuple[str, str], bool] = {}
    for scope in set(wrapper.resolve(ScopeProvider).values()):
        if scope is None:
            continue
        for assignment in scope.assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, (cst.Import, cst.ImportFrom)):
                key = (assignment.name, module.code_for_node(node))
                read[key] = read.get(key, False) or bool(assignment.references)
    return {key for key, was_read in read.items() if not was_read}


def _alias_names(alias: cst.ImportAlias) -> List[str]:
    """The names an import alias binds (``import a.b`` binds ``a`` and ``a.b``)."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return [alias.asname.name.value]
    parts = alias.evaluated_name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def drop_imports_left_unused(before: cst.Module, after: cst.Module) -> cst.Module:
    """``after`` without the imported names that were read in ``before`` and no longer are:
    the fix replaced their last use (``from time import sleep as snooze`` once ``snooze(1)``
    became ``await asyncio.sleep(1)``). Names listed in a string (``__all__``) stay."""
    try:
        unused_after = _unused_imports(after)
        if not unused_after:
            return after
        unused_before = _unused_imports(before)
    except Exception:  # scope analysis failed on odd code: leave the imports as they are
        return after
    trimmer = _ImportTrimmer(after, unused_after, unused_before)
    trimmed = after.visit(trimmer)
    return trimmed if trimmer.changed else after


class _ImportTrimmer(cst.CSTTransformer):
    def __init__(self, module: cst.Module, unused_after: Set[Tuple[str, str]],
                 unused_before: Set[Tuple[str, str]]):
        self.module = module
        self.unused_after = unused_after
        self.unused_before = unused_before
        self.changed = False
        self.carried: List[cst.EmptyLine] = []
        self.receivers: Dict[int, List[cst.EmptyLine]] = {}
        self.removed: Set[int] = set()  # import lines removed whole

    def _left_unused(self, alias: cst.ImportAlias, code: str) -> bool:
        keys = [(name, code) for name in _alias_names(alias)]
        return (all(key in self.unused_after for key in keys)
                and any(key not in self.unused_before for key in keys)
                and not any(f'"{name}"' in self.module.code or f"'{name}'" in self.module.code
                            for name, _ in keys))

    def _trim(self, original: Union[cst.Import, cst.ImportFrom], updated: Any) -> Any:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        code = self.module.code_for_node(original)
        names = [alias for alias in updated.names if not self._left_unused(alias, code)]
        if len(names) == len(updated.names):
            return updated
        self.changed = True
        if not names:
            return cst.RemoveFromParent()
        if names[-1] is not updated.names[-1]:  # the old last name had no trailing comma
            names[-1] = names[-1].with_changes(comma=updated.names[-1].comma)
        return updated.with_changes(names=names)

    # A removed import line hands its comments (its leading lines) to the next statement.
    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.carried and isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.receivers[id(node)] = self.carried
            self.carried = []
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        updated = super().on_leave(original_node, updated_node)
        lines = self.receivers.pop(id(original_node), None)
        if lines and isinstance(updated, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            updated = updated.with_changes(leading_lines=[*lines, *updated.leading_lines])
        return updated

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> Any:
        if original_node.body and not updated_node.body:
            self.carried.extend(original_node.leading_lines)
            self.removed.add(id(original_node))
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return self._without_opening_blank_lines(original_node, updated_node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock,
                            updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._without_opening_blank_lines(original_node, updated_node)

    def _without_opening_blank_lines(self, original: Any, updated: Any) -> Any:
        """When a block's (or the file's) first line went, the blank lines that followed it
        would now open the block: drop them."""
        body = list(updated.body)
        if not body or not original.body or id(original.body[0]) not in self.removed:
            return updated
        lines = list(body[0].leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        body[0] = body[0].with_changes(leading_lines=lines)
        return updated.with_changes(body=body)

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> Any:
        return self._trim(original_node, updated_node)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> Any:
        if isinstance(original_node.module, cst.Name) and original_node.module.value == "__future__":
            return updated_node
        return self._trim(original_node, updated_node)
