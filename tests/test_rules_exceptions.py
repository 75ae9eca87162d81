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


# --------------------------------------------------------------------------- revision 2
def test_catch_all_message_asks_for_except_exception() -> None:
    text = "import asyncio\nasync def f(g):\n    try:\n        await g()\n    except BaseException:\n        pass\n"
    [finding] = findings(text)
    assert "catch 'Exception'" in finding.message.en and "'raise'" not in finding.message.en
    assert "KeyboardInterrupt" in finding.message.en


@pytest.mark.parametrize("imports, clause, name", [
    ("import asyncio", "asyncio.CancelledError", "asyncio.CancelledError"),
    ("import trio", "trio.Cancelled", "trio.Cancelled"),
    ("from anyio import get_cancelled_exc_class", "get_cancelled_exc_class()",
     "anyio.get_cancelled_exc_class()"),
])
def test_cancellation_message_names_the_library(imports: str, clause: str, name: str) -> None:
    text = f"{imports}\nasync def f(g):\n    try:\n        await g()\n    except {clause}:\n        pass\n"
    [finding] = findings(text)
    assert f"({name})" in finding.message.en and f"'except {clause}'" in finding.message.en


def test_tuple_clause_is_quoted_whole() -> None:
    text = ("import asyncio\nasync def f(g):\n    try:\n        await g()\n"
            "    except (OSError, asyncio.CancelledError):\n        pass\n")
    [finding] = findings(text)
    assert "'except (OSError, asyncio.CancelledError)'" in finding.message.en


@pytest.mark.parametrize("starter", [
    "asyncio.create_task(poll())", "asyncio.ensure_future(poll())",
    "loop.create_task(poll())", "hass.async_create_task(poll())", "asyncio.run(poll())",
])
def test_task_boundary_in_every_preset(starter: str) -> None:
    text = ("import asyncio\nasync def poll():\n    try:\n        await asyncio.sleep(1)\n"
            "    except asyncio.CancelledError:\n        return\n"
            f"def start(loop, hass):\n    return {starter}\n")
    for preset_codes in (("CCY6",), ("CCY602",)):
        assert codes(text, preset_codes) == []


def test_task_boundary_needs_every_reference_to_start_a_task() -> None:
    text = ("import asyncio\nasync def poll():\n    try:\n        await asyncio.sleep(1)\n"
            "    except asyncio.CancelledError:\n        return\n"
            "def start():\n    return asyncio.create_task(poll())\n"
            "async def inline():\n    await poll()\n")
    assert codes(text) == [(5, "CCY602")]


def test_shadowed_catch_all_catches_no_cancellation() -> None:
    text = ("import asyncio\nasync def f(g, log):\n    try:\n        await g()\n"
            "    except asyncio.CancelledError:\n        raise\n    except BaseException:\n        log.exception('x')\n")
    assert codes(text) == []


def test_ensure_future_of_an_existing_future_is_not_a_task() -> None:
    text = ("import asyncio\nasync def f(fut, loop, work):\n    a = asyncio.ensure_future(fut)\n"
            "    b = asyncio.ensure_future(loop.run_in_executor(None, work))\n"
            "    c = asyncio.ensure_future(work())\n")
    assert codes(text) == [(5, "CCY603")]


# --------------------------------------------------------------------------- CCY602 default form
CATCH_ALLS = """import asyncio
async def named(g):
    try:
        await g()
    except asyncio.CancelledError:
        pass
async def in_tuple(g):
    try:
        await g()
    except (OSError, asyncio.CancelledError):
        return None
async def bare(g):
    try:
        await g()
    except:
        pass
async def base(g, log):
    try:
        await g()
    except BaseException:
        log.exception('failed')
async def base_in_tuple(g):
    try:
        await g()
    except (OSError, BaseException):
        return None
async def after_exits(g, log):
    try:
        await g()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        log.exception('failed')
async def named_before_base(g, log):
    try:
        await g()
    except asyncio.CancelledError:
        return None
    except BaseException:
        log.exception('failed')
"""


def test_default_form_of_ccy602_reports_only_clauses_naming_the_cancellation() -> None:
    def lines(**overrides: Any) -> List[int]:
        settings = load_settings(isolated=True, overrides=overrides)
        result = check_source(decode_source(CATCH_ALLS.encode(), "worker.py"), settings)
        assert not result.tracebacks, result.tracebacks
        return [f.line for f in result.findings if f.code == "CCY602"]

    # the clause naming the cancellation, alone or in a tuple (the catch-all after it is shadowed)
    assert lines() == [5, 10, 37]
    # strict/learn and the rule chosen by code: the catch-alls too
    every = [5, 10, 15, 20, 25, 32, 37]
    assert lines(preset="strict") == every
    assert lines(preset="learn") == every
    assert lines(select=["CCY602"]) == every
    assert lines(**{"extend-select": ["CCY602"]}) == every


def test_catch_all_after_the_process_exits_says_what_it_catches() -> None:
    head = "import asyncio\nasync def f(g, log):\n    try:\n        await g()\n"
    tail = "    except BaseException:\n        log.exception('failed')\n"
    [both] = findings(head + "    except (SystemExit, KeyboardInterrupt):\n        raise\n" + tail)
    assert "also catches the task's cancellation (asyncio.CancelledError) and does not re-raise it" \
        in both.message.en
    assert "KeyboardInterrupt" not in both.message.en and "SystemExit" not in both.message.en
    assert "KeyboardInterrupt" not in both.message.zh and "SystemExit" not in both.message.zh
    assert "catch 'Exception'" in both.message.en
    # two separate clauses, whatever they do, take the exits as well
    [split] = findings(head + "    except KeyboardInterrupt:\n        return\n"
                       "    except SystemExit:\n        raise\n" + tail)
    assert "KeyboardInterrupt" not in split.message.en and "SystemExit" not in split.message.en
    [one] = findings(head + "    except KeyboardInterrupt:\n        return\n" + tail)
    assert "(asyncio.CancelledError) and SystemExit, and does not re-raise them" in one.message.en
    assert "KeyboardInterrupt" not in one.message.en and "SystemExit" in one.message.zh
    [none] = findings(head + "    except OSError:\n        return\n" + tail)
    assert "(asyncio.CancelledError), KeyboardInterrupt and SystemExit" in none.message.en


@pytest.mark.parametrize("earlier, flagged", [
    ("    except (SystemExit, KeyboardInterrupt):\n            raise\n", False),
    ("    except KeyboardInterrupt:\n            raise\n", True),
    ("", True),
])
def test_catch_all_after_the_exits_is_a_task_boundary_like_a_named_clause(earlier: str, flagged: bool) -> None:
    text = ("import asyncio\nclass Acceptor:\n    def __init__(self, loop):\n        self._loop = loop\n"
            "    def on_ready(self, conn):\n        job = self._setup(conn)\n        self._loop.create_task(job)\n"
            "    async def _setup(self, conn):\n        try:\n            await conn.handshake()\n"
            + "".join("    " + line + "\n" for line in earlier.splitlines())
            + "        except BaseException as exc:\n            print(exc)\n")
    assert bool(codes(text, ["CCY602"])) is flagged


@pytest.mark.parametrize("body, flagged", [
    ("state.set_exception(sys.exc_info())", False),
    ("state.error = sys.exc_info()[1]", False),
    ("state.errors.append(sys.exception())", False),
    ("info = sys.exc_info()\n        state.set_exception(info)", False),
    ("typ, exc, tb = sys.exc_info()\n        return exc", False),
    ("info = sys.exc_info()\n        log.warning('failed: %s', info[0])", True),
    ("traceback.print_exception(*sys.exc_info())", True),
    ("log.error('failed', exc_info=sys.exc_info())", True),
])
def test_exception_handed_on_through_sys_exc_info(body: str, flagged: bool) -> None:
    text = ("import asyncio\nimport sys\nimport traceback\nasync def f(g, state, log):\n"
            f"    try:\n        await g()\n    except BaseException:\n        {body}\n")
    assert bool(codes(text, ["CCY602"])) is flagged
