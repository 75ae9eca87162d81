"""Coroutine facts of the installed libraries the checked code imports, read statically.

Nothing is imported: the modules are found on the search path (the configured
``python-path``, else the active virtual environment, else the site-packages of
the running interpreter), their ``.pyi`` stubs (a ``<name>-stubs`` package of a
``types-*`` distribution first, then stubs shipped inline) or else ``.py`` sources
are parsed with ``ast``, and only what a rule asks for is read: a query for
``redis.asyncio.Redis.set`` loads ``redis.asyncio``, follows its re-export to
``redis.asyncio.client``, then the base classes of ``Redis`` module by module.

A module's facts (functions and methods: coroutine or not, or "delegates to
``self.<m>(...)``"; classes and their bases; return annotations; re-exports) are
cached per distribution and version (``lib-*.pickle`` objects of the result
cache), so a cold run parses each module once per environment and a warm run
answered from the result cache reads none. The environment fingerprint (the
distributions and versions of the imported top-level packages) is part of
every file's cache key.

A sync method whose every ``return`` is ``return self.execute_command(...)``
(redis) is a coroutine function on the classes where the delegate is one:
``redis.asyncio.Redis.set`` is, ``redis.Redis.set`` and a ``Pipeline``'s are
not. Precision first: an ``async def`` under a decorator not known to keep it a
coroutine function (aiosqlite's ``@contextmanager``) is unknown, as are
ambiguous overloads.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

# functions[q]: True (coroutine function), False, None (unknown), or ("self", m): returns self.m(...)
Kind = Union[bool, None, Tuple[str, str]]

_KEEPERS = frozenset({
    "staticmethod", "classmethod", "abstractmethod", "overload", "override", "final",
    "deprecated", "wraps", "abstractclassmethod", "abstractstaticmethod",
})
_PROPERTIES = frozenset({"property", "cached_property", "abstractproperty", "setter", "getter"})
_SELF_TYPES = frozenset({"typing.Self", "typing_extensions.Self"})
_COROUTINE_TYPES = frozenset({"typing.Coroutine", "collections.abc.Coroutine"})
_UNWRAPPED = frozenset({"typing.Optional", "typing.Union", "typing_extensions.Optional"})
_MAX_MODULES = 400  # modules one process loads for one run: a bound on the cold cost
_MAX_DEPTH = 8
_MAX_FILE_BYTES = 3_000_000
_NAME = re.compile(r"[^A-Za-z0-9.]+")


@dataclass
class ModuleFacts:
    functions: Dict[str, Kind] = field(default_factory=dict)
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    returns: Dict[str, str] = field(default_factory=dict)  # callable -> qualified annotation
    properties: Dict[str, str] = field(default_factory=dict)  # Class.attr -> qualified type
    names: Dict[str, str] = field(default_factory=dict)  # module-level name -> what it refers to
    stars: Tuple[str, ...] = ()  # modules re-exported with `from m import *`


# ---------------------------------------------------------------------------- search path
def search_path(configured: Sequence[str] = (), root: str = ".") -> Tuple[str, ...]:
    """The site-packages directories to read libraries from."""
    if configured:
        found: List[str] = []
        for entry in configured:
            entry = os.path.join(root, os.path.expanduser(entry))
            found.extend(_site_dirs_of(entry) or [entry])
        return tuple(os.path.abspath(d) for d in found if os.path.isdir(d))
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        dirs = _site_dirs_of(venv)
        if dirs:
            return tuple(dirs)
    stdlib = {os.path.abspath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    return tuple(os.path.abspath(d) for d in sys.path
                 if d and os.path.isdir(d) and os.path.abspath(d) not in stdlib
                 and not d.endswith(("lib-dynload", ".zip"))
                 and ("site-packages" in d or "dist-packages" in d))


def _site_dirs_of(prefix: str) -> List[str]:
    """``<venv>/lib/python3.X/site-packages`` (or Windows' ``Lib/site-packages``)."""
    if not os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) and not os.path.isdir(os.path.join(prefix, "lib")):
        return []
    found = []
    lib = os.path.join(prefix, "lib")
    try:
        for name in sorted(os.listdir(lib)):
            site = os.path.join(lib, name, "site-packages")
            if name.startswith("python") and os.path.isdir(site):
                found.append(site)
    except OSError:
        pass
    windows = os.path.join(prefix, "Lib", "site-packages")
    if os.path.isdir(windows):
        found.append(windows)
    return found


# ---------------------------------------------------------------------------- the index
class LibraryIndex:
    """Library facts for the top-level packages ``tops``, loaded module by module on demand."""

    def __init__(self, tops: Dict[str, Tuple[Tuple[str, ...], str]], store_dir: Optional[str] = None):
        # top-level package -> (its roots, stubs first; distribution key)
        self.tops = tops
        self.store_dir = store_dir
        self.fingerprint = hashlib.blake2b(repr(sorted((t, k) for t, (_, k) in tops.items())).encode(),
                                           digest_size=12).hexdigest() if tops else ""
        self._modules: Dict[str, Optional[ModuleFacts]] = {}
        self._loaded = 0  # modules found and read (the names tried that are no module do not count)

    @classmethod
    def for_modules(cls, modules: Sequence[str], dirs: Sequence[str],
                    store_dir: Optional[str] = None) -> "LibraryIndex":
        wanted = {m.split(".")[0] for m in modules if m and not m.startswith(".")}
        tops: Dict[str, Tuple[Tuple[str, ...], str]] = {}
        for directory in dirs:
            listing = _listing(directory)
            if listing is None:
                continue
            entries, infos = listing
            for top in sorted(wanted - set(tops)):
                roots = [os.path.join(directory, n) for n in (f"{top}-stubs", top, f"{top}.pyi", f"{top}.py")
                         if n in entries]
                if roots:
                    info = infos.get(_normal(top)) or infos.get(_normal(f"types_{top}")) or ""
                    stamp = _stamp(roots)
                    tops[top] = (tuple(roots), f"{top}|{info}|{stamp}")
        return cls(tops, store_dir)

    def __repr__(self) -> str:  # what the result cache keys hash (the run's "environment" part of every cache key)
        return f"LibraryIndex({self.fingerprint})"

    def __getstate__(self) -> Dict[str, Any]:  # workers get the roots, not the loaded modules
        return {"tops": self.tops, "store_dir": self.store_dir, "fingerprint": self.fingerprint}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._modules = {}
        self._loaded = 0

    # ------------------------------------------------------------------ queries
    def is_coroutine_function(self, qualname: str) -> Optional[bool]:
        if qualname.split(".")[0] not in self.tops:
            return None
        target = self._find(qualname)
        if target is None:
            return None
        kind, owner, facts = target
        if owner is not None:
            kind, _ = self._member(owner, qualname.rpartition(".")[2])
        for _ in range(3):
            if isinstance(kind, tuple) and owner is not None:
                kind, _ = self._member(owner, kind[1])
        return kind if isinstance(kind, bool) else None

    def is_class(self, qualname: str) -> bool:
        return self.class_name(qualname) is not None

    def class_name(self, qualname: str) -> Optional[str]:
        """The defining qualified name of the library class ``qualname`` names, if it is one."""
        if qualname.split(".")[0] not in self.tops:
            return None
        where = self._locate(qualname, 0)
        return where[0] if where is not None and where[1] == "class" else None

    def returned_type(self, callee: str) -> Optional[str]:
        """The class a call of ``callee`` returns: a class itself, or an annotated factory."""
        if callee.split(".")[0] not in self.tops:
            return None
        cls = self.class_name(callee)
        if cls is not None:
            return cls
        target = self._find(callee)
        if target is None:
            return None
        _, owner, facts = target
        if owner is not None:
            annotation = self._member_return(owner, callee.rpartition(".")[2])
        else:
            where = self._locate(callee, 0)
            annotation = facts.returns.get(where[0]) if where is not None else None
        if annotation in _SELF_TYPES:
            return owner
        return self.class_name(annotation) if annotation else None

    def enter_type(self, cls: str, is_async: bool) -> Optional[str]:
        """What ``(async) with <cls instance> as x`` binds ``x`` to, when annotated."""
        annotation = self._member_return(cls, "__aenter__" if is_async else "__enter__")
        if annotation in _SELF_TYPES:
            return cls
        return self.class_name(annotation) if annotation else None

    def attribute_type(self, cls: str, attribute: str) -> Optional[str]:
        """``x.attribute`` of a library object: an annotated property, or ``__getattr__``."""
        for owner in self._mro(cls):
            facts = self._facts_of_class(owner)
            if facts is None:
                continue
            found = facts.properties.get(f"{owner}.{attribute}")
            if found is not None:
                return cls if found in _SELF_TYPES else self.class_name(found)
            if f"{owner}.{attribute}" in facts.functions:
                return None
        annotation = self._member_return(cls, "__getattr__")
        return self.class_name(annotation) if annotation and not attribute.startswith("_") else None

    def item_type(self, cls: str) -> Optional[str]:
        annotation = self._member_return(cls, "__getitem__")
        return self.class_name(annotation) if annotation else None

    # ------------------------------------------------------------------ resolution
    def _find(self, qualname: str) -> Optional[Tuple[Kind, Optional[str], ModuleFacts]]:
        """(kind, owning class or None, module facts) of a function or method ``qualname``."""
        owner_name, _, method = qualname.rpartition(".")
        owner = self._owner_type(owner_name) if owner_name else None
        if owner is not None:
            facts = self._facts_of_class(owner)
            return (None, owner, facts) if facts is not None else None
        where = self._locate(qualname, 0)
        if where is None or where[1] != "function":
            return None
        facts = self._facts_of_class(where[0])  # the module of a function, as for a class
        return (facts.functions.get(where[0]), None, facts) if facts is not None else None

    def _owner_type(self, name: str) -> Optional[str]:
        """The class of a receiver named ``Class`` or ``Class.attr.attr`` (the engine spells
        ``client.db.coll`` so when ``client`` is a library object)."""
        found = self.class_name(name)
        if found is not None:
            return found
        head, _, attribute = name.rpartition(".")
        owner = self._owner_type(head) if head.count(".") >= 1 else None
        return self.attribute_type(owner, attribute) if owner is not None else None

    def _locate(self, qualname: str, depth: int) -> Optional[Tuple[str, str]]:
        """(defining qualified name, "class" | "function" | "module") of ``qualname``."""
        if depth > _MAX_DEPTH:
            return None
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            facts = self._module(module)
            if facts is None:
                continue
            rest = parts[cut:]
            if not rest:
                return module, "module"
            return self._in_module(module, facts, rest, depth)
        return None

    def _in_module(self, module: str, facts: ModuleFacts, rest: List[str],
                   depth: int) -> Optional[Tuple[str, str]]:
        name = f"{module}.{rest[0]}"
        if name in facts.classes:
            if len(rest) == 1:
                return name, "class"
            return (f"{name}.{rest[1]}", "function") if len(rest) == 2 and f"{name}.{rest[1]}" in facts.functions \
                else None
        if name in facts.functions:
            return (name, "function") if len(rest) == 1 else None
        target = facts.names.get(rest[0])
        if target is not None and target != name:
            return self._locate(".".join([target, *rest[1:]]), depth + 1)
        for star in facts.stars:
            found = self._locate(".".join([star, *rest]), depth + 1)
            if found is not None:
                return found
        return None

    def _facts_of_class(self, qualname: str) -> Optional[ModuleFacts]:
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self._module(".".join(parts[:cut]))
            if facts is not None and (qualname in facts.classes or qualname in facts.functions):
                return facts
        return None

    def _mro(self, cls: str) -> List[str]:
        order: List[str] = []
        stack = [cls]
        while stack and len(order) < 60:
            current = stack.pop(0)
            if current in order:
                continue
            facts = self._facts_of_class(current)
            if facts is None:
                continue
            order.append(current)
            bases = [self.class_name(b) for b in facts.classes.get(current, ())]
            stack[0:0] = [b for b in bases if b is not None]
        return order

    def _member(self, cls: str, method: str) -> Tuple[Kind, bool]:
        """(kind, found) of ``method`` looked up along ``cls``'s bases."""
        for owner in self._mro(cls):
            facts = self._facts_of_class(owner)
            name = f"{owner}.{method}"
            if facts is not None and name in facts.functions:
                return facts.functions[name], True
            if facts is not None and name in facts.properties:
                return None, True
        return None, False

    def _member_return(self, cls: str, method: str) -> Optional[str]:
        for owner in self._mro(cls):
            facts = self._facts_of_class(owner)
            name = f"{owner}.{method}"
            if facts is not None and name in facts.functions:
                return facts.returns.get(name)
        return None

    # ------------------------------------------------------------------ loading
    def _module(self, module: str) -> Optional[ModuleFacts]:
        if module in self._modules:
            return self._modules[module]
        self._modules[module] = None
        top = module.split(".")[0]
        # Only modules that exist count toward the bound: every prefix of every name asked
        # about is tried as a module (``a.B.m``, ``a.B``, ``a``), and counting those made a
        # long-lived process (a worker late in a run, the parent checking stored answers)
        # answer "unknown" where a fresh one knew (HA: 790 names tried, 38 modules).
        if top not in self.tops or self._loaded >= _MAX_MODULES:
            return None
        roots, key = self.tops[top]
        located = _module_file(roots, module)
        if located is None:
            return None
        self._loaded += 1
        path, is_package = located
        facts = self._cached(key, module)
        if facts is None:
            facts = _read_module(path, module, is_package)
            if facts is not None:
                self._store(key, module, facts)
        self._modules[module] = facts
        return facts

    def _object_path(self, key: str, module: str) -> Optional[str]:
        if self.store_dir is None:
            return None
        digest = hashlib.blake2b(f"{key}\0{module}".encode(), digest_size=16).hexdigest()
        return os.path.join(self.store_dir, "library", f"{digest}.pickle")

    def _cached(self, key: str, module: str) -> Optional[ModuleFacts]:
        memo = _PROCESS_MEMO.get((key, module))
        if memo is not None:
            return memo
        path = self._object_path(key, module)
        if path is None:
            return None
        try:
            import pickle

            with open(path, "rb") as handle:
                found = pickle.loads(handle.read())
        except Exception:  # noqa: BLE001 - missing or corrupt: read the module again
            return None
        if isinstance(found, ModuleFacts):
            _PROCESS_MEMO[(key, module)] = found
            return found
        return None

    def _store(self, key: str, module: str, facts: ModuleFacts) -> None:
        _PROCESS_MEMO[(key, module)] = facts
        path = self._object_path(key, module)
        if path is None:
            return
        try:
            import pickle

            from ..fileio import atomic_write

            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write(path, pickle.dumps(facts, protocol=4), mode=0o600, durable=False)
        except OSError:
            self.store_dir = None  # a read-only cache: go on without it


_PROCESS_MEMO: Dict[Tuple[str, str], ModuleFacts] = {}
_LISTINGS: Dict[str, Tuple[int, Set[str], Dict[str, str]]] = {}


def _listing(directory: str) -> Optional[Tuple[Set[str], Dict[str, str]]]:
    """The entries of a site-packages directory and its ``*.dist-info`` by normalised name,
    listed again only when the directory changed (flake8 asks once per checked file)."""
    try:
        mtime = os.stat(directory).st_mtime_ns
        found = _LISTINGS.get(directory)
        if found is None or found[0] != mtime:
            entries = set(os.listdir(directory))
            infos = {_normal(e.split("-")[0]): e for e in entries if e.endswith(".dist-info")}
            found = _LISTINGS[directory] = (mtime, entries, infos)
    except OSError:
        return None
    return found[1], found[2]


def _normal(name: str) -> str:
    return _NAME.sub("_", name).lower()


def _stamp(roots: Sequence[str]) -> str:
    """Size and mtime of each root's entry file: a reinstall of the same version is seen too."""
    parts = []
    for root in roots:
        entry = os.path.join(root, "__init__.pyi") if os.path.isdir(root) else root
        if os.path.isdir(root) and not os.path.exists(entry):
            entry = os.path.join(root, "__init__.py")
        try:
            info = os.stat(entry)
            parts.append(f"{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return ",".join(parts)


def _module_file(roots: Sequence[str], module: str) -> Optional[Tuple[str, bool]]:
    """The stub or source file of ``module`` under its top-level roots (stubs first)."""
    rest = module.split(".")[1:]
    for root in roots:
        if not os.path.isdir(root):
            if not rest:
                return root, False
            continue
        base = os.path.join(root, *rest)
        for path, is_package in ((base + ".pyi", False), (os.path.join(base, "__init__.pyi"), True),
                                 (base + ".py", False), (os.path.join(base, "__init__.py"), True)):
            if os.path.isfile(path):
                return path, is_package
    return None


# ---------------------------------------------------------------------------- reading a module
def _read_module(path: str, module: str, is_package: bool) -> Optional[ModuleFacts]:
    try:
        if os.path.getsize(path) > _MAX_FILE_BYTES:
            return None
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    return _Reader(module, is_package, path.endswith(".pyi")).read(tree)


class _Reader:
    def __init__(self, module: str, is_package: bool, is_stub: bool):
        self.module = module
        self.is_package = is_package
        self.is_stub = is_stub
        self.facts = ModuleFacts()
        self.stars: List[str] = []

    def read(self, tree: ast.Module) -> ModuleFacts:
        statements = list(_flatten(tree.body))
        for node in statements:  # names first: annotations may name later imports
            self._bind(node)
        for node in statements:
            if isinstance(node, ast.ClassDef):
                self._class(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(node, f"{self.module}.{node.name}", None)
        self.facts.stars = tuple(self.stars)
        return self.facts

    def _bind(self, node: ast.stmt) -> None:
        names = self.facts.names
        if isinstance(node, ast.ImportFrom):
            source = self._absolute(node.module or "", node.level)
            if source is None:
                return
            for alias in node.names:
                if alias.name == "*":
                    self.stars.append(source)
                else:
                    names[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    names.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.pop(node.name, None)
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, (ast.Name, ast.Attribute))):
            target = self._qualify(node.value)
            if target is not None:
                names[node.targets[0].id] = target

    def _absolute(self, source: str, level: int) -> Optional[str]:
        if level == 0:
            return source
        parts = self.module.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level - 1 > len(parts) - 1:
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join(base + ([source] if source else []))

    def _qualify(self, expr: ast.expr) -> Optional[str]:
        """The qualified name a module-level ``Name``/``Attribute`` refers to."""
        if isinstance(expr, ast.Name):
            found = self.facts.names.get(expr.id)
            if found is not None:
                return found
            return f"{self.module}.{expr.id}" if expr.id not in _BUILTIN_TYPES else None
        if isinstance(expr, ast.Attribute):
            base = self._qualify(expr.value)
            return f"{base}.{expr.attr}" if base is not None else None
        return None

    def _annotation(self, expr: Optional[ast.expr], owner: Optional[str]) -> Optional[str]:
        """The qualified class an annotation names (``Optional``/``X | None``/generics unwrapped)."""
        if expr is None:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                expr = ast.parse(expr.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            sides = [s for s in (expr.left, expr.right) if not (isinstance(s, ast.Constant) and s.value is None)]
            return self._annotation(sides[0], owner) if len(sides) == 1 else None
        if isinstance(expr, ast.Subscript):
            outer = self._qualify(expr.value)
            if outer in _UNWRAPPED:
                inner = expr.slice
                items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                items = [i for i in items if not (isinstance(i, ast.Constant) and i.value is None)]
                return self._annotation(items[0], owner) if len(items) == 1 else None
            expr = expr.value  # a generic class: Database[T] -> Database
        found = self._qualify(expr)
        if found is not None and found.rsplit(".", 1)[-1] == "Self" and owner is not None:
            return "typing.Self"
        return found

    def _class(self, node: ast.ClassDef) -> None:
        qualname = f"{self.module}.{node.name}"
        bases = []
        for base in node.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            name = self._qualify(target)
            if name is not None and name not in ("typing.Generic", "typing.Protocol"):
                bases.append(name)
        self.facts.classes[qualname] = tuple(bases)
        overloads: Set[str] = set()
        for stmt in _flatten(node.body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, f"{qualname}.{stmt.name}", qualname, overloads)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                found = self._annotation(stmt.annotation, qualname)
                if found is not None:
                    self.facts.properties[f"{qualname}.{stmt.target.id}"] = found

    def _function(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef], qualname: str,
                  owner: Optional[str], overloads: Optional[Set[str]] = None) -> None:
        decorators = [_last_name(d) for d in node.decorator_list]
        facts = self.facts
        if any(d in _PROPERTIES for d in decorators):
            found = self._annotation(node.returns, owner)
            if found is not None and "setter" not in decorators:
                facts.properties[qualname] = found
            facts.functions.pop(qualname, None)
            return
        is_async = isinstance(node, ast.AsyncFunctionDef)
        kept = all(d in _KEEPERS for d in decorators)
        returned = self._annotation(node.returns, owner) if kept else None
        if returned is not None and _returns_receiver_type(node):
            returned = "typing.Self"  # def __aenter__(self: _T) -> _T
        kind: Kind
        if is_async:
            kind = (self.is_stub or not _yields(node)) if kept else None
        elif returned in _COROUTINE_TYPES:
            kind = True if kept else None
        elif owner is not None and node.args.args and "staticmethod" not in decorators:
            # a library's own decorators on a sync method forward the call (redis'
            # @experimental_args): the delegation is read through them
            kind = _delegate(node) or (False if kept else None)
        else:
            kind = False if kept else None
        if returned is None and not is_async and kept:
            returned = self._constructed(node)
        is_overload = "overload" in decorators
        if overloads is not None and is_overload and qualname in overloads:
            previous = facts.functions.get(qualname)
            facts.functions[qualname] = kind if previous == kind else None
            if facts.returns.get(qualname) != returned:
                facts.returns.pop(qualname, None)
            return
        if overloads is not None:
            (overloads.add if is_overload else overloads.discard)(qualname)
        facts.functions[qualname] = kind
        if returned is not None:
            facts.returns[qualname] = returned
        else:
            facts.returns.pop(qualname, None)

    def _constructed(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> Optional[str]:
        """Unannotated ``def get_session(): return AioSession(...)``: every return builds one class."""
        made: Set[Optional[str]] = set()
        for inner in _own_nodes(node):
            if isinstance(inner, ast.Return):
                value = inner.value
                made.add(self._qualify(value.func) if isinstance(value, ast.Call) and isinstance(
                    value.func, ast.Name) else None)
        return made.pop() if len(made) == 1 else None


_BUILTIN_TYPES = frozenset({"None", "str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set",
                            "object", "type", "Any"})


def _flatten(body: Sequence[ast.stmt]) -> List[ast.stmt]:
    """Statements of a block, with the bodies of ``if``/``try`` at that level (version and
    TYPE_CHECKING branches) taken in."""
    found: List[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            found.extend(_flatten(node.body))
            found.extend(_flatten(node.orelse))
        elif isinstance(node, ast.Try):
            found.extend(_flatten(node.body))
            for handler in node.handlers:
                found.extend(_flatten(handler.body))
            found.extend(_flatten(node.orelse))
        else:
            found.append(node)
    return found


def _last_name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else ""


def _own_nodes(node: ast.AST) -> List[ast.AST]:
    """Nodes of a function's own body (nested functions, lambdas and classes left out)."""
    found: List[ast.AST] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        found.append(current)
        stack.extend(ast.iter_child_nodes(current))
    return found


def _yields(node: ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node))


def _returns_receiver_type(node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> bool:
    """``def m(self: _T) -> _T``: the method returns the type of its receiver."""
    first = node.args.args[0] if node.args.args else None
    return (first is not None and isinstance(first.annotation, ast.Name) and isinstance(node.returns, ast.Name)
            and first.annotation.id == node.returns.id)


def _delegate(node: ast.FunctionDef) -> Optional[Tuple[str, str]]:
    """``("self", m)`` when every ``return`` of the method is ``return self.m(...)``."""
    receiver = node.args.args[0].arg
    methods: Set[str] = set()
    for inner in _own_nodes(node):
        if isinstance(inner, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(inner, ast.Return):
            value = inner.value
            if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                    and isinstance(value.func.value, ast.Name) and value.func.value.id == receiver):
                return None
            methods.add(value.func.attr)
    return ("self", methods.pop()) if len(methods) == 1 else None
