"""The shared semantic layer: name resolution, binding types, async context."""
from __future__ import annotations

import textwrap
from typing import Dict, List, Optional, Tuple

import libcst as cst

from concurlint.config import Settings
from concurlint.semantics.context import Context
from concurlint.semantics.traversal import Dispatcher, walk


class _Probe:
    """Records, for every call, what the shared facts say about it."""

    code = "PROBE"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.calls: List[Tuple[str, Optional[str], bool]] = []

    def visit_Call(self, node: cst.Call) -> None:
        text = self.ctx.module.code_for_node(node.func)
        self.calls.append((text, self.ctx.resolve(node.func), self.ctx.in_async_function))


def probe_all(source: str, module_name: str = "app") -> List[Tuple[str, Optional[str], bool]]:
    module = cst.parse_module(textwrap.dedent(source))
    ctx = Context(module, "app.py", Settings(), module_name=module_name)
    rule = _Probe(ctx)
    walk(module, ctx, Dispatcher([rule]))
    return rule.calls


def probe(source: str, module_name: str = "app") -> Dict[str, Tuple[Optional[str], bool]]:
    return {text: (name, in_async) for text, name, in_async in probe_all(source, module_name)}


def test_import_aliases_resolve() -> None:
    calls = probe("""
        import asyncio as aio
        import urllib.request
        import concurrent.futures
        from time import sleep as snooze
        from os import path
        aio.sleep(1)
        urllib.request.urlopen("u")
        concurrent.futures.ThreadPoolExecutor()
        snooze(1)
        path.exists("x")
        open("f")
    """)
    assert calls["aio.sleep"][0] == "asyncio.sleep"
    assert calls["urllib.request.urlopen"][0] == "urllib.request.urlopen"
    assert calls["concurrent.futures.ThreadPoolExecutor"][0] == "concurrent.futures.ThreadPoolExecutor"
    assert calls["snooze"][0] == "time.sleep"
    assert calls["path.exists"][0] == "os.path.exists"
    assert calls["open"][0] == "builtins.open"


def test_internal_module_paths_are_canonical() -> None:
    calls = probe("""
        from asyncio.tasks import create_task
        from concurrent.futures.thread import ThreadPoolExecutor
        create_task(x)
        ThreadPoolExecutor()
    """)
    assert calls["create_task"][0] == "asyncio.create_task"
    assert calls["ThreadPoolExecutor"][0] == "concurrent.futures.ThreadPoolExecutor"


def test_shadowed_names_do_not_resolve_to_the_library() -> None:
    calls = probe("""
        from time import sleep
        import time

        def sleep(seconds):
            pass

        async def handler(time):
            time.sleep(1)
            sleep(1)

        async def other():
            open = make_opener()
            open("x")
    """)
    assert calls["time.sleep"][0] is None  # parameter named time
    assert calls["sleep"][0] is None  # a module-level def and an import share the name: ambiguous
    assert calls["open"][0] is None


def test_plain_alias_assignment_follows_the_value() -> None:
    calls = probe("""
        import time
        nap = time.sleep
        nap(1)
    """)
    assert calls["nap"][0] == "time.sleep"


def test_types_of_bound_names_and_self_attributes() -> None:
    calls = probe("""
        import threading, queue
        from concurrent.futures import ThreadPoolExecutor
        import requests

        LOCK = threading.Lock()

        class Worker:
            jobs = queue.Queue()

            def __init__(self):
                self.session = requests.Session()
                self.lock = threading.RLock()

            def run(self, pool: ThreadPoolExecutor):
                self.session.get("u")
                self.lock.acquire()
                self.jobs.get()
                LOCK.acquire()
                pool.submit(print)
                with ThreadPoolExecutor() as ex:
                    ex.submit(print)
    """)
    assert calls["self.session.get"][0] == "requests.Session.get"
    assert calls["self.lock.acquire"][0] == "threading.RLock.acquire"
    assert calls["self.jobs.get"][0] == "queue.Queue.get"
    assert calls["LOCK.acquire"][0] == "threading.Lock.acquire"
    assert calls["pool.submit"][0] == "concurrent.futures.ThreadPoolExecutor.submit"
    assert calls["ex.submit"][0] == "concurrent.futures.ThreadPoolExecutor.submit"


def test_optional_annotations() -> None:
    calls = probe("""
        from typing import Optional
        import threading

        def f(a: Optional[threading.Lock], b: "threading.Lock", c: threading.Event | None):
            a.acquire()
            b.acquire()
            c.wait()
    """)
    assert calls["a.acquire"][0] == "threading.Lock.acquire"
    assert calls["b.acquire"][0] is None  # string annotations are not evaluated
    assert calls["c.wait"][0] == "threading.Event.wait"


def test_async_context_stops_at_nested_defs_lambdas_and_classes() -> None:
    calls = probe("""
        import time

        @decorate(time.monotonic())
        async def outer(x=time.time()):
            time.sleep(1)
            def inner():
                time.perf_counter()
            f = lambda: time.process_time()
            class Local:
                value = time.thread_time()
            [time.ctime() for _ in range(3)]
    """)
    assert calls["time.sleep"][1] is True
    assert calls["time.ctime"][1] is True  # comprehensions run in the coroutine
    for name in ("time.monotonic", "time.time", "time.perf_counter", "time.process_time",
                 "time.thread_time", "decorate"):
        assert calls[name][1] is False, name


def test_global_and_nonlocal_declarations() -> None:
    calls = probe_all("""
        import time

        def outer():
            time = None
            def inner():
                nonlocal time
                time.sleep(1)
            def other():
                global time
                time.sleep(2)
    """)
    # nonlocal refers to outer's local variable (None), global to the module import
    assert [name for text, name, _ in calls if text == "time.sleep"] == [None, "time.sleep"]
