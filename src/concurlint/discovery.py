"""Finding the files to check: recursive *.py/*.pyi without the excluded, git-ignored and
virtual-environment folders; explicit files always (unless ``force-exclude``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .config import ConfigError, Settings

SUFFIXES = (".py", ".pyi", ".ipynb")  # notebooks: their code cells (notebook.py)
# gitignore-style files read in every walked directory (``respect-gitignore``)
IGNORE_FILES = (".gitignore", ".ignore")
# (directory the patterns are relative to, with a trailing separator; their spec), outermost first
IgnoreLayers = Tuple[Tuple[str, Any], ...]


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    """Files to check, in a deterministic order, without duplicates.

    A path that does not exist is a usage error (ConfigError, exit 2). A path
    given explicitly is always checked (even if not ``*.py``, and even if excluded
    unless ``force-exclude`` is on), a symbolic link too; directories are walked without
    following symbolic links to directories (no loops), and a link to a file outside the
    walked directory is left out (``--fix`` must not write there). A file reached by two
    names (links) is listed once, by the first name met.
    """
    found: List[str] = []
    seen = set()
    for path in paths:
        if not os.path.lexists(path):
            raise ConfigError(f"path '{path}' does not exist")
        if os.path.isdir(path):
            files = [] if _force_excluded(path, settings) else _walk(path, settings)
        else:
            files = [] if _force_excluded(path, settings) else [path]
        for file in files:
            key = os.path.normpath(file)
            identity = _identity(key)
            if key not in seen and identity not in seen:
                seen.update((key, identity))
                found.append(key)
    return found


def _force_excluded(path: str, settings: Settings) -> bool:
    """A path named on the command line is checked unless ``force-exclude`` is on and
    the excludes of its closest configuration cover it."""
    local = settings.for_path(path)
    return local.force_exclude and local.is_excluded(path)


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
    inherited: Dict[str, IgnoreLayers] = {top: _outer_layers(top)}

    def unreadable(error: OSError) -> None:
        # listed as a file: reading it reports CCY002 with the reason (os.walk would skip it)
        files.append(error.filename)

    for directory, dirnames, filenames in os.walk(top, followlinks=False, onerror=unreadable):
        local = settings.for_path(directory)  # the excludes of the closest config
        layers = inherited.pop(directory, ())
        if local.respect_gitignore:
            layers += _layers_of(directory, [n for n in IGNORE_FILES if n in filenames])
        else:
            layers = ()
        absolute = os.path.join(os.path.abspath(directory), "")  # with the trailing separator
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(directory, name)
            if (local.is_excluded_entry(full) or _ignored(layers, absolute + name, is_dir=True)
                    or _is_venv(full)):
                continue
            kept.append(name)
            inherited[full] = layers
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                full = os.path.join(directory, name)
                if os.path.islink(full) and not _inside(os.path.realpath(full), root):
                    continue
                if not local.is_excluded_entry(full) and not _ignored(layers, absolute + name, is_dir=False):
                    files.append(full)
    return files


def _is_venv(directory: str) -> bool:
    """A virtual environment of any name holds ``pyvenv.cfg`` (PEP 405)."""
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def _git_root(directory: str) -> Optional[str]:
    """The top of the git work tree holding ``directory`` (``.git`` dir or file), if any."""
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _outer_layers(top: str) -> IgnoreLayers:
    """The ignore files that apply to ``top`` from above it: those of its ancestors up
    to the git work tree's top, and the repository's ``.git/info/exclude``."""
    root = _git_root(top)
    if root is None:
        return ()
    layers = _layers_of(root, [os.path.join(".git", "info", "exclude")])
    ancestors: List[str] = []
    current = os.path.dirname(os.path.abspath(top))
    while len(current) >= len(root):
        ancestors.insert(0, current)
        if current == root:
            break
        current = os.path.dirname(current)
    for directory in ancestors:
        layers += _layers_of(directory, IGNORE_FILES)
    below = (_below(base, spec, top) for base, spec in layers)
    return tuple(layer for layer in below if any(p.include is not None for p in layer[1].patterns))


def _below(base: str, spec: Any, top: str) -> Tuple[str, Any]:
    """``spec`` without the patterns that ignore ``top`` itself or a folder around it: a
    directory named on the command line is walked even inside an ignored tree (a Python
    installed under a git clone such as ~/.pyenv); its ignore rules apply below it."""
    rel = os.path.relpath(os.path.abspath(top), base).replace(os.sep, "/")
    parts = [] if rel == "." else rel.split("/")
    around = ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]
    kept = [p for p in spec.patterns
            if not (p.include and any(p.match_file(folder) is not None for folder in around))]
    return base, type(spec)(kept)


def _layers_of(directory: str, names: Sequence[str]) -> Tuple[Tuple[str, Any], ...]:
    import pathspec

    layers = []
    for name in names:
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:  # absent or unreadable: git ignores it too
            continue
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        if any(pattern.include is not None for pattern in spec.patterns):  # not only comments
            layers.append((os.path.join(os.path.abspath(directory), ""), spec))
    return tuple(layers)


def _ignored(layers: IgnoreLayers, absolute: str, is_dir: bool) -> bool:
    """Git's rule: the deepest ignore file with a matching pattern decides (its last
    matching pattern, so a ``!pattern`` re-includes). ``absolute``: an absolute path."""
    for prefix, spec in reversed(layers):
        if not absolute.startswith(prefix):
            continue
        rel = absolute[len(prefix):].replace(os.sep, "/")
        decision = spec.check_file(rel + "/" if is_dir else rel).include
        if decision is not None:
            return decision
    return False


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
