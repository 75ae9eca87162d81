"""Every fixture, through the engine: exactly the marked (line, code) pairs."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from concurlint.config import load_settings
from concurlint.runner import run

from fixture_support import Fixture, all_fixtures, project_root, settings_overrides

FIXTURE_LIST = all_fixtures()
_RUNS: Dict[Tuple[Path, str], Dict[str, Set[Tuple[int, str]]]] = {}


def engine_findings(fixture: Fixture) -> Set[Tuple[int, str]]:
    root = project_root(fixture.path)
    settings = load_settings(isolated=True, overrides=settings_overrides(fixture))
    key = (root, repr(sorted(settings_overrides(fixture).items())))
    if key not in _RUNS:
        by_file: Dict[str, Set[Tuple[int, str]]] = {}
        result = run([str(root)], settings)
        for finding in result.findings:
            by_file.setdefault(str(Path(finding.path).resolve()), set()).add((finding.line, finding.code))
        assert not result.tracebacks, result.tracebacks
        _RUNS[key] = by_file
    return _RUNS[key].get(str(fixture.path.resolve()), set())


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=[f.id for f in FIXTURE_LIST])
def test_fixture_findings_match_markers(fixture: Fixture) -> None:
    found = engine_findings(fixture)
    missing = sorted(fixture.expected - found)
    extra = sorted(found - fixture.expected)
    assert not missing and not extra, f"missing: {missing}  unexpected: {extra}"
