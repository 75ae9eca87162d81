"""Suppression as users write it: flake8's ``# noqa``, peer linters' codes, file-level
comments — the same answer from the CLI and from the real flake8 executable."""
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

from concurlint.config import Settings
from concurlint.engine import check_source
from concurlint.source import SourceFile
from concurlint.suppression import PEER_CODES, file_noqa, noqa_codes
from concurlint.rules import ALL_RULES

BODY = textwrap.dedent("""\
    import time

    import requests


    async def poll(url):
        time.sleep(1){sleep}
        return requests.get(url){get}
""")


def found(text: str, noqa: bool = True) -> List[Tuple[int, str]]:
    result = check_source(SourceFile(path="svc.py", text=text, newline="\n"), Settings(preset="strict"), noqa=noqa)
    return [(f.line, f.code) for f in result.findings]


def source(sleep: str = "", get: str = "", head: str = "") -> str:
    return head + BODY.format(sleep=sleep, get=get)


def test_without_comments_everything_is_reported() -> None:
    assert found(source()) == [(7, "CCY201"), (8, "CCY202"), (8, "CCY501")]


@pytest.mark.parametrize("comment, kept", [
    ("  # noqa", []),
    ("  # noqa: CCY201", []),
    ("  # NOQA:CCY2", []),
    ("  # noqa: ASYNC251", []),            # flake8-async / ruff: blocking sleep
    ("  # noqa: E501", [(7, "CCY201")]),   # another tool's unrelated code
    ("  # noqa: ccy201", [(7, "CCY201")]),  # codes are case-sensitive, as in flake8
    ("  # noqa: async251", [(7, "CCY201")]),
    ("  # noqa: ASYNC210", [(7, "CCY201")]),  # a peer code for another pitfall
])
def test_inline_noqa_on_the_sleep(comment: str, kept: List[Tuple[int, str]]) -> None:
    assert [f for f in found(source(sleep=comment)) if f[0] == 7] == kept


def test_one_peer_code_suppresses_only_its_own_pitfall() -> None:
    # ruff's S113 (request without timeout) is CCY501, not the blocking call CCY202
    assert found(source(get="  # noqa: S113")) == [(7, "CCY201"), (8, "CCY202")]
    assert found(source(get="  # noqa: ASYNC210, S113")) == [(7, "CCY201")]


@pytest.mark.parametrize("head, expected", [
    ("# concurlint: noqa\n", []),
    ("# Concurlint: NOQA\n", []),
    ("# flake8: noqa\n", []),
    ("# concurlint: noqa: CCY201\n", [(9, "CCY202"), (9, "CCY501")]),
    ("# concurlint: noqa: CCY2, CCY501\n", []),
    # flake8 skips a file with "# flake8: noqa: CODES" whole (tests/test_add_noqa.py runs it)
    ("# flake8: noqa: CCY201\n", []),
    ("#flake8: noqa\n", [(8, "CCY201"), (9, "CCY202"), (9, "CCY501")]),  # flake8 wants "# flake8"
    # inside code or a string it is not a file-level comment
    ('NOTE = "# concurlint: noqa"\n', [(8, "CCY201"), (9, "CCY202"), (9, "CCY501")]),
    ("x = 1  # concurlint: noqa\n", [(8, "CCY201"), (9, "CCY202"), (9, "CCY501")]),
])
def test_file_level_comments(head: str, expected: List[Tuple[int, str]]) -> None:
    assert found(source(head=head)) == expected


def test_file_noqa_parsing() -> None:
    assert file_noqa("import os\n") is None
    assert file_noqa("\n  # concurlint: noqa\n") == frozenset({"*"})
    assert file_noqa("# concurlint: noqa: CCY201,CCY7\n") == frozenset({"CCY201", "CCY7"})
    assert noqa_codes("x  # noqa:ccy201") == frozenset({"ccy201"})


def test_peer_codes_name_real_rules() -> None:
    for peer, codes in PEER_CODES.items():
        assert peer.startswith(("ASYNC", "RUF", "S")), peer
        assert codes and all(code in ALL_RULES for code in codes), peer


def test_flake8_mode_leaves_ccy_noqa_to_flake8_but_applies_peer_codes() -> None:
    # flake8 applies "# noqa: CCY201" itself; the plugin must not pre-empt it (flake8's
    # --disable-noqa must still show the finding), but peer codes are ours to apply
    assert found(source(sleep="  # noqa: CCY201"), noqa=False)[0] == (7, "CCY201")
    assert found(source(sleep="  # noqa: ASYNC251"), noqa=False)[0] == (8, "CCY202")
    assert found(source(head="# concurlint: noqa\n"), noqa=False) == []


# ----------------------------------------------------------------- the real executables
def _flake8(path: Path) -> List[Tuple[int, str]]:
    exe = shutil.which("flake8", path=os.path.dirname(sys.executable))
    command = [exe] if exe else [sys.executable, "-m", "flake8"]
    done = subprocess.run([*command, "--isolated", "--select", "CCY", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return [(int(line.split(":")[1]), line.split(": ")[1].split()[0]) for line in done.stdout.splitlines()]


def _cli(path: Path) -> List[Tuple[int, str]]:
    done = subprocess.run([sys.executable, "-m", "concurlint", "check", "--isolated", "--no-cache",
                           "--output-format", "json", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return [(f["line"], f["code"]) for f in json.loads(done.stdout)["findings"]]


@pytest.mark.integration
@pytest.mark.parametrize("sleep, get, head", [
    ("  # noqa: ASYNC251", "  # noqa:S113", ""),
    ("  # noqa: ccy201", "  # noqa: ASYNC210,S113", ""),
    ("  # NoQA: CCY201", "  # noqa", ""),
    ("", "", "# concurlint: noqa: CCY5\n"),
    ("", "", "# flake8: noqa\n"),
    ("", "", "# concurlint: noqa\n"),
])
def test_cli_and_flake8_agree(tmp_path: Path, sleep: str, get: str, head: str) -> None:
    path = tmp_path / "svc.py"
    path.write_text(source(sleep=sleep, get=get, head=head))
    assert _cli(path) == _flake8(path)
