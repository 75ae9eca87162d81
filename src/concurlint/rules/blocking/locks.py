"""CCY205 (blocking sync primitive) and CCY210 (await while holding a thread lock): thread
locks, events, queues and futures waited on in a coroutine; owns the reading of a ``with`` over
a thread lock (the section it guards, whether it suspends or blocks) and of a lock released
in a ``finally``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from ...apis import blocking as apis
from ...apis.backends import advice as backend_advice
from ...findings import Text
from ...semantics.callees import walk_body
from ...semantics.context import Context
from ...semantics.traversal import iter_children
from ..base import Rule
from .arguments import dotted
from .classify import Blocking, classify
from .common import _BlockingCallRule, _NOT_FLAGGED_COMMON, _WHY


class BlockingSyncPrimitive(_BlockingCallRule):
    code = "CCY205"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: the round-1 form had 14 "
        "findings, 10 wrong (short thread-lock sections, puts on unbounded queues, waits "
        "known to be over); the narrowed rule keeps 4, all in tests (intended), which the "
        "default form leaves out.")
    name = "blocking-sync-primitive"
    summary = Text("waiting on a thread primitive inside an async function")
    what = Text(
        "Finds, inside an `async def`: `acquire()` on a `threading` Lock/RLock/Semaphore/"
        "BoundedSemaphore/Condition (or a `multiprocessing` one); `Event.wait()`, "
        "`Condition.wait()/wait_for()`, `Barrier.wait()`; the blocking `get()/join()` of "
        "`queue.Queue/LifoQueue/PriorityQueue/SimpleQueue` and `multiprocessing.Queue/JoinableQueue`, "
        "and their `put()` when the queue was made with a positive (or non-literal) `maxsize` "
        "(only a full queue makes `put()` wait: on a queue made without one, or made where the "
        "rule cannot see, `put()` returns at once); `Thread.join()`, `Process.join()`; "
        "`multiprocessing.Pool` `apply/map/starmap/join`; `concurrent.futures` "
        "`Future.result()/exception()`, `wait()` and `as_completed()`. A plain `with` on a thread "
        "lock (or `lock.acquire()` right before `try: ... finally: lock.release()`) is flagged only "
        "when its body makes a blocking call: a body with no blocking call and no `await` is a "
        "short critical section guarding state shared with threads, the right tool there, and "
        "a body with an `await` is CCY210 (await-while-holding-thread-lock), not this rule. Not "
        "flagged either: the non-blocking forms `get(block=False)`, `get(False)`, "
        "`put(x, block=False)`, `acquire(blocking=False)`, `acquire(False)`, and any of these "
        "waits with a literal timeout of `0` (`event.wait(0)`, `t.join(timeout=0)`, "
        "`fut.result(timeout=0)`), which poll and return at once; waits whose end the code already "
        "knows: `fut.result()` inside `if fut.done():`, `t.join()` inside `if not t.is_alive():` or "
        "after a `while t.is_alive(): await ...` polling loop (`while not fut.done():` likewise), "
        "`q.get()` inside `if not q.empty():` or after `while q.empty(): await ...`, and a "
        "`join()`/`result()` after the coroutine awaited an event or future that the thread, its "
        "arguments or the future's done-callback signal (`await done.wait()`, `await finished`, "
        "`await asyncio.wrap_future(fut)`); `*_nowait()`; `Event.is_set()`; `Task.result()` and the "
        "result of other *asyncio* futures. A positive timeout still blocks (for up to that long) "
        "and is flagged. `async with threading.Lock()` is reported by CCY106 (wrong-with-kind), "
        "not here. The advice names the module's async library (`trio.to_thread.run_sync` in trio "
        "code) and never proposes an async lock, event or queue for an object that threads share. "
        "{not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "Thread primitives wait by blocking the calling thread. If the thread that will release "
        "the lock, set the event or fill the queue is waiting for the event loop, the program "
        "deadlocks; otherwise every other task stalls until it does. An object that threads "
        "share cannot simply become an `asyncio` one (those are not thread-safe): wait for it in "
        "a worker thread instead. {why}").format(why=_WHY)
    example = (
        "import queue\nimport threading\n\nresults = queue.Queue()\n\n\nasync def collect(work):\n"
        "    threading.Thread(target=work, args=(results,)).start()\n"
        "    return results.get()\n")
    use_instead = (
        "import asyncio\nimport queue\nimport threading\n\nresults = queue.Queue()\n\n\n"
        "async def collect(work):\n"
        "    threading.Thread(target=work, args=(results,)).start()\n"
        "    return await asyncio.to_thread(results.get)\n")
    fix_safety = Text("No automatic fix.")
    valid = (
        "import queue\n\nq = queue.Queue(10)\n\nasync def f():\n    return q.get_nowait()\n",
        "import queue\n\nq = queue.Queue(10)\n\nasync def f():\n    return q.get(block=False)\n",
        "import queue\n\nq = queue.Queue()\n\nasync def f(item):\n    q.put(item)\n",
        "import threading\n\nev = threading.Event()\n\nasync def f():\n    return ev.is_set() or ev.wait(0)\n",
        "import asyncio\n\nasync def f():\n    t = asyncio.create_task(asyncio.sleep(1))\n    await t\n    return t.result()\n",
        "import asyncio, threading\n\nlock = threading.Lock()\n\nasync def f():\n    await asyncio.to_thread(lock.acquire)\n",
        "import threading\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n"
        "        self.n = 0\n\n    async def f(self):\n        with self._lock:\n            self.n += 1\n",
        "import asyncio, threading\n\nasync def f(work):\n    t = threading.Thread(target=work)\n"
        "    t.start()\n    while t.is_alive():\n        await asyncio.sleep(0.1)\n    t.join()\n",
    )
    invalid = (
        "import threading\n\nlock = threading.Lock()\n\nasync def f():\n    lock.acquire()\n",
        "import threading, time\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n\n"
        "    async def f(self):\n        with self._lock:\n            time.sleep(1)\n",
        "from concurrent.futures import ThreadPoolExecutor\n\nasync def f(ex: ThreadPoolExecutor):\n"
        "    fut = ex.submit(print, 1)\n    return fut.result()\n",
        "import queue\n\njobs = queue.Queue(maxsize=100)\n\nasync def f(job):\n    jobs.put(job)\n",
    )

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        # `with lock:` and `lock.acquire(); try: ... finally: lock.release()` sections whose
        # verdict waits for their body (its calls are classified on the way down).
        self._withs: Dict[int, Tuple[cst.BaseExpression, str]] = {}
        self._tries: Dict[int, Tuple[cst.Call, Text]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        found = self.blocking_call(node)
        if found is None:
            return
        section = _released_in_finally(self.ctx, node) if found.api.endswith(".acquire") else None
        if section is not None:
            self._tries[id(section)] = (node, self.message(found))
            return
        self.report(node, self.message(found))

    def leave_Try(self, node: cst.Try) -> None:
        pending = self._tries.pop(id(node), None)
        if pending is not None and (_suspends(node.body) is not None
                                    or _blocking_call(self.ctx, node.body) is not None):
            self.report(*pending)

    def visit_With(self, node: cst.With) -> None:
        items = _thread_lock_items(self.ctx, node)
        if items:
            self._withs[id(node)] = (items[0][0].item, items[0][1])

    def leave_With(self, node: cst.With) -> None:
        pending = self._withs.pop(id(node), None)
        if pending is None or _suspends(node.body) is not None:
            return  # a short critical section; or an await inside: CCY210
        blocking = _blocking_call(self.ctx, node.body)
        if blocking is None:
            return
        item, type_name = pending
        advice = apis.THREAD_LOCK.text(self.ctx.async_backend)
        self.report(item, Text(
            "'with' on a '{type_name}' waits for the lock on the event loop and holds it around "
            "the blocking call '{api}()'; {advice}").format(
                type_name=type_name,
                api=blocking.api,
                advice=advice))


def _thread_lock_items(ctx: Context, node: cst.With) -> List[Tuple[cst.WithItem, str]]:
    """The items of a plain ``with`` in a coroutine that take a thread lock, with its type."""
    if node.asynchronous is not None or not ctx.in_async_function:
        return []
    found = []
    for item in node.items:
        type_name = ctx.type_of(item.item)
        if type_name is not None and apis.with_entry(type_name) is not None:
            found.append((item, type_name))
    return found


def _section_nodes(block: cst.CSTNode) -> List[cst.CSTNode]:
    """The nodes a block runs itself: not the bodies of functions, lambdas or classes it
    defines, nor generator expressions (they run later, where they are iterated)."""
    found: List[cst.CSTNode] = []
    stack: List[cst.CSTNode] = [block]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.GeneratorExp)):
            continue
        stack.extend(reversed(iter_children(current)))
    return found


def _suspends(block: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The first ``await``, ``async with`` or ``async for`` the block itself runs."""
    for current in _section_nodes(block):
        if isinstance(current, cst.Await):
            return current
        if isinstance(current, (cst.With, cst.For, cst.CompFor)) and current.asynchronous is not None:
            return current
    return None


def _blocking_call(ctx: Context, block: cst.CSTNode) -> Optional[Blocking]:
    """The first blocking call the block runs (classified when the walk went through it)."""
    for current in _section_nodes(block):
        if isinstance(current, cst.Call):
            found = classify(ctx, current)
            if found is not None:
                return found
    return None


def _released_in_finally(ctx: Context, call: cst.Call) -> Optional[cst.Try]:
    """``lock.acquire()`` as a statement right before ``try: ... finally: lock.release()``:
    the ``try`` is a critical section like ``with lock:``."""
    ancestors = ctx.ancestors
    if len(ancestors) < 3 or not isinstance(call.func, cst.Attribute):
        return None
    expr, line, block = ancestors[-1], ancestors[-2], ancestors[-3]
    if not (isinstance(expr, cst.Expr) and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1 and isinstance(block, cst.IndentedBlock)):
        return None
    index = next((i for i, stmt in enumerate(block.body) if stmt is line), -1)
    following = block.body[index + 1] if 0 <= index < len(block.body) - 1 else None
    wanted = dotted(call.func.value)
    if not isinstance(following, cst.Try) or following.finalbody is None or wanted is None:
        return None
    for sub in walk_body(following.finalbody):
        if (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value == "release" and dotted(sub.func.value) == wanted):
            return following
    return None


class AwaitWhileHoldingThreadLock(Rule):
    code = "CCY210"

    group = "suspicious"
    group_reason = Text(
        "A coroutine that awaits while holding a thread lock can deadlock the event loop; no "
        "finding on the 28 projects of the ecosystem check, reported in test code too (a "
        "deadlocked test hangs).")
    name = "await-while-holding-thread-lock"
    summary = Text("`await` inside `with <threading lock>:` in an async function")
    what = Text(
        "Finds a plain `with` on a `threading` (or `multiprocessing`) Lock, RLock, Semaphore, "
        "BoundedSemaphore or Condition inside an `async def` whose body runs an `await`, an "
        "`async with` or an `async for`. The lock is found like every other object "
        "(`lock = threading.Lock()`, `self._lock` set in `__init__`, module-level locks, annotated "
        "parameters). It is reported on the `with` statement. Not flagged: an `asyncio` (or trio, "
        "anyio) lock taken with `async with`; a `with lock:` around code that never suspends (that "
        "short critical section is CCY205's business, and only when it holds a blocking call); an "
        "`await` inside a function, lambda or class defined in the `with` body, which does not run "
        "there. Such a `with` is reported by this rule only, not by CCY205 as well. Group: "
        "suspicious (on by default): holding a thread lock across a suspension is a latent "
        "deadlock wherever a second coroutine can take the same lock.")
    why = Text(
        "A thread lock belongs to a thread, and every coroutine of an event loop runs on the same "
        "thread. While the coroutine is suspended at the `await`, the lock stays held; when "
        "another coroutine on the loop reaches `with lock:` it blocks the thread waiting for a "
        "release that can only happen once the loop runs the first coroutine again, which it never "
        "will: the whole loop hangs for good (an `RLock` is worse: the second coroutine, on the "
        "same thread, re-enters it and both mutate the state it guards). Threads that need the "
        "lock wait for the whole suspension too. Keep the critical section free of `await`: copy "
        "what you need under the lock, release it, then await; a lock that only coroutines use "
        "should be an async lock.")
    example = (
        "import threading\n\n_lock = threading.Lock()\n_cache = {}\n\n\n"
        "async def get(key, fetch):\n    with _lock:\n        if key not in _cache:\n"
        "            _cache[key] = await fetch(key)\n        return _cache[key]\n")
    use_instead = (
        "import threading\n\n_lock = threading.Lock()\n_cache = {}\n\n\n"
        "async def get(key, fetch):\n    with _lock:\n        if key in _cache:\n"
        "            return _cache[key]\n    value = await fetch(key)\n    with _lock:\n"
        "        return _cache.setdefault(key, value)\n")
    fix_safety = Text("No automatic fix: where to release the lock depends on what it guards.")
    valid = (
        "import asyncio\n\nlock = asyncio.Lock()\n\nasync def f(g):\n    async with lock:\n        await g()\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(state):\n    with lock:\n"
        "        state['n'] += 1\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n"
        "        async def later():\n            await g()\n    return later\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n"
        "        def helper():\n            return g()\n    await g()\n",
    )
    invalid = (
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n        await g()\n",
        "import threading\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n\n"
        "    async def f(self, s):\n        with self._lock:\n            async with s:\n                pass\n",
        "import threading\n\nasync def f(lock: threading.Condition, items):\n    with lock:\n"
        "        async for x in items:\n            print(x)\n",
    )

    def visit_With(self, node: cst.With) -> None:
        items = _thread_lock_items(self.ctx, node)
        if not items or _suspends(node.body) is None:
            return
        item, type_name = items[0]
        shown = " ".join(self.ctx.module.code_for_node(item.item).split())
        lock = backend_advice(self.ctx.async_backend, "lock")
        self.report(node, Text(
            "'with {shown}' keeps a thread lock ('{type_name}') held across an await: while this "
            "coroutine is suspended, another coroutine that takes the lock blocks the event loop for "
            "good; release it before awaiting, or use {lock} if no thread shares it").format(
                shown=shown,
                type_name=type_name,
                lock=lock))
