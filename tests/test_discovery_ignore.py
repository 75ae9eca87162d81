"""Directory walks skip git-ignored files (.gitignore, .ignore, .git/info/exclude), the
built-in folders (virtual environments, build output, caches); --show-files lists the rest."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from test_cli import BLOCKING, run_cli

TREE = {
    ".gitignore": "generated/\n*_pb2.py\n/scratch.py\n",
    ".git/info/exclude": "local_notes.py\n",
    "app/.gitignore": "fixtures/\n*.py\n!main.py\n!keep/\n",
    "app/main.py": BLOCKING,
    "app/helpers.py": BLOCKING,
    "app/fixtures/data.py": BLOCKING,
    "app/keep/scratch.py": BLOCKING,
    "api/service.py": BLOCKING,
    "api/service_pb2.py": BLOCKING,
    "generated/models.py": BLOCKING,
    "scratch.py": BLOCKING,
    "lib/scratch.py": BLOCKING,  # '/scratch.py' is anchored to the top folder only
    "local_notes.py": BLOCKING,
    "tools/.ignore": "legacy.py\n",
    "tools/legacy.py": BLOCKING,
    "tools/run.py": BLOCKING,
}
BUILT_IN = ["env/lib.py", "site-packages/pkg/mod.py", ".tox/py312/x.py", ".nox/s/x.py", "build/lib/x.py",
            "dist/x.py", "node_modules/x/y.py", "__pypackages__/3.12/lib/x.py", ".mypy_cache/x.py",
            "my-venv/lib/x.py"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in TREE.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name in BUILT_IN:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BLOCKING)
    (tmp_path / "my-venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return tmp_path


def shown(result) -> list:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_show_files_agrees_with_git(repo: Path) -> None:
    files = shown(run_cli("check", "--show-files", cwd=repo))
    # git itself (the reference for .gitignore and .git/info/exclude; it does not
    # read .ignore files, which are for ripgrep/ruff-style tools)
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "*.py"],
                            cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    expected = sorted(p for p in listed if p != "tools/legacy.py" and p not in BUILT_IN)
    assert sorted(files) == expected
    # '!keep/' re-includes the folder, but '*.py' still matches the files in it
    assert expected == ["api/service.py", "app/main.py", "lib/scratch.py", "tools/run.py"]


def test_ignored_files_are_not_checked_but_named_files_are(repo: Path) -> None:
    result = run_cli("check", "--output-format", "concise", ".", cwd=repo)
    assert result.returncode == 1
    assert "(4 files checked)" in result.stdout and "generated" not in result.stdout
    named = run_cli("check", "--output-format", "concise", "generated/models.py", cwd=repo)
    assert "generated/models.py:" in named.stdout


def test_walk_from_a_subdirectory_uses_the_ignore_files_above_it(repo: Path) -> None:
    assert shown(run_cli("check", "--show-files", ".", cwd=repo / "app")) == ["main.py"]
    assert shown(run_cli("check", "--show-files", "api", cwd=repo)) == ["api/service.py"]


def test_respect_gitignore_false(repo: Path) -> None:
    (repo / "concurlint.toml").write_text("respect-gitignore = false\n")
    files = shown(run_cli("check", "--show-files", cwd=repo))
    assert "generated/models.py" in files and "local_notes.py" in files and "tools/legacy.py" in files
    assert not any(f.startswith(("env/", "build/", "my-venv/", ".tox/")) for f in files)  # built-in still hold
    assert len(files) == len(TREE) - 4  # every Python file of TREE


def test_exclude_replaces_the_built_in_list(repo: Path) -> None:
    files = shown(run_cli("check", "--show-files", "--exclude", "node_modules", cwd=repo))
    assert "env/lib.py" in files and "build/lib/x.py" in files and "node_modules/x/y.py" not in files
    assert "my-venv/lib/x.py" not in files  # a virtual environment is never walked


def test_named_directory_inside_an_ignored_tree_is_walked(repo: Path) -> None:
    # e.g. a Python installed under a git clone (~/.pyenv ignores /versions): naming the
    # folder checks it, and the ignore rules still apply below it
    (repo / "generated" / "sub").mkdir()
    (repo / "generated" / "sub" / "x.py").write_text(BLOCKING)
    (repo / "generated" / "sub" / "x_pb2.py").write_text(BLOCKING)
    assert shown(run_cli("check", "--show-files", "generated", cwd=repo)) == [
        "generated/models.py", "generated/sub/x.py"]
    assert shown(run_cli("check", "--show-files", ".", cwd=repo / "generated" / "sub")) == ["x.py"]
