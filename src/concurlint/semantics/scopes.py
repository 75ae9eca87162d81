"""Scopes and bindings, collected by a cheap statement-level scan.

We do not run libcst's ScopeProvider (about 3.5x the parse). Instead, when the
traversal enters a module, class or function, ``collect_bindings`` scans that
scope's *statements* (never descending into expressions or nested scopes) and
records every name the scope binds and what it was bound to. That is enough to
answer the two questions every rule asks: "which library object does this name
refer to?" and "what kind of object was this name bound to?".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Union

import libcst as cst

# Binding kinds
IMPORT = "import"
DEF = "def"
ASYNC_DEF = "async-def"
CLASS = "class"
ASSIGN = "assign"
PARAM = "param"
OTHER = "other"  # for-targets, except-as, del, walrus...: a value we do not track
GLOBAL = "global"
NONLOCAL = "nonlocal"


@dataclass
class Binding:
    name: str
    kind: str
    node: Optional[cst.CSTNode] = None  # the value / def / class / param node
    qualname: Optional[str] = None  # for imports: the imported object's qualified name
    annotation: Optional[cst.BaseExpression] = None
    with_item: bool = False  # bound by `with X as name` (value is X's __enter__ result)
    # for `self.x = value` attributes: the method scope `value` is evaluated in (its
    # locals and `self`), so `self.cur = self.conn.cursor()` can be typed from other methods.
    value_scope: Optional["Scope"] = None
    # `a, b = value` (kind OTHER): the unpacked value and this name's position in it
    unpacked_from: Optional[cst.BaseExpression] = None
    unpack_index: int = -1


@dataclass
class Scope:
    kind: str  # "module" | "class" | "function" | "lambda" | "comprehension"
    node: cst.CSTNode
    parent: Optional["Scope"]
    is_async: bool = False
    bindings: Dict[str, List[Binding]] = field(default_factory=dict)
    # class scopes: self.<attr> assignments in its methods -> value nodes
    attributes: Dict[str, List[Binding]] = field(default_factory=dict)
    name: str = ""
    first_param: Optional[str] = None  # "self"/"cls" for methods

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    def lookup_local(self, name: str) -> Optional[List[Binding]]:
        return self.bindings.get(name)

    @property
    def function(self) -> Optional["Scope"]:
        """The innermost function or lambda scope (self included), if any."""
        scope: Optional[Scope] = self
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                return scope
            scope = scope.parent
        return None

    @property
    def enclosing_class(self) -> Optional["Scope"]:
        """For a method scope: the class scope it is defined in."""
        if self.kind == "function" and self.parent is not None and self.parent.kind == "class":
            return self.parent
        return None



def node_types(*bases: type) -> FrozenSet[type]:
    """``bases`` and every subclass, for ``type(node) in ...``: the exact-type test
    that does not go through ABCMeta like ``isinstance(node, bases)`` does."""
    found: Set[type] = set()
    work = list(bases)
    while work:
        cls = work.pop()
        if cls not in found:
            found.add(cls)
            work.extend(cls.__subclasses__())
    return frozenset(found)


def _dotted(node: Union[cst.Attribute, cst.Name]) -> str:
    if isinstance(node, cst.Name):
        return node.value
    return f"{_dotted(node.value)}.{node.attr.value}"  # type: ignore[arg-type]


def import_module_base(node: cst.ImportFrom, module_name: Optional[str], is_package: bool) -> Optional[str]:
    """The absolute module a `from ... import` reads from, when it can be known."""
    level = len(node.relative)
    target = _dotted(node.module) if node.module is not None else ""
    if level == 0:
        return target
    if not module_name:
        return None
    parts = module_name.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    joined = ".".join(base)
    if target:
        return f"{joined}.{target}" if joined else target
    return joined or None


class BindingCollector:
    """Scans the statements of one scope and adds its bindings to ``scope``."""

    def __init__(self, scope: Scope, module_name: Optional[str] = None, is_package: bool = False,
                 record_attributes: bool = True):
        self.scope = scope
        self.record_attributes = record_attributes
        self.module_name = module_name
        self.is_package = is_package

    def statements(self, body: Iterable[cst.CSTNode]) -> None:
        for stmt in body:
            self.statement(stmt)

    # Dispatch on the exact node type: parse trees hold only concrete libcst classes
    # (never subclasses), and a failed isinstance() on them goes through ABCMeta, a
    # Python-level call; these methods run for every statement of every scope.
    def statement(self, stmt: cst.CSTNode) -> None:
        kind = type(stmt)
        if kind is cst.SimpleStatementLine:
            for small in stmt.body:
                self.small_statement(small)
        elif kind is cst.FunctionDef:
            kind_name = ASYNC_DEF if stmt.asynchronous is not None else DEF
            self.scope.add(Binding(stmt.name.value, kind_name, stmt))
        elif kind is cst.ClassDef:
            self.scope.add(Binding(stmt.name.value, CLASS, stmt))
        elif kind is cst.If or kind is cst.While:
            self.block(stmt.body)
            if stmt.orelse is not None:
                self.statement(stmt.orelse)
        elif kind is cst.Else:
            self.block(stmt.body)
        elif kind is cst.For:
            self.target(stmt.target, OTHER, None)
            self.block(stmt.body)
            if stmt.orelse is not None:
                self.block(stmt.orelse.body)
        elif kind is cst.With:
            for item in stmt.items:
                if item.asname is not None:
                    self.target(item.asname.name, ASSIGN, item.item, with_item=True)
            self.block(stmt.body)
        elif kind is cst.Try or kind is cst.TryStar:
            self.block(stmt.body)
            for handler in stmt.handlers:
                if handler.name is not None:
                    self.target(handler.name.name, OTHER, None)
                self.block(handler.body)
            if stmt.orelse is not None:
                self.block(stmt.orelse.body)
            if stmt.finalbody is not None:
                self.block(stmt.finalbody.body)
        elif kind is cst.Match:
            for case in stmt.cases:
                self.block(case.body)
        elif kind is cst.IndentedBlock or kind is cst.SimpleStatementSuite:
            self.block(stmt)

    def block(self, block: cst.BaseSuite) -> None:
        kind = type(block)
        if kind is cst.IndentedBlock:
            self.statements(block.body)
        elif kind is cst.SimpleStatementSuite:
            for small in block.body:
                self.small_statement(small)

    def small_statement(self, small: cst.BaseSmallStatement) -> None:
        kind = type(small)
        if kind is cst.Assign:
            for target in small.targets:
                self.target(target.target, ASSIGN, small.value)
        elif kind is cst.AnnAssign:
            self.target(small.target, ASSIGN if small.value is not None else OTHER,
                        small.value, annotation=small.annotation.annotation)
        elif kind is cst.Import:
            for alias in small.names:
                full = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.scope.add(Binding(alias.asname.name.value, IMPORT, alias, qualname=full))
                else:
                    top = full.split(".")[0]
                    self.scope.add(Binding(top, IMPORT, alias, qualname=top))
        elif kind is cst.ImportFrom:
            if isinstance(small.names, cst.ImportStar):
                return
            base = import_module_base(small, self.module_name, self.is_package)
            for alias in small.names:
                imported = _dotted(alias.name)
                local = imported
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                qualname = f"{base}.{imported}" if base else None
                self.scope.add(Binding(local, IMPORT if qualname else OTHER, alias, qualname=qualname))
        elif kind is cst.Global:
            for item in small.names:
                self.scope.add(Binding(item.name.value, GLOBAL))
        elif kind is cst.Nonlocal:
            for item in small.names:
                self.scope.add(Binding(item.name.value, NONLOCAL))
        # AugAssign rebinds with the same kind of value; Del, Expr, Return... bind nothing

    def target(self, target: cst.BaseExpression, kind: str, value: Optional[cst.BaseExpression],
               annotation: Optional[cst.BaseExpression] = None, with_item: bool = False) -> None:
        if isinstance(target, cst.Name):
            self.scope.add(Binding(target.value, kind, value, annotation=annotation, with_item=with_item))
        elif isinstance(target, (cst.Tuple, cst.List)):
            starred = any(isinstance(e, cst.StarredElement) for e in target.elements)
            for index, element in enumerate(target.elements):
                inner = element.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                if (isinstance(inner, cst.Name) and kind == ASSIGN and value is not None
                        and not starred and not with_item):
                    self.scope.add(Binding(inner.value, OTHER, None, unpacked_from=value, unpack_index=index))
                else:
                    self.target(inner, OTHER, None)
        elif isinstance(target, cst.StarredElement):
            self.target(target.value, OTHER, None)
        elif isinstance(target, cst.Attribute) and self.record_attributes and self.scope.kind == "function":
            self._self_attribute(target, value, annotation, with_item)

    def _self_attribute(self, target: cst.Attribute, value: Optional[cst.BaseExpression],
                        annotation: Optional[cst.BaseExpression], with_item: bool) -> None:
        cls = self.scope.enclosing_class
        if (cls is not None and isinstance(target.value, cst.Name)
                and target.value.value == self.scope.first_param):
            cls.attributes.setdefault(target.attr.value, []).append(
                Binding(target.attr.value, ASSIGN, value, annotation=annotation, with_item=with_item,
                        value_scope=self.scope))


def add_parameters(scope: Scope, params: cst.Parameters) -> None:
    ordered: List[cst.Param] = [*params.posonly_params, *params.params]
    for param in [*ordered, *params.kwonly_params]:
        annotation = param.annotation.annotation if param.annotation is not None else None
        scope.add(Binding(param.name.value, PARAM, param, annotation=annotation))
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            scope.add(Binding(star.name.value, PARAM, star))
    if ordered:
        scope.first_param = ordered[0].name.value


def class_attribute_scan(class_scope: Scope, body: Sequence[cst.CSTNode], module_name: Optional[str]) -> None:
    """Record ``self.x = ...`` bindings made in the methods of a class."""
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and not _is_static(stmt):
            method = Scope("function", stmt, class_scope)
            add_parameters(method, stmt.params)
            if method.first_param is None:
                continue
            BindingCollector(method, module_name).block(stmt.body)


def _is_static(func: cst.FunctionDef) -> bool:
    for decorator in func.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return True
    return False


def iter_scopes(scope: Optional[Scope]) -> Iterator[Scope]:
    while scope is not None:
        yield scope
        scope = scope.parent
