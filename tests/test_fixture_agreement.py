"""The same fixtures through the installed CLI and through a real flake8 process.

Both adapters must report exactly the marked (line, code) pairs. Fixtures are
grouped by their settings so each group costs one subprocess per adapter.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from fixture_support import Fixture, all_fixtures, project_root, settings_overrides
from test_cli import concurlint_exe

Pairs = Dict[str, Set[Tuple[int, str]]]


def _toml_value(value: object) -> str:
    return json.dumps(value)  # JSON scalars and lists of strings are valid TOML


def _groups() -> Dict[str, List[Fixture]]:
    groups: Dict[str, List[Fixture]] = {}
    for fixture in all_fixtures():
        key = json.dumps(settings_overrides(fixture), sort_keys=True)
        groups.setdefault(key, []).append(fixture)
    return groups


GROUPS = _groups()


def _config(tmp_path: Path, key: str) -> Path:
    lines = ["[tool.concurlint]"]
    for name, value in json.loads(key).items():
        lines.append(f"{name} = {_toml_value(value)}")
    path = tmp_path / "concurlint.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli(fixtures: List[Fixture], config: Path) -> Pairs:
    roots = sorted({str(project_root(f.path)) for f in fixtures})
    result = subprocess.run(
        [*concurlint_exe(), "check", "--config", str(config), "--output-format", "json", *roots],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode in (0, 1), result.stderr
    found: Pairs = {}
    for item in json.loads(result.stdout)["findings"]:
        found.setdefault(str(Path(item["path"]).resolve()), set()).add((item["line"], item["code"]))
    return found


def _flake8(fixtures: List[Fixture], config: Path) -> Pairs:
    files = [str(f.path) for f in fixtures]
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "CCY",
         f"--concurlint-config={config}", "--format", "%(path)s\t%(row)d\t%(code)s", *files],
        capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    found: Pairs = {}
    for line in result.stdout.splitlines():
        path, row, code = line.split("\t")
        found.setdefault(str(Path(path).resolve()), set()).add((int(row), code))
    return found


def _compare(fixtures: List[Fixture], found: Pairs) -> List[str]:
    problems = []
    for fixture in fixtures:
        got = found.get(str(fixture.path.resolve()), set())
        missing, extra = sorted(fixture.expected - got), sorted(got - fixture.expected)
        if missing or extra:
            problems.append(f"{fixture.id}: missing {missing} unexpected {extra}")
    return problems


@pytest.mark.integration
@pytest.mark.parametrize("key", list(GROUPS), ids=[f"group{i}" for i in range(len(GROUPS))])
def test_cli_matches_markers(tmp_path: Path, key: str) -> None:
    problems = _compare(GROUPS[key], _cli(GROUPS[key], _config(tmp_path, key)))
    assert not problems, "\n".join(problems)


@pytest.mark.integration
@pytest.mark.parametrize("key", list(GROUPS), ids=[f"group{i}" for i in range(len(GROUPS))])
def test_flake8_matches_markers(tmp_path: Path, key: str) -> None:
    problems = _compare(GROUPS[key], _flake8(GROUPS[key], _config(tmp_path, key)))
    assert not problems, "\n".join(problems)
