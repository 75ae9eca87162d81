"""CCY6 (exceptions and cancellation): rule examples, messages and look-alikes."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import pytest

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.findings import Finding
from concurlint.rules import exceptions
from concurlint.source import decode_source

RULES = exceptions.RULES


def findings(text: str, select: Sequence[str] = ("CCY6",)) -> List[Finding]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return result.findings


def codes(text: str, select: Sequence[str] = ("CCY6",)) -> List[Tuple[int, str]]:
    return [(f.line, f.code) for f in findings(text, select)]


def test_family_is_complete() -> None:
    assert [r.code for r in RULES] == ["CCY601", "CCY602", "CCY603", "CCY604"]
    assert all(r.default_on for r in RULES)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docs_are_bilingual(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why):
        assert text.en and text.zh, rule.code
    assert rule.example and rule.use_instead


# --------------------------------------------------------------------------- CCY601
GATHER = "import asyncio\nasync def f(a, b, log):\n    rs = await asyncio.gather(a, b, return_exceptions=True)\n"


@pytest.mark.parametrize("tail, flagged", [
    ("    return rs\n", False),
    ("    log.info(rs)\n", False),
    ("    for r in rs:\n        if isinstance(r, Exception):\n            raise r\n", False),
    ("    bad = [r for r in rs if isinstance(r, BaseException)]\n    return bad\n", False),
    ("    first = rs[0]\n    print(first)\n", False),
    ("    print(len(rs))\n", True),
    ("    for r in rs:\n        total = r + 1\n", True),
    ("    pass\n", True),
])
def test_gather_results_followed(tail: str, flagged: bool) -> None:
    assert bool(codes(GATHER + tail)) is flagged


def test_gather_without_return_exceptions_or_unawaited() -> None:
    assert codes("import asyncio\nasync def f(a):\n    await asyncio.gather(a, return_exceptions=False)\n") == []
    # un-awaited and discarded: that is CCY103, not CCY601
    assert codes("import asyncio\nasync def f(a):\n    asyncio.gather(a, return_exceptions=True)\n",
                 ["CCY1", "CCY6"]) == [(3, "CCY103")]


# --------------------------------------------------------------------------- CCY602
def test_cancellation_message_and_position() -> None:
    text = ("import asyncio\nasync def worker(q):\n    try:\n        await q.get()\n"
            "    except asyncio.CancelledError:\n        pass\n")
    [finding] = findings(text)
    assert (finding.start.line, finding.start.column) == (5, 5)
    assert "'worker'" in finding.message.en and "raise" in finding.message.en


@pytest.mark.parametrize("handler, flagged", [
    ("except asyncio.CancelledError:\n        pass\n", True),
    ("except (OSError, asyncio.CancelledError):\n        return\n", True),
    ("except BaseException as e:\n        log.error(e)\n", True),
    ("except:\n        pass\n", True),
    ("except Exception:\n        pass\n", False),
    ("except asyncio.CancelledError:\n        cleanup()\n        raise\n", False),
    ("except BaseException as e:\n        raise Wrapped() from e\n", False),
    ("except BaseException as e:\n        fut.set_exception(e)\n", False),
    ("except BaseException as e:\n        errors.append(e)\n", False),
    ("except asyncio.CancelledError:\n        pytest.fail('cancelled')\n", False),
])
def test_cancellation_handlers(handler: str, flagged: bool) -> None:
    text = ("import asyncio\nimport pytest\nasync def f(coro, log, fut, errors, cleanup, Wrapped):\n"
            "    try:\n        await coro\n    " + handler)
    assert bool(codes(text)) is flagged


def test_awaiting_a_task_this_function_cancelled() -> None:
    text = ("import asyncio\nclass S:\n    async def stop(self, tasks):\n"
            "        self._t.cancel()\n        try:\n            await self._t\n"
            "        except asyncio.CancelledError:\n            pass\n"
            "        for t in tasks:\n            t.cancel()\n"
            "        try:\n            await asyncio.gather(*tasks)\n"
            "        except asyncio.CancelledError:\n            pass\n"
            "        try:\n            await self._other\n"
            "        except asyncio.CancelledError:\n            pass\n")
    assert codes(text) == [(17, "CCY602")]


def test_cancellation_not_applied_in_sync_functions() -> None:
    assert codes("def f():\n    try:\n        pass\n    except BaseException:\n        pass\n") == []


# --------------------------------------------------------------------------- CCY603 / CCY604
def test_task_names_followed() -> None:
    text = ("import asyncio\nasync def f(c, d, e, g):\n"
            "    a = asyncio.create_task(c)\n"
            "    b = asyncio.create_task(d)\n    alias = b\n    await alias\n"
            "    x = asyncio.create_task(e)\n    x.get_name()\n"
            "    y = asyncio.create_task(g)\n    y.cancel()\n")
    assert codes(text) == [(3, "CCY603"), (7, "CCY603")]


def test_module_level_task_is_not_ccy603() -> None:
    assert codes("import asyncio\nasync def w():\n    pass\nt = asyncio.ensure_future(w())\n") == []


def test_executor_future_bound_method_passed_counts() -> None:
    text = ("from concurrent.futures import ThreadPoolExecutor\nimport asyncio\n"
            "async def f(job):\n    with ThreadPoolExecutor() as ex:\n"
            "        fut = ex.submit(job)\n        return await asyncio.to_thread(fut.result)\n")
    assert codes(text) == []


def test_executor_annotation_and_self_attribute() -> None:
    text = ("from concurrent.futures import Executor, ThreadPoolExecutor\n"
            "def f(ex: Executor, job):\n    ex.submit(job)\n"
            "class R:\n    def __init__(self):\n        self.pool = ThreadPoolExecutor()\n"
            "    def go(self, job):\n        self.pool.map(job, [1])\n")
    assert codes(text) == [(3, "CCY604"), (8, "CCY604")]
