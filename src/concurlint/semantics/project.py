"""Project-wide facts shared by every file of a run (the cross-module view).

The index maps qualified names of functions and methods defined in the checked
files to whether they are coroutine functions (``async def`` that is not an
async generator and not turned into something else by a decorator such as
``@asynccontextmanager``). It also records the project's classes (so
``c = Client(); c.fetch()`` can be resolved to ``app.client.Client.fetch``),
their bases, and the aliases modules create by importing (re-exports such as
``from .client import fetch_user`` in ``app/__init__.py`` make ``app.fetch_user``
an alias of ``app.client.fetch_user``).

It is built once per run, before any file is checked, with a cheap scan: a
file is read as text; only files that contain ``async def`` are parsed, with
``ast`` (an order of magnitude faster than libcst), and imports are found by a
regular expression. Names defined in the file being checked are answered by
that file's own scopes, so a one-file run never parses its file twice.

``ProjectIndex.for_file(path)`` builds the index for one file, as the flake8
plugin needs it: the modules that file imports from its own package or
directory (and the ``__init__.py`` files they go through), followed two
imports deep, bounded in number.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..apis.coroutines import NON_COROUTINE_DECORATORS

_ASYNC_DEF = re.compile(rb"\basync\s+def\b")
_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<from>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    r"|import[ \t]+(?P<modules>[\w. \t,]+))",
    re.MULTILINE,
)
_MAX_FOLLOWED_FILES = 200
_FOLLOW_DEPTH = 2
_MAX_FILE_BYTES = 2_000_000


@dataclass
class ProjectIndex:
    # qualified name -> True for `async def`, False for plain `def`
    functions: Dict[str, bool] = field(default_factory=dict)
    # re-exports: "pkg.f" -> "pkg.mod.f"
    aliases: Dict[str, str] = field(default_factory=dict)
    # classes defined in the project, with their bases' qualified names
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # modules already scanned (by module name)
    modules: Set[str] = field(default_factory=set)

    # ---------------------------------------------------------------- queries
    def canonical(self, qualname: str) -> str:
        """Follow re-export aliases, also on a prefix (``pkg.Client.fetch``)."""
        for _ in range(10):
            target = self.aliases.get(qualname)
            if target is not None and target != qualname:
                qualname = target
                continue
            head, dot, tail = qualname.rpartition(".")
            replaced = False
            while head:
                target = self.aliases.get(head)
                if target is not None and target != head:
                    qualname = f"{target}.{qualname[len(head) + 1:]}"
                    replaced = True
                    break
                head, dot, _ = head.rpartition(".")
            if not replaced:
                break
        return qualname

    def is_coroutine_function(self, qualname: str) -> Optional[bool]:
        """True/False when the project defines ``qualname``; None when it does not."""
        qualname = self.canonical(qualname)
        found = self.functions.get(qualname)
        if found is not None:
            return found
        owner, _, method = qualname.rpartition(".")
        return self._inherited(owner, method, 0) if owner in self.classes else None

    def _inherited(self, cls: str, method: str, depth: int) -> Optional[bool]:
        if depth > 5:
            return None
        for base in self.classes.get(cls, ()):
            base = self.canonical(base)
            found = self.functions.get(f"{base}.{method}")
            if found is not None:
                return found
            if base in self.classes:
                found = self._inherited(base, method, depth + 1)
                if found is not None:
                    return found
        return None

    def is_class(self, qualname: str) -> bool:
        return self.canonical(qualname) in self.classes

    # ---------------------------------------------------------------- building
    @classmethod
    def from_files(cls, files: Sequence[str], self_served: bool = False) -> "ProjectIndex":
        """Index ``files`` and (bounded) the project modules they import.

        ``self_served``: the files' own definitions are answered by their own scopes
        when they are checked (a one-file run), so only their imports are read.
        """
        index = cls()
        roots: Dict[str, Path] = {}
        pending: List[Tuple[str, int]] = []
        for path in files:
            imported = index._scan_file(path, roots, parse=not self_served)
            pending.extend((name, 1) for name in imported)
        index._follow(pending, roots)
        return index

    @classmethod
    def for_file(cls, path: str) -> "ProjectIndex":
        """The index flake8 mode uses: ``path``'s imports from its own project, followed."""
        return cls.from_files([path], self_served=True)

    def _follow(self, pending: List[Tuple[str, int]], roots: Dict[str, Path]) -> None:
        scanned = 0
        while pending and scanned < _MAX_FOLLOWED_FILES:
            module, depth = pending.pop(0)
            if module in self.modules:
                continue
            top = module.split(".")[0]
            root = roots.get(top) or roots.get("")
            if root is None:
                continue
            for candidate in _module_files(root, module):
                scanned += 1
                imported = self._scan_file(str(candidate), roots, parse=True)
                if depth < _FOLLOW_DEPTH:
                    pending.extend((name, depth + 1) for name in imported)
            self.modules.add(module)

    def _scan_file(self, path: str, roots: Dict[str, Path], parse: bool) -> List[str]:
        """Index one file; returns the project-looking modules it imports."""
        from ..engine import module_name_for  # late import: the engine imports this module

        module_name, is_package = module_name_for(path)
        if module_name is None or module_name in self.modules:
            return []
        self.modules.add(module_name)
        file_path = Path(path)
        try:
            if file_path.stat().st_size > _MAX_FILE_BYTES:
                return []
            data = file_path.read_bytes()
        except OSError:
            return []
        parts = module_name.split(".")
        root = file_path.resolve().parent
        for _ in range(len(parts) if is_package else len(parts) - 1):
            root = root.parent
        roots.setdefault(parts[0], root)
        roots.setdefault("", root)  # where top-level sibling modules are looked for
        text = data.decode("utf-8", "replace")
        imported = self._scan_imports(text, module_name, is_package)
        if parse and (_ASYNC_DEF.search(data) or is_package):
            try:
                tree = ast.parse(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return imported
            try:
                _DefinitionScan(self, module_name, is_package).scan(tree)
            except RecursionError:  # pathological nesting: the index is a recall aid only
                pass
        return imported

    def _scan_imports(self, text: str, module_name: str, is_package: bool) -> List[str]:
        found: List[str] = []
        for match in _IMPORT_LINE.finditer(text):
            source = match.group("from")
            if source is not None:
                base = _absolute(source, module_name, is_package)
                if base is None:
                    continue
                found.append(base)
                names = match.group("names").strip("() \t\n")
                for item in names.split(","):
                    name = item.split(" as ")[0].strip()
                    if name.isidentifier():
                        found.append(f"{base}.{name}")  # may be a submodule
            else:
                for item in (match.group("modules") or "").split(","):
                    name = item.split(" as ")[0].strip()
                    if name:
                        found.append(name)
        return found


def _absolute(source: str, module_name: str, is_package: bool) -> Optional[str]:
    level = len(source) - len(source.lstrip("."))
    target = source[level:]
    if level == 0:
        return target or None
    parts = module_name.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    joined = ".".join(base)
    if target:
        return f"{joined}.{target}" if joined else target
    return joined or None


def _module_files(root: Path, module: str) -> List[Path]:
    """The file(s) for ``module`` under ``root`` plus the ``__init__.py`` files on the way."""
    parts = module.split(".")
    found: List[Path] = []
    directory = root
    for part in parts[:-1]:
        directory = directory / part
        init = directory / "__init__.py"
        if init.is_file():
            found.append(init)
    last = directory / parts[-1]
    if (last / "__init__.py").is_file():
        found.append(last / "__init__.py")
    elif last.with_suffix(".py").is_file():
        found.append(last.with_suffix(".py"))
    return found


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_generator(func: ast.AST) -> bool:
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def is_coroutine_def(func: ast.AST) -> bool:
    """An ``async def`` whose call returns a coroutine."""
    if not isinstance(func, ast.AsyncFunctionDef):
        return False
    if any(_decorator_name(d) in NON_COROUTINE_DECORATORS for d in func.decorator_list):
        return False
    return not _is_generator(func)


class _DefinitionScan:
    """Module-level defs, classes with their methods, and import aliases of one module."""

    def __init__(self, index: ProjectIndex, module: str, is_package: bool):
        self.index = index
        self.module = module
        self.is_package = is_package
        self.names: Dict[str, str] = {}  # local name -> qualified name (imports, classes)

    def scan(self, tree: ast.Module) -> None:
        self.body(tree.body, self.module)

    def body(self, statements: Iterable[ast.stmt], prefix: str) -> None:
        for stmt in statements:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.define(f"{prefix}.{stmt.name}", is_coroutine_def(stmt))
            elif isinstance(stmt, ast.ClassDef):
                qualname = f"{prefix}.{stmt.name}"
                if prefix == self.module:
                    self.names[stmt.name] = qualname
                bases = tuple(b for b in (self.qualify(base) for base in stmt.bases) if b)
                self.index.classes[qualname] = bases
                self.body(stmt.body, qualname)
            elif prefix == self.module and isinstance(stmt, ast.ImportFrom):
                self.import_from(stmt)
            elif prefix == self.module and isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                        self.index.aliases[f"{self.module}.{alias.asname}"] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(stmt, ast.If):
                self.body(stmt.body, prefix)
                self.body(stmt.orelse, prefix)
            elif isinstance(stmt, ast.Try):
                self.body(stmt.body, prefix)
                for handler in stmt.handlers:
                    self.body(handler.body, prefix)
                self.body(stmt.orelse, prefix)
                self.body(stmt.finalbody, prefix)

    def define(self, qualname: str, coroutine: bool) -> None:
        previous = self.index.functions.get(qualname)
        # A name defined both ways (e.g. under `if`) is not known to be a coroutine function.
        self.index.functions[qualname] = coroutine if previous is None else (previous and coroutine)

    def import_from(self, stmt: ast.ImportFrom) -> None:
        source = "." * (stmt.level or 0) + (stmt.module or "")
        base = _absolute(source, self.module, self.is_package)
        if base is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            target = f"{base}.{alias.name}"
            self.names[local] = target
            own = f"{self.module}.{local}"
            if own != target:
                self.index.aliases.setdefault(own, target)

    def qualify(self, expr: ast.expr) -> Optional[str]:
        if isinstance(expr, ast.Name):
            return self.names.get(expr.id, f"{self.module}.{expr.id}")
        if isinstance(expr, ast.Attribute):
            base = self.qualify(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None


def build_index(files: Sequence[str]) -> ProjectIndex:
    """The index for a run over ``files`` (a one-file run reads only that file's imports)."""
    return ProjectIndex.from_files(files, self_served=len(files) == 1)


__all__ = ["ProjectIndex", "build_index", "is_coroutine_def"]
