"""Which code runs in other threads (or processes), and what holds a lock.

``thread_targets(ctx)`` answers "does this function run in a thread?" for every
function of a module. Targets are often defined before the call that starts them,
so the answer needs a per-module pre-pass: one cheap iterative scan of the module
(computed lazily, once, cached in ``ctx.memo``) that records

- start sites: ``threading.Thread(target=f)``, ``Timer(t, f)``, ``executor.submit(f)``
  / ``map(f, ...)`` of a thread or process pool, ``asyncio.to_thread(f)``,
  ``loop.run_in_executor(ex, f)``, ``multiprocessing.Process(target=f)``, pool methods;
- ``Thread`` / ``Process`` subclasses (their ``run`` is a target);
- same-module call edges (``f()``, ``self.m()``, ``cls.m()``, ``Cls.m()``), each marked
  protected when the call is lexically inside ``with <lock>:`` or after ``acquire()``;
- method calls by name (``.join()``, ``.get()``, ``.task_done()`` ...) for rules that
  connect uses across functions.

Then thread (and process) context is the set of functions reachable from the
targets through *unprotected* call edges: a helper whose every call site holds a
lock is therefore protected. The walk does not enter an ``async def`` from sync code
(the call only makes a coroutine object), except where the caller runs an event loop
itself: those coroutines run in the thread, on its own loop (``Origin.own_loop``). ``functools.partial(f, ...)`` and ``lambda: f(...)``
wrappers lead to ``f``.

The lock helpers (``is_lock``, ``is_protected``) are shared by CCY301, CCY305 and
CCY306: a lock is a ``threading``/``asyncio``/``multiprocessing`` primitive by
construction or a name matching ``Settings.lock_name_pattern`` on its last part.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Pattern, Sequence, Set, Tuple, Union

import libcst as cst

from ..apis.threads import (
    ASYNC_LIBRARY_LOCK_MODULES, ASYNC_LIBRARY_LOCK_NAMES, BY_EXECUTOR, GUARD_NAME_PATTERN, LATER, LOCK_TYPES, PROCESS,
    LOOP_NAME_PATTERN, PROCESS_EXECUTORS, STARTER_NAMES, STARTERS, THREAD, THREAD_BASES,
    UNTYPED_EXECUTOR_METHODS, UNTYPED_LOOP_METHODS, Starter,
)
from ..apis.coroutines import LOOP_RUNNER_METHODS, LOOP_RUNNERS
from ..precheck import code_only
from .context import Context
from .scopes import (
    ASSIGN, ASYNC_DEF, CLASS, DEF, BindingCollector, Scope, add_parameters, class_attribute_scan, node_types,
)
from .traversal import iter_children

FunctionNode = Union[cst.FunctionDef, cst.Lambda]
_MEMO_KEY = "concurlint.threads"
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_CONCURRENCY_MODULES = frozenset({"threading", "_thread", "concurrent", "multiprocessing",
                                  "asyncio", "anyio", "queue"})
_UNTYPED_EXECUTOR_NAME = re.compile(r"(?i)(executor|thread|^ex$|^tpe$|^pool$)")
_PROCESS_NAME = re.compile(r"(?i)process|proc_|mp_")
_LOOP_NAME = re.compile(LOOP_NAME_PATTERN)


# --------------------------------------------------------------------------- locks
def _patterns(ctx: Context) -> Tuple[Pattern[str], Pattern[str]]:
    key = ("concurlint.threads.lock-pattern", ctx.settings.lock_name_pattern)
    found = ctx.memo.get(key)
    if found is None:
        found = (re.compile(ctx.settings.lock_name_pattern), re.compile(GUARD_NAME_PATTERN))
        ctx.memo[key] = found
    return found


def last_name(expr: cst.BaseExpression) -> Optional[str]:
    """``self._lock`` -> ``_lock``; ``lock`` -> ``lock``; ``locks[k]`` -> ``locks``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript):
        return last_name(expr.value)
    if isinstance(expr, cst.Call):
        return last_name(expr.func)
    return None


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


# --------------------------------------------------------------------------- facts
@dataclass
class StartSite:
    """A place that hands a callable to another thread or process."""

    node: Union[cst.Call, cst.ClassDef]
    kind: str  # THREAD or PROCESS (LATER sites are not recorded)
    label: str  # e.g. "Thread(target=inc)" or "Thread subclass 'Worker'"
    function: Optional[FunctionNode]  # where the start happens (None: module level)
    repeated: bool  # inside a loop/comprehension: several threads run the target
    callable_expr: Optional[cst.BaseExpression] = None
    targets: List[FunctionNode] = field(default_factory=list)
    # arguments handed to the target: (position or keyword, expression, same object for every
    # thread this site starts)
    passed: List[Tuple[Union[int, str], cst.BaseExpression, bool]] = field(default_factory=list)


@dataclass
class Edge:
    caller: Optional[FunctionNode]
    callee: FunctionNode
    call: cst.Call
    protected: bool
    # a method called on an object the caller just made (`h = Handler(); h.run()`):
    # that object's state belongs to the calling thread
    fresh: bool = False


@dataclass
class FunctionInfo:
    node: FunctionNode
    scope: Scope
    parent: Optional[FunctionNode]
    class_scope: Optional[Scope]  # for methods: their class

    @property
    def name(self) -> str:
        return self.node.name.value if isinstance(self.node, cst.FunctionDef) else "<lambda>"


@dataclass
class MethodCall:
    call: cst.Call
    receiver: cst.BaseExpression
    scope: Scope
    function: Optional[FunctionNode]
    loop_iter: Optional[cst.BaseExpression]  # `for t in threads: t.join()` -> threads


@dataclass
class Origin:
    """Why a function runs in a thread: the start site and the first function on the way."""

    site: StartSite
    root: FunctionNode
    via: Optional[FunctionNode] = None  # the caller that leads here (None for the target itself)
    # reached through coroutines that the thread runs on an event loop of its own
    # (`asyncio.run(main())` in the target): that loop belongs to this thread
    own_loop: bool = False


@dataclass
class ThreadTargets:
    functions: Dict[FunctionNode, FunctionInfo] = field(default_factory=dict)
    classes: Dict[cst.ClassDef, Scope] = field(default_factory=dict)
    sites: List[StartSite] = field(default_factory=list)
    edges: List[Edge] = field(default_factory=list)
    method_calls: Dict[str, List[MethodCall]] = field(default_factory=dict)
    # class node -> THREAD / PROCESS for Thread / Process subclasses (local, transitively)
    runnable_classes: Dict[cst.ClassDef, str] = field(default_factory=dict)
    thread_context: Dict[FunctionNode, Origin] = field(default_factory=dict)
    process_context: Dict[FunctionNode, Origin] = field(default_factory=dict)
    # thread targets' parameters that receive one object shared by several threads
    shared_params: Dict[FunctionNode, Set[str]] = field(default_factory=dict)
    # methods whose `self` may be seen by several threads (handed to a thread as a bound
    # method, a Thread subclass's run, or called on an object that is not freshly made)
    shared_self: Set[FunctionNode] = field(default_factory=set)

    def runs_in_thread(self, node: Optional[cst.CSTNode]) -> Optional[Origin]:
        return self.thread_context.get(node) if node is not None else None  # type: ignore[arg-type]

    def runs_in_process(self, node: Optional[cst.CSTNode]) -> Optional[Origin]:
        return self.process_context.get(node) if node is not None else None  # type: ignore[arg-type]

    def callers(self, node: FunctionNode) -> List[Edge]:
        return [e for e in self.edges if e.callee is node]

    def callees(self, node: Optional[FunctionNode]) -> List[Edge]:
        return [e for e in self.edges if e.caller is node]

    def runnable_class_named(self, ctx: Context, qualname: Optional[str]) -> Optional[Tuple[cst.ClassDef, str]]:
        """For a local class qualified name: the class if it is a Thread/Process subclass."""
        if not qualname:
            return None
        for cls, kind in self.runnable_classes.items():
            if ctx.local_qualname(cls.name.value) == qualname:
                return cls, kind
        return None


def thread_targets(ctx: Context) -> ThreadTargets:
    """The module's thread/process targets and call graph (computed once per module)."""
    found = ctx.memo.get(_MEMO_KEY)
    if found is None:
        found = ThreadTargets()
        if _imports_concurrency_module(ctx.module):
            _Scanner(ctx, found).run()
        ctx.memo[_MEMO_KEY] = found
    return found


def thread_targets_with_sites(ctx: Context) -> Optional[ThreadTargets]:
    """``thread_targets(ctx)``, or None when the module's code names nothing that
    can start a thread or a process (so nothing runs in one and no argument is
    shared with one). The rules that ask "does this function run in a thread?"
    for every assignment use this: most modules that import asyncio start no
    thread, and the answer then costs no second walk of the tree."""
    return thread_targets(ctx) if may_start_threads(ctx) else None


def may_start_threads(ctx: Context) -> bool:
    """The textual gate of ``thread_targets_with_sites`` (cheap, memoised per module)."""
    may_start = ctx.memo.get(_MAY_START_KEY)
    if may_start is None:
        may_start = ctx.text is None or _STARTING_WORDS.search(code_only(ctx.text)) is not None
        ctx.memo[_MAY_START_KEY] = may_start
    return may_start


# The names a start site or a Thread/Process subclass needs in the code: the last
# name of every starter except the loop callbacks (they run later in the loop's
# own thread), the classes, and the methods accepted on untyped executors. `map`
# only counts as a method (`pool.map(...)`): the builtin is in most modules.
_STARTING_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name, starter in STARTERS.items() if starter.kind != LATER
) | {"Thread", "Timer", "Process"} | frozenset(UNTYPED_EXECUTOR_METHODS)
_METHOD_ONLY = frozenset({"map"})
_STARTING_WORDS = re.compile(r"\b(?:{})\b|\.[\s\\]*(?:{})\b".format(
    "|".join(sorted(_STARTING_NAMES - _METHOD_ONLY)), "|".join(sorted(_METHOD_ONLY))))
_MAY_START_KEY = "concurlint.threads.may-start"


def _imports_concurrency_module(module: cst.Module) -> bool:
    """Cheap gate: does any statement (at any depth) import a concurrency module?"""
    stack: List[cst.CSTNode] = list(module.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        if _top(alias.name) in _CONCURRENCY_MODULES:
                            return True
                elif isinstance(small, cst.ImportFrom):
                    if small.module is not None and _top(small.module) in _CONCURRENCY_MODULES \
                            and not small.relative:
                        return True
        elif isinstance(stmt, cst.BaseCompoundStatement):
            stack.extend(_nested_statements(stmt))
    return False


def _top(name: Union[cst.Attribute, cst.Name]) -> str:
    while isinstance(name, cst.Attribute):
        name = name.value  # type: ignore[assignment]
    return name.value if isinstance(name, cst.Name) else ""


def _nested_statements(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        part = getattr(stmt, name, None)
        if part is None:
            continue
        parts = part if isinstance(part, (list, tuple)) else [part]
        for item in parts:
            if isinstance(item, cst.IndentedBlock):
                yield from item.body
            elif isinstance(item, cst.SimpleStatementSuite):
                yield cst.SimpleStatementLine(body=item.body)
            elif isinstance(item, cst.BaseCompoundStatement) or isinstance(
                    item, (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally)):
                yield item
            elif hasattr(item, "body"):
                yield item


# --------------------------------------------------------------------------- the scan
_LEAVE = object()
_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef})


_ANCESTOR_TYPES = frozenset(
    node_types(cst.BaseCompoundStatement) | _SCOPE_TYPES | {
        cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.IndentedBlock, cst.Else, cst.Finally,
        cst.ExceptHandler, cst.ExceptStarHandler, cst.ListComp, cst.SetComp, cst.DictComp,
        cst.GeneratorExp, cst.Expr, cst.Assign,
    })


class _Scanner:
    def __init__(self, ctx: Context, out: ThreadTargets):
        self.ctx = ctx
        self.out = out
        self.class_by_qualname: Dict[str, Tuple[cst.ClassDef, Scope]] = {}
        self.pending_sites: List[Tuple[StartSite, Scope, Starter]] = []
        # (function, parameter, method, call, protected) for method calls on parameters
        self.param_calls: List[Tuple[FunctionNode, str, str, cst.Call, bool]] = []
        # functions that run an event loop in their own thread (asyncio.run, run_until_complete)
        self.runs_loop: Set[Optional[FunctionNode]] = set()

    # ---- walk
    def run(self) -> None:
        ctx = self.ctx
        ancestors: List[cst.CSTNode] = [ctx.module]
        stack: List[Tuple[object, cst.CSTNode, Scope, Optional[FunctionNode]]] = [
            (None, child, ctx.module_scope, None) for child in reversed(iter_children(ctx.module))]
        call_type, scope_types, kept_types = cst.Call, _SCOPE_TYPES, _ANCESTOR_TYPES
        while stack:
            marker, node, scope, function = stack.pop()
            if marker is _LEAVE:
                ancestors.pop()
                continue
            node_type = type(node)
            if node_type is call_type:
                self.call(node, scope, function, ancestors)  # type: ignore[arg-type]
            if node_type in kept_types:
                # only statements, blocks, comprehensions and scopes: what lock/loop checks read
                ancestors.append(node)
                stack.append((_LEAVE, node, scope, function))
            if node_type in scope_types:
                inner_scope = self.enter(node, scope, function)
                outer, inner = _split(node)
                inner_function = node if node_type is not cst.ClassDef else function
                for child in reversed(inner):
                    stack.append((None, child, inner_scope, inner_function))  # type: ignore[arg-type]
                for child in reversed(outer):
                    stack.append((None, child, scope, function))
            else:
                for child in reversed(iter_children(node)):
                    stack.append((None, child, scope, function))
        self.finish()

    def enter(self, node: cst.CSTNode, parent: Scope, function: Optional[FunctionNode]) -> Scope:
        ctx = self.ctx
        if isinstance(node, cst.FunctionDef):
            scope = Scope("function", node, parent, is_async=node.asynchronous is not None,
                          name=node.name.value)
            add_parameters(scope, node.params)
            BindingCollector(scope, ctx.module_name, ctx.is_package, record_attributes=False).block(node.body)
            self.out.functions[node] = FunctionInfo(node, scope, function, parent if parent.kind == "class" else None)
            return scope
        if isinstance(node, cst.ClassDef):
            scope = Scope("class", node, parent, name=node.name.value)
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            BindingCollector(scope, ctx.module_name, ctx.is_package).block(node.body)
            class_attribute_scan(scope, body, ctx.module_name)  # type: ignore[arg-type]
            self.out.classes[node] = scope
            if parent.kind == "module":
                self.class_by_qualname[ctx.local_qualname(node.name.value)] = (node, scope)
            return scope
        scope = Scope("lambda", node, parent)
        add_parameters(scope, node.params)  # type: ignore[attr-defined]
        self.out.functions[node] = FunctionInfo(node, scope, function, None)  # type: ignore[index]
        return scope

    def call(self, node: cst.Call, scope: Scope, function: Optional[FunctionNode],
             ancestors: List[cst.CSTNode]) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            loop_iter = None
            if isinstance(func.value, cst.Name):
                loop_iter = _loop_iterable(ancestors, func.value.value)
            self.out.method_calls.setdefault(name, []).append(
                MethodCall(node, func.value, scope, function, loop_iter))
        elif isinstance(func, cst.Name):
            name = func.value
        else:
            return
        if name in STARTER_NAMES:
            self.start_site(node, scope, function, ancestors)
        if name in _RUNNER_NAMES and (name in LOOP_RUNNER_METHODS or self.ctx.resolve(func, scope) in LOOP_RUNNERS):
            self.runs_loop.add(function)
        callee = self.definition(func, scope)
        if callee is not None:
            self.out.edges.append(Edge(function, callee, node,
                                       is_protected(self.ctx, ancestors, node, scope),
                                       _fresh_receiver(self.ctx, func, scope)))
        elif (function is not None and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
              and self.class_by_qualname):
            # `counter.increment()` on a parameter: resolved once we know what the starts pass
            bindings = scope.bindings.get(func.value.value)
            if bindings and all(b.kind == "param" for b in bindings) \
                    and not (scope.enclosing_class is not None and scope.first_param == func.value.value):
                self.param_calls.append((function, func.value.value, func.attr.value, node,
                                         is_protected(self.ctx, ancestors, node, scope)))

    def start_site(self, node: cst.Call, scope: Scope, function: Optional[FunctionNode],
                   ancestors: List[cst.CSTNode]) -> None:
        ctx = self.ctx
        qualname = ctx.resolve(node.func, scope)
        starter = STARTERS.get(qualname) if qualname else None
        if starter is None and isinstance(node.func, cst.Attribute) and qualname is None:
            receiver = last_name(node.func.value)
            if (receiver and _UNTYPED_EXECUTOR_NAME.search(receiver) and not _PROCESS_NAME.search(receiver)
                    and ctx.type_of(node.func.value, scope) is None):
                starter = UNTYPED_EXECUTOR_METHODS.get(node.func.attr.value)
            elif receiver and _LOOP_NAME.search(receiver) and ctx.type_of(node.func.value, scope) is None:
                starter = UNTYPED_LOOP_METHODS.get(node.func.attr.value)
        if starter is None or starter.kind == LATER:
            return
        kind = starter.kind
        if kind == BY_EXECUTOR:
            executor = positional(node, 0)
            kind = PROCESS if executor is not None and ctx.type_of(executor, scope) in PROCESS_EXECUTORS else THREAD
        target = callable_argument(node, starter)
        if target is None:
            return
        repeated = (in_loop(ancestors) or starter.label in _MAP_LIKE
                    or _per_call_handoff(node, starter, target, scope))
        site = StartSite(node, kind, site_label(ctx, node, starter), function, repeated, target)
        if kind == THREAD and starter.label not in _MAP_LIKE:
            site.passed = _passed_arguments(node, starter, ancestors)
        self.pending_sites.append((site, scope, starter))

    # ---- resolution of callables
    def definition(self, expr: cst.BaseExpression, scope: Scope) -> Optional[FunctionNode]:
        """The same-module function a call target names (plain name, self/cls/Class method)."""
        ctx = self.ctx
        if isinstance(expr, cst.Name):
            bindings, _owner = ctx.lookup(expr.value, scope)
            if bindings and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
                node = bindings[0].node
                return node if isinstance(node, cst.FunctionDef) else None
            return None
        if isinstance(expr, cst.Attribute):
            cls = self.class_of(expr.value, scope)
            if cls is not None:
                return self.method(cls, expr.attr.value)
        return None

    def class_of(self, expr: cst.BaseExpression, scope: Scope) -> Optional[Scope]:
        """The local class whose methods ``expr.<m>`` refers to: self/cls, an instance, the class."""
        ctx = self.ctx
        if isinstance(expr, cst.Name):
            cls = ctx._class_of_self(expr.value, scope)  # noqa: SLF001 - same package
            if cls is not None:
                return cls
            bindings, _owner = ctx.lookup(expr.value, scope)
            if bindings and len(bindings) == 1 and bindings[0].kind == CLASS:
                node = bindings[0].node
                if isinstance(node, cst.ClassDef):
                    return self.out.classes.get(node)
        if isinstance(expr, cst.Name) or (isinstance(expr, (cst.Attribute, cst.Call)) and isinstance(
                getattr(expr, "value", None) or getattr(expr, "func", None), cst.Name)):
            if not self.class_by_qualname:
                return None
            found = ctx.type_of(expr, scope)
            if found is not None and found in self.class_by_qualname:
                return self.class_by_qualname[found][1]
        return None

    def method(self, cls: Scope, name: str, depth: int = 0) -> Optional[cst.FunctionDef]:
        bindings = cls.bindings.get(name)
        if bindings:
            if len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
                node = bindings[0].node
                return node if isinstance(node, cst.FunctionDef) else None
            return None
        if depth > 5 or not isinstance(cls.node, cst.ClassDef):
            return None
        for base in cls.node.bases:
            base_scope = self.local_class(base.value, cls.parent or self.ctx.module_scope)
            if base_scope is not None:
                found = self.method(base_scope, name, depth + 1)
                if found is not None:
                    return found
        return None

    def local_class(self, expr: cst.BaseExpression, scope: Scope) -> Optional[Scope]:
        if isinstance(expr, cst.Name):
            bindings, _owner = self.ctx.lookup(expr.value, scope)
            if bindings and len(bindings) == 1 and bindings[0].kind == CLASS:
                node = bindings[0].node
                if isinstance(node, cst.ClassDef):
                    return self.out.classes.get(node)
        return None

    def targets_of(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> List[FunctionNode]:
        """The functions a callable expression runs: f, self.m, obj.m, partial(f), lambda: f()."""
        if depth > 4:
            return []
        ctx = self.ctx
        if isinstance(expr, cst.Lambda):
            return [expr]
        if isinstance(expr, cst.Call):
            if ctx.resolve(expr.func, scope) == "functools.partial":
                first = positional(expr, 0)
                if first is not None:
                    return self.targets_of(first, scope, depth + 1)
            return []
        if isinstance(expr, cst.Name):
            bindings, owner = ctx.lookup(expr.value, scope)
            if bindings and len(bindings) == 1:
                binding = bindings[0]
                if binding.kind in (DEF, ASYNC_DEF) and isinstance(binding.node, cst.FunctionDef):
                    return [binding.node]
                if (binding.kind == ASSIGN and not binding.with_item and owner is not None
                        and isinstance(binding.node, (cst.Lambda, cst.Call))):
                    return self.targets_of(binding.node, owner, depth + 1)
            return []
        if isinstance(expr, cst.Attribute):
            found = self.definition(expr, scope)
            return [found] if found is not None else []
        return []

    # ---- after the walk
    def finish(self) -> None:
        out = self.out
        ctx = self.ctx
        # Thread / Process subclasses (a local base may come later in the file: fixpoint)
        changed = True
        while changed:
            changed = False
            for cls, scope in out.classes.items():
                if cls in out.runnable_classes:
                    continue
                parent = scope.parent or ctx.module_scope
                for base in cls.bases:
                    kind = THREAD_BASES.get(ctx.resolve(base.value, parent) or "")
                    if kind is None:
                        local = self.local_class(base.value, parent)
                        if local is not None and isinstance(local.node, cst.ClassDef):
                            kind = out.runnable_classes.get(local.node)
                    if kind is not None:
                        out.runnable_classes[cls] = kind
                        changed = True
                        break
        for cls, kind in out.runnable_classes.items():
            run = self.method(out.classes[cls], "run")
            if run is None:
                continue
            label = f"{'Thread' if kind == THREAD else 'Process'} subclass '{cls.name.value}'"
            out.sites.append(StartSite(cls, kind, label, None, False, None, [run]))
        for site, scope, _starter in self.pending_sites:
            if site.callable_expr is not None:
                site.targets = self.targets_of(site.callable_expr, scope)
            out.sites.append(site)
            self.parameter_edges(site, scope)
        self.shared_parameters()
        self.shared_self()
        self.reachability()

    def reachability(self) -> None:
        """Thread (process) context: what the targets reach through unprotected calls.

        Calling a coroutine function from sync code only makes a coroutine object; its body
        runs on whichever loop drives it, so the walk stops at an ``async def``. When the
        caller runs an event loop itself (``asyncio.run(main())``, ``run_until_complete``),
        the coroutines run on that thread's own loop: they are walked last, marked
        ``own_loop``, so a route from a thread that does not own the loop is kept first."""
        out = self.out
        by_caller: Dict[Optional[FunctionNode], List[Edge]] = {}
        for edge in out.edges:
            by_caller.setdefault(edge.caller, []).append(edge)
        on_own_loop: List[Tuple[Dict[FunctionNode, Origin], Origin, FunctionNode]] = []
        for site in out.sites:
            context = out.thread_context if site.kind == THREAD else out.process_context
            for root in site.targets:
                if root in context:
                    continue
                context[root] = Origin(site, root)
                work = [root]
                while work:
                    current = work.pop()
                    for edge in by_caller.get(current, ()):
                        if edge.protected or edge.callee in context:
                            continue
                        if _is_async(edge.callee) and not _is_async(current):
                            if current in self.runs_loop:
                                on_own_loop.append((context, Origin(site, root, current, True), edge.callee))
                            continue
                        context[edge.callee] = Origin(site, root, current)
                        work.append(edge.callee)
        for context, origin, start in on_own_loop:
            if start in context:
                continue
            context[start] = origin
            work = [start]
            while work:
                current = work.pop()
                for edge in by_caller.get(current, ()):
                    if not edge.protected and edge.callee not in context:
                        context[edge.callee] = Origin(origin.site, origin.root, current, True)
                        work.append(edge.callee)


    def shared_self(self) -> None:
        out = self.out
        work: List[FunctionNode] = []
        for site in out.sites:
            for target in site.targets:
                info = out.functions.get(target)
                if info is not None and info.class_scope is not None and (
                        isinstance(site.node, cst.ClassDef) or isinstance(site.callable_expr, cst.Attribute)):
                    work.append(target)
        for edge in out.edges:
            info = out.functions.get(edge.callee)
            if info is None or info.class_scope is None or edge.fresh:
                continue
            func = edge.call.func
            caller_info = out.functions.get(edge.caller) if edge.caller is not None else None
            on_self = (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                       and caller_info is not None and caller_info.class_scope is not None
                       and _first_param(caller_info.node) == func.value.value)
            if not on_self:
                work.append(edge.callee)  # a module-level, passed-in or stored object
        by_caller: Dict[Optional[FunctionNode], List[Edge]] = {}
        for edge in out.edges:
            by_caller.setdefault(edge.caller, []).append(edge)
        while work:
            current = work.pop()
            if current in out.shared_self:
                continue
            out.shared_self.add(current)
            for edge in by_caller.get(current, ()):
                func = edge.call.func
                info = out.functions.get(current)
                if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                        and info is not None and info.class_scope is not None
                        and _first_param(current) == func.value.value):
                    work.append(edge.callee)

    def parameter_edges(self, site: StartSite, scope: Scope) -> None:
        """``submit(work, counter)`` with ``counter = Counter()``: ``counter.m()`` in ``work``
        calls ``Counter.m``."""
        if not self.param_calls or not site.passed:
            return
        for target in site.targets:
            if not isinstance(target, cst.FunctionDef):
                continue
            calls = [c for c in self.param_calls if c[0] is target]
            if not calls:
                continue
            params = _parameter_names(target, self.out.functions.get(target), site)
            for key, expr, _same in site.passed:
                name = params[key] if isinstance(key, int) and key < len(params) else key
                if not isinstance(name, str):
                    continue
                cls = self.class_of(expr, scope) if isinstance(expr, (cst.Name, cst.Attribute)) else None
                if cls is None:
                    continue
                for _fn, param, method_name, call, protected in calls:
                    if param == name:
                        method = self.method(cls, method_name)
                        if method is not None:
                            self.out.edges.append(Edge(target, method, call, protected))

    def shared_parameters(self) -> None:
        """Parameters of thread targets that receive the same object in several threads."""
        per_target: Dict[FunctionNode, int] = {}
        for site in self.out.sites:
            for target in site.targets:
                per_target[target] = per_target.get(target, 0) + 1
        for site in self.out.sites:
            if not site.passed:
                continue
            for target in site.targets:
                if not isinstance(target, cst.FunctionDef):
                    continue
                several = site.repeated or per_target.get(target, 0) > 1
                params = _parameter_names(target, self.out.functions.get(target), site)
                for key, expr, same_object in site.passed:
                    if not (same_object and several):
                        continue
                    name = params[key] if isinstance(key, int) and key < len(params) else key
                    if isinstance(name, str):
                        self.out.shared_params.setdefault(target, set()).add(name)


_RUNNER_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in LOOP_RUNNERS) | LOOP_RUNNER_METHODS


def _is_async(node: Optional[FunctionNode]) -> bool:
    return isinstance(node, cst.FunctionDef) and node.asynchronous is not None


def _first_param(node: FunctionNode) -> Optional[str]:
    params = [*node.params.posonly_params, *node.params.params]
    return params[0].name.value if params else None


def _fresh_receiver(ctx: Context, func: cst.BaseExpression, scope: Scope) -> bool:
    """``Handler(x).run()`` or ``h.run()`` with ``h = Handler(x)`` bound in this function."""
    if not isinstance(func, cst.Attribute):
        return False
    receiver = func.value
    if isinstance(receiver, cst.Call):
        return True
    if isinstance(receiver, cst.Name) and scope.kind == "function":
        bindings = scope.bindings.get(receiver.value)
        return bool(bindings) and all(
            b.kind == "assign" and isinstance(b.node, cst.Call) for b in bindings)
    return False


def _parameter_names(target: cst.FunctionDef, info: Optional[FunctionInfo], site: StartSite) -> List[str]:
    """Positional parameter names as seen by the start site (``self`` dropped for bound methods)."""
    params = [p.name.value for p in (*target.params.posonly_params, *target.params.params)]
    bound = (info is not None and info.class_scope is not None
             and isinstance(site.callable_expr, cst.Attribute) and not target.decorators)
    return params[1:] if bound and params else params


_MAP_LIKE = frozenset({"map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async"})
# Starters backed by a pool of threads: each call may run on another worker, alongside the
# earlier ones still running.
_POOLED = frozenset({"submit", "apply_async", "run_in_executor", "asyncio.to_thread", "anyio.to_thread.run_sync"})


def _per_call_handoff(node: cst.Call, starter: Starter, target: cst.BaseExpression, scope: Scope) -> bool:
    """``pool.submit(self._on_event, event)`` in a method (not ``__init__``) that hands on its
    own argument: one submit per call of the method (per event), so the target method runs
    in several pool threads at once, like a submit in a loop."""
    if starter.label not in _POOLED or not isinstance(target, cst.Attribute):
        return False
    if not (isinstance(target.value, cst.Name) and scope.enclosing_class is not None
            and scope.first_param == target.value.value):
        return False
    if isinstance(scope.node, cst.FunctionDef) and scope.node.name.value == "__init__":
        return False
    params = {name for name, bindings in scope.bindings.items() if any(b.kind == "param" for b in bindings)}
    params.discard(target.value.value)
    return any(isinstance(arg.value, cst.Name) and arg.value.value in params
               for arg in node.args if arg.value is not target)


def _passed_arguments(call: cst.Call, starter: Starter,
                      ancestors: Sequence[cst.CSTNode]) -> List[Tuple[Union[int, str], cst.BaseExpression, bool]]:
    passed: List[Tuple[Union[int, str], cst.BaseExpression, bool]] = []
    values: List[Tuple[Union[int, str], cst.BaseExpression]] = []
    if starter.pass_args == "args-kw":
        args = keyword(call, "args")
        value = args.value if args is not None else positional(call, 2 if starter.label == "Timer" else 3)
        if isinstance(value, (cst.Tuple, cst.List)):
            values.extend((i, e.value) for i, e in enumerate(value.elements)
                          if not isinstance(e, cst.StarredElement))
        kwargs = keyword(call, "kwargs")
        if kwargs is not None and isinstance(kwargs.value, cst.Dict):
            for element in kwargs.value.elements:
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                    key = element.key.evaluated_value
                    if isinstance(key, str):
                        values.append((key, element.value))
    elif starter.pass_args == "star":
        index = 0
        for arg in call.args:
            if arg.star:
                break
            if arg.keyword is not None:
                values.append((arg.keyword.value, arg.value))
                continue
            if index > starter.position:
                values.append((index - starter.position - 1, arg.value))
            index += 1
    loop_names = _names_bound_in_loops(ancestors)
    for key, expr in values:
        root = expr
        while isinstance(root, cst.Attribute):
            root = root.value
        same = isinstance(root, cst.Name) and root.value not in loop_names and isinstance(
            expr, (cst.Name, cst.Attribute))
        passed.append((key, expr, same))
    return passed


def _names_bound_in_loops(ancestors: Sequence[cst.CSTNode]) -> Set[str]:
    """Names that take a new value on every iteration of the loops around a start site."""
    names: Set[str] = set()
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            break
        if isinstance(ancestor, cst.For):
            names.update(_target_names(ancestor.target))
            for node in _statements_in(ancestor.body):
                if isinstance(node, cst.SimpleStatementLine):
                    for small in node.body:
                        if isinstance(small, (cst.Assign,)):
                            for t in small.targets:
                                names.update(_target_names(t.target))
                        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                            names.update(_target_names(small.target))
        elif isinstance(ancestor, cst.While):
            for node in _statements_in(ancestor.body):
                if isinstance(node, cst.SimpleStatementLine):
                    for small in node.body:
                        if isinstance(small, cst.Assign):
                            for t in small.targets:
                                names.update(_target_names(t.target))
        elif isinstance(ancestor, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            comp: Optional[cst.BaseCompFor] = ancestor.for_in
            while comp is not None:
                names.update(_target_names(comp.target))
                comp = comp.inner_for_in
    return names


def _target_names(target: cst.BaseExpression) -> Set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: Set[str] = set()
        for element in target.elements:
            out |= _target_names(element.value)
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def _statements_in(block: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack: List[cst.CSTNode] = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(node, cst.IndentedBlock):
            stack.extend(node.body)
            continue
        yield node
        if isinstance(node, cst.BaseCompoundStatement):
            stack.extend(_nested_statements(node))


def _split(node: cst.CSTNode) -> Tuple[List[cst.CSTNode], List[cst.CSTNode]]:
    if isinstance(node, cst.FunctionDef):
        outer: List[cst.CSTNode] = [*node.decorators, node.params]
        if node.returns is not None:
            outer.append(node.returns)
        return outer, [node.body]
    if isinstance(node, cst.ClassDef):
        return [*node.decorators, *node.bases, *node.keywords], [node.body]
    return [node.params], [node.body]  # type: ignore[attr-defined]


def _loop_iterable(ancestors: Sequence[cst.CSTNode], name: str) -> Optional[cst.BaseExpression]:
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name) \
                and ancestor.target.value == name:
            return ancestor.iter
        if isinstance(ancestor, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            comp: Optional[cst.BaseCompFor] = ancestor.for_in
            while comp is not None:
                if isinstance(comp.target, cst.Name) and comp.target.value == name:
                    return comp.iter
                comp = comp.inner_for_in
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
    return None


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
