"""CCY1 (coroutines and tasks): rule examples, messages, fixes and look-alikes."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import pytest

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.findings import Finding
from concurlint.fixes import fix_source
from concurlint.rules import coroutines
from concurlint.source import decode_source

RULES = coroutines.RULES


def findings(text: str, select: Sequence[str] = ("CCY1",)) -> List[Finding]:
    settings = load_settings(isolated=True, overrides={"select": list(select)})
    result = check_source(decode_source(text.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return result.findings


def codes(text: str, select: Sequence[str] = ("CCY1",)) -> List[Tuple[int, str]]:
    return [(f.line, f.code) for f in findings(text, select)]


def fixed(text: str, code: str, unsafe: bool = False) -> str:
    settings = load_settings(isolated=True, overrides={"select": [code]})
    result = fix_source(decode_source(text.encode(), "example.py"), settings, unsafe=unsafe)
    assert result.text is not None
    return result.text


# --------------------------------------------------------------------------- metadata
def test_family_is_complete() -> None:
    assert [r.code for r in RULES] == [f"CCY1{i:02d}" for i in range(1, 11)]
    off = {r.code for r in RULES if not r.default_on}
    assert off == {"CCY107", "CCY108", "CCY109"}


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docs_are_bilingual(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why):
        assert text.en and text.zh, rule.code
    assert rule.example and rule.use_instead


# --------------------------------------------------------------------------- CCY101
def test_unawaited_message_names_the_function_and_the_fix() -> None:
    [finding] = findings("async def fetch_user(i):\n    pass\nasync def h():\n    fetch_user(1)\n")
    assert "'fetch_user'" in finding.message.en and "await" in finding.message.en
    assert "fetch_user" in finding.message.zh
    assert (finding.start.line, finding.start.column, finding.end.column) == (4, 5, 18)


def test_unawaited_in_a_sync_function_never_suggests_asyncio_run() -> None:
    # the function may itself be called on a running loop: asyncio.run() would raise there
    [finding] = findings("import asyncio\nasync def main():\n    pass\ndef cli():\n    main()\n")
    assert "asyncio.run" not in finding.message.en and "await" in finding.message.en
    assert finding.fix is None


@pytest.mark.parametrize("library, message, fixed_line", [
    ("asyncio", "asyncio.run(main(...))", "asyncio.run(main(1, 2))"),
    ("trio", "trio.run(main, ...)", "trio.run(main, 1, 2)"),
    ("anyio", "anyio.run(main, ...)", "anyio.run(main, 1, 2)"),
])
def test_module_level_runner_follows_the_library(library: str, message: str, fixed_line: str) -> None:
    text = f"import {library}\nasync def main(a, b):\n    pass\nmain(1, 2)\n"
    [finding] = findings(text)
    assert message in finding.message.en
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text, "CCY101", unsafe=True).endswith(fixed_line + "\n")


def test_module_level_trio_call_with_keywords_has_no_fix() -> None:
    [finding] = findings("import trio\nasync def main(a, b=1):\n    pass\nmain(1, b=2)\n")
    assert "trio.run(functools.partial(main, ...))" in finding.message.en
    assert finding.fix is None


def test_module_level_unknown_library_has_no_fix() -> None:
    [finding] = findings("import asyncio\nimport trio\nasync def main():\n    pass\nmain()\n")
    assert "asyncio.run(main())" in finding.message.en and "trio.run(main)" in finding.message.en
    assert finding.fix is None


def test_task_advice_follows_the_library() -> None:
    [finding] = findings("import trio\nasync def g():\n    pass\nasync def f():\n    g()\n")
    assert "nursery.start_soon" in finding.message.en


DECORATORS = (
    "import functools\nimport pytest\nfrom abc import abstractmethod\nfrom framework import work\n"
    "def traced(fn):\n    @functools.wraps(fn)\n    async def wrapper(*a):\n        return await fn(*a)\n"
    "    return wrapper\n"
    "def retry(times):\n    def deco(fn):\n        @functools.wraps(fn)\n        async def wrapper(*a):\n"
    "            return await fn(*a)\n        return wrapper\n    return deco\n"
    "def blocking(fn):\n    def wrapper(*a):\n        return None\n    return wrapper\n"
)


@pytest.mark.parametrize("decorator, flagged", [
    ("@traced", True),
    ("@retry(3)", True),
    ("@functools.wraps(print)", True),
    ("@pytest.mark.slow", True),
    ("@abstractmethod", True),
    ("@work", False),  # a framework decorator: may return anything
    ("@work(exclusive=True)", False),
    ("@blocking", False),  # returns a sync wrapper
    ("@functools.lru_cache", False),  # the cached coroutine can be awaited only once
    ("@unknown.decorator", False),
])
def test_decorated_async_def_is_a_coroutine_function_only_when_kept(decorator: str, flagged: bool) -> None:
    text = DECORATORS + f"{decorator}\nasync def job():\n    pass\nasync def caller():\n    job()\n"
    assert bool(codes(text)) is flagged


def test_bound_but_never_read_is_flagged_read_later_is_not() -> None:
    assert codes("async def g():\n    pass\nasync def f():\n    c = g()\n") == [(4, "CCY101")]
    assert codes("async def g():\n    pass\nasync def f():\n    c = g()\n    return [c]\n") == []
    assert codes("async def g():\n    pass\nasync def f(box):\n    c = g()\n    box.add(c)\n") == []


def test_async_generators_and_wrapped_defs_are_not_coroutine_functions() -> None:
    text = (
        "import contextlib\n"
        "async def rows():\n    yield 1\n"
        "@contextlib.asynccontextmanager\nasync def session():\n    yield 1\n"
        "class C:\n    @property\n    async def value(self):\n        return 1\n"
        "async def f(c):\n    rows()\n    session()\n    await c.value\n")
    assert codes(text) == []


def test_sync_shadow_and_nested_def() -> None:
    text = ("async def fetch():\n    pass\n"
            "async def f():\n    def fetch():\n        return 1\n    fetch()\n"
            "async def g(fetch):\n    fetch()\n")
    assert codes(text) == []


def test_library_coroutines_through_aliases_and_types() -> None:
    text = ("import asyncio as aio\nfrom asyncio import sleep as nap\n"
            "async def f(writer: aio.StreamWriter):\n"
            "    q = aio.Queue(maxsize=1)\n    q.put(1)\n    nap(1)\n    writer.drain()\n"
            "    q.put_nowait(2)\n    writer.write(b'x')\n")
    assert codes(text) == [(5, "CCY101"), (6, "CCY101"), (7, "CCY101")]


def test_fix_adds_await_inside_async_def() -> None:
    text = "import asyncio\nasync def f():\n    asyncio.sleep(\n        1)\n"
    assert fixed(text, "CCY101") == "import asyncio\nasync def f():\n    await asyncio.sleep(\n        1)\n"


def test_fix_at_top_level_is_unsafe_asyncio_run() -> None:
    text = "import asyncio as aio\nasync def main():\n    pass\nmain()\n"
    [finding] = findings(text)
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text, "CCY101") == text  # not applied without --unsafe-fixes
    assert fixed(text, "CCY101", unsafe=True).endswith("aio.run(main())\n")


def test_no_top_level_fix_without_an_asyncio_import() -> None:
    [finding] = findings("async def main():\n    pass\nmain()\n")
    assert finding.fix is None


# --------------------------------------------------------------------------- CCY102
def test_not_called_fix_adds_parentheses() -> None:
    text = "import asyncio\nasync def main():\n    pass\nasyncio.run(main)\n"
    assert fixed(text, "CCY102").endswith("asyncio.run(main())\n")


def test_not_called_only_for_coroutine_functions() -> None:
    text = ("import asyncio\ndef factory():\n    return None\n"
            "async def f(coro, fn):\n    await asyncio.gather(coro, factory())\n    await fn\n")
    assert codes(text) == []


def test_create_task_of_function_is_ccy102_only() -> None:
    text = "import asyncio\nasync def w():\n    pass\nasync def f():\n    asyncio.create_task(w)\n"
    assert codes(text) == [(5, "CCY102")]


# --------------------------------------------------------------------------- CCY103
def test_dangling_task_variants() -> None:
    text = ("import asyncio\nasync def w():\n    pass\n"
            "async def f(loop):\n"
            "    asyncio.create_task(w())\n"
            "    asyncio.ensure_future(w())\n"
            "    loop.create_task(w())\n"
            "    asyncio.gather(w(), w())\n"
            "    await asyncio.gather(w(), w())\n")
    assert codes(text) == [(5, "CCY103"), (6, "CCY103"), (7, "CCY103"), (8, "CCY103")]


def test_taskgroup_and_kept_tasks_are_clean() -> None:
    text = ("import asyncio\nasync def w():\n    pass\ntasks = set()\n"
            "async def f():\n"
            "    with asyncio.TaskGroup() as tg:\n        tg.create_task(w())\n"
            "    tasks.add(asyncio.create_task(w()))\n")
    assert codes(text, ["CCY103"]) == []


# --------------------------------------------------------------------------- CCY104
def test_boolean_context_fix() -> None:
    text = "async def ok():\n    return 1\nasync def f():\n    if not ok():\n        pass\n"
    assert "if not await ok():" in fixed(text, "CCY104")


# --------------------------------------------------------------------------- CCY105 / CCY107 / CCY108
def test_nested_loop_and_get_event_loop() -> None:
    text = ("import asyncio\nasync def w():\n    pass\n"
            "async def f():\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(w())\n"
            "def g():\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(w())\n")
    assert codes(text) == [(5, "CCY107"), (6, "CCY105"), (9, "CCY108")]
    assert "get_running_loop()" in fixed(text, "CCY107").splitlines()[4]


# --------------------------------------------------------------------------- CCY106
def test_with_kind_fix_both_ways_keeps_indentation() -> None:
    text = ("import asyncio, threading\nlock = asyncio.Lock()\ntlock = threading.Lock()\n"
            "class C:\n    async def f(self):\n        if True:\n            with lock:\n"
            "                x = 1\n                if x:\n                    pass\n"
            "            async with tlock:\n                pass\n")
    out = fixed(text, "CCY106")
    assert "            async with lock:\n                x = 1\n                if x:\n                    pass\n" in out
    assert "            with tlock:\n                pass\n" in out


def test_with_kind_in_sync_code_has_no_fix() -> None:
    [finding] = findings("import asyncio\nlock = asyncio.Lock()\ndef f():\n    with lock:\n        pass\n")
    assert finding.code == "CCY106" and finding.fix is None


def test_with_kind_points_at_the_context_manager_expression() -> None:
    [finding] = findings("import asyncio\nasync def f():\n    with asyncio.timeout(1):\n        pass\n")
    assert (finding.start.line, finding.start.column) == (3, 10)


# --------------------------------------------------------------------------- CCY109 / CCY110
def test_busy_loop_points_at_while_and_continue_is_not_an_exit() -> None:
    text = "async def f(s):\n    while True:\n        if s.x:\n            continue\n        s.step()\n"
    [finding] = findings(text)
    assert (finding.code, finding.start.line, finding.start.column) == ("CCY110", 2, 5)


def test_sequential_awaits_only_when_independent() -> None:
    text = ("async def get(u):\n    pass\n"
            "async def f(urls):\n    out = {}\n    for u in urls:\n        out[u] = await get(u)\n"
            "    prev = None\n    for u in urls:\n        prev = await get(prev)\n")
    assert codes(text, ["CCY109"]) == [(6, "CCY109")]


def test_overloaded_coroutine_function() -> None:
    text = ("from typing import overload\n"
            "@overload\nasync def get(x: int) -> int: ...\n"
            "@overload\nasync def get(x: str) -> str: ...\n"
            "async def get(x):\n    return x\n"
            "async def main():\n    get(1)\n")
    assert codes(text) == [(9, "CCY101")]


# --------------------------------------------------------------------------- CCY103 (revision 2)
def test_thrown_away_gather_is_a_missing_await() -> None:
    [finding] = findings("import asyncio\nasync def f(a, b):\n    asyncio.gather(a, b)\n")
    assert finding.code == "CCY103" and "missing 'await'" in finding.message.en
    assert "缺少 'await'" in finding.message.zh


def test_task_of_a_self_guarding_coroutine_keeps_only_the_gc_point() -> None:
    text = ("import asyncio\nasync def safe(c):\n    try:\n        await c\n    except Exception:\n"
            "        print('failed')\ndef go(c):\n    asyncio.create_task(safe(c))\n")
    [finding] = findings(text)
    assert "exception is lost" not in finding.message.en and "garbage-collected" in finding.message.en


def test_task_started_in_a_finalizer_is_not_reported() -> None:
    text = ("import asyncio\nclass C:\n    async def close(self):\n        pass\n"
            "    def __del__(self):\n        asyncio.ensure_future(self.close())\n")
    assert codes(text) == []


# --------------------------------------------------------------------------- CCY107 (revision 2)
def test_get_event_loop_message_is_a_style_point() -> None:
    [finding] = findings("import asyncio\nasync def f():\n    return asyncio.get_event_loop()\n",
                         ["CCY107"])
    assert finding.message.en.startswith("style:") and "same behaviour" in finding.message.en
    assert coroutines.GetEventLoopInCoroutine.group == "advice"


DANGLING = '''\
import asyncio


async def notify(item):
    await asyncio.sleep(0)


class Listener:
    def __init__(self, device, callbacks):
        self._dev = device
        self._callbacks = callbacks

    async def refresh(self):
        await asyncio.sleep(1)

    def fire(self, message):
        for cb in self._callbacks:
            asyncio.get_running_loop().create_task(cb(message))
        asyncio.create_task(self._dev.listen())
        asyncio.create_task(self.refresh())
        asyncio.create_task(notify(message))
        asyncio.create_task(self._dev.close())

        async def later():
            await asyncio.sleep(1)

        asyncio.create_task(later())
        pending = self.refresh()
        asyncio.ensure_future(pending)

    async def stop(self, servers):
        asyncio.gather(*(s.stop() for s in servers))
'''


def test_default_form_of_ccy103_reports_tasks_running_code_the_module_does_not_own() -> None:
    def lines(**overrides: Any) -> List[int]:
        settings = load_settings(isolated=True, overrides=overrides)
        result = check_source(decode_source(DANGLING.encode(), "listener.py"), settings)
        return [f.line for f in result.findings if f.code == "CCY103"]

    # a callback from a collection, a library coroutine, a thrown-away gather
    assert lines() == [18, 19, 32]
    # strict/learn and a rule chosen by code: every thrown-away task
    every = [18, 19, 20, 21, 22, 27, 29, 32]
    assert lines(preset="strict") == every
    assert lines(preset="learn") == every
    assert lines(select=["CCY103"]) == every


# --------------------------------------------------------------------------- CCY108 (revision 2)
def test_legacy_loop_is_reported_once_per_loop_on_its_first_run_call() -> None:
    text = ("import asyncio\nasync def serve():\n    pass\n"
            "def demo():\n    loop = asyncio.get_event_loop()\n"
            "    server = loop.run_until_complete(serve())\n    loop.run_forever()\n"
            "    loop.run_until_complete(serve())\n    loop.close()\n")
    [finding] = findings(text, ["CCY108"])
    assert (finding.line, finding.column) == (6, 14)


def test_legacy_loop_messages_name_what_is_at_stake() -> None:
    head = "import asyncio\nasync def job():\n    pass\n"
    [deprecated] = findings(head + "def cli():\n    loop = asyncio.get_event_loop()\n"
                            "    loop.run_until_complete(job())\n", ["CCY108"])
    assert "deprecated" in deprecated.message.en and "3.14" in deprecated.message.en
    assert "application entry point" in deprecated.message.en and "弃用" in deprecated.message.zh
    [leaked] = findings(head + "def cli():\n    loop = asyncio.new_event_loop()\n"
                        "    loop.run_until_complete(job())\n", ["CCY108"])
    assert "never closed" in leaked.message.en and "从未关闭" in leaked.message.zh
    [style] = findings(head + "def worker():\n    loop = asyncio.new_event_loop()\n    try:\n"
                       "        loop.run_until_complete(job())\n    finally:\n        loop.close()\n",
                       ["CCY108"])
    assert style.message.en.startswith("style:") and style.message.zh.startswith("风格")
    assert "deprecated" not in style.message.en and "never closed" not in style.message.en


def test_custom_runner_and_its_shutdown_steps_are_not_reported() -> None:
    text = ("import asyncio\nasync def job():\n    pass\n"
            "def _cancel_all(loop):\n    tasks = asyncio.all_tasks(loop)\n    for t in tasks:\n"
            "        t.cancel()\n    loop.run_until_complete(asyncio.gather(*tasks))\n"
            "def run():\n    loop = asyncio.new_event_loop()\n    try:\n"
            "        return loop.run_until_complete(job())\n    finally:\n"
            "        _cancel_all(loop)\n        loop.close()\n"
            "def finish(loop):\n    loop.run_until_complete(loop.shutdown_default_executor())\n"
            "def finish_own():\n    loop = asyncio.get_event_loop()\n"
            "    loop.run_until_complete(loop.shutdown_asyncgens())\n")
    assert codes(text, ["CCY108"]) == []


def test_private_loop_that_outlives_one_call_is_not_reported() -> None:
    head = "import asyncio\nasync def connect(loop=None):\n    pass\n"
    shared = ("def probe():\n    loop = asyncio.new_event_loop()\n    try:\n"
              "        conn = loop.run_until_complete(connect())\n"
              "        loop.run_until_complete(conn.close())\n    finally:\n        loop.close()\n")
    assert codes(head + shared, ["CCY108"]) == []
    passed = ("def probe():\n    loop = asyncio.new_event_loop()\n    try:\n"
              "        loop.run_until_complete(connect(loop=loop))\n    finally:\n        loop.close()\n")
    assert codes(head + passed, ["CCY108"]) == []
    # the same shapes on the thread's current loop, or a loop never closed: reported
    current = passed.replace("    try:\n", "    asyncio.set_event_loop(loop)\n    try:\n")
    assert codes(head + current, ["CCY108"]) == [(8, "CCY108")]
    unclosed = shared.replace("    finally:\n        loop.close()\n", "    finally:\n        pass\n")
    assert codes(head + unclosed, ["CCY108"]) == [(7, "CCY108")]


# --------------------------------------------------------------------------- CCY109 (revision 2)
SEQUENTIAL = '''\
import asyncio


class Store:
    async def shape(self, item):
        return {"item": item}

    async def load(self, item, deep=False):
        if deep:
            await asyncio.sleep(1)
        return item

    async def load_twice(self, item, deep):
        first = await self.load(item, deep)
        return first, await self.load(item, deep=deep)

    async def run(self, items):
        out = []
        for item in items:
            out.append(await self.shape(item))
        for item in items:
            out.append(await self.load(item))
        for item in items:
            out.append(await self.load_twice(item, False))
        for item in items:
            out.append(await self.load_twice(item, None))
        for item in items:
            out.append(await self.load_twice(item, True))
        for item in items:
            out.append(await self.load_twice(item, self.deep))
        return out
'''


def test_sequential_awaits_of_coroutines_that_never_suspend_are_not_reported() -> None:
    assert codes(SEQUENTIAL, ["CCY109"]) == [(28, "CCY109"), (30, "CCY109")]


def test_sequential_awaits_through_one_thread_sensitive_sync_to_async() -> None:
    text = ("from asgiref.sync import sync_to_async\n"
            "class Cache:\n    def get(self, key):\n        return key\n"
            "    async def aget(self, key):\n"
            "        return await sync_to_async(self.get)(key)\n"
            "    async def aget_many(self, keys):\n        out = {}\n        for k in keys:\n"
            "            out[k] = await self.aget(k)\n        return out\n")
    assert codes(text, ["CCY109"]) == []
    threads = text.replace("sync_to_async(self.get)", "sync_to_async(self.get, thread_sensitive=False)")
    assert codes(threads, ["CCY109"]) == [(10, "CCY109")]


def test_sequential_awaits_when_the_body_changes_what_the_call_receives() -> None:
    text = ("import asyncio\nclass Pool:\n    async def wrap(self, s):\n        await asyncio.sleep(0)\n"
            "        return s\n    async def adopt(self, sockets):\n        for s in sockets:\n"
            "            w = await self.wrap(s)\n            self.current = w\n")
    assert codes(text, ["CCY109"]) == []


def test_sequential_awaits_on_one_shared_object_and_per_library_advice() -> None:
    text = ("import asyncio\nclass Link:\n    async def query(self, i):\n        await asyncio.sleep(0)\n"
            "async def read_all(link: Link, ids):\n    out = {}\n    for i in ids:\n"
            "        out[i] = await link.query(i)\n    return out\n")
    [finding] = findings(text, ["CCY109"])
    assert "if 'link' can serve several calls at once" in finding.message.en
    assert "'link'" in finding.message.zh and "asyncio.gather()" in finding.message.en
    trio_text = ("import trio\nasync def get(u):\n    await trio.sleep(1)\n"
                 "async def crawl(urls, out):\n    for u in urls:\n        out.append(await get(u))\n")
    [finding] = findings(trio_text, ["CCY109"])
    assert "trio.open_nursery()" in finding.message.en and "asyncio" not in finding.message.en
    assert "trio.CapacityLimiter" in finding.message.zh


def test_sequential_awaits_with_the_loop_body_on_the_for_line() -> None:
    source = ("import asyncio\nasync def fetch(u):\n    await asyncio.sleep(1)\n    return u\n"
              "async def crawl(urls):\n    out = []\n    for u in urls: out.append(await fetch(u))\n"
              "    for u in urls: r = await fetch(u); print(r)\n"
              "    for u in urls: await fetch(u)\n"  # result not kept: meant to be sequential
              "    return out\n")
    assert codes(source, ("CCY109",)) == [(7, "CCY109"), (8, "CCY109")]
