"""``concurlint check --add-noqa``: a ``# noqa: CODE`` on the line of every current finding.

For adopting concurlint on a large codebase without a baseline file: the existing
findings are silenced where they are, visibly, and new code is checked in full.

- The comment goes where ``noqa`` is read for the finding (``suppression.noqa_spans``):
  the finding's own line, or the last line of a statement continued by a backslash or a
  multi-line string (a comment cannot stand on the earlier lines).
- An existing ``# noqa: CODES`` comment on that line gets the new codes added to its
  list; any other comment is kept and the ``noqa`` comment follows it.
- Tool findings (CCY001-CCY004: a file that could not be checked) are not silenced:
  they are not pitfalls of the code, and a noqa would hide the next real problem.
- Each file is rewritten atomically, in its own encoding, BOM and newline style; a
  notebook gets the comments in its cells, nothing else of it changing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from .fileio import atomic_write
from .findings import FILES, FINDINGS, Finding, Plural, Text
from .notebook import cell_markers
from .suppression import NOQA, noqa_spans


@dataclass
class AddedNoqa:
    comments: int = 0  # lines that got a new comment or new codes
    findings: int = 0  # findings those comments cover
    files: int = 0
    errors: List[str] = field(default_factory=list)


def _ending(line: str) -> Tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def with_noqa(line: str, codes: Sequence[str]) -> str:
    """``line`` (with its line ending) carrying ``# noqa`` for ``codes`` too."""
    body, ending = _ending(line)
    match = NOQA.search(body)
    if match is not None and match.group("codes"):
        listed = match.group("codes")
        missing = [c for c in codes if c not in listed.replace(",", " ").split()]
        if not missing:
            return line
        start, end = match.span("codes")
        return body[:start] + listed + ", " + ", ".join(missing) + body[end:] + ending
    return body.rstrip(" \t") + "  # noqa: " + ", ".join(codes) + ending


def add_noqa(results: Sequence) -> AddedNoqa:
    """Add the comments for the findings of ``results`` (``FileResult``s) to their files."""
    outcome = AddedNoqa()
    for result in results:
        source = result.source
        findings: List[Finding] = [f for f in result.findings if not f.code.startswith("CCY0")]
        if not findings or source is None:
            continue
        lines = source.text.splitlines(keepends=True)
        spans = noqa_spans(source.text)
        # A notebook's findings are in cell lines; its text has a marker line before each
        # cell, and writing it back (source.encode) puts each comment in its cell.
        markers = cell_markers(source.text) if getattr(source, "document", None) is not None else {}
        wanted: Dict[int, Dict[str, None]] = {}
        for finding in findings:
            line = finding.start.line - 1 + markers.get(finding.cell, 0)
            target = spans.get(line, (line, line))[1]
            if 0 <= target < len(lines):
                wanted.setdefault(target, {})[finding.code] = None
                outcome.findings += 1
        changed = 0
        for target, codes in wanted.items():
            updated = with_noqa(lines[target], list(codes))
            if updated != lines[target]:
                lines[target] = updated
                changed += 1
        if not changed:
            continue
        try:
            atomic_write(result.path, source.encode("".join(lines)))
        except (OSError, UnicodeEncodeError) as exc:
            outcome.errors.append(f"cannot write '{result.path}': {getattr(exc, 'strerror', None) or exc}")
            continue
        outcome.comments += changed
        outcome.files += 1
    return outcome


def summary(outcome: AddedNoqa, lang: str) -> str:
    if not outcome.comments:
        return _NONE_ADDED.get(lang)
    return _ADDED.format(comments=_COMMENTS.format(count=outcome.comments),
                         findings=FINDINGS.format(count=outcome.findings),
                         files=FILES.format(count=outcome.files)).get(lang)


_ADDED = Text("Added {comments} covering {findings} in {files}.")
_COMMENTS = Plural("{count} noqa comment", "{count} noqa comments")
_NONE_ADDED = Text("No noqa comments to add.")
