"""CCY5 (timeouts): rule examples, timeout parameter positions, session defaults."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import libcst as cst
import pytest

from concurlint.apis.timeouts import NETWORK_TIMEOUT_DEFAULTED, NETWORK_TIMEOUT_REQUIRED
from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.rules import timeouts
from concurlint.source import decode_source

RULES = timeouts.RULES


def codes(text: str, select: Sequence[str] = ("CCY5",)) -> List[Tuple[int, str]]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.code) for f in result.findings]


def test_family_is_complete() -> None:
    assert [(r.code, r.default_on) for r in RULES] == [
        ("CCY501", False), ("CCY502", False), ("CCY503", False), ("CCY504", False)]


def test_off_rules_are_not_in_the_default_set() -> None:
    settings = load_settings(isolated=True)
    enabled = settings.enabled_codes()
    assert not {"CCY501", "CCY502", "CCY503", "CCY504"} & set(enabled)
    assert {"CCY501", "CCY502", "CCY503", "CCY504"} <= load_settings(
        isolated=True, overrides={"preset": "strict"}).enabled_codes()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_docs(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why, rule.fix_safety):
        assert text.en and text.zh
    cst.parse_module(rule.example)
    cst.parse_module(rule.use_instead)
    assert rule.code in {c for _, c in codes(rule.example, select=[rule.code])}
    assert not codes(rule.use_instead, select=[rule.code])


@pytest.mark.parametrize("call,flagged", [
    # urlopen(url, data=None, timeout=...)
    ("urllib.request.urlopen(u)", True),
    ("urllib.request.urlopen(u, None)", True),
    ("urllib.request.urlopen(u, None, 5)", False),
    ("urllib.request.urlopen(u, timeout=None)", True),
    # smtplib.SMTP(host, port, local_hostname, timeout)
    ("smtplib.SMTP(h, 25, None)", True),
    ("smtplib.SMTP(h, 25, None, 10)", False),
    ("smtplib.SMTP(h, timeout=10)", False),
    # socket.create_connection(address, timeout)
    ("socket.create_connection((h, 80))", True),
    ("socket.create_connection((h, 80), 2)", False),
    ("socket.create_connection((h, 80), None)", True),
    # ftplib.FTP(host, user, passwd, acct, timeout)
    ("ftplib.FTP(h, 'u', 'p', '')", True),
    ("ftplib.FTP(h, 'u', 'p', '', 30)", False),
    ("ftplib.FTP()", False),
    # requests: keyword only
    ("requests.get(u)", True),
    ("requests.get(u, timeout=(3, 10))", False),
    ("requests.get(u, **kw)", False),
    ("requests.Session().get(u)", True),
    # httpx defaults to 5 s
    ("httpx.get(u)", False),
    ("httpx.get(u, timeout=None)", True),
    ("httpx.Client()", False),
    ("httpx.AsyncClient(timeout=httpx.Timeout(None))", True),
    ("httpx.AsyncClient(timeout=httpx.Timeout(10))", False),
])
def test_timeout_positions(call: str, flagged: bool) -> None:
    text = ("import ftplib, smtplib, socket, urllib.request\nimport httpx, requests\n"
            f"def f(u, h, kw):\n    return {call}\n")
    assert (codes(text, select=["CCY501"]) == [(4, "CCY501")]) is flagged


def test_httpx_client_with_timeout_covers_its_calls() -> None:
    text = ("import httpx\n"
            "client = httpx.Client(timeout=10)\n"
            "def f(u):\n    return client.get(u)\n")
    assert codes(text, select=["CCY501"]) == []


def test_requests_session_has_no_default() -> None:
    text = ("import requests\n"
            "class C:\n"
            "    def __init__(self):\n        self.s = requests.Session()\n"
            "    def f(self, u):\n        return self.s.get(u)\n")
    assert codes(text, select=["CCY501"]) == [(6, "CCY501")]


def test_requests_in_test_helper_with_mocked_transport_is_still_flagged() -> None:
    text = ("import requests\nfrom unittest import mock\n"
            "def fetch_for_test(url):\n"
            "    with mock.patch('requests.adapters.HTTPAdapter.send'):\n"
            "        return requests.get(url)\n")
    assert codes(text, select=["CCY501"]) == [(5, "CCY501")]


def test_tables_have_keyword_names() -> None:
    for table in (NETWORK_TIMEOUT_REQUIRED, NETWORK_TIMEOUT_DEFAULTED):
        for name, (position, keyword) in table.items():
            assert keyword == "timeout", name
            assert position is None or position >= 0


def test_ccy504_only_outside_async_code() -> None:
    text = ("import threading\n"
            "t = threading.Thread(target=print)\n"
            "async def f():\n    t.join()\n"
            "def g():\n    t.join()\n")
    assert codes(text, select=["CCY504"]) == [(6, "CCY504")]



def test_socket_based_clients_mention_the_process_default_timeout() -> None:
    text = ("import urllib.request\nimport requests\n\n\ndef fetch(url):\n"
            "    urllib.request.urlopen(url)\n    return requests.get(url)\n")
    settings = load_settings(isolated=True, overrides={"select": ["CCY501"]})
    found = check_source(decode_source(text.encode(), "fetch.py"), settings).findings
    messages = {f.line: f.message.en for f in found}
    assert "unless socket.setdefaulttimeout() set one" in messages[6]
    assert "setdefaulttimeout" not in messages[7]  # requests never uses the process default
