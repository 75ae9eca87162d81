"""Reading fixture files: expected findings are marked on their lines.

A fixture is real-looking code. Each line that must produce findings ends with
``# expect: CODE[, CODE...]``; every other line must stay clean. Optional header
comments (in the first ten lines):

- ``# fixture-select: CCY2, CCY401`` limits the rules checked (default: every rule);
- ``# fixture-options: {"blocking-calls": ["mylib.*"]}`` sets config keys (JSON).

A directory holding ``__init__.py`` files is a small project: all its files are
checked in one run, so the cross-module index sees them all.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>CCY\d{3}(?:\s*,\s*CCY\d{3})*)")
SELECT = re.compile(r"^#\s*fixture-select:\s*(?P<codes>.+)$")
OPTIONS = re.compile(r"^#\s*fixture-options:\s*(?P<json>\{.*\})\s*$")


@dataclass
class Fixture:
    path: Path
    expected: Set[Tuple[int, str]]
    select: Optional[List[str]]
    options: Dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.path.relative_to(FIXTURES))


def load_fixture(path: Path) -> Fixture:
    expected: Set[Tuple[int, str]] = set()
    select: Optional[List[str]] = None
    options: Dict[str, Any] = {}
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected.add((number, code.strip()))
        if number <= 10:
            header = SELECT.match(line.strip())
            if header:
                select = [c.strip() for c in header.group("codes").split(",") if c.strip()]
            header = OPTIONS.match(line.strip())
            if header:
                options = json.loads(header.group("json"))
    return Fixture(path, expected, select, options)


def all_fixtures() -> List[Fixture]:
    return [load_fixture(p) for p in sorted(FIXTURES.rglob("*.py"))]


def project_root(path: Path) -> Path:
    """The fixture's project: its top-most package directory, or the file itself."""
    root = path
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != FIXTURES:
        root = directory
        directory = directory.parent
    return root


def settings_overrides(fixture: Fixture) -> Dict[str, Any]:
    overrides: Dict[str, Any] = dict(fixture.options)
    if fixture.select is not None:
        overrides["select"] = fixture.select
    else:
        overrides["preset"] = "all"
    return overrides
