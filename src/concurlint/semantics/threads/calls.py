"""The arguments and labels of a start site: positional and keyword arguments, the callable
a starter is given (and its ``Arg`` node), the label shown in messages, line numbers,
function names, the description of why a function runs in a thread, and the walk of an
expression.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import libcst as cst

from ...apis.threads import THREAD, Starter
from ..context import Context
from ..traversal import iter_children
from .common import FunctionNode
from .model import Origin


# --------------------------------------------------------------------------- call helpers
def positional(call: cst.Call, index: int) -> Optional[cst.BaseExpression]:
    position = 0
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            if arg.star:
                return None
            continue
        if position == index:
            return arg.value
        position += 1
    return None


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def callable_argument(call: cst.Call, starter: Starter) -> Optional[cst.BaseExpression]:
    """The callable a starter call hands over (``target=f`` / first positional ...)."""
    if starter.keyword is not None:
        arg = keyword(call, starter.keyword)
        if arg is not None:
            return arg.value
    return positional(call, starter.position)


def callable_arg_node(call: cst.Call, starter: Starter) -> Optional[cst.Arg]:
    if starter.keyword is not None:
        arg = keyword(call, starter.keyword)
        if arg is not None:
            return arg
    position = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if position == starter.position:
                return arg
            position += 1
    return None


def site_label(ctx: Context, call: cst.Call, starter: Starter) -> str:
    """A short spelling of the start call for messages: ``Thread(target=inc)``."""
    target = callable_argument(call, starter)
    target_text = _short(ctx, target) if target is not None else "..."
    if starter.keyword in ("target", "function") and keyword(call, starter.keyword) is not None:
        return f"{starter.label}(target={target_text})" if starter.keyword == "target" \
            else f"{starter.label}(..., {target_text})"
    if starter.position == 0:
        receiver = ""
        if isinstance(call.func, cst.Attribute) and starter.label in ("submit", "map", "apply",
                                                                        "apply_async", "map_async",
                                                                        "imap", "imap_unordered",
                                                                        "starmap", "starmap_async"):
            receiver = _short(ctx, call.func.value, 20) + "."
        return f"{receiver}{starter.label}({target_text}, ...)" if len(call.args) > 1 \
            else f"{receiver}{starter.label}({target_text})"
    return f"{starter.label}(..., {target_text})"


def _short(ctx: Context, node: cst.CSTNode, limit: int = 40) -> str:
    text = " ".join(ctx.module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def line_of(ctx: Context, node: cst.CSTNode) -> Optional[int]:
    """The first line of ``node`` (positions computed once per file, only when asked)."""
    return ctx.line_of(node)


def function_name(node: Optional[cst.CSTNode]) -> str:
    if isinstance(node, cst.FunctionDef):
        return node.name.value
    if isinstance(node, cst.Lambda):
        return "<lambda>"
    return "<module>"


def describe_origin(ctx: Context, function: FunctionNode, origin: Origin) -> Tuple[str, str]:
    """("'inc', which runs in threads (Thread(target=inc) on line 12)", zh) for messages."""
    site = origin.site
    where = site.label
    where_zh = site.label.replace(" subclass '", " 子类 '")
    if isinstance(site.node, cst.Call):
        line = line_of(ctx, site.node)
        if line is not None:
            where = f"{site.label} on line {line}"
            where_zh = f"第 {line} 行的 {where_zh}"
    runs = "threads" if site.kind == THREAD else "worker processes"
    runs_zh = "线程" if site.kind == THREAD else "子进程"
    name = function_name(function)
    if origin.via is None:
        return (f"'{name}', which runs in {runs} ({where})",
                f"'{name}' 中,该函数在{runs_zh}中运行({where_zh})")
    root = function_name(origin.root)
    return (f"'{name}', called from '{function_name(origin.via)}' in code that runs in {runs} "
            f"('{root}' via {where})",
            f"'{name}' 中,它由 '{function_name(origin.via)}' 调用,运行在{runs_zh}中"
            f"('{root}',来自{where_zh})")


def walk_expression(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), pre-order, not entering nested scopes."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(reversed(iter_children(current)))
