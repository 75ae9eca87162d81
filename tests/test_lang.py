"""Language selection (--lang, CONCURLINT_LANG, the locale), explanations in the
terminal (`concurlint rule`, `--preset learn`) and the stderr progress line."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Dict, Optional

import pytest
from click.testing import CliRunner

from concurlint import explain, progress
from concurlint.cli import detect_lang, main
from concurlint.rules import ALL_RULES

NO_LANG_ENV: Dict[str, Optional[str]] = {
    "CONCURLINT_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None, "CI": None,
}

BLOCKING = """\
import time


async def poll():
    time.sleep(1)
    time.sleep(2)


async def again():
    time.sleep(3)
"""


def invoke(*args: str, **env: Optional[str]):
    environment = dict(NO_LANG_ENV)
    environment.update(env)
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(BLOCKING)
    return tmp_path


# ------------------------------------------------------------------ detect_lang
@pytest.mark.parametrize("env, expected", [
    ({}, "en"),
    ({"CONCURLINT_LANG": "zh"}, "zh"),
    ({"CONCURLINT_LANG": "zh_CN"}, "zh"),
    ({"CONCURLINT_LANG": "en"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # LC_ALL wins over LANG
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
    ({"CONCURLINT_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),  # the variable wins over the locale
])
def test_detect_lang_from_environment(monkeypatch: pytest.MonkeyPatch, env: Dict[str, str], expected: str) -> None:
    for name in NO_LANG_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert detect_lang() == expected


def test_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCURLINT_LANG", "zh")
    assert detect_lang("en") == "en"
    monkeypatch.setenv("CONCURLINT_LANG", "en")
    assert detect_lang("zh") == "zh"


# ------------------------------------------------------------------ concurlint rule
def test_rule_in_english() -> None:
    result = invoke("rule", "CCY201")
    assert result.exit_code == 0
    rule = ALL_RULES["CCY201"]
    assert result.output.startswith("CCY201  blocking-sleep\n")
    assert "Why is this bad?" in result.output and rule.summary.en in result.output
    assert "Use instead" in result.output and "asyncio.sleep" in result.output
    assert "\x1b[" not in result.output  # no colour outside a terminal


@pytest.mark.parametrize("how", ["option", "variable", "locale"])
def test_rule_in_chinese(how: str) -> None:
    if how == "option":
        result = invoke("rule", "ccy201", "--lang", "zh")
    elif how == "variable":
        result = invoke("rule", "CCY201", CONCURLINT_LANG="zh")
    else:
        result = invoke("rule", "CCY201", LANG="zh_CN.UTF-8")
    assert result.exit_code == 0
    rule = ALL_RULES["CCY201"]
    assert "为什么有问题?" in result.output and "推荐写法" in result.output
    assert rule.summary.zh in result.output and rule.why.zh.split("\n")[0][:20] in result.output
    assert "Why is this bad?" not in result.output


def test_rules_list_in_chinese() -> None:
    result = invoke("rules", "--lang", "zh")
    assert result.exit_code == 0
    assert ALL_RULES["CCY201"].summary.zh in result.output


@pytest.mark.parametrize("code", sorted(ALL_RULES))
def test_every_rule_explains_itself_in_both_languages(code: str) -> None:
    rule = ALL_RULES[code]
    for lang, heading in (("en", "What it does"), ("zh", "规则作用")):
        text = explain.explain(rule, lang)
        assert text.startswith(f"{code}  {rule.name}\n")
        if rule.what.get(lang):
            assert heading in text


def test_english_prose_is_wrapped_and_code_is_indented() -> None:
    text = explain.explain(ALL_RULES["CCY201"], "en")
    assert all(len(line) <= 100 for line in text.splitlines() if not line.startswith("    "))
    example = ALL_RULES["CCY201"].example.strip("\n").splitlines()[0]
    assert "    " + example in text


# ------------------------------------------------------------------ messages
def test_check_messages_follow_the_language(project: Path) -> None:
    english = invoke("check", "--isolated", "--select", "CCY201", "--output-format", "concise", str(project))
    assert english.exit_code == 1 and "blocks the event loop" in english.output
    chinese = invoke("check", "--isolated", "--select", "CCY201", "--output-format", "concise", str(project),
                     CONCURLINT_LANG="zh")
    assert chinese.exit_code == 1 and "阻塞事件循环" in chinese.output and "blocks the event loop" not in chinese.output
    assert "发现 3 个问题" in chinese.output
    locale = invoke("check", "--isolated", "--select", "CCY201", "--output-format", "concise", str(project),
                    LANG="zh_CN.UTF-8")
    assert "阻塞事件循环" in locale.output


# ------------------------------------------------------------------ --preset learn
@pytest.mark.parametrize("output_format", ["full", "concise"])
def test_learn_preset_explains_each_rule_once(project: Path, output_format: str) -> None:
    result = invoke("check", "--isolated", "--preset", "learn", "--output-format", output_format, str(project))
    assert result.exit_code == 1
    out = result.output
    codes = re.findall(r"app\.py:\d+:\d+: (CCY\d{3}) ", out)
    assert codes.count("CCY201") == 3
    for code in set(codes):  # one explanation per rule, however many findings
        assert out.count(f"Full explanation: concurlint rule {code}") == 1
    assert out.count("Why is this bad?") == len(set(codes))
    first, rest = out.split("concurlint rule CCY201", 1)
    assert "app.py:5:5" in first  # under the first finding
    assert "app.py:6:5" in rest and "app.py:10:5" in rest


def test_learn_preset_in_chinese(project: Path) -> None:
    result = invoke("check", "--isolated", "--preset", "learn", "--lang", "zh", str(project))
    assert "为什么有问题?" in result.output and "完整说明:concurlint rule CCY201" in result.output


def test_default_preset_prints_no_explanation(project: Path) -> None:
    result = invoke("check", "--isolated", str(project))
    assert "Why is this bad?" not in result.output and "concurlint rule" not in result.output


def test_learn_hook_once_per_rule() -> None:
    from concurlint.findings import Finding, Position, Text

    hook = explain.learn_hook("en")
    make = lambda code, line: Finding("a.py", code, Text("m"), Position(line, 1), Position(line, 2))  # noqa: E731
    assert "Why is this bad?" in hook(make("CCY201", 1))
    assert hook(make("CCY201", 2)) == ""
    assert "concurlint rule CCY202" in hook(make("CCY202", 3))
    assert hook(make("CCY999", 4)) == ""


# ------------------------------------------------------------------ progress
class FakeTTY(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal_outside_ci() -> None:
    assert progress.enabled(FakeTTY(True), {}) is True
    assert progress.enabled(FakeTTY(False), {}) is False
    assert progress.enabled(FakeTTY(True), {"CI": "true"}) is False
    assert progress.enabled(io.StringIO(), {}) is False


def test_progress_line_draws_throttles_and_erases() -> None:
    stream = FakeTTY(True)
    now = [0.0]
    line = progress.ProgressLine(stream, delay=0.5, interval=0.1, clock=lambda: now[0])
    line(1, 100)  # before the delay: silent
    assert stream.getvalue() == ""
    now[0] = 0.6
    line(2, 100)
    assert stream.getvalue() == "\rconcurlint: checking 2/100 files (2%)"
    now[0] = 0.65
    line(3, 100)  # within the redraw interval: nothing new
    assert stream.getvalue().count("\r") == 1
    now[0] = 0.8
    line(50, 100)
    assert "50/100 files (50%)" in stream.getvalue()
    line(100, 100)  # done: the line is erased
    assert stream.getvalue().endswith("\r" + " " * len("concurlint: checking 50/100 files (50%)") + "\r")


def test_quick_run_leaves_no_trace() -> None:
    stream = FakeTTY(True)
    line = progress.ProgressLine(stream, clock=lambda: 0.0)
    for done in range(1, 11):
        line(done, 10)
    assert stream.getvalue() == ""


def test_cli_never_shows_progress_in_a_pipe(project: Path) -> None:
    for n in range(30):
        (project / f"m{n}.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["check", "--isolated", str(project)], env=dict(NO_LANG_ENV))
    assert "checking" not in result.output and "\r" not in result.output
