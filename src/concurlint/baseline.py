"""Baselines: adopt concurlint on an existing codebase by hiding the findings it has today.

``concurlint check --write-baseline FILE`` records every current finding as
(path, code, fingerprint); ``--baseline FILE`` (or ``baseline = "..."`` in the
config) then hides those and reports only new ones.

The fingerprint must survive unrelated edits that shift lines, so it never
contains a line number. It is a hash of the rule code and the finding's source
line together with its nearest non-blank neighbours above and below, each
normalised (surrounding whitespace stripped, inner runs of whitespace collapsed,
so re-indenting does not matter), plus an occurrence index that tells apart
several findings of the same code on identical-looking code in one file.

Paths are stored relative to the config root (the directory of the
pyproject.toml that configured the run, else the working directory) in POSIX
form, so a baseline written from one directory works from another.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .config import ConfigError
from .fileio import atomic_write
from .findings import Finding, Plural, Text

FORMAT_VERSION = 1
FINGERPRINT_KEY = "concurlint/v1"  # the partialFingerprints key in SARIF
_WHITESPACE = re.compile(r"\s+")
_NEWLINE = re.compile(r"\r\n|\r|\n")

LineSource = Callable[[str], List[str]]
Key = Tuple[str, str, str]  # (relative path, code, fingerprint)


def relative_path(path: str, root: str) -> str:
    """``path`` relative to ``root`` in POSIX form (unchanged when on another drive)."""
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def _normalise(line: str) -> str:
    return _WHITESPACE.sub(" ", line.strip())


def _context(lines: Sequence[str], line: int) -> str:
    """The normalised line (1-based) with its nearest non-blank neighbours."""
    index = line - 1
    if not 0 <= index < len(lines):
        return ""
    parts = [_normalise(lines[index])]
    above = index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    below = index + 1
    while below < len(lines) and not lines[below].strip():
        below += 1
    parts.insert(0, _normalise(lines[above]) if above >= 0 else "")
    parts.append(_normalise(lines[below]) if below < len(lines) else "")
    return "\n".join(parts)


def _read_lines(path: str) -> List[str]:
    """The file's lines from disk, when the run kept no text for it (e.g. a cached result)."""
    from .source import SourceError, read_source

    try:
        return _NEWLINE.split(read_source(path).text)
    except (SourceError, OSError):
        return []


def _lines_of(text: List[str], finding: Finding) -> List[str]:
    """The lines ``finding.line`` counts in: the file's, or in a notebook its cell's (so a
    fingerprint does not change when an earlier cell grows)."""
    if finding.cell is None:
        return text
    from .notebook import cell_lines

    return cell_lines(text, finding.cell)


def fingerprints(findings: Sequence[Finding], lines: LineSource) -> List[str]:
    """One fingerprint per finding, in the order given.

    Findings with the same code and the same context in one file get the
    occurrence indexes 0, 1, 2... in source order.
    """
    digests: List[Tuple[str, str, int, int, str]] = []
    cache: Dict[str, List[str]] = {}
    for finding in findings:
        if finding.path not in cache:
            cache[finding.path] = lines(finding.path) or _read_lines(finding.path)
        context = _context(_lines_of(cache[finding.path], finding), finding.start.line)
        digest = hashlib.sha256(f"{finding.code}\n{context}".encode("utf-8", "surrogatepass"))
        digests.append((finding.path, finding.code, finding.start.line, finding.start.column,
                        digest.hexdigest()[:20]))
    order = sorted(range(len(findings)), key=lambda i: digests[i])
    seen: Counter = Counter()
    result = [""] * len(findings)
    for i in order:
        path, code, _line, _column, digest = digests[i]
        occurrence = seen[(path, code, digest)]
        seen[(path, code, digest)] += 1
        result[i] = f"{digest}:{occurrence}"
    return result


def line_hashes(findings: Sequence[Finding], lines: LineSource) -> List[str]:
    """A hash of the code and the normalised reported line alone (the fallback match)."""
    cache: Dict[str, List[str]] = {}
    result = []
    for finding in findings:
        if finding.path not in cache:
            cache[finding.path] = lines(finding.path) or _read_lines(finding.path)
        text = _lines_of(cache[finding.path], finding)
        index = finding.start.line - 1
        line = _normalise(text[index]) if 0 <= index < len(text) else ""
        digest = hashlib.sha256(f"{finding.code}\n{line}".encode("utf-8", "surrogatepass"))
        result.append(digest.hexdigest()[:20])
    return result


def keys(findings: Sequence[Finding], lines: LineSource, root: str) -> List[Key]:
    return [
        (relative_path(f.path, root), f.code, fp)
        for f, fp in zip(findings, fingerprints(findings, lines))
    ]


# ---------------------------------------------------------------------- the file
@dataclass(frozen=True)
class Entry:
    path: str  # relative to the root, POSIX
    code: str
    fingerprint: str  # context hash ":" occurrence
    line_hash: str = ""  # the reported line alone


def entries(findings: Sequence[Finding], lines: LineSource, root: str) -> List[Entry]:
    return [
        Entry(path, code, fp, lh)
        for (path, code, fp), lh in zip(keys(findings, lines, root), line_hashes(findings, lines))
    ]


def dumps(findings: Sequence[Finding], lines: LineSource, root: str) -> str:
    rows = []
    for finding, entry in zip(findings, entries(findings, lines, root)):
        rows.append({
            "path": entry.path, "code": entry.code, "fingerprint": entry.fingerprint,
            "line_hash": entry.line_hash,
            # informational only: neither is used for matching
            "line": finding.start.line, "message": finding.message.en,
        })
    rows.sort(key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]))
    document = {"tool": "concurlint", "baseline_version": FORMAT_VERSION, "findings": rows}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: str, findings: Sequence[Finding], lines: LineSource, root: str) -> None:
    """Write the baseline atomically; an unwritable path is a ConfigError (exit 2)."""
    try:
        atomic_write(path, dumps(findings, lines, root))
    except OSError as exc:
        raise ConfigError(f"cannot write baseline '{path}': {exc.strerror or exc}") from None


def load(path: str) -> List[Entry]:
    """The entries recorded in a baseline file (a missing or corrupt file is a ConfigError)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ConfigError(
            f"baseline file '{path}' does not exist (create it with --write-baseline)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read baseline file '{path}': {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"baseline file '{path}' is not valid JSON: {exc}") from None
    rows = document.get("findings") if isinstance(document, dict) else None
    if (not isinstance(document, dict) or document.get("tool") != "concurlint"
            or not isinstance(rows, list)):
        raise ConfigError(f"baseline file '{path}' is not a concurlint baseline")
    if document.get("baseline_version") != FORMAT_VERSION:
        raise ConfigError(
            f"baseline file '{path}' has version {document.get('baseline_version')!r}; "
            f"this concurlint reads version {FORMAT_VERSION} (re-create it with --write-baseline)")
    recorded: List[Entry] = []
    for number, row in enumerate(rows, start=1):
        if not (isinstance(row, dict)
                and all(isinstance(row.get(k), str) for k in ("path", "code", "fingerprint"))
                and isinstance(row.get("line_hash", ""), str)):
            raise ConfigError(
                f"baseline file '{path}': entry {number} needs string 'path', 'code' and "
                "'fingerprint'")
        recorded.append(Entry(row["path"], row["code"], row["fingerprint"], row.get("line_hash", "")))
    return recorded


# ---------------------------------------------------------------------- applying
@dataclass
class Outcome:
    kept: List[Finding] = field(default_factory=list)
    hidden: int = 0  # current findings recorded in the baseline
    fixed: int = 0  # baseline findings (in checked files) that no longer occur


def apply(findings: Sequence[Finding], recorded: Sequence[Entry], lines: LineSource, root: str,
          checked_files: Iterable[str]) -> Outcome:
    """Hide the findings recorded in the baseline; count recorded ones that are gone.

    Matching is by (path, code, fingerprint) first. A finding left over then
    matches a left-over entry with the same path, code and reported line (code
    edited just above or below a known finding changes its context, not the
    finding). Each entry hides at most one finding. Only entries of files that
    were checked in this run count as fixed, so checking part of the project
    does not claim the rest was fixed.
    """
    current = entries(findings, lines, root)
    consumed = [False] * len(recorded)
    hidden = [False] * len(current)
    passes = (
        lambda e: (e.path, e.code, e.fingerprint),
        lambda e: (e.path, e.code, e.line_hash) if e.line_hash else None,
    )
    for key_of in passes:
        available: Dict[object, List[int]] = {}
        for j, entry in enumerate(recorded):
            key = key_of(entry)
            if not consumed[j] and key is not None:
                available.setdefault(key, []).append(j)
        for i, entry in enumerate(current):
            slots = available.get(key_of(entry)) if not hidden[i] else None
            if slots:
                consumed[slots.pop(0)] = True
                hidden[i] = True
    checked = {relative_path(p, root) for p in checked_files}
    return Outcome(
        kept=[f for f, h in zip(findings, hidden) if not h],
        hidden=sum(hidden),
        fixed=sum(1 for j, e in enumerate(recorded) if not consumed[j] and e.path in checked),
    )


def summary(outcome: Outcome, lang: str = "en") -> Optional[str]:
    """The line added to the terminal summary, or None when there is nothing to say."""
    if not outcome.hidden and not outcome.fixed:
        return None
    hidden = _HIDDEN.format(count=outcome.hidden)
    gone = _GONE.format(count=outcome.fixed)
    if outcome.hidden and outcome.fixed:
        text = _BOTH.format(first=hidden, second=gone)
    else:
        text = hidden if outcome.hidden else gone
    return _SENTENCE.format(text=text).get(lang)


_HIDDEN = Plural("{count} known finding hidden by the baseline", "{count} known findings hidden by the baseline")
_GONE = Plural("{count} baseline finding no longer occurs (update it with --write-baseline)",
               "{count} baseline findings no longer occur (update it with --write-baseline)")
_BOTH = Text("{first}; {second}")
_SENTENCE = Text("{text}.")
