"""Unit tests for thread-target discovery and lock awareness (semantics/threads.py)."""
from __future__ import annotations

import textwrap
from typing import Dict, Optional

import libcst as cst

from concurlint.config import load_settings
from concurlint.semantics.context import Context
from concurlint.semantics.scopes import BindingCollector
from concurlint.semantics.threads import (
    THREAD, PROCESS, function_name, is_lock, thread_targets, thread_targets_with_sites,
)


def analyse(source: str, options: Optional[dict] = None):
    module = cst.parse_module(textwrap.dedent(source))
    ctx = Context(module, "example.py", load_settings(isolated=True, overrides=options or {}))
    BindingCollector(ctx.module_scope).statements(module.body)
    return ctx, thread_targets(ctx)


def contexts(source: str) -> Dict[str, str]:
    """function name -> "thread" / "process" (thread wins when both)."""
    _ctx, targets = analyse(source)
    found = {function_name(f): PROCESS for f in targets.process_context}
    found.update({function_name(f): THREAD for f in targets.thread_context})
    return found


def test_target_defined_after_start_and_transitive_helpers():
    found = contexts("""
        import threading
        t = threading.Thread(target=worker)
        def worker():
            step()
        def step():
            leaf()
        def leaf():
            pass
        def unrelated():
            pass
    """)
    assert found == {"worker": THREAD, "step": THREAD, "leaf": THREAD}


def test_executor_bindings_constructor_with_and_self():
    found = contexts("""
        from concurrent.futures import ThreadPoolExecutor
        import concurrent.futures as cf
        pool = ThreadPoolExecutor(4)
        pool.submit(a)
        with cf.ThreadPoolExecutor() as ex:
            ex.map(b, [1])
        class Svc:
            def __init__(self):
                self.ex = ThreadPoolExecutor()
            def go(self):
                self.ex.submit(self.c)
            def c(self):
                pass
        def a(): pass
        def b(x): pass
    """)
    assert found == {"a": THREAD, "b": THREAD, "c": THREAD}


def test_timer_to_thread_run_in_executor_and_subclass_run():
    found = contexts("""
        import asyncio, threading
        from concurrent.futures import ProcessPoolExecutor
        class Worker(threading.Thread):
            def run(self):
                self.helper()
            def helper(self):
                pass
        class Later(Worker):
            pass
        def tick(): pass
        def blocking(): pass
        def crunch(): pass
        threading.Timer(1.0, tick).start()
        async def main():
            loop = asyncio.get_running_loop()
            await asyncio.to_thread(blocking)
            await loop.run_in_executor(ProcessPoolExecutor(), crunch)
    """)
    assert found == {"run": THREAD, "helper": THREAD, "tick": THREAD, "blocking": THREAD,
                     "crunch": PROCESS}


def test_partial_lambda_and_bound_method_wrappers():
    found = contexts("""
        import functools, threading
        class Counter:
            def bump(self): pass
        counter = Counter()
        def f(x): pass
        def g(): pass
        job = functools.partial(g)
        threading.Thread(target=functools.partial(f, 1)).start()
        threading.Thread(target=lambda: counter.bump()).start()
        threading.Thread(target=job).start()
    """)
    assert found == {"f": THREAD, "<lambda>": THREAD, "bump": THREAD, "g": THREAD}


def test_process_targets_are_told_apart():
    found = contexts("""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        def p1(): pass
        def p2(x): pass
        def p3(x): pass
        mp.Process(target=p1)
        ProcessPoolExecutor().map(p2, [1])
        with mp.Pool() as pool:
            pool.apply_async(p3, (1,))
    """)
    assert found == {"p1": PROCESS, "p2": PROCESS, "p3": PROCESS}


def test_helper_called_only_under_lock_is_not_thread_context():
    _ctx, targets = analyse("""
        import threading
        lock = threading.Lock()
        def worker():
            with lock:
                guarded()
            lock.acquire()
            try:
                guarded_too()
            finally:
                lock.release()
            exposed()
        def guarded(): pass
        def guarded_too(): pass
        def exposed(): pass
        threading.Thread(target=worker).start()
    """)
    names = {function_name(f) for f in targets.thread_context}
    assert names == {"worker", "exposed"}


def test_shadowed_thread_name_is_not_a_starter():
    found = contexts("""
        import threading
        def Thread(target):
            return target
        def f(): pass
        Thread(target=f)
    """)
    assert found == {}


def test_module_without_concurrency_imports_is_not_scanned():
    _ctx, targets = analyse("""
        def f():
            pass
        Thread(target=f)
    """)
    assert not targets.functions and not targets.sites


def test_is_lock_by_type_and_by_name():
    ctx, _targets = analyse("""
        import threading
        guard = threading.Condition()
        state_lock = object()
        block = object()
        sem = threading.Semaphore()
        event = threading.Event()
    """)
    def check(name: str) -> bool:
        return is_lock(ctx, cst.parse_expression(name))
    assert check("guard") and check("state_lock") and check("self._lock") and check("mutex")
    assert check("sem") and check("self._locks[key]")
    assert not check("block") and not check("event")


def test_start_site_label_and_line():
    ctx, targets = analyse("""
        import threading

        def inc():
            pass

        t = threading.Thread(target=inc, args=(1,))
    """)
    [site] = targets.sites
    assert site.label == "Thread(target=inc)"
    from concurlint.semantics.threads import line_of
    assert line_of(ctx, site.node) == 7


def test_shared_parameters_come_from_repeated_starts_with_the_same_object():
    _ctx, targets = analyse("""
        import threading
        from concurrent.futures import ThreadPoolExecutor
        def work(stats, n, label):
            pass
        def once(buffer):
            pass
        def main(names):
            stats = {}
            for name in names:
                threading.Thread(target=work, args=(stats, 10, name)).start()
            with ThreadPoolExecutor() as ex:
                for _ in range(3):
                    own = []
                    ex.submit(once, own)
    """)
    shared = {function_name(f): names for f, names in targets.shared_params.items()}
    assert shared == {"work": {"stats"}}   # literals and per-iteration names are not shared


def test_fresh_objects_do_not_share_self():
    _ctx, targets = analyse("""
        import threading
        class Handler:
            def handle(self):
                self.step()
            def step(self):
                pass
        class Service:
            def run(self):
                self.tick()
            def tick(self):
                pass
        service = Service()
        def serve():
            Handler().handle()
            service.run()
        threading.Thread(target=serve).start()
    """)
    assert {function_name(f) for f in targets.thread_context} == {"serve", "handle", "step", "run", "tick"}
    assert {function_name(f) for f in targets.shared_self} == {"run", "tick"}


def _gate(source: str) -> bool:
    text = textwrap.dedent(source)
    module = cst.parse_module(text)
    ctx = Context(module, "example.py", load_settings(isolated=True), text=text)
    BindingCollector(ctx.module_scope).statements(module.body)
    return thread_targets_with_sites(ctx) is not None


def test_modules_that_start_no_thread_skip_the_thread_analysis():
    # asyncio imported, the builtin map, loop callbacks (they run in the loop's thread),
    # and starter names that only appear in comments and strings
    assert not _gate("""
        import asyncio
        def handler(loop, items):
            loop.call_soon(print, list(map(str, items)))  # not a Thread: submit()
            return "use to_thread"
    """)


def test_every_way_to_start_a_thread_keeps_the_thread_analysis():
    for source in (
        "import threading\nthreading.Thread(target=print).start()\n",
        "from threading import Timer as T\nT(1, print).start()\n",
        "import asyncio\nasync def f():\n    await asyncio.to_thread(print)\n",
        "async def f(loop):\n    await loop.run_in_executor(None, print)\n",
        "def f(ex, xs):\n    return ex.submit(print, xs)\n",
        "def f(pool, xs):\n    return pool.map(print, xs)\n",
        "def f(pool, xs):\n    return pool \\\n        .map(print, xs)\n",
        "import multiprocessing as mp\nclass W(mp.Process):\n    def run(self):\n        pass\n",
    ):
        assert _gate(source), source


def test_thread_targets_with_sites_finds_the_same_targets():
    source = """
        import threading
        counter = 0
        def work():
            global counter
            counter += 1
        threading.Thread(target=work).start()
    """
    text = textwrap.dedent(source)
    module = cst.parse_module(text)
    ctx = Context(module, "example.py", load_settings(isolated=True), text=text)
    BindingCollector(ctx.module_scope).statements(module.body)
    targets = thread_targets_with_sites(ctx)
    assert targets is thread_targets(ctx)
    assert {function_name(f) for f in targets.thread_context} == {"work"}


def own_loop(source: str) -> Dict[str, bool]:
    """function name -> whether it runs in a thread on that thread's own event loop."""
    _ctx, targets = analyse(source)
    return {function_name(f): origin.own_loop for f, origin in targets.thread_context.items()}


def test_walk_stops_at_a_coroutine_function_called_from_a_thread():
    found = own_loop("""
        import asyncio, threading
        def worker(loop):
            asyncio.run_coroutine_threadsafe(deliver(), loop)
            helper()
        async def deliver():
            schedule()
        def schedule():
            pass
        def helper():
            pass
        threading.Thread(target=worker, args=(None,)).start()
    """)
    assert found == {"worker": False, "helper": False}


def test_coroutines_run_by_the_thread_run_on_its_own_loop():
    found = own_loop("""
        import asyncio, threading
        class App:
            def run(self):
                return asyncio.run(self._main())
            def run_later(self):
                coro = self._other()
                loop = asyncio.new_event_loop()
                return loop.run_until_complete(coro)
            async def _main(self):
                self.spawn()
            async def _other(self):
                pass
            def spawn(self):
                pass
            def start(self):
                threading.Thread(target=lambda: self.run()).start()
                threading.Thread(target=self.run_later).start()
    """)
    assert found == {"<lambda>": False, "run": False, "_main": True, "spawn": True,
                     "run_later": False, "_other": True}


def test_a_direct_route_wins_over_the_thread_own_loop():
    found = own_loop("""
        import asyncio, threading
        def runner():
            asyncio.run(main())
        async def main():
            shared()
        def shared():
            pass
        def poller():
            shared()
        threading.Thread(target=runner).start()
        threading.Thread(target=poller).start()
    """)
    assert found["shared"] is False and found["main"] is True
