"""Library knowledge for CCY4 (backpressure and fan-out), as data tables.

Keys are canonical qualified names (see ``apis.canonical``); a method is
``<Type>.<method>``.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

# Queue constructors that take a ``maxsize``: qualified name -> (position of
# maxsize among the positional arguments, its keyword). A missing, zero or
# negative maxsize means "unbounded".
QUEUE_MAXSIZE: Dict[str, Tuple[int, str]] = {
    "asyncio.Queue": (0, "maxsize"),
    "asyncio.LifoQueue": (0, "maxsize"),
    "asyncio.PriorityQueue": (0, "maxsize"),
    "queue.Queue": (0, "maxsize"),
    "queue.LifoQueue": (0, "maxsize"),
    "queue.PriorityQueue": (0, "maxsize"),
    "multiprocessing.Queue": (0, "maxsize"),
    "multiprocessing.JoinableQueue": (0, "maxsize"),
    # multiprocessing.Manager() proxies of queue.Queue
    "multiprocessing.managers.SyncManager.Queue": (0, "maxsize"),
    "multiprocessing.managers.SyncManager.JoinableQueue": (0, "maxsize"),
    # janus: a queue with sync and async ends
    "janus.Queue": (0, "maxsize"),
}

# Queues that have no size limit at all.
ALWAYS_UNBOUNDED_QUEUES: FrozenSet[str] = frozenset({
    "queue.SimpleQueue",
})

# Calls that take a zero-argument factory: a queue class passed there makes
# unbounded queues (``field(default_factory=asyncio.Queue)``). Value: the
# factory's (position, keyword).
QUEUE_FACTORY_TAKERS: Dict[str, Tuple[Optional[int], str]] = {
    "dataclasses.field": (None, "default_factory"),
    "pydantic.Field": (None, "default_factory"),
    "attr.ib": (None, "factory"),
    "attr.attrib": (None, "factory"),
    "attr.field": (None, "factory"),
    "attrs.field": (None, "factory"),
    "attr.Factory": (0, "factory"),
    "attrs.Factory": (0, "factory"),
    "collections.defaultdict": (0, "default_factory"),
}

# Last names of the callees above: a cheap pre-check before resolving.
QUEUE_CALL_NAMES: FrozenSet[str] = frozenset(
    name.rsplit(".", 1)[-1] for name in [*QUEUE_MAXSIZE, *ALWAYS_UNBOUNDED_QUEUES, *QUEUE_FACTORY_TAKERS]
)

# Calls that start a coroutine as a task right away. Value: how the started
# callable is passed -- "call" (the first argument is a coroutine call, as in
# ``create_task(f(x))``) or "callable" (the first argument is the function,
# as in ``start_soon(f, x)``).
TASK_STARTERS: Dict[str, str] = {
    "asyncio.create_task": "call",
    "asyncio.ensure_future": "call",
    "asyncio.AbstractEventLoop.create_task": "call",
    "asyncio.TaskGroup.create_task": "call",
    "asyncio.run_coroutine_threadsafe": "call",
    "anyio.abc.TaskGroup.start_soon": "callable",
    "anyio.abc.TaskGroup.start": "callable",
    "trio.Nursery.start_soon": "callable",
    "trio.Nursery.start": "callable",
}

# Calls that run many awaitables together; value: how the awaitables are
# passed -- "star" (``gather(*aws)``) or "first" (``as_completed(aws)``).
FAN_IN_CALLS: Dict[str, str] = {
    "asyncio.gather": "star",
    "asyncio.as_completed": "first",
    "asyncio.wait": "first",
}

# Calls whose completion drains started work: awaiting one of them inside a
# loop body bounds what that loop keeps in flight (batching).
DRAINING_CALLS: FrozenSet[str] = frozenset({
    "asyncio.gather", "asyncio.wait", "asyncio.as_completed", "asyncio.wait_for",
    "asyncio.shield",
})

# Context managers whose exit waits for every task started inside them.
TASK_SCOPES: FrozenSet[str] = frozenset({
    "asyncio.TaskGroup", "anyio.create_task_group", "anyio.abc.TaskGroup",
    "trio.open_nursery", "trio.Nursery",
})

# Awaitables that run on a bounded pool (the executor's max_workers), so many
# of them at once are not an unbounded fan-out.
POOLED_AWAITABLES: FrozenSet[str] = frozenset({
    "asyncio.to_thread",
    "asyncio.AbstractEventLoop.run_in_executor",
    "anyio.to_thread.run_sync",
    "trio.to_thread.run_sync",
    "asyncio.wrap_future",
    "asyncio.sleep",
})
# The same, recognised by method name when the receiver's type is unknown
# (``loop.run_in_executor(...)`` on a loop passed in as a parameter).
POOLED_METHODS: FrozenSet[str] = frozenset({"run_in_executor", "to_thread", "run_sync"})
# ... and by a word in the method name: framework wrappers of ``run_in_executor``
# (``hass.async_add_executor_job(fn, x)``, ``runner.run_in_executor_job``) share its pool.
POOLED_METHOD_PATTERN = r"(?i)executor"

# Calls that make a future to be resolved by a callback: a list of them starts nothing.
NON_STARTING_CALLS: FrozenSet[str] = frozenset({
    "asyncio.Future", "asyncio.AbstractEventLoop.create_future",
})
NON_STARTING_METHODS: FrozenSet[str] = frozenset({"create_future"})

# Clients whose requests share a connection pool of fixed size: ``async with
# session.create_client("sns") as client`` (aiobotocore, ``max_pool_connections``).
POOLED_CLIENT_FACTORIES: FrozenSet[str] = frozenset({"create_client"})

# Wrappers whose first argument is the awaitable that actually does the work.
AWAITABLE_WRAPPERS: FrozenSet[str] = frozenset({
    "asyncio.wait_for", "asyncio.shield", "asyncio.create_task", "asyncio.ensure_future",
})

# Objects that limit concurrency when acquired with ``async with``.
SEMAPHORE_TYPES: FrozenSet[str] = frozenset({
    "asyncio.Semaphore", "asyncio.BoundedSemaphore",
    "anyio.Semaphore", "anyio.CapacityLimiter",
    "trio.Semaphore", "trio.CapacityLimiter",
    "aiolimiter.AsyncLimiter",
})

# Iterables at most as long as one of their arguments: name -> that argument's position.
SIZE_PRESERVING: Dict[str, int] = {
    "builtins.enumerate": 0, "builtins.reversed": 0, "builtins.sorted": 0, "builtins.list": 0,
    "builtins.tuple": 0, "builtins.set": 0, "builtins.frozenset": 0, "builtins.iter": 0,
    "builtins.dict": 0, "builtins.filter": 1, "builtins.map": 1,
    "asyncio.as_completed": 0,
}
# Iterables bounded by their shortest argument.
SIZE_OF_SHORTEST: FrozenSet[str] = frozenset({"builtins.zip"})
# Dict views: the size of the receiver.
DICT_VIEWS: FrozenSet[str] = frozenset({"items", "keys", "values"})

# Largest constant fan-out that counts as "known and bounded".
MAX_KNOWN_FAN_OUT = 100

# Coroutines that wind down something that already exists (one per object the
# program holds): running them all at once is a broadcast, not a fan-out of new work.
TEARDOWN_NAMES: FrozenSet[str] = frozenset({
    "close", "aclose", "shutdown", "stop", "stop_async", "cancel", "disconnect",
    "wait_closed", "terminate", "unload", "async_unload", "cleanup", "teardown",
    "release", "finish", "join", "wait", "kill", "drain", "flush", "unsubscribe",
    "async_shutdown", "async_stop", "async_close", "async_remove", "async_reset",
})

# Method names that wind down an object wherever the verb stands in the name
# (``async_client_disconnect``, ``websocket_disconnect``, ``async_shutdown_all``).
TEARDOWN_PATTERN = r"(?i)(^|_)(a?close|disconnect|shutdown|teardown|unload|unsubscribe|terminate)(_|$)"
# Verbs that wind down an object when the loop walks objects this instance holds
# (``for b in self.browsers: self.remove_browser(b)``), not data that came in.
OWNED_TEARDOWN_PATTERN = r"(?i)^_*(async_)?(remove|cancel|stop|release|kill|destroy|dispose|delete)"

# Awaited methods that make each loop iteration wait (a handshake, a batch, a drain).
DRAINING_METHODS: FrozenSet[str] = frozenset({"join", "wait"})
