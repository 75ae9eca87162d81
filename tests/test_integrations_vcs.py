"""Changed-code mode (--diff-base) on temporary git repositories, and --shard."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest
from click.testing import CliRunner

from concurlint import cli, cli_check, vcs
from concurlint.config import ConfigError, load_settings
from concurlint.discovery import discover, parse_shard, shard

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SERVICE = textwrap.dedent("""\
    import time


    async def poll(client):
        while True:
            await client.tick()
            time.sleep(5)
""")


def concurlint_exe() -> list:
    exe = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "concurlint"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    return subprocess.run([*concurlint_exe(), *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                          cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def findings_of(result: subprocess.CompletedProcess) -> List[tuple]:
    assert result.returncode in (0, 1), result.stderr
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "svc").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.concurlint]\nselect = ['CCY201', 'CCY204']\n")
    (root / "svc" / "__init__.py").write_text("")
    (root / "svc" / "poller.py").write_text(SERVICE)
    (root / "svc" / "other.py").write_text(SERVICE.replace("poll", "drain"))
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "legacy code")
    return root


def test_only_added_or_changed_lines_are_reported(repo: Path) -> None:
    poller = repo / "svc" / "poller.py"
    poller.write_text(SERVICE.replace("await client.tick()", "await client.tick()\n        time.sleep(1)")
                      + "\n\nasync def fetch(url):\n    return open(url).read()\n")
    (repo / "svc" / "new_module.py").write_text(SERVICE)  # untracked: every line is new
    everything = findings_of(run_cli("check", "--output-format", "json", cwd=repo))
    assert len(everything) == 5
    changed = run_cli("check", "--diff-base", "HEAD", "--output-format", "json", cwd=repo)
    assert changed.returncode == 1
    assert findings_of(changed) == [
        ("svc/new_module.py", 7, "CCY201"),
        ("svc/poller.py", 7, "CCY201"),
        ("svc/poller.py", 12, "CCY204"),
    ]


def test_committed_branch_changes_count_against_the_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "svc" / "other.py").write_text(SERVICE.replace("poll", "drain") + "\n\nasync def f():\n    time.sleep(2)\n")
    git(repo, "commit", "-q", "-am", "feature work")
    git(repo, "checkout", "-q", "main")
    (repo / "svc" / "late.py").write_text(SERVICE)  # main moves on after the branch point
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    result = run_cli("check", "--diff-base", "main", "--output-format", "json", cwd=repo)
    assert findings_of(result) == [("svc/other.py", 11, "CCY201")]


def test_no_changes_means_clean(repo: Path) -> None:
    result = run_cli("check", "--diff-base", "HEAD", "--output-format", "concise", cwd=repo)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("All checks passed!")


def test_renamed_file_is_not_all_new(repo: Path) -> None:
    git(repo, "mv", "svc/poller.py", "svc/polling.py")
    result = run_cli("check", "--diff-base", "HEAD", "--output-format", "json", cwd=repo)
    assert findings_of(result) == []


def test_whole_project_is_indexed_but_only_changed_files_are_checked(repo: Path, monkeypatch) -> None:
    (repo / "svc" / "poller.py").write_text(SERVICE + "\n\nasync def g():\n    time.sleep(3)\n")
    indexed: List[List[str]] = []
    real = cli_check.build_project_index

    def spy(files):
        indexed.append(sorted(os.path.relpath(f, repo) for f in files))
        return real(files)

    monkeypatch.setattr(cli_check, "build_project_index", spy)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli.main, ["check", "--diff-base", "HEAD", "--output-format", "json"])
    assert result.exit_code == 1, result.output
    assert indexed == [["svc/__init__.py", "svc/other.py", "svc/poller.py"]]
    document = json.loads(result.output)
    assert document["files_checked"] == 1
    assert [(f["path"], f["line"]) for f in document["findings"]] == [("svc/poller.py", 11)]


def test_unknown_revision_and_not_a_repository(repo: Path, tmp_path: Path) -> None:
    result = run_cli("check", "--diff-base", "no-such-branch", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown git revision 'no-such-branch'" in result.stderr
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.py").write_text(SERVICE)
    result = run_cli("check", "--diff-base", "HEAD", cwd=outside)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not inside" in result.stderr and "git repository" in result.stderr
    result = run_cli("check", "--diff-base", "--output=x", cwd=repo)
    assert result.returncode == 2


def test_parse_diff_hunks_and_quoted_paths(tmp_path: Path) -> None:
    diff = (
        b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        b"@@ -3,0 +4,2 @@\n+a\n+b\n@@ -10 +12 @@\n-c\n+d\n@@ -20,3 +22,0 @@\n-e\n"
        b'diff --git "a/sp ace\\tt\\303\\244.py" "b/sp ace\\tt\\303\\244.py"\n'
        b'--- "a/sp ace\\tt\\303\\244.py"\n+++ "b/sp ace\\tt\\303\\244.py"\n@@ -1 +1 @@\n-x\n+y\n'
        b"diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
    )
    changes = vcs.parse_diff(diff, str(tmp_path))
    assert changes[os.path.join(str(tmp_path), "x.py")] == {4, 5, 12}
    assert changes[os.path.join(str(tmp_path), "sp ace\ttä.py")] == {1}
    assert len(changes) == 2


# ---------------------------------------------------------------------- --shard
@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    for team in range(6):
        package = tmp_path / f"team{team}" / "service"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        for module in range(5):
            (package / f"m{module}.py").write_text(SERVICE.replace("poll", f"poll_{team}_{module}"))
    return tmp_path


def test_shards_partition_the_files(monorepo: Path) -> None:
    settings = load_settings(isolated=True)
    files = discover([str(monorepo)], settings)
    parts = [shard(files, i, 4, str(monorepo)) for i in range(1, 5)]
    assert sorted(f for part in parts for f in part) == sorted(files)
    assert sum(len(p) for p in parts) == len(files)
    assert all(parts), "36 files in 4 shards: none should be empty"
    # adding files moves no existing file to another shard
    more = files + [str(monorepo / "team9" / f"x{i}.py") for i in range(20)]
    for i in range(1, 5):
        assert [f for f in shard(more, i, 4, str(monorepo)) if f in files] == parts[i - 1]
    # the same relative paths under another root give the same partition
    assert [len(shard([os.path.relpath(f, monorepo) for f in files], i, 4, ".")) for i in range(1, 5)] \
        == [len(p) for p in parts]
    assert shard(files, 1, 1, str(monorepo)) == files


def test_union_of_shard_runs_equals_the_unsharded_run(monorepo: Path) -> None:
    whole = run_cli("check", "--isolated", "--output-format", "json", ".", cwd=monorepo)
    expected = findings_of(whole)
    assert len(expected) == 30
    union: List[tuple] = []
    checked = 0
    for index in range(1, 4):
        part = run_cli("check", "--isolated", "--output-format", "json", "--shard", f"{index}/3", ".",
                       cwd=monorepo)
        union += findings_of(part)
        checked += json.loads(part.stdout)["files_checked"]
    assert sorted(union) == expected
    assert len(union) == len(set(union))
    assert checked == json.loads(whole.stdout)["files_checked"] == 36


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""])
def test_bad_shard_specs(text: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        parse_shard(text)
    if text:
        result = run_cli("check", "--isolated", "--shard", text, ".", cwd=tmp_path)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stderr.strip().splitlines() == [
            f"concurlint: error: --shard must look like I/N with 1 <= I <= N (e.g. 2/4), got '{text}'"]


def test_good_shard_specs() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1/1 ") == (1, 1)


def test_user_diff_settings_do_not_change_the_result(repo: Path) -> None:
    git(repo, "config", "diff.mnemonicPrefix", "true")
    git(repo, "config", "color.diff", "always")
    (repo / "svc" / "other.py").write_text(SERVICE.replace("poll", "drain") + "\n\nasync def h():\n    time.sleep(4)\n")
    result = run_cli("check", "--diff-base", "HEAD", "--output-format", "json", cwd=repo)
    assert findings_of(result) == [("svc/other.py", 11, "CCY201")]
