"""The flake8 plugin as editors use it: the real ``flake8`` executable, source on stdin."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest

from concurlint.rules import ALL_RULES

pytestmark = pytest.mark.integration

SOURCE = textwrap.dedent("""\
    import asyncio
    import time


    async def refresh():
        time.sleep(1)
        time.sleep(2)  # noqa: CCY201
        time.sleep(3)  # noqa: E501
        time.sleep(4)  # noqa


    def main():
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(refresh())
        finally:
            loop.close()
""")
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def flake8(*args: str, cwd: Path, stdin: str = SOURCE, **env: str) -> subprocess.CompletedProcess:
    exe = shutil.which("flake8", path=os.path.dirname(sys.executable))
    command = [exe] if exe else [sys.executable, "-m", "flake8"]
    variables = {k: v for k, v in os.environ.items() if k not in ("CONCURLINT_LANG", "LC_ALL", "LANG")}
    return subprocess.run([*command, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=120, env={**variables, "NO_COLOR": "1", **env})


def reported(result: subprocess.CompletedProcess) -> List[tuple]:
    assert result.returncode in (0, 1), result.stderr
    found = []
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        assert match, line
        found.append((match.group("path"), int(match.group("line")), int(match.group("col")),
                      match.group("code")))
    return found


def test_stdin_with_display_name_and_noqa(tmp_path: Path) -> None:
    result = flake8("--isolated", "--select", "CCY", "--stdin-display-name", "app/cache.py", "-",
                    cwd=tmp_path)
    # line 7 has noqa: CCY201 and line 9 a bare noqa; noqa: E501 does not hide CCY201
    assert reported(result) == [("app/cache.py", 6, 5, "CCY201"), ("app/cache.py", 8, 5, "CCY201")]
    assert result.returncode == 1


def test_extend_select_switches_on_an_off_by_default_rule(tmp_path: Path) -> None:
    assert ALL_RULES["CCY108"].default_on is False
    without = flake8("--isolated", "--select", "CCY", "-", cwd=tmp_path)
    assert "CCY108" not in {c for *_, c in reported(without)}
    with_it = flake8("--isolated", "--select", "CCY", "--extend-select", "CCY108", "-", cwd=tmp_path)
    assert ("stdin", 15, 9, "CCY108") in reported(with_it)
    # the plugin's own option does the same
    own = flake8("--isolated", "--select", "CCY", "--concurlint-extend-select", "CCY108", "-",
                 cwd=tmp_path)
    assert ("stdin", 15, 9, "CCY108") in reported(own)


def test_extend_ignore(tmp_path: Path) -> None:
    result = flake8("--isolated", "--select", "CCY", "--extend-select", "CCY108",
                    "--extend-ignore", "CCY201", "--stdin-display-name", "x.py", "-", cwd=tmp_path)
    assert [c for *_, c in reported(result)] == ["CCY108"]
    everything = flake8("--isolated", "--select", "CCY", "--extend-ignore", "CCY2", "-", cwd=tmp_path)
    assert reported(everything) == [] and everything.returncode == 0


def test_options_from_flake8_config_file(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nselect = CCY\nconcurlint-extend-select = CCY108\nconcurlint-ignore = CCY201\n")
    result = flake8("--stdin-display-name", "svc.py", "-", cwd=tmp_path)
    assert [c for *_, c in reported(result)] == ["CCY108"]


def test_option_names_in_help(tmp_path: Path) -> None:
    result = flake8("--help", cwd=tmp_path, stdin="")
    assert result.returncode == 0
    for option in ("--concurlint-select", "--concurlint-extend-select", "--concurlint-ignore",
                   "--concurlint-preset", "--concurlint-blocking-calls",
                   "--concurlint-lock-name-pattern", "--concurlint-max-file-size",
                   "--concurlint-file-timeout", "--concurlint-config", "--concurlint-lang"):
        assert option in result.stdout, option
    assert "concurlint" in flake8("--version", cwd=tmp_path, stdin="").stdout


def _messages(result: subprocess.CompletedProcess) -> List[str]:
    assert result.returncode in (0, 1), result.stderr
    return [line.split(" ", 2)[2] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("how", ["option", "config", "environment"])
def test_messages_in_chinese_when_asked(tmp_path: Path, how: str) -> None:
    args, env = ["--select", "CCY", "-"], {}
    if how == "option":
        args.insert(0, "--concurlint-lang=zh")
    elif how == "config":
        (tmp_path / "setup.cfg").write_text("[flake8]\nconcurlint-lang = zh-CN\n")
    else:
        env["CONCURLINT_LANG"] = "zh_CN.UTF-8"
    messages = _messages(flake8(*args, cwd=tmp_path, **env))
    assert messages and all("阻塞事件循环" in message for message in messages), messages


def test_the_locale_alone_keeps_flake8_in_english(tmp_path: Path) -> None:
    # flake8 and its other plugins do not follow the locale; a CCY line in Chinese among
    # English ones would surprise, so only the plugin's option or CONCURLINT_LANG switch it
    messages = _messages(flake8("--isolated", "--select", "CCY", "-", cwd=tmp_path, LANG="zh_CN.UTF-8"))
    assert messages and all("blocks the event loop" in message for message in messages), messages
    unknown = _messages(flake8("--isolated", "--select", "CCY", "-", cwd=tmp_path, CONCURLINT_LANG="fr"))
    assert unknown == messages


def test_an_unknown_language_option_is_a_configuration_error(tmp_path: Path) -> None:
    result = flake8("--isolated", "--select", "CCY", "--concurlint-lang", "xx", "-", cwd=tmp_path)
    assert reported(result) == [("stdin", 1, 1, "CCY002")]
    assert "unknown --concurlint-lang 'xx'" in result.stdout and "zh" in result.stdout
