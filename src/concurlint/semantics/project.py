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
file is read as text; only files that contain ``async def`` (and package
``__init__`` files) are scanned for definitions, with regular expressions over
the ``def``/``class``/``yield`` lines and their indentation (no parse: several
times cheaper than ``ast``, far cheaper than libcst), and imports are found by
a regular expression. Names defined in the file being checked are answered by
that file's own scopes, so a one-file run never parses its file twice.

``ProjectIndex.for_file(path)`` builds the index for one file, as the flake8
plugin needs it: the modules that file imports from its own package or
directory, and the ``__init__.py`` files they go through; imports of those
``__init__.py`` files (re-exports) are followed further, up to three levels,
bounded in number.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from ..apis.coroutines import COROUTINE_KEEPING_DECORATOR_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .library import LibraryIndex

_MAX_FOLLOWED_FILES = 200
_FOLLOW_DEPTH = 3
_MAX_FILE_BYTES = 2_000_000
_SCAN_CACHE_SIZE = 4096
_SCAN_CACHE: Dict[Tuple[object, ...], Tuple["ProjectIndex", Tuple[str, ...]]] = {}


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
    # module-level UPPER_CASE names bound once to a literal list/tuple/set/dict and never
    # mutated in their module: "pkg.const.PLATFORMS" -> number of items (known-size collections)
    constant_sizes: Dict[str, int] = field(default_factory=dict)
    # top-level names no project directory holds (stdlib, third-party): not searched again
    _missing_roots: Set[str] = field(default_factory=set, repr=False)
    # files read by following imports (not in the checked set): path -> (mtime_ns, size), so a
    # stored index can tell when one of them changed
    followed: Dict[str, Tuple[int, int]] = field(default_factory=dict, repr=False)
    # the pre-check's view (``precheck.project_pairs``), computed once and stored with the index
    pairs: Optional[Dict[str, FrozenSet[str]]] = field(default=None, repr=False, compare=False)
    # modules imported from outside the project (libraries), and what they say (library.py)
    external: Set[str] = field(default_factory=set)
    library: Optional["LibraryIndex"] = None

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
        if owner in self.classes:
            return self._inherited(owner, method, 0)
        return self.library.is_coroutine_function(qualname) if self.library is not None else None

    def is_known_coroutine(self, qualname: str) -> bool:
        """``is_coroutine_function`` for a caller to whom "not one" and "unknown" are alike.
        Its answer is what the result cache records for that caller, so a module's plain
        functions becoming known (its first ``async def`` makes the scan read them) does
        not re-check every file that calls one of them."""
        return bool(self.is_coroutine_function(qualname))

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
            elif self.library is not None:  # a project class built on a library class
                found = self.library.is_coroutine_function(f"{base}.{method}")
            if found is not None:
                return found
        return None

    def constant_size(self, qualname: str) -> Optional[int]:
        """How many items the project's constant collection ``qualname`` holds, if known."""
        return self.constant_sizes.get(self.canonical(qualname))

    def is_class(self, qualname: str) -> bool:
        return self.canonical(qualname) in self.classes

    # ---------------------------------------------------------------- library facts
    def use_library(self, python_path: Sequence[str] = (), root: str = ".",
                    store_dir: Optional[str] = None) -> None:
        """Read the coroutine facts of the libraries the indexed files import (never imported)."""
        from .library import LibraryIndex, search_path

        self.library = LibraryIndex.for_modules(sorted(self.external), search_path(python_path, root),
                                                store_dir)

    def library_type(self, callee: str) -> Optional[str]:
        """The library class a call of ``callee`` returns (a class, or an annotated factory)."""
        return self.library.returned_type(callee) if self.library is not None else None

    def library_enter_type(self, cls: str, is_async: bool) -> Optional[str]:
        return self.library.enter_type(cls, is_async) if self.library is not None else None

    def library_attribute_type(self, cls: str, attribute: str) -> Optional[str]:
        return self.library.attribute_type(cls, attribute) if self.library is not None else None

    def library_item_type(self, cls: str) -> Optional[str]:
        return self.library.item_type(cls) if self.library is not None else None

    # ---------------------------------------------------------------- building
    @classmethod
    def from_files(cls, files: Sequence[str], self_served: bool = False,
                   facts: Optional["ScanFacts"] = None) -> "ProjectIndex":
        """Index ``files`` and (bounded) the project modules they import.

        ``self_served``: the files' own definitions are answered by their own scopes
        when they are checked (a one-file run), so only their imports are read.
        ``facts``: per-file scan results of an earlier run (only changed files are read).
        """
        index = cls()
        roots: Dict[str, Path] = {}
        pending: List[Tuple[str, int]] = []
        packages: Dict[object, object] = {}
        for path in files:
            imported = index._scan_file(path, roots, parse=not self_served, facts=facts,
                                        known=_module_name(path, packages))
            pending.extend((name, 1) for name in imported)
        index._follow(list(pending), roots, facts)
        index.external = {name for name, _ in pending if name.split(".")[0] not in roots}
        return index

    @classmethod
    def for_file(cls, path: str) -> "ProjectIndex":
        """The index flake8 mode uses: ``path``'s imports from its own project, followed."""
        return cls.from_files([path], self_served=True)

    def _follow(self, pending: List[Tuple[str, int]], roots: Dict[str, Path],
                facts: Optional["ScanFacts"] = None) -> None:
        scanned = 0
        while pending and scanned < _MAX_FOLLOWED_FILES:
            module, depth = pending.pop(0)
            if module in self.modules:
                continue
            top = module.split(".")[0]
            root = roots.get(top)
            if root is None and top not in self._missing_roots:
                root = _find_root(roots.get(""), top)
                if root is None:
                    self._missing_roots.add(top)
                else:
                    roots[top] = root
            if root is None:
                continue
            for candidate, name in _module_files(root, module):
                scanned += 1
                # Only package __init__ files are followed further: they re-export.
                is_init = candidate.name == "__init__.py"
                follow = depth < _FOLLOW_DEPTH and is_init
                imported = self._scan_file(str(candidate), roots, parse=True, imports=follow,
                                           known=(name, is_init), facts=facts, followed=True)
                if follow:
                    pending.extend((name, depth + 1) for name in imported)
            self.modules.add(module)

    def _scan_file(self, path: str, roots: Dict[str, Path], parse: bool, imports: bool = True,
                   known: Optional[Tuple[Optional[str], bool]] = None, facts: Optional["ScanFacts"] = None,
                   followed: bool = False) -> List[str]:
        """Index one file; returns the project-looking modules it imports.

        ``known``: (module name, is package); ``followed``: the file was reached by
        following an import (not one of the checked files).
        """
        if known is None:
            from ..discovery import module_name_for

            known = module_name_for(path)
        module_name, is_package = known
        if module_name is None or module_name in self.modules:
            return []
        self.modules.add(module_name)
        try:
            stat = os.stat(path)
        except OSError:
            return []
        if stat.st_size > _MAX_FILE_BYTES:
            return []
        file_path = Path(path)
        if followed:
            self.followed[path] = (stat.st_mtime_ns, stat.st_size)
        elif module_name.split(".")[0] not in roots or "" not in roots:  # else nothing to add
            parts = module_name.split(".")
            root = file_path.resolve().parent
            for _ in range(len(parts) if is_package else len(parts) - 1):
                root = root.parent
            roots.setdefault(parts[0], root)
            roots.setdefault("", root)  # where top-level sibling modules are looked for
        key = (path, stat.st_mtime_ns, stat.st_size, module_name, is_package, parse, imports)
        found = _SCAN_CACHE.get(key) if facts is None else facts.previous.get(key)
        if found is None:
            found = self._scan_text(file_path, module_name, is_package, parse, imports)
            if found is None:
                return []
            if facts is None:
                if len(_SCAN_CACHE) >= _SCAN_CACHE_SIZE:
                    _SCAN_CACHE.clear()
                _SCAN_CACHE[key] = found
        if facts is not None:
            facts.used[key] = found
        own, imported = found
        for name, coroutine in own.functions.items():
            previous = self.functions.get(name)
            self.functions[name] = coroutine if previous is None else (previous and coroutine)
        self.classes.update(own.classes)
        self.constant_sizes.update(own.constant_sizes)
        for alias, target in own.aliases.items():
            self.aliases.setdefault(alias, target)
        return list(imported)

    @staticmethod
    def _scan_text(file_path: Path, module_name: str, is_package: bool, parse: bool,
                   imports: bool) -> Optional[Tuple["ProjectIndex", Tuple[str, ...]]]:
        """The facts of one module file (cached per process by path, mtime and size, so
        flake8 checking many files of one project reads each imported module once)."""
        try:
            data = file_path.read_bytes()
        except OSError:
            return None
        text = data.decode("utf-8", "replace")
        own = ProjectIndex()
        imported = own._scan_imports(text, module_name, is_package) if imports else []
        if parse and (b"async def" in data or b"async\tdef" in data or is_package):
            _LineScan(own, module_name, is_package).scan(text)
        if parse:
            own.constant_sizes.update(_constant_sizes(text, module_name))
        return own, tuple(imported)

    def _scan_imports(self, text: str, module_name: str, is_package: bool) -> List[str]:
        found: List[str] = []
        for statement in import_statements(text):
            source = _FROM_IMPORT.match(statement)
            if source is not None:
                base = _absolute(source.group(1), module_name, is_package)
                if base is None:
                    continue
                found.append(base)
                for item in source.group(2).strip("() \t\n").split(","):
                    name = item.split(" as ")[0].strip()
                    if name.isidentifier():
                        found.append(f"{base}.{name}")  # may be a submodule
                continue
            plain = _PLAIN_IMPORT.match(statement)
            for item in (plain.group(1) if plain else "").split(","):
                name = item.split(" as ")[0].strip()
                if name:
                    found.append(name)
        return found


class ScanFacts:
    """What the scan found in each file, kept between runs by the result cache: an index
    rebuilt after an edit re-reads only the files whose size or mtime changed (on a
    6,700-file tree the full scan costs a large share of a cold run)."""

    _LIMIT = 200_000  # entries kept between runs (a bound for trees that churn)

    def __init__(self, previous: Optional[Dict[Tuple[object, ...], object]] = None):
        self.previous: Dict[Tuple[object, ...], object] = previous if isinstance(previous, dict) else {}
        self.used: Dict[Tuple[object, ...], object] = {}

    def to_keep(self) -> Dict[Tuple[object, ...], object]:
        """The facts to store: this build's, plus earlier ones of files it did not read
        (another run may check another part of the tree)."""
        paths = {key[0] for key in self.used}
        kept = {key: value for key, value in self.previous.items() if key[0] not in paths}
        if len(kept) + len(self.used) > self._LIMIT:
            kept = {}
        kept.update(self.used)
        return kept


class RecordingIndex:
    """A ``ProjectIndex`` seen through the questions the rules ask it, remembering
    each question and its answer in ``uses`` (``[query, qualname, answer]``).

    A file's findings depend on the index only through these answers: when they are
    the same under a new index, so is every step of the file's check (the result
    cache keeps an entry while ``answers_hold``)."""

    def __init__(self, index: ProjectIndex):
        self._index = index
        self._answers: Dict[Tuple[object, ...], object] = {}
        self.uses: List[List[object]] = []

    def _ask(self, query: str, *args: object) -> object:
        key = (query, *args)
        if key in self._answers:
            return self._answers[key]
        answer = getattr(self._index, query)(*args)
        self._answers[key] = answer
        # one argument is stored as itself, several as a list (the entry is JSON)
        self.uses.append([query, args[0] if len(args) == 1 else list(args), answer])
        return answer

    def canonical(self, qualname: str) -> str:
        return self._ask("canonical", qualname)  # type: ignore[return-value]

    def is_coroutine_function(self, qualname: str) -> Optional[bool]:
        return self._ask("is_coroutine_function", qualname)  # type: ignore[return-value]

    def is_known_coroutine(self, qualname: str) -> bool:
        return self._ask("is_known_coroutine", qualname)  # type: ignore[return-value]

    def is_class(self, qualname: str) -> bool:
        return self._ask("is_class", qualname)  # type: ignore[return-value]

    def constant_size(self, qualname: str) -> Optional[int]:
        return self._ask("constant_size", qualname)  # type: ignore[return-value]

    # the installed libraries' facts (library.py), asked by the type inference of context.py
    def library_type(self, callee: str) -> Optional[str]:
        return self._ask("library_type", callee)  # type: ignore[return-value]

    def library_enter_type(self, cls: str, is_async: bool) -> Optional[str]:
        return self._ask("library_enter_type", cls, is_async)  # type: ignore[return-value]

    def library_attribute_type(self, cls: str, attribute: str) -> Optional[str]:
        return self._ask("library_attribute_type", cls, attribute)  # type: ignore[return-value]

    def library_item_type(self, cls: str) -> Optional[str]:
        return self._ask("library_item_type", cls)  # type: ignore[return-value]


_QUERIES = frozenset({"canonical", "is_coroutine_function", "is_known_coroutine", "is_class", "constant_size",
                      "library_type", "library_enter_type", "library_attribute_type", "library_item_type"})


def answers_hold(index: ProjectIndex, uses: Sequence[Sequence[object]]) -> bool:
    """Whether ``index`` gives every answer recorded in ``uses`` (see ``RecordingIndex``)."""
    try:
        return all(query in _QUERIES and getattr(index, str(query))(
                       *(args if isinstance(args, list) else [args])) == answer
                   for query, args, answer in uses)
    except Exception:  # noqa: BLE001 - a malformed entry: check the file again
        return False


def _module_name(path: str, packages: Dict[object, object]) -> Tuple[Optional[str], bool]:
    """``discovery.module_name_for(path)``, with the package layout looked up once per
    directory (on a 6,700-file tree, resolving every path's package separately was
    most of an index rebuilt from stored scan facts)."""
    from ..discovery import module_name_for

    stem, suffix = os.path.splitext(os.path.basename(path))
    if suffix not in (".py", ".pyi") or os.path.islink(path):
        return module_name_for(path)  # a linked file: its package is where it points
    directory = os.path.dirname(os.path.abspath(path))
    probe = packages.get(directory)
    if probe is None:
        probe = packages[directory] = package_probe(directory, packages)
    prefix = probe[0][: -len("__probe__")] if probe[0] else None  # type: ignore[index] # "pkg.sub." or ""
    if stem == "__init__":
        return (prefix[:-1] or None) if prefix is not None else None, True
    if prefix is None or not stem.isidentifier():
        return None, False
    return prefix + stem, False


def package_probe(directory: str, memo: Dict[object, object]) -> Tuple[Optional[str], bool]:
    """``discovery.module_name_for(<directory>/__probe__.py)`` for an absolute ``directory``
    (what the package around a directory makes of a module name), each package
    directory above it looked up once per ``memo`` (a run's: the layout may change
    between runs)."""
    parts = (*_package_parts(os.path.realpath(directory), memo), "__probe__")
    return (".".join(parts) if all(p.isidentifier() for p in parts) else None), False


def _package_parts(directory: str, memo: Dict[object, object]) -> Tuple[str, ...]:
    """The names of the packages ``directory`` (a real path) is in, outermost first, as
    ``module_name_for`` walks them up (a directory with an ``__init__.py(i)``), with
    each directory's answer remembered in ``memo`` for its subdirectories."""
    key = ("package parts", directory)
    found = memo.get(key)
    if found is None:
        if os.path.isfile(os.path.join(directory, "__init__.py")) or \
                os.path.isfile(os.path.join(directory, "__init__.pyi")):
            parent = os.path.dirname(directory)
            above = () if parent == directory else _package_parts(parent, memo)
            found = (*above, os.path.basename(directory))
        else:
            found = ()
        memo[key] = found
    return found  # type: ignore[return-value]


def import_statements(text: str) -> List[str]:
    """The ``import ...`` / ``from ... import ...`` statements of ``text`` (str.find, no regex
    over the whole text), parenthesised continuation lines joined."""
    found: List[str] = []
    seen_line = -1
    position = text.find("import")
    while position != -1:
        start = text.rfind("\n", 0, position) + 1
        if start != seen_line:
            end = text.find("\n", position)
            end = len(text) if end == -1 else end
            line = text[start:end].strip()
            if line.startswith(("from ", "from\t", "import ", "import\t")):
                seen_line = start
                if "(" in line and ")" not in line:
                    close = text.find(")", end)
                    if close != -1:
                        line = text[start:close + 1].strip()
                        end = close
                found.append(line)
                position = text.find("import", end)
                continue
        position = text.find("import", position + 6)
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


def _find_root(start: Optional[Path], top: str, levels: int = 4) -> Optional[Path]:
    """The nearest directory at or above ``start`` holding package or module ``top``
    (for files whose own directory is not a package, e.g. scripts next to a package)."""
    directory = start
    for _ in range(levels):
        if directory is None:
            return None
        if (directory / top / "__init__.py").is_file() or (directory / f"{top}.py").is_file():
            return directory
        if directory.parent == directory:
            return None
        directory = directory.parent
    return None


def _module_files(root: Path, module: str) -> List[Tuple[Path, str]]:
    """The file for ``module`` under ``root`` plus the ``__init__.py`` files on the way,
    with their module names."""
    parts = module.split(".")
    found: List[Tuple[Path, str]] = []
    directory = root
    for index, part in enumerate(parts[:-1]):
        directory = directory / part
        init = directory / "__init__.py"
        if not init.is_file():
            return found  # not a package of this project
        found.append((init, ".".join(parts[: index + 1])))
    last = directory / parts[-1]
    init = last / "__init__.py"
    if init.is_file():
        found.append((init, module))
    else:
        source = last.with_suffix(".py")
        if source.is_file():
            found.append((source, module))
    return found


_TOP_LEVEL = re.compile(r"\n[^\s#)\]}'\"@]")
_DEF_AT = re.compile(r"def[ \t]+(\w+)")
_CLASS_AT = re.compile(r"class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?")
_DECORATOR = re.compile(r"[ \t]*@[ \t]*([\w.]+)")
_YIELD_PREFIX = re.compile(r"[ \t]*(?:[\w.,\[\] \t]+=[ \t]*)?\(?[ \t]*")
_FROM_IMPORT = re.compile(r"from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)")
_PLAIN_IMPORT = re.compile(r"import[ \t]+([\w. \t,]+)")


def _decorators(text: str, position: int) -> List[str]:
    """Names of the decorators on the lines right above the def starting at ``position``."""
    names: List[str] = []
    end = position - 1
    for _ in range(20):
        if end <= 0:
            break
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        found = _DECORATOR.match(line)
        if found:
            names.append(found.group(1).rsplit(".", 1)[-1])
        elif line.strip() and not line.lstrip().startswith("#") and not line.lstrip().startswith(")"):
            if not names and line.rstrip().endswith((",", "(")):
                pass  # inside a multi-line decorator call
            else:
                break
        end = start - 1
    return names


class _LineScan:
    """Module-level defs, classes with their methods and bases, and import aliases of
    one module, found by regular expressions over the lines that matter (no parse:
    several times cheaper than ``ast``). Indentation gives the nesting."""

    def __init__(self, index: ProjectIndex, module: str, is_package: bool):
        self.index = index
        self.module = module
        self.is_package = is_package
        self.names: Dict[str, str] = {}  # local name -> qualified name (imports, classes)

    def scan(self, text: str) -> None:
        self.imports(text)
        # Events in source order: defs/classes (they open blocks) and `yield` statements.
        events: List[Tuple[int, int, Optional[re.Match], int, bool]] = []
        for word, pattern in (("def", _DEF_AT), ("class", _CLASS_AT)):
            position = text.find(word)
            while position != -1:
                start = text.rfind("\n", 0, position) + 1
                before = text[start:position]
                is_async = before.split() == ["async"]
                if is_async or not before.strip():
                    match = pattern.match(text, position)
                    if match is not None:
                        indent = len(before.expandtabs()) - len(before.lstrip())
                        events.append((position, 0, match, indent, is_async))
                position = text.find(word, position + len(word))
        for match in _TOP_LEVEL.finditer(text):  # column-0 statements close every block
            events.append((match.start() + 1, 2, None, 0, False))
        position = text.find("yield")
        while position != -1:
            start = text.rfind("\n", 0, position) + 1
            after = text[position + 5:position + 6]
            if not (after.isalnum() or after == "_") and _YIELD_PREFIX.fullmatch(text, start, position):
                events.append((position, 1, None, 0, False))
            position = text.find("yield", position + 5)
        events.sort(key=lambda e: (e[0], e[1] != 2))  # a column-0 close comes before a def there
        classes: List[Tuple[int, str]] = []  # (indent, qualname)
        defs: List[List[object]] = []  # [indent, qualname or "", coroutine candidate]
        for position, kind, match, indent, is_async in events:
            if kind == 1:
                if defs and defs[-1][2]:
                    defs[-1][2] = False  # an async generator, not a coroutine function
                continue
            if kind == 2:
                while defs:
                    self.close(defs.pop())
                classes.clear()
                continue
            assert match is not None
            while defs and indent <= defs[-1][0]:  # type: ignore[operator]
                self.close(defs.pop())
            while classes and indent <= classes[-1][0]:
                classes.pop()
            prefix = self.prefix(indent, classes, defs)
            if match.re is _DEF_AT:
                qualname = f"{prefix}.{match.group(1)}" if prefix else ""
                line_start = text.rfind("\n", 0, position) + 1
                decorators = _decorators(text, line_start)
                if "overload" in decorators:
                    qualname = ""  # a typing stub, not the runtime definition
                # a decorator not known to keep it a coroutine function may return anything
                coroutine = is_async and all(d in COROUTINE_KEEPING_DECORATOR_NAMES for d in decorators)
                defs.append([indent, qualname, coroutine])
            else:  # class
                qualname = f"{prefix}.{match.group(1)}" if prefix else ""
                if qualname:
                    if prefix == self.module:
                        self.names[match.group(1)] = qualname
                    bases = tuple(b for b in (self.qualify(x) for x in (match.group(2) or "").split(",")) if b)
                    self.index.classes[qualname] = bases
                classes.append((indent, qualname))
        while defs:
            self.close(defs.pop())

    def prefix(self, indent: int, classes: List[Tuple[int, str]], defs: List[List[object]]) -> str:
        """The qualified owner of a def/class at ``indent``: the module or a class body."""
        if defs:
            return ""  # nested in a function: not addressable from other modules
        if not classes:
            return self.module  # module level (also inside `if`/`try` blocks)
        return classes[-1][1]  # a class body (empty when the class itself is not addressable)

    def close(self, entry: List[object]) -> None:
        _indent, qualname, coroutine = entry
        if not qualname:
            return
        previous = self.index.functions.get(qualname)  # type: ignore[arg-type]
        # A name defined both ways (e.g. under `if`) is not known to be a coroutine function.
        value = bool(coroutine) if previous is None else (previous and bool(coroutine))
        self.index.functions[qualname] = value  # type: ignore[index]

    def imports(self, text: str) -> None:
        for statement in import_statements(text):
            found = _FROM_IMPORT.match(statement)
            if found:
                base = _absolute(found.group(1), self.module, self.is_package)
                if base is None:
                    continue
                for item in found.group(2).strip("() \t\n").split(","):
                    pieces = item.split(" as ")
                    name = pieces[0].strip()
                    local = pieces[-1].strip()
                    if not name.isidentifier() or not local.isidentifier():
                        continue
                    target = f"{base}.{name}"
                    self.names[local] = target
                    own = f"{self.module}.{local}"
                    if own != target:
                        self.index.aliases.setdefault(own, target)
                continue
            found = _PLAIN_IMPORT.match(statement)
            if found:
                for item in found.group(1).split(","):
                    pieces = item.split(" as ")
                    name = pieces[0].strip()
                    if len(pieces) == 2 and pieces[1].strip().isidentifier():
                        local = pieces[1].strip()
                        self.names[local] = name
                        self.index.aliases.setdefault(f"{self.module}.{local}", name)
                    elif name:
                        top = name.split(".")[0]
                        self.names[top] = top

    def qualify(self, text: str) -> Optional[str]:
        text = text.strip()
        if not text or "=" in text or not all(p.isidentifier() for p in text.split(".")):
            return None
        head, _, rest = text.partition(".")
        base = self.names.get(head, f"{self.module}.{head}")
        return f"{base}.{rest}" if rest else base


# matched on "\n" + text: a literal first character lets the regex engine skip to line
# starts (a "^" under re.M tries every position; 6x slower on a 90 kB module)
_CONSTANT_AT = re.compile(
    r"\n([A-Z][A-Z0-9_]*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:(?:frozenset|set|tuple|list)\([ \t]*)?([\[({])")
_MAX_CONSTANT_CHARS = 20_000
# NAME.append(...), NAME += ..., NAME[k] = ...: the collection grows after it is bound
_CONSTANT_MUTATED = re.compile(
    r"\b([A-Z][A-Z0-9_]*)[ \t]*(?:\.(?:append|extend|add|update|insert|setdefault)\(|\+=|\|=|"
    r"\[[^\]\n]*\][ \t]*=[^=])")


def _constant_sizes(text: str, module_name: str) -> Dict[str, int]:
    """``PLATFORMS = [Platform.A, Platform.B]`` at column 0 -> {"<module>.PLATFORMS": 2}: the
    display is cut out by bracket matching and parsed alone (no parse of the whole file)."""
    found: Dict[str, int] = {}
    seen: Set[str] = set()
    text = "\n" + text
    for match in _CONSTANT_AT.finditer(text):
        name = match.group(1)
        if name in seen:
            found.pop(f"{module_name}.{name}", None)  # bound twice: not a constant
            continue
        seen.add(name)
        start = match.start(2)
        end = _closing_bracket(text, start)
        if end is None:
            continue
        try:
            node = ast.parse(text[start:end + 1], mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            continue
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and \
                not any(isinstance(e, ast.Starred) for e in node.elts):
            size = len(node.elts)
        elif isinstance(node, ast.Dict) and None not in node.keys:
            size = len(node.keys)
        else:
            continue
        if size:
            found[f"{module_name}.{name}"] = size
    if found:
        # A mutation never spans lines, so only the lines naming a found constant can
        # unbind one (the same matches as over the whole text, far fewer positions tried).
        for line in _lines_naming(text, [name.rsplit(".", 1)[1] for name in found]):
            for mutated in _CONSTANT_MUTATED.finditer(line):
                found.pop(f"{module_name}.{mutated.group(1)}", None)
    return found


def _lines_naming(text: str, names: List[str]) -> List[str]:
    """The lines of ``text`` holding one of ``names``, once each, in order, with their
    newline (``[^=]`` at the end of a mutation may match it)."""
    starts: Set[int] = set()
    for name in names:
        position = text.find(name)
        while position != -1:
            starts.add(text.rfind("\n", 0, position) + 1)
            position = text.find(name, position + len(name))
    lines = []
    for start in sorted(starts):
        end = text.find("\n", start)
        lines.append(text[start:] if end == -1 else text[start:end + 1])
    return lines


# what can change the bracket depth; and what can end a string of each quote
_BRACKET_EVENT = re.compile(r"[\[\](){}#'\"]")
_STRING_END = {quote: re.compile(r"\\|" + quote) for quote in ("'", '"', "'''", '"""')}


def _closing_bracket(text: str, start: int) -> Optional[int]:
    """Index of the bracket closing ``text[start]`` (strings and comments skipped); the
    characters in between are skipped by regular expressions, not one by one."""
    depth = 0
    index = start
    limit = min(len(text), start + _MAX_CONSTANT_CHARS)
    while index < limit:
        event = _BRACKET_EVENT.search(text, index, limit)
        if event is None:
            return None
        index = event.start()
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        elif char == "#":
            index = text.find("\n", index)
            if index == -1:
                return None
            continue
        else:  # a string: up to its closing quote (one that starts before the limit)
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote)
            while index < limit:
                found = _STRING_END[quote].search(text, index, limit + len(quote) - 1)
                if found is None or found.start() >= limit:
                    index = limit
                elif found.group() == "\\":
                    index = found.start() + 2
                    continue
                else:
                    index = found.start()
                break
            index += len(quote)
            continue
        index += 1
    return None


def build_index(files: Sequence[str]) -> ProjectIndex:
    """The index for a run over ``files`` (a one-file run reads only that file's imports)."""
    return ProjectIndex.from_files(files, self_served=len(files) == 1)


__all__ = ["ProjectIndex", "RecordingIndex", "ScanFacts", "answers_hold", "build_index", "package_probe"]
