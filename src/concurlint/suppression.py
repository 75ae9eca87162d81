"""``# noqa`` comments, with flake8's syntax, and the codes of peer linters.

- ``# noqa`` (bare) or ``# noqa: CCY201,CCY204`` on the reported line, as flake8 reads
  it: the word ``noqa`` in any case, the codes case-sensitive (``# noqa: ccy201``
  suppresses nothing, in flake8 and here alike).
- A code of a peer linter for the same pitfall (``# noqa: ASYNC251`` from flake8-async
  or ruff, ruff's ``S113`` and ``RUF006``) suppresses the concurlint finding too, so a
  codebase that already silenced a deliberate case for its other linter need not say so
  twice. ``PEER_CODES`` is the mapping, shown in docs/configuration.md.
- File-level: ``# concurlint: noqa`` on a line of its own suppresses every finding of
  the file, ``# concurlint: noqa: CCY204,CCY501`` those codes; flake8's
  ``# flake8: noqa`` (without codes, as flake8 requires) suppresses the file in both
  modes. Like flake8 and ruff, the comment may stand anywhere in the file; the top is
  where readers look for it.
"""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from .findings import Finding

# flake8's form: "# noqa", "# noqa: CCY201", "# NOQA:CCY201,CCY204", "# noqa: CCY201 CCY204"
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
# a comment line of its own: "# concurlint: noqa", "# concurlint: noqa: CCY204", "# flake8: noqa"
FILE_NOQA = re.compile(
    r"^[ \t]*#[ \t]*(?P<tool>concurlint|flake8)[ \t]*[:=][ \t]*noqa\b"
    r"(?:[ \t]*:[ \t]*(?P<codes>[A-Z]+[0-9]+(?:[ \t,]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE | re.MULTILINE,
)

ALL = frozenset({"*"})

# Codes of peer linters for the pitfall a concurlint rule reports (flake8-async and ruff
# share the ASYNC numbers; S113 and RUF006 are ruff's). One peer code may stand for
# several concurlint codes and the other way round.
PEER_CODES: Dict[str, Tuple[str, ...]] = {
    "ASYNC103": ("CCY602",),  # cancellation caught and not re-raised
    "ASYNC104": ("CCY602",),
    "ASYNC105": ("CCY101",),  # async function called and not awaited
    "ASYNC200": ("CCY209",),  # configured blocking call
    "ASYNC210": ("CCY202",),  # blocking HTTP call
    "ASYNC211": ("CCY202",),
    "ASYNC212": ("CCY202",),
    "ASYNC220": ("CCY203",),  # blocking subprocess call
    "ASYNC221": ("CCY203",),
    "ASYNC222": ("CCY203",),
    "ASYNC230": ("CCY204",),  # blocking file I/O
    "ASYNC231": ("CCY204",),
    "ASYNC232": ("CCY204",),
    "ASYNC240": ("CCY204",),
    "ASYNC250": ("CCY206",),  # input() in async code
    "ASYNC251": ("CCY201",),  # time.sleep in async code
    "ASYNC300": ("CCY103",),  # create_task result not kept
    "ASYNC913": ("CCY110",),  # indefinite loop that never yields
    "RUF006": ("CCY103",),
    "S113": ("CCY501",),  # request without a timeout
}


def noqa_codes(line: str) -> Optional[FrozenSet[str]]:
    """None when the line has no noqa; ALL for a bare noqa; else the listed codes
    (as written: codes are case-sensitive)."""
    if "#" not in line:
        return None
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ALL
    return frozenset(_CODE.findall(codes))


def is_suppressed(code: str, codes: Optional[FrozenSet[str]]) -> bool:
    if codes is None:
        return False
    if codes is ALL:
        return True
    for listed in codes:
        if code.startswith(listed) or code in PEER_CODES.get(listed, ()):
            return True
    return False


def file_noqa(text: str) -> Optional[FrozenSet[str]]:
    """What the file-level comments of ``text`` suppress: None, ALL, or codes."""
    if "noqa" not in text and "NOQA" not in text:
        return None
    found: Optional[FrozenSet[str]] = None
    for match in FILE_NOQA.finditer(text):
        codes = match.group("codes")
        if codes is None:
            return ALL
        if match.group("tool").lower() == "flake8":
            continue  # flake8 ignores "# flake8: noqa: CODES" (it would hide the whole file)
        found = (found or frozenset()) | frozenset(_CODE.findall(codes))
    return found


def apply_noqa(findings: Iterable[Finding], lines: List[str], text: Optional[str] = None,
               peers_only: bool = False) -> List[Finding]:
    """Drop findings whose reported line carries a matching ``# noqa``, and those a
    file-level comment covers (``text``: the whole source).

    ``peers_only``: flake8 mode, where flake8 itself applies ``# noqa: CCY...`` and
    ``# flake8: noqa``; only peer codes and ``# concurlint: noqa`` are ours to apply.
    """
    whole = file_noqa(text) if text is not None else None
    if whole is ALL:
        return []
    cache: Dict[int, Optional[FrozenSet[str]]] = {}
    kept = []
    for finding in findings:
        if whole is not None and is_suppressed(finding.code, whole):
            continue
        index = finding.start.line - 1
        if index not in cache:
            codes = noqa_codes(lines[index]) if 0 <= index < len(lines) else None
            if peers_only and codes is not None:
                codes = None if codes is ALL else frozenset(c for c in codes if c in PEER_CODES) or None
            cache[index] = codes
        if not is_suppressed(finding.code, cache[index]):
            kept.append(finding)
    return kept
