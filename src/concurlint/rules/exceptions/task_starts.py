"""Whether a coroutine is the body of a task, for CCY602: started only through
``create_task``/``ensure_future``/``start_soon``/``asyncio.run`` (directly, through an alias
or an import), run per request by a web server, or returned as a wrapper by a decorator.
"""
from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from ...apis.coroutines import CORO_TASK_STARTERS, FUNCTION_TASK_STARTERS
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text, function_usage
from ...semantics.scopes import IMPORT
from ...semantics.traversal import iter_children
from ..coroutines.common import walk_body
from .common import _last


def _task_boundary(ctx: Context) -> bool:
    """The coroutine is the body of a task: the code we can see only ever starts it as
    one (``create_task(f())``, ``ensure_future``, a ``*_create_task`` helper,
    ``nursery.start_soon(f)``, ``asyncio.run(f())``...), it handles one request of a
    web server (a ``request`` parameter: the server runs each request as a task and
    cancels it when the client goes away), or it is a wrapper its enclosing function
    returns (a decorator's ``wrapped``: whoever starts it is out of sight)."""
    function = ctx.function
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return False
    node = function.node
    key = ("exceptions.task_boundary", id(node))
    found = ctx.memo.get(key)
    if found is not None:
        return found
    params = node.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    parent = function.parent
    name = node.name.value
    if "request" in names:
        found = True
    elif parent is not None and parent.kind == "function" and any(
            isinstance(n, cst.Return) and isinstance(n.value, cst.Name) and n.value.value == name
            for n in walk_body(parent.node)):
        found = True
    elif parent is not None:
        method = parent.kind == "class"
        root = parent.node if parent.kind == "function" else ctx.module
        references = 0
        found = True
        for ref, path in _reads(ctx).references(root, name, method):
            if method and _through_import(ctx, ref):
                continue  # `other_module.name`: a function of another module, not this method
            references += 1
            if not _starts_task(ctx, ref, path):
                found = False
                break
        found = found and references > 0
    else:
        found = False
    ctx.memo[key] = found
    return found


def _through_import(ctx: Context, ref: cst.CSTNode) -> bool:
    receiver = ref.value if isinstance(ref, cst.Attribute) else None
    if not isinstance(receiver, cst.Name):
        return False
    bindings = ctx.module_scope.bindings.get(receiver.value)
    return bool(bindings) and all(b.kind == IMPORT for b in bindings)


_STARTING_VERB = re.compile(r"(^|_)(create|spawn|start|schedule)(_|$)")


def _is_starter(call: cst.Call, arg: cst.Arg, function_passed: bool) -> bool:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    first = arg is positional[0] if positional else False
    if not first and not (arg.keyword is not None and arg.keyword.value == "coro"):
        return False
    last = _last(call.func)
    if function_passed:
        return last in FUNCTION_TASK_STARTERS
    if last in CORO_TASK_STARTERS:
        return True
    return "task" in dotted_text(call.func).lower() and bool(_STARTING_VERB.search(last))


def _starts_task(ctx: Context, ref: cst.CSTNode, path: List[cst.CSTNode], alias: bool = False) -> bool:
    if len(path) < 2:
        return False
    parent, grand = path[-1], path[-2]
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
        return _is_starter(grand, parent, function_passed=True)
    if not (isinstance(parent, cst.Call) and parent.func is ref) or len(path) < 3:
        return not alias and _started_through_alias(ctx, ref, path)
    outer = path[-3]
    if isinstance(grand, cst.Arg) and isinstance(outer, cst.Call):
        return _is_starter(outer, grand, function_passed=False)
    if (isinstance(grand, cst.Assign) and len(grand.targets) == 1
            and isinstance(grand.targets[0].target, cst.Name)):
        # `coro = self._run(...)` then `loop.create_task(coro)`: follow the name
        owner = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
        if owner is None:
            return False
        usage = function_usage(ctx, owner).get(grand.targets[0].target.value)
        if usage is None or not usage.passed_to or len(usage.loads) != len(usage.passed_to):
            return False
        for _, call in usage.passed_to:
            arg = next((a for a in call.args if _holds(a, usage.name)), None)
            if arg is None or not _is_starter(call, arg, function_passed=False):
                return False
        return True
    return False


def _started_through_alias(ctx: Context, ref: cst.CSTNode, path: List[cst.CSTNode]) -> bool:
    """``run = self._loop if forever else self._once`` (the function itself bound to a
    local name), then every use of that name starts a task."""
    index = len(path) - 1
    current: cst.CSTNode = ref
    while index >= 0 and isinstance(path[index], cst.IfExp) and current is not path[index].test:
        current = path[index]
        index -= 1
    assign = path[index] if index >= 0 else None
    if not (isinstance(assign, cst.Assign) and assign.value is current and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)):
        return False
    owner = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
    if owner is None:
        return False
    uses = 0
    for use, use_path in _reads(ctx).references(owner.body, assign.targets[0].target.value, method=False):
        if any(n is assign for n in use_path):
            continue
        uses += 1
        if not _starts_task(ctx, use, [owner, *use_path], alias=True):
            return False
    return uses > 0


def _holds(arg: cst.Arg, name: str) -> bool:
    return isinstance(arg.value, cst.Name) and arg.value.value == name


def _references(root: cst.CSTNode, name: str, method: bool) -> Iterator[Tuple[cst.CSTNode, List[cst.CSTNode]]]:
    """Every read of ``name`` under ``root`` (``obj.name`` for a method), with its ancestors
    (``_Reads`` answers the same for the roots inside the module, from one walk)."""
    path: List[cst.CSTNode] = []
    for node, parent in _visit(root):
        while path and path[-1] is not parent:  # back up to this node's parent
            path.pop()
        if method and type(node) is cst.Attribute and node.attr.value == name:  # type: ignore[attr-defined]
            yield node, list(path)
        elif not method and type(node) is cst.Name and node.value == name:  # type: ignore[attr-defined]
            yield node, list(path)
        path.append(node)


def _visit(root: cst.CSTNode) -> Iterator[Tuple[cst.CSTNode, Optional[cst.CSTNode]]]:
    """The nodes where a function can be read under ``root``, each with its parent, in
    source order: not into imports, attribute names, keyword names, the names a ``def``
    or ``class`` binds, or parameter names."""
    stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        kind = type(node)
        if kind is cst.Import or kind is cst.ImportFrom or kind is cst.Name:
            continue
        if kind is cst.Attribute or kind is cst.Arg:
            children: Sequence[cst.CSTNode] = (node.value,)  # type: ignore[attr-defined]
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            children = [c for c in iter_children(node) if c is not node.name]  # type: ignore[attr-defined]
        elif kind is cst.Param:
            children = [c for c in (node.default, node.annotation) if c is not None]  # type: ignore[attr-defined]
        else:
            children = iter_children(node)
        for child in reversed(children):
            stack.append((child, node))


class _Reads:
    """The reads of every name in one module, found in one walk (CCY602 asks for the
    references of each method of a class it meets; a walk of the module per method
    was most of the rule's time on big modules)."""

    def __init__(self, module: cst.Module):
        self.module = module
        self.parents: Dict[int, Optional[cst.CSTNode]] = {}
        self.names: Dict[str, List[cst.CSTNode]] = {}
        self.attributes: Dict[str, List[cst.CSTNode]] = {}
        parents = self.parents
        for node, parent in _visit(module):
            parents[id(node)] = parent
            kind = type(node)
            if kind is cst.Name:
                self.names.setdefault(node.value, []).append(node)  # type: ignore[attr-defined]
            elif kind is cst.Attribute:
                self.attributes.setdefault(node.attr.value, []).append(node)  # type: ignore[attr-defined]

    def references(self, root: cst.CSTNode, name: str,
                   method: bool) -> Iterator[Tuple[cst.CSTNode, List[cst.CSTNode]]]:
        """What ``_references(root, name, method)`` yields."""
        if id(root) not in self.parents:
            yield from _references(root, name, method)
            return
        for node in (self.attributes if method else self.names).get(name, ()):
            path: List[cst.CSTNode] = []
            parent = self.parents[id(node)]
            while parent is not None and parent is not root:
                path.append(parent)
                parent = self.parents[id(parent)]
            if parent is root:
                path.append(root)
                path.reverse()
                yield node, path


def _reads(ctx: Context) -> _Reads:
    key = ("exceptions.reads", id(ctx.module))
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = _Reads(ctx.module)
    return found
