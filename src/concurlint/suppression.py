"""``# noqa`` comments, with flake8's syntax, and the codes of peer linters.

- ``# noqa`` (bare) or ``# noqa: CCY201,CCY204`` on the reported line, as flake8 reads
  it: the word ``noqa`` in any case, the codes case-sensitive (``# noqa: ccy201``
  suppresses nothing, in flake8 and here alike).
- A code of a peer linter for the same pitfall (``# noqa: ASYNC251`` from flake8-async
  or ruff, ruff's ``S113`` and ``RUF006``) suppresses the concurlint finding too, so a
  codebase that already silenced a deliberate case for its other linter need not say so
  twice. ``PEER_CODES`` is the mapping, shown in docs/configuration.md.
- A statement continued by a backslash or by a multi-line string is one stretch of
  lines for ``noqa``, as flake8 reads it: a comment on any of its lines covers a finding
  on any other (the comment can only stand on the last one). Lines inside brackets are
  not joined: each keeps its own comment. ``noqa_spans`` computes the stretches.
- File-level: ``# concurlint: noqa`` on a line of its own suppresses every finding of
  the file, ``# concurlint: noqa: CCY204,CCY501`` those codes; flake8's
  ``# flake8: noqa`` suppresses the file in both modes, with or without codes after it
  (flake8 skips such a file whole, so the CLI does too). Like flake8 and ruff, the comment may stand anywhere in the file; the top is
  where readers look for it.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from .findings import Finding

# flake8's form: "# noqa", "# noqa: CCY201", "# NOQA:CCY201,CCY204", "# noqa: CCY201 CCY204".
# Exactly "# noqa", as flake8 reads it: "#noqa" is no noqa for flake8, so not here either.
NOQA = re.compile(
    r"# noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
# a comment line of its own: "# concurlint: noqa", "# concurlint: noqa: CCY204"
FILE_NOQA = re.compile(
    r"^[ \t]*#[ \t]*concurlint[ \t]*[:=][ \t]*noqa\b"
    r"(?:[ \t]*:[ \t]*(?P<codes>[A-Z]+[0-9]+(?:[ \t,]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE | re.MULTILINE,
)
# flake8's own: a line that starts with "# flake8: noqa" (or "=", any case) skips the whole
# file, whatever follows, codes included ("# flake8: noqa: E501" too).
FLAKE8_FILE_NOQA = re.compile(r"^[ \t]*# flake8[:=][ \t]*noqa", re.IGNORECASE | re.MULTILINE)

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
    if FLAKE8_FILE_NOQA.search(text):
        return ALL
    found: Optional[FrozenSet[str]] = None
    for match in FILE_NOQA.finditer(text):
        codes = match.group("codes")
        if codes is None:
            return ALL
        found = (found or frozenset()) | frozenset(_CODE.findall(codes))
    return found


def noqa_spans(text: str) -> Dict[int, Tuple[int, int]]:
    """Line index -> (first, last) line index of the stretch its ``noqa`` is read from.

    A stretch ends at each end of a physical line that the tokenizer sees (a newline
    outside brackets, or inside them); so only backslash continuations and multi-line
    strings make a stretch longer than one line. Lines missing from the map (a file that
    does not tokenize) are their own stretch.
    """
    spans: Dict[int, Tuple[int, int]] = {}
    first: Optional[int] = None
    last = -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            start, end = token.start[0] - 1, token.end[0] - 1
            first = start if first is None else min(first, start)
            last = max(last, end)
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                for index in range(first, last + 1):
                    spans[index] = (first, last)
                first, last = None, -1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return spans


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
    cache: Dict[Tuple[int, int], Optional[FrozenSet[str]]] = {}
    spans: Optional[Dict[int, Tuple[int, int]]] = None
    kept = []
    for finding in findings:
        if whole is not None and is_suppressed(finding.code, whole):
            continue
        if spans is None:  # only files with findings pay for the tokenizer
            spans = noqa_spans(text if text is not None else "\n".join(lines) + "\n")
        line = finding.start.line - 1
        index = spans.get(line, (line, line))
        if index not in cache:
            first, last = index
            stretch = "\n".join(lines[max(first, 0):last + 1])
            codes = noqa_codes(stretch) if 0 <= first < len(lines) else None
            if peers_only and codes is not None:
                codes = None if codes is ALL else frozenset(c for c in codes if c in PEER_CODES) or None
            cache[index] = codes
        if not is_suppressed(finding.code, cache[index]):
            kept.append(finding)
    return kept
