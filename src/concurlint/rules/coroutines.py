"""CCY1: coroutines and tasks (unawaited coroutines, dangling tasks, nested loops...)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Set

import libcst as cst

from ..apis.backends import advice
from ..apis.coroutines import (
    ASYNC_ONLY_CONTEXT_MANAGERS, COROUTINE_CONSUMERS, COROUTINE_FUNCTIONS,
    COROUTINE_ITERABLE_CONSUMERS, COROUTINE_KEEPING_DECORATOR_PREFIXES, COROUTINE_KEEPING_DECORATORS,
    FUTURE_FACTORIES, FUTURE_FACTORY_METHODS,
    GET_EVENT_LOOP, LOOP_FACTORIES, LOOP_NAME_PATTERN, LOOP_RUNNER_METHODS, LOOP_RUNNERS,
    OWNED_TASK_FACTORIES, SYNC_ONLY_CONTEXT_MANAGERS, TASK_FACTORIES, UNPACKED_TYPES,
)
from ..findings import Fix, Text
from ..semantics.callees import definition_of, function_scope
from ..semantics.callees import walk_body as walk_nodes
from ..semantics.context import Context
from ..semantics.lifetime import dotted_text, usage_of, value_fate
from ..semantics.scopes import ASSIGN, ASYNC_DEF, CLASS, DEF, IMPORT, Scope
from ..semantics.traversal import iter_children
from .base import Rule

_LOOP_NAME = re.compile(LOOP_NAME_PATTERN)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_LOOP_TYPE = "asyncio.AbstractEventLoop"


# --------------------------------------------------------------------------- shared facts
def walk_body(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes under ``node`` in its own scope (nested defs, lambdas, classes not entered)."""
    stack = list(iter_children(node))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, _SCOPES):
            stack.extend(iter_children(current))


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def _is_overload(func: cst.FunctionDef) -> bool:
    return any(_decorator_name(d) == "overload" for d in func.decorators)


def is_coroutine_def(ctx: Context, func: cst.FunctionDef, _depth: int = 0) -> bool:
    """``async def`` whose call returns a coroutine: not an async generator, and every
    decorator known to keep it a coroutine function (``_keeps_coroutine``)."""
    if func.asynchronous is None:
        return False
    key = ("coroutines.is_coroutine_def", id(func))
    found = ctx.memo.get(key)
    if found is None:
        if _depth > _MAX_DECORATOR_DEPTH:
            return False
        found = all(_keeps_coroutine(ctx, d.decorator, _depth) for d in func.decorators)
        if found:
            found = not any(isinstance(n, cst.Yield) for n in walk_body(func.body))
        ctx.memo[key] = found
    return found


_MAX_DECORATOR_DEPTH = 4


def _keeps_coroutine(ctx: Context, expr: cst.BaseExpression, depth: int) -> bool:
    """The decorator ``expr`` returns a coroutine function when given one: a known keeper
    (``staticmethod``, ``functools.wraps(f)``, a ``pytest.mark``), or a decorator (or a
    decorator factory, when called) of this module that returns a nested ``async def``.
    Anything else -- a framework's ``@work``, ``@fixture``, ``@functools.cache`` -- may
    return something that is not a coroutine function: precision first."""
    target = expr.func if isinstance(expr, cst.Call) else expr
    qualname = ctx.resolve(target, ctx.module_scope)
    if qualname is None:
        return False
    if qualname in COROUTINE_KEEPING_DECORATORS or qualname.startswith(COROUTINE_KEEPING_DECORATOR_PREFIXES):
        return True
    definition = _module_function(ctx, qualname)
    if definition is None:
        return False
    if isinstance(expr, cst.Call):  # a factory: it returns the decorator
        return _returns_only(ctx, definition, lambda inner: _is_keeping_decorator(ctx, inner, depth + 1))
    return _is_keeping_decorator(ctx, definition, depth + 1)


def _is_keeping_decorator(ctx: Context, func: cst.FunctionDef, depth: int) -> bool:
    return func.asynchronous is None and _returns_only(
        ctx, func, lambda inner: is_coroutine_def(ctx, inner, depth + 1))


def _returns_only(ctx: Context, func: cst.FunctionDef, accept: Callable[[cst.FunctionDef], bool]) -> bool:
    """Every ``return`` of ``func`` hands back a function defined in its body that ``accept``s."""
    nested: Dict[str, cst.FunctionDef] = {}
    returns: List[cst.Return] = []
    for node in walk_body(func.body):
        if isinstance(node, cst.FunctionDef):
            nested[node.name.value] = node
        elif isinstance(node, cst.Return):
            returns.append(node)
    if not returns:
        return False
    for node in returns:
        value = node.value
        inner = nested.get(value.value) if isinstance(value, cst.Name) else None
        if inner is None or not accept(inner):
            return False
    return True


def _module_function(ctx: Context, qualname: str) -> Optional[cst.FunctionDef]:
    """The module-level ``def`` of this module that ``qualname`` names, if it is one."""
    prefix = ctx.local_qualname("")
    if not qualname.startswith(prefix):
        return None
    bindings = ctx.module_scope.bindings.get(qualname[len(prefix):])
    if bindings and len(bindings) == 1 and bindings[0].kind == DEF:
        node = bindings[0].node
        return node if isinstance(node, cst.FunctionDef) else None
    return None


def _same_module_coroutine(ctx: Context, qualname: str, _depth: int = 0) -> Optional[bool]:
    """For ``<this module>.f`` / ``<this module>.Class.m``: whether it is a coroutine function
    (a method not defined in the class body is looked up in its bases, in order)."""
    prefix = ctx.local_qualname("")
    if not qualname.startswith(prefix):
        return None
    parts = qualname[len(prefix):].split(".")
    bindings = ctx.module_scope.bindings.get(parts[0])
    if not bindings:
        return None
    if len(parts) == 1:
        # `@overload` stubs are not the runtime definition
        real = [b for b in bindings if not (isinstance(b.node, cst.FunctionDef) and _is_overload(b.node))]
        if real and all(b.kind == ASYNC_DEF for b in real):
            return all(is_coroutine_def(ctx, b.node) for b in real)  # type: ignore[arg-type]
        return False if all(b.kind in (DEF, ASYNC_DEF) for b in real) else None
    if len(parts) == 2 and len(bindings) == 1 and bindings[0].kind == CLASS:
        cls = bindings[0].node
        found: Optional[bool] = None
        if isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock):
            for stmt in cls.body.body:
                if (isinstance(stmt, cst.FunctionDef) and stmt.name.value == parts[1]
                        and not _is_overload(stmt)):
                    found = is_coroutine_def(ctx, stmt) if found in (None, True) else False
            if found is None and _depth < 6 and not _binds_in_body(cls, parts[1]):
                return _inherited_coroutine(ctx, cls, parts[1], _depth)
        return found
    return None


def _is_own_method(ctx: Context, qualname: str) -> bool:
    """``<this module>.Class.m`` for a class of this module (parsed here, not scanned)."""
    prefix = ctx.local_qualname("")
    parts = qualname[len(prefix):].split(".") if qualname.startswith(prefix) else []
    bindings = ctx.module_scope.bindings.get(parts[0]) if len(parts) == 2 else None
    return bool(bindings) and len(bindings) == 1 and bindings[0].kind == CLASS  # type: ignore[index]


def _binds_in_body(cls: cst.ClassDef, name: str) -> bool:
    """The class body binds ``name`` otherwise than by ``def`` (``emit = other``)."""
    return any(isinstance(node, cst.Name) and node.value == name
               for stmt in cls.body.body if not isinstance(stmt, cst.FunctionDef)  # type: ignore[union-attr]
               for node in _targets(stmt))


def _targets(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for node in walk_body(stmt):
        if isinstance(node, cst.AssignTarget):
            yield node.target
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            yield node.target
        elif isinstance(node, cst.ClassDef):
            yield node.name


def _inherited_coroutine(ctx: Context, cls: cst.ClassDef, method: str, depth: int) -> Optional[bool]:
    """``method`` found in the bases of ``cls``, left to right: a class of this module, of
    another module of the project, or of an indexed library (``semantics/library.py``)."""
    for base in cls.bases:
        if base.keyword is not None or base.star:
            continue
        target = base.value.value if isinstance(base.value, cst.Subscript) else base.value
        name = ctx.resolve(target, ctx.module_scope)
        if name is None:
            return None  # an unknown base may define it: precision first
        qualname = f"{name}.{method}"
        found = _same_module_coroutine(ctx, qualname, depth + 1)
        if found is None and ctx.project is not None:
            found = ctx.project.is_coroutine_function(qualname)
        if found is not None:
            return found
    return None


def _self_method(ctx: Context, expr: cst.Attribute) -> Optional[str]:
    """``self.m`` in a method of a module-level class of this module: ``<module>.Class.m``
    (when the instance never gets an attribute ``m`` of its own)."""
    if not isinstance(expr.value, cst.Name):
        return None
    cls = ctx._class_of_self(expr.value.value, ctx.scope)
    if cls is None or cls.parent is not ctx.module_scope or not isinstance(cls.node, cst.ClassDef):
        return None
    if expr.attr.value in cls.attributes:
        return None
    return ctx.local_qualname(f"{cls.node.name.value}.{expr.attr.value}")


def coroutine_function(ctx: Context, expr: cst.BaseExpression) -> Optional[str]:
    """When ``expr`` names a coroutine function, a short name for it (for messages)."""
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None
    text = dotted_text(expr) or (f"....{expr.attr.value}" if isinstance(expr, cst.Attribute) else "coroutine")
    local = ctx.is_local_function(expr)
    if local is not None:
        return text if is_coroutine_def(ctx, local) else None
    qualname = ctx.resolve(expr)
    if (qualname is None and isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
            and expr.attr.value in _UNPACKED_METHODS):
        owner = _unpacked_types(ctx).get(expr.value.value)
        if owner is not None:
            qualname = f"{owner}.{expr.attr.value}"
    if qualname is None and isinstance(expr, cst.Attribute):
        qualname = _self_method(ctx, expr)
    if qualname is None:
        return None
    if qualname in COROUTINE_FUNCTIONS:
        return text
    same = _same_module_coroutine(ctx, qualname)
    if same is not None:
        return text if same else None
    if _is_own_method(ctx, qualname):
        return None  # this module's class answered (its bases included): no second opinion
    if ctx.project is not None and ctx.project.is_coroutine_function(qualname):
        return text
    return None


_UNPACKED_METHODS = frozenset(
    q.rsplit(".", 1)[1] for q in COROUTINE_FUNCTIONS
    if q.rsplit(".", 1)[0] in {t for types in UNPACKED_TYPES.values() for t in types})


def _unpacked_types(ctx: Context) -> Dict[str, str]:
    """Names of the current function bound by unpacking a known tuple-returning call
    (``reader, writer = await asyncio.open_connection(...)``) -> their types."""
    function = ctx.function
    if function is None:
        return {}
    key = ("coroutines.unpacked", id(function.node))
    found = ctx.memo.get(key)
    if found is None:
        found = {}
        body = getattr(function.node, "body", None)
        for node in walk_body(body) if body is not None else ():
            if not (isinstance(node, cst.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0].target, (cst.Tuple, cst.List))):
                continue
            value = node.value.expression if isinstance(node.value, cst.Await) else node.value
            if not isinstance(value, cst.Call):
                continue
            types = UNPACKED_TYPES.get(ctx.resolve(value.func) or "")
            elements = node.targets[0].target.elements  # type: ignore[union-attr]
            if types is None or len(types) != len(elements):
                continue
            for element, kind in zip(elements, types):
                if isinstance(element.value, cst.Name):
                    found[element.value.value] = kind
        ctx.memo[key] = found
    return found


def _looks_like_loop(ctx: Context, expr: cst.BaseExpression) -> bool:
    """An event loop by type (``asyncio.get_running_loop()``) or, when unknown, by name."""
    kind = ctx.type_of(expr)
    if kind is not None:
        return kind == _LOOP_TYPE
    if isinstance(expr, cst.Attribute):
        return bool(_LOOP_NAME.match(expr.attr.value))
    if isinstance(expr, cst.Name):
        return bool(_LOOP_NAME.match(expr.value))
    return False


def callee_name(ctx: Context, func: cst.BaseExpression) -> Optional[str]:
    """The qualified callee, with event-loop methods recognised on loop-named receivers."""
    qualname = ctx.resolve(func)
    if qualname is not None:
        return qualname
    if isinstance(func, cst.Attribute) and _looks_like_loop(ctx, func.value):
        return f"{_LOOP_TYPE}.{func.attr.value}"
    return None


def _last_name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _add_await(ctx: Context, node: cst.Call) -> Fix:
    """``await`` the call: safe, unless the coroutine belongs to an async library the module
    may not run on (``asyncio.sleep`` awaited under trio raises where it did nothing)."""
    return Fix(Text("Add 'await'"), _runs_on_module_library(ctx, node.func),
               replacements=((node, cst.Await(node)),))


def _runs_on_module_library(ctx: Context, func: cst.BaseExpression) -> bool:
    top = (callee_name(ctx, func) or "").split(".")[0]
    if top == "asyncio":
        return ctx.async_backend == "asyncio"
    if top == "trio":
        return ctx.async_backend == "trio"
    return True  # the project's own coroutines, anyio's (it runs on both), other libraries'


def _runner(ctx: Context, library: str) -> Optional[cst.BaseExpression]:
    """``<library>.run`` spelled through the module's own import (``aio.run``, ``run``)."""
    for name, bindings in ctx.module_scope.bindings.items():
        if len(bindings) != 1 or bindings[0].kind != IMPORT:
            continue
        if bindings[0].qualname == library:
            return cst.Attribute(cst.Name(name), cst.Name("run"))
        if bindings[0].qualname == f"{library}.run":
            return cst.Name(name)
    return None


def _module_run_fix(ctx: Context, node: cst.Call) -> Optional[Fix]:
    """At module level: ``f(a)`` -> ``asyncio.run(f(a))``, or ``trio.run(f, a)`` /
    ``anyio.run(f, a)`` (they take the function and its positional arguments). Only
    when the module's library is known and imported; starting a loop is never safe."""
    library = ctx.async_backend
    runner = _runner(ctx, library) if library is not None else None
    if runner is None:
        return None
    if library == "asyncio":
        call = cst.Call(runner, [cst.Arg(node)])
    elif any(arg.keyword is not None or arg.star == "**" for arg in node.args):
        return None  # keyword arguments need functools.partial: left to the author
    else:
        call = cst.Call(runner, [cst.Arg(node.func), *node.args])
    shown = _run_form(library, dotted_text(node.func) or "main", node)
    return Fix(Text("Run it with '{shown}'").format(shown=shown), False, replacements=((node, call),))


def _run_form(library: Optional[str], name: str, call: Optional[cst.Call] = None) -> str:
    args = ", ..." if call is not None and call.args else ""
    if library in ("trio", "anyio"):
        if call is not None and any(arg.keyword is not None or arg.star == "**" for arg in call.args):
            return f"{library}.run(functools.partial({name}{args}))"
        return f"{library}.run({name}{args})"
    return f"asyncio.run({name}({args[2:]}))"


# --------------------------------------------------------------------------- rules
class UnawaitedCoroutine(Rule):
    code = "CCY101"

    group = "correctness"
    group_reason = Text(
        "A coroutine that is never awaited never runs: wrong whenever it matches (an `async "
        "def` under a decorator not known to keep it a coroutine function is not judged). No "
        "finding on the 28 projects of the ecosystem check.")
    name = "unawaited-coroutine"
    fix = "safe/unsafe"
    summary = Text("Coroutine called but never awaited")
    what = Text(
        "Finds calls of coroutine functions (an `async def` of this module or of another module "
        "of the project, or a library coroutine such as `asyncio.sleep`) whose coroutine object is "
        "thrown away or bound to a name that is never read.\n\n"
        "Library coroutines are known from tables and from the libraries installed where the code "
        "runs (`python-path`): their stubs and sources are read, never imported, for `async def` "
        "functions and methods (inherited ones included), the classes factories return "
        "(`await asyncpg.connect()`, `redis.asyncio.Redis.from_url()`, `-> Self`) and the types of "
        "annotated parameters and attributes (`session: AsyncSession`). A sync method that only "
        "returns `self.execute_command(...)` is a coroutine function where that method is one "
        "(`redis.asyncio.Redis.set`, not `redis.Redis.set` or a pipeline's).\n\n"
        "A decorated `async def` is a coroutine function only when every decorator is known to keep "
        "it one: `staticmethod`, `classmethod`, `abc.abstractmethod`, `typing.override`/`final`, "
        "`warnings.deprecated`, `functools.wraps(f)`, a `pytest.mark.*` mark, or a decorator (or "
        "decorator factory) of the same module whose every `return` hands back a nested `async def` "
        "(the `functools.wraps` wrapper idiom). Any other decorator may return something else and "
        "the call is not reported: a framework's `@work` or `@gen_test`, `@pytest.fixture`, a "
        "project decorator returning a sync wrapper, and `functools.cache`/`lru_cache` (the call "
        "returns a cached coroutine that can be awaited only once, so which call is meant to run it "
        "cannot be told). Decorators of other modules are not looked into: unknown, not reported; "
        "for an `async def` of another module of the project only the listed decorators count "
        "(that module is scanned as text, not parsed).\n\n"
        "Group `correctness`: a coroutine that is never awaited never runs.")
    why = Text(
        "Calling a coroutine function does not run it: it only creates a coroutine object. If that "
        "object is never awaited or scheduled, the body never executes and Python only prints "
        "'RuntimeWarning: coroutine ... was never awaited' when it is garbage-collected.")
    example = (
        "async def save(user):\n    ...\n\n"
        "async def handler(user):\n    save(user)  # never runs\n"
    )
    use_instead = (
        "async def save(user):\n    ...\n\n"
        "async def handler(user):\n    await save(user)\n"
    )
    fix_safety = Text(
        "Inside an async function adding `await` is safe, except for a coroutine of asyncio (or "
        "trio) in a module whose library is not asyncio (or trio), e.g. `asyncio.sleep(1)` in trio "
        "code: awaited there it raises where it did nothing, so that fix is unsafe. At module level "
        "the fix runs the call "
        "with the module's library, through its own import: `asyncio.run(f(...))`, or "
        "`trio.run(f, ...)` / `anyio.run(f, ...)` (they take the function and its positional "
        "arguments; with keyword arguments there is no fix). Starting an event loop is unsafe: "
        "review it. When the library is unknown (no import, or both asyncio and trio) there is no "
        "fix. Inside a sync function there is never a fix and the message never suggests "
        "`asyncio.run(...)`: that code may itself be called on a running loop, where it raises.")
    options = Text(
        "The library named in messages and fixes is the module's (its imports, its package, or "
        "the `async-backend` setting).")
    valid = (
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "async def g():\n    pass\nasync def f():\n    t = g()\n    await t\n",
        "import asyncio\nasync def g():\n    pass\nasyncio.run(g())\n",
        "async def g():\n    pass\nasync def f():\n    def g():\n        pass\n    g()\n",
        "async def g():\n    pass\nasync def f():\n    return g()\n",
    )
    invalid = (
        "import asyncio\nasync def f():\n    asyncio.sleep(1)\n",
        "async def g():\n    pass\nasync def f():\n    g()\n",
        "class C:\n    async def g(self):\n        pass\n    async def f(self):\n        c = self.g()\n",
        "async def main():\n    pass\nmain()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        parent = self.ctx.parent
        if not isinstance(parent, (cst.Expr, cst.Assign, cst.AnnAssign, cst.ListComp, cst.SetComp,
                                   cst.GeneratorExp)):
            return
        fate = value_fate(self.ctx, node, through_comprehension=True)
        if fate.kind == "other":
            return
        name = coroutine_function(self.ctx, node.func)
        if name is None:
            return
        if fate.kind == "name":
            assert fate.name is not None
            usage = usage_of(self.ctx, fate.name)
            if usage is None or usage.used:
                return
        library = self.ctx.async_backend
        if self.ctx.in_async_function:
            start = advice(library, "start_task")
            self.report(node, Text(
                "coroutine '{name}' is never awaited; add 'await' or start it as a task with {start}").format(name=name, start=start),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope and self.ctx.path.lower().endswith(".ipynb"):
            # A notebook cell runs on the kernel's event loop: top-level 'await' works there,
            # while asyncio.run() raises "cannot be called from a running event loop".
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs; in a notebook cell add "
                "'await' (top-level await works in a cell; asyncio.run() fails on the notebook's "
                "running loop)").format(
                    name=name),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope:
            if library is None:
                runner = (f"your library's runner ({_run_form('asyncio', name, node)}, "
                          f"{_run_form('trio', name, node)})")
            else:
                runner = _run_form(library, name, node)
            fix = _module_run_fix(self.ctx, node) if fate.kind == "discarded" else None
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs; run it with {runner}").format(name=name, runner=runner), fix=fix)
        else:
            # Never 'asyncio.run(...)' here: this code may itself be called on a running loop.
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs: calling it in sync code only "
                "creates a coroutine object; await it from async code or hand it to something that runs it").format(
                    name=name))


class CoroutineFunctionNotCalled(Rule):
    code = "CCY102"

    group = "correctness"
    group_reason = Text(
        "A coroutine function passed where a coroutine is needed raises or does nothing: "
        "wrong whenever it matches. No finding on the 28 projects of the ecosystem check.")
    name = "coroutine-function-not-called"
    fix = "safe/unsafe"
    summary = Text("Coroutine function passed where a coroutine object is needed")
    what = Text(
        "Finds a coroutine *function* (without `()`) passed to `asyncio.run`, `create_task`, "
        "`ensure_future`, `gather`, `wait_for`, `shield`, `run_coroutine_threadsafe`, "
        "`loop.run_until_complete`, `TaskGroup.create_task`, or awaited directly (`await f`).")
    why = Text(
        "These APIs need the coroutine object that calling the function creates. Given the function "
        "itself they raise `TypeError` (or `ValueError`) at run time, so the work never starts.")
    example = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main)\n"
    use_instead = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main())\n"
    fix_safety = Text(
        "Adding `()` is safe when the function is a `def` of this module (a plain function, or a "
        "method reached through `self`/`cls`) whose every parameter has a default: the call is then "
        "complete. Otherwise it is unsafe (`--unsafe-fixes`): the function takes required "
        "arguments, or its signature is not known here (a library coroutine such as "
        "`asyncio.sleep`, a function of another module), and `f()` would raise `TypeError`; the "
        "code fails either way, and the unsafe fix only makes the missing arguments visible.")
    valid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n",
        "import asyncio\nasync def main(coro):\n    await asyncio.create_task(coro)\n",
        "import anyio\nasync def main():\n    pass\nanyio.run(main)\n",
    )
    invalid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main)\n",
        "import asyncio\nasync def work():\n    pass\nasync def main():\n    await asyncio.gather(work, work())\n",
        "async def work():\n    pass\nasync def main():\n    await work\n",
    )

    def _check(self, expr: cst.BaseExpression, where: str) -> None:
        name = coroutine_function(self.ctx, expr)
        if name is None:
            return
        self.report(expr, Text(
            "coroutine function '{name}' is passed to {where} without being called; use '{name}()'").format(name=name, where=where),
            fix=Fix(Text("Call it: add '()'"), _callable_without_arguments(self.ctx, expr),
                    replacements=((expr, cst.Call(expr)),)))

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, (cst.Name, cst.Attribute)):
            self._check(node.expression, "'await'")

    def visit_Call(self, node: cst.Call) -> None:
        last = _last_name(node.func)
        if last not in _CONSUMER_LAST_NAMES and not isinstance(node.func, cst.Name):
            return  # a plain name may be an alias (`from asyncio import create_task as spawn`)
        qualname = callee_name(self.ctx, node.func)
        if qualname in COROUTINE_ITERABLE_CONSUMERS:
            first = _first_positional(node)
            if isinstance(first, (cst.List, cst.Tuple, cst.Set)):
                for element in first.elements:
                    if not isinstance(element, cst.StarredElement):
                        self._check(element.value, f"{last}()")
            return
        positions = COROUTINE_CONSUMERS.get(qualname or "")
        if not positions:
            return
        index = 0
        for arg in node.args:
            if arg.keyword is not None or arg.star:
                continue
            if "*" in positions or index in positions:
                self._check(arg.value, f"{last}()")
            index += 1


def _callable_without_arguments(ctx: Context, expr: cst.BaseExpression) -> bool:
    """Whether ``expr()`` is a complete call: ``expr`` names a ``def`` of this module (a
    function, or a method through ``self``/``cls``) whose every parameter has a default.
    A library or other-module coroutine's signature is not known here: False."""
    definition = ctx.is_local_function(expr)
    if definition is None:
        return False
    params = definition.params
    positional = [*params.posonly_params, *params.params]
    decorators = {dotted_text(d.decorator) for d in definition.decorators}
    if isinstance(expr, cst.Attribute) and "staticmethod" not in decorators and positional:
        positional = positional[1:]  # self / cls is bound
    return all(p.default is not None for p in (*positional, *params.kwonly_params))


_CONSUMER_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in (*COROUTINE_CONSUMERS, *COROUTINE_ITERABLE_CONSUMERS))
_TASK_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in TASK_FACTORIES)


def _first_positional(node: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in node.args:
        if arg.keyword is None and not arg.star:
            return arg.value
    return None


class DanglingTask(Rule):
    code = "CCY103"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 20 findings, 7 real and 13 "
        "intended, every intended one a task running the project's own coroutine (delayed "
        "deletes, hooks, shutdown work). The default form reports tasks running code the "
        "module does not own (callbacks, library coroutines) and thrown-away gathers: 8 "
        "findings, 7 real, 1 intended, none wrong; test code is left out. `strict` and "
        "`learn` report every thrown-away task.")
    name = "dangling-task"
    summary = Text("Task created and thrown away")
    what = Text(
        "Finds `asyncio.create_task(...)`, `asyncio.ensure_future(...)`, `loop.create_task(...)` "
        "and un-awaited `asyncio.gather(...)` whose Task/Future is not kept anywhere.\n\n"
        "A thrown-away `gather(...)` inside an async function is reported as what it is, a missing "
        "`await` (a thrown-away `asyncio.wait(...)` is an unawaited coroutine, CCY101). When the "
        "started coroutine is a function of this module whose whole body handles its own errors "
        "(`try: ... except Exception: log...`), the message keeps only the garbage-collection point. "
        "Tasks started in `__del__` are not reported: nothing can own a task started by a finalizer. "
        "`ensure_future(x)` of a future or task (a name not bound to a coroutine call, "
        "`run_in_executor(...)`, `gather(...)`) returns it and starts nothing: not reported.\n\n"
        "Default form: the default preset reports tasks that run code the module does not own "
        "(a callback taken from a collection, a library coroutine such as "
        "`self._client.listen()`) and thrown-away `gather(...)`, and leaves out tasks running the "
        "project's own coroutines (functions and methods of this module or of another checked "
        "module, nested coroutines) and background teardown (`x.close()`). On 28 released "
        "projects every such own-code task was a deliberate fire-and-forget (delayed deletes, "
        "hooks, shutdown work) while the real pitfalls were user callbacks and library listeners "
        "started without a reference. `--preset strict`, `--preset learn` or selecting CCY103 by "
        "code report every thrown-away task.")
    why = Text(
        "The event loop keeps only a weak reference to running tasks: a task nobody references can be "
        "garbage-collected before it finishes, and if it fails its exception is never seen.")
    example = "import asyncio\n\nasync def start(job):\n    asyncio.create_task(job.run())\n"
    use_instead = (
        "import asyncio\n\n"
        "background_tasks = set()\n\n"
        "async def start(job):\n    task = asyncio.create_task(job.run())\n"
        "    background_tasks.add(task)\n    task.add_done_callback(background_tasks.discard)\n"
    )
    valid = (
        "import asyncio\nasync def f(coro):\n    t = asyncio.create_task(coro)\n    await t\n",
        "import asyncio\nasync def f(coro):\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(coro)\n",
        "import asyncio\ntasks = set()\nasync def f(coro):\n    tasks.add(asyncio.create_task(coro))\n",
    )
    invalid = (
        "import asyncio\nasync def f(coro):\n    asyncio.create_task(coro)\n",
        "import asyncio\nasync def f(coro):\n    asyncio.get_running_loop().create_task(coro)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        parent = self.ctx.parent
        if not isinstance(parent, (cst.Expr, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return
        if _last_name(node.func) not in _TASK_LAST_NAMES and not isinstance(node.func, cst.Name):
            return
        if not isinstance(parent, cst.Expr) and value_fate(self.ctx, node, through_comprehension=True).kind != "discarded":
            return
        qualname = callee_name(self.ctx, node.func)
        if qualname not in TASK_FACTORIES or qualname in OWNED_TASK_FACTORIES:
            return
        if qualname == "asyncio.gather":
            self._missing_await(node)
            return
        first = _first_positional(node)
        if first is not None and coroutine_function(self.ctx, first):
            return  # CCY102: the function is passed, not a coroutine (one root cause, one finding)
        if _last_name(node.func) == "ensure_future" and not makes_coroutine(self.ctx, first):
            return  # ensure_future of an existing future/task returns it: no new task
        function = self.ctx.function
        if function is not None and function.name == "__del__":
            return  # a finalizer: nothing can own or await a task started there
        if self.ctx.settings.default_form(self.code) and runs_own_coroutine(self.ctx, first):
            return  # the project's own fire-and-forget work: a deliberate design, as reviewed
        what = _describe_work(first)
        short = qualname.rsplit(".", 1)[-1]
        if self._guards_own_errors(first):
            self.report(node, Text(
                "the task from {short}() running {what} is thrown away: it can be garbage-collected "
                "mid-flight (its errors are handled inside it); keep a reference (e.g. a set with "
                "add_done_callback(tasks.discard))").format(
                    short=short,
                    what=what))
            return
        self.report(node, Text(
            "the task from {short}() running {what} is thrown away: it can be garbage-collected "
            "mid-flight and its exception is lost; keep a reference (e.g. a set with "
            "add_done_callback(tasks.discard)) or await it").format(
                short=short,
                what=what))

    def _missing_await(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            self.report(node, Text(
                "asyncio.gather(...) is never awaited: a missing 'await' -- nothing waits for the "
                "gathered work and its exceptions are lost; add 'await'"))
            return
        self.report(node, Text(
            "asyncio.gather(...) is thrown away: nothing waits for the gathered work and its exceptions "
            "are lost; await it from async code, or keep the future and check its result"))

    def _guards_own_errors(self, work: Optional[cst.BaseExpression]) -> bool:
        if not isinstance(work, cst.Call):
            return False
        definition = self.ctx.is_local_function(work.func)
        return definition is not None and guards_own_errors(self.ctx, definition)


# Teardown started in the background: nothing waits for a close to finish.
_TEARDOWN_NAMES = frozenset({"close", "aclose", "stop", "shutdown", "disconnect", "wait_closed",
                             "cancel", "terminate"})


def runs_own_coroutine(ctx: Context, work: Optional[cst.BaseExpression]) -> bool:
    """Whether a started task runs the project's own code: a coroutine function of this
    module (nested ones and methods of the class included) or of another checked module,
    or a teardown call (``x.close()``). A name bound once to such a call counts too.
    Callbacks from a collection and library coroutines are not the project's own."""
    if isinstance(work, cst.Name):
        binding = ctx.binding_of(work.value)
        work = binding.node if binding is not None and binding.kind == ASSIGN else None
    if not isinstance(work, cst.Call):
        return False
    if _last_name(work.func) in _TEARDOWN_NAMES:
        return True
    local = ctx.is_local_function(work.func)
    if local is not None:
        return local.asynchronous is not None
    qualname = ctx.resolve(work.func)
    if qualname is None or qualname in COROUTINE_FUNCTIONS:
        return False
    if _same_module_coroutine(ctx, qualname):
        return True
    return bool(ctx.project is not None and ctx.project.is_coroutine_function(qualname))


def makes_coroutine(ctx: Context, expr: Optional[cst.BaseExpression]) -> bool:
    """``expr`` (what ``ensure_future`` receives) is a new coroutine: a call that is not
    one of the APIs returning a future, or a local name bound once to such a call. Given a
    future or a task, ``ensure_future`` returns it: no new task."""
    if isinstance(expr, cst.Name):
        binding = ctx.binding_of(expr.value)
        expr = binding.node if binding is not None and binding.kind == ASSIGN else None
    if not isinstance(expr, cst.Call):
        return False
    callee = callee_name(ctx, expr.func) or ""
    return callee not in FUTURE_FACTORIES and _last_name(expr.func) not in FUTURE_FACTORY_METHODS


def guards_own_errors(ctx: Context, func: cst.FunctionDef) -> bool:
    """The whole body of ``func`` (after a docstring) is one ``try`` -- or one loop around
    one ``try`` -- with an ``except Exception``/``BaseException``/bare handler that does not
    re-raise: whatever fails inside is handled there (logged, reported), never lost."""
    statements = list(func.body.body) if isinstance(func.body, cst.IndentedBlock) else []
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    if len(statements) != 1:
        return False
    only = statements[0]
    if isinstance(only, (cst.While, cst.For)) and isinstance(only.body, cst.IndentedBlock) \
            and len(only.body.body) == 1:
        only = only.body.body[0]
    if not isinstance(only, cst.Try):
        return False
    for handler in only.handlers:
        if handler.type is not None and ctx.resolve(handler.type) not in _BROAD_EXCEPTIONS:
            continue
        if not any(isinstance(n, cst.Raise) for n in walk_body(handler.body)):
            return True
    return False


_BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _describe_work(expr: Optional[cst.BaseExpression]) -> str:
    if isinstance(expr, cst.Call):
        text = dotted_text(expr.func)
        if text:
            return f"'{text}()'"
    elif isinstance(expr, (cst.Name, cst.Attribute)) and dotted_text(expr):
        return f"'{dotted_text(expr)}'"
    return "its coroutine"


_BOOLEAN_PARENTS = (cst.If, cst.While, cst.IfExp, cst.Assert, cst.CompIf, cst.BooleanOperation,
                    cst.UnaryOperation)


class CoroutineInBooleanContext(Rule):
    code = "CCY104"

    group = "correctness"
    group_reason = Text(
        "A coroutine object is always true: the condition never tests what was meant. Wrong "
        "whenever it matches; no finding on the 28 projects of the ecosystem check.")
    name = "coroutine-in-boolean-context"
    fix = "safe/unsafe"
    summary = Text("Coroutine used as a condition")
    what = Text(
        "Finds a call of a coroutine function used as a condition: `if f():`, `while f():`, "
        "`not f()`, `f() and x`, `assert f()`, `x if f() else y`.")
    why = Text(
        "A coroutine object is always truthy, so the condition is always true and the coroutine never "
        "runs (it is never awaited).")
    example = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if is_admin(user):\n        ...\n"
    use_instead = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if await is_admin(user):\n        ...\n"
    fix_safety = Text(
        "Adding `await` inside an async function is safe, except for a coroutine of asyncio (or "
        "trio) in a module whose library is not asyncio (or trio): awaited there it raises, so the "
        "fix is unsafe.")
    valid = (
        "async def ok():\n    return True\nasync def f():\n    if await ok():\n        pass\n",
        "def ok():\n    return True\nasync def f():\n    if ok():\n        pass\n",
    )
    invalid = (
        "async def ok():\n    return True\nasync def f():\n    if ok():\n        pass\n",
        "async def ok():\n    return True\nasync def f():\n    while not ok():\n        pass\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        parent = self.ctx.parent
        if not isinstance(parent, _BOOLEAN_PARENTS):
            return
        if isinstance(parent, (cst.If, cst.While, cst.Assert, cst.CompIf)) and parent.test is not node:
            return
        if isinstance(parent, cst.IfExp) and parent.test is not node:
            return
        if isinstance(parent, cst.UnaryOperation) and not isinstance(parent.operator, cst.Not):
            return
        name = coroutine_function(self.ctx, node.func)
        if name is None:
            return
        fix = _add_await(self.ctx, node) if self.ctx.in_async_function else None
        self.report(node, Text(
            "coroutine '{name}()' used as a condition is always true and never runs; use 'await {name}(...)'").format(name=name), fix=fix)


class NestedEventLoop(Rule):
    code = "CCY105"

    group = "correctness"
    group_reason = Text(
        "Starting an event loop inside a running one raises `RuntimeError`: wrong whenever "
        "it matches. No finding on the 28 projects of the ecosystem check.")
    name = "nested-event-loop"
    summary = Text("Event loop started inside a coroutine")
    what = Text(
        "Finds `asyncio.run(...)`, `loop.run_until_complete(...)` and `loop.run_forever()` called "
        "inside an async function.")
    why = Text(
        "An event loop is already running there: starting another one in the same thread raises "
        "`RuntimeError` ('cannot be called from a running event loop').")
    example = "import asyncio\n\nasync def handler():\n    data = asyncio.run(fetch())\n"
    use_instead = "import asyncio\n\nasync def handler():\n    data = await fetch()\n"
    valid = (
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    return await fetch()\n",
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    def in_thread():\n        return asyncio.run(fetch())\n    return in_thread\n",
    )
    invalid = (
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    return asyncio.run(fetch())\n",
        "import asyncio\nasync def handler(coro):\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(coro)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        last = _last_name(node.func)
        if last not in ("run", "run_until_complete", "run_forever") and not isinstance(node.func, cst.Name):
            return
        qualname = callee_name(self.ctx, node.func)
        if qualname not in LOOP_RUNNERS:
            return
        text = dotted_text(node.func) or last
        self.report(node, Text(
            f"'{text}()' inside async function '{self._function()}' starts a nested event loop "
            "(RuntimeError); await the coroutine instead",
            f"在 async 函数 '{self._function()}' 内调用 '{text}()' 会启动嵌套事件循环(RuntimeError);请直接 await 协程"))

    def _function(self) -> str:
        function = self.ctx.function
        return function.name if function is not None else "?"


def _toggle_with_fix(node: cst.With, to_async: bool) -> Fix:
    """``with`` <-> ``async with``: the statement with its ``async`` keyword toggled."""
    changed = node.with_changes(asynchronous=cst.Asynchronous() if to_async else None)
    title = Text("Use 'async with'") if to_async else Text("Use 'with'")
    return Fix(title, True, replacements=((node, changed),))


class WrongWithKind(Rule):
    code = "CCY106"

    group = "correctness"
    group_reason = Text(
        "`with` on an async context manager (or `async with` on a sync one) raises at run "
        "time: wrong whenever it matches. No finding on the 28 projects of the ecosystem "
        "check.")
    name = "wrong-with-kind"
    fix = "safe"
    summary = Text("`with` on an async context manager (or `async with` on a sync one)")
    what = Text(
        "Finds plain `with` on asyncio primitives and async resources (`asyncio.Lock`, `Semaphore`, "
        "`Condition`, `TaskGroup`, `asyncio.timeout()`, `aiohttp.ClientSession`, `aiofiles.open()`...) "
        "and `async with` on `threading` primitives.")
    why = Text(
        "These objects implement only one of the two protocols: the wrong statement raises "
        "`TypeError`/`AttributeError` at run time (and `async with threading.Lock()` would block the loop even if it worked).")
    example = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    with lock:\n        ...\n"
    use_instead = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    async with lock:\n        ...\n"
    fix_safety = Text("Switching to `async with` inside an async function, or to `with` for a "
                      "threading primitive, is safe.")
    valid = (
        "import asyncio\nlock = asyncio.Lock()\nasync def f():\n    async with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\ndef f():\n    with lock:\n        pass\n",
    )
    invalid = (
        "import asyncio\nlock = asyncio.Lock()\nasync def f():\n    with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\nasync def f():\n    async with lock:\n        pass\n",
        "import asyncio\nasync def f():\n    with asyncio.timeout(1):\n        pass\n",
    )

    def visit_With(self, node: cst.With) -> None:
        is_async = node.asynchronous is not None
        for item in node.items:
            kind = self._kind(item.item)
            if kind is None:
                continue
            if not is_async and kind in ASYNC_ONLY_CONTEXT_MANAGERS:
                fix = _toggle_with_fix(node, True) if self.ctx.in_async_function else None
                self.report(item.item, Text(
                    "'{kind}' is an async context manager; use 'async with', not 'with'").format(kind=kind), fix=fix)
                return
            if is_async and kind in SYNC_ONLY_CONTEXT_MANAGERS:
                self.report(item.item, Text(
                    "'{kind}' is not an async context manager; 'async with' raises TypeError — "
                    "use 'with' (or an asyncio primitive in async code)").format(
                        kind=kind), fix=_toggle_with_fix(node, False))
                return

    def _kind(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Call):
            callee = self.ctx.resolve(expr.func)
            if callee in ASYNC_ONLY_CONTEXT_MANAGERS or callee in SYNC_ONLY_CONTEXT_MANAGERS:
                return callee
        return self.ctx.type_of(expr)


class GetEventLoopInCoroutine(Rule):
    code = "CCY107"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 22 findings, all intended. "
        "Inside a coroutine `get_event_loop()` already returns the running loop, so this is "
        "a style point, not a behaviour change: `advice`.")
    name = "get-event-loop-in-coroutine"
    fix = "safe/unsafe"
    summary = Text("`asyncio.get_event_loop()` inside a coroutine (style)")
    what = Text(
        "Finds `asyncio.get_event_loop()` called inside an async function.\n\n"
        "Group `advice`: inside a coroutine `get_event_loop()` returns the running loop, exactly "
        "what `get_running_loop()` returns, so the code behaves the same; the finding is a style "
        "point (every reviewed finding on real projects was harmless) and the message says so.")
    why = Text(
        "`asyncio.get_running_loop()` says what the code means -- the loop this coroutine runs on -- "
        "and fails loudly when called without one. `get_event_loop()` is the API whose behaviour "
        "outside a running loop depends on the policy and is deprecated there; using the explicit "
        "form everywhere keeps that question from coming up when code moves.")
    example = "import asyncio\n\nasync def main():\n    loop = asyncio.get_event_loop()\n"
    use_instead = "import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
    fix_safety = Text(
        "Safe in an asyncio module: inside a coroutine run by asyncio both return the running loop. "
        "Unsafe when the module's library is trio, anyio (it may run on trio) or unknown (asyncio "
        "and trio both imported): a coroutine run by trio has no running asyncio loop, so "
        "`get_running_loop()` raises `RuntimeError` where `get_event_loop()` returned a loop.")
    valid = ("import asyncio\nasync def f():\n    loop = asyncio.get_running_loop()\n",
             "import asyncio\ndef f():\n    loop = asyncio.get_event_loop()\n")
    invalid = ("import asyncio\nasync def f():\n    loop = asyncio.get_event_loop()\n",
               "import asyncio as aio\nasync def f():\n    aio.get_event_loop().run_in_executor(None, print)\n")

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        if _last_name(node.func) != "get_event_loop" and not isinstance(node.func, cst.Name):
            return
        if self.ctx.resolve(node.func) != GET_EVENT_LOOP:
            return
        fix = None
        if isinstance(node.func, cst.Attribute):
            # Only asyncio's loop makes the two equal: under trio (an anyio module may run on
            # it, a mixed one bridges to it) get_running_loop() raises where get_event_loop() did not.
            fix = Fix(Text("Use 'asyncio.get_running_loop()'"),
                      self.ctx.async_backend == "asyncio",
                      replacements=((node.func.attr, cst.Name("get_running_loop")),))
        self.report(node, Text(
            "style: inside a coroutine 'asyncio.get_event_loop()' returns the running loop; "
            "'asyncio.get_running_loop()' says so explicitly (same behaviour)"), fix=fix)


# Loop methods that start, stop, inspect or end a loop: a loop used only through them
# can be replaced by asyncio.run(); any other use needs the loop object itself.
_LOOP_LIFECYCLE = frozenset({
    "run_until_complete", "run_forever", "close", "is_closed", "is_running", "stop",
    "set_debug", "get_debug",
})
# The shutdown steps of asyncio.run(): code that calls them is a runner of its own.
_SHUTDOWN_STEPS = frozenset({"shutdown_asyncgens", "shutdown_default_executor"})
_NEW_EVENT_LOOP = "asyncio.new_event_loop"
_SET_EVENT_LOOP = "asyncio.set_event_loop"


def _passes(call: cst.Call, name: str) -> bool:
    """``name`` is an argument of ``call`` (by position or keyword)."""
    return any(isinstance(arg.value, cst.Name) and arg.value.value == name for arg in call.args)


def _called_on(call: cst.Call, name: str) -> bool:
    func = call.func
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name


def _shutdown_step(call: cst.Call) -> bool:
    """``loop.run_until_complete(loop.shutdown_asyncgens())``: a step of a runner's shutdown."""
    return any(isinstance(arg.value, cst.Call) and _last_name(arg.value.func) in _SHUTDOWN_STEPS
               for arg in call.args)


def _does_runner_shutdown(nodes: Iterator[cst.CSTNode], name: Optional[str]) -> bool:
    """The code shuts a loop down as ``asyncio.run()`` does: ``shutdown_asyncgens()`` /
    ``shutdown_default_executor()``, or ``all_tasks(<loop>)`` with a ``cancel()``."""
    lists_tasks = cancels = False
    for node in nodes:
        if not isinstance(node, cst.Call):
            continue
        last = _last_name(node.func)
        if last in _SHUTDOWN_STEPS and (name is None or _called_on(node, name)):
            return True
        if last == "all_tasks" and (name is None or _passes(node, name)):
            lists_tasks = True
        elif last == "cancel":
            cancels = True
    return lists_tasks and cancels


@dataclass
class _LoopFacts:
    factory: str
    runner: bool = False  # the code is a runner of its own (asyncio.run's shutdown steps)
    current: bool = False  # passed to set_event_loop(): the thread's current loop
    any_set: bool = False  # the owner sets some current loop (get_event_loop() then finds it)
    closed: bool = False
    escapes: bool = False  # handed on: nothing can be said about its closing
    needs_object: bool = False  # used as an object beyond running it (loop=, create_future, closures)
    shares_results: bool = False  # one run's result goes into a later run on the same loop


class LegacyEventLoopManagement(Rule):
    code = "CCY108"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 13 reviewed findings of the round-1 "
        "form, 1 real, 6 wrong, 6 intended (hand-written `asyncio.run()` replacements and their "
        "shutdown steps, private loops of library sync facades, one finding per run call). The "
        "narrowed rule keeps 5 (1 real, 0 wrong, 4 intended: test harnesses, a worker-thread loop, "
        "a `__main__` demo): no wrong claim left, but too few real pitfalls for the default set. "
        "`advice`.")
    name = "legacy-event-loop-management"
    summary = Text("Manual event-loop management where `asyncio.run()` would do")
    what = Text(
        "Finds `loop.run_until_complete(...)` / `loop.run_forever()` in sync code on a loop obtained "
        "from `asyncio.get_event_loop()` or `asyncio.new_event_loop()`, once per loop (on its first "
        "run call).\n\n"
        "Not reported, because `asyncio.run()` cannot replace the code:\n"
        "- a runner of its own: the code that owns the loop also does `asyncio.run()`'s shutdown "
        "steps (`loop.shutdown_asyncgens()`, `loop.shutdown_default_executor()`, or "
        "`asyncio.all_tasks(loop)` with `cancel()`, also through a function of the module it hands "
        "the loop to) -- a hand-written `asyncio.run()` that does something differently, such as "
        "a timeout on cancelling leftover tasks; a run call whose argument is such a shutdown step "
        "is never reported;\n"
        "- a private loop that must outlive one call: made by `new_event_loop()`, never made the "
        "thread's current loop, closed by the code, and either used as an object beyond running "
        "it (passed on, `loop=loop`, `loop.create_future()`, `loop.call_soon`, captured by a nested "
        "function) or running calls that share objects (the result of one run goes into a later "
        "one: a connection opened by one call and closed by the next). `asyncio.run()` per call "
        "would tie those objects to a loop that is already closed, and it sets the calling "
        "thread's current loop to `None` when it ends.\n\n"
        "The message says what is concretely at stake: `get_event_loop()` without a current loop "
        "(deprecated, an error from Python 3.14), a loop that is never closed, or else a style "
        "point (a loop made, run once and closed behaves correctly; `asyncio.run()` also cancels "
        "leftover tasks and shuts down async generators and the default executor).\n\n"
        "Group `advice`: in application entry points the advice holds, but library code and "
        "tests make private loops on purpose (a loop per worker thread, a sync facade over async "
        "code), where `asyncio.run()` would change the caller thread's current loop.")
    why = Text(
        "`asyncio.run()` creates the loop, runs the coroutine, cancels leftover tasks, shuts down "
        "async generators and the default executor and closes the loop; hand-written versions usually "
        "miss some of it, and `get_event_loop()` without a current loop is deprecated.")
    example = "import asyncio\n\nloop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n"
    use_instead = "import asyncio\n\nasyncio.run(main())\n"
    valid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n",
        # a runner of its own: asyncio.run's shutdown steps, done differently
        "import asyncio\nasync def main():\n    pass\ndef run():\n    loop = asyncio.new_event_loop()\n"
        "    try:\n        return loop.run_until_complete(main())\n    finally:\n"
        "        loop.run_until_complete(loop.shutdown_asyncgens())\n        loop.close()\n",
        # a private loop the objects it makes are tied to
        "import asyncio\nasync def connect(loop):\n    pass\ndef probe():\n    loop = asyncio.new_event_loop()\n"
        "    try:\n        conn = loop.run_until_complete(connect(loop=loop))\n"
        "        loop.run_until_complete(conn.close())\n    finally:\n        loop.close()\n",
    )
    invalid = (
        "import asyncio\nasync def main():\n    pass\nloop = asyncio.new_event_loop()\nloop.run_until_complete(main())\n",
        "import asyncio\nasync def main():\n    pass\ndef cli():\n    loop = asyncio.get_event_loop()\n"
        "    loop.run_until_complete(main())\n",
    )

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self._seen: Set[int] = set()  # loops already reported: one finding per loop

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (self.ctx.in_async_function or not isinstance(func, cst.Attribute)
                or func.attr.value not in LOOP_RUNNER_METHODS):
            return
        if _shutdown_step(node):
            return
        facts = self._facts(func.value)
        if facts is None or facts.runner:
            return
        if facts.factory == _NEW_EVENT_LOOP and not facts.current and facts.closed and (
                facts.needs_object or facts.shares_results):
            return
        self.report(node, self._message(func.attr.value, facts))

    def _message(self, method: str, facts: _LoopFacts) -> Text:
        if facts.factory == GET_EVENT_LOOP and not facts.any_set:
            return Text(
                "manual event-loop management ('{method}()'): 'asyncio.get_event_loop()' outside a "
                "running loop is deprecated when no current loop is set (a RuntimeError from Python "
                "3.14); in an application entry point use 'asyncio.run(main())', which creates, runs "
                "and closes the loop").format(
                    method=method)
        if facts.factory == _NEW_EVENT_LOOP and not facts.closed and not facts.escapes:
            return Text(
                "hand-run event loop ('{method}()') is never closed; in an application entry point "
                "use 'asyncio.run(main())', which also closes it, cancels leftover tasks and shuts "
                "down async generators").format(
                    method=method)
        return Text(
            "style: hand-run event loop ('{method}()'); in an application entry point "
            "'asyncio.run(main())' can replace it and also cancels leftover tasks and shuts down "
            "async generators and the default executor").format(
                method=method)

    def _facts(self, expr: cst.BaseExpression) -> Optional[_LoopFacts]:
        """What the code does with the loop ``expr`` names; None when it is not from a factory
        or (a named loop) already reported."""
        if isinstance(expr, cst.Call):  # a temporary: `asyncio.new_event_loop().run_until_complete(...)`
            factory = self.ctx.resolve(expr.func)
            if factory not in LOOP_FACTORIES:
                return None
            owner = self.ctx.function.node if self.ctx.function is not None else self.ctx.module
            facts = _LoopFacts(factory, escapes=False)
            facts.any_set = any(isinstance(n, cst.Call) and self.ctx.resolve(n.func) == _SET_EVENT_LOOP
                                for n in walk_body(owner))
            return facts
        if not isinstance(expr, cst.Name):
            return None
        bindings, scope = self.ctx.lookup(expr.value)
        if not bindings or len(bindings) != 1 or scope is None:
            return None
        value = bindings[0].node
        if not isinstance(value, cst.Call):
            return None
        factory = self.ctx.resolve(value.func)
        if factory not in LOOP_FACTORIES or id(value) in self._seen:
            return None
        self._seen.add(id(value))
        facts = _LoopFacts(factory)
        if scope.kind in ("function", "lambda", "module"):
            self._study(facts, expr.value, scope)
        return facts

    def _study(self, facts: _LoopFacts, name: str, scope: Scope) -> None:
        owner = scope.node
        usage = usage_of(self.ctx, name, scope)
        nodes = list(walk_nodes(owner, into_scopes=True))
        facts.runner = _does_runner_shutdown(iter(nodes), name)
        results: Set[str] = set()
        for node in nodes:
            if isinstance(node, cst.Call) and self.ctx.resolve(node.func) == _SET_EVENT_LOOP:
                facts.any_set = True
                facts.current = facts.current or _passes(node, name)
            elif (isinstance(node, cst.Call) and _passes(node, name) and not facts.runner
                  and self._runner_helper(node)):
                facts.runner = True
            elif (isinstance(node, cst.Assign) and isinstance(node.value, cst.Call)
                  and _runs_on(node.value, name)):
                for target in node.targets:
                    results.update(n.value for n in _names(target.target))
        if usage is None:
            return
        facts.closed = "close" in usage.methods
        facts.escapes = usage.escapes
        facts.needs_object = (usage.escapes or usage.other or usage.subscripted or bool(usage.attributes)
                              or any(m not in _LOOP_LIFECYCLE for m in usage.methods))
        facts.shares_results = bool(results) and any(
            n.value in results for call in usage.methods.get("run_until_complete", ())
            for n in walk_names(call))

    def _runner_helper(self, call: cst.Call) -> bool:
        """``_cancel_all_tasks(loop)``: a function of this module that does a runner's shutdown."""
        if not isinstance(call.func, cst.Name):
            return False
        definition = definition_of(self.ctx, call.func, self.ctx.module_scope)
        return definition is not None and _does_runner_shutdown(walk_nodes(definition[0].body), None)


def _runs_on(call: cst.Call, name: str) -> bool:
    return _last_name(call.func) == "run_until_complete" and _called_on(call, name)


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
        how = ("asyncio.gather() or an asyncio.TaskGroup" if backend in (None, "asyncio")
               else advice(backend, "task_group"))
        how_zh = "asyncio.gather() 或 asyncio.TaskGroup" if backend in (None, "asyncio") else how
        limiter = advice(backend, "limiter")
        shared = self._shared_receiver(call.func, targets)
        if shared is not None:
            self.report(call, Text(
                f"'{name}()' is awaited once per item, one after another; if '{shared}' can serve "
                f"several calls at once, run them concurrently with {how} (bounded by {limiter})",
                f"'{name}()' 对每个元素依次 await;如果 '{shared}' 能同时处理多个调用,请用 {how_zh}"
                f"(配合 {limiter})并发执行"))
            return
        self.report(call, Text(
            f"'{name}()' is awaited once per item, one after another; run the calls concurrently "
            f"with {how} (bounded by {limiter})",
            f"'{name}()' 对每个元素依次 await;请用 {how_zh}(配合 {limiter})并发执行"))

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


def _names(target: cst.CSTNode) -> List[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


def walk_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        elif isinstance(current, cst.Arg):
            stack.append(current.value)
        else:
            stack.extend(iter_children(current))


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


RULES = [
    UnawaitedCoroutine, CoroutineFunctionNotCalled, DanglingTask, CoroutineInBooleanContext,
    NestedEventLoop, WrongWithKind, GetEventLoopInCoroutine, LegacyEventLoopManagement,
    SequentialAwaitsInLoop, BusyLoopWithoutAwait,
]
