"""Issue 16, item 11: Chinese output never leaks English fragments.

Every rule message and fix title the fixtures, fix cases and examples produce, the tool
findings, and the report strings of the CLI (summaries, --statistics, --fix, --diff,
--add-noqa, baselines, JUnit) are rendered through the real CLI with ``--lang zh`` and
searched for English words. Allowed: code (any token with brackets, dots, '=', '/' ...,
and quoted spans), rule codes, CamelCase and upper-case names, and the API and library
names listed in ``ALLOWED`` below.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterable, List, Set

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent
EXE = shutil.which("concurlint", path=os.path.dirname(sys.executable))

# Lower-case words that are names in code, not English: keywords, modules, libraries,
# parameters and APIs that messages name without quoting them.
ALLOWED = {
    "async", "await", "for", "with", "lambda", "asyncio", "trio", "anyio", "gather", "maxsize",
    "finally", "aiohttp", "aiosmtplib", "aiomysql", "asyncmy", "aiosqlite", "aioftp", "asyncpg",
    "aiofiles", "motor", "pickle", "spawn", "stdin", "total", "connect", "future", "logging",
    "noqa", "concurlint", "flake8", "baseline", "json", "except", "else", "join", "put", "socket",
    "kB",  # a unit
}
CAPITALISED = {"Thread", "Future", "Task", "Python", "Telnet", "Queue", "Lock", "Event", "Semaphore"}
_QUOTED = re.compile("'[^'\n]*'|`[^`\n]*`|\"[^\"\n]*\"|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d")
_CODE_CHARS = re.compile(r"[()\[\]{}=._<>/*:@\\#%+|~^$-]|\d")
_WORD = re.compile(r"[A-Za-z]+")


def english_words(text: str) -> List[str]:
    """The words of ``text`` that look like untranslated English."""
    found = []
    for token in re.split(r"[\s,;!?\u3002\u3001\uff08\uff09\uff0c\uff1b\uff1a\uff01\uff1f]+", _QUOTED.sub(" ", text)):
        if not token or _CODE_CHARS.search(token):
            continue
        for word in _WORD.findall(token):
            if word in ALLOWED or word in CAPITALISED or word.isupper():
                continue
            if word[0].isupper() and any(c.isupper() for c in word[1:]):
                continue  # CamelCase: a class or exception name (KeyboardInterrupt)
            found.append(word)
    return found


def leaks(texts: Iterable[str]) -> Dict[str, List[str]]:
    return {text: words for text in sorted(set(texts)) for words in [english_words(text)] if words}


def cli(*args: str, cwd: Path = ROOT, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "zh"}
    return subprocess.run([EXE, *args, "--lang", "zh"] if args[0] in ("check", "rules") else [EXE, *args],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=600, input=stdin)


def test_the_detector_catches_the_reported_leaks_and_allows_code() -> None:
    assert english_words("'x' 在 'f' 中\uff0c该函数在线程中运行\uff08Thread(target=f) on line 25\uff09") == [
        "on", "line"]
    assert english_words("asyncio.gather(..., return_exceptions=True)\uff1aits result is thrown away\uff0c失败") == [
        "its", "result", "is", "thrown", "away"]
    assert english_words("请改用 aiofiles 或 'await asyncio.to_thread(...)'") == []
    assert english_words("async 函数中的 'except BaseException' 也会捕获 KeyboardInterrupt;CCY602") == []


def test_rule_messages_and_fix_titles_are_chinese() -> None:
    result = cli("check", "--isolated", "--no-cache", "--preset", "strict", "--output-format", "json",
                 "tests/fixtures", "tests/fix_cases", "examples")
    document = json.loads(result.stdout)
    codes = {f["code"] for f in document["findings"]}
    assert len(codes) >= 40  # the corpus exercises (almost) every rule
    texts: Set[str] = set()
    for finding in document["findings"]:
        texts.add(finding["message"])
        if finding["fix"]:
            texts.add(finding["fix"]["title"])
    assert leaks(texts) == {}


def test_rule_summaries_are_chinese() -> None:
    rules = json.loads(cli("rules", "--output-format", "json").stdout)
    assert leaks(rule["summary"] for rule in rules) == {}


def test_tool_findings_and_report_strings_are_chinese(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("async def f(:\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "big.py").write_text("import time\nasync def f():\n    time.sleep(1)\n" + "x = 1\n" * 400)
    (tmp_path / "nb.ipynb").write_text("[]")
    (tmp_path / "svc.py").write_text("import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n"
                                     "    time.sleep(2)\n    asyncio.sleep(3)\n")
    outputs: List[str] = []

    def run(*args: str) -> None:
        done = cli("check", "--isolated", "--no-cache", *args, cwd=tmp_path)
        assert "Traceback" not in done.stderr
        outputs.extend(done.stdout.splitlines() + done.stderr.splitlines())

    run("--max-file-size", "1000", "--statistics", ".")
    run("--output-format", "concise", "svc.py")
    run("--diff", "svc.py")
    run("--output-format", "junit", "svc.py")
    run("--write-baseline", "base.json", "svc.py")
    run("--baseline", "base.json", "svc.py")
    run("--output-file", "out.json", "--output-format", "json", "svc.py")
    run("--fix", "svc.py")
    run("--add-noqa", "svc.py")
    run("svc.py")
    # The report's own lines, not the code it quotes (full format excerpts, diffs, XML).
    texts = [line.split(": ", 1)[-1] for line in outputs
             if not line.startswith(("  |", "---", "+++", "@@", " ", "+", "-", "<", "{", "}", "\""))
             and not re.match(r"^\d+ \|", line)]
    (tmp_path / "two.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\n")
    junit = cli("check", "--isolated", "--no-cache", "--output-format", "junit", "two.py", cwd=tmp_path).stdout
    failures = ET.fromstring(junit.encode("utf-8")).iter("failure")
    texts += [part for failure in failures for part in [failure.get("message") or ""] + (failure.text or "").split("\n")]
    assert any("个问题" in t for t in texts) and any("无法读取" in t for t in texts)
    assert any("另有" in t for t in texts)
    assert leaks(texts) == {}
