"""Finding the files to check: recursive *.py/*.pyi with excludes; explicit files always."""
from __future__ import annotations

import os
from typing import List, Sequence

from .config import ConfigError, Settings

SUFFIXES = (".py", ".pyi")


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    """Files to check, in a deterministic order, without duplicates.

    A path that does not exist is a usage error (ConfigError, exit 2). A path
    given explicitly is always checked (even if excluded or not ``*.py``);
    directories are walked without following symbolic links (no loops).
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
            if key not in seen:
                seen.add(key)
                found.append(key)
    return found


def _walk(top: str, settings: Settings) -> List[str]:
    files: List[str] = []
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames
            if not settings.is_excluded(os.path.join(directory, d))
        )
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                full = os.path.join(directory, name)
                if not settings.is_excluded(full):
                    files.append(full)
    return files
