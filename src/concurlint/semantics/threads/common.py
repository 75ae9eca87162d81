"""Small helpers shared by the thread-analysis modules: the ``FunctionNode`` type, the loop
node types, the last name of an expression (``self._lock`` -> ``_lock``), the statements
nested in a compound statement and the names bound by an assignment target.
"""
from __future__ import annotations

from typing import Iterator, Optional, Set, Union

import libcst as cst


FunctionNode = Union[cst.FunctionDef, cst.Lambda]
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def last_name(expr: cst.BaseExpression) -> Optional[str]:
    """``self._lock`` -> ``_lock``; ``lock`` -> ``lock``; ``locks[k]`` -> ``locks``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript):
        return last_name(expr.value)
    if isinstance(expr, cst.Call):
        return last_name(expr.func)
    return None


def _nested_statements(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        part = getattr(stmt, name, None)
        if part is None:
            continue
        parts = part if isinstance(part, (list, tuple)) else [part]
        for item in parts:
            if isinstance(item, cst.IndentedBlock):
                yield from item.body
            elif isinstance(item, cst.SimpleStatementSuite):
                yield cst.SimpleStatementLine(body=item.body)
            elif isinstance(item, cst.BaseCompoundStatement) or isinstance(
                    item, (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally)):
                yield item
            elif hasattr(item, "body"):
                yield item


def _target_names(target: cst.BaseExpression) -> Set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: Set[str] = set()
        for element in target.elements:
            out |= _target_names(element.value)
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()
