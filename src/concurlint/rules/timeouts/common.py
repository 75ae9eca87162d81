"""The base of every CCY5 rule (``_TimeoutRule``: a cheap name pre-check before resolving
the callee, a timeout parameter of the enclosing function that leaves the choice to the
caller, values that mean "no timeout") and the helpers the rules share: the callee shown
in messages, parent links, names bound by a target, the enclosing function or class.
"""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ...apis.timeouts import NO_TIMEOUT_OBJECTS
from ...semantics.callees import dotted, is_none
from ...semantics.scopes import ASSIGN, PARAM
from ...semantics.traversal import iter_children
from ..base import Rule


def _shown(rule: Rule, call: cst.Call) -> str:
    """How the called object is spelled in the source, for messages (``session.get``)."""
    name = dotted(call.func)
    if name is None:
        name = " ".join(rule.ctx.module.code_for_node(call.func).split())
    if len(name) > 40:
        name = "..." + name[-37:]
    return name


class _TimeoutRule(Rule):
    """Shared plumbing: cheap name pre-check, then resolve, then look the callee up."""

    _names: FrozenSet[str] = frozenset()

    def _callee(self, node: cst.Call) -> Optional[str]:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value not in self._names:
                return None
        elif not isinstance(func, cst.Name):
            return None
        return self.ctx.resolve(func)

    def _caller_chooses_timeout(self) -> bool:
        """The enclosing function takes a timeout parameter: leaving it out is the caller's choice."""
        function = self.ctx.function
        if function is None:
            return False
        return any("timeout" in name.lower() and any(b.kind == PARAM for b in bindings)
                   for name, bindings in function.bindings.items())

    def _no_timeout(self, value: Optional[cst.BaseExpression], depth: int = 0) -> bool:
        """``None``, ``httpx.Timeout(None)``, or a name bound only to one of those."""
        if value is None or depth > 4:
            return False
        if is_none(value):
            return True
        if isinstance(value, cst.Name):
            bindings, _owner = self.ctx.lookup(value.value)
            return bool(bindings) and all(
                b.kind == ASSIGN and not b.with_item and isinstance(b.node, cst.BaseExpression)
                and self._no_timeout(b.node, depth + 1) for b in bindings)  # type: ignore[arg-type]
        if isinstance(value, cst.Call) and self.ctx.resolve(value.func) in NO_TIMEOUT_OBJECTS:
            if not value.args:
                return False  # httpx.Timeout() needs an argument; leave it to the type checker
            return all(arg.star == "" and is_none(arg.value) for arg in value.args)
        return False


def _with_parents(root: cst.CSTNode) -> List[Tuple[cst.CSTNode, cst.CSTNode]]:
    """(node, parent) for every node under ``root``."""
    found: List[Tuple[cst.CSTNode, cst.CSTNode]] = []
    stack: List[cst.CSTNode] = [root]
    while stack:
        current = stack.pop()
        for child in iter_children(current):
            found.append((child, current))
            stack.append(child)
    return found


def _target_names(target: cst.BaseExpression) -> Set[str]:
    """``host, port = ...`` -> {"host", "port"}; ``self.addr = ...`` -> {"self.addr"}."""
    if isinstance(target, (cst.Tuple, cst.List)):
        found: Set[str] = set()
        for element in target.elements:
            found |= _target_names(element.value)
        return found
    name = dotted(target)
    return {name} if name is not None else set()


def _function_or_module(rule: Rule) -> cst.CSTNode:
    function = rule.ctx.function
    return function.node if function is not None else rule.ctx.module


def _enclosing_class(rule: Rule) -> Optional[cst.ClassDef]:
    for ancestor in reversed(rule.ctx.ancestors):
        if isinstance(ancestor, cst.ClassDef):
            return ancestor
    return None
