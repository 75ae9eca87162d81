"""CCY109 (sequential awaits in a loop) and CCY110 (busy loop without an await): loops whose
awaits run one after another, and loops that never give the event loop a turn; owns the
reasoning about which awaits overlap, which results a loop collects, which branches are live
under known constants and whether a called coroutine can suspend.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from ...apis.backends import advice
from ...apis.coroutines import COROUTINE_FUNCTIONS
from ...findings import Text
from ...semantics.callees import definition_of, function_scope
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text
from ...semantics.scopes import Scope
from ...semantics.traversal import iter_children
from ..base import Rule
from .common import (
    _SCOPES, _decorator_name, _last_name, _names, coroutine_function, is_coroutine_def, walk_body,
    walk_names,
)


class SequentialAwaitsInLoop(Rule):
    code = "CCY109"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 17 reviewed findings of the round-1 "
        "form, 0 real, 7 wrong, 10 intended. The narrowed rule keeps 13 (0 real, 3 wrong, 10 "
        "intended): loops over a handful of items (enum members, constant lists, a few services) "
        "or over one slow device, where sequential calls are the intended choice; the 3 wrong ones "
        "talk to one serial or BLE link, or call a coroutine of another module that never "
        "suspends, which the rule cannot see. `advice`.")
    name = "sequential-awaits-in-loop"
    summary = Text("Independent awaits run one after another in a loop")
    what = Text(
        "Finds a `for` loop in an async function whose body awaits one independent coroutine call "
        "per item (`for u in urls: r = await fetch(u)`) and keeps its result.\n\n"
        "Not reported when the calls cannot overlap or depend on each other:\n"
        "- the coroutine is an `async def` of this module (a function, or a method through "
        "`self`/`cls`) that never suspends for these arguments: its body has no `await`, "
        "`async for` or `async with`, or every one of them is under an `if` that the loop's "
        "constant arguments (`False`, `None`, `True`, also through a default or a parameter "
        "handed on to another such coroutine) rule out, or awaits only other such coroutines, "
        "or only `sync_to_async(...)` with `thread_sensitive` left on (asgiref runs those calls "
        "one at a time on one thread, so gathering them gains nothing). A stub body (`pass`, "
        "`...`, a docstring, `raise`) or a decorated `async def` is not judged;\n"
        "- the loop body changes an object the call receives (`self.x = ...` while awaiting "
        "`self.m(item)`): each call may see what the previous iteration changed.\n\n"
        "When the awaited coroutine is a method of one object shared by every iteration "
        "(`await device.query(i)`), the message makes the advice depend on that object serving "
        "several calls at once: one connection to a device or one BLE link often handles one "
        "request at a time, and nothing in the code says which.\n\n"
        "Group `advice`: on real projects most such loops run over a handful of items, or over "
        "one slow device, where sequential calls are the safe and intended choice.")
    why = Text(
        "Each call waits for the previous one, so the total time is the sum of all calls. When the "
        "calls do not depend on each other, `asyncio.gather` or a `TaskGroup` (with a semaphore to "
        "bound concurrency) runs them concurrently.")
    example = ("import asyncio\n\n\nasync def fetch(session, url):\n    async with session.get(url) as response:\n"
               "        return await response.text()\n\n\n"
               "async def crawl(session, urls):\n    pages = []\n    for u in urls:\n"
               "        pages.append(await fetch(session, u))\n    return pages\n")
    use_instead = ("import asyncio\n\n\nasync def fetch(session, url):\n    async with session.get(url) as response:\n"
                   "        return await response.text()\n\n\n"
                   "async def crawl(session, urls):\n"
                   "    return await asyncio.gather(*(fetch(session, u) for u in urls))\n")
    valid = (
        "import asyncio\nasync def fetch(u):\n    await asyncio.sleep(1)\n"
        "async def f(urls):\n    cursor = None\n    for u in urls:\n        cursor = await fetch(cursor)\n",
        # never suspends: nothing to run concurrently
        "async def record(u):\n    return {'url': u}\nasync def f(urls, out):\n    for u in urls:\n"
        "        out.append(await record(u))\n",
        # every await is behind a flag the loop passes as False
        "import asyncio\nasync def build(u, deep):\n    node = [u]\n    if deep:\n"
        "        await asyncio.sleep(1)\n    return node\nasync def f(urls, out):\n    for u in urls:\n"
        "        out.append(await build(u, False))\n",
    )
    invalid = (
        "import asyncio\nasync def fetch(u):\n    await asyncio.sleep(1)\n"
        "async def f(urls, out):\n    for u in urls:\n        out.append(await fetch(u))\n",
        "import asyncio\nasync def build(u, deep):\n    if deep:\n        await asyncio.sleep(1)\n"
        "async def f(urls, out):\n    for u in urls:\n        out.append(await build(u, True))\n",
    )

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None or not self.ctx.in_async_function:
            return
        targets = {n.value for n in _names(node.target)}
        if not targets:
            return
        assigned = set()
        awaited: List[cst.Await] = []
        for inner in walk_body(node.body):
            if isinstance(inner, (cst.Break, cst.Return, cst.Raise, cst.Continue, cst.Try)):
                return
            if isinstance(inner, cst.AssignTarget):
                assigned.update(_written(inner.target))
            elif isinstance(inner, (cst.AugAssign, cst.AnnAssign)):
                assigned.update(_written(inner.target))
            elif isinstance(inner, cst.Del):
                assigned.update(_written(inner.target))
            elif isinstance(inner, cst.Await):
                awaited.append(inner)
        if len(awaited) != 1 or not isinstance(awaited[0].expression, cst.Call):
            return
        if not _result_collected(node.body, awaited[0]):
            return  # fire-and-wait calls (sends, writes, cleanups) are usually meant to be sequential
        call = awaited[0].expression
        read = {n.value for n in walk_names(call)}
        # `read & assigned`: the next call sees what this iteration wrote (a name, or the
        # state of an object the call receives: `self.x = ...` around `await self.m(item)`)
        if not (read & targets) or (read & assigned):
            return
        name = coroutine_function(self.ctx, call.func)
        if name is None or self.ctx.resolve(call.func) in COROUTINE_FUNCTIONS:
            return
        if not self._may_overlap(call):
            return
        backend = self.ctx.async_backend
        if backend in (None, "asyncio"):
            how = Text("asyncio.gather() or an asyncio.TaskGroup")
        else:
            how = advice(backend, "task_group")
        limiter = advice(backend, "limiter")
        shared = self._shared_receiver(call.func, targets)
        if shared is not None:
            self.report(call, Text(
                "'{name}()' is awaited once per item, one after another; if '{shared}' can serve "
                "several calls at once, run them concurrently with {how} (bounded by {limiter})").format(
                    name=name, shared=shared, how=how, limiter=limiter))
            return
        self.report(call, Text(
            "'{name}()' is awaited once per item, one after another; run the calls concurrently "
            "with {how} (bounded by {limiter})").format(
            name=name, how=how, limiter=limiter))

    def _shared_receiver(self, func: cst.BaseExpression, targets: Set[str]) -> Optional[str]:
        """``device`` in ``await device.query(item)``: one object every iteration uses (not a
        module, a class, or this class's own ``self``/``cls``)."""
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        text = dotted_text(receiver)
        if not text or any(n.value in targets for n in walk_names(receiver)):
            return None
        if self.ctx.resolve(receiver) is not None:
            return None  # a module or class: `api.fetch(item)`, `Client.fetch(item)`
        function = self.ctx.function
        if isinstance(receiver, cst.Name) and function is not None and receiver.value == function.first_param \
                and function.enclosing_class is not None:
            return None
        return text

    def _may_overlap(self, call: cst.Call) -> bool:
        definition = definition_of(self.ctx, call.func)
        if definition is None:
            return True
        func, owner = definition
        constants = _bound_constants(func, call, isinstance(call.func, cst.Attribute), {})
        return _suspends(self.ctx, func, owner, constants, {id(func)}, 0)


_COLLECTING_METHODS = frozenset({"append", "add", "extend", "update"})
# Decorators that leave an `async def`'s body as the code that runs.
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})
_SYNC_TO_ASYNC = "asgiref.sync.sync_to_async"
_MAX_CALLEE_DEPTH = 4
_UNKNOWN = object()


def _written(target: cst.BaseExpression) -> Set[str]:
    """Names whose value (or state: ``self.x = ...`` -> ``self``) an assignment target changes.
    ``out[k] = ...`` writes into a collection, not into the state the calls read."""
    if isinstance(target, cst.Attribute):
        base: cst.BaseExpression = target
        while isinstance(base, cst.Attribute):
            base = base.value
        return {base.value} if isinstance(base, cst.Name) else set()
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in _written(e.value)}
    if isinstance(target, cst.StarredElement):
        return _written(target.value)
    return {n.value for n in _names(target)}


def _is_stub_body(func: cst.FunctionDef) -> bool:
    """A body left to subclasses or overloads: docstring, ``pass``, ``...``, ``raise``."""
    body = func.body.body
    for statement in body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
        for small in smalls:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                    small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                continue
            return False
    return True


def _constant(expr: Optional[cst.BaseExpression], outer: Dict[str, object]) -> object:
    """``True``/``False``/``None``, or what ``outer`` knows of a name; ``_UNKNOWN`` otherwise."""
    if isinstance(expr, cst.Name):
        if expr.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[expr.value]
        return outer.get(expr.value, _UNKNOWN)
    return _UNKNOWN


def _bound_constants(func: cst.FunctionDef, call: cst.Call, bound_method: bool,
                     outer: Dict[str, object]) -> Dict[str, object]:
    """The parameters of ``func`` that ``call`` sets to a constant (an argument, or a default
    the call leaves alone)."""
    params = func.params
    positional = [*params.posonly_params, *params.params]
    if bound_method and positional and not any(_decorator_name(d) == "staticmethod" for d in func.decorators):
        positional = positional[1:]
    given: Dict[str, object] = {}
    starred = False
    index = 0
    for arg in call.args:
        if arg.star:
            starred = True
        elif arg.keyword is not None:
            given[arg.keyword.value] = _constant(arg.value, outer)
        elif not starred and index < len(positional):
            given[positional[index].name.value] = _constant(arg.value, outer)
            index += 1
    found: Dict[str, object] = {}
    for param in (*positional, *params.kwonly_params):
        name = param.name.value
        value = given[name] if name in given else (
            _constant(param.default, {}) if param.default is not None and not starred else _UNKNOWN)
        if value is not _UNKNOWN:
            found[name] = value
    return found


def _truth(test: cst.BaseExpression, constants: Dict[str, object]) -> Optional[bool]:
    """Whether ``test`` is true, when the constants decide it."""
    if isinstance(test, cst.Name):
        value = _constant(test, constants)
        return None if value is _UNKNOWN else bool(value)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _truth(test.expression, constants)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        left, right = _truth(test.left, constants), _truth(test.right, constants)
        if isinstance(test.operator, cst.And):
            return False if False in (left, right) else (True if left and right else None)
        return True if True in (left, right) else (False if left is False and right is False else None)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.Is, cst.IsNot)):
            left, right = _constant(test.left, constants), _constant(target.comparator, constants)
            if left is _UNKNOWN or right is _UNKNOWN:
                return None
            same = left is right
            return same if isinstance(target.operator, cst.Is) else not same
    return None


def _leaves(block: cst.BaseSuite) -> bool:
    """The block always ends in ``return`` or ``raise``."""
    body = block.body
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], (cst.Return, cst.Raise))
    return isinstance(block, cst.SimpleStatementSuite) and isinstance(body[-1], (cst.Return, cst.Raise))


def _live_children(node: cst.CSTNode, constants: Dict[str, object]) -> List[cst.CSTNode]:
    """The children of ``node`` that can run with these constants: ``if`` branches the
    constants rule out, and statements after a guard that always leaves, are left out."""
    if isinstance(node, cst.If):
        truth = _truth(node.test, constants)
        live: List[cst.CSTNode] = [node.test]
        if truth is not False:
            live.append(node.body)
        if truth is not True and node.orelse is not None:
            live.append(node.orelse)
        return live
    if isinstance(node, cst.IfExp):
        truth = _truth(node.test, constants)
        live = [node.test]
        if truth is not False:
            live.append(node.body)
        if truth is not True:
            live.append(node.orelse)
        return live
    if isinstance(node, cst.IndentedBlock):
        statements: List[cst.CSTNode] = []
        for statement in node.body:
            statements.append(statement)
            if isinstance(statement, cst.If) and _truth(statement.test, constants) is True \
                    and _leaves(statement.body):
                break  # `if not deep: return node`: the rest never runs
        return statements
    return list(iter_children(node))


def _suspends(ctx: Context, func: cst.FunctionDef, owner: Scope, constants: Dict[str, object],
              active: Set[int], depth: int) -> bool:
    """Whether a call of the coroutine function ``func`` with ``constants`` may suspend so
    that another call runs meanwhile (True when unsure)."""
    if _is_stub_body(func) or any(_decorator_name(d) not in _PLAIN_DECORATORS for d in func.decorators):
        return True
    scope = function_scope(ctx, func, owner)
    stack: List[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, (cst.For, cst.With, cst.CompFor)) and node.asynchronous is not None:
            return True
        if isinstance(node, cst.Await) and _await_overlaps(ctx, node.expression, scope, constants, active, depth):
            return True
        stack.extend(_live_children(node, constants))
    return False


def _await_overlaps(ctx: Context, expr: cst.BaseExpression, scope: Scope, constants: Dict[str, object],
                    active: Set[int], depth: int) -> bool:
    if not isinstance(expr, cst.Call):
        return True
    inner = expr.func
    if isinstance(inner, cst.Call) and ctx.resolve(inner.func, scope) == _SYNC_TO_ASYNC:
        sensitive = next((a.value for a in inner.args if a.keyword is not None
                          and a.keyword.value == "thread_sensitive"), None)
        return not (sensitive is None or (isinstance(sensitive, cst.Name) and sensitive.value == "True"))
    if not isinstance(inner, (cst.Name, cst.Attribute)):
        return True
    definition = definition_of(ctx, inner, scope)
    if definition is None or not is_coroutine_def(ctx, definition[0]):
        return True
    callee, callee_owner = definition
    if id(callee) in active:
        return False  # recursion adds no suspension of its own
    if depth >= _MAX_CALLEE_DEPTH:
        return True
    passed = _bound_constants(callee, expr, isinstance(inner, cst.Attribute), constants)
    return _suspends(ctx, callee, callee_owner, passed, active | {id(callee)}, depth + 1)


def _result_collected(body: cst.BaseSuite, awaited: cst.Await) -> bool:
    """The awaited result is kept per item: ``r = await f(x)``, ``out.append(await f(x))``,
    ``out[x] = await f(x)`` as a statement of the loop body (also one written on the line
    of the ``for``: ``for u in urls: out.append(await f(u))``)."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for stmt in lines:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is awaited:
                return True
            if (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
                    and isinstance(small.value.func, cst.Attribute)
                    and small.value.func.attr.value in _COLLECTING_METHODS
                    and len(small.value.args) == 1 and small.value.args[0].value is awaited):
                return True
    return False


_YIELD_POINTS = (cst.Await, cst.Yield, cst.Break, cst.Return, cst.Raise)


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0", "0x0", "0o0", "0b0")
    return False


class BusyLoopWithoutAwait(Rule):
    code = "CCY110"

    group = "suspicious"
    group_reason = Text(
        "An infinite loop that never yields freezes every other task; no finding on the 28 "
        "projects of the ecosystem check.")
    name = "busy-loop-without-await"
    summary = Text("Infinite loop in a coroutine that never yields")
    what = Text(
        "Finds `while True:` inside an async function whose body contains no `await`, `async for`, "
        "`async with`, `yield`, `break`, `return` or `raise`.")
    why = Text(
        "The event loop is cooperative: a coroutine only gives other tasks a turn at an `await`. A loop "
        "without one spins forever and freezes every other task, timer and connection of the process.")
    example = "async def wait_ready(state):\n    while True:\n        if state.ready:\n            state.go()\n"
    use_instead = "async def wait_ready(state):\n    while True:\n        if state.ready:\n            state.go()\n        await asyncio.sleep(0.1)\n"
    valid = ("import asyncio\nasync def f(q):\n    while True:\n        await asyncio.sleep(1)\n",
             "async def f(q):\n    while True:\n        if q:\n            break\n")
    invalid = ("async def f(state):\n    while True:\n        state.poll()\n",)

    def visit_While(self, node: cst.While) -> None:
        if not self.ctx.in_async_function or not _always_true(node.test):
            return
        if self._exits_by_exception():
            return
        for inner in walk_body(node.body):
            if isinstance(inner, _YIELD_POINTS):
                return
            if isinstance(inner, (cst.For, cst.With)) and inner.asynchronous is not None:
                return
            if isinstance(inner, cst.CompFor) and inner.asynchronous is not None:
                return
        self.report(node, Text(
            "'while True' loop in a coroutine never awaits: it blocks the event loop forever; "
            "add an 'await' (e.g. 'await asyncio.sleep(...)') or an exit"))

    def _exits_by_exception(self) -> bool:
        """The loop sits in a ``try`` body or under ``suppress()``/``raises()``: it is meant
        to end with an exception (``while True: q.get_nowait()`` until ``QueueEmpty``)."""
        ancestors = self.ctx.ancestors
        for index in range(len(ancestors) - 1, -1, -1):
            node = ancestors[index]
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(node, (cst.Try, cst.TryStar)) and index + 1 < len(ancestors) \
                    and ancestors[index + 1] is node.body and node.handlers:
                return True
            if isinstance(node, cst.With):
                for item in node.items:
                    call = item.item
                    if isinstance(call, cst.Call) and _last_name(call.func) in _RAISES_CONTEXTS:
                        return True
        return False


_RAISES_CONTEXTS = frozenset({"suppress", "raises", "assertRaises", "assertRaisesRegex"})
