"""CCY306 (read-modify-write-across-await): state read before an ``await`` and written back
after it, so another task can interleave; owns the coroutine-side reasoning: container
updates in place, guarding comparisons, sticky flags, awaits that only raise or are trapped
by cancellation, and second writers of the same state.
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Set, Tuple

import libcst as cst

from ...apis.backends import advice
from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import ASYNC_DEF, CLASS
from ...semantics.threads import (
    code_excerpt, coroutine_facts, function_name, is_protected, last_name, state_key, walk_expression,
)
from ...semantics.traversal import iter_children
from ..base import Rule
from .common import (
    _SCOPE_NODES, shared_kind, _value_nodes, _reads, _derived_nodes, check_then_act, _contains_await,
    _local_read_then_await,
)


# =========================================================================== CCY306
class ReadModifyWriteAcrossAwait(Rule):
    code = "CCY306"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: the round-1 form had 27 "
        "findings, 26 wrong (refreshes, in-place unions, single consumers); the narrowed "
        "rule keeps 1, intended. No real pitfall among its reviewed findings, so `advice`.")
    name = "read-modify-write-across-await"
    summary = Text("shared state read before an `await` and written from that read after it, "
                   "while something else can write it")
    what = Text(
        "In an async function, finds shared state (`self.x`, a `global`, a module-level object) "
        "that is read, then an `await` happens, then the state is written from the value read: "
        "`self.total += await f()`, `n = self.n; await g(); self.n = n + 1`, "
        "`if k not in self.cache: self.cache[k] = await load(k)` -- when something else can write "
        "the same state while the coroutine waits: another function or method of the module writes "
        "it, or the coroutine itself can run more than once at a time (started per item of a loop, "
        "gathered with itself, or registered as a handler or callback). Not reported: a coroutine "
        "started once (one background task is not concurrent with itself); a refresh, where the "
        "old value is only the receiver, an argument or a key of the awaited call "
        "(`self.x = await self.x.update()`, `self.x = await fetch(self.x)`); an in-place update of a "
        "set, dict or list that is never bound anew outside the constructor (`self.seen |= await f()`, "
        "`self.items += await f()`); an awaited same-module coroutine that "
        "only suspends while a cancellation is pending (so it returns without suspending); code "
        "inside `async with` on a lock of asyncio, trio or anyio (or a lock-named object). "
        "Measured for catalog revision 2 on 28 released projects: the round-1 form reported 27 "
        "findings, of which an independent review judged 26 wrong (21 refreshes, 2 in-place unions, "
        "a single-consumer stream, a cancellation checkpoint, a write already under a trio lock) and "
        "1 intended; this narrowed form keeps 1 (the intended one: a check-then-set on a "
        "per-connection dict that another method also writes). With no real pitfall among its "
        "reviewed findings the rule does not pass the admission bar of the default set, so it is "
        "`advice`: `--preset strict` and `--preset learn` report it.")
    why = Text(
        "Tasks only switch at `await`, which makes single statements safe -- but not a read and a "
        "write separated by an `await`. While this task waits, another task reads the same old "
        "value; both write, and one update is lost (or the same value is loaded twice). That needs "
        "a second writer: a coroutine that only ever runs once, with nothing else writing the state, "
        "cannot lose an update this way.")
    example = (
        "import asyncio\n\nclass Wallet:\n    async def deposit(self, amount):\n        balance = self.balance\n"
        "        await audit(amount)\n        self.balance = balance + amount\n\n"
        "async def main(wallet):\n    await asyncio.gather(*(wallet.deposit(n) for n in (1, 2, 3)))\n")
    use_instead = (
        "import asyncio\n\nclass Wallet:\n    def __init__(self):\n        self._lock = asyncio.Lock()\n\n"
        "    async def deposit(self, amount):\n        async with self._lock:\n"
        "            balance = self.balance\n            await audit(amount)\n"
        "            self.balance = balance + amount\n\n"
        "async def main(wallet):\n    await asyncio.gather(*(wallet.deposit(n) for n in (1, 2, 3)))\n")
    options = Text(
        "`lock-name-pattern` (default `(?i)(^|_)(r?lock|mutex)$`): objects whose name matches count "
        "as locks in `async with` even when their type is unknown. Messages name the module's own "
        "library lock (`asyncio.Lock`, `trio.Lock`, `anyio.Lock`; `async-backend` when the imports "
        "do not say).")
    valid = (
        "import asyncio\nclass C:\n    async def f(self):\n        n = await g()\n        self.total += n\n"
        "    def reset(self):\n        self.total = 0\n",
        "import asyncio\nclass C:\n    def __init__(self):\n        self.lock = asyncio.Lock()\n"
        "    async def f(self):\n        async with self.lock:\n            self.total += await g()\n"
        "    def reset(self):\n        self.total = 0\n",
        "async def f():\n    total = 0\n    total += await g()\n    return total\n",
        "class C:\n    async def refresh(self):\n        self.state = await self.api.fetch(self.state)\n"
        "    def reset(self):\n        self.state = None\n",
        "import asyncio\nclass C:\n    async def run(self):\n        self.total += await g()\n"
        "    def start(self):\n        self.task = asyncio.create_task(self.run())\n",
    )
    invalid = (
        "class C:\n    async def f(self):\n        self.total += await g()\n"
        "    def reset(self):\n        self.total = 0\n",
        "import asyncio\nclass C:\n    async def f(self):\n        n = self.n\n        await g()\n"
        "        self.n = n + 1\n    async def main(self):\n        await asyncio.gather(self.f(), self.f())\n",
        "import asyncio\ncache = {}\nasync def get(k):\n    if k not in cache:\n        cache[k] = await load(k)\n"
        "    return cache[k]\nasync def main(keys):\n    await asyncio.gather(*(get(k) for k in keys))\n",
    )

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not self.ctx.in_async_function:
            return
        if _contains_await(node.value):
            if not _in_place_update(self.ctx, node):
                self._check(node, node.target)
            return
        guard = _guarding_comparison(node.target, self.ctx.ancestors)
        if guard is not None and _await_between(self.ctx, guard, node, self.ctx.ancestors):
            self._check(node, node.target, "cta")

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.ctx.in_async_function or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if not isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
            return
        shared = shared_kind(self.ctx, target, params=False)
        if shared is None or shared[0] == "closure":
            return
        refresh = _refresh(node.value)
        if not refresh and _read_before_await(node.value, target) and not _sticky_flag(node.value, target):
            self._check(node, target)
            return
        guard = check_then_act(self.ctx, target, self.ctx.ancestors) if isinstance(target, cst.Subscript) else None
        if guard is None and not refresh and _reads(node.value, target):
            # `if self.n > 0: await ...; self.n = self.n - 1` (a plain store such as
            # `self.state = ON` after `if self.state != ON: await ...` is not an update)
            guard = _guarding_comparison(target, self.ctx.ancestors)
        if guard is not None and _await_between(self.ctx, guard, node, self.ctx.ancestors):
            self._check(node, target, "cta")
            return
        self._check_through_local(node, target, node.value)

    def _check_through_local(self, node: cst.CSTNode, target: cst.BaseExpression,
                             value: cst.BaseExpression) -> None:
        names = {n.value for n in _derived_nodes(value) if isinstance(n, cst.Name)}
        if not names:
            return
        if not isinstance(target, (cst.Attribute, cst.Subscript, cst.Name)):
            return
        if _local_read_then_await(target, names, node, self.ctx.ancestors):
            self._check(node, target)

    def _check(self, node: cst.CSTNode, target: cst.BaseExpression, pattern: str = "rmw") -> None:
        ctx = self.ctx
        shared = shared_kind(ctx, target, params=False)
        if shared is None or shared[0] == "closure":
            return
        if is_protected(ctx, ctx.ancestors, node):
            return
        function = ctx.function
        if function is None:
            return
        meanwhile = _second_writer(ctx, target, function.node)
        if meanwhile is None:
            return  # nothing else can write it while this coroutine waits
        if pattern == "cta":
            message = Text(
                "'{what}' is checked, then written after an 'await' in '{name}'; {because}, so "
                "the check may no longer hold: guard both with one {lock} ('async with lock:')")
        else:
            message = Text(
                "'{what}' is read before an 'await' and written from that value after it in "
                "'{name}'; {because}, and an update made meanwhile is lost: hold one {lock} "
                "across both ('async with lock:') or compute the new value after the await")
        self.report(node, message.format(what=code_excerpt(ctx, target), name=function.name, because=meanwhile,
                                         lock=advice(ctx.async_backend, "lock")))


def _second_writer(ctx: Context, target: cst.BaseExpression,
                   function: cst.CSTNode) -> Optional[Text]:
    """What else can write ``target`` while ``function`` waits, as message text."""
    key = state_key(ctx, target)
    if key is None:
        return None
    facts = coroutine_facts(ctx)
    others = facts.other_writers(key, function)
    if others:
        first = min(others, key=lambda f: ctx.line_of(f) or 0)
        other = function_name(first)
        return Text("'{other}' also writes it").format(other=other)
    started = facts.concurrent.get(function)  # type: ignore[arg-type]
    if started is None:
        return None
    line = ctx.line_of(started.node)
    how = _HOW_STARTED[started.how]
    name = function_name(function)
    if line is None:
        return Text("'{name}' can run in several tasks at once ({how})").format(name=name, how=how)
    return Text("'{name}' can run in several tasks at once ({how} on line {line})").format(
        name=name, how=how, line=line)


# how ``coroutine_facts`` saw a coroutine started more than once, for messages
_HOW_STARTED = {
    "loop": Text("started for each item of a loop or comprehension"),
    "gather": Text("gathered with itself"),
    "callback": Text("registered as a handler or callback"),
}


def _refresh(value: cst.BaseExpression) -> bool:
    """``await fetch(self.x)``, ``await self.x.update()``, ``(await f(self.x)).data``: the new
    value is the awaited result; the old one was only its receiver, argument or key."""
    node = value
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return isinstance(node, cst.Await)


# Constructors and annotations that make an attribute a mutable container, and the
# augmented operators that update each kind in place.
_CONTAINER_CALLS = {"set": "set", "dict": "dict", "list": "list", "defaultdict": "dict",
                    "OrderedDict": "dict", "deque": "list"}
_CONTAINER_ANNOTATIONS = {"set": "set", "Set": "set", "MutableSet": "set", "dict": "dict", "Dict": "dict",
                          "MutableMapping": "dict", "defaultdict": "dict", "DefaultDict": "dict",
                          "OrderedDict": "dict", "list": "list", "List": "list", "MutableSequence": "list",
                          "deque": "list", "Deque": "list"}
_IN_PLACE_OPERATORS = {"set": (cst.BitOrAssign, cst.BitAndAssign, cst.SubtractAssign, cst.BitXorAssign),
                       "dict": (cst.BitOrAssign,), "list": (cst.AddAssign,)}


def _container_kind(binding_value: Optional[cst.CSTNode], annotation: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(binding_value, cst.Set):
        return "set"
    if isinstance(binding_value, cst.Dict) or isinstance(binding_value, cst.DictComp):
        return "dict"
    if isinstance(binding_value, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(binding_value, cst.SetComp):
        return "set"
    if isinstance(binding_value, cst.Call):
        kind = _CONTAINER_CALLS.get(last_name(binding_value.func) or "")
        if kind is not None:
            return kind
    if annotation is not None:
        base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        return _CONTAINER_ANNOTATIONS.get(last_name(base) or "")  # type: ignore[arg-type]
    return None


def _in_place_update(ctx: Context, node: cst.AugAssign) -> bool:
    """``self.seen |= await f()`` on a set/dict (``+=`` on a list) that is never bound anew
    outside the constructor: the operator updates the one shared object, nothing is lost."""
    key = state_key(ctx, node.target)
    if key is None or not isinstance(node.target, (cst.Attribute, cst.Name)):
        return False
    if isinstance(node.target, cst.Attribute) and not isinstance(node.target.value, cst.Name):
        return False
    if coroutine_facts(ctx).rebinds.get(key):
        return False
    if key[0] == "self":
        cls = ctx._class_of_self(node.target.value.value, ctx.scope)  # type: ignore[union-attr]  # noqa: SLF001
        bindings = cls.attributes.get(node.target.attr.value, []) if cls is not None else []  # type: ignore[union-attr]
    else:
        bindings = ctx.module_scope.bindings.get(str(key[1]), [])
    kinds = {_container_kind(b.node, b.annotation) for b in bindings}
    if len(kinds) != 1:
        return False
    kind = kinds.pop()
    return kind is not None and isinstance(node.operator, _IN_PLACE_OPERATORS[kind])


def _guarding_comparison(target: cst.BaseExpression, ancestors: Sequence[cst.CSTNode]) -> Optional[cst.If]:
    """``if self.balance >= amount:`` ... ``self.balance -= amount``: the ``if`` whose test
    compares the written state (a value check; ``is None`` / truthiness lazy-init tests aside)."""
    if not isinstance(target, (cst.Attribute, cst.Subscript, cst.Name)):
        return None
    child: cst.CSTNode = target
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, _SCOPE_NODES):
            return None
        if isinstance(ancestor, cst.If) and child is ancestor.body:
            for node in walk_expression(ancestor.test):
                if isinstance(node, cst.Comparison) and not any(
                        isinstance(c.operator, (cst.Is, cst.IsNot)) for c in node.comparisons):
                    sides = [node.left] + [c.comparator for c in node.comparisons]
                    if any(isinstance(side, type(target)) and side.deep_equals(target) for side in sides):
                        return ancestor
        child = ancestor
    return None


def _sticky_flag(value: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """``self.modified = self.modified or ...``: a flag being raised, not an accumulation."""
    return isinstance(value, cst.BooleanOperation) and value.left.deep_equals(target)


def _read_before_await(value: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """``self.x + await f()`` or ``await f(self.x)``: a read of ``target`` evaluated before a suspension."""
    awaits = [n for n in walk_expression(value) if isinstance(n, cst.Await)]
    if not awaits:
        return False
    last_await_nodes: Set[int] = set()
    for aw in awaits:
        for inner in walk_expression(aw):
            last_await_nodes.add(id(inner))
    seen_await_end = False
    order = list(_value_nodes(value))
    # position of the end of the last await subtree
    end_index = 0
    for index, inner in enumerate(order):
        if id(inner) in last_await_nodes:
            end_index = index
    del seen_await_end
    container = target.value if isinstance(target, cst.Subscript) else None
    for index, inner in enumerate(order):
        if index > end_index:
            break
        if isinstance(inner, type(target)) and inner.deep_equals(target):
            return True
        if container is not None and isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) \
                and inner.func.attr.value == "get" and inner.func.value.deep_equals(container):
            return True
    return False


def _await_between(ctx: Context, guard: cst.If, write: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> bool:
    if isinstance(write, cst.Assign) and _contains_await(write.value):
        return True
    # statements of the guarded body before the write
    chain = list(ancestors) + [write]
    try:
        start = chain.index(guard)
    except ValueError:
        return False
    for position in range(start + 1, len(chain) - 1):
        block = chain[position]
        if isinstance(block, cst.IndentedBlock):
            child = chain[position + 1]
            for stmt in block.body:
                if stmt is child:
                    break
                if _contains_await(stmt) and not _returns_without_suspending(ctx, stmt):
                    return True
    return False


def _returns_without_suspending(ctx: Context, stmt: cst.CSTNode) -> bool:
    """``await checkpoint_if_cancelled()``: a statement whose only suspension points are
    awaits of same-module coroutines that suspend only while a cancellation is pending and
    loop until it is delivered -- when they return, they never suspended."""
    found = False
    for node in walk_expression(stmt):
        if isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None:
            return False
        if isinstance(node, cst.Await):
            callee = _same_module_coroutine(ctx, node.expression)
            if callee is None or not _suspends_only_to_raise(callee):
                return False
            found = True
    return found


def _same_module_coroutine(ctx: Context, expr: cst.BaseExpression) -> Optional[cst.FunctionDef]:
    if not isinstance(expr, cst.Call):
        return None
    func = expr.func
    if isinstance(func, cst.Name):
        bindings, _owner = ctx.lookup(func.value)
        defs = [b.node for b in bindings or () if b.kind == ASYNC_DEF]
        return defs[0] if len(defs) == 1 and len(bindings or ()) == 1 else None  # type: ignore[return-value]
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return None
    owner = ctx._class_of_self(func.value.value, ctx.scope)  # noqa: SLF001 - same package
    cls_node: Optional[cst.CSTNode] = owner.node if owner is not None else None
    if cls_node is None:
        bindings, _scope = ctx.lookup(func.value.value)
        if bindings and len(bindings) == 1 and bindings[0].kind == CLASS:
            cls_node = bindings[0].node
    if not isinstance(cls_node, cst.ClassDef) or not isinstance(cls_node.body, cst.IndentedBlock):
        return None
    for stmt in cls_node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == func.attr.value:
            return stmt if stmt.asynchronous is not None else None
    return None


def _suspends_only_to_raise(function: cst.FunctionDef) -> bool:
    """Every suspension of ``function`` sits in a branch of a ``while`` loop, taken while a
    cancellation is pending (the branch's test names one), that neither leaves the loop nor
    changes the names its tests read: the loop comes back to it until the cancellation raises."""
    awaits: List[List[cst.CSTNode]] = []
    stack: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = [(function.body, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None:
            return False
        if isinstance(node, cst.Await):
            awaits.append(list(path))
            continue
        for child in iter_children(node):
            stack.append((child, path + (node,)))
    return bool(awaits) and all(_trapped(path) for path in awaits)


_CANCEL_PENDING = re.compile(r"(?i)cancel(l?ed|ling|_called|_requested|_pending)")


def _trapped(path: List[cst.CSTNode]) -> bool:
    tests: List[cst.BaseExpression] = []
    checked: List[cst.CSTNode] = []
    cancel_test = False
    for index in range(len(path) - 1, -1, -1):
        node = path[index]
        child = path[index + 1] if index + 1 < len(path) else None
        if isinstance(node, cst.While):
            if child is not node.body or node.orelse is not None:
                return False
            tests.append(node.test)
            written = set()
            for stmt in checked:
                for inner in walk_expression(stmt):
                    if isinstance(inner, (cst.Break, cst.Return)):
                        return False
                    if isinstance(inner, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
                        targets = inner.targets if isinstance(inner, cst.Assign) else [inner]
                        for target in targets:
                            written |= _target_names_of(target.target)
            read = {n.value for test in tests for n in walk_expression(test) if isinstance(n, cst.Name)}
            return cancel_test and not (read & written)
        if isinstance(node, cst.If):
            if child is node.test:
                return False
            tests.append(node.test)
            if child is node.body and any(isinstance(n, cst.Name) and _CANCEL_PENDING.search(n.value)
                                          for n in walk_expression(node.test)):
                cancel_test = True
        elif isinstance(node, cst.IndentedBlock):
            checked.extend(stmt for stmt in node.body if stmt is not child)
        elif not isinstance(node, (cst.SimpleStatementLine, cst.Expr, cst.Else)):
            return False
    return False


def _target_names_of(target: cst.BaseExpression) -> Set[str]:
    return {n.value for n in walk_expression(target) if isinstance(n, cst.Name)}
