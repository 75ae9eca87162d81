"""The arguments and labels of a start site: positional and keyword arguments, the callable
a starter is given (and its ``Arg`` node), the label shown in messages, line numbers,
function names, the description of why a function runs in a thread, and the walk of an
expression.
"""
from __future__ import annotations

import re
from typing import Iterator, List, Optional, Union

import libcst as cst

from ...apis.threads import (
    LOOP_NAME_PATTERN, THREAD, UNTYPED_EXECUTOR_METHODS, UNTYPED_LOOP_METHODS, Starter,
)
from ...findings import Text
from ..context import Context
from ..scopes import Scope
from ..traversal import iter_children
from .common import FunctionNode, last_name
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
    target_text = code_excerpt(ctx, target) if target is not None else "..."
    if starter.keyword in ("target", "function") and keyword(call, starter.keyword) is not None:
        return f"{starter.label}(target={target_text})" if starter.keyword == "target" \
            else f"{starter.label}(..., {target_text})"
    if starter.position == 0:
        receiver = ""
        if isinstance(call.func, cst.Attribute) and starter.label in ("submit", "map", "apply",
                                                                        "apply_async", "map_async",
                                                                        "imap", "imap_unordered",
                                                                        "starmap", "starmap_async"):
            receiver = code_excerpt(ctx, call.func.value, 20) + "."
        return f"{receiver}{starter.label}({target_text}, ...)" if len(call.args) > 1 \
            else f"{receiver}{starter.label}({target_text})"
    return f"{starter.label}(..., {target_text})"


def code_excerpt(ctx: Context, node: cst.CSTNode, limit: int = 40) -> str:
    """``node``'s source on one line, cut to ``limit`` characters, for messages."""
    text = " ".join(ctx.module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Names that suggest what an untyped receiver is (``self._executor``, ``loop``).
_UNTYPED_EXECUTOR_NAME = re.compile(r"(?i)(executor|thread|^ex$|^tpe$|^pool$)")
_PROCESS_NAME = re.compile(r"(?i)process|proc_|mp_")
LOOP_NAME = re.compile(LOOP_NAME_PATTERN)


def guessed_starter(ctx: Context, func: cst.Attribute, scope: Optional[Scope] = None) -> Optional[Starter]:
    """The starter a method call on a receiver of unknown type is taken for, by the receiver's
    name: ``executor.submit(f)`` (not a process pool's), ``loop.run_in_executor(None, f)``."""
    receiver = last_name(func.value)
    if receiver and _UNTYPED_EXECUTOR_NAME.search(receiver) and not _PROCESS_NAME.search(receiver) \
            and ctx.type_of(func.value, scope) is None:
        return UNTYPED_EXECUTOR_METHODS.get(func.attr.value)
    if receiver and LOOP_NAME.search(receiver) and ctx.type_of(func.value, scope) is None:
        return UNTYPED_LOOP_METHODS.get(func.attr.value)
    return None


def line_of(ctx: Context, node: cst.CSTNode) -> Optional[int]:
    """The first line of ``node`` (positions computed once per file, only when asked)."""
    return ctx.line_of(node)


def function_name(node: Optional[cst.CSTNode]) -> str:
    if isinstance(node, cst.FunctionDef):
        return node.name.value
    if isinstance(node, cst.Lambda):
        return "<lambda>"
    return "<module>"


def describe_origin(ctx: Context, function: FunctionNode, origin: Origin) -> Text:
    """"'inc', which runs in threads (Thread(target=inc) on line 12)", for messages."""
    site = origin.site
    where: Union[str, Text] = site.label
    if isinstance(site.node, cst.Call):
        line = line_of(ctx, site.node)
        if line is not None:
            where = Text("{site} on line {line}").format(site=site.label, line=line)
    runs = Text("threads") if site.kind == THREAD else Text("worker processes")
    name = function_name(function)
    if origin.via is None:
        return Text("'{name}', which runs in {runs} ({where})").format(name=name, runs=runs, where=where)
    return Text(
        "'{name}', called from '{caller}' in code that runs in {runs} ('{root}' via {where})").format(
        name=name, caller=function_name(origin.via), runs=runs, root=function_name(origin.root), where=where)


def walk_expression(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), pre-order, not entering nested scopes."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(reversed(iter_children(current)))
