"""Issue 16, item 6: Jupyter notebooks through the real CLI — cells checked, magics
skipped, findings by cell, fixes written back without touching outputs or metadata."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

CELLS: List[Dict[str, Any]] = [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Exercise 3\n", "Sleep politely."]},
    {"cell_type": "code", "execution_count": 1, "metadata": {"tags": ["setup"]},
     "outputs": [{"name": "stdout", "output_type": "stream", "text": ["Successfully installed httpx\n"]}],
     "source": ["%load_ext autoreload\n", "import asyncio\n", "import time\n", "!pip install httpx\n",
                "files = !ls"]},
    {"cell_type": "code", "execution_count": 2, "metadata": {"collapsed": False},
     "outputs": [{"data": {"text/plain": ["1"]}, "execution_count": 2, "metadata": {},
                  "output_type": "execute_result"}],
     "source": ["async def work():\n", "    time.sleep(1)\n", "    %time x = 1\n", "    return 1\n", "\n",
                "asyncio.sleep(1)\n", "await work()"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": "%%time\nasyncio.sleep(5)\n"},  # a cell magic: not Python, not checked
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["async def f():\n", "    asyncio.sleep(2)  # noqa: CCY101\n", "len?"]},
]
NOTEBOOK = {"cells": CELLS, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                         "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def jupyter_bytes(document: Any) -> bytes:
    """As Jupyter writes a notebook (indent 1, non-ASCII as is, final newline)."""
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    return subprocess.run([shutil.which("concurlint", path=os.path.dirname(sys.executable)), *args],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "ex3.ipynb").write_bytes(jupyter_bytes(NOTEBOOK))
    (tmp_path / "lessons" / "helper.py").write_text("import time\n\n\nasync def h():\n    time.sleep(1)\n")
    return tmp_path


def test_directory_walk_checks_notebook_cells_and_reports_cells(project: Path) -> None:
    result = cli("check", "--isolated", "--no-cache", "--output-format", "concise", "lessons", cwd=project)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "lessons/ex3.ipynb:cell 3:2:5: CCY201 'time.sleep()' blocks the event loop; use 'await asyncio.sleep(...)'",
        "lessons/ex3.ipynb:cell 3:6:1: CCY101 coroutine 'asyncio.sleep' is never awaited, so it never runs; "
        "in a notebook cell add 'await' (top-level await works in a cell; asyncio.run() fails on the "
        "notebook's running loop)",
        "lessons/helper.py:5:5: CCY201 'time.sleep()' blocks the event loop; use 'await asyncio.sleep(...)'",
        "Found 3 problems in 2 files (2 files checked). 2 fixable with `--fix`.",
    ]  # no CCY001 for the magics, nothing from the %%time cell, the noqa in cell 5 holds


def test_full_and_json_formats_show_the_cell(project: Path) -> None:
    full = cli("check", "--isolated", "--no-cache", "lessons/ex3.ipynb", cwd=project).stdout
    assert "lessons/ex3.ipynb:cell 3:2:5: CCY201" in full
    assert "2 |     time.sleep(1)\n" in full  # the cell's own line 2
    document = json.loads(cli("check", "--isolated", "--no-cache", "--output-format", "json",
                              "lessons/ex3.ipynb", cwd=project).stdout)
    assert [(f["cell"], f["line"], f["column"], f["code"]) for f in document["findings"]] == [
        (3, 2, 5, "CCY201"), (3, 6, 1, "CCY101")]
    assert document["findings"][0]["fix"]["edits"][0]["line"] == 2


def test_same_answer_with_workers_and_the_cache(project: Path) -> None:
    args = ("check", "--isolated", "--output-format", "json", "lessons")
    plain = cli(*args, "--no-cache", cwd=project).stdout
    assert cli(*args, "--jobs", "2", cwd=project).stdout == plain  # fills the cache
    assert cli(*args, "--jobs", "2", cwd=project).stdout == plain  # answered from it


def test_top_level_await_is_the_notebook_fix_and_asyncio_run_the_module_one(project: Path) -> None:
    code = "import asyncio\n\nasyncio.sleep(1)\n"
    (project / "script.py").write_text(code)
    (project / "cell.ipynb").write_bytes(jupyter_bytes({**NOTEBOOK, "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": code}]}))
    result = cli("check", "--isolated", "--no-cache", "--output-format", "json", "script.py", "cell.ipynb",
                 cwd=project)
    by_path = {f["path"]: f for f in json.loads(result.stdout)["findings"]}
    assert "asyncio.run(" in by_path["script.py"]["message"]
    assert "add 'await'" in by_path["cell.ipynb"]["message"]
    assert by_path["cell.ipynb"]["fix"]["edits"][0]["content"] == "await asyncio.sleep(1)"


def test_fix_rewrites_only_the_changed_cells(project: Path) -> None:
    path = project / "lessons" / "ex3.ipynb"
    before = path.read_bytes()
    result = cli("check", "--isolated", "--no-cache", "--fix", "lessons/ex3.ipynb", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 2 problems (0 remaining)." in result.stdout
    after = json.loads(path.read_text(encoding="utf-8"))
    expected = json.loads(before)
    expected["cells"][2]["source"][1] = "    await asyncio.sleep(1)\n"
    expected["cells"][2]["source"][5] = "await asyncio.sleep(1)\n"
    assert after == expected  # outputs, metadata, magics and other cells as they were
    changed = [(a, b) for a, b in zip(before.splitlines(), path.read_bytes().splitlines()) if a != b]
    assert len(changed) == 2 and len(before.splitlines()) == len(path.read_bytes().splitlines())
    assert cli("check", "--isolated", "--no-cache", "lessons/ex3.ipynb", cwd=project).returncode == 0


def test_broken_notebooks_are_reported_not_crashed_on(project: Path) -> None:
    (project / "lessons" / "empty.ipynb").write_text("")
    (project / "lessons" / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    result = cli("check", "--isolated", "--no-cache", "--output-format", "concise", "--lang", "zh",
                 "lessons/empty.ipynb", "lessons/old.ipynb", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("lessons/empty.ipynb:1:1: CCY002 ")
    assert lines[1].startswith("lessons/old.ipynb:1:1: CCY002 ") and "nbconvert" in lines[1]
    assert "不是笔记本" in lines[0] and "格式 3" in lines[1]


def test_diff_base_keeps_the_findings_of_a_changed_notebook(project: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "start"]):
        subprocess.run([git, *command], cwd=project, check=True, env=env, capture_output=True)
    path = project / "lessons" / "ex3.ipynb"
    document = json.loads(path.read_text())
    document["cells"][0]["source"][1] = "Sleep politely, please."
    path.write_bytes(jupyter_bytes(document))
    result = cli("check", "--isolated", "--no-cache", "--output-format", "concise", "--diff-base", "HEAD",
                 "lessons", cwd=project)
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()[:-1]] == ["CCY201", "CCY101"]
    assert "helper.py" not in result.stdout  # unchanged: filtered as before


def test_add_noqa_writes_into_the_cells(project: Path) -> None:
    path = project / "lessons" / "ex3.ipynb"
    before = json.loads(path.read_text(encoding="utf-8"))
    result = cli("check", "--isolated", "--no-cache", "--add-noqa", "lessons/ex3.ipynb", cwd=project)
    assert (result.returncode, result.stdout) == (0, "Added 2 noqa comments covering 2 findings in 1 file.\n")
    after = json.loads(path.read_text(encoding="utf-8"))
    before["cells"][2]["source"][1] = "    time.sleep(1)  # noqa: CCY201\n"
    before["cells"][2]["source"][5] = "asyncio.sleep(1)  # noqa: CCY101\n"
    assert after == before
    assert cli("check", "--isolated", "--no-cache", "lessons/ex3.ipynb", cwd=project).returncode == 0


def test_baseline_and_gitlab_fingerprints_hold_when_an_earlier_cell_grows(project: Path) -> None:
    result = cli("check", "--isolated", "--no-cache", "--write-baseline", "base.json", "lessons/ex3.ipynb",
                 cwd=project)
    assert result.returncode == 0, result.stderr
    gitlab = cli("check", "--isolated", "--no-cache", "--output-format", "gitlab", "lessons/ex3.ipynb",
                 cwd=project).stdout
    path = project / "lessons" / "ex3.ipynb"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["cells"][1]["source"][1:1] = ["import json\n", "import os\n"]  # cell 2 grows
    path.write_bytes(jupyter_bytes(document))
    again = cli("check", "--isolated", "--no-cache", "--baseline", "base.json", "lessons/ex3.ipynb", cwd=project)
    assert again.returncode == 0, again.stdout
    moved = cli("check", "--isolated", "--no-cache", "--output-format", "gitlab", "lessons/ex3.ipynb",
                cwd=project).stdout
    assert [i["fingerprint"] for i in json.loads(moved)] == [i["fingerprint"] for i in json.loads(gitlab)]
