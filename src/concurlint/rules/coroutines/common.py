"""Facts shared by several CCY1 rule modules: whether a definition or a callee is a coroutine
function (``is_coroutine_def``, ``coroutine_function``, decorators that keep a coroutine,
inherited and same-module methods), what looks like an event loop, callee names, the
``await`` fix and the module-runner fix of CCY101, the first positional argument of a call,
and the name walks (``walk_body``, ``walk_names``) that other families import too.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, Iterator, List, Optional

import libcst as cst

from ...apis.coroutines import (
    COROUTINE_CONSUMERS, COROUTINE_FUNCTIONS, COROUTINE_ITERABLE_CONSUMERS, COROUTINE_KEEPING_DECORATORS,
    COROUTINE_KEEPING_DECORATOR_PREFIXES, LOOP_NAME_PATTERN, TASK_FACTORIES, UNPACKED_TYPES,
)
from ...findings import Fix, Text
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text
from ...semantics.scopes import ASYNC_DEF, CLASS, DEF, IMPORT
from ...semantics.traversal import iter_children


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
    if ctx.project is not None and ctx.project.is_known_coroutine(qualname):
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


_CONSUMER_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in (*COROUTINE_CONSUMERS, *COROUTINE_ITERABLE_CONSUMERS))
_TASK_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in TASK_FACTORIES)


def _first_positional(node: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in node.args:
        if arg.keyword is None and not arg.star:
            return arg.value
    return None


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
