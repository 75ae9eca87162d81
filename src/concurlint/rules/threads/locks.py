"""CCY305 (lock-acquire-without-release): ``lock.acquire()`` not paired with a release on
every path; owns the tracking of a held lock through ``try``/``finally``, loops, early
exits and the statements that follow the acquire.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from ...apis.threads import MUTEX_TYPES
from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import ASSIGN
from ...semantics.threads import code_excerpt, is_lock, walk_expression
from ...semantics.traversal import iter_children
from ..base import Rule
from .common import _SCOPE_NODES, _function_scope


# =========================================================================== CCY305
class LockAcquireWithoutRelease(Rule):
    code = "CCY305"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: no finding left (the one "
        "reviewed, an acquire in a retry loop released on every path, was wrong). An "
        "out-of-sample review on the standard library and 40 installed packages found 13, "
        "3 real: most sections between acquire() and release() hold nothing that can raise. "
        "Too few real pitfalls for the default set, so `advice`.")
    name = "lock-acquire-without-release"
    summary = Text("`lock.acquire()` without a `try/finally` that releases it")
    what = Text(
        "Finds `lock.acquire()` / `await lock.acquire()` on a lock (a `threading`, `asyncio` or "
        "`multiprocessing` Lock/RLock/Condition, or a lock-named object) that is not followed by a "
        "`try:` whose `finally:` releases the same lock. Balanced forms are not reported: an acquire "
        "that is the whole body of a `try` whose every handler leaves the function, or that ends an "
        "`if` body (a conditional acquire), followed by a `try` whose `finally` releases the lock "
        "(under the same condition); an acquire in a retry loop that either breaks out into a "
        "`try/finally` that releases it or releases it at once, with only tests that cannot raise "
        "(names, comparisons, `event.is_set()`) in between.")
    why = Text(
        "If anything between `acquire()` and `release()` raises, the lock stays held forever and "
        "every other thread or task that needs it hangs. `with lock:` releases it on every path.")
    example = "lock.acquire()\ncounter += 1\nlock.release()\n"
    use_instead = "with lock:\n    counter += 1\n"
    valid = (
        "import threading\nlock = threading.Lock()\ndef f():\n    lock.acquire()\n    try:\n"
        "        pass\n    finally:\n        lock.release()\n",
        "import threading\nlock = threading.Lock()\ndef f():\n    if lock.acquire(timeout=1):\n"
        "        try:\n            pass\n        finally:\n            lock.release()\n",
        "import threading\nlock = threading.Lock()\ndef f(locking):\n    if locking:\n        lock.acquire()\n"
        "    try:\n        pass\n    finally:\n        if locking:\n            lock.release()\n",
    )
    invalid = (
        "import threading\nlock = threading.Lock()\ndef f(items):\n    lock.acquire()\n"
        "    items.append(1)\n    lock.release()\n",
        "import asyncio\nlock = asyncio.Lock()\nasync def f(items):\n    await lock.acquire()\n"
        "    items.append(1)\n    lock.release()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "acquire"):
            return
        ctx = self.ctx
        ancestors = ctx.ancestors
        parent = ctx.parent
        index = len(ancestors) - 1
        if isinstance(parent, cst.Await):
            index -= 1
        if index < 1 or not isinstance(ancestors[index], cst.Expr):
            return  # the result is used (tested or stored)
        receiver = func.value
        if not is_lock(ctx, receiver, types=MUTEX_TYPES, guards=False):
            return
        statement = ancestors[index - 1]
        if _released_in_finally(receiver, statement, ancestors[: index - 1]):
            return
        if _next_statement_releases(receiver, statement, ancestors[: index - 1]):
            return  # acquire(); release(): nothing in between can raise (a 'wait for it' idiom)
        if _released_after_enclosing(receiver, statement, ancestors[: index - 1]):
            return  # `if c: lock.acquire()` / `try: lock.acquire() except: return`, then try/finally
        if _held_past_loop(receiver, statement, ancestors[: index - 1]):
            return  # acquire; `if ready: break`; release -- and the loop is followed by try/finally
        function = _enclosing_function(ancestors)
        scope_body: cst.CSTNode = function.body if function is not None else ctx.module
        releases = _release_calls(scope_body, receiver, node)
        if releases in ("nested", "before"):
            return  # released by a callback, or re-acquired after a release (Condition.wait style)
        if releases == "none":
            fname = function.name.value.lower() if isinstance(function, cst.FunctionDef) else ""
            if isinstance(receiver, cst.Attribute) or any(w in fname for w in ("acquire", "lock", "enter")):
                return  # acquired here, released by another method (a lock protocol)
            if function is not None and isinstance(receiver, cst.Name) and _is_local_name(ctx, receiver):
                return  # a lock made in this function dies with it
        lock = code_excerpt(ctx, receiver)
        async_kw = "async " if isinstance(parent, cst.Await) else ""
        self.report(node, Text(
            "'{lock}.acquire()' is not followed by 'try: ... finally: {lock}.release()'; an exception "
            "leaves the lock held forever: use '{async_kw}with {lock}:'").format(
                lock=lock,
                async_kw=async_kw))


def _is_local_name(ctx: Context, name: cst.Name) -> bool:
    scope = _function_scope(ctx)
    if scope is None:
        return False
    bindings = scope.bindings.get(name.value)
    return bool(bindings) and all(b.kind == ASSIGN for b in bindings)


def _enclosing_function(ancestors: Sequence[cst.CSTNode]) -> Optional[cst.FunctionDef]:
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
        if isinstance(ancestor, (cst.Lambda, cst.ClassDef)):
            return None
    return None


def _is_release_of(node: cst.CSTNode, receiver: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "release" and node.func.value.deep_equals(receiver))


def _finally_releases(try_node: cst.Try, receiver: cst.BaseExpression) -> bool:
    """``finally: lock.release()``, or an ``except:`` that releases and re-raises."""
    if try_node.finalbody is not None and any(
            _is_release_of(n, receiver) for n in walk_expression(try_node.finalbody)):
        return True
    for handler in try_node.handlers:
        nodes = list(walk_expression(handler.body))
        if any(_is_release_of(n, receiver) for n in nodes) and any(isinstance(n, cst.Raise) for n in nodes):
            return True
    return False


def _released_in_finally(receiver: cst.BaseExpression, statement: cst.CSTNode,
                         ancestors: Sequence[cst.CSTNode]) -> bool:
    # acquire(); [...]; try: ... finally: release()
    if ancestors:
        block = ancestors[-1]
        body = block.body if isinstance(block, (cst.IndentedBlock, cst.Module)) else None
        if body is not None:
            seen = False
            for stmt in body:
                if stmt is statement:
                    seen = True
                    continue
                if seen and isinstance(stmt, cst.Try) and _finally_releases(stmt, receiver):
                    return True
    # try: acquire(); ... finally: release()   /   try: acquire() except ...: ... else: release()
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, _SCOPE_NODES):
            break
        if isinstance(ancestor, cst.Try):
            if _finally_releases(ancestor, receiver):
                return True
            if ancestor.orelse is not None and any(
                    _is_release_of(n, receiver) for n in walk_expression(ancestor.orelse)):
                return True
    return False


def _release_calls(body: cst.CSTNode, receiver: cst.BaseExpression, acquire: cst.Call) -> str:
    """"nested" if a nested function/lambda releases ``receiver``, "before" if this code
    releases it before ``acquire`` (a re-acquire), "direct" if it releases it after,
    "none" otherwise."""

    found = "none"
    seen_acquire = False
    stack: List[Tuple[cst.CSTNode, bool]] = [(body, False)]
    while stack:
        node, nested = stack.pop()
        if node is acquire:
            seen_acquire = True
        if _is_release_of(node, receiver):
            if nested:
                return "nested"
            if not seen_acquire:
                return "before"
            found = "direct"
        inner = nested or isinstance(node, (cst.FunctionDef, cst.Lambda))
        for child in reversed(iter_children(node)):
            stack.append((child, inner))
    return found


def _released_after_enclosing(receiver: cst.BaseExpression, child: cst.CSTNode,
                              ancestors: Sequence[cst.CSTNode]) -> bool:
    """The acquire ends an ``if`` body (a conditional acquire), or is the whole body of a
    ``try`` whose every handler leaves the function, and a later statement around it is a
    ``try`` whose ``finally`` releases the lock (under the same condition or not)."""
    position = len(ancestors) - 1
    while position >= 2:
        block, owner = ancestors[position], ancestors[position - 1]
        if not (isinstance(block, cst.IndentedBlock) and block.body and block.body[-1] is child):
            return False  # something after the acquire in the same block could raise
        statement: Optional[cst.CSTNode] = None
        if isinstance(owner, cst.If) and block is owner.body:
            statement = owner
        elif isinstance(owner, cst.Try) and block is owner.body and len(block.body) == 1 and owner.handlers and all(
                _leaves_function(handler.body) for handler in owner.handlers):
            statement = owner
        if statement is None:
            return False
        container = ancestors[position - 2]
        body = container.body if isinstance(container, (cst.IndentedBlock, cst.Module)) else None
        if body is None:
            return False
        after = list(body)[list(body).index(statement) + 1:] if statement in body else []
        if any(isinstance(stmt, cst.Try) and _finally_releases(stmt, receiver) for stmt in after):
            return True
        child = statement
        position -= 2
    return False


def _leaves_function(block: cst.BaseSuite) -> bool:
    body = block.body if isinstance(block, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], (cst.Return, cst.Raise))


# Tests that cannot raise: names, attributes, comparisons, and state queries of primitives.
_QUERY_METHODS = frozenset({"is_set", "is_alive", "locked", "done", "cancelled", "empty", "full"})


def _cannot_raise(test: cst.BaseExpression) -> bool:
    if isinstance(test, (cst.Name, cst.Integer, cst.SimpleString)):
        return True
    if isinstance(test, cst.Attribute):
        return _cannot_raise(test.value)
    if isinstance(test, cst.UnaryOperation):
        return _cannot_raise(test.expression)
    if isinstance(test, cst.BooleanOperation):
        return _cannot_raise(test.left) and _cannot_raise(test.right)
    if isinstance(test, cst.Comparison):
        return _cannot_raise(test.left) and all(_cannot_raise(c.comparator) for c in test.comparisons)
    if isinstance(test, cst.Call):
        return (not test.args and isinstance(test.func, cst.Attribute)
                and test.func.attr.value in _QUERY_METHODS and _cannot_raise(test.func.value))
    return False


def _held_past_loop(receiver: cst.BaseExpression, statement: cst.CSTNode,
                    ancestors: Sequence[cst.CSTNode]) -> bool:
    """``while True: lock.acquire(); if ready: break; lock.release()`` then
    ``try: ... finally: lock.release()``: every path either releases at once (with only
    tests that cannot raise in between) or breaks out into the try/finally."""
    if len(ancestors) < 3:
        return False
    block, loop, container = ancestors[-1], ancestors[-2], ancestors[-3]
    if not (isinstance(loop, (cst.While, cst.For)) and block is loop.body and isinstance(block, cst.IndentedBlock)):
        return False
    body = list(block.body)
    breaks = False
    for stmt in body[body.index(statement) + 1:]:
        if isinstance(stmt, cst.If) and stmt.orelse is None and _cannot_raise(stmt.test) \
                and isinstance(stmt.body, cst.IndentedBlock) and len(stmt.body.body) == 1 \
                and isinstance(stmt.body.body[0], cst.SimpleStatementLine) \
                and [type(s) for s in stmt.body.body[0].body] == [cst.Break]:
            breaks = True
            continue
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 \
                and isinstance(stmt.body[0], cst.Expr) and _is_release_of(stmt.body[0].value, receiver):
            break
        return False
    else:
        return False
    outer = container.body if isinstance(container, (cst.IndentedBlock, cst.Module)) else None
    if not breaks or outer is None or loop not in outer:
        return False
    following = list(outer)[list(outer).index(loop) + 1:]
    return bool(following) and isinstance(following[0], cst.Try) and _finally_releases(following[0], receiver)


def _next_statement_releases(receiver: cst.BaseExpression, statement: cst.CSTNode,
                             ancestors: Sequence[cst.CSTNode]) -> bool:
    if not ancestors:
        return False
    block = ancestors[-1]
    body = block.body if isinstance(block, (cst.IndentedBlock, cst.Module)) else None
    if body is None:
        return False
    for position, stmt in enumerate(body):
        if stmt is statement:
            following = body[position + 1] if position + 1 < len(body) else None
            if isinstance(following, cst.SimpleStatementLine) and len(following.body) == 1:
                small = following.body[0]
                return isinstance(small, cst.Expr) and _is_release_of(small.value, receiver)
            return False
    return False
