"""CCY4 (backpressure and fan-out): rule examples, queue bounds, fan-out sizes and limits."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import libcst as cst
import pytest

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.rules import backpressure
from concurlint.semantics.callees import GIVEN, MISSING, UNKNOWN, argument, number_value
from concurlint.source import decode_source

RULES = backpressure.RULES


def codes(text: str, select: Sequence[str] = ("CCY4",)) -> List[Tuple[int, str]]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.code) for f in result.findings]


def test_family_is_complete() -> None:
    assert [r.code for r in RULES] == ["CCY401", "CCY402", "CCY403"]
    # catalog revision 2: the round-1 breadth is best practice (advice, strict/learn only);
    # the narrowed form of unbounded queues passed admission and is in the default set
    assert [r.group for r in RULES] == ["advice", "advice", "suspicious"]
    assert [r.default_on for r in RULES] == [False, False, True]


def test_advice_rules_run_in_strict_and_learn_only() -> None:
    text = "import asyncio\nasync def crawl(urls):\n    q = asyncio.Queue()\n" \
           "    await asyncio.gather(*(fetch(u) for u in urls))\n    return q\n"
    for preset, expected in (("default", []), ("strict", [(3, "CCY401"), (4, "CCY402")]),
                             ("learn", [(3, "CCY401"), (4, "CCY402")])):
        settings = load_settings(isolated=True, overrides={"preset": preset})
        result = check_source(decode_source(text.encode(), "example.py"), settings)
        assert sorted((f.line, f.code) for f in result.findings if f.code.startswith("CCY4")) == expected


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_docs_are_bilingual_and_parse(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why, rule.fix_safety):
        assert text.en and text.zh
    for snippet in (rule.example, rule.use_instead):
        cst.parse_module(snippet)
    assert rule.code in {c for _, c in codes(rule.example, select=[rule.code])}
    assert not codes(rule.use_instead, select=[rule.code])


# --------------------------------------------------------------------------- CCY401
@pytest.mark.parametrize("call,flagged", [
    ("asyncio.Queue()", True),
    ("asyncio.Queue(0)", True),
    ("asyncio.Queue(maxsize=-5)", True),
    ("asyncio.Queue(maxsize=0.0)", True),
    ("asyncio.Queue(1)", False),
    ("asyncio.Queue(maxsize=n)", False),
    ("asyncio.Queue(maxsize=n * 2)", False),
    ("asyncio.Queue(*args)", False),
    ("asyncio.Queue(**kw)", False),
    ("queue.SimpleQueue()", True),
    ("multiprocessing.JoinableQueue(10)", False),
])
def test_queue_bounds(call: str, flagged: bool) -> None:
    text = f"import asyncio, queue, multiprocessing\ndef f(n, args, kw):\n    return {call}\n"
    assert (codes(text, select=["CCY401"]) == [(3, "CCY401")]) is flagged


def test_queue_subclass_and_shadowing_not_flagged() -> None:
    text = ("import asyncio\n"
            "class Jobs(asyncio.Queue):\n    pass\n"
            "def f(asyncio):\n    return asyncio.Queue()\n"
            "j = Jobs()\n")
    assert codes(text, select=["CCY401"]) == []


# --------------------------------------------------------------------------- CCY402 sizes
@pytest.mark.parametrize("iterable,flagged", [
    ("urls", True),
    ("self.urls", True),
    ("load()", True),
    ("[u for u in urls]", True),
    ("['a', 'b']", False),
    ("('a', 'b')", False),
    ("range(3)", False),
    ("range(100)", False),
    ("range(101)", True),
    ("range(0, 200, 2)", False),
    ("range(n)", False),
    ("['u'] * 20", False),
    ("['u'] * 500", True),
    ("urls[:10]", False),
    ("urls[5:20]", False),
    ("urls[-3:]", False),
    ("urls[:1000]", True),
    ("urls[10:]", True),
    ("enumerate(['a', 'b'])", False),
    ("enumerate(urls)", True),
    ("zip(urls, range(5))", False),
    ("{'a': 1}.values()", False),
    ("sorted(urls)", True),
])
def test_fan_out_sizes(iterable: str, flagged: bool) -> None:
    text = ("import asyncio\n"
            f"async def crawl(self, urls, load, n):\n"
            f"    await asyncio.gather(*(fetch(u) for u in {iterable}))\n")
    assert (codes(text, select=["CCY402"]) == [(3, "CCY402")]) is flagged


def test_local_name_bound_once_to_known_size() -> None:
    text = ("import asyncio\n"
            "async def crawl():\n"
            "    urls = ['u'] * 20\n"
            "    for u in urls:\n"
            "        asyncio.create_task(fetch(u))\n")
    assert codes(text) == []


def test_semaphore_in_called_coroutine_transitively() -> None:
    text = ("import asyncio\n"
            "class Mirror:\n"
            "    def __init__(self):\n"
            "        self._sem = asyncio.Semaphore(4)\n"
            "    async def _request(self, u):\n"
            "        async with self._sem:\n"
            "            return u\n"
            "    async def _get(self, u):\n"
            "        return await self._request(u)\n"
            "    async def run(self, urls):\n"
            "        await asyncio.gather(*(self._get(u) for u in urls))\n")
    assert codes(text) == []


def test_semaphore_argument_counts_as_limit() -> None:
    text = ("import asyncio\n"
            "async def run(urls, limiter):\n"
            "    await asyncio.gather(*(fetch(limiter, u) for u in urls))\n")
    assert codes(text) == []


def test_unrelated_lock_does_not_limit() -> None:
    text = ("import asyncio\n"
            "lock = asyncio.Lock()\n"
            "async def fetch(u):\n"
            "    async with lock:\n"
            "        pass\n"
            "    return u\n"
            "async def run(urls):\n"
            "    await asyncio.gather(*(fetch(u) for u in urls))\n")
    assert codes(text) == [(8, "CCY402")]


def test_one_finding_for_tasks_gathered_later() -> None:
    text = ("import asyncio\n"
            "async def run(urls):\n"
            "    tasks = [asyncio.create_task(fetch(u)) for u in urls]\n"
            "    await asyncio.gather(*tasks)\n")
    assert codes(text) == [(3, "CCY402")]


def test_executor_submit_is_not_fan_out() -> None:
    text = ("from concurrent.futures import ThreadPoolExecutor\n"
            "def run(urls):\n"
            "    with ThreadPoolExecutor(8) as ex:\n"
            "        for u in urls:\n"
            "            ex.submit(print, u)\n")
    assert codes(text) == []


# --------------------------------------------------------------------------- shared helpers
def _call(text: str) -> cst.Call:
    expr = cst.parse_expression(text)
    assert isinstance(expr, cst.Call)
    return expr


def test_argument_by_position_and_keyword() -> None:
    assert argument(_call("f(a, b, 3)"), 2, "timeout")[0] == GIVEN
    assert argument(_call("f(a, timeout=3)"), 2, "timeout")[0] == GIVEN
    assert argument(_call("f(a, b)"), 2, "timeout") == (MISSING, None)
    assert argument(_call("f(a, **kw)"), 2, "timeout") == (UNKNOWN, None)
    assert argument(_call("f(*args)"), 2, "timeout") == (UNKNOWN, None)
    assert argument(_call("f(*args)"), None, "timeout") == (MISSING, None)


def test_number_value() -> None:
    assert number_value(cst.parse_expression("-1")) == -1
    assert number_value(cst.parse_expression("1_000")) == 1000
    assert number_value(cst.parse_expression("n")) is None


# --------------------------------------------------------------------------- semantics/callees
def _probe_definitions(text: str) -> List[Tuple[str, str, str]]:
    """(call source, name of the def it refers to, kind of its defining scope) for every call."""
    from concurlint.semantics.callees import definition_of, function_scope
    from concurlint.semantics.context import Context
    from concurlint.semantics.traversal import Dispatcher, walk

    module = cst.parse_module(text)
    ctx = Context(module, "probe.py", load_settings(isolated=True))
    seen: List[Tuple[str, str, str]] = []

    class Probe:
        code = "PROBE"

        def visit_Call(self, node: cst.Call) -> None:
            found = definition_of(ctx, node.func)
            if found is not None:
                definition, owner = found
                scope = function_scope(ctx, definition, owner)
                assert function_scope(ctx, definition, owner) is scope  # memoised
                seen.append((module.code_for_node(node.func), definition.name.value, owner.kind))

    walk(module, ctx, Dispatcher([Probe()]))
    return seen


def test_definition_of_finds_module_nested_and_method_defs() -> None:
    text = ("def top():\n    pass\n"
            "class C:\n"
            "    def m(self):\n        pass\n"
            "    def run(self):\n"
            "        def inner():\n            pass\n"
            "        top(); inner(); self.m(); other.m(); print()\n")
    assert _probe_definitions(text) == [
        ("top", "top", "module"), ("inner", "inner", "function"), ("self.m", "m", "class")]


def test_definition_of_ignores_shadowed_and_rebound_names() -> None:
    text = ("def f():\n    pass\n"
            "def g(f):\n    f()\n"
            "def h():\n    pass\n"
            "h = wrap(h)\n"
            "h()\n")
    assert _probe_definitions(text) == []


# --------------------------------------------------------------------------- revision 2 messages
def messages(text: str, select: Sequence[str] = ("CCY4",)) -> List[str]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    return [f.message.en if hasattr(f.message, "en") else str(f.message) for f in result.findings]


@pytest.mark.parametrize("header,starter,limiter", [
    ("import trio", "async with trio.open_nursery() as n:", "trio.CapacityLimiter"),
    ("import anyio", "async with anyio.create_task_group() as n:", "anyio.CapacityLimiter"),
    ("import asyncio", "async with asyncio.TaskGroup() as n:", "asyncio.Semaphore"),
])
def test_limiter_advice_follows_the_async_library(header: str, starter: str, limiter: str) -> None:
    start = "n.start_soon(fetch, u)" if "asyncio" not in header else "n.create_task(fetch(u))"
    text = (f"{header}\nasync def fetch(u):\n    await other(u)\n"
            f"async def crawl(urls):\n    {starter}\n        for u in urls:\n            {start}\n")
    (message,) = messages(text)
    assert limiter in message and "in 'fetch'" in message
    if "asyncio" not in header:
        assert "asyncio" not in message


def test_callee_outside_the_project_is_wrapped_not_edited() -> None:
    text = ("import asyncio\nasync def sync_all(hass, ids):\n"
            "    await asyncio.gather(*(hass.services.async_call('d', 's', {'id': i}) for i in ids))\n")
    (message,) = messages(text)
    assert "wrap each 'hass.services.async_call' call in 'async with <asyncio.Semaphore>'" in message
    assert "acquire" not in message


def test_stream_is_described_as_received_items() -> None:
    text = ("import asyncio\nasync def serve(conns, handle):\n"
            "    async for c in conns:\n        asyncio.create_task(handle(c))\n")
    (message,) = messages(text)
    assert "every item received from 'conns'" in message


def test_simple_queue_advice_never_names_a_missing_maxsize() -> None:
    text = ("import queue, attr\nq = queue.SimpleQueue()\n"
            "@attr.s\nclass Job:\n    reply = attr.ib(factory=queue.SimpleQueue)\n")
    found = messages(text, select=["CCY401"])
    assert len(found) == 2
    assert not any("SimpleQueue(maxsize" in m for m in found)
    assert all("queue.Queue(maxsize=<bound>)" in m for m in found)


def test_put_nowait_producers_are_not_told_put_waits() -> None:
    text = ("import asyncio\nclass P(asyncio.Protocol):\n    def __init__(self):\n"
            "        self.q = asyncio.Queue()\n    def data_received(self, data):\n"
            "        self.q.put_nowait(data)\n")
    (message,) = messages(text, select=["CCY401"])
    assert "put_nowait()" in message and "QueueFull" in message and "so that put() waits" not in message


def test_limiter_follows_the_api_that_starts_the_work() -> None:
    # a module importing several libraries: asyncio.gather takes asyncio's semaphore, a task
    # group of unknown type the module's library
    text = ("import asyncio, anyio\nasync def a(urls, fetch):\n"
            "    await asyncio.gather(*(fetch(u) for u in urls))\n"
            "async def b(urls, fetch, tg):\n    for u in urls:\n        tg.start_soon(fetch, u)\n")
    first, second = messages(text)
    assert "asyncio.Semaphore" in first and "anyio.CapacityLimiter" in second


def test_constant_sizes_of_project_modules() -> None:
    from concurlint.semantics.project import _constant_sizes

    text = ("PLATFORMS = [\n    'a',  # ] not the end\n    'b]',\n]\nMAP: dict = {'x': 1}\n"
            "ALL = frozenset({'a', 'b', 'c'})\nGROWN = ['a']\nGROWN.append('b')\nEMPTY = []\n"
            "STARRED = [*PLATFORMS, 'c']\nTWICE = (1,)\nTWICE = (1, 2)\nlower = [1, 2]\n")
    assert _constant_sizes(text, "pkg.const") == {"pkg.const.PLATFORMS": 2, "pkg.const.MAP": 1,
                                                  "pkg.const.ALL": 3}


# --------------------------------------------------------------------------- CCY403
PUMP = ("import asyncio\nclass Conn:\n    def __init__(self):\n        self.inbox = asyncio.Queue()\n"
        "    async def pump(self, receive):\n        while True:\n            event = await receive()\n"
        "            await self.inbox.put(event)\n")


@pytest.mark.parametrize("preset,expected", [
    ("default", [(4, "CCY403")]),
    ("strict", [(4, "CCY403")]),  # one root cause, one finding: not CCY401 as well
    ("learn", [(4, "CCY403")]),
])
def test_queue_fed_by_input_is_one_default_finding(preset: str, expected: List[Tuple[int, str]]) -> None:
    settings = load_settings(isolated=True, overrides={"preset": preset})
    result = check_source(decode_source(PUMP.encode(), "example.py"), settings)
    assert [(f.line, f.code) for f in result.findings] == expected
    assert "fills it from a loop that waits for input" in result.findings[0].message.en


def test_queue_fed_by_input_falls_back_to_ccy401_when_ignored() -> None:
    assert codes(PUMP, select=["CCY401"]) == [(4, "CCY401")]
    assert codes(PUMP, select=["CCY403"]) == [(4, "CCY403")]


@pytest.mark.parametrize("loop,flagged", [
    ("async for event in stream:\n            await self.inbox.put(event)", True),
    ("while True:\n            await self.inbox.put(await stream.receive())", True),
    ("while True:\n            self.inbox.put_nowait(await stream.receive())", False),
    ("for event in stream:\n            await self.inbox.put(event)", False),
    ("while True:\n            await self.inbox.put(make())\n            await asyncio.sleep(1)", False),
    ("async for event in stream:\n            await self.inbox.put(None)", False),
    ("async for event in stream:\n            await self.inbox.put(event)\n"
     "            while self.inbox.full():\n                await asyncio.sleep(0.1)", False),
])
def test_queue_fed_by_input_shapes(loop: str, flagged: bool) -> None:
    text = ("import asyncio\nclass Conn:\n    def __init__(self):\n        self.inbox = asyncio.Queue()\n"
            f"    async def pump(self, stream, make):\n        {loop}\n")
    assert (codes(text, select=["CCY403"]) == [(4, "CCY403")]) is flagged


def test_queue_fed_by_input_default_form_leaves_tests_out(tmp_path: Any) -> None:
    from concurlint.runner import run

    path = tmp_path / "tests" / "test_pump.py"
    path.parent.mkdir()
    path.write_text(PUMP)
    for preset, expected in (("default", []), ("strict", ["CCY403"])):
        settings = load_settings(isolated=True, overrides={"preset": preset, "cache-dir": str(tmp_path / "c")})
        result = run([str(tmp_path)], settings)
        assert [f.code for f in result.findings] == expected


# --------------------------------------------------------------------------- CCY403 default form
_DRAIN_THREAD = (
    "import os, queue, threading\n"
    "class Reader:\n"
    "    def __init__(self, fd):\n"
    "        self.fd = fd\n"
    "        self.q = queue.Queue()\n"
    "        threading.Thread(target=self.drain, daemon=True).start()\n"
    "    def drain(self):\n"
    "        while True:\n"
    "            self.q.put(os.read(self.fd, 1024))\n"
)
_RECEIVE_LOOP = (
    "import asyncio\n"
    "class Conn:\n"
    "    def __init__(self):\n"
    "        self.inbox = asyncio.Queue()\n"
    "    async def pump(self, ws):\n"
    "        while True:\n"
    "            msg = await ws.recv()\n"
    "            await self.inbox.put(msg)\n"
)


def preset_codes(text: str, preset: str, path: str = "example.py") -> List[Tuple[int, str]]:
    settings = load_settings(isolated=True, overrides={"preset": preset})
    result = check_source(decode_source(text.encode(), path), settings)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.code) for f in result.findings if f.code == "CCY403"]


def test_ccy403_default_form_reports_only_awaited_puts() -> None:
    assert preset_codes(_RECEIVE_LOOP, "default") == [(4, "CCY403")]
    assert preset_codes(_DRAIN_THREAD, "default") == []
    for preset in ("strict", "learn"):
        assert preset_codes(_DRAIN_THREAD, preset) == [(5, "CCY403")], preset
        assert preset_codes(_RECEIVE_LOOP, preset) == [(4, "CCY403")], preset
    assert codes(_DRAIN_THREAD, select=["CCY403"]) == [(5, "CCY403")]  # selected by code: full form
    assert codes(_DRAIN_THREAD, select=["CCY4"]) == [(5, "CCY403")]


def test_ccy403_default_form_finds_the_awaited_put_among_thread_puts() -> None:
    mixed = _DRAIN_THREAD + (
        "    async def follow(self, stream):\n"
        "        async for item in stream:\n"
        "            await self.q.put(item)\n"
    )
    assert preset_codes(mixed, "default") == [(5, "CCY403")]
    assert preset_codes(_DRAIN_THREAD.replace("self.q.put(", "self.q.put_nowait("), "strict") == []


def test_ccy403_default_form_leaves_blocking_puts_in_coroutines_and_test_code_out() -> None:
    blocking = _RECEIVE_LOOP.replace("import asyncio", "import queue").replace(
        "asyncio.Queue()", "queue.Queue()").replace("await self.inbox.put(msg)", "self.inbox.put(msg)")
    assert preset_codes(blocking, "default") == []
    assert preset_codes(blocking, "strict") == [(4, "CCY403")]
    assert preset_codes(_RECEIVE_LOOP, "default", "tests/test_conn.py") == []
    assert preset_codes(_RECEIVE_LOOP, "strict", "tests/test_conn.py") == [(4, "CCY403")]


def test_a_thread_fed_queue_is_ccy401_when_the_default_ccy403_leaves_it_out() -> None:
    text = ("import queue\n\n\ndef reader(sock):\n    lines = queue.Queue()\n    while True:\n"
            "        data = sock.recv(4096)\n        if not data:\n            break\n"
            "        lines.put(data)\n    return lines\n")

    def found(**overrides: Any) -> List[Tuple[int, str]]:
        settings = load_settings(isolated=True, overrides=overrides)
        result = check_source(decode_source(text.encode(), "reader.py"), settings)
        return [(f.line, f.code) for f in result.findings]

    assert found() == []  # the default CCY403 reports awaited puts only
    assert found(**{"extend-select": ["CCY401"]}) == [(5, "CCY401")]  # not silenced by a rule that stays silent
    assert found(preset="strict") == [(5, "CCY403")]  # one root cause, one finding
