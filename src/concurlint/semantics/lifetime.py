"""How the values bound to local names are used: one place for "never used",
"never closed", "never awaited" and "never inspected".

For one function (or the module), a single walk of its body records, for every
name, every place the name is *read* and what that read does with the value.
Rules ask questions such as "is this task ever awaited, gathered, cancelled or
handed on?" or "is this client ever closed?" from the summary instead of
walking the function again.

API
---
``function_usage(ctx, scope_node) -> Dict[str, NameUsage]``
    The summary of every name read in ``scope_node`` (a ``FunctionDef``,
    ``Lambda`` or the ``Module``). Computed lazily on first request, cached in
    ``ctx.memo`` (one walk per function per file).

``usage_of(ctx, name, scope=None) -> Optional[NameUsage]``
    The usage of ``name`` in the function the traversal is currently in (or
    ``scope``'s function; the module when at module level). Returns an empty
    ``NameUsage`` for a name that is bound but never read, and ``None`` when the
    question cannot be answered (e.g. inside a class body).

``follow(ctx, name, scope=None) -> List[NameUsage]``
    ``usage_of(name)`` plus the usages of the names derived from it by simple
    assignment, tuple unpacking, subscription or iteration (``r = results``,
    ``for r in results``, ``a, b = results``, ``first = results[0]``),
    transitively (bounded).

``value_fate(ctx, node) -> Fate``
    What the statement around ``node`` (an expression the traversal is visiting,
    typically a ``Call``) does with its value: thrown away as an expression
    statement, bound to a single local name, or something else. ``await`` around
    the value is looked through and recorded.

What a read of name ``x`` is classified as (``NameUsage`` fields):

- ``awaited``: ``await x``;
- ``context_manager`` / ``async_context_manager``: ``with x`` / ``async with x``;
- ``methods``: ``x.close()`` -> ``{"close": [<Call>]}``; ``attributes``: ``x.done`` not called;
- ``returned`` / ``yielded`` / ``raised``: ``return x`` / ``yield x`` / ``raise x``
  (also when ``x`` sits inside a tuple/list/dict/set literal that is returned...);
- ``stored``: ``self.t = x``, ``d[k] = x``, ``items += [x]``, ``tasks.append(x)`` /
  ``.add`` / ``.put`` ..., or ``x`` declared ``global`` / ``nonlocal``;
- ``passed_to``: ``f(x)``, ``f(*x)``, ``f(k=x)``, ``f([x, y])`` -> ``[("f", <Call>)]`` (the
  callee's dotted source text, ``""`` when it is not a dotted name);
- ``aliases``: names bound from ``x`` (see ``follow``); ``iterated``: ``for .. in x``;
- ``tested``: ``if x``, ``not x``, ``x and y``, ``x is None``, ``x in s``;
- ``subscripted``: ``x[i]`` (the subscript is then classified like ``x`` itself; so is
  a concatenation ``x + y``);
- ``closure``: read inside a nested function, lambda or class;
- ``other``: any other read (e.g. an operand of ``+``, an f-string).

Reads are counted wherever they are in the body (before or after the binding,
in loops): precision first, a name read anywhere is "used".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from .traversal import iter_children

# Methods that put their argument into a collection (the value is kept alive there).
STORING_METHODS = frozenset({
    "append", "appendleft", "add", "extend", "extendleft", "insert", "put", "put_nowait",
    "setdefault", "update", "push", "register", "enter_context", "enter_async_context",
    "callback", "push_async_callback", "push_async_exit",
})

_MEMO_KEY = "lifetime.function_usage"
_MAX_FOLLOW = 8


@dataclass
class NameUsage:
    name: str
    loads: List[cst.Name] = field(default_factory=list)
    awaited: bool = False
    context_manager: bool = False
    async_context_manager: bool = False
    methods: Dict[str, List[cst.Call]] = field(default_factory=dict)
    attributes: Set[str] = field(default_factory=set)
    returned: bool = False
    yielded: bool = False
    raised: bool = False
    stored: bool = False
    passed_to: List[Tuple[str, cst.Call]] = field(default_factory=list)
    aliases: Set[str] = field(default_factory=set)
    iterated: bool = False
    tested: bool = False
    subscripted: bool = False
    called: bool = False
    closure: bool = False
    other: bool = False

    @property
    def used(self) -> bool:
        """The name is read somewhere (or kept alive as a global)."""
        return bool(self.loads) or self.stored

    @property
    def escapes(self) -> bool:
        """The value is handed on: returned, yielded, raised, stored, passed to a
        call, aliased, or captured by a nested scope."""
        return (self.returned or self.yielded or self.raised or self.stored or bool(self.passed_to)
                or bool(self.aliases) or self.closure)

    def calls_method(self, *names: str) -> bool:
        return any(name in self.methods for name in names)

    def passed_to_other_than(self, *callees: str) -> bool:
        """Passed to some call whose dotted callee text is not one of ``callees``."""
        return any(text not in callees for text, _ in self.passed_to)


@dataclass(frozen=True)
class Fate:
    """What happens to the value of an expression."""

    kind: str  # "discarded" | "name" | "other"
    name: Optional[str] = None  # for kind == "name"
    awaited: bool = False  # the value was awaited first (``await <node>``)
    statement: Optional[cst.CSTNode] = None  # the Expr / Assign / AnnAssign, when known


def dotted_text(expr: cst.BaseExpression) -> str:
    """``a.b.c`` for a dotted name, ``""`` otherwise."""
    parts: List[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return ""


def value_fate(ctx, node: cst.BaseExpression, through_comprehension: bool = False) -> Fate:
    """What the enclosing statement does with ``node``'s value (``node`` is being visited).

    ``through_comprehension``: when ``node`` is the element of a list/set comprehension
    or generator expression, report what happens to the comprehension instead (every
    value it produces shares that fate).
    """
    ancestors = ctx.ancestors
    index = len(ancestors) - 1
    current: cst.CSTNode = node
    awaited = False
    if index >= 0 and isinstance(ancestors[index], cst.Await) and ancestors[index].expression is current:
        awaited = True
        current = ancestors[index]
        index -= 1
    if (through_comprehension and index >= 0
            and isinstance(ancestors[index], (cst.ListComp, cst.SetComp, cst.GeneratorExp))
            and ancestors[index].elt is current):
        current = ancestors[index]
        index -= 1
    if index < 0:
        return Fate("other", awaited=awaited)
    parent = ancestors[index]
    if isinstance(parent, cst.Expr) and parent.value is current:
        return Fate("discarded", awaited=awaited, statement=parent)
    if isinstance(parent, cst.Assign) and parent.value is current and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            return Fate("name", target.value, awaited, parent)
    if isinstance(parent, cst.AnnAssign) and parent.value is current and isinstance(parent.target, cst.Name):
        return Fate("name", parent.target.value, awaited, parent)
    return Fate("other", awaited=awaited, statement=parent)


def function_usage(ctx, scope_node: cst.CSTNode) -> Dict[str, NameUsage]:
    """Per-name usage summary of ``scope_node`` (a function, lambda or module); cached."""
    memo = ctx.memo.setdefault(_MEMO_KEY, {})
    key = id(scope_node)
    found = memo.get(key)
    if found is None:
        found = _UsageWalker(scope_node).run()
        memo[key] = found
    return found


def _owner_node(ctx, scope=None) -> Optional[cst.CSTNode]:
    current = scope if scope is not None else ctx.scope
    while current is not None:
        if current.kind in ("function", "lambda", "module"):
            return current.node
        if current.kind == "class":
            return None
        current = current.parent
    return None


def usage_of(ctx, name: str, scope=None) -> Optional[NameUsage]:
    """How ``name`` is used in the current function (or module); None if unknown."""
    owner = _owner_node(ctx, scope)
    if owner is None:
        return None
    table = function_usage(ctx, owner)
    usage = table.get(name)
    if usage is None:
        usage = NameUsage(name)
    if isinstance(owner, cst.FunctionDef) and name in table.get("<outer>", NameUsage("")).aliases:
        usage.stored = True
    return usage


def follow(ctx, name: str, scope=None) -> List[NameUsage]:
    """``name``'s usage plus the usages of names derived from it (bounded, no cycles)."""
    first = usage_of(ctx, name, scope)
    if first is None:
        return []
    owner = _owner_node(ctx, scope)
    table = function_usage(ctx, owner) if owner is not None else {}
    result = [first]
    seen = {name}
    pending = list(first.aliases)
    while pending and len(result) < _MAX_FOLLOW:
        alias = pending.pop(0)
        if alias in seen:
            continue
        seen.add(alias)
        usage = table.get(alias) or NameUsage(alias)
        result.append(usage)
        pending.extend(usage.aliases)
    return result


# --------------------------------------------------------------------- the walk
_CONTAINERS = (cst.Tuple, cst.List, cst.Set, cst.Dict, cst.Element, cst.StarredElement,
               cst.DictElement, cst.StarredDictElement)
_TESTS = (cst.If, cst.While, cst.IfExp, cst.UnaryOperation, cst.BooleanOperation,
          cst.Comparison, cst.Assert, cst.ComparisonTarget, cst.CompIf)


def _store_names(target: cst.CSTNode, out: List[cst.Name]) -> None:
    if isinstance(target, cst.Name):
        out.append(target)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _store_names(element.value, out)
    elif isinstance(target, cst.StarredElement):
        _store_names(target.value, out)


class _UsageWalker:
    def __init__(self, root: cst.CSTNode):
        self.root = root
        self.table: Dict[str, NameUsage] = {}
        self.stores: Set[int] = set()
        self.skip: Set[int] = set()

    def get(self, name: str) -> NameUsage:
        usage = self.table.get(name)
        if usage is None:
            usage = self.table[name] = NameUsage(name)
        return usage

    def run(self) -> Dict[str, NameUsage]:
        root = self.root
        if isinstance(root, (cst.FunctionDef, cst.Lambda)):
            start = [root.body]
        else:
            start = list(iter_children(root))
        path: List[cst.CSTNode] = []
        # (node, nested, leave-marker)
        stack: List[Tuple[Optional[cst.CSTNode], bool, bool]] = [(n, False, False) for n in reversed(start)]
        while stack:
            node, nested, leave = stack.pop()
            if leave:
                path.pop()
                continue
            assert node is not None
            if isinstance(node, cst.Name):
                if id(node) not in self.stores and id(node) not in self.skip:
                    self.classify(node, path, nested)
                continue
            self.mark(node)
            path.append(node)
            stack.append((None, nested, True))
            for child, child_nested in reversed(self.children(node, nested)):
                stack.append((child, child_nested, False))
        return self.table

    # Store positions and fields that never hold a read.
    def mark(self, node: cst.CSTNode) -> None:
        names: List[cst.Name] = []
        if isinstance(node, cst.AssignTarget):
            _store_names(node.target, names)
        elif isinstance(node, (cst.For, cst.CompFor)):
            _store_names(node.target, names)
        elif isinstance(node, cst.AnnAssign):
            _store_names(node.target, names)
        elif isinstance(node, cst.NamedExpr):
            _store_names(node.target, names)
        elif isinstance(node, cst.AsName):
            _store_names(node.name, names)
        elif isinstance(node, cst.Del):
            _store_names(node.target, names)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            outer = self.get("<outer>")  # names bound in an enclosing scope: kept alive there
            for item in node.names:
                outer.aliases.add(item.name.value)
                names.append(item.name)
        for name in names:
            self.stores.add(id(name))

    def children(self, node: cst.CSTNode, nested: bool) -> List[Tuple[cst.CSTNode, bool]]:
        if isinstance(node, cst.Attribute):
            return [(node.value, nested)]
        if isinstance(node, cst.Arg):
            return [(node.value, nested)]
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return []
        if isinstance(node, cst.Param):
            out = []
            if node.default is not None:
                out.append((node.default, nested))
            if node.annotation is not None:
                out.append((node.annotation, nested))
            return out
        if isinstance(node, cst.FunctionDef):
            out = [(d, nested) for d in node.decorators]
            out.append((node.params, nested))
            if node.returns is not None:
                out.append((node.returns, nested))
            out.append((node.body, True))
            return out
        if isinstance(node, cst.ClassDef):
            out = [(d, nested) for d in node.decorators]
            out.extend((a, nested) for a in (*node.bases, *node.keywords))
            out.append((node.body, True))
            return out
        if isinstance(node, cst.Lambda):
            return [(node.params, nested), (node.body, True)]
        return [(child, nested) for child in iter_children(node)]

    def classify(self, name: cst.Name, path: List[cst.CSTNode], nested: bool) -> None:
        usage = self.get(name.value)
        usage.loads.append(name)
        if nested:
            usage.closure = True
            return
        current: cst.CSTNode = name
        index = len(path) - 1
        while index >= 0:
            parent = path[index]
            if isinstance(parent, cst.Subscript) and parent.value is current:
                usage.subscripted = True
            elif isinstance(parent, _CONTAINERS):
                pass  # look through literals: the container carries the value on
            elif isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
                pass  # `a + b` concatenation carries both operands on
            else:
                break
            current = parent
            index -= 1
        if index < 0:
            usage.other = True
            return
        parent = path[index]
        grand = path[index - 1] if index >= 1 else None
        if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
            callee = dotted_text(grand.func)
            usage.passed_to.append((callee, grand))
            if isinstance(grand.func, cst.Attribute) and grand.func.attr.value in STORING_METHODS:
                usage.stored = True
        elif isinstance(parent, cst.Await):
            usage.awaited = True
        elif isinstance(parent, cst.Attribute) and parent.value is current:
            if isinstance(grand, cst.Call) and grand.func is parent:
                usage.methods.setdefault(parent.attr.value, []).append(grand)
            else:
                usage.attributes.add(parent.attr.value)
        elif isinstance(parent, cst.Return):
            usage.returned = True
        elif isinstance(parent, cst.Yield) or (isinstance(parent, cst.From) and isinstance(grand, cst.Yield)):
            usage.yielded = True
        elif isinstance(parent, cst.Raise):
            usage.raised = True
        elif isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)) and parent.value is current:
            targets = ([t.target for t in parent.targets] if isinstance(parent, cst.Assign)
                       else [parent.target])
            for target in targets:
                names: List[cst.Name] = []
                _store_names(target, names)
                if names:
                    usage.aliases.update(n.value for n in names)
                if not isinstance(target, (cst.Name, cst.Tuple, cst.List, cst.StarredElement)):
                    usage.stored = True  # self.x = v, d[k] = v
        elif isinstance(parent, cst.AugAssign):
            # `items += [x]` keeps x; `total += x` only computes with it
            if parent.value is current and (current is not name or not isinstance(parent.target, cst.Name)):
                usage.stored = True
            else:
                usage.other = True
        elif isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is current:
            usage.iterated = True
            names = []
            _store_names(parent.target, names)
            usage.aliases.update(n.value for n in names)
        elif isinstance(parent, cst.WithItem) and parent.item is current:
            if isinstance(grand, cst.With) and grand.asynchronous is not None:
                usage.async_context_manager = True
            else:
                usage.context_manager = True
        elif isinstance(parent, cst.Call) and parent.func is current:
            usage.called = True
        elif isinstance(parent, _TESTS):
            usage.tested = True
        else:
            usage.other = True


__all__ = [
    "Fate", "NameUsage", "STORING_METHODS", "dotted_text", "follow", "function_usage",
    "usage_of", "value_fate",
]
