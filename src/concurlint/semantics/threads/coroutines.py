"""What CCY306 needs to tell a lost update from a sequential one: which state other
functions write (``state_key``, ``state_root``), and which coroutines can run more than once
at a time (``coroutine_facts``: started per item of a loop, gathered with themselves, or
registered as callbacks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..context import Context
from ..scopes import Scope
from ..traversal import iter_children
from .common import FunctionNode, _LOOPS, last_name, _target_names


# --------------------------------------------------------------------------- coroutines
# What CCY306 needs to tell a lost update from a sequential one: which state other
# functions write, and which coroutines can run more than once at a time. A
# read-modify-write across an `await` only loses an update when something else can
# write the same state while the coroutine is suspended.
StateKey = Tuple[object, ...]  # ("self", ClassDef, attr) or ("module", name)

_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__"})
_MUTATING_METHODS = frozenset({
    "append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft", "popitem", "clear",
    "update", "setdefault", "add", "discard", "remove", "sort", "reverse", "__setitem__", "__delitem__",
})
# Calls that take coroutine objects and run them as tasks or side by side.
_COMBINATORS = frozenset({
    "gather", "wait", "as_completed", "create_task", "ensure_future", "run_coroutine_threadsafe",
    "async_create_task", "async_create_background_task", "create_background_task", "spawn",
})
_GATHERING = frozenset({"gather", "wait", "as_completed"})
# Calls that run the coroutine they are given to completion before returning.
_RUNS_TO_COMPLETION = frozenset({"run", "run_until_complete"})
# Calls that take a coroutine *function* and start it once (trio/anyio task starts, runners).
_ONE_SHOT_STARTS = frozenset({"start_soon", "start", "run", "run_until_complete"})
# Decorators that wrap a function without registering it anywhere.
_PLAIN_DECORATOR_ROOTS = frozenset({
    "functools", "abc", "typing", "typing_extensions", "contextlib", "pytest", "unittest", "mock",
    "asyncio", "trio", "anyio", "dataclasses", "enum", "builtins", "types", "warnings",
})
_PLAIN_DECORATOR_NAMES = frozenset({"setter", "getter", "deleter", "wraps", "patch", "object", "dict"})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_NOT_HANDED_ON = (cst.Attribute, cst.AssignTarget, cst.Decorator, cst.Param, cst.FunctionDef, cst.ClassDef,
                  cst.ImportAlias, cst.AsName, cst.NameItem, cst.Await)


@dataclass
class Concurrency:
    """Why a coroutine can run more than once at a time: how and where it is started."""

    how: str  # "loop" (started per item), "gather" (gathered with itself), "callback" (registered)
    node: cst.CSTNode


@dataclass
class CoroutineFacts:
    # state -> functions (other than constructors) that write it
    writers: Dict[StateKey, Set[FunctionNode]] = field(default_factory=dict)
    # state -> functions (other than constructors) that bind it anew (`self.x = ...`)
    rebinds: Dict[StateKey, Set[FunctionNode]] = field(default_factory=dict)
    concurrent: Dict[FunctionNode, Concurrency] = field(default_factory=dict)
    owner_class: Dict[FunctionNode, cst.ClassDef] = field(default_factory=dict)

    def other_writers(self, key: StateKey, function: Optional[cst.CSTNode]) -> List[FunctionNode]:
        return [f for f in self.writers.get(key, ()) if f is not function]


def coroutine_facts(ctx: Context) -> CoroutineFacts:
    """The module's state writers and concurrently started coroutines (computed once, on demand)."""
    key = "concurlint.threads.coroutines"
    found = ctx.memo.get(key)
    if found is None:
        found = _CoroutineScan(ctx).run()
        ctx.memo[key] = found
    return found


def state_key(ctx: Context, target: cst.BaseExpression, scope: Optional[Scope] = None) -> Optional[StateKey]:
    """The shared state a write target names, as ``coroutine_facts`` keys it."""
    scope = scope or ctx.scope
    if isinstance(target, cst.Name):
        bindings, owner = ctx.lookup(target.value, scope)
        return ("module", target.value) if owner is ctx.module_scope and bindings else None
    root, attr = state_root(target)
    if root is None:
        return None
    cls = ctx._class_of_self(root.value, scope)  # noqa: SLF001 - same package
    if cls is not None:
        return ("self", cls.node, attr) if attr is not None else None
    bindings, owner = ctx.lookup(root.value, scope)
    return ("module", root.value) if owner is ctx.module_scope and bindings else None


def state_root(expr: cst.BaseExpression) -> Tuple[Optional[cst.Name], Optional[str]]:
    """``self.a.b[k]`` -> (Name self, "a"): the root name and the attribute right after it."""
    first_attr: Optional[str] = None
    node = expr
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Attribute):
            first_attr = node.attr.value
        node = node.value
    return (node if isinstance(node, cst.Name) else None), first_attr


@dataclass
class _Frame:
    function: Optional[FunctionNode]
    cls: Optional[cst.ClassDef]  # the class whose `self` this code sees
    self_name: Optional[str]
    is_class_body: bool = False
    globals: Set[str] = field(default_factory=set)
    locals: Set[str] = field(default_factory=set)


_Use = Tuple[Optional[FunctionNode], str, Optional[cst.ClassDef], bool, Optional[Concurrency]]


class _CoroutineScan:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.out = CoroutineFacts()
        self.defs: Dict[str, List[cst.FunctionDef]] = {}
        self.methods: Dict[cst.ClassDef, Dict[str, cst.FunctionDef]] = {}
        # (user, callee name, class of `self` when used on it, used as an attribute, evidence)
        self.uses: List[_Use] = []
        self.module_names = set(ctx.module_scope.bindings)

    def run(self) -> CoroutineFacts:
        frames: List[_Frame] = [_Frame(None, None, None)]
        ancestors: List[cst.CSTNode] = []
        stack: List[Tuple[bool, cst.CSTNode]] = [(False, self.ctx.module)]
        while stack:
            leaving, node = stack.pop()
            if leaving:
                ancestors.pop()
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    frames.pop()
                continue
            frame = frames[-1]
            if isinstance(node, cst.FunctionDef):
                frames.append(self.enter_function(node, frame))
            elif isinstance(node, cst.ClassDef):
                self.methods.setdefault(node, {})
                frames.append(_Frame(frame.function, node, None, is_class_body=True))
            else:
                self.visit(node, frame, ancestors)
            ancestors.append(node)
            stack.append((True, node))
            stack.extend((False, child) for child in reversed(iter_children(node)))
        self.finish()
        return self.out

    # ---- scopes
    def enter_function(self, node: cst.FunctionDef, outer: _Frame) -> _Frame:
        self.defs.setdefault(node.name.value, []).append(node)
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params,
                                         *node.params.kwonly_params)]
        cls, self_name = outer.cls, outer.self_name
        if outer.is_class_body and outer.cls is not None:
            self.methods[outer.cls][node.name.value] = node
            self.out.owner_class[node] = outer.cls
            static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
                         for d in node.decorators)
            self_name = params[0] if params and not static else None
        elif self_name is not None and self_name in params:
            cls, self_name = None, None  # a nested function's own `self`
        if node.asynchronous is not None and self.registering_decorator(node):
            self.out.concurrent.setdefault(node, Concurrency("callback", node))
        frame = _Frame(node, cls, self_name)
        frame.locals.update(params)
        return frame

    def registering_decorator(self, node: cst.FunctionDef) -> bool:
        """``@app.get("/")``, ``@bot.event``: the coroutine is a handler, run once per event."""
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            if not isinstance(expr, cst.Attribute) or expr.attr.value in _PLAIN_DECORATOR_NAMES:
                continue
            root: cst.BaseExpression = expr
            while isinstance(root, (cst.Attribute, cst.Call)):
                root = root.value if isinstance(root, cst.Attribute) else root.func
            if not isinstance(root, cst.Name):
                continue
            qualname = self.ctx.resolve(expr) or ""
            if root.value in _PLAIN_DECORATOR_ROOTS or qualname.split(".", 1)[0] in _PLAIN_DECORATOR_ROOTS:
                continue
            return True
        return False

    # ---- statements and expressions
    def visit(self, node: cst.CSTNode, frame: _Frame, ancestors: List[cst.CSTNode]) -> None:
        if isinstance(node, cst.Global):
            frame.globals.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                self.write(target.target, frame, rebind=True)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            if not isinstance(node, cst.AnnAssign) or node.value is not None:
                self.write(node.target, frame, rebind=isinstance(node, cst.AnnAssign))
        elif isinstance(node, cst.Del):
            self.write(node.target, frame, rebind=False)
        elif isinstance(node, (cst.For, cst.CompFor)):
            self.bind_locals(node.target, frame)
        elif isinstance(node, cst.AsName):
            self.bind_locals(node.name, frame)  # type: ignore[arg-type]
        elif isinstance(node, cst.Call):
            self.call(node, frame, ancestors)
        elif isinstance(node, (cst.Name, cst.Attribute)):
            self.reference(node, frame, ancestors)

    @staticmethod
    def bind_locals(target: cst.BaseExpression, frame: _Frame) -> None:
        frame.locals.update(name for name in _target_names(target) if name not in frame.globals)

    def write(self, target: cst.BaseExpression, frame: _Frame, rebind: bool) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.write(element.value, frame, rebind)
            return
        if isinstance(target, cst.StarredElement):
            self.write(target.value, frame, rebind)
            return
        if isinstance(target, cst.Name) and target.value not in frame.globals:
            frame.locals.add(target.value)
            return
        key = self.key(target, frame)
        function = frame.function
        if key is None or function is None or _function_name(function) in _CONSTRUCTORS:
            return
        self.out.writers.setdefault(key, set()).add(function)
        if rebind and (isinstance(target, cst.Name) or (
                isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name))):
            self.out.rebinds.setdefault(key, set()).add(function)

    def key(self, target: cst.BaseExpression, frame: _Frame) -> Optional[StateKey]:
        if isinstance(target, cst.Name):
            return ("module", target.value) if target.value in frame.globals else None
        root, attr = state_root(target)
        if root is None:
            return None
        if frame.self_name is not None and root.value == frame.self_name:
            return ("self", frame.cls, attr) if attr is not None and frame.cls is not None else None
        if root.value in frame.globals or (root.value not in frame.locals and root.value in self.module_names):
            return ("module", root.value)
        return None

    def call(self, node: cst.Call, frame: _Frame, ancestors: List[cst.CSTNode]) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATING_METHODS:
            self.write(func.value, frame, rebind=False)
        if isinstance(func, cst.Name):
            name, cls, attr = func.value, None, False
        elif isinstance(func, cst.Attribute):
            name, attr = func.attr.value, True
            receiver = func.value
            cls = frame.cls if isinstance(receiver, cst.Name) and receiver.value == frame.self_name else None
        else:
            return
        self.uses.append((frame.function, name, cls, attr, _call_concurrency(node, ancestors)))

    def reference(self, node: cst.CSTNode, frame: _Frame, ancestors: List[cst.CSTNode]) -> None:
        """A coroutine function handed on without being called: a callback or handler."""
        parent = ancestors[-1] if ancestors else None
        if isinstance(parent, cst.Call) and parent.func is node:
            return
        if isinstance(parent, _NOT_HANDED_ON):
            return  # part of a longer name, a definition or a target: nothing handed on
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return
        if isinstance(parent, (cst.For, cst.CompFor, cst.AugAssign, cst.AnnAssign)) \
                and parent.target is node:  # type: ignore[union-attr]
            return
        if isinstance(node, cst.Name):
            name, cls, attr = node.value, None, False
        else:
            assert isinstance(node, cst.Attribute)
            name, attr = node.attr.value, True
            receiver = node.value
            cls = frame.cls if isinstance(receiver, cst.Name) and receiver.value == frame.self_name else None
        evidence = Concurrency("callback", node)
        if isinstance(parent, cst.Arg) and len(ancestors) > 1 and isinstance(ancestors[-2], cst.Call) \
                and last_name(ancestors[-2].func) in _ONE_SHOT_STARTS:
            if not _in_loop(ancestors):
                return  # `nursery.start_soon(self._run)`: one background task, not concurrent with itself
            evidence = Concurrency("loop", ancestors[-2])
        self.uses.append((frame.function, name, cls, attr, evidence))

    # ---- resolution
    def candidates(self, name: str, cls: Optional[cst.ClassDef], attr: bool) -> List[cst.FunctionDef]:
        if cls is not None:
            method = self.methods.get(cls, {}).get(name)
            if method is not None:
                return [method]
        owners = self.out.owner_class
        return [f for f in self.defs.get(name, ()) if (f in owners) == attr]

    def finish(self) -> None:
        concurrent = self.out.concurrent
        edges: Dict[Optional[FunctionNode], List[cst.FunctionDef]] = {}
        for user, name, cls, attr, evidence in self.uses:
            callees = self.candidates(name, cls, attr)
            for callee in callees:
                if callee.asynchronous is None and evidence is not None and evidence.how == "callback":
                    continue
                if evidence is not None and callee.asynchronous is not None:
                    concurrent.setdefault(callee, evidence)
                edges.setdefault(user, []).append(callee)
        work = list(concurrent)
        while work:
            current = work.pop()
            for callee in edges.get(current, ()):
                if callee not in concurrent:
                    concurrent[callee] = concurrent[current]
                    work.append(callee)


def _function_name(node: FunctionNode) -> str:
    return node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"


def _in_loop(ancestors: Sequence[cst.CSTNode]) -> bool:
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return False
        if isinstance(ancestor, _LOOPS):
            return True
    return False


def _call_concurrency(call: cst.Call, ancestors: Sequence[cst.CSTNode]) -> Optional[Concurrency]:
    """A call whose coroutine is not awaited in place and is started per item of a loop,
    or gathered together with another call of the same function."""
    combinator: Optional[cst.Call] = None
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, cst.Await) or (
                isinstance(ancestor, cst.Call) and last_name(ancestor.func) in _RUNS_TO_COMPLETION):
            return None  # run to completion where it is made, before the next one starts
        if isinstance(ancestor, cst.Call) and last_name(ancestor.func) in _COMBINATORS:
            combinator = ancestor
            break
        if isinstance(ancestor, _COMPREHENSIONS) or isinstance(
                ancestor, (cst.BaseStatement, cst.BaseSmallStatement, cst.Lambda)):
            break
    if _in_loop(ancestors):
        return Concurrency("loop", combinator or call)
    if combinator is not None and last_name(combinator.func) in _GATHERING:
        for arg in combinator.args:
            value = arg.value
            if value is not call and isinstance(value, cst.Call) and value.func.deep_equals(call.func):
                return Concurrency("gather", combinator)
    return None
