"""Library knowledge for CCY7 (resource lifecycle), as data tables.

Keys are canonical qualified names of the calls that create a resource; values
are the method names that release it. Using the object with ``with`` /
``async with`` always counts as releasing it.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

# CCY701/CCY702: HTTP clients that hold a connection pool.
CLIENTS: Dict[str, Tuple[str, ...]] = {
    "aiohttp.ClientSession": ("close",),
    "httpx.AsyncClient": ("aclose", "close"),
    "httpx.Client": ("close",),
    "requests.Session": ("close",),
    "requests.session": ("close",),
}

# CCY703 (and CCY702): worker pools that own threads or processes.
EXECUTORS: Dict[str, Tuple[str, ...]] = {
    "concurrent.futures.ThreadPoolExecutor": ("shutdown",),
    "concurrent.futures.ProcessPoolExecutor": ("shutdown",),
    "multiprocessing.Pool": ("close", "terminate"),
    "multiprocessing.pool.ThreadPool": ("close", "terminate"),
}

# CCY704: calls that make a new event loop the caller must close.
EVENT_LOOP_FACTORIES: Dict[str, Tuple[str, ...]] = {
    "asyncio.new_event_loop": ("close",),
    "asyncio.SelectorEventLoop": ("close",),
    "asyncio.ProactorEventLoop": ("close",),
    "uvloop.new_event_loop": ("close",),
}

# Calls that receive a resource without taking ownership of it: passing the
# object to them is not "handing it on" (matched on the callee's last name, so
# ``asyncio.set_event_loop(loop)`` and ``set_event_loop(loop)`` both count).
NON_OWNING_CALLS: FrozenSet[str] = frozenset({
    "set_event_loop",  # the loop is still the caller's to close
    "run_in_executor",  # uses the executor, does not shut it down
    "run_coroutine_threadsafe",  # schedules on the loop, does not own it
    "print", "repr", "str", "id", "isinstance", "len", "type", "hasattr", "getattr",
    "debug", "info", "warning", "error", "exception", "log",
})

# Loop heads that mean "retry" or "reconnect", not "one per item": creating a
# client per attempt there is deliberate (matched on the loop variable's name).
RETRY_LOOP_NAMES: FrozenSet[str] = frozenset({
    "attempt", "attempts", "retry", "retries", "try_", "tries", "try_number", "n_try",
})
