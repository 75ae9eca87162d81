"""The facts every rule asks for, in one place.

``Context`` is what a rule sees: where the traversal is (scope stack, ancestors,
async context), what names refer to (``resolve``), what objects were bound to
(``type_of``), project-wide facts (``project``) and ``report``.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from ..apis import ENTER_RESULT, canonical, returned_type
from ..apis.types import ATTRIBUTE_TYPES, ITEM_TYPES, OPERATOR_TYPES, UNPACKED_TYPES
from ..findings import Fix, Text
from .scopes import (
    ASSIGN, ASYNC_DEF, CLASS, DEF, GLOBAL, IMPORT, NONLOCAL, PARAM, Binding, Scope, node_types,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings
    from .project import ProjectIndex

BUILTIN_NAMES = frozenset(dir(builtins))
_MAX_DEPTH = 12  # bound on alias/type chains (x = y; y = x ...)
_EXPRESSIONS = node_types(cst.BaseExpression)


@dataclass
class Report:
    node: cst.CSTNode
    code: str
    message: Text
    fix: Optional[Fix] = None


class Context:
    def __init__(self, module: cst.Module, path: str, settings: "Settings",
                 module_name: Optional[str] = None, is_package: bool = False,
                 project: Optional["ProjectIndex"] = None, enabled: Optional[Set[str]] = None,
                 text: Optional[str] = None):
        self.module = module
        # the source text, when the caller has it (cheap textual gates before costly analyses)
        self.text = text
        self.path = path
        self.settings = settings
        self.module_name = module_name
        self.is_package = is_package
        self.project = project
        self.enabled: Set[str] = enabled if enabled is not None else set()
        self.scope: Scope = Scope("module", module, None)
        self.module_scope = self.scope
        self.ancestors: List[cst.CSTNode] = []
        self.reports: List[Report] = []
        self._reported: Set[Tuple[int, str]] = set()
        self._resolve_memo: Dict[int, Optional[str]] = {}
        # Shared per-file memo for analyses that several rules need (keyed by the analysis).
        self.memo: Dict[Any, Any] = {}

    # ----------------------------------------------------------------- position
    @property
    def parent(self) -> Optional[cst.CSTNode]:
        return self.ancestors[-1] if self.ancestors else None

    @property
    def function(self) -> Optional[Scope]:
        """The innermost function or lambda scope we are in (None at module/class level)."""
        scope: Optional[Scope] = self.scope
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                return scope
            if scope.kind == "class":
                return None
            scope = scope.parent
        return None

    @property
    def in_async_function(self) -> bool:
        """Lexically inside an ``async def`` body, not in a nested def, lambda or class."""
        function = self.function
        return function is not None and function.kind == "function" and function.is_async

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled

    @property
    def async_backend(self) -> Optional[str]:
        """``asyncio``, ``trio`` or ``anyio``: the library this module's messages and
        fixes speak of (``semantics/backend.py``); None when unknown or mixed."""
        if "async_backend" not in self.memo:
            from .backend import module_backend

            text = self.text if self.text is not None else self.module.code
            self.memo["async_backend"] = module_backend(
                text, self.path, self.settings.async_backend, self.module_name)
        return self.memo["async_backend"]

    # ----------------------------------------------------------------- reports
    def report(self, node: cst.CSTNode, code: str, message: Text, fix: Optional[Fix] = None) -> None:
        """Record a finding at ``node``; one per (node, code), only for enabled codes."""
        if code not in self.enabled:
            return
        key = (id(node), code)
        if key in self._reported:
            return
        self._reported.add(key)
        self.reports.append(Report(node, code, message, fix))

    # ----------------------------------------------------------------- names
    def lookup(self, name: str, scope: Optional[Scope] = None) -> Tuple[Optional[List[Binding]], Optional[Scope]]:
        """The bindings ``name`` refers to from ``scope`` (Python's LEGB rule, classes skipped)."""
        start = scope or self.scope
        current: Optional[Scope] = start
        while current is not None:
            if current.kind == "class" and current is not start:
                current = current.parent
                continue
            bindings = current.bindings.get(name)
            if bindings:
                kinds = {b.kind for b in bindings}
                if GLOBAL in kinds:
                    return self.module_scope.bindings.get(name), self.module_scope
                if NONLOCAL in kinds:
                    current = current.parent
                    continue
                return bindings, current
            current = current.parent
        return None, None

    def resolve(self, expr: cst.BaseExpression, scope: Optional[Scope] = None, _depth: int = 0) -> Optional[str]:
        """The canonical qualified name ``expr`` refers to, or None when unknown.

        ``time.sleep`` -> ``time.sleep``; ``aio.sleep`` (``import asyncio as aio``)
        -> ``asyncio.sleep``; ``open`` -> ``builtins.open``; ``lock.acquire`` where
        ``lock = threading.Lock()`` -> ``threading.Lock.acquire``; a module-level
        ``def f`` -> ``<module>.f``. Local variables that shadow a library name
        resolve to None (or to what they were bound to, for plain aliases).
        """
        if scope is None:
            key = id(expr)
            if key in self._resolve_memo:
                return self._resolve_memo[key]
            result = self._resolve(expr, self.scope, _depth)
            self._resolve_memo[key] = result
            return result
        return self._resolve(expr, scope, _depth)

    def _resolve(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> Optional[str]:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            return self._resolve_name(expr.value, scope, depth)
        if isinstance(expr, cst.Attribute):
            base = self._resolve(expr.value, scope, depth + 1)
            if base is not None and not base.startswith("<"):
                return canonical(f"{base}.{expr.attr.value}")
            owner = self.type_of(expr.value, scope, depth + 1)
            if owner is not None:
                return canonical(f"{owner}.{expr.attr.value}")
        return None

    def _resolve_name(self, name: str, scope: Scope, depth: int) -> Optional[str]:
        bindings, owner = self.lookup(name, scope)
        if bindings is None or owner is None:
            return f"builtins.{name}" if name in BUILTIN_NAMES else None
        imports = [b for b in bindings if b.kind == IMPORT]
        others = [b for b in bindings if b.kind != IMPORT and not _is_none_assignment(b)]
        if imports and not others:
            return canonical(imports[0].qualname or "")
        if imports:
            return None  # shadowed or ambiguous: precision first
        if owner.kind == "module" and all(b.kind in (DEF, ASYNC_DEF, CLASS) for b in others):
            return self.local_qualname(name)
        if len(others) == 1 and others[0].kind == ASSIGN and not others[0].with_item:
            value = others[0].node
            if isinstance(value, (cst.Name, cst.Attribute)):  # plain alias: snooze = time.sleep
                return self._resolve(value, owner, depth + 1)
        return None

    def local_qualname(self, name: str) -> str:
        return f"{self.module_name}.{name}" if self.module_name else f"<module>.{name}"

    # Memo of one type_of query (see below); None between queries.
    _type_query: Optional[Dict[Tuple[int, int, int], Optional[str]]] = None

    def type_of(self, expr: cst.BaseExpression, scope: Optional[Scope] = None, _depth: int = 0) -> Optional[str]:
        """The qualified type of the object ``expr`` evaluates to, when known."""
        scope = scope or self.scope
        if _depth > _MAX_DEPTH:
            return None
        # Within one query nothing it reads changes (scope, ancestors, bindings), so a
        # sub-question asked again at the same depth has the same answer: memoised, the
        # search stays polynomial where names are rebound many times (idlelib/pyparse.py
        # took 12 s of CPU in 5 M nested calls without it).
        key = (id(expr), id(scope), _depth)
        memo = self._type_query
        if memo is not None and key in memo:
            return memo[key]
        top = memo is None
        if top:
            memo = self._type_query = {}
        try:
            found = self._type_of(expr, scope, _depth)
            memo[key] = found  # type: ignore[index]
            return found
        finally:
            if top:
                self._type_query = None

    def _type_of(self, expr: cst.BaseExpression, scope: Scope, _depth: int) -> Optional[str]:
        kind = type(expr)  # exact types: see scopes.BindingCollector.statement
        if kind is cst.Await:
            return self.type_of(expr.expression, scope, _depth + 1)
        if kind is cst.Call:
            callee = self._resolve(expr.func, scope, _depth + 1)
            if callee is None:
                return self._method_result(expr.func, scope, _depth)
            known = returned_type(callee)
            if known is not None:
                return known
            if self._is_local_class(callee):
                return callee
            builder = self._self_returning(callee)
            if builder is not None:
                return builder
            # A class defined in another module of the checked project (cross-module index).
            if self.project is not None and self.project.is_class(callee):
                return self.project.canonical(callee)
            if self.project is not None:  # a library class or annotated factory (semantics/library.py)
                found = self.project.library_type(callee)
                if found is not None:
                    return found
            return self._method_result(expr.func, scope, _depth)
        if kind is cst.Name:
            bindings, owner = self.lookup(expr.value, scope)
            if not bindings or owner is None:
                return None
            found = self._binding_type(bindings, owner, _depth)
            if found is None and owner is self.scope:
                found = self._loop_element_type(expr.value, _depth)
            return found
        if kind is cst.Attribute and type(expr.value) is cst.Name:
            cls = self._class_of_self(expr.value.value, scope)
            if cls is not None:
                attrs = cls.attributes.get(expr.attr.value)
                if attrs:
                    found = self._binding_type(attrs, cls.parent or self.module_scope, _depth)
                    if found is None:
                        found = self._injected_type(cls, attrs, _depth)
                    return found
                class_level = cls.bindings.get(expr.attr.value)  # `lock = Lock()` in the class body
                if class_level:
                    return self._binding_type(class_level, cls, _depth)
        return self._derived_type(expr, scope, _depth)

    def _loop_element_type(self, name: str, depth: int) -> Optional[str]:
        """``for t in threads:`` (we are inside that loop) where ``threads`` is a list/tuple
        display or comprehension of typed items: ``t`` has the items' type. Iterating a call
        result (``as_completed(fs)``) says nothing about the items and gives None."""
        for ancestor in reversed(self.ancestors):
            kind = type(ancestor)
            if kind is cst.FunctionDef or kind is cst.Lambda or kind is cst.ClassDef:
                return None
            if (kind is cst.For and type(ancestor.target) is cst.Name
                    and ancestor.target.value == name):
                return self._element_type(ancestor.iter, depth + 1)
        return None

    def _element_type(self, iterable: cst.BaseExpression, depth: int) -> Optional[str]:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(iterable, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self.type_of(iterable.elt, self.scope, depth + 1)
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)) and iterable.elements:
            types = {self.type_of(e.value, self.scope, depth + 1) for e in iterable.elements
                     if not isinstance(e, cst.StarredElement)}
            return types.pop() if len(types) == 1 else None
        if isinstance(iterable, cst.Name):
            bindings, _ = self.lookup(iterable.value)
            if bindings and len(bindings) == 1 and bindings[0].kind == ASSIGN and isinstance(
                    bindings[0].node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.List, cst.Tuple, cst.Set)):
                return self._element_type(bindings[0].node, depth + 1)
        return None

    def _method_result(self, func: cst.BaseExpression, scope: Scope, depth: int) -> Optional[str]:
        """``<typed receiver>.method()`` when ``resolve`` went another way
        (``Path(p).parent.joinpath(x)``: the receiver is a Path, so the result is one)."""
        if isinstance(func, cst.Attribute):
            owner = self.type_of(func.value, scope, depth + 1)
            if owner is not None:
                method = canonical(f"{owner}.{func.attr.value}")
                found = returned_type(method)
                if found is None and self.project is not None:
                    found = self.project.library_type(method)
                return found
        return None

    def _derived_type(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> Optional[str]:
        """Types reached from a typed object by attribute, item or operator (apis/types.py)."""
        if isinstance(expr, cst.Attribute):
            owner = self.type_of(expr.value, scope, depth + 1)
            if owner is not None:
                found = (ATTRIBUTE_TYPES.get(f"{owner}.{expr.attr.value}")
                         or ATTRIBUTE_TYPES.get(f"{owner}.*"))
                if found is None and self.project is not None:
                    found = self.project.library_attribute_type(owner, expr.attr.value)
                return found
        elif isinstance(expr, cst.Subscript):
            owner = self.type_of(expr.value, scope, depth + 1)
            if owner is not None:
                found = ITEM_TYPES.get(owner)
                if found is None and self.project is not None:
                    found = self.project.library_item_type(owner)
                return found
        elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            owner = self.type_of(expr.left, scope, depth + 1)
            if owner is not None:
                return OPERATOR_TYPES.get(f"{owner}./")
        return None

    def _binding_type(self, bindings: List[Binding], owner: Scope, depth: int) -> Optional[str]:
        for binding in bindings:
            found: Optional[str] = None
            where = binding.value_scope or owner
            if binding.annotation is not None:
                found = self._annotation_type(binding.annotation, where, depth)
            if found is None and binding.kind == ASSIGN and type(binding.node) in _EXPRESSIONS:
                found = self.type_of(binding.node, where, depth + 1)
                if found is not None and binding.with_item:
                    entered = ENTER_RESULT.get(found)
                    if entered is None and self.project is not None:
                        entered = (self.project.library_enter_type(found, True)
                                   or self.project.library_enter_type(found, False))
                    found = entered or found
            unpacked = binding.unpacked_from
            if isinstance(unpacked, cst.Await):
                unpacked = unpacked.expression
            if found is None and isinstance(unpacked, cst.Call):
                callee = self._resolve(unpacked.func, where, depth + 1)
                items = UNPACKED_TYPES.get(callee) if callee is not None else None
                if items is not None and binding.unpack_index < len(items):
                    found = items[binding.unpack_index]
            if found is None and binding.kind == CLASS:
                found = None
            if found is not None:
                return found
        return None

    def _annotation_type(self, annotation: cst.BaseExpression, scope: Scope, depth: int) -> Optional[str]:
        # Optional[X], X | None -> X
        if isinstance(annotation, cst.Subscript) and annotation.slice:
            outer = self._resolve(annotation.value, scope, depth + 1)
            if outer in ("typing.Optional",):
                inner = annotation.slice[0].slice
                if isinstance(inner, cst.Index):
                    return self._annotation_type(inner.value, scope, depth + 1)
            if outer is not None and returned_type(outer) == outer:
                return outer  # a generic known class: queue.Queue[int] -> queue.Queue
            if outer is not None and self.project is not None and self.project.library_type(outer) == outer:
                return outer  # a generic library class: AsyncIOMotorCollection[dict]
            return None
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            for side in (annotation.left, annotation.right):
                if not (isinstance(side, cst.Name) and side.value == "None"):
                    return self._annotation_type(side, scope, depth + 1)
            return None
        if isinstance(annotation, cst.SimpleString):
            return None
        name = self._resolve(annotation, scope, depth + 1)
        if name is None or name.startswith("builtins."):
            return None
        return name

    def made_by(self, expr: cst.BaseExpression, scope: Optional[Scope] = None, _depth: int = 0) -> Optional[str]:
        """The qualified name of the callable whose call produced ``expr``'s object, even
        when its return type is unknown: ``c = sdk.Client()`` -> ``sdk.Client`` for ``c``.

        Follows the same bindings as ``type_of`` (local names, module names, ``self.x``,
        ``with ... as``); used for user-configured APIs that no table describes.
        """
        scope = scope or self.scope
        if _depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Await):
            return self.made_by(expr.expression, scope, _depth + 1)
        if isinstance(expr, cst.Call):
            callee = self._resolve(expr.func, scope, _depth + 1)
            return callee if callee is not None and not callee.startswith("<") else None
        bindings: Optional[List[Binding]] = None
        owner: Optional[Scope] = None
        if isinstance(expr, cst.Name):
            bindings, owner = self.lookup(expr.value, scope)
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._class_of_self(expr.value.value, scope)
            if cls is not None:
                bindings, owner = cls.attributes.get(expr.attr.value), cls.parent or self.module_scope
        if not bindings or owner is None:
            return None
        for binding in bindings:
            if binding.kind == ASSIGN and isinstance(binding.node, cst.Call):
                found = self.made_by(binding.node, binding.value_scope or owner, _depth + 1)
                if found is not None:
                    return found
        return None

    def _injected_type(self, cls: Scope, attrs: List[Binding], depth: int) -> Optional[str]:
        """``self.x = x`` where ``x`` is an annotated parameter of a method of the class
        (dependency injection: ``def __init__(self, client: Client)``)."""
        names = {b.node.value for b in attrs if b.kind == ASSIGN and isinstance(b.node, cst.Name)}
        body = getattr(cls.node, "body", None)
        if not names or not isinstance(body, cst.IndentedBlock):
            return None
        for stmt in body.body:
            if not isinstance(stmt, cst.FunctionDef):
                continue
            for param in (*stmt.params.posonly_params, *stmt.params.params, *stmt.params.kwonly_params):
                if param.name.value in names and param.annotation is not None:
                    found = self._annotation_type(param.annotation.annotation, cls.parent or self.module_scope,
                                                  depth + 1)
                    if found is not None:
                        return found
        return None

    def _class_of_self(self, name: str, scope: Scope) -> Optional[Scope]:
        current: Optional[Scope] = scope
        while current is not None:
            if current.kind == "function":
                cls = current.enclosing_class
                if cls is not None and current.first_param == name:
                    return cls
                if name in current.bindings:
                    return None
            current = current.parent
        return None

    def _self_returning(self, callee: str) -> Optional[str]:
        """``<module>.Class.method`` annotated ``-> Self`` or ``-> Class``: a builder returning
        an instance of its class."""
        owner, _, method = callee.rpartition(".")
        if not self._is_local_class(owner):
            return None
        cls = self.module_scope.bindings[owner.rpartition(".")[2]][0].node
        body = getattr(cls, "body", None)
        if not isinstance(cls, cst.ClassDef) or not isinstance(body, cst.IndentedBlock):
            return None
        for stmt in body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == method and stmt.returns is not None:
                annotation = stmt.returns.annotation
                if isinstance(annotation, cst.SimpleString) and annotation.raw_value == cls.name.value:
                    return owner
                named = self._resolve(annotation, self.module_scope, 1)
                return owner if named in ("typing.Self", "typing_extensions.Self", owner) else None
        return None

    def _is_local_class(self, qualname: str) -> bool:
        prefix = self.local_qualname("")
        if not qualname.startswith(prefix):
            return False
        bindings = self.module_scope.bindings.get(qualname[len(prefix):])
        return bool(bindings) and all(b.kind == CLASS for b in bindings)

    # ----------------------------------------------------------------- helpers
    def line_of(self, node: cst.CSTNode) -> Optional[int]:
        """The first line of ``node``, for messages that mention another place.

        Positions are computed once per file, on first use (most files never ask).
        """
        positions = self.memo.get("positions")
        if positions is None:
            from ..positions import Positions

            positions = self.memo["positions"] = Positions(self.module)
        span = positions.range(node)
        return span[0].line if span is not None else None

    def binding_of(self, name: str) -> Optional[Binding]:
        """The single binding ``name`` refers to here, if it is unambiguous."""
        bindings, _ = self.lookup(name)
        if bindings and len(bindings) == 1:
            return bindings[0]
        return None

    def is_local_function(self, expr: cst.BaseExpression) -> Optional[cst.FunctionDef]:
        """The same-module ``def`` a call target refers to (plain name or self/cls method)."""
        if isinstance(expr, cst.Name):
            bindings, _ = self.lookup(expr.value)
            if bindings and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
                node = bindings[0].node
                return node if isinstance(node, cst.FunctionDef) else None
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._class_of_self(expr.value.value, self.scope)
            if cls is not None:
                bindings = cls.bindings.get(expr.attr.value)
                if bindings and len(bindings) == 1 and bindings[0].kind in (DEF, ASYNC_DEF):
                    node = bindings[0].node
                    return node if isinstance(node, cst.FunctionDef) else None
        return None

    def is_parameter(self, name: str) -> bool:
        bindings, _ = self.lookup(name)
        return bool(bindings) and any(b.kind == PARAM for b in bindings)


def _is_none_assignment(binding: Binding) -> bool:
    return (binding.kind == ASSIGN and isinstance(binding.node, cst.Name)
            and binding.node.value == "None")
