"""Looking into the same-module functions a call refers to.

Some rules need to know what a *called* function does (does the coroutine a task
runs acquire a semaphore? does it loop over a queue?). ``definition_of`` finds the
``def`` behind a call target -- a module-level or nested function by name, or a
method of the current class through ``self``/``cls`` -- together with the scope
it is defined in, and ``function_scope`` builds (once per file, memoised) the
scope of such a function outside the traversal, so names inside its body can be
resolved with ``ctx.resolve(expr, scope)`` / ``ctx.type_of(expr, scope)``.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from .context import Context
from .scopes import ASYNC_DEF, DEF, BindingCollector, Scope, add_parameters
from .traversal import iter_children

_SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def definition_of(ctx: Context, expr: cst.BaseExpression,
                  scope: Optional[Scope] = None) -> Optional[Tuple[cst.FunctionDef, Scope]]:
    """The same-module ``def`` that ``expr`` (a call target) names, and its defining scope."""
    scope = scope or ctx.scope
    if isinstance(expr, cst.Name):
        bindings, owner = ctx.lookup(expr.value, scope)
        if bindings and owner is not None and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
            node = bindings[0].node
            if isinstance(node, cst.FunctionDef):
                return node, owner
        return None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        cls = ctx._class_of_self(expr.value.value, scope)  # noqa: SLF001 - same package
        if cls is not None:
            bindings = cls.bindings.get(expr.attr.value)
            if bindings and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
                node = bindings[0].node
                if isinstance(node, cst.FunctionDef):
                    return node, cls
    return None


def function_scope(ctx: Context, node: cst.FunctionDef, parent: Scope) -> Scope:
    """The scope of ``node`` (parameters and local bindings), built once per file."""
    key = ("callees.function_scope", id(node))
    scope = ctx.memo.get(key)
    if scope is None:
        scope = Scope("function", node, parent, is_async=node.asynchronous is not None,
                      name=node.name.value)
        add_parameters(scope, node.params)
        BindingCollector(scope, ctx.module_name, ctx.is_package, record_attributes=False).block(node.body)
        ctx.memo[key] = scope
    return scope


def walk_body(node: cst.CSTNode, into_scopes: bool = False) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (not ``node`` itself), pre-order.

    Nested functions, lambdas and classes are yielded but not entered unless
    ``into_scopes`` is true.
    """
    stack = list(reversed(iter_children(node)))
    while stack:
        current = stack.pop()
        yield current
        if not into_scopes and isinstance(current, _SCOPE_NODES):
            continue
        stack.extend(reversed(iter_children(current)))


# ----------------------------------------------------------------------------- arguments
MISSING = "missing"  # the argument is not given
GIVEN = "given"  # given; its value is returned
UNKNOWN = "unknown"  # may come from *args / **kwargs


def argument(call: cst.Call, position: Optional[int], keyword: str,
             ) -> Tuple[str, Optional[cst.BaseExpression]]:
    """Find one parameter's argument in ``call`` by keyword or position.

    Returns ``(GIVEN, value)``, ``(MISSING, None)`` or ``(UNKNOWN, None)`` when a
    ``*args``/``**kwargs`` could supply it.
    """
    index = 0
    star_before = False
    double_star = False
    for arg in call.args:
        if arg.star == "**":
            double_star = True
        elif arg.star == "*":
            star_before = True
        elif arg.keyword is not None:
            if arg.keyword.value == keyword:
                return GIVEN, arg.value
        else:
            if position is not None and index == position and not star_before:
                return GIVEN, arg.value
            index += 1
    if double_star or (star_before and position is not None):
        return UNKNOWN, None
    return MISSING, None


def number_value(expr: Optional[cst.BaseExpression]) -> Optional[float]:
    """The value of a numeric literal (``3``, ``-1``, ``0.5``), else None."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        try:
            return float(expr.evaluated_value)
        except (ValueError, SyntaxError):  # pragma: no cover - libcst already parsed it
            return None
    if isinstance(expr, cst.UnaryOperation):
        inner = number_value(expr.expression)
        if inner is None:
            return None
        if isinstance(expr.operator, cst.Minus):
            return -inner
        if isinstance(expr.operator, cst.Plus):
            return inner
    return None


def is_none(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def last_name(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """``a.b.c`` -> ``c``; ``f(x)`` -> ``f``; ``await x.y`` -> ``y``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Call):
        return last_name(expr.func)
    if isinstance(expr, cst.Await):
        return last_name(expr.expression)
    return None


def dotted(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """``self.session`` -> ``"self.session"`` for plain names/attribute chains, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base is not None else None
    return None
