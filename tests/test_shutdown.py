"""Item 4 of issue 16: a killed run stops its workers and says so.

A real ``concurlint check --jobs 2`` is started in its own session on a tree big
enough to keep both workers busy, killed with a signal once its workers exist,
and the process group is then walked in /proc: nothing of the run may remain.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="walks /proc (Linux)")

CONCURLINT = os.path.join(os.path.dirname(sys.executable), "concurlint")
MODULE = "import asyncio\nimport time\n\n" + "".join(
    f"async def handler_{i}(q):\n    time.sleep(1)\n    asyncio.sleep({i})\n    await q.get()\n\n"
    for i in range(150))


def _stat(pid: int) -> List[str]:
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    return text[text.rindex(")") + 2:].split()  # state, ppid, pgrp, ...


def group_members(pgrp: int) -> List[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = _stat(int(name))
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == pgrp and fields[0] != "Z":
            found.append(int(name))
    return found


def children(pid: int) -> List[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if int(_stat(int(name))[1]) == pid:
                    found.append(int(name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("big")
    for package in range(12):
        directory = root / f"pkg{package}"
        directory.mkdir()
        for module in range(40):
            (directory / f"mod{module}.py").write_text(MODULE)
    return root


def _wait_for(condition, what: str, limit: float = 120.0) -> None:
    # A generous bound so a loaded machine does not fail the test; not a speed check.
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_killed_run_leaves_no_process(big_tree: Path, tmp_path: Path, signum: int) -> None:
    env = dict(os.environ, CONCURLINT_LANG="en")
    process = subprocess.Popen(
        [CONCURLINT, "check", str(big_tree), "--isolated", "--jobs", "2", "--no-cache",
         "--output-format", "concise"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=tmp_path)
    try:
        _wait_for(lambda: len(children(process.pid)) >= 2 or process.poll() is not None, "the workers")
        assert process.poll() is None, "the run ended before it could be killed: make the tree bigger"
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
        _wait_for(lambda: not group_members(process.pid), "the process group to be empty", 30)
    finally:
        if process.poll() is None:
            process.kill()
        for pid in group_members(process.pid):  # never leave strays behind, even on failure
            os.kill(pid, signal.SIGKILL)
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum
    assert f"concurlint: stopped by {name}" in err.decode()
    assert "Traceback" not in err.decode()
    assert b"Found" not in out and b"passed" not in out  # no partial report that looks complete


def test_killed_run_message_in_chinese(big_tree: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [CONCURLINT, "check", str(big_tree), "--isolated", "--jobs", "2", "--no-cache", "--lang", "zh"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=tmp_path)
    try:
        _wait_for(lambda: len(children(process.pid)) >= 2 or process.poll() is not None, "the workers")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        for pid in group_members(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert process.returncode == 128 + signal.SIGTERM
    assert "concurlint:已被 SIGTERM 中止" in err.decode()


def test_worker_leaves_when_the_parent_is_killed_outright(big_tree: Path, tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the workers notice their parent is gone and leave."""
    process = subprocess.Popen(
        [CONCURLINT, "check", str(big_tree), "--isolated", "--jobs", "2", "--no-cache"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
    try:
        _wait_for(lambda: len(children(process.pid)) >= 2 or process.poll() is not None, "the workers")
        process.kill()
        process.wait(timeout=60)
        _wait_for(lambda: not group_members(process.pid), "the orphaned workers to leave", 60)
    finally:
        for pid in group_members(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_the_cli_gives_an_embedding_program_its_handlers_back(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from concurlint.cli import main

    (tmp_path / "a.py").write_text("x = 1\n")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    result = CliRunner().invoke(main, ["check", "--isolated", "--no-cache", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {s: signal.getsignal(s) for s in before} == before
