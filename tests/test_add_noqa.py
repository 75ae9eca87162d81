"""Issue 16, item 8: suppression parity with the real flake8 (continued statements) and
``concurlint check --add-noqa`` through the real CLI."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

EXE = os.path.dirname(sys.executable)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    return subprocess.run([shutil.which("concurlint", path=EXE), *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=120)


def cli_findings(path: Path, *extra: str) -> List[Tuple[int, str]]:
    done = cli("check", "--isolated", "--no-cache", "--output-format", "json", *extra, str(path), cwd=path.parent)
    assert done.returncode in (0, 1), done.stderr
    return [(f["line"], f["code"]) for f in json.loads(done.stdout)["findings"]]


def flake8_findings(path: Path, *extra: str) -> List[Tuple[int, str]]:
    done = subprocess.run([shutil.which("flake8", path=EXE), "--isolated", "--select", "CCY", *extra, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return [(int(line.split(":")[1]), line.split(": ")[1].split()[0]) for line in done.stdout.splitlines()]


CONTINUED = textwrap.dedent('''\
    import time

    import requests


    async def poll(url):
        time.sleep("""
        """){a}
        time.sleep(1) + \\
            len(url){b}
        x = requests.get(
            url,
        ){c}
        time.sleep(1); y = """
        """{d}
        return x, y
''')


@pytest.mark.integration
@pytest.mark.parametrize("a, b, c, d", [
    ("", "", "", ""),
    ("  # noqa: CCY201", "  # noqa: CCY201", "  # noqa: CCY202", "  # noqa"),  # last line of each stretch
    ("  # noqa: ASYNC251", "  # NOQA:ASYNC251", "  # noqa: ASYNC210", "  # noqa: ccy201"),
    ("  # noqa : CCY999", "  # noqa:CCY2 reason", "  # noqa: E501", "  # noqa: ASYNC251, E501"),
    ("  #noqa", "  #noqa: CCY201", "  #  noqa", "  # NoQa"),  # flake8 wants exactly "# noqa"
])
def test_noqa_on_continued_statements_as_flake8_reads_it(tmp_path: Path, a: str, b: str, c: str, d: str) -> None:
    """flake8 reads a noqa of a backslash- or string-continued statement from all its lines
    (not across brackets): the CLI now does the same."""
    path = tmp_path / "svc.py"
    path.write_text(CONTINUED.format(a=a, b=b, c=c, d=d))
    assert cli_findings(path) == flake8_findings(path)


@pytest.mark.integration
@pytest.mark.parametrize("head", [
    "# CONCURLINT: NOQA\n",
    "#concurlint:noqa:CCY201\n",
    "# concurlint: noqa: ccy201\n",   # codes stay case-sensitive at file level too
    "# flake8: noqa: CCY201\n",       # flake8 skips the whole file, codes or not
    "# FLAKE8: NOQA\n",
    "#flake8: noqa\n",                # not flake8's spelling: nothing skipped
    "x = 1  # flake8: noqa\n",        # not on a line of its own
])
def test_file_level_comment_spellings_agree_with_flake8(tmp_path: Path, head: str) -> None:
    path = tmp_path / "svc.py"
    path.write_text(head + CONTINUED.format(a="", b="", c="", d=""))
    assert cli_findings(path) == flake8_findings(path)


# ---------------------------------------------------------------------- --add-noqa
PROJECT = textwrap.dedent('''\
    import time

    import requests


    async def poll(url):
        time.sleep(1)  # noqa: E501 - a long line, for pycodestyle
        time.sleep(2) + \\
            len(url)
        data = requests.get("""
        """)  # the payload
        time.sleep(3); requests.get(url)
        return data
''')


def test_add_noqa_silences_every_finding_for_the_cli_and_flake8(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_text(PROJECT)
    before = cli_findings(path)
    assert len(before) == 5
    done = cli("check", "--isolated", "--no-cache", "--add-noqa", "svc.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Added 4 noqa comments covering 5 findings in 1 file.\n"
    text = path.read_text()
    assert "    time.sleep(1)  # noqa: E501, CCY201 - a long line, for pycodestyle\n" in text  # merged
    assert "    time.sleep(2) + \\\n        len(url)  # noqa: CCY201\n" in text  # the statement's last line
    assert '    """)  # the payload  # noqa: CCY202\n' in text  # after the string, other comment kept
    assert "    time.sleep(3); requests.get(url)  # noqa: CCY201, CCY202\n" in text
    assert cli_findings(path) == []
    assert flake8_findings(path) == []
    again = cli("check", "--isolated", "--no-cache", "--add-noqa", "svc.py", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "No noqa comments to add.\n")
    assert path.read_text() == text


def test_add_noqa_keeps_encoding_and_newlines_and_skips_tool_findings(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\r\nimport time\r\n\r\nasync def f():\r\n"
                      "    time.sleep(1)  # café\r\n".encode("latin-1"))
    broken = tmp_path / "broken.py"
    broken.write_text("async def f(:\n")
    done = cli("check", "--isolated", "--no-cache", "--add-noqa", "--lang", "zh", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "已在 1 个文件中添加 1 处 noqa 注释,覆盖 1 个问题。\n"
    assert latin.read_bytes().endswith("    time.sleep(1)  # café  # noqa: CCY201\r\n".encode("latin-1"))
    assert broken.read_text() == "async def f(:\n"  # a syntax error is not silenced
    assert cli_findings(tmp_path) == [(1, "CCY001")]


def test_add_noqa_never_half_writes(tmp_path: Path) -> None:
    """A write that fails midway (here: a file-size limit smaller than the new file, which
    holds even for root) leaves the original untouched and no temporary file behind."""
    import resource

    path = tmp_path / "svc.py"
    path.write_text(PROJECT)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(PROJECT) // 2, resource.RLIM_INFINITY))

    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    done = subprocess.run([shutil.which("concurlint", path=EXE), "check", "--isolated", "--no-cache",
                           "--add-noqa", "svc.py"], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=120, preexec_fn=small_files)
    assert done.returncode == 1
    assert "concurlint: error: cannot write 'svc.py': File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_text() == PROJECT and os.listdir(tmp_path) == ["svc.py"]


def test_add_noqa_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(PROJECT)
    for extra in (["--fix"], ["--diff"], ["--write-baseline", "b.json"]):
        done = cli("check", "--isolated", "--add-noqa", *extra, "svc.py", cwd=tmp_path)
        assert done.returncode == 2 and "--add-noqa" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "svc.py").read_text() == PROJECT
