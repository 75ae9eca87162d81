"""Helpers shared by the CCY6 rule modules: the source text of a node, the enclosing
function, the objects a function cancels (``.cancel()`` on a task or on every item of a
collection) and the last dotted part of a callee.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from ...semantics.context import Context
from ..coroutines.common import walk_body


_CODE = cst.Module(body=[])


def _text(node: cst.CSTNode) -> str:
    return _CODE.code_for_node(node)


def _function_node(ctx: Context) -> Optional[cst.CSTNode]:
    function = ctx.function
    return function.node if function is not None else None


def _cancelled_in(ctx: Context, function: cst.CSTNode) -> Set[str]:
    """Source texts of the objects this function calls ``.cancel()`` on, plus the
    iterables whose items it cancels in a loop (``for t in tasks: t.cancel()``)."""
    key = ("exceptions.cancelled", id(function))
    found = ctx.memo.get(key)
    if found is not None:
        return found
    found = set()
    loops: Dict[str, List[str]] = {}  # loop target -> iterables it runs over
    waited: Dict[str, List[str]] = {}  # `done, pending = await asyncio.wait([a, b])`: pending -> a, b
    body = function.body if isinstance(function, (cst.FunctionDef, cst.Lambda)) else function
    for node in walk_body(body):
        if isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name):
            loops.setdefault(node.target.value, []).append(_text(node.iter))
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and node.func.attr.value == "cancel"):
            found.add(_text(node.func.value))
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            _record_wait(node, waited)
    for target, iterables in loops.items():
        if target in found:
            found.update(iterables)
    for target, elements in waited.items():
        if target in found:
            found.update(elements)
    ctx.memo[key] = found
    return found


def _record_wait(node: cst.Assign, waited: Dict[str, List[str]]) -> None:
    target = node.targets[0].target
    value = node.value.expression if isinstance(node.value, cst.Await) else node.value
    if not (isinstance(target, cst.Tuple) and isinstance(value, cst.Call)
            and _last(value.func) == "wait" and value.args):
        return
    waited_on = value.args[0].value
    if not isinstance(waited_on, (cst.List, cst.Tuple, cst.Set)):
        return
    elements = [_text(e.value) for e in waited_on.elements if not isinstance(e, cst.StarredElement)]
    for element in target.elements:
        if isinstance(element.value, cst.Name):
            waited[element.value.value] = elements


def _last(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""
