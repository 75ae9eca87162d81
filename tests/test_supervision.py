"""Supervised workers: time limit, size limit, dead workers; the run always goes on."""
from __future__ import annotations

import faulthandler
import os
import signal
from pathlib import Path
from typing import Dict

import pytest
from click.testing import CliRunner

import concurlint.workers as workers_module
from concurlint.cli import main
from concurlint.config import load_settings
from concurlint.runner import run

GOOD = "import time\n\nasync def handler():\n    time.sleep(1)\n"


def slow_file(terms: int = 6000) -> str:
    # libcst's parser is super-linear on long flat chains (6,000 terms: tens of seconds).
    return "async def f():\n    pass\n\nx = " + " + ".join(["1"] * terms) + "\n"


def codes(result) -> Dict[str, list]:
    found: Dict[str, list] = {}
    for f in result.findings:
        found.setdefault(os.path.basename(f.path), []).append(f.code)
    return found


def test_file_over_timeout_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a_good.py").write_text(GOOD)
    (tmp_path / "b_slow.py").write_text(slow_file())
    (tmp_path / "c_good.py").write_text(GOOD)
    settings = load_settings(isolated=True, overrides={"file-timeout": 0.5})
    for jobs in (1, 2):
        result = run([str(tmp_path)], settings, jobs=jobs)
        assert codes(result) == {"a_good.py": ["CCY201"], "b_slow.py": ["CCY004"], "c_good.py": ["CCY201"]}
        [skipped] = [f for f in result.findings if f.code == "CCY004"]
        assert "file-timeout (0.5 s)" in skipped.message.en
        assert "--file-timeout" in skipped.message.en


def test_file_over_timeout_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(slow_file())
    (tmp_path / "good.py").write_text(GOOD)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["check", ".", "--isolated", "--file-timeout", "0.5", "--jobs", "1",
                                           "--output-format", "concise"])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert "slow.py:1:1: CCY004" in result.output
    assert "good.py:4:5: CCY201" in result.output


def test_timed_out_file_is_not_cached(tmp_path: Path) -> None:
    from concurlint.cache import Cache

    (tmp_path / "slow.py").write_text(slow_file())
    settings = load_settings(isolated=True, overrides={"file-timeout": 0.5})
    cache = Cache(str(tmp_path / "cache"), settings)
    run([str(tmp_path / "slow.py")], settings, jobs=1, cache=cache)
    assert cache.writes == 0 or not list((tmp_path / "cache").rglob("*.json"))


@pytest.mark.parametrize("jobs", [None, 1, 2])
def test_file_over_max_size_is_reported_without_parsing(tmp_path: Path, jobs) -> None:
    (tmp_path / "big.py").write_text("async def f():\n    pass\n" + "x = 1\n" * 2000)
    (tmp_path / "small.py").write_text(GOOD)
    settings = load_settings(isolated=True, overrides={"max-file-size": 1000})
    result = run([str(tmp_path)], settings, jobs=jobs)
    assert codes(result) == {"big.py": ["CCY004"], "small.py": ["CCY201"]}
    [skipped] = [f for f in result.findings if f.code == "CCY004"]
    assert "max-file-size" in skipped.message.en and "(12024 bytes)" in skipped.message.en


def test_file_skipped_can_be_ignored(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * 2000)
    settings = load_settings(isolated=True, overrides={"max-file-size": 1000, "ignore": ["CCY004"]})
    assert run([str(tmp_path)], settings, jobs=1).findings == []


def _dying_check_file(how: int):
    real = workers_module.check_file

    def check_file(path, *args, **kwargs):
        if path.endswith("boom.py"):
            faulthandler.disable()  # the crash is the point: keep pytest's dump out of the log
            os.kill(os.getpid(), how)
        return real(path, *args, **kwargs)
    return check_file


@pytest.mark.parametrize("how, code", [(signal.SIGKILL, "CCY004"), (signal.SIGSEGV, "CCY003")])
def test_dead_worker_is_replaced_and_its_file_reported(tmp_path: Path, monkeypatch, how, code) -> None:
    monkeypatch.setattr(workers_module, "check_file", _dying_check_file(how))  # the worker loop's check, inherited by forked workers
    for name in ("a.py", "boom.py", "c.py", "d.py"):
        (tmp_path / name).write_text(GOOD)
    settings = load_settings(isolated=True)
    for jobs in (1, 2):
        result = run([str(tmp_path)], settings, jobs=jobs)
        assert codes(result) == {"a.py": ["CCY201"], "boom.py": [code], "c.py": ["CCY201"], "d.py": ["CCY201"]}
        [reported] = [f for f in result.findings if f.code == code]
        assert signal.Signals(how).name in reported.message.en


def test_workers_retire_after_growing_and_results_stay_complete(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(workers_module, "RECYCLE_RSS", 1)  # every worker retires after one file
    started = []

    class Counting(workers_module.Worker):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workers_module, "Worker", Counting)
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(GOOD)
    settings = load_settings(isolated=True)
    result = run([str(tmp_path)], settings, jobs=2)
    assert len(started) == 6
    assert sorted(codes(result)) == [f"m{i}.py" for i in range(6)]
    assert all(v == ["CCY201"] for v in codes(result).values())


def test_engine_exception_in_worker_is_an_internal_error(tmp_path: Path, monkeypatch) -> None:
    real = workers_module.check_file

    def broken(path, *args, **kwargs):
        if path.endswith("bad.py"):
            raise RuntimeError("engine exploded")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(workers_module, "check_file", broken)
    (tmp_path / "bad.py").write_text(GOOD)
    (tmp_path / "ok.py").write_text(GOOD)
    result = run([str(tmp_path)], load_settings(isolated=True), jobs=1)
    assert codes(result) == {"bad.py": ["CCY003"], "ok.py": ["CCY201"]}
    assert "engine exploded" in result.tracebacks[0]


# ---------------------------------------------------------------------- flake8 mode
def _plugin(settings, name: str, text: str):
    from concurlint.flake8_plugin import ConcurlintChecker

    ConcurlintChecker.settings = settings
    try:
        return [m.split(" ", 1)[0] for _l, _c, m, _t in ConcurlintChecker(None, name, text.splitlines(True)).run()]
    finally:
        ConcurlintChecker.settings = None


def test_flake8_plugin_bounds_time_per_file() -> None:
    settings = load_settings(isolated=True, overrides={"file-timeout": 0.5})
    assert _plugin(settings, "slow.py", slow_file(3000)) == ["CCY004"]
    assert _plugin(settings, "ok.py", GOOD) == ["CCY201"]


def test_flake8_plugin_bounds_size_per_file() -> None:
    settings = load_settings(isolated=True, overrides={"max-file-size": 100})
    assert _plugin(settings, "big.py", GOOD * 10) == ["CCY004"]


def test_run_bounded_reports_memory_and_time_limits() -> None:
    from concurlint.bounded import run_bounded

    assert run_bounded(lambda: 41 + 1, 10).value == 42
    hog = run_bounded(lambda: len(bytearray(2 * 1024 ** 3)), 30, memory=512 * 1024 ** 2)
    assert not hog.ok and hog.exitcode is not None
    slow = run_bounded(lambda: __import__("time").sleep(30), 0.3)
    assert slow.timed_out


def test_stdin_is_bounded_too() -> None:
    result = CliRunner().invoke(main, ["check", "-", "--isolated", "--file-timeout", "0.5",
                                       "--output-format", "concise"], input=slow_file(3000))
    assert result.exit_code == 1
    assert "<stdin>:1:1: CCY004" in result.output


def _cli(cwd: Path, *args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-X", "importtime", "-m", "concurlint", "check", "--isolated",
                           "--output-format", "concise", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_one_small_file_is_checked_without_a_worker_and_a_risky_one_stays_bounded(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "slow.py").write_text(slow_file())
    alone = _cli(tmp_path, "--no-cache", "good.py")
    assert alone.returncode == 1 and "good.py:4:5: CCY201" in alone.stdout
    assert " multiprocessing" not in alone.stderr  # no worker was started
    risky = _cli(tmp_path, "--no-cache", "--file-timeout", "0.5", "slow.py")
    assert risky.returncode == 1 and "slow.py:1:1: CCY004" in risky.stdout
    assert " multiprocessing" in risky.stderr
    cold = _cli(tmp_path, "good.py")
    warm = _cli(tmp_path, "good.py")
    assert cold.stdout == warm.stdout == alone.stdout
    assert " multiprocessing" not in warm.stderr and " libcst" not in warm.stderr
