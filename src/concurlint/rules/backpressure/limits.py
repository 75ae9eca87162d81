"""What limits the concurrency of the work CCY402 (unbounded-fan-out) starts: a semaphore or
a lock handed to the started work or taken by the functions it calls (in the same class or
another one), or a pool of workers that take their items from a queue. ``_Limits`` is a
mixin of ``UnboundedFanOut``, so its methods read the rule's context.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Set

import libcst as cst

from ...apis.backpressure import SEMAPHORE_TYPES
from ...semantics.callees import definition_of, function_scope, last_name, walk_body
from ...semantics.scopes import Scope
from .common import _SEMAPHORE_NAME, _LOCK_TYPES, _LOCK_NAME, _WORKER_SOURCE


class _Limits:
    """What bounds the work CCY402 starts: a semaphore or a lock handed to it or taken by the
    functions it calls, or a pool of workers taking items from a queue."""

    def _limited(self, started: cst.BaseExpression, started_args: Sequence[cst.Arg]) -> bool:
        """Is the concurrency of the started work limited by a semaphore or a worker pool?"""
        scope = self.ctx.scope
        for arg in started_args:
            if self._is_semaphore(arg.value, scope) or self._is_lock(arg.value, scope):
                return True  # the coroutine is handed a semaphore/limiter/lock
        if self._function_limits(self.ctx.function.node if self.ctx.function else None, scope):
            return True
        definition = definition_of(self.ctx, started)
        if definition is None:
            return False
        node, owner = definition
        return self._callee_limits(node, owner, 0, set())

    def _function_limits(self, function: Optional[cst.CSTNode], scope: Scope) -> bool:
        """The enclosing function acquires a semaphore (anywhere, nested code included)."""
        if function is None:
            return False
        key = ("CCY402.function_limits", id(function))
        cached = self.ctx.memo.get(key)
        if cached is None:
            cached = self._acquires_semaphore(function, scope, into_scopes=True)
            self.ctx.memo[key] = cached
        return cached

    def _callee_limits(self, node: cst.FunctionDef, owner: Scope, depth: int, seen: Set[int]) -> bool:
        if id(node) in seen or depth > 3:
            return False
        seen.add(id(node))
        key = ("CCY402.callee_limits", id(node))
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        scope = function_scope(self.ctx, node, owner)
        result = self._acquires_semaphore(node, scope, into_scopes=False) or self._is_worker(node)
        if not result:
            for sub in walk_body(node.body):
                if isinstance(sub, cst.Call) and any(
                        not a.star and (self._is_lock(a.value, scope) or self._is_semaphore(a.value, scope))
                        for a in sub.args):
                    result = True  # hands a lock/limiter to the code that does the work
                    break
                if isinstance(sub, cst.Call) and isinstance(sub.func, (cst.Name, cst.Attribute)):
                    inner = definition_of(self.ctx, sub.func, scope)
                    if inner is not None and inner[0] is not node and \
                            self._callee_limits(inner[0], inner[1], depth + 1, seen):
                        result = True
                        break
                    if inner is None and isinstance(sub.func, cst.Attribute) and \
                            self._other_class_limits(sub.func, scope):
                        result = True  # `await self.api.get(u)`: Api.get acquires Api's semaphore
                        break
        self.ctx.memo[key] = result
        return result

    def _other_class_limits(self, func: cst.Attribute, scope: Scope) -> bool:
        """Does ``obj.method`` -- ``obj`` an instance of a class of this module -- acquire a
        semaphore the class holds (``self._sem = asyncio.Semaphore(n)``; ``async with self._sem``)?"""
        kind = self.ctx.type_of(func.value, scope)
        if kind is None or not self.ctx._is_local_class(kind):  # noqa: SLF001 - same package
            return False
        bindings = self.ctx.module_scope.bindings.get(kind.rsplit(".", 1)[-1]) or []
        classdef = bindings[0].node if bindings else None
        if not isinstance(classdef, cst.ClassDef):
            return False
        method = next((d for d in classdef.body.body if isinstance(d, cst.FunctionDef)
                       and d.name.value == func.attr.value), None)
        if method is None:
            return False
        held: Set[str] = set()
        for sub in walk_body(classdef, into_scopes=True):
            if isinstance(sub, (cst.Assign, cst.AnnAssign)) and isinstance(sub.value, cst.Call) and \
                    self.ctx.resolve(sub.value.func, self.ctx.module_scope) in SEMAPHORE_TYPES:
                targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                held.update(t.attr.value for t in targets if isinstance(t, cst.Attribute))
        for sub in walk_body(method):
            items: List[cst.BaseExpression] = []
            if isinstance(sub, cst.With) and sub.asynchronous is not None:
                items = [item.item for item in sub.items]
            elif isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Call) and \
                    isinstance(sub.expression.func, cst.Attribute) and sub.expression.func.attr.value == "acquire":
                items = [sub.expression.func.value]
            for item in items:
                name = last_name(item) or ""
                if isinstance(item, cst.Attribute) and (name in held or _SEMAPHORE_NAME.search(name)):
                    return True
        return False

    def _acquires_semaphore(self, function: cst.CSTNode, scope: Scope, into_scopes: bool) -> bool:
        for sub in walk_body(function, into_scopes=into_scopes):
            if isinstance(sub, cst.With) and sub.asynchronous is not None:
                if any(self._is_semaphore(item.item, scope) for item in sub.items):
                    return True
            elif isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Call):
                func = sub.expression.func
                if isinstance(func, cst.Attribute) and func.attr.value == "acquire" and \
                        self._is_semaphore(func.value, scope):
                    return True
                if isinstance(func, cst.Attribute) and func.attr.value == "acquire_on_behalf_of":
                    return True  # only trio's/anyio's CapacityLimiter has it
        return False

    def _is_semaphore(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, cst.Call):
            kind = self.ctx.resolve(expr.func, scope)
            if kind in SEMAPHORE_TYPES:
                return True
            name = last_name(expr.func)
        else:
            if isinstance(expr, (cst.Name, cst.Attribute)) and self.ctx.type_of(expr, scope) in SEMAPHORE_TYPES:
                return True
            name = last_name(expr)
        return bool(name) and _SEMAPHORE_NAME.search(name) is not None  # type: ignore[arg-type]

    def _is_lock(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, (cst.Name, cst.Attribute)):
            if self.ctx.type_of(expr, scope) in _LOCK_TYPES:
                return True
            return bool(_LOCK_NAME.search(last_name(expr) or ""))
        return False

    def _is_worker(self, node: cst.FunctionDef) -> bool:
        """A coroutine that loops taking items from a queue: N of them form a worker pool."""
        for sub in walk_body(node.body):
            if isinstance(sub, cst.While):
                for inner in walk_body(sub.body):
                    if isinstance(inner, cst.Await) and isinstance(inner.expression, cst.Call) and \
                            isinstance(inner.expression.func, cst.Attribute) and \
                            inner.expression.func.attr.value in ("get", "receive"):
                        return True
            elif isinstance(sub, cst.For) and sub.asynchronous is not None:
                name = last_name(sub.iter)
                if name and _WORKER_SOURCE.search(name):
                    return True
        return False
