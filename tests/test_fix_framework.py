"""Fixes a pre-commit hook can run on any codebase (issue 15): they follow the module's own
async library, say 'unsafe' when it is unknown, leave no import that pyflakes rejects, and
stop where a ``noqa`` (a peer linter's code included) stops the finding.

Everything goes through the real CLI (``concurlint check --fix``) on files in a folder,
and the fixed files are checked by the real ``flake8``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest
from click.testing import CliRunner

from concurlint.cli import main
from concurlint.semantics import backend


@pytest.fixture(autouse=True)
def fresh_backend_memo() -> None:
    backend._FOLDER_MEMO.clear()


def write_tree(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def fix(paths: List[Path], *options: str) -> "object":
    return CliRunner().invoke(main, ["check", "--isolated", "--no-color", "--fix", *options,
                                     *map(str, paths)])


def flake8_errors(*paths: Path) -> List[str]:
    """pyflakes' verdict (F codes) on files, through the real flake8 executable."""
    exe = os.path.join(os.path.dirname(sys.executable), "flake8")
    command = [exe] if os.path.exists(exe) else [sys.executable, "-m", "flake8"]
    result = subprocess.run([*command, "--isolated", "--select", "F", *map(str, paths)],
                            capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


# --------------------------------------------------------------------------- item 1: framework
SLEEPY = """
async def main():
    time.sleep(1)
"""


@pytest.mark.parametrize("imports, expected", [
    # every import form of trio and anyio names the library the fix uses
    ("import time\nfrom trio import run\n",
     "import trio\nfrom trio import run\n\n\nasync def main():\n    await trio.sleep(1)\n"),
    ("import time\nimport trio.lowlevel\n",
     "import trio.lowlevel\n\n\nasync def main():\n    await trio.sleep(1)\n"),
    ("import time\nimport trio as t\n",
     "import trio as t\n\n\nasync def main():\n    await t.sleep(1)\n"),
    ("import time\nfrom anyio import create_task_group\n",
     "import anyio\nfrom anyio import create_task_group\n\n\nasync def main():\n    await anyio.sleep(1)\n"),
    ("import time\nimport anyio.abc\n",
     "import anyio.abc\n\n\nasync def main():\n    await anyio.sleep(1)\n"),
    # anyio code runs on asyncio too: anyio decides
    ("import asyncio\nimport time\n\nimport anyio\n",
     "import asyncio\n\nimport anyio\n\n\nasync def main():\n    await anyio.sleep(1)\n"),
    ("import asyncio as aio\nimport time\n",
     "import asyncio as aio\n\n\nasync def main():\n    await aio.sleep(1)\n"),
])
def test_sleep_fix_names_the_modules_own_library(tmp_path: Path, imports: str, expected: str) -> None:
    path = tmp_path / "worker.py"
    path.write_text(imports + "\n\n" + SLEEPY.lstrip("\n"))
    unused_before = flake8_errors(path)  # (imports only there to name the library)
    result = fix([path])
    assert path.read_text() == expected, result.output
    assert result.exit_code == 0, result.output
    assert set(flake8_errors(path)) <= set(unused_before)  # the fix adds no pyflakes error


def test_module_bridging_asyncio_and_trio_gets_no_safe_fix(tmp_path: Path) -> None:
    text = "import asyncio\nimport time\n\nimport trio\n\n\nasync def main():\n    time.sleep(1)\n"
    path = tmp_path / "bridge.py"
    path.write_text(text)
    result = fix([path])
    assert path.read_text() == text and result.exit_code == 1
    assert "1 more fixable with `--fix --unsafe-fixes`" in result.output
    fix([path], "--unsafe-fixes")
    assert "await asyncio.sleep(1)" in path.read_text()


def test_module_of_no_known_library_gets_no_safe_fix(tmp_path: Path) -> None:
    text = "import time\n\n\nasync def main():\n    time.sleep(1)\n"
    path = tmp_path / "lone.py"
    path.write_text(text)
    assert fix([path]).exit_code == 1 and path.read_text() == text


def test_package_init_decides_for_modules_that_import_no_library(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/__init__.py": "import trio\n",
        "app/jobs/__init__.py": "",
        "app/jobs/poll.py": "import time\n\n\nasync def poll():\n    time.sleep(1)\n",
    })
    poll = tmp_path / "app/jobs/poll.py"
    result = fix([poll])
    assert result.exit_code == 0, result.output
    assert poll.read_text() == "import trio\n\n\nasync def poll():\n    await trio.sleep(1)\n"


def test_async_backend_setting_decides_last(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nasync-backend = "anyio"\n')
    path = tmp_path / "lone.py"
    path.write_text("import time\n\n\nasync def main():\n    time.sleep(1)\n")
    result = CliRunner().invoke(main, ["check", "--no-color", "--fix", "--config",
                                       str(tmp_path / "pyproject.toml"), str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text() == "import anyio\n\n\nasync def main():\n    await anyio.sleep(1)\n"


@pytest.mark.parametrize("library, fixed", [
    ("", True), ("import anyio\n", False), ("import trio\n", False)])
def test_get_running_loop_fix_is_safe_only_on_asyncio(tmp_path: Path, library: str, fixed: bool) -> None:
    text = f"import asyncio\n{library}\n\nasync def main():\n    return asyncio.get_event_loop()\n"
    path = tmp_path / "loop.py"
    path.write_text(text)
    fix([path], "--select", "CCY107")
    assert ("get_running_loop()" in path.read_text()) is fixed
    fix([path], "--select", "CCY107", "--unsafe-fixes")
    assert "get_running_loop()" in path.read_text()


# --------------------------------------------------------------------------- item 2: tidy
@pytest.mark.parametrize("source, expected", [
    # the import the fix leaves unused goes; the others stay
    ("import asyncio\nfrom time import sleep as snooze\n\n\nasync def main():\n    snooze(1)\n",
     "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n"),
    ("import asyncio\nfrom time import monotonic, sleep\n\n\nasync def main():\n    sleep(1)\n"
     "    return monotonic()\n",
     "import asyncio\nfrom time import monotonic\n\n\nasync def main():\n    await asyncio.sleep(1)\n"
     "    return monotonic()\n"),
    # `import time` is still read elsewhere: kept
    ("import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n    return time.time()\n",
     "import asyncio\nimport time\n\n\nasync def main():\n    await asyncio.sleep(1)\n    return time.time()\n"),
    # reuse `from asyncio import sleep` rather than adding `import asyncio`
    ("from asyncio import sleep\nimport time\n\n\nasync def main():\n    time.sleep(1)\n",
     "from asyncio import sleep\n\n\nasync def main():\n    await sleep(1)\n"),
    ("from trio import sleep as nap\nimport time\n\n\nasync def main():\n    time.sleep(1)\n",
     "from trio import sleep as nap\n\n\nasync def main():\n    await nap(1)\n"),
    # a comment above a removed import stays
    ('"""Doc."""\n# timing\nfrom time import sleep\nimport asyncio\n\n\nasync def main():\n    sleep(1)\n',
     '"""Doc."""\n# timing\nimport asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n'),
    # an import inside the function goes too, with the blank line that followed it
    ("import asyncio\n\n\nasync def main():\n    import time\n\n    time.sleep(1)\n",
     "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n"),
    # ... but a blank line opening another block is not touched
    ("import asyncio\nimport time\n\n\nasync def main(lock):\n    with lock:\n\n        x = 1\n"
     "    time.sleep(x)\n",
     "import asyncio\n\n\nasync def main(lock):\n    with lock:\n\n        x = 1\n"
     "    await asyncio.sleep(x)\n"),
    # a name a string lists (a re-export) stays
    ('import asyncio\nfrom time import sleep\n__all__ = ["sleep"]\n\n\nasync def main():\n    sleep(1)\n',
     'import asyncio\nfrom time import sleep\n__all__ = ["sleep"]\n\n\nasync def main():\n'
     '    await asyncio.sleep(1)\n'),
])
def test_fixed_files_pass_pyflakes(tmp_path: Path, source: str, expected: str) -> None:
    path = tmp_path / "mod.py"
    path.write_text(source)
    result = fix([path])
    assert path.read_text() == expected, result.output
    assert flake8_errors(path) == []


def test_import_unused_before_the_fix_is_left_to_its_author(tmp_path: Path) -> None:
    source = "import asyncio\nimport os\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"
    path = tmp_path / "mod.py"
    path.write_text(source)
    fix([path])
    assert path.read_text() == "import asyncio\nimport os\n\n\nasync def main():\n    await asyncio.sleep(1)\n"


# --------------------------------------------------------------------------- item 3: CCY102
@pytest.mark.parametrize("signature, safe", [
    ("()", True), ("(delay=1, *, retries=3)", True), ("(*args, **kwargs)", True),
    ("(url)", False), ("(*, url)", False)])
def test_adding_call_parentheses_is_safe_only_without_required_parameters(
        tmp_path: Path, signature: str, safe: bool) -> None:
    text = f"import asyncio\n\n\nasync def work{signature}:\n    pass\n\n\nasyncio.run(work)\n"
    path = tmp_path / "job.py"
    path.write_text(text)
    result = fix([path], "--select", "CCY102")
    assert (path.read_text().endswith("asyncio.run(work())\n")) is safe, result.output
    fix([path], "--select", "CCY102", "--unsafe-fixes")
    assert path.read_text().endswith("asyncio.run(work())\n")


def test_bound_method_parentheses_skip_self(tmp_path: Path) -> None:
    text = ("import asyncio\n\n\nclass Job:\n    async def step(self, n=1):\n        pass\n\n"
            "    async def run(self):\n        await asyncio.wait_for(self.step, 1)\n")
    path = tmp_path / "job.py"
    path.write_text(text)
    assert fix([path], "--select", "CCY102").exit_code == 0
    assert "wait_for(self.step(), 1)" in path.read_text()


def test_library_coroutine_signature_unknown_is_unsafe(tmp_path: Path) -> None:
    text = "import asyncio\n\n\nasync def main():\n    await asyncio.sleep\n"
    path = tmp_path / "job.py"
    path.write_text(text)
    assert fix([path], "--select", "CCY102").exit_code == 1 and path.read_text() == text


# --------------------------------------------------------------------------- item 6: noqa
@pytest.mark.parametrize("comment", ["# noqa: ASYNC251", "# noqa: CCY201", "# noqa"])
def test_noqa_of_a_peer_stops_the_fix_as_it_stops_the_finding(tmp_path: Path, comment: str) -> None:
    text = f"import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)  {comment}\n    time.sleep(2)\n"
    path = tmp_path / "mod.py"
    path.write_text(text)
    result = fix([path])
    assert result.exit_code == 0, result.output
    assert path.read_text() == text.replace("    time.sleep(2)", "    await asyncio.sleep(2)")
    assert flake8_errors(path) == []


def test_file_level_noqa_stops_every_fix(tmp_path: Path) -> None:
    text = "# concurlint: noqa: CCY201\nimport asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"
    path = tmp_path / "mod.py"
    path.write_text(text)
    assert fix([path]).exit_code == 0 and path.read_text() == text


def test_peer_noqa_in_flake8_mode_hides_the_finding(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("import asyncio\nimport time\n\n\nasync def main():\n"
                    "    time.sleep(1)  # noqa: ASYNC251\n    time.sleep(2)\n")
    exe = os.path.join(os.path.dirname(sys.executable), "flake8")
    result = subprocess.run([exe, "--isolated", "--select", "CCY", str(path)],
                            capture_output=True, text=True, check=False)
    assert [line.split(":")[1:4] for line in result.stdout.splitlines()] == [
        ["7", "5", " CCY201 'time.sleep()' blocks the event loop; use 'await asyncio.sleep(...)'"]]


# --------------------------------------------------------------------------- item 4: control
THREE = ("import asyncio\nimport time\n\n\nasync def work():\n    pass\n\n\nasync def main():\n"
         "    time.sleep(1)\n    work()\n    return asyncio.get_event_loop()\n")


def run_cli(*args: str) -> "object":
    return CliRunner().invoke(main, ["check", "--no-color", *args])


def test_unfixable_keeps_the_finding_but_not_its_fix(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_text(THREE)
    result = run_cli("--isolated", "--preset", "strict", "--unfixable", "CCY201", "--fix", str(path))
    text = path.read_text()
    assert "    time.sleep(1)\n" in text and "    await work()\n" in text and "get_running_loop()" in text
    assert "CCY201 'time.sleep()' blocks the event loop" in result.output
    assert "fix available" not in result.output
    assert "Fixed 2 problems (1 remaining)." in result.output and result.exit_code == 1


def test_fixable_and_extend_fixable_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.concurlint]\npreset = "strict"\nfixable = ["CCY2"]\nextend-fixable = ["CCY107"]\n')
    path = tmp_path / "svc.py"
    path.write_text(THREE)
    report = run_cli("--config", str(tmp_path / "pyproject.toml"), "--output-format", "json", str(path))
    import json

    fixes = {item["code"]: item["fix"] for item in json.loads(report.stdout)["findings"]}
    assert fixes["CCY101"] is None and fixes["CCY201"] and fixes["CCY107"]
    result = run_cli("--config", str(tmp_path / "pyproject.toml"), "--fix", str(path))
    assert path.read_text() == THREE.replace("    time.sleep(1)", "    await asyncio.sleep(1)").replace(
        "get_event_loop", "get_running_loop").replace("import time\n", "")
    assert result.exit_code == 1  # the CCY101 finding stays, unfixed


def test_unknown_code_in_unfixable_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("--isolated", "--unfixable", "CCY999", str(tmp_path))
    assert result.exit_code == 2 and "unknown rule code 'CCY999' in 'unfixable'" in result.output
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nfixable = "CCY201"\nunfixable = 3\n')
    result = run_cli("--config", str(tmp_path / "pyproject.toml"), str(tmp_path))
    assert result.exit_code == 2 and "'unfixable' must be a list of strings" in result.output
    assert "Traceback" not in result.output


def test_fix_only_applies_and_reports_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_text(THREE)
    result = run_cli("--isolated", "--fix-only", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "Fixed 2 problems.\n"  # CCY107 is advice: not in the default preset
    assert "await asyncio.sleep(1)" in path.read_text() and "await work()" in path.read_text()
    again = run_cli("--isolated", "--fix-only", str(path))
    assert again.exit_code == 0 and again.output == "Fixed 0 problems.\n"


def test_show_fixes_lists_what_was_fixed(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_text(THREE)
    result = run_cli("--isolated", "--preset", "strict", "--fix-only", "--show-fixes", str(path))
    assert result.output.splitlines() == [
        f"{path}:10:5: CCY201 fixed: Replace with 'await asyncio.sleep(...)'",
        f"{path}:11:5: CCY101 fixed: Add 'await'",
        f"{path}:12:12: CCY107 fixed: Use 'asyncio.get_running_loop()'",
        "Fixed 3 problems.",
    ]
    zh = CliRunner().invoke(main, ["check", "--isolated", "--lang", "zh", "--fix", "--show-fixes",
                                   str(path)])
    assert zh.exit_code == 0 and "已修复 0 个问题" in zh.output


def test_fix_only_on_standard_input_prints_only_the_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--isolated", "--fix-only", "-"], input=THREE)
    assert result.stdout == THREE.replace("    time.sleep(1)", "    await asyncio.sleep(1)").replace(
        "    work()", "    await work()").replace("import time\n", "")
    assert result.stderr == "Fixed 2 problems.\n" and result.exit_code == 0


# --------------------------------------------------------------------------- item 5: writes
BLOCKING = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"
FIXED = "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away")
def test_root_run_keeps_owner_group_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_text(BLOCKING)
    os.chown(path, 4321, 4322)
    path.chmod(0o640)
    result = fix([path])
    assert result.exit_code == 0, result.output
    info = path.stat()
    assert path.read_text() == FIXED
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (4321, 4322, 0o640)


def test_hard_links_stay_one_file_fixed_once(tmp_path: Path) -> None:
    first = tmp_path / "svc.py"
    first.write_text(BLOCKING)
    second = tmp_path / "svc_alias.py"
    os.link(first, second)
    diff = CliRunner().invoke(main, ["check", "--isolated", "--diff", str(tmp_path)])
    assert diff.stdout.count("+++ ") == 1 and "Would fix 1 problem in 1 file." in diff.stderr
    result = fix([tmp_path])
    assert "Fixed 1 problem (0 remaining)." in result.output and result.exit_code == 0
    assert first.read_text() == second.read_text() == FIXED
    assert first.stat().st_ino == second.stat().st_ino and first.stat().st_nlink == 2


def test_file_reached_by_a_symlink_inside_the_tree_is_counted_once(tmp_path: Path) -> None:
    real = tmp_path / "svc.py"
    real.write_text(BLOCKING)
    (tmp_path / "again.py").symlink_to(real)
    diff = CliRunner().invoke(main, ["check", "--isolated", "--diff", str(tmp_path), str(real)])
    assert diff.stdout.count("+++ ") == 1 and "Would fix 1 problem in 1 file." in diff.stderr
    result = fix([tmp_path, real])
    assert "Fixed 1 problem (0 remaining)." in result.output
    assert real.read_text() == FIXED and (tmp_path / "again.py").is_symlink()


def test_walk_never_follows_a_symlink_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "shared.py"
    outside.parent.mkdir()
    outside.write_text(BLOCKING)
    tree = tmp_path / "project"
    tree.mkdir()
    (tree / "shared.py").symlink_to(outside)
    (tree / "vendor").symlink_to(outside.parent, target_is_directory=True)
    result = fix([tree])
    assert outside.read_text() == BLOCKING and "shared.py" not in result.output
    assert result.exit_code == 0 and "1 file checked" not in result.output
    named = fix([tree / "shared.py"])  # a symlink named on the command line is fine
    assert named.exit_code == 0 and outside.read_text() == FIXED
    assert (tree / "shared.py").is_symlink()


def test_writable_file_in_a_read_only_directory_is_fixed_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurlint import fileio

    path = tmp_path / "svc.py"
    path.write_text(BLOCKING)
    inode = path.stat().st_ino
    real_mkstemp = fileio.tempfile.mkstemp

    def read_only_dir(*args: object, **kwargs: object):  # root ignores a directory's mode bits
        if kwargs.get("dir") == str(tmp_path):
            raise PermissionError(13, "Permission denied", str(tmp_path))
        return real_mkstemp(*args, **kwargs)
    monkeypatch.setattr(fileio.tempfile, "mkstemp", read_only_dir)
    result = fix([path])
    assert result.exit_code == 0, result.output
    assert path.read_text() == FIXED and path.stat().st_ino == inode
    assert sorted(os.listdir(tmp_path)) == ["svc.py"]


def test_failed_in_place_write_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurlint import fileio

    first = tmp_path / "svc.py"
    first.write_text(BLOCKING)
    os.link(first, tmp_path / "svc_alias.py")
    real_overwrite = fileio._overwrite
    calls = []

    def full_disk(handle, data: bytes) -> None:
        calls.append(data)
        if len(calls) == 1:  # the new content: half of it, then the disk is full
            handle.seek(0)
            handle.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        real_overwrite(handle, data)
    monkeypatch.setattr(fileio, "_overwrite", full_disk)
    backups = tmp_path / "tmp"
    backups.mkdir()
    monkeypatch.setattr(fileio.tempfile, "tempdir", str(backups))
    result = fix([first])
    assert result.exit_code == 1 and f"cannot write {first}: no space left on device" in result.output
    assert first.read_text() == BLOCKING and "Traceback" not in result.output
    assert os.listdir(backups) == []  # the backup of the original is gone too


@pytest.mark.parametrize("library, call, safe", [
    ("trio", "trio.sleep(1)", True), ("trio", "asyncio.sleep(1)", False),
    ("asyncio", "asyncio.sleep(1)", True), ("asyncio", "trio.sleep(1)", False),
    ("anyio", "anyio.sleep(1)", True), ("anyio", "asyncio.sleep(1)", False)])
def test_await_added_only_where_the_coroutine_can_run(
        tmp_path: Path, library: str, call: str, safe: bool) -> None:
    module = call.split(".")[0]
    imports = "\n".join(sorted({f"import {library}", f"import {module}"}))
    text = f"{imports}\n\n\nasync def main():\n    {call}\n"
    path = tmp_path / "job.py"
    path.write_text(text)
    fix([path], "--select", "CCY101")
    assert (f"    await {call}\n" in path.read_text()) is safe
