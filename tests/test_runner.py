"""The runner: the same output whatever the number of jobs, cold or warm cache."""
from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest
from click.testing import CliRunner

from concurlint.cli import main
from concurlint.config import load_settings
from concurlint.runner import default_jobs, run

ASYNC_SLEEP = "import asyncio, time\n\nasync def handler():\n    time.sleep(1)\n"
PLAIN = "def add(a, b):\n    return a + b\n"
BROKEN = "def f(:\n    pass\n"
THREADS = (
    "import threading\n\ncounter = 0\n\ndef work():\n    global counter\n    counter += 1\n\n"
    "t = threading.Thread(target=work())\nt.start()\n"
)


def make_project(root: Path, copies: int = 6) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "api.py").write_text("async def fetch_user(uid):\n    return uid\n")
    (root / "pkg" / "use.py").write_text(
        "from pkg.api import fetch_user\n\nasync def main():\n    fetch_user(1)\n")
    for i in range(copies):
        (root / f"a{i}.py").write_text(ASYNC_SLEEP * (i + 1))
        (root / f"p{i}.py").write_text(PLAIN)
        (root / f"t{i}.py").write_text(THREADS)
    (root / "broken.py").write_text(BROKEN)
    (root / "latin.py").write_bytes(b"# -*- coding: klingon -*-\nx = 1\n")
    return root


def keys(result) -> List[tuple]:
    return [(f.path, f.line, f.column, f.code, f.message.en) for f in result.findings]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def test_jobs_and_cache_do_not_change_findings(project: Path, tmp_path: Path) -> None:
    settings = load_settings(isolated=True)
    baseline = keys(run([str(project)], settings))
    assert any(code == "CCY201" for _p, _l, _c, code, _m in baseline)
    assert any(code == "CCY001" for _p, _l, _c, code, _m in baseline)
    assert any(code == "CCY002" for _p, _l, _c, code, _m in baseline)
    from concurlint.cache import Cache

    cache = Cache(str(tmp_path / "cache"), settings)
    for jobs in (1, 2, 3):
        assert keys(run([str(project)], settings, jobs=jobs)) == baseline
    assert keys(run([str(project)], settings, jobs=2, cache=cache)) == baseline  # cold
    assert cache.writes > 0
    warm = Cache(str(tmp_path / "cache"), settings)
    assert keys(run([str(project)], settings, jobs=1, cache=warm)) == baseline  # warm
    assert warm.hits > 0 and warm.misses == 0
    assert keys(run([str(project)], settings, cache=warm)) == baseline  # warm, in process


def test_results_are_in_file_order(project: Path) -> None:
    settings = load_settings(isolated=True)
    result = run([str(project)], settings, jobs=3)
    assert [r.path for r in result.results] == result.files


def test_progress_reaches_the_total(project: Path) -> None:
    settings = load_settings(isolated=True)
    seen = []
    run([str(project)], settings, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == len(seen)


def test_precheck_on_and_off_agree(project: Path) -> None:
    settings = load_settings(isolated=True)
    assert keys(run([str(project)], settings, precheck=True)) == \
        keys(run([str(project)], settings, precheck=False))


def test_cross_module_coroutine_is_not_skipped_by_the_precheck(project: Path) -> None:
    settings = load_settings(isolated=True)
    found = keys(run([str(project)], settings, jobs=1))
    assert any(p.endswith("use.py") and code == "CCY101" for p, _l, _c, code, _m in found)


def _cli(args: List[str], cwd: Path) -> str:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.mark.parametrize("fmt", ["full", "json"])
def test_cli_output_identical_across_jobs_and_cache(project: Path, fmt: str) -> None:
    base = ["check", ".", "--isolated", "--output-format", fmt]
    outputs = [
        _cli(base + ["--no-cache", "--jobs", "1"], project),
        _cli(base + ["--no-cache", "--jobs", "2"], project),
        _cli(base + ["--jobs", "1"], project),  # cold cache
        _cli(base + ["--jobs", "2"], project),  # warm cache
        _cli(base, project),  # default jobs, warm cache
    ]
    assert (project / ".concurlint_cache").is_dir()
    assert all(out == outputs[0] for out in outputs), outputs
    assert "CCY201" in outputs[0]


def test_cache_dir_option_is_used(project: Path, tmp_path: Path) -> None:
    _cli(["check", ".", "--isolated", "--cache-dir", str(tmp_path / "elsewhere")], project)
    assert (tmp_path / "elsewhere").is_dir()
    assert not (project / ".concurlint_cache").exists()


def test_no_cache_writes_nothing(project: Path) -> None:
    _cli(["check", ".", "--isolated", "--no-cache"], project)
    assert not (project / ".concurlint_cache").exists()


def test_default_jobs_is_positive() -> None:
    assert default_jobs() >= 1
