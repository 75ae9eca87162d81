"""Helpers shared by the CCY4 rule modules: argument lookup of a call, the names bound by a
loop or comprehension target, the root name of an expression, the name patterns that
recognise semaphores, locks, task owners, teardown and worker sources, task-helper and
wrapper calls, and the short excerpts used in messages.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ...apis.backpressure import (
    AWAITABLE_WRAPPERS, OWNED_TEARDOWN_PATTERN, POOLED_METHOD_PATTERN, TEARDOWN_PATTERN,
)
from ...semantics.callees import last_name
from ..base import Rule


# ----------------------------------------------------------------------------- helpers


def _call_args(call: cst.Call) -> Tuple[List[cst.Arg], Dict[str, cst.Arg], bool]:
    """Positional args, keyword args, and whether ``*``/``**`` make the rest unknown."""
    positional: List[cst.Arg] = []
    keywords: Dict[str, cst.Arg] = {}
    unknown = False
    for arg in call.args:
        if arg.star:
            unknown = True
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = arg
        else:
            positional.append(arg)
    return positional, keywords, unknown


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
# Names people give semaphores and limiters (when their type cannot be seen).
_SEMAPHORE_NAME = re.compile(
    r"(?i)(^|_)(sem|sema|semaphore|semaphores|limiter|limit|throttle|throttler|concurrency|"
    r"capacity|slots?|bounded)$|semaphore")
_TASK_OWNER_NAME = re.compile(r"(?i)(loop|^tg$|_tg$|task_?group|group|nursery)$")
# Names people give locks (as CCY301's default lock-name-pattern): a lock handed to the
# code that does the work serialises it.
_LOCK_NAME = re.compile(r"(?i)(^|_)(r?lock|mutex)$")
_LOCK_TYPES = frozenset({"asyncio.Lock", "trio.Lock", "anyio.Lock", "trio.StrictFIFOLock"})
_POOLED_METHOD = re.compile(POOLED_METHOD_PATTERN)
_TEARDOWN = re.compile(TEARDOWN_PATTERN)
_OWNED_TEARDOWN = re.compile(OWNED_TEARDOWN_PATTERN)
_WORKER_SOURCE = re.compile(r"(?i)(queue|^q$|_q$|channel|inbox|jobs|work)")


# (started function, its arguments, the unknown iterable, the loop/comprehension)
_Source = Tuple[cst.BaseExpression, Sequence[cst.Arg], cst.CSTNode, Optional[cst.CSTNode]]


# Collections of registered callables (signal receivers, hooks, plugins): the program sizes
# them, not its input, so starting each of them at once is dispatch, not unbounded fan-out.
_CALLABLE_REGISTRY = re.compile(
    r"(?i)(receiver|handler|callback|hook|plugin|middleware)s?$")


def _names_in_target(target: cst.BaseExpression, out: Set[str]) -> None:
    if isinstance(target, cst.Name):
        out.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _names_in_target(element.value, out)
    elif isinstance(target, cst.StarredElement):
        _names_in_target(target.value, out)


def _target_names(construct: Optional[cst.CSTNode]) -> Set[str]:
    """Names a ``for`` loop or a comprehension binds for each item."""
    names: Set[str] = set()
    if isinstance(construct, cst.For):
        _names_in_target(construct.target, names)
    elif isinstance(construct, _COMPREHENSIONS):
        for comp_for in _comp_fors(construct):  # type: ignore[arg-type]
            _names_in_target(comp_for.target, names)
    return names


_ROOT_THROUGH = frozenset({"getattr", "list", "tuple", "set", "frozenset", "sorted", "reversed",
                           "enumerate", "iter"})


def _root(expr: cst.BaseExpression) -> Optional[str]:
    """``a.b[c].d()`` -> ``a``: the name an expression is reached from."""
    for _ in range(12):
        if isinstance(expr, cst.Call):
            name = expr.func.value if isinstance(expr.func, cst.Name) else None
            if name in _ROOT_THROUGH and expr.args and not expr.args[0].star:
                expr = expr.args[0].value  # getattr(item, m), list(self.items): the object itself
            else:
                expr = expr.func
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        else:
            break
    return expr.value if isinstance(expr, cst.Name) else None


def _is_stub(function: cst.FunctionDef) -> bool:
    """An abstract method or a body left to subclasses: docstring, ``pass``, ``...``, ``raise``."""
    if any(last_name(d.decorator) in ("abstractmethod", "overload") for d in function.decorators):
        return True
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else function.body.body
    for statement in body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
        for small in smalls:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.Ellipsis,
                                                                         cst.ConcatenatedString)):
                continue
            return False
    return True


def _is_task_helper(call: cst.Call) -> bool:
    """A project helper that schedules what it is given (``spawn(x)``, ``create_eager_task(coro)``)."""
    return "task" in (last_name(call.func) or "").lower() and bool(call.args) \
        and call.args[0].keyword is None and not call.args[0].star


def _is_wrapper(name: Optional[str], call: cst.Call) -> bool:
    """``wait_for(f(x), 5)``, ``create_eager_task(f(x))``: the first argument does the work."""
    if not call.args or not isinstance(call.args[0].value, cst.Call) or call.args[0].keyword is not None:
        return False
    if name in AWAITABLE_WRAPPERS:
        return True
    last = last_name(call.func) or ""
    return "task" in last.lower()  # project helpers that schedule a coroutine


def _comp_fors(comp: cst.BaseComp) -> List[cst.CompFor]:
    fors = []
    current: Optional[cst.CompFor] = comp.for_in
    while current is not None:
        fors.append(current)
        current = current.inner_for_in
    return fors


def _describe(ctx_rule: Rule, expr: cst.CSTNode, limit: int = 40) -> str:
    text = ctx_rule.ctx.module.code_for_node(expr).strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callee_text(rule: Rule, started: cst.BaseExpression) -> str:
    """``self._zha.devices[m.ieee].async_add_to_group`` -> ``...async_add_to_group``."""
    text = _describe(rule, started, 1000)
    if len(text) <= 32:
        return text
    name = last_name(started)
    return f"...{name}" if name else _describe(rule, started, 32)
