"""CCY7: resource lifecycle -- clients, executors and event loops that are never released."""
from __future__ import annotations

from typing import Dict, Optional, Set, Tuple

import libcst as cst

from ..apis.resources import (
    CLIENTS, EVENT_LOOP_FACTORIES, EXECUTORS, NON_OWNING_CALLS, RETRY_LOOP_NAMES,
)
from ..findings import Text
from ..semantics.callees import last_name, walk_body
from ..semantics.lifetime import NameUsage, usage_of, value_fate
from ..semantics.scopes import GLOBAL, NONLOCAL
from .base import Rule

_ALL_NAMES = frozenset(k.rsplit(".", 1)[-1] for k in [*CLIENTS, *EXECUTORS, *EVENT_LOOP_FACTORIES])
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _created(rule: Rule, node: cst.Call, table: Dict[str, Tuple[str, ...]]) -> Optional[str]:
    """The qualified name of the resource ``node`` creates, if it is in ``table``."""
    func = node.func
    if isinstance(func, cst.Attribute):
        if func.attr.value not in _ALL_NAMES:
            return None
    elif not isinstance(func, cst.Name):
        return None
    callee = rule.ctx.resolve(func)
    return callee if callee in table else None


def _short(qualname: str) -> str:
    parts = qualname.split(".")
    return ".".join(parts[-2:]) if parts[0] in ("aiohttp", "httpx", "requests", "asyncio") else parts[-1]


class _LifetimeRule(Rule):
    """A resource bound to a local name must be released or handed on."""

    _table: Dict[str, Tuple[str, ...]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        callee = _created(self, node, self._table)
        if callee is None:
            return
        function = self.ctx.function
        if function is None or function.kind != "function":
            return  # module level: lives as long as the process
        fate = value_fate(self.ctx, node)
        if fate.kind != "name" or fate.name is None or fate.awaited:
            return  # with-statement, stored, returned, passed, chained...
        kinds = {b.kind for b in function.bindings.get(fate.name, ())}
        if GLOBAL in kinds or NONLOCAL in kinds:
            return  # bound outside this function
        usage = usage_of(self.ctx, fate.name)
        if usage is None or self._released(usage, self._table[callee]):
            return
        self.report(node, self._message(callee, fate.name))

    def _released(self, usage: NameUsage, closers: Tuple[str, ...]) -> bool:
        if usage.context_manager or usage.async_context_manager:
            return True
        if usage.calls_method(*closers) or any(c in usage.attributes for c in closers):
            return True  # x.close(), or x.close registered (atexit, weakref.finalize, addCleanup)
        if usage.returned or usage.yielded or usage.raised or usage.stored:
            return True
        if usage.aliases or usage.closure:
            return True  # followed into another name or a nested scope: assume handed on
        for text, call in usage.passed_to:
            name = text.rsplit(".", 1)[-1] if text else last_name(call.func)
            if name not in NON_OWNING_CALLS:
                return True
        return False

    def _message(self, callee: str, name: str) -> Text:  # pragma: no cover - overridden
        raise NotImplementedError


# ----------------------------------------------------------------------------- CCY701


class UnclosedClient(_LifetimeRule):
    code = "CCY701"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "A client never closed leaks connections; no finding on the 28 projects of the "
        "ecosystem check; the default form leaves test code out.")
    name = "unclosed-client"
    summary = Text("HTTP client session bound to a local name and never closed")
    what = Text(
        "Flags `aiohttp.ClientSession()`, `httpx.AsyncClient()`, `httpx.Client()` and "
        "`requests.Session()` bound to a local name that is not used as a context manager, never "
        "closed (`close()`/`aclose()`, also registered with `atexit.register` or "
        "`weakref.finalize`), not returned, not stored on `self`/globals/a container and not "
        "passed to another call. Clients created at module level live as long as the process "
        "and are not flagged.")
    why = Text(
        "A client session owns a pool of open connections. If nobody closes it, the sockets stay "
        "open until the garbage collector happens to run (aiohttp warns \"Unclosed client "
        "session\"), file descriptors leak with every call of the function, and at shutdown "
        "pending connections are cut off instead of being closed cleanly.")
    example = (
        "import aiohttp\n\n"
        "async def fetch(url):\n"
        "    session = aiohttp.ClientSession()\n"
        "    async with session.get(url) as resp:\n"
        "        return await resp.text()\n")
    use_instead = (
        "import aiohttp\n\n"
        "async def fetch(url):\n"
        "    async with aiohttp.ClientSession() as session:\n"
        "        async with session.get(url) as resp:\n"
        "            return await resp.text()\n")
    fix_safety = Text("No automatic fix: where the session should end is a design decision.")
    valid = (
        "import requests\ndef f(url):\n    with requests.Session() as s:\n        return s.get(url, timeout=5)\n",
        "import requests\ndef make():\n    s = requests.Session()\n    s.headers['X'] = '1'\n    return s\n",
        "import aiohttp\nasync def f(url):\n    session = aiohttp.ClientSession()\n    try:\n"
        "        return await session.get(url)\n    finally:\n        await session.close()\n",
        "import httpx\nclass Api:\n    def __init__(self):\n        client = httpx.Client()\n"
        "        self.client = client\n",
        "import requests\nsession = requests.Session()\n",
    )
    invalid = (
        "import requests\ndef status(url):\n    s = requests.Session()\n    return s.get(url, timeout=5).status_code\n",
        "import aiohttp\nasync def fetch(url):\n    session = aiohttp.ClientSession()\n"
        "    resp = await session.get(url)\n    return await resp.text()\n",
        "from httpx import AsyncClient as C\nasync def f(url):\n    c = C()\n    return await c.get(url)\n",
    )

    _table = CLIENTS

    def _message(self, callee: str, name: str) -> Text:
        shown = _short(callee)
        if callee.startswith("aiohttp.") or callee == "httpx.AsyncClient":
            closer = "aclose" if callee == "httpx.AsyncClient" else "close"
            return Text(
                "'{shown}()' bound to '{name}' is never closed and leaks its connections; use "
                "'async with {shown}() as {name}:' or 'await {name}.{closer}()' in a finally block").format(
                    shown=shown,
                    name=name,
                    closer=closer)
        return Text(
            "'{shown}()' bound to '{name}' is never closed and leaks its connections; use "
            "'with {shown}() as {name}:' or call '{name}.close()' in a finally block").format(
                shown=shown,
                name=name)


# ----------------------------------------------------------------------------- CCY702


class ClientPerRequest(Rule):
    code = "CCY702"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "A client or executor per request defeats reuse; no finding on the 28 projects of "
        "the ecosystem check; the default form leaves test code out.")
    name = "client-per-request"
    summary = Text("client session or executor created inside a loop")
    what = Text(
        "Flags a client session (`aiohttp.ClientSession`, `httpx.Client`/`AsyncClient`, "
        "`requests.Session`) or an executor/pool (`ThreadPoolExecutor`, `ProcessPoolExecutor`, "
        "`multiprocessing.Pool`) created inside a loop body or a comprehension and used only for "
        "that iteration. Building a pool of long-lived clients (the object is stored in a "
        "container or on `self`, or is itself the comprehension's element) and retry/reconnect "
        "loops (`while True`, loops with `try`, `for attempt in range(...)`) are not flagged.")
    why = Text(
        "A session exists to reuse connections (keep-alive, TLS sessions, DNS cache) and an "
        "executor to reuse threads or processes. Creating one per item pays the connection "
        "handshake or the worker start-up every time, defeats connection limits, and can leave "
        "many half-closed sockets behind. Create it once, before the loop, and reuse it.")
    example = (
        "import requests\n\n"
        "def statuses(urls):\n"
        "    out = []\n"
        "    for url in urls:\n"
        "        with requests.Session() as s:\n"
        "            out.append(s.get(url, timeout=5).status_code)\n"
        "    return out\n")
    use_instead = (
        "import requests\n\n"
        "def statuses(urls):\n"
        "    with requests.Session() as s:\n"
        "        return [s.get(url, timeout=5).status_code for url in urls]\n")
    fix_safety = Text("No automatic fix: moving the session changes its scope.")
    valid = (
        "import requests\ndef f(urls):\n    with requests.Session() as s:\n"
        "        for u in urls:\n            s.get(u, timeout=5)\n",
        "import requests\ndef pool(n):\n    return [requests.Session() for _ in range(n)]\n",
        "import aiohttp\nasync def listen(url):\n    while True:\n"
        "        async with aiohttp.ClientSession() as s:\n            await s.get(url)\n",
    )
    invalid = (
        "import requests\ndef f(urls):\n    for u in urls:\n        with requests.Session() as s:\n"
        "            s.get(u, timeout=5)\n",
        "import aiohttp\nasync def f(urls):\n    for u in urls:\n        async with aiohttp.ClientSession() as s:\n"
        "            await s.get(u)\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef f(batches):\n    for b in batches:\n"
        "        with ThreadPoolExecutor(4) as ex:\n            list(ex.map(print, b))\n",
    )

    _tables = {**CLIENTS, **EXECUTORS}

    def visit_Call(self, node: cst.Call) -> None:
        callee = _created(self, node, self._tables)
        if callee is None:
            return
        loop = self._repeating_loop(node)
        if loop is None or self._kept(node) or self._configured_per_item(node, loop):
            return
        kind = Text("connection") if callee in CLIENTS else Text("thread/process")
        self.report(node, Text(
            "'{shown}()' is created on every iteration, so no {kind} is reused; create it once "
            "before the loop and reuse it").format(shown=_short(callee), kind=kind))

    def _repeating_loop(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The innermost loop/comprehension (in this function) that repeats ``node``."""
        child: cst.CSTNode = node
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                return None
            if isinstance(ancestor, cst.For) and child is ancestor.body:
                return None if self._is_retry_for(ancestor) else ancestor
            if isinstance(ancestor, cst.While) and child is ancestor.body:
                return None if self._is_retry_while(ancestor) else ancestor
            if isinstance(ancestor, cst.DictComp) and (child is ancestor.key or child is ancestor.value):
                return ancestor
            if isinstance(ancestor, _COMPREHENSIONS) and not isinstance(ancestor, cst.DictComp) \
                    and child is ancestor.elt:  # type: ignore[attr-defined]
                return ancestor
            child = ancestor
        return None

    @staticmethod
    def _configured_per_item(node: cst.Call, loop: cst.CSTNode) -> bool:
        """``Client(proxy=proxy)`` for each proxy: one client per configuration, not per request."""
        names: Set[str] = set()
        if isinstance(loop, cst.For):
            fors = [loop.target]
        elif isinstance(loop, _COMPREHENSIONS):
            fors = []
            current: Optional[cst.CompFor] = loop.for_in  # type: ignore[attr-defined]
            while current is not None:
                fors.append(current.target)
                current = current.inner_for_in
        else:
            return False
        for target in fors:
            for sub in [target, *walk_body(target)]:
                if isinstance(sub, cst.Name):
                    names.add(sub.value)
        if not names:
            return False
        for arg in node.args:
            for sub in [arg.value, *walk_body(arg.value)]:
                if isinstance(sub, cst.Name) and sub.value in names:
                    return True
        return False

    def _is_retry_for(self, loop: cst.For) -> bool:
        target = loop.target
        if isinstance(target, cst.Name):
            lowered = target.value.lower()
            if lowered in RETRY_LOOP_NAMES or "attempt" in lowered or "retr" in lowered:
                return True
        iterable = loop.iter
        if isinstance(iterable, cst.Call) and self.ctx.resolve(iterable.func) == "builtins.range":
            return self._has_try(loop.body)
        return False

    def _is_retry_while(self, loop: cst.While) -> bool:
        test = loop.test
        if isinstance(test, cst.Name) and test.value == "True":
            return True
        if isinstance(test, cst.Integer) and test.value != "0":
            return True
        return self._has_try(loop.body)

    @staticmethod
    def _has_try(body: cst.CSTNode) -> bool:
        return any(isinstance(sub, (cst.Try, cst.TryStar)) for sub in walk_body(body))

    def _kept(self, node: cst.Call) -> bool:
        """The object outlives the iteration: a pool of clients, not one per request."""
        parent = self.ctx.parent
        if isinstance(parent, _COMPREHENSIONS) and not isinstance(parent, cst.DictComp) \
                and parent.elt is node:  # type: ignore[attr-defined]
            return True
        if isinstance(parent, cst.DictComp) and parent.value is node:
            return True
        if isinstance(parent, cst.Arg):
            grand = self.ctx.ancestors[-2] if len(self.ctx.ancestors) >= 2 else None
            if isinstance(grand, cst.Call) and isinstance(grand.func, cst.Attribute) and \
                    grand.func.attr.value in ("append", "add", "put", "put_nowait", "insert", "setdefault"):
                return True
        if isinstance(parent, cst.Assign) and parent.value is node:
            if any(not isinstance(t.target, cst.Name) for t in parent.targets):
                return True  # self.clients[k] = Client(); pool[i] = Session()
        fate = value_fate(self.ctx, node)
        if fate.kind == "name" and fate.name is not None:
            usage = usage_of(self.ctx, fate.name)
            if usage is not None and (usage.stored or usage.returned or usage.yielded):
                return True
        return False


# ----------------------------------------------------------------------------- CCY703


class ExecutorNotShutDown(_LifetimeRule):
    code = "CCY703"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "An executor never shut down leaks threads or processes; no finding on the 28 "
        "projects of the ecosystem check; the default form leaves test code out.")
    name = "executor-not-shut-down"
    summary = Text("executor or process pool bound to a local name and never shut down")
    what = Text(
        "Flags `ThreadPoolExecutor(...)`, `ProcessPoolExecutor(...)` and `multiprocessing.Pool(...)` "
        "bound to a local name that is not used with `with`, never `shutdown()`/`close()`/"
        "`terminate()`d (directly or registered with `atexit.register`/`weakref.finalize`), not "
        "returned, not stored and not passed to another call. Module-level pools are not flagged.")
    why = Text(
        "An executor owns worker threads or processes. Without a shutdown every call of the "
        "function leaves its workers behind (threads pile up; processes stay alive as orphans), "
        "and at exit the interpreter may wait for them or kill them mid-task. `with` shuts the "
        "pool down and waits for submitted work, even when an exception is raised.")
    example = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "def resize_all(paths):\n"
        "    pool = ThreadPoolExecutor(max_workers=8)\n"
        "    return list(pool.map(resize, paths))\n")
    use_instead = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "def resize_all(paths):\n"
        "    with ThreadPoolExecutor(max_workers=8) as pool:\n"
        "        return list(pool.map(resize, paths))\n")
    fix_safety = Text("No automatic fix.")
    valid = (
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor(4) as ex:\n        return list(ex.map(abs, xs))\n",
        "from multiprocessing import Pool\ndef f(xs):\n    pool = Pool(4)\n    try:\n"
        "        return pool.map(abs, xs)\n    finally:\n        pool.close()\n        pool.join()\n",
        "import atexit\nfrom concurrent.futures import ThreadPoolExecutor\ndef start():\n"
        "    ex = ThreadPoolExecutor(2)\n    atexit.register(ex.shutdown, wait=False)\n    ex.submit(print)\n",
        "from concurrent.futures import ThreadPoolExecutor\nPOOL = ThreadPoolExecutor(4)\n",
    )
    invalid = (
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n    ex = ThreadPoolExecutor(4)\n"
        "    return list(ex.map(abs, xs))\n",
        "import multiprocessing as mp\ndef f(xs):\n    pool = mp.Pool(2)\n    return pool.map(abs, xs)\n",
        "import asyncio\nimport concurrent.futures as cf\nasync def f():\n    ex = cf.ProcessPoolExecutor()\n"
        "    return await asyncio.get_running_loop().run_in_executor(ex, abs, -1)\n",
    )

    _table = EXECUTORS

    def _message(self, callee: str, name: str) -> Text:
        shown = _short(callee)
        closer = "shutdown()" if callee in ("concurrent.futures.ThreadPoolExecutor",
                                            "concurrent.futures.ProcessPoolExecutor") else "close(); join()"
        return Text(
            "'{shown}()' bound to '{name}' is never shut down and leaves its workers behind; use "
            "'with {shown}(...) as {name}:' or call '{name}.{closer}' in a finally block").format(
            shown=shown, name=name, closer=closer)


# ----------------------------------------------------------------------------- CCY704


class EventLoopNotClosed(_LifetimeRule):
    code = "CCY704"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "An event loop never closed leaks its selector and sockets; no finding on the 28 "
        "projects of the ecosystem check; the default form leaves test code out.")
    name = "event-loop-not-closed"
    summary = Text("`asyncio.new_event_loop()` bound to a local name and never closed")
    what = Text(
        "Flags `asyncio.new_event_loop()` bound to a local name that is never `.close()`d, not "
        "returned, not stored (on `self`, an object, a container, a global) and not handed to an "
        "owner (another call that receives the loop). `asyncio.set_event_loop(loop)` alone does not "
        "take ownership, so it does not count; a loop both set and stored, returned or handed on is "
        "handed off, and not reported. A loop whose `run_forever` is given to a thread that nobody "
        "stops is still leaked.")
    why = Text(
        "An event loop owns a selector, a self-pipe and often a default executor. An unclosed "
        "loop leaks these file descriptors and threads (`ResourceWarning: unclosed event loop`), "
        "and its pending callbacks and async generators are never finalised. `asyncio.run()` and "
        "`asyncio.Runner` create, clean up and close the loop for you.")
    example = (
        "import asyncio\n\n"
        "def main():\n"
        "    loop = asyncio.new_event_loop()\n"
        "    asyncio.set_event_loop(loop)\n"
        "    loop.run_until_complete(serve())\n")
    use_instead = (
        "import asyncio\n\n"
        "def main():\n"
        "    asyncio.run(serve())\n")
    fix_safety = Text("No automatic fix.")
    valid = (
        "import asyncio\ndef main():\n    asyncio.run(serve())\n",
        "import asyncio\ndef main():\n    loop = asyncio.new_event_loop()\n    try:\n"
        "        loop.run_until_complete(serve())\n    finally:\n        loop.close()\n",
        "import asyncio\nimport threading\ndef start():\n    loop = asyncio.new_event_loop()\n"
        "    threading.Thread(target=run, args=(loop,)).start()\n",
        "import asyncio\ndef make():\n    loop = asyncio.new_event_loop()\n    return loop\n",
        "import asyncio\nclass R:\n    def start(self):\n        loop = asyncio.new_event_loop()\n"
        "        asyncio.set_event_loop(loop)\n        self.loop = loop\n",
    )
    invalid = (
        "import asyncio\ndef main():\n    loop = asyncio.new_event_loop()\n    asyncio.set_event_loop(loop)\n"
        "    loop.run_until_complete(serve())\n",
        "from asyncio import new_event_loop\ndef main():\n    loop = new_event_loop()\n"
        "    loop.run_forever()\n",
    )

    _table = EVENT_LOOP_FACTORIES

    def _message(self, callee: str, name: str) -> Text:
        return Text(
            "event loop '{name}' from '{shown}()' is never closed and leaks its resources; "
            "use asyncio.run() or asyncio.Runner, or call '{name}.close()' in a finally block").format(
                name=name, shown=_short(callee))


RULES = [UnclosedClient, ClientPerRequest, ExecutorNotShutDown, EventLoopNotClosed]
