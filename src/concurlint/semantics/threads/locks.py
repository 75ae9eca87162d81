"""What holds a lock: ``is_lock`` (a ``threading``/``asyncio``/``multiprocessing`` primitive by
construction, a library lock, or a name matching ``Settings.lock_name_pattern``) and
``is_protected`` (a node lexically inside ``with <lock>:`` or after ``acquire()`` in its
block); shared by CCY301, CCY305 and CCY306 and by the call edges of the scanner.
"""
from __future__ import annotations

import re
from typing import Optional, Pattern, Sequence, Tuple

import libcst as cst

from ...apis.threads import (
    ASYNC_LIBRARY_LOCK_MODULES, ASYNC_LIBRARY_LOCK_NAMES, GUARD_NAME_PATTERN, LOCK_TYPES,
)
from ..context import Context
from ..scopes import Scope
from .common import _LOOPS, last_name


# --------------------------------------------------------------------------- locks
def _patterns(ctx: Context) -> Tuple[Pattern[str], Pattern[str]]:
    key = ("concurlint.threads.lock-pattern", ctx.settings.lock_name_pattern)
    found = ctx.memo.get(key)
    if found is None:
        found = (re.compile(ctx.settings.lock_name_pattern), re.compile(GUARD_NAME_PATTERN))
        ctx.memo[key] = found
    return found


def lock_name_matches(ctx: Context, name: str, guards: bool = True) -> bool:
    lock_pattern, guard_pattern = _patterns(ctx)
    if lock_pattern.search(name):
        return True
    return guards and bool(guard_pattern.search(name))


def is_lock(ctx: Context, expr: cst.BaseExpression, scope: Optional[Scope] = None,
            types: frozenset = LOCK_TYPES, guards: bool = True, _depth: int = 0) -> bool:
    """Is ``expr`` a lock: a known primitive by construction, or lock-named?"""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    scope = scope or ctx.scope
    if isinstance(expr, (cst.Name, cst.Attribute, cst.Call)):
        found = ctx.type_of(expr, scope)
        if found is not None:
            return found in types or (types is LOCK_TYPES and _library_lock(found))
    if types is LOCK_TYPES and isinstance(expr, cst.Call):
        callee = ctx.resolve(expr.func, scope)
        if callee is not None and _library_lock(callee):
            return True  # `trio.Lock()`, `anyio.Semaphore(1)`
    name = last_name(expr)
    if name is None:
        return False
    if isinstance(expr, cst.Subscript) and name.endswith("s"):
        name = name[:-1]  # self._locks[key]
    if lock_name_matches(ctx, name, guards):
        return True
    if isinstance(expr, cst.Name) and _depth < 3:  # lk = self._locks[key]; with lk:
        bindings, owner = ctx.lookup(expr.value, scope)
        if bindings and len(bindings) == 1 and bindings[0].kind == "assign" and not bindings[0].with_item \
                and isinstance(bindings[0].node, cst.BaseExpression) and owner is not None:
            return is_lock(ctx, bindings[0].node, owner, types, guards, _depth + 1)
    if types is LOCK_TYPES and isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        cls = ctx._class_of_self(expr.value.value, scope)  # noqa: SLF001 - same package
        made = cls.attributes.get(expr.attr.value) if cls is not None else None
        if made and all(isinstance(b.node, cst.Call) for b in made):  # self._gate = trio.Lock()
            return all(is_lock(ctx, b.node, b.value_scope or scope, types, guards, _depth + 1)  # type: ignore[arg-type]
                       for b in made)
    return False


def _library_lock(qualname: str) -> bool:
    parts = qualname.split(".")
    return parts[0] in ASYNC_LIBRARY_LOCK_MODULES and parts[-1] in ASYNC_LIBRARY_LOCK_NAMES


def _call_of(small: cst.CSTNode) -> Optional[cst.Call]:
    """The call a simple statement is about: ``x.acquire()``, ``await x.acquire()``, ``ok = x.acquire()``."""
    value: Optional[cst.BaseExpression] = None
    if isinstance(small, cst.Expr):
        value = small.value
    elif isinstance(small, cst.Assign):
        value = small.value
    if isinstance(value, cst.Await):
        value = value.expression
    return value if isinstance(value, cst.Call) else None


def _acquire_state(ctx: Context, stmt: cst.CSTNode, scope: Optional[Scope]) -> Optional[bool]:
    """True when ``stmt`` acquires a lock, False when it releases one, None otherwise.

    ``lock.acquire()`` counts when ``lock`` is a lock (by type or name); lock helpers
    named so (``_acquireLock()``, ``self.acquire()`` in a class that is its own lock, as
    logging handlers are) count too. ``limiter.acquire()`` on a non-lock does not."""
    if isinstance(stmt, cst.Try) and stmt.finalbody is not None:
        for inner in stmt.finalbody.body.body if isinstance(stmt.finalbody.body, cst.IndentedBlock) else ():
            if _acquire_state(ctx, inner, scope) is False:
                return False
        return None
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    state: Optional[bool] = None
    for small in stmt.body:
        call = _call_of(small)
        if call is None:
            continue
        name = (last_name(call.func) or "").lower()
        if "release" in name or name.endswith("unlock"):
            kind = False
        elif "acquire" in name or name in ("lock", "_lock"):
            kind = True
        else:
            continue
        func = call.func
        if isinstance(func, cst.Attribute) and not _lock_receiver(ctx, func.value, scope):
            continue
        state = kind
    return state


def _lock_receiver(ctx: Context, receiver: cst.BaseExpression, scope: Optional[Scope]) -> bool:
    if isinstance(receiver, cst.Name) and ctx._class_of_self(receiver.value, scope or ctx.scope) is not None:  # noqa: SLF001
        return True  # self.acquire(): the object is its own lock
    return is_lock(ctx, receiver, scope)


def _test_acquires(test: cst.BaseExpression) -> bool:
    node = test
    while isinstance(node, cst.UnaryOperation):
        node = node.expression
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Call):
        return "acquire" in (last_name(node.func) or "").lower()
    if isinstance(node, cst.BooleanOperation):
        return _test_acquires(node.left) or _test_acquires(node.right)
    return False


def _block_statements(node: cst.CSTNode) -> Optional[Sequence[cst.CSTNode]]:
    if isinstance(node, (cst.IndentedBlock, cst.Module)):
        return node.body
    return None


def is_protected(ctx: Context, ancestors: Sequence[cst.CSTNode], node: cst.CSTNode,
                 scope: Optional[Scope] = None) -> bool:
    """Is ``node`` lexically inside ``with <lock>:`` (sync or async) or between an
    ``acquire()`` and its ``release()`` in the same function?"""
    child = node
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(ancestor, cst.With) and child is ancestor.body:
            for item in ancestor.items:
                if is_lock(ctx, item.item, scope):
                    return True
        elif isinstance(ancestor, (cst.If, cst.While)) and child is ancestor.body:
            if _test_acquires(ancestor.test):
                return True
        statements = _block_statements(ancestor)
        if statements is not None:
            held = False
            for stmt in statements:
                if stmt is child:
                    break
                state = _acquire_state(ctx, stmt, scope)
                if state is not None:
                    held = state
            if held:
                return True
        child = ancestor
    return False


def in_loop(ancestors: Sequence[cst.CSTNode]) -> bool:
    """Inside a loop or comprehension of the innermost function (or module)?"""
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(ancestor, _LOOPS):
            return True
    return False
