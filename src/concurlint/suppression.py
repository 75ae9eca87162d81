"""``# noqa`` comments, with flake8's syntax: bare, or followed by a list of codes."""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, List, Optional

from .findings import Finding

# flake8's form: "# noqa", "# noqa: CCY201", "# NOQA:CCY201,CCY204", "# noqa: CCY201 CCY204"
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

ALL = frozenset({"*"})


def noqa_codes(line: str) -> Optional[FrozenSet[str]]:
    """None when the line has no noqa; ALL for a bare noqa; else the listed codes."""
    if "#" not in line:
        return None
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ALL
    return frozenset(c.upper() for c in _CODE.findall(codes))


def is_suppressed(code: str, codes: Optional[FrozenSet[str]]) -> bool:
    if codes is None:
        return False
    if codes is ALL:
        return True
    return any(code.startswith(c) for c in codes)


def apply_noqa(findings: Iterable[Finding], lines: List[str]) -> List[Finding]:
    """Drop findings whose reported line carries a matching ``# noqa``."""
    cache: Dict[int, Optional[FrozenSet[str]]] = {}
    kept = []
    for finding in findings:
        index = finding.start.line - 1
        if index not in cache:
            cache[index] = noqa_codes(lines[index]) if 0 <= index < len(lines) else None
        if not is_suppressed(finding.code, cache[index]):
            kept.append(finding)
    return kept
