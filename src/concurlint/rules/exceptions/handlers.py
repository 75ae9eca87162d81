"""What an ``except`` clause does with a task's cancellation, for CCY602: what it catches
(``_Caught``), whether it re-raises now or later (a stored exception, ``exc_info``), what it
awaits before leaving (shielded calls, closing an owned child), and whether it ends the
function.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from ...apis.coroutines import (
    AWAIT_WRAPPERS, CANCELLATION_EXCEPTIONS, CATCH_ALL_EXCEPTIONS, CLOSE_WAITS, NORETURN_CALLS,
    PROCESS_EXIT_EXCEPTIONS, REPORTING_METHODS, SELF_STOPPED_WAITS, SHIELDING_SCOPES,
)
from ...findings import Text
from ...semantics.callees import walk_body as _walk_scopes
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text
from ...semantics.traversal import iter_children
from ..coroutines.common import walk_body
from .common import _text, _function_node, _cancelled_in, _last


# --------------------------------------------------------------------------- CCY602
class _Caught:
    """What an ``except`` clause catches of a task's cancellation."""

    def __init__(self, label: Union[str, Text], catch_all: bool, names_exit: bool):
        self.label = label
        self.catch_all = catch_all  # bare `except:` / BaseException, alone or in a tuple
        self.names_exit = names_exit  # SystemExit/KeyboardInterrupt listed beside the cancellation
        # what a catch-all hides besides the cancellation: the process exits an earlier
        # clause of the same try does not already take
        self.hides: Tuple[str, ...] = _EXITS if catch_all else ()


_EXITS = ("KeyboardInterrupt", "SystemExit")


def _named(ctx: Context, handler: cst.ExceptHandler) -> Set[str]:
    """Qualified names of the exceptions an ``except`` clause lists."""
    if handler.type is None:
        return set()
    elements = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
    exprs = [e.value for e in elements] if elements is not None else [handler.type]
    names = set()
    for expr in exprs:
        target = expr.func if isinstance(expr, cst.Call) else expr  # anyio: get_cancelled_exc_class()
        qualname = ctx.resolve(target)
        if qualname is not None:
            names.add(qualname)
    return names


def _caught(ctx: Context, handler: cst.ExceptHandler) -> Optional[_Caught]:
    if handler.type is None:
        return _Caught(Text("bare 'except:'"), True, False)
    names = _named(ctx, handler)
    catch_all = bool(names & CATCH_ALL_EXCEPTIONS)
    if not catch_all and not names & CANCELLATION_EXCEPTIONS:
        return None
    text = " ".join(_text(handler.type).split())
    if len(text) > 60:
        text = text[:57] + "..."
    return _Caught(f"'except {text}'", catch_all, bool(names & PROCESS_EXIT_EXCEPTIONS))


def _reraises(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """The handler raises, calls something that never returns, or hands the caught
    exception on (stores it, returns it, passes it to a call that is not just logging),
    whether bound by ``as e`` or read from ``sys.exc_info()``/``sys.exception()``."""
    bound = _exception_names(ctx, handler)
    for node in walk_body(handler.body):
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call):
            if ctx.resolve(node.func) in NORETURN_CALLS:
                return True
            if _cancels_parameter(ctx, node):
                return True  # the cancellation is forwarded to the future the caller waits on
            if _last(node.func) not in _REPORTING and any(
                    _mentions(ctx, arg.value, bound) for arg in node.args):
                return True  # `state.set_exception(sys.exc_info())`: the owner re-raises it later
        elif isinstance(node, cst.Return) and node.value is not None and _mentions(ctx, node.value, bound):
            return True
        elif (isinstance(node, cst.Assign) and not _binds_exc_info(ctx, node)
              and _mentions(ctx, node.value, bound)):
            return True  # `result.error = sys.exc_info()[1]`: stored for the caller
    return _deferred_reraise(ctx, handler)


# Calls that only show the exception (beside the logging methods of REPORTING_METHODS):
# `traceback.print_exception(*sys.exc_info())` does not hand it on.
_REPORTING = REPORTING_METHODS | frozenset({
    "print_exception", "format_exception", "format_exception_only", "print_tb", "format_tb",
})


def _cancels_parameter(ctx: Context, call: cst.Call) -> bool:
    """``future.cancel()`` on a parameter: a function that reports its outcome into a
    future it was given passes the cancellation on, as ``future.set_exception(e)`` would."""
    func = call.func
    return (isinstance(func, cst.Attribute) and func.attr.value == "cancel"
            and isinstance(func.value, cst.Name) and ctx.is_parameter(func.value.value))


def _exception_names(ctx: Context, handler: cst.ExceptHandler) -> Set[str]:
    """The names the caught exception is bound to: ``except ... as e``, and names taken
    from ``sys.exc_info()`` / ``sys.exception()`` in the handler (``exc, tb = sys.exc_info()[1:]``)."""
    names: Set[str] = set()
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        names.add(handler.name.name.value)
    for node in walk_body(handler.body):
        if not isinstance(node, cst.Assign) or len(node.targets) != 1 or not _exc_info(ctx, node.value):
            continue
        target = node.targets[0].target
        for element in (target.elements if isinstance(target, (cst.Tuple, cst.List)) else ()):
            if isinstance(element.value, cst.Name):
                names.add(element.value.value)
        if isinstance(target, cst.Name):
            names.add(target.value)
    return names


def _exc_info(ctx: Context, expr: cst.BaseExpression) -> bool:
    """``sys.exc_info()``, ``sys.exception()``, or an item or slice of it."""
    value = expr.value if isinstance(expr, cst.Subscript) else expr
    return isinstance(value, cst.Call) and ctx.resolve(value.func) in ("sys.exc_info", "sys.exception")


def _binds_exc_info(ctx: Context, node: cst.Assign) -> bool:
    """``exc = sys.exc_info()[1]``, ``typ, exc, tb = sys.exc_info()``: only names the
    exception locally (what happens to those names decides), does not store it."""
    if not _exc_info(ctx, node.value):
        return False
    for target in node.targets:
        inner = target.target
        elements = [e.value for e in inner.elements] if isinstance(inner, (cst.Tuple, cst.List)) else [inner]
        if not all(isinstance(e, cst.Name) for e in elements):
            return False
    return True


def _deferred_reraise(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """The handler sets a flag (``cancelled = True``) that the function later tests
    to raise (``if cancelled: raise CancelledError``): cancellation is postponed, not lost."""
    flags = set()
    for node in walk_body(handler.body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    flags.add(target.target.value)
    if not flags or ctx.function is None:
        return False
    for node in walk_body(getattr(ctx.function.node, "body", ctx.function.node)):
        if not isinstance(node, cst.If):
            continue
        tested = {n.value for n in walk_body(node.test) if isinstance(n, cst.Name)}
        if isinstance(node.test, cst.Name):
            tested.add(node.test.value)
        if tested & flags and any(isinstance(n, cst.Raise) for n in walk_body(node.body)):
            return True
    return False


def _mentions(ctx: Context, expr: cst.BaseExpression, names: Set[str]) -> bool:
    """``expr`` is the caught exception -- one of ``names``, ``sys.exc_info()`` or an item
    of either -- or a call/container built directly around it (``Error(exc)``, ``[exc]``)."""
    if isinstance(expr, cst.Name):
        return expr.value in names
    if _exc_info(ctx, expr):
        return True
    if isinstance(expr, cst.Subscript):
        return _mentions(ctx, expr.value, names)  # `exc_info[1]`
    if isinstance(expr, cst.Call):
        return any(_mentions(ctx, arg.value, names) for arg in expr.args)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return any(_mentions(ctx, e.value, names) for e in expr.elements)
    return False


def _awaits(ctx: Context, body: cst.BaseSuite) -> List[cst.CSTNode]:
    """The points in ``body`` where a cancellation can be delivered: awaits, ``async for``
    and ``async with``, except inside a shielded trio/anyio cancel scope (outer
    cancellation cannot get in, and the scope absorbs its own)."""
    found: List[cst.CSTNode] = []
    stack = list(iter_children(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Await):
            found.append(node)
        elif isinstance(node, (cst.For, cst.With, cst.CompFor)) and node.asynchronous is not None:
            found.append(node)
        if isinstance(node, cst.With) and any(_shields(ctx, item.item) for item in node.items):
            stack.extend(item.item for item in node.items)
            continue
        stack.extend(iter_children(node))
    return found


def _shields(ctx: Context, expr: cst.BaseExpression) -> bool:
    if not isinstance(expr, cst.Call) or _last(expr.func) not in SHIELDING_SCOPES:
        return False
    return any(arg.keyword is not None and arg.keyword.value == "shield"
               and isinstance(arg.value, cst.Name) and arg.value.value == "True" for arg in expr.args)


def _awaited_targets(awaits: List[cst.CSTNode]) -> List[Tuple[str, str]]:
    """What the awaits wait on: ``(text, "")`` for an existing task/future (``await t``,
    ``await gather(*ts)``), ``(receiver, method)`` for an awaited method call."""
    found: List[Tuple[str, str]] = []
    for node in awaits:
        if not isinstance(node, cst.Await):
            continue  # `async with`/`async for` around the awaits (a timeout, a stream)
        expr = node.expression
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
            found.append((_text(expr), ""))
        elif isinstance(expr, cst.Call) and dotted_text(expr.func).rsplit(".", 1)[-1] in _WRAPPER_NAMES:
            for arg in expr.args:
                found.append((_text(arg.value), ""))
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            found.append((_text(expr.func.value), expr.func.attr.value))
        else:
            found.append(("", "?"))
    return found


_WRAPPER_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in AWAIT_WRAPPERS)


def _receivers(ctx: Context, root: cst.CSTNode, method: str) -> Set[str]:
    """Texts of ``x`` wherever ``x.<method>`` appears under ``root`` (called or handed on
    as a callback), nested scopes included; memoised per root."""
    key = ("exceptions.receivers", id(root), method)
    found = ctx.memo.get(key)
    if found is None:
        found = set()
        for node in _walk_scopes(root, into_scopes=True):
            if isinstance(node, cst.Attribute) and node.attr.value == method:
                found.add(_text(node.value))
        ctx.memo[key] = found
    return found


def _owner_stops(ctx: Context, text: str, method: str) -> bool:
    """``text.<method>`` is called in this function, or -- for ``self.x`` -- anywhere in
    the class, or -- for a module-level name -- anywhere in the module: the code owns the
    child it awaits and stops it itself."""
    function = ctx.function
    if function is None:
        return False
    if text in _receivers(ctx, function.node, method):
        return True
    head, dot, rest = text.partition(".")
    cls = function.enclosing_class
    if dot and cls is not None and head == function.first_param:
        return any(r.partition(".")[2] == rest for r in _receivers(ctx, cls.node, method)
                   if r.partition(".")[0] in ("self", "cls", head))
    if not dot and head.isidentifier():
        _, owner = ctx.lookup(head)
        if owner is ctx.module_scope:
            return text in _receivers(ctx, ctx.module, method)
    return False


def _owned_child(ctx: Context, awaits: List[cst.CSTNode]) -> bool:
    """Every await of the ``try`` waits on something this code stops itself: a task it
    cancels (``t.cancel(); await t``, ``self._t`` that the class cancels elsewhere, the
    pending set of an ``asyncio.wait`` it cancels) or a server it closes (``serve_forever()``)."""
    targets = _awaited_targets(awaits)
    function = _function_node(ctx)
    if not targets or function is None:
        return False
    cancelled = _cancelled_in(ctx, function)
    for text, method in targets:
        if method == "":
            if text in cancelled or _owner_stops(ctx, text, "cancel"):
                continue
            return False
        stop = SELF_STOPPED_WAITS.get(method)
        if stop is None or not _owner_stops(ctx, text, stop):
            return False
    return True


def _only_closing(awaits: List[cst.CSTNode]) -> bool:
    """The ``try`` only waits for a close it requested (``w.close(); await w.wait_closed()``)."""
    targets = _awaited_targets(awaits)
    return len(targets) == len(awaits) and all(method in CLOSE_WAITS for _, method in targets)


def _inside_reraising_handler(ctx: Context, any_exception: bool = False) -> bool:
    """The node sits in a handler (of the cancellation, unless ``any_exception``) that
    re-raises unconditionally (a top-level ``raise`` in its body): a swallow inside it does
    not end the cancellation, and errors dropped there are secondary to the one re-raised."""
    for node in reversed(ctx.ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return False
        if isinstance(node, cst.ExceptHandler) and (any_exception or _caught(ctx, node) is not None):
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            for stmt in body:
                if isinstance(stmt, cst.SimpleStatementLine) and any(
                        isinstance(small, cst.Raise) for small in stmt.body):
                    return True
    return False


def _ends_function(handler: cst.ExceptHandler, try_node: cst.Try, ancestors: Sequence[cst.CSTNode]) -> bool:
    """After the handler the coroutine ends: it returns, or control reaches the end of the
    function without looping again (``break`` out of the loop around it; no ``while``
    after it -- the cleanup that follows may still await)."""
    last = _last_statement(handler.body)
    if isinstance(last, (cst.Return, cst.Raise)):
        return True
    if isinstance(last, cst.Continue):
        return False
    broke = isinstance(last, cst.Break)
    child: cst.CSTNode = try_node
    for node in reversed(ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return True
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)) and not broke:
            body = list(node.body)  # what runs after the handler (a pending break skips it)
            index = next((i for i, stmt in enumerate(body) if stmt is child), len(body))
            after = body[index + 1:]
            if any(isinstance(n, cst.While) for stmt in after for n in (stmt, *walk_body(stmt))):
                return False
        elif isinstance(node, (cst.For, cst.While)) and child is node.body:
            if not broke:
                return False  # falls through into the next iteration
            broke = False
        child = node
    return False


def _last_statement(body: cst.BaseSuite) -> Optional[cst.CSTNode]:
    statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    if not statements:
        return None
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return last.body[-1]
    return last
