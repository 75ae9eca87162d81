"""CCY7 (resource lifecycle): rule examples and ownership decisions."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import libcst as cst
import pytest

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.rules import resources
from concurlint.source import decode_source

RULES = resources.RULES


def codes(text: str, select: Sequence[str] = ("CCY7",)) -> List[Tuple[int, str]]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.code) for f in result.findings]


def test_family_is_complete() -> None:
    assert [r.code for r in RULES] == ["CCY701", "CCY702", "CCY703", "CCY704"]
    assert all(r.default_on for r in RULES)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_docs(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why, rule.fix_safety):
        assert text.en and text.zh
    cst.parse_module(rule.example)
    cst.parse_module(rule.use_instead)
    assert rule.code in {c for _, c in codes(rule.example, select=[rule.code])}
    assert not codes(rule.use_instead, select=[rule.code])


def _in_function(body: str) -> str:
    lines = "\n".join("    " + line for line in body.splitlines())
    return "import asyncio, atexit, requests\nfrom concurrent.futures import ThreadPoolExecutor\n" \
           f"def f(url, registry, other):\n{lines}\n"


@pytest.mark.parametrize("body,flagged", [
    ("s = requests.Session()\ns.get(url)", True),
    ("s = requests.Session()\ns.close()", False),
    ("s = requests.Session()\nreturn s", False),
    ("s = requests.Session()\nyield s", False),
    ("s = requests.Session()\nregistry['x'] = s", False),
    ("s = requests.Session()\nregistry.append(s)", False),
    ("s = requests.Session()\nother.session = s", False),
    ("s = requests.Session()\nother(s)", False),
    ("s = requests.Session()\nother(session=s)", False),
    ("s = requests.Session()\nprint(s)", True),
    ("s = requests.Session()\natexit.register(s.close)", False),
    ("s = requests.Session()\nwith s:\n    s.get(url)", False),
    ("s = requests.Session()\nt = s", False),
])
def test_client_ownership(body: str, flagged: bool) -> None:
    assert (codes(_in_function(body), select=["CCY701"]) == [(4, "CCY701")]) is flagged


@pytest.mark.parametrize("body,flagged", [
    ("loop = asyncio.new_event_loop()\nasyncio.set_event_loop(loop)", True),
    ("loop = asyncio.new_event_loop()\nother(loop)", False),
    ("loop = asyncio.new_event_loop()\natexit.register(loop.close)", False),
    ("loop = asyncio.new_event_loop()\ntry:\n    pass\nfinally:\n    loop.close()", False),
])
def test_event_loop_ownership(body: str, flagged: bool) -> None:
    assert (codes(_in_function(body), select=["CCY704"]) == [(4, "CCY704")]) is flagged


def test_executor_passed_to_run_in_executor_is_not_handed_on() -> None:
    body = ("ex = ThreadPoolExecutor(2)\n"
            "loop = asyncio.get_event_loop()\n"
            "loop.run_in_executor(ex, print)")
    assert codes(_in_function(body), select=["CCY703"]) == [(4, "CCY703")]


def test_module_level_resources_are_not_flagged() -> None:
    text = ("import asyncio, requests\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "SESSION = requests.Session()\nPOOL = ThreadPoolExecutor(4)\nLOOP = asyncio.new_event_loop()\n")
    assert codes(text) == []


def test_per_request_and_unclosed_are_both_reported() -> None:
    text = ("import requests\n"
            "def f(urls):\n"
            "    for u in urls:\n"
            "        s = requests.Session()\n"
            "        s.get(u, timeout=5)\n")
    assert codes(text) == [(4, "CCY701"), (4, "CCY702")]
