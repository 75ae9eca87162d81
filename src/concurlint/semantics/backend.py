"""The async library a module is written for: asyncio, trio or anyio.

Messages and fixes name that library's API (``trio.to_thread.run_sync``, not
``asyncio.to_thread``, in trio code). It is decided, in order, by:

1. the module's own package when it is one of the three (anyio's own modules import
   each other relatively), then its own imports in any form (``import trio``, ``import trio.lowlevel``,
   ``from trio import run``, ``from anyio import ...``), anywhere in the module;
2. the imports of the other modules of its package: first its own folder, then the
   top-level package it belongs to (a test module of a trio project often imports
   nothing of trio itself); a plain folder that is not a package counts only its own
   files. A package's modules may use several libraries (trio's tests drive asyncio as a
   host loop; anyio's backends import both): the library imported by the most modules
   decides, and a tie leaves it unknown;
3. the ``async-backend`` setting (``auto`` leaves it unknown).

anyio runs on asyncio and trio alike, so a module importing anyio is an anyio module
even when it also imports asyncio. A module importing both asyncio and trio (and not
anyio) is a bridge between them: its library is unknown, and its package is not asked.
Only source text is read (comments and strings removed), never imported; each folder is
read once per process.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Dict, FrozenSet, Iterable, Optional, Tuple

from ..precheck import code_only

LIBRARIES = ("asyncio", "trio", "anyio")
MIXED = "mixed"  # asyncio and trio: the module speaks, but for neither alone

_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<origin>\w+)[\w.]*[ \t]+import\b|import[ \t]+(?P<names>[^\n;#]+))",
    re.MULTILINE)
_MAX_PACKAGE_FILES = 2000  # files read per folder tree when asking the package
_MAX_READ = 256 * 1024
_FOLDER_MEMO: Dict[Tuple[str, bool], "Counter[str]"] = {}


def imported_libraries(text: str) -> FrozenSet[str]:
    """Which of asyncio/trio/anyio ``text`` imports (top-level package names)."""
    found = set()
    if "\r" in text:  # old Mac and Windows line ends: '^' and the name list stop at '\n' only
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for match in _IMPORT.finditer(code_only(text)):
        origin = match.group("origin")
        if origin is not None:
            if origin in LIBRARIES:
                found.add(origin)
            continue
        for item in match.group("names").split(","):
            words = item.split()
            top = words[0].split(".")[0] if words else ""
            if top in LIBRARIES:
                found.add(top)
    return frozenset(found)


def decide(libraries: Iterable[str]) -> Optional[str]:
    """One library for a set of imported ones; ``MIXED`` for asyncio with trio; None for none."""
    libraries = set(libraries)
    if "anyio" in libraries:
        return "anyio"
    if "trio" in libraries:
        return MIXED if "asyncio" in libraries else "trio"
    return "asyncio" if "asyncio" in libraries else None


def module_backend(text: str, path: Optional[str], setting: str = "auto",
                   module_name: Optional[str] = None) -> Optional[str]:
    """The library of the module at ``path`` with source ``text`` (None: unknown)."""
    top = (module_name or "").split(".")[0]
    if top in LIBRARIES:
        return top
    own = decide(imported_libraries(text))
    if own is None and path and os.path.isfile(path):
        own = package_backend(path)
    if own is None and setting != "auto":
        own = setting
    return None if own == MIXED else own


def package_backend(path: str) -> Optional[str]:
    """What the other modules of ``path``'s folder, then of its enclosing packages, import."""
    folder = os.path.dirname(os.path.abspath(path))
    found = _dominant(_folder_libraries(folder, recursive=False))
    if found is not None or not _is_package(folder):
        return found
    parent = os.path.dirname(folder)
    while _is_package(parent):
        folder, parent = parent, os.path.dirname(parent)
    return _dominant(_folder_libraries(folder, recursive=True))


def _dominant(counts: "Counter[str]") -> Optional[str]:
    """The library most modules import; None for none or a tie."""
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def _folder_libraries(folder: str, recursive: bool) -> "Counter[str]":
    """How many modules of ``folder`` import each library (the asking module imports
    none, so counting it changes nothing)."""
    key = (folder, recursive)
    found = _FOLDER_MEMO.get(key)
    if found is None:
        found = Counter()
        for file in _python_files(folder, recursive):
            try:
                with open(file, "rb") as handle:
                    data = handle.read(_MAX_READ)
            except OSError:
                continue
            found.update(imported_libraries(data.decode("utf-8", "replace")))
        _FOLDER_MEMO[key] = found
    return found


def _python_files(folder: str, recursive: bool) -> Iterable[str]:
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                count += 1
                if count > _MAX_PACKAGE_FILES:
                    return
                yield os.path.join(root, name)
        if not recursive:
            return
