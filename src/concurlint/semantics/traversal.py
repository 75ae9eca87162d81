"""The one traversal: walks a module once and dispatches to every enabled rule.

Cheaper than libcst's visitor: it is iterative (no recursion limit on deep
expressions), never descends into whitespace, parentheses, commas or operators,
and calls only the handlers some enabled rule defined for each node type.
It keeps the Context's scope stack and ancestors up to date, so rules can ask
"am I in an async def?" or "what does this name refer to?" at any node.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Type

import libcst as cst

from .context import Context
from .scopes import BindingCollector, Scope, add_parameters, class_attribute_scan, node_types

Handler = Callable[[cst.CSTNode], None]

_SKIPPED_FIELDS = frozenset({
    "asynchronous", "colon", "comma", "default_indent", "default_newline", "dot", "empty_lines",
    "encoding", "equal", "first_colon", "footer", "header", "indent", "leading_lines",
    "leading_whitespace", "lines_after_decorators", "lpar", "rpar", "lbrace", "rbrace",
    "lbracket", "rbracket", "newline", "operator", "posonly_ind", "second_colon", "semicolon",
    "trailing_whitespace", "relative", "star", "conversion", "comment", "has_trailing_newline",
    "whitespace", "last_line", "first_line", "separator", "trailing_comma",
})
# Nodes whose subtrees no rule reads.
_LEAF_TYPES: Tuple[type, ...] = (
    cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis,
    cst.Import, cst.ImportFrom, cst.Pass, cst.Global, cst.Nonlocal,
)
_child_fields: Dict[type, Tuple[str, ...]] = {}

# Stack markers
_LEAVE = 1
_POP_SCOPE = 2
_PUSH_SCOPE = 3


def child_fields(cls: type) -> Tuple[str, ...]:
    fields = _child_fields.get(cls)
    if fields is None:
        fields = tuple(
            f.name for f in dataclasses.fields(cls)
            if not f.name.startswith("whitespace") and f.name not in _SKIPPED_FIELDS
        )
        _child_fields[cls] = fields
    return fields


# isinstance() on libcst classes goes through ABCMeta.__instancecheck__ (slow, and
# called for every field of every node): the traversal asks a per-type cache instead.
# Kinds: 1 a node, 2 a tuple/list (of nodes, maybe), 0 anything else.
_kinds: Dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _kinds.get(cls)
    if kind is None:
        kind = 1 if issubclass(cls, cst.CSTNode) else 2 if issubclass(cls, (tuple, list)) else 0
        _kinds[cls] = kind
    return kind


def iter_children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The child nodes a rule may care about, in source order."""
    children: List[cst.CSTNode] = []
    cls = type(node)
    if cls in _LEAF_SET:
        return children
    kinds = _kinds
    for name in child_fields(cls):
        value = getattr(node, name)
        kind = kinds.get(type(value))
        if kind is None:
            kind = _kind(type(value))
        if kind == 1:
            children.append(value)
        elif kind == 2:
            for item in value:
                item_kind = kinds.get(type(item))
                if item_kind is None:
                    item_kind = _kind(type(item))
                if item_kind == 1:
                    children.append(item)
    return children


class Dispatcher:
    """Handler tables for one set of rule instances: node type -> bound methods."""

    def __init__(self, rules: Sequence[object]):
        self.enter: Dict[Type[cst.CSTNode], List[Handler]] = {}
        self.leave: Dict[Type[cst.CSTNode], List[Handler]] = {}
        for rule in rules:
            for leaving, concrete, attr in _handler_names(type(rule)):
                table = self.leave if leaving else self.enter
                table.setdefault(concrete, []).append(getattr(rule, attr))

        # leaves without handlers: the walk does not even put them on its stack
        self.dead_leaves = frozenset(
            t for t in _LEAF_SET | _NAME_SET if t not in self.enter and t not in self.leave)

    def remove(self, rule: object) -> None:
        """Stop dispatching to ``rule`` (after it raised)."""
        for table in (self.enter, self.leave):
            for node_type, handlers in list(table.items()):
                kept = [h for h in handlers if h.__self__ is not rule]  # type: ignore[attr-defined]
                if kept:
                    table[node_type] = kept
                else:
                    del table[node_type]


_handler_table: Dict[type, List[Tuple[bool, type, str]]] = {}


def _handler_names(rule_class: type) -> List[Tuple[bool, type, str]]:
    """(is a leave_ handler, node type, method name) of a rule class, found once per class."""
    found = _handler_table.get(rule_class)
    if found is None:
        found = []
        for attr in dir(rule_class):
            if attr.startswith("visit_"):
                leaving, type_name = False, attr[6:]
            elif attr.startswith("leave_"):
                leaving, type_name = True, attr[6:]
            else:
                continue
            node_type = getattr(cst, type_name, None)
            if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                found.extend((leaving, concrete, attr) for concrete in node_types(node_type))
        _handler_table[rule_class] = found
    return found


_LEAF_SET = node_types(*_LEAF_TYPES)
_NAME_SET = node_types(cst.Name)
_SCOPED_SET = node_types(cst.FunctionDef, cst.ClassDef, cst.Lambda)


Failure = Tuple[str, BaseException, Optional[cst.CSTNode]]


def walk(module: cst.Module, ctx: Context, dispatcher: Dispatcher,
         failures: Optional[List[Failure]] = None) -> None:
    """Walk ``module`` once, maintaining ``ctx`` and calling the handlers.

    A handler that raises is recorded in ``failures`` (rule code, exception, node)
    and its rule is switched off for the rest of the file; the walk goes on.
    """
    if failures is None:
        failures = []
    enter, leave = dispatcher.enter, dispatcher.leave

    def call(handlers: List[Handler], node: cst.CSTNode) -> None:
        for handler in handlers:
            try:
                handler(node)
            except Exception as exc:  # noqa: BLE001 - reported as CCY003
                rule = handler.__self__  # type: ignore[attr-defined]
                failures.append((getattr(rule, "code", type(rule).__name__), exc, node))
                dispatcher.remove(rule)
                return call([h for h in handlers if h.__self__ is not rule], node)  # type: ignore[attr-defined]

    ancestors = ctx.ancestors
    # Leaves no rule handles (names above all: a third of the nodes) are not even
    # put on the stack: nothing is called for them and they have nothing below.
    dead = dispatcher.dead_leaves
    collector = BindingCollector(ctx.module_scope, ctx.module_name, ctx.is_package)
    collector.statements(module.body)

    stack: List[Tuple[int, object]] = [(0, child) for child in reversed(iter_children(module))]
    ancestors.append(module)
    call(enter.get(cst.Module, []), module)
    while stack:
        marker, item = stack.pop()
        if marker == _LEAVE:
            node = ancestors.pop()
            handlers = leave.get(type(node))
            if handlers:
                call(handlers, node)
            continue
        if marker == _PUSH_SCOPE:
            _push_scope(ctx, item)  # type: ignore[arg-type]
            continue
        if marker == _POP_SCOPE:
            ctx.scope = ctx.scope.parent  # type: ignore[assignment]
            continue
        node = item  # type: ignore[assignment]
        handlers = enter.get(type(node))
        if handlers:
            call(handlers, node)
        ancestors.append(node)
        stack.append((_LEAVE, node))
        if type(node) in _SCOPED_SET:  # FunctionDef, ClassDef, Lambda (and subclasses)
            _schedule_scoped(node, stack)
        else:
            for child in reversed(iter_children(node)):
                if type(child) not in dead:
                    stack.append((0, child))
    ancestors.pop()
    call(leave.get(cst.Module, []), module)


def _schedule_scoped(node: cst.CSTNode, stack: List[Tuple[int, object]]) -> None:
    """Outer parts (decorators, defaults, bases) in the enclosing scope; body inside."""
    if isinstance(node, cst.FunctionDef):
        outer: List[cst.CSTNode] = [d for d in node.decorators]
        outer.append(node.params)
        if node.returns is not None:
            outer.append(node.returns)
        inner: List[cst.CSTNode] = [node.body]
    elif isinstance(node, cst.ClassDef):
        outer = [*node.decorators, *node.bases, *node.keywords]
        inner = [node.body]
    else:  # Lambda
        outer = [node.params]  # type: ignore[attr-defined]
        inner = [node.body]  # type: ignore[attr-defined]
    stack.append((_POP_SCOPE, None))
    for child in reversed(inner):
        stack.append((0, child))
    stack.append((_PUSH_SCOPE, node))
    for child in reversed(outer):
        stack.append((0, child))


def _push_scope(ctx: Context, node: cst.CSTNode) -> None:
    parent = ctx.scope
    if isinstance(node, cst.FunctionDef):
        scope = Scope("function", node, parent, is_async=node.asynchronous is not None,
                      name=node.name.value)
        add_parameters(scope, node.params)
        BindingCollector(scope, ctx.module_name, ctx.is_package, record_attributes=False).block(node.body)
    elif isinstance(node, cst.ClassDef):
        scope = Scope("class", node, parent, name=node.name.value)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        BindingCollector(scope, ctx.module_name, ctx.is_package).block(node.body)
        class_attribute_scan(scope, body, ctx.module_name)  # type: ignore[arg-type]
    else:
        scope = Scope("lambda", node, parent)
        add_parameters(scope, node.params)  # type: ignore[attr-defined]
    ctx.scope = scope
