"""Options ruff users reach for: -q, -s, -v, -V, --extend-ignore, rule --all, whole help
lines, and --watch (a real process that sees a file change)."""
from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import List

import pytest

from test_cli import BLOCKING, CLEAN, concurlint_exe, run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BLOCKING)
    (tmp_path / "good.py").write_text(CLEAN)
    return tmp_path


def test_quiet_prints_findings_only(project: Path) -> None:
    loud = run_cli("check", "--output-format", "concise", ".", cwd=project)
    quiet = run_cli("check", "-q", "--output-format", "concise", ".", cwd=project)
    assert quiet.returncode == loud.returncode == 1
    assert loud.stdout.splitlines()[:-1] == quiet.stdout.splitlines()
    assert quiet.stdout.startswith("bad.py:") and "Found" not in quiet.stdout
    clean = run_cli("check", "--quiet", "good.py", cwd=project)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")
    full = run_cli("check", "-q", ".", cwd=project)
    assert "^^^" in full.stdout and "Found" not in full.stdout


def test_silent_prints_nothing_but_keeps_the_exit_code(project: Path) -> None:
    result = run_cli("check", "-s", "--statistics", ".", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    assert run_cli("check", "--silent", "good.py", cwd=project).returncode == 0
    # the report file is still written
    written = run_cli("check", "-s", "--output-format", "json", "--output-file", "out.json", ".", cwd=project)
    assert written.stdout == "" and '"CCY201"' in (project / "out.json").read_text()
    usage = run_cli("check", "-s", "--select", "CCY999", ".", cwd=project)
    assert usage.returncode == 2 and "CCY999" in usage.stderr  # errors are never silenced


def test_verbose_names_the_configuration_of_the_files(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "x.py").write_text(CLEAN)
    (project / "sub" / "concurlint.toml").write_text('ignore = ["CCY6"]\n')
    result = run_cli("check", "-v", ".", cwd=project)
    config = str(project / "sub" / "concurlint.toml")
    assert f"concurlint: configuration {config}: 1 file(s)" in result.stderr.splitlines()
    assert "concurlint: configuration built-in defaults: 2 file(s)" in result.stderr.splitlines()
    assert "concurlint: checked 3 file(s) in " in result.stderr


def test_short_version_flag(project: Path) -> None:
    from concurlint import __version__

    assert run_cli("-V", cwd=project).stdout.strip() == run_cli("--version", cwd=project).stdout.strip()
    assert __version__ in run_cli("-V", cwd=project).stdout


def test_extend_ignore_adds_to_the_configured_ignore(project: Path) -> None:
    (project / "bad.py").write_text(BLOCKING + "\n\nasync def more():\n    fetch()\n\n\nasync def fetch():\n    pass\n")
    (project / "concurlint.toml").write_text('ignore = ["CCY101"]\n')
    codes = lambda r: sorted({line.split()[1] for line in r.stdout.splitlines() if line.startswith("bad.py:")})
    assert codes(run_cli("check", "--output-format", "concise", "bad.py", cwd=project)) == ["CCY201"]
    replaced = run_cli("check", "--output-format", "concise", "--ignore", "CCY201", "bad.py", cwd=project)
    assert codes(replaced) == ["CCY101"]  # --ignore replaces the configured list
    extended = run_cli("check", "--output-format", "concise", "--extend-ignore", "CCY201", "bad.py", cwd=project)
    assert extended.returncode == 0 and codes(extended) == []


def test_rule_all_explains_every_rule(project: Path) -> None:
    from concurlint.rules import ALL_RULES

    for lang in ("en", "zh"):
        result = run_cli("rule", "--all", "--lang", lang, cwd=project)
        assert result.returncode == 0, result.stderr
        one = run_cli("rule", "CCY201", "--lang", lang, cwd=project).stdout
        assert one in result.stdout
        assert all(code in result.stdout for code in ALL_RULES)
    assert run_cli("rule", cwd=project).returncode == 2
    assert run_cli("rule", "--all", "CCY201", cwd=project).returncode == 2


def test_group_help_lines_are_whole(project: Path) -> None:
    from concurlint.cli import main

    help_text = run_cli("--help", cwd=project, env={"COLUMNS": "80"}).stdout
    listing = help_text.split("Commands:")[1].splitlines()
    for name, command in main.commands.items():
        line = next(line for line in listing if line.split()[:1] == [name])
        summary = line.split(None, 1)[1]
        assert summary == command.short_help and summary.endswith("."), line


def test_watch_refuses_what_it_cannot_watch(tmp_path: Path) -> None:
    for args, message in ((["nope"], "path 'nope' does not exist"), (["-"], "standard input")):
        result = run_cli("check", "--watch", *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def _reader(stream, lines: "queue.Queue[str]") -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)


def _wait_for(lines: "queue.Queue[str]", needle: str, seen: List[str]) -> None:
    # a safety limit so a broken watcher cannot hang the suite, not a speed check
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never appeared in:\n{''.join(seen)}")


def test_watch_checks_again_when_a_file_changes(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(CLEAN)
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([*concurlint_exe(), "check", "--watch", "--no-cache", "--output-format", "concise",
                                "."], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    seen: List[str] = []
    try:
        _wait_for(lines, "All checks passed! (1 file checked)", seen)
        _wait_for(lines, "watching for changes", seen)
        (tmp_path / "app.py").write_text(BLOCKING)
        _wait_for(lines, "checking again", seen)
        _wait_for(lines, "app.py:5:5: CCY201", seen)
        _wait_for(lines, "watching for changes", seen)
        (tmp_path / "concurlint.toml").write_text('ignore = ["CCY201"]\n')  # config changes count too
        _wait_for(lines, "All checks passed! (1 file checked)", seen)
        assert process.poll() is None  # still watching
    finally:
        process.terminate()
        process.wait(timeout=30)
