"""Finding the files to check: recursive *.py/*.pyi with excludes; explicit files always."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .config import ConfigError, Settings

SUFFIXES = (".py", ".pyi")


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    """Files to check, in a deterministic order, without duplicates.

    A path that does not exist is a usage error (ConfigError, exit 2). A path
    given explicitly is always checked (even if excluded or not ``*.py``), a symbolic
    link too; directories are walked without following symbolic links to directories
    (no loops), and a link to a file outside the walked directory is left out (``--fix``
    must not write there). A file reached by two names (links) is listed once, by the
    first name met.
    """
    found: List[str] = []
    seen = set()
    for path in paths:
        if not os.path.lexists(path):
            raise ConfigError(f"path '{path}' does not exist")
        if os.path.isdir(path):
            files = _walk(path, settings)
        else:
            files = [path]
        for file in files:
            key = os.path.normpath(file)
            identity = _identity(key)
            if key not in seen and identity not in seen:
                seen.update((key, identity))
                found.append(key)
    return found


def _identity(path: str) -> object:
    """What makes two names the same file: device and inode (the name when unreadable)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return ("name", os.path.normpath(path))
    return (info.st_dev, info.st_ino)


def _walk(top: str, settings: Settings) -> List[str]:
    files: List[str] = []
    root = os.path.realpath(top)
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames
            if not settings.is_excluded_entry(os.path.join(directory, d))
        )
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                full = os.path.join(directory, name)
                if os.path.islink(full) and not _inside(os.path.realpath(full), root):
                    continue
                if not settings.is_excluded_entry(full):
                    files.append(full)
    return files


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def parse_shard(text: str) -> "tuple[int, int]":
    """``"I/N"`` (1 <= I <= N) -> (I, N); anything else is a ConfigError."""
    parts = text.strip().split("/")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        index, count = int(parts[0]), int(parts[1])
        if 1 <= index <= count:
            return index, count
    raise ConfigError(f"--shard must look like I/N with 1 <= I <= N (e.g. 2/4), got '{text}'")


def shard(files: Sequence[str], index: int, count: int, root: str) -> List[str]:
    """The files of shard ``index`` (1-based) of ``count``, in their original order.

    A file belongs to the shard chosen by a stable hash of its path relative to
    ``root`` (POSIX form), so every machine agrees, the shards are disjoint and
    together hold every file, and adding or removing a file never moves another
    one to a different shard (CI caches per shard stay warm).
    """
    import hashlib

    if count <= 1:
        return list(files)
    chosen = []
    for path in files:
        try:
            rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        except ValueError:  # another drive on Windows
            rel = os.path.abspath(path)
        digest = hashlib.sha256(rel.replace(os.sep, "/").encode("utf-8", "surrogateescape"))
        if int.from_bytes(digest.digest()[:8], "big") % count == index - 1:
            chosen.append(path)
    return chosen


def module_name_for(path: str) -> Tuple[Optional[str], bool]:
    """Dotted module name of ``path`` from its package layout, and whether it is a package."""
    p = Path(path)
    if p.suffix not in (".py", ".pyi"):
        return None, False
    is_package = p.stem == "__init__"
    parts: List[str] = [] if is_package else [p.stem]
    directory = p.resolve().parent if p.is_absolute() or p.exists() else p.parent
    while (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file():
        parts.insert(0, directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    if not parts:
        return None, is_package
    name = ".".join(parts)
    return (name if all(part.isidentifier() for part in parts) else None), is_package


def display_path(path: str) -> str:
    """Paths are reported as given, normalised (no leading './')."""
    normal = os.path.normpath(path)
    return normal.replace(os.sep, "/") if os.sep != "/" else normal
