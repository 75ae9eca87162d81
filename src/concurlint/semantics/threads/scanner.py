"""``_Scanner``: the one iterative scan of a module that records start sites, ``Thread`` /
``Process`` subclasses, same-module call edges (protected or not) and method calls by name,
then resolves targets through ``functools.partial``, lambdas, loops and parameters.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from ...apis.threads import (
    BY_EXECUTOR, LATER, PROCESS, PROCESS_EXECUTORS, STARTER_NAMES, STARTERS, THREAD, THREAD_BASES, Starter,
)
from ...apis.coroutines import LOOP_RUNNER_METHODS, LOOP_RUNNERS
from ...findings import Text
from ..context import Context
from ..scopes import (
    ASSIGN, ASYNC_DEF, CLASS, DEF, BindingCollector, Scope, add_parameters, class_attribute_scan, node_types,
)
from ..traversal import iter_children
from .common import FunctionNode, _nested_statements, _target_names
from .locks import is_protected, in_loop
from .model import StartSite, Edge, FunctionInfo, MethodCall, Origin, ThreadTargets
from .calls import positional, keyword, callable_argument, guessed_starter, site_label




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
            starter = guessed_starter(ctx, node.func, scope)
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
            if kind == THREAD:
                label = Text("Thread subclass '{name}'")
            else:
                label = Text("Process subclass '{name}'")
            label = label.format(name=cls.name.value)
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
