"""Silence that looks like success: an empty walk warns, unreadable paths are CCY002.

Permissions do not stop root, so when the tests run as root the CLI is run as the
unprivileged user 'nobody' (through setpriv); without one, those cases are skipped."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, List

import pytest

from test_cli import BLOCKING, CLEAN, concurlint_exe, run_cli


def test_directory_without_python_files_warns(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# docs\n")
    result = run_cli("check", "docs", cwd=tmp_path)
    assert result.returncode == 0
    assert "All checks passed" not in result.stdout + result.stderr
    assert result.stderr == "concurlint: warning: no Python files found in docs; nothing was checked\n"
    zh = run_cli("check", "--lang", "zh", "docs", cwd=tmp_path)
    assert "没有找到 Python 文件" in zh.stderr
    # machine formats still get their (empty) document on stdout
    json_run = run_cli("check", "--output-format", "json", "docs", cwd=tmp_path)
    assert '"files_checked": 0' in json_run.stdout and "no Python files found" in json_run.stderr


def test_everything_excluded_warns(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.py").write_text(BLOCKING)
    result = run_cli("check", "--extend-exclude", "migrations", "--force-exclude", "migrations/0001.py",
                     cwd=tmp_path)
    assert result.returncode == 0 and "no Python files found" in result.stderr
    assert result.stdout == ""


def _unprivileged() -> List[str]:
    """A command prefix that runs as a user whom file permissions apply to."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv is missing: permissions cannot be tested")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no 'nobody' user: permissions cannot be tested")
    prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    probe = subprocess.run([*prefix, *concurlint_exe(), "--version"], capture_output=True, text=True,
                           cwd="/", timeout=120)
    if probe.returncode != 0:  # e.g. the interpreter lives under a private /root
        pytest.skip(f"the unprivileged user cannot run concurlint here: {probe.stderr.strip()[-200:]}")
    return prefix


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the unprivileged user may enter (pytest's tmp_path is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="concurlint-perm-"))
    directory.chmod(0o755)
    yield directory
    for path in [directory, *directory.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(directory)


def run_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en", "PYTHONDONTWRITEBYTECODE": "1",
           "HOME": str(cwd)}
    return subprocess.run([*_unprivileged(), *concurlint_exe(), *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=120)


def test_unreadable_subdirectory_and_named_file_are_ccy002(shared_dir: Path) -> None:
    prefix = _unprivileged()
    (shared_dir / "ok").mkdir()
    (shared_dir / "ok" / "app.py").write_text(CLEAN)
    (shared_dir / "locked").mkdir()
    (shared_dir / "locked" / "hidden.py").write_text(BLOCKING)
    (shared_dir / "secret.py").write_text(BLOCKING)
    for path in shared_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (shared_dir / "locked").chmod(0)
    (shared_dir / "secret.py").chmod(0)
    for jobs in ("1", "2"):
        result = run_unprivileged("check", "--no-cache", "-j", jobs, "--output-format", "concise",
                                  ".", "secret.py", cwd=shared_dir)
        assert result.returncode == 1, (prefix, result.stderr)
        assert "Traceback" not in result.stderr and "Usage" not in result.stderr
        lines = [line for line in result.stdout.splitlines() if "CCY" in line]
        assert lines == [
            "locked:1:1: CCY002 cannot read directory: permission denied; its files were not checked",
            "secret.py:1:1: CCY002 cannot read file: permission denied",
        ]
