"""Changed-code mode (``--diff-base REV``): which lines changed since a git revision.

The comparison is between the merge base of REV and HEAD (so a pull request is
compared with the point where it branched, not with whatever the base branch
has gained since) and the working tree: committed, staged and unstaged edits
all count. Untracked (not ignored) files are entirely new. Renamed files are
followed, so moving a file does not make every line in it new.
"""
from __future__ import annotations

import os
import re
import subprocess
from typing import Dict, List, Optional, Sequence, Set

from .config import ConfigError

# path (absolute, normalised) -> changed line numbers, or None when the whole file is new
Changes = Dict[str, Optional[Set[int]]]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


class VcsError(ConfigError):
    """Not a git repository, git missing, or an unknown revision (exit 2)."""


def _git(args: Sequence[str], cwd: str) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
        )
    except FileNotFoundError:
        raise VcsError("--diff-base needs git, which was not found on PATH") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed")
    return completed.stdout


class _GitFailed(Exception):
    pass


def repository_root(cwd: str) -> str:
    try:
        out = _git(["rev-parse", "--show-toplevel"], cwd)
    except _GitFailed:
        raise VcsError(f"--diff-base needs a git repository, and '{os.path.abspath(cwd)}' "
                       "is not inside one") from None
    return os.path.normpath(os.fsdecode(out.rstrip(b"\n")))


def _base_commit(rev: str, top: str) -> str:
    if rev.startswith("-"):
        raise VcsError(f"unknown git revision '{rev}' for --diff-base")
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                      top).decode().strip()
    except _GitFailed:
        commit = ""
    if not commit:
        raise VcsError(f"unknown git revision '{rev}' for --diff-base "
                       "(fetch it first, e.g. 'git fetch origin main', or give a commit)")
    try:
        merge_base = _git(["merge-base", commit, "HEAD"], top).decode().strip()
    except _GitFailed:  # no common history, or HEAD is unborn: compare with REV itself
        merge_base = ""
    return merge_base or commit


def _unquote(path: bytes) -> bytes:
    """git's C-style quoting of unusual paths ("a\\tb", octal escapes for bytes)."""
    if not (path.startswith(b'"') and path.endswith(b'"') and len(path) >= 2):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char == 0x5C and i + 1 < len(body):  # backslash
            nxt = chr(body[i + 1])
            if nxt in "01234567" and i + 4 <= len(body):
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out.append(char)
        i += 1
    return bytes(out)


def parse_diff(diff: bytes, top: str) -> Changes:
    """Added/changed line numbers per file from ``git diff -U0`` output."""
    changes: Changes = {}
    current: Optional[Set[int]] = None
    for raw in diff.split(b"\n"):
        if raw.startswith(b"+++ "):
            target = raw[4:].rstrip(b"\r")
            if target == b"/dev/null":  # deleted file
                current = None
                continue
            target = _unquote(target)
            if target.startswith(b"b/"):
                target = target[2:]
            path = os.path.normpath(os.path.join(top, os.fsdecode(target)))
            current = changes.setdefault(path, set())  # type: ignore[assignment]
            continue
        if current is None:
            continue
        match = _HUNK.match(raw.decode("utf-8", "replace"))
        if match:
            start = int(match.group(1))
            count = 1 if match.group(2) is None else int(match.group(2))
            current.update(range(start, start + count))
    return changes


def changed_lines(rev: str, cwd: Optional[str] = None) -> Changes:
    """Lines added or changed since ``rev`` in the repository containing ``cwd``."""
    cwd = cwd or os.getcwd()
    top = repository_root(cwd)
    base = _base_commit(rev, top)
    try:
        diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
                     "--src-prefix=a/", "--dst-prefix=b/",  # whatever diff.noprefix/mnemonicPrefix say
                     "--diff-filter=d", base, "--"], top)
        untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    except _GitFailed as exc:
        raise VcsError(f"git diff against '{rev}' failed: {exc}") from None
    changes = parse_diff(diff, top)
    for name in untracked.split(b"\0"):
        if name:
            changes[os.path.normpath(os.path.join(top, os.fsdecode(name)))] = None
    return normalise(changes)


def key(path: str) -> str:
    """How a checked file's path is looked up in ``Changes``."""
    return os.path.normpath(os.path.realpath(path))


def normalise(changes: Changes) -> Changes:
    """Keys resolved through symbolic links, to match ``key()`` of checked paths."""
    return {key(path): lines for path, lines in changes.items()}


def is_changed(changes: Changes, path: str, line: Optional[int] = None) -> bool:
    """Whether ``path`` changed at all (line None) or at ``line``."""
    k = key(path)
    if k not in changes:
        return False
    lines = changes[k]
    return line is None or lines is None or line in lines


def changed_files(changes: Changes, files: Sequence[str]) -> List[str]:
    return [f for f in files if is_changed(changes, f)]
