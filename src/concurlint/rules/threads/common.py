"""Helpers shared by several CCY3 rule modules: the shared-state reasoning
(``shared_kind``, ``check_then_act``, what a value reads or derives from, what awaits) used by
CCY301 and CCY306, and the thread-starting call lookup (``_starter``) used by CCY302 and CCY309.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ...apis.threads import BY_EXECUTOR, PROCESS, PROCESS_EXECUTORS, STARTER_NAMES, STARTERS, THREAD, Starter
from ...semantics.context import Context
from ...semantics.scopes import GLOBAL, IMPORT, NONLOCAL, PARAM, Scope
from ...semantics.threads import (
    guessed_starter, positional, state_root, thread_targets_with_sites, walk_expression,
)
from ...semantics.traversal import iter_children


_SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


# =========================================================================== helpers
def _function_scope(ctx: Context) -> Optional[Scope]:
    scope: Optional[Scope] = ctx.scope
    while scope is not None and scope.kind not in ("function", "lambda"):
        if scope.kind == "class":
            return None
        scope = scope.parent
    return scope


def shared_kind(ctx: Context, target: cst.BaseExpression,
                params: bool = True) -> Optional[Tuple[str, Optional[Scope], Optional[str]]]:
    """What shared state ``target`` (a write target) names.

    ("global", None, None) / ("closure", None, None) / ("module", None, None) /
    ("self", class scope, attribute), ("closure", owner scope, None), or None for local state.
    """
    function = _function_scope(ctx)
    if function is None:
        return None
    if isinstance(target, cst.Name):
        kinds = {b.kind for b in function.bindings.get(target.value, ())}
        if GLOBAL in kinds:
            return ("global", None, None)
        if NONLOCAL in kinds:
            _bindings, owner = ctx.lookup(target.value)
            return ("closure", owner, None)
        return None
    root, attr = state_root(target)
    if root is None:
        return None
    if _is_thread_local(ctx, root):
        return None
    cls = ctx._class_of_self(root.value, ctx.scope)  # noqa: SLF001 - same package
    if cls is not None:
        if attr is None:
            return None
        if _self_attr_thread_local(ctx, cls, attr):
            return None
        return ("self", cls, attr)
    bindings, owner = ctx.lookup(root.value)
    if not bindings or owner is None:
        return None
    if owner.kind == "module":
        if all(b.kind == IMPORT for b in bindings) and attr is None:
            return None
        return ("module", None, None)
    if owner is not function and owner.kind == "function":
        if all(b.kind == PARAM for b in bindings) and owner.enclosing_class is not None \
                and owner.first_param == root.value:
            return None
        return ("closure", owner, None)
    if params and owner is function and any(b.kind == PARAM for b in bindings):
        targets = thread_targets_with_sites(ctx)
        shared = targets.shared_params.get(function.node) if targets else None  # type: ignore[arg-type]
        if shared and root.value in shared:
            return ("param", None, None)
    return None


def _is_thread_local(ctx: Context, root: cst.Name) -> bool:
    return ctx.type_of(root) == "threading.local"


def _self_attr_thread_local(ctx: Context, cls: Scope, attr: str) -> bool:
    for binding in cls.attributes.get(attr, ()):
        if isinstance(binding.node, cst.Call) and ctx.resolve(binding.node.func, cls.parent) in (
                "threading.local", "_threading_local.local"):
            return True
    return False


def _value_nodes(value: cst.CSTNode):
    """Nodes of an expression in evaluation-ish order, without attribute names and keyword
    names (``x.count`` / ``f(count=1)`` do not read a variable ``count``) or nested scopes."""

    stack: List[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        yield node
        if node is not value and isinstance(node, _SCOPE_NODES):
            continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)
            continue
        if isinstance(node, cst.Arg):
            stack.append(node.value)
            continue
        stack.extend(reversed(iter_children(node)))


def _reads(value: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """Does ``value`` read ``target`` (``d[k]`` also counts as read by ``d.get(k, ...)``)?"""
    container = target.value if isinstance(target, cst.Subscript) else None
    for node in _value_nodes(value):
        if isinstance(node, type(target)) and node.deep_equals(target):
            return True
        if (container is not None and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in ("get", "setdefault") and node.func.value.deep_equals(container)):
            first = positional(node, 0)
            slice_value = _single_index(target)  # type: ignore[arg-type]
            if first is not None and slice_value is not None and first.deep_equals(slice_value):
                return True
    return False


# Builtins whose result is computed from (a copy of) their argument's value.
_DERIVING_CALLS = frozenset({"int", "float", "str", "len", "list", "dict", "set", "tuple",
                             "sorted", "sum", "max", "min", "abs", "round", "bool"})


def _derived_nodes(value: cst.BaseExpression):
    """``value`` and the operands it is computed from by arithmetic, boolean logic, a
    conditional or a copying builtin -- not the arguments of arbitrary calls: the value of
    ``Client.connect(old.session)`` is a new object, not an update of ``old``."""
    stack = [value]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            stack.extend((node.left, node.right))
        elif isinstance(node, cst.UnaryOperation):
            stack.append(node.expression)
        elif isinstance(node, cst.Await):
            stack.append(node.expression)
        elif isinstance(node, cst.IfExp):
            stack.extend((node.body, node.orelse))
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
              and node.func.value in _DERIVING_CALLS):
            stack.extend(arg.value for arg in node.args)


def _is_read_of(node: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """``node`` itself reads ``target`` (``d[k]`` also by ``d.get(k, ...)``)."""
    if isinstance(node, type(target)) and node.deep_equals(target):
        return True
    if isinstance(target, cst.Subscript) and isinstance(node, cst.Call):
        return _reads(node, target) and isinstance(node.func, cst.Attribute) \
            and node.func.value.deep_equals(target.value)
    return False


def _derives_from(value: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    return any(_is_read_of(node, target) for node in _derived_nodes(value))


def _single_index(target: cst.Subscript) -> Optional[cst.BaseExpression]:
    if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
        return target.slice[0].slice.value
    return None


def _membership_test(test: cst.BaseExpression) -> Optional[Tuple[cst.BaseExpression, cst.BaseExpression, bool]]:
    """``k not in d`` -> (k, d, True); ``k in d`` -> (k, d, False); ``not k in d`` likewise."""
    negate = False
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        negate = not negate
        test = test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if isinstance(comparison.operator, cst.NotIn):
            return test.left, comparison.comparator, not negate
        if isinstance(comparison.operator, cst.In):
            return test.left, comparison.comparator, negate
        # d.get(k) is None
        if isinstance(comparison.operator, (cst.Is, cst.IsNot)) and isinstance(comparison.comparator, cst.Name) \
                and comparison.comparator.value == "None" and isinstance(test.left, cst.Call) \
                and isinstance(test.left.func, cst.Attribute) and test.left.func.attr.value == "get":
            key = positional(test.left, 0)
            if key is not None:
                missing = isinstance(comparison.operator, cst.Is)
                return key, test.left.func.value, missing != negate
    return None


def check_then_act(ctx: Context, target: cst.BaseExpression,
                   ancestors: Sequence[cst.CSTNode]) -> Optional[cst.If]:
    """The ``if k not in d:`` that guards the write ``d[k] = ...``, if any."""
    if not isinstance(target, cst.Subscript):
        return None
    key = _single_index(target)
    if key is None:
        return None
    child: cst.CSTNode = target
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, _SCOPE_NODES):
            return None
        if isinstance(ancestor, cst.If):
            test = _membership_test(ancestor.test)
            if test is not None and test[0].deep_equals(key) and test[1].deep_equals(target.value):
                missing = test[2]
                if (missing and child is ancestor.body) or (not missing and child is ancestor.orelse):
                    return ancestor
        child = ancestor
    return None


_AWAIT_CACHE: Dict[int, Tuple[cst.CSTNode, bool]] = {}


def _contains_await(node: cst.CSTNode) -> bool:
    cached = _AWAIT_CACHE.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    found = False
    for inner in walk_expression(node):
        if isinstance(inner, cst.Await) or (
                isinstance(inner, (cst.For, cst.With)) and inner.asynchronous is not None):
            found = True
            break
    if len(_AWAIT_CACHE) > 4096:
        _AWAIT_CACHE.clear()
    _AWAIT_CACHE[id(node)] = (node, found)
    return found


def _statement_children(node: cst.CSTNode) -> List[cst.CSTNode]:
    out: List[cst.CSTNode] = []
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        part = getattr(node, name, None)
        if part is None:
            continue
        parts = part if isinstance(part, (list, tuple)) else [part]
        for item in parts:
            if isinstance(item, cst.CSTNode):
                out.append(item)
    return out


def _starter(ctx: Context, node: cst.Call) -> Optional[Tuple[Starter, str]]:
    func = node.func
    if isinstance(func, cst.Attribute):
        name = func.attr.value
    elif isinstance(func, cst.Name):
        name = func.value
    else:
        return None
    if name not in STARTER_NAMES:
        return None
    qualname = ctx.resolve(func)
    starter = STARTERS.get(qualname) if qualname else None
    if starter is None and qualname is None and isinstance(func, cst.Attribute):
        starter = guessed_starter(ctx, func)
    if starter is None:
        return None
    kind = starter.kind
    if kind == BY_EXECUTOR:
        executor = positional(node, 0)
        kind = PROCESS if executor is not None and ctx.type_of(executor) in PROCESS_EXECUTORS else THREAD
    return starter, kind


def _local_read_then_await(target: cst.BaseExpression, names: Set[str], write: cst.CSTNode,
                           ancestors: Sequence[cst.CSTNode], require_await: bool = True) -> bool:
    """``n = self.n`` ... ``await`` ... ``self.n = n + 1`` in the same function (without
    ``require_await``: ``temp = counter; temp += 1; counter = temp``)."""
    awaited = not require_await or (
        isinstance(write, (cst.Assign, cst.AugAssign)) and _contains_await(write.value))
    # `x = self.v` ... `self.v = x` with `x` unchanged writes back what was read: a restore,
    # not an update (counts once the local is modified in between: `x += 1`)
    written = write.value if isinstance(write, cst.Assign) else None
    modified = not isinstance(written, cst.Name)
    reread = False  # an `if` testing the state again after the await guards the write
    child: cst.CSTNode = write
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, _SCOPE_NODES):
            return False
        body = ancestor.body if isinstance(ancestor, (cst.IndentedBlock, cst.Module)) else None
        if body is not None:
            before = []
            for stmt in body:
                if stmt is child:
                    break
                before.append(stmt)
            for stmt in reversed(before):
                if isinstance(stmt, cst.SimpleStatementLine):
                    for small in stmt.body:
                        if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name) \
                                and small.target.value in names:
                            modified = True
                        if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                                and isinstance(small.targets[0].target, cst.Name) \
                                and small.targets[0].target.value in names:
                            if _derives_from(small.value, target):
                                return awaited and modified and not reread
                            names.discard(small.targets[0].target.value)
                if not awaited and _contains_await(stmt):
                    awaited = True
        elif isinstance(ancestor, (cst.If, cst.While)) and isinstance(child, cst.BaseSuite):
            if not awaited and _contains_await(ancestor.test):
                awaited = True
            elif not awaited and _reads(ancestor.test, target):
                reread = True
        child = ancestor
    return False
