"""The pre-commit hooks (.pre-commit-hooks.yaml) with the real ``pre-commit``.

``pre-commit try-repo`` clones the hook repository at HEAD, so the working tree
of this project is copied into a temporary git repository and committed there
first. The hook environment is installed once per module (pip, into a private
PRE_COMMIT_HOME). Skipped only when pre-commit itself is not installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

PROJECT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache",
    ".hypothesis", ".mypy_cache", ".ruff_cache", ".concurlint_cache", ".venv", "venv",
    ".tox", ".nox", "site",
)
BAD = textwrap.dedent("""\
    import asyncio
    import time


    async def refresh(cache):
        time.sleep(1)
        await cache.reload()
""")
GOOD = BAD.replace("time.sleep(1)", "await asyncio.sleep(1)")


def pre_commit_cmd() -> List[str]:
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "pre_commit"]


def git_env() -> Dict[str, str]:
    return {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
                           "-c", "core.hooksPath=.git/hooks", *args],
                          cwd=cwd, env=git_env(), check=check, capture_output=True, text=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed snapshot of this project's working tree (what try-repo will clone)."""
    snapshot = tmp_path_factory.mktemp("hook-repo") / "concurlint"
    shutil.copytree(PROJECT, snapshot, ignore=IGNORE, symlinks=True)
    git(snapshot, "init", "-q")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot of the working tree")
    return snapshot


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**git_env(), "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "CONCURLINT_LANG": "en",
            "PRE_COMMIT_COLOR": "never"}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("service\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def try_repo(hook_repo: Path, target: Path, env: Dict[str, str], hook: str,
             *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*pre_commit_cmd(), "try-repo", str(hook_repo), hook, "--color=never",
                           *extra], cwd=target, env=env, capture_output=True, text=True, timeout=900)


def test_hook_fails_on_blocking_sleep_in_async_def(hook_repo: Path, target: Path, env) -> None:
    (target / "cache.py").write_text(BAD)
    git(target, "add", "cache.py")
    result = try_repo(hook_repo, target, env, "concurlint")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "concurlint" in output and "Failed" in output
    assert "cache.py:6:5: CCY201" in output


def test_hook_passes_on_clean_code_with_all_files(hook_repo: Path, target: Path, env) -> None:
    (target / "cache.py").write_text(GOOD)
    (target / "notes.txt").write_text("time.sleep is not python here\n")
    git(target, "add", ".")
    result = try_repo(hook_repo, target, env, "concurlint", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output


def test_installed_hook_blocks_the_commit(hook_repo: Path, target: Path, env) -> None:
    sha = git(hook_repo, "rev-parse", "HEAD").stdout.strip()
    (target / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {sha}\n    hooks:\n      - id: concurlint\n")
    git(target, "add", ".pre-commit-config.yaml")
    git(target, "commit", "-q", "-m", "pre-commit config")
    install = subprocess.run([*pre_commit_cmd(), "install"], cwd=target, env=env,
                             capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stdout + install.stderr
    (target / "cache.py").write_text(BAD)
    git(target, "add", "cache.py")
    commit = subprocess.run(["git", "commit", "-m", "add cache"], cwd=target, env=env,
                            capture_output=True, text=True, timeout=900)
    assert commit.returncode != 0, commit.stdout + commit.stderr
    assert "CCY201" in commit.stdout + commit.stderr
    assert git(target, "log", "--oneline").stdout.count("\n") == 2  # nothing committed
    (target / "cache.py").write_text(GOOD)
    git(target, "add", "cache.py")
    commit = subprocess.run(["git", "commit", "-m", "add cache"], cwd=target, env=env,
                            capture_output=True, text=True, timeout=900)
    assert commit.returncode == 0, commit.stdout + commit.stderr


def test_fix_hook_rewrites_the_file(hook_repo: Path, target: Path, env) -> None:
    (target / "cache.py").write_text(BAD)
    git(target, "add", "cache.py")
    result = try_repo(hook_repo, target, env, "concurlint-fix")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in output
    fixed = (target / "cache.py").read_text()
    assert "await asyncio.sleep(1)" in fixed and "time.sleep" not in fixed
    git(target, "add", "cache.py")
    again = try_repo(hook_repo, target, env, "concurlint-fix")
    assert again.returncode == 0, again.stdout + again.stderr


def test_hook_respects_excludes_of_the_closest_config(hook_repo: Path, target: Path, env) -> None:
    # pre-commit names every staged file; the hooks pass --force-exclude so the
    # excluded folders stay excluded (the default is to check a named file)
    (target / "pyproject.toml").write_text('[tool.concurlint]\nextend-exclude = ["migrations"]\n')
    (target / "migrations").mkdir()
    (target / "migrations" / "0001_initial.py").write_text(BAD)
    git(target, "add", ".")
    result = try_repo(hook_repo, target, env, "concurlint")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "CCY201" not in output and "Passed" in output
    (target / "cache.py").write_text(BAD)
    git(target, "add", "cache.py")
    result = try_repo(hook_repo, target, env, "concurlint")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "cache.py:6:5: CCY201" in output and "0001_initial" not in output
