"""Library knowledge for the CCY3 family: what starts threads and processes, what
is a lock, which asyncio APIs are not thread-safe. Data only; the logic lives in
``semantics/threads.py`` and ``rules/threads.py``.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, NamedTuple, Optional

THREAD = "thread"
PROCESS = "process"
# the kind is decided by the executor argument (loop.run_in_executor(ex, f))
BY_EXECUTOR = "by-executor"
# runs in the calling thread later (loop.call_soon): only CCY302 applies
LATER = "later"


class Starter(NamedTuple):
    """Where a starting API takes its callable, and how its arguments are passed."""

    kind: str  # THREAD, PROCESS, BY_EXECUTOR or LATER
    position: int  # positional index of the callable
    keyword: Optional[str]  # keyword name of the callable, if it can be given by keyword
    label: str  # short spelling used in messages
    # how the fix passes the call's arguments: "args-kw" (target=f, args=(...)),
    # "star" (submit(f, a, b)), "tuple" (apply_async(f, (a, b))), "" (no fix with args)
    pass_args: str


STARTERS: Dict[str, Starter] = {
    "threading.Thread": Starter(THREAD, 1, "target", "Thread", "args-kw"),
    "threading.Timer": Starter(THREAD, 1, "function", "Timer", "args-kw"),
    "_thread.start_new_thread": Starter(THREAD, 0, None, "start_new_thread", ""),
    "_thread.start_new": Starter(THREAD, 0, None, "start_new_thread", ""),
    "asyncio.to_thread": Starter(THREAD, 0, None, "asyncio.to_thread", "star"),
    "asyncio.AbstractEventLoop.run_in_executor": Starter(BY_EXECUTOR, 1, None, "run_in_executor", "star"),
    "concurrent.futures.ThreadPoolExecutor.submit": Starter(THREAD, 0, "fn", "submit", "star"),
    "concurrent.futures.ThreadPoolExecutor.map": Starter(THREAD, 0, "fn", "map", ""),
    "concurrent.futures.ProcessPoolExecutor.submit": Starter(PROCESS, 0, "fn", "submit", "star"),
    "concurrent.futures.ProcessPoolExecutor.map": Starter(PROCESS, 0, "fn", "map", ""),
    "multiprocessing.Process": Starter(PROCESS, 1, "target", "Process", "args-kw"),
    "anyio.to_thread.run_sync": Starter(THREAD, 0, None, "anyio.to_thread.run_sync", "star"),
    # loop callbacks run later in the loop's thread: only "called instead of passed"
    "asyncio.AbstractEventLoop.call_soon": Starter(LATER, 0, None, "call_soon", "star"),
    "asyncio.AbstractEventLoop.call_soon_threadsafe": Starter(LATER, 0, None, "call_soon_threadsafe", "star"),
    "asyncio.AbstractEventLoop.call_later": Starter(LATER, 1, None, "call_later", "star"),
    "asyncio.AbstractEventLoop.call_at": Starter(LATER, 1, None, "call_at", "star"),
}

_POOL_METHODS = {
    "apply": "tuple", "apply_async": "tuple", "map": "", "map_async": "", "imap": "",
    "imap_unordered": "", "starmap": "", "starmap_async": "",
}
for _method, _pass in _POOL_METHODS.items():
    STARTERS[f"multiprocessing.Pool.{_method}"] = Starter(PROCESS, 0, "func", _method, _pass)
    STARTERS[f"multiprocessing.pool.ThreadPool.{_method}"] = Starter(THREAD, 0, "func", _method, _pass)
    # canonical() folds "multiprocessing.pool." into "multiprocessing." for methods
    STARTERS[f"multiprocessing.ThreadPool.{_method}"] = Starter(THREAD, 0, "func", _method, _pass)

# Last names of the starters above: a cheap filter before resolving a call.
STARTER_NAMES: FrozenSet[str] = frozenset(
    name.rsplit(".", 1)[-1] for name in STARTERS) | {"Thread", "Timer", "Process"}

# Executor methods when the executor's type is unknown but its name says "thread pool".
UNTYPED_EXECUTOR_METHODS: Dict[str, Starter] = {
    "submit": Starter(THREAD, 0, "fn", "submit", "star"),
    "map": Starter(THREAD, 0, "fn", "map", ""),
    "run_in_executor": Starter(BY_EXECUTOR, 1, None, "run_in_executor", "star"),
}

# Event-loop methods when the loop's type is unknown but its name says "loop" (`self._loop`).
UNTYPED_LOOP_METHODS: Dict[str, Starter] = {
    "run_in_executor": Starter(BY_EXECUTOR, 1, None, "run_in_executor", "star"),
    "call_soon": Starter(LATER, 0, None, "call_soon", "star"),
    "call_soon_threadsafe": Starter(LATER, 0, None, "call_soon_threadsafe", "star"),
    "call_later": Starter(LATER, 1, None, "call_later", "star"),
    "call_at": Starter(LATER, 1, None, "call_at", "star"),
}
LOOP_NAME_PATTERN = r"(?i)(^|_)(event_?)?loop$"

# Types whose instances are executors that run callables in processes / threads.
PROCESS_EXECUTORS: FrozenSet[str] = frozenset({
    "concurrent.futures.ProcessPoolExecutor", "multiprocessing.Pool",
})

THREAD_EXECUTORS: FrozenSet[str] = frozenset({
    "concurrent.futures.ThreadPoolExecutor", "multiprocessing.pool.ThreadPool",
})

# Base classes whose `run()` runs in another thread / process.
THREAD_BASES: Dict[str, str] = {
    "threading.Thread": THREAD,
    "threading.Timer": THREAD,
    "multiprocessing.Process": PROCESS,
    "multiprocessing.context.Process": PROCESS,
}

# Objects whose `.run()` runs the target in the current thread (CCY303).
RUNNABLE_TYPES: FrozenSet[str] = frozenset({
    "threading.Thread", "threading.Timer", "multiprocessing.Process",
})

# Locks: the object protects what runs inside `with obj:`.
LOCK_TYPES: FrozenSet[str] = frozenset({
    "threading.Lock", "threading.RLock", "threading.Condition", "threading.Semaphore",
    "threading.BoundedSemaphore",
    "multiprocessing.Lock", "multiprocessing.RLock", "multiprocessing.Condition",
    "multiprocessing.Semaphore", "multiprocessing.BoundedSemaphore",
    "asyncio.Lock", "asyncio.Condition", "asyncio.Semaphore", "asyncio.BoundedSemaphore",
})
# trio's and anyio's locks (under any module path of theirs: ``trio.Lock``, ``trio._sync.Lock``)
# guard what runs inside ``async with obj:`` as asyncio's do.
ASYNC_LIBRARY_LOCK_MODULES: FrozenSet[str] = frozenset({"trio", "anyio"})
ASYNC_LIBRARY_LOCK_NAMES: FrozenSet[str] = frozenset({
    "Lock", "StrictFIFOLock", "Semaphore", "CapacityLimiter", "Condition",
})
# Mutual-exclusion locks for CCY305 (semaphores are often released elsewhere by design).
MUTEX_TYPES: FrozenSet[str] = frozenset({
    "threading.Lock", "threading.RLock", "threading.Condition",
    "multiprocessing.Lock", "multiprocessing.RLock", "multiprocessing.Condition",
    "asyncio.Lock", "asyncio.Condition",
})
# Names that, besides the configurable lock-name pattern, say "this guards something"
# when used in `with`: conditions and semaphores.
GUARD_NAME_PATTERN = r"(?i)(^|_)(cond|condition|cv|sem|semaphore|guard)$"

# Queues whose join() waits for task_done() (CCY307).
JOINABLE_QUEUES: FrozenSet[str] = frozenset({
    "queue.Queue", "queue.LifoQueue", "queue.PriorityQueue",
    "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue",
    "multiprocessing.JoinableQueue",
})
QUEUE_GET_METHODS: FrozenSet[str] = frozenset({"get", "get_nowait"})

# CCY308: what must not run at import time of a module that spawns processes.
PROCESS_SPAWNERS: Dict[str, str] = {
    "concurrent.futures.ProcessPoolExecutor": "ProcessPoolExecutor(...)",
    "multiprocessing.Pool": "multiprocessing.Pool(...)",
    "multiprocessing.Manager": "multiprocessing.Manager()",
    "multiprocessing.Process.start": "Process.start()",
}

# CCY310: asyncio APIs that must not be called from another thread.
LOOP_TYPES: FrozenSet[str] = frozenset({"asyncio.AbstractEventLoop"})
LOOP_UNSAFE_METHODS: FrozenSet[str] = frozenset({
    "call_soon", "call_later", "call_at", "create_task",
})
ASYNCIO_UNSAFE_CALLS: Dict[str, str] = {
    "asyncio.create_task": "asyncio.run_coroutine_threadsafe(coro, loop)",
    "asyncio.ensure_future": "asyncio.run_coroutine_threadsafe(coro, loop)",
    "asyncio.Queue.put_nowait": "loop.call_soon_threadsafe(queue.put_nowait, item)",
    "asyncio.LifoQueue.put_nowait": "loop.call_soon_threadsafe(queue.put_nowait, item)",
    "asyncio.PriorityQueue.put_nowait": "loop.call_soon_threadsafe(queue.put_nowait, item)",
    "asyncio.Future.set_result": "loop.call_soon_threadsafe(future.set_result, value)",
    "asyncio.Future.set_exception": "loop.call_soon_threadsafe(future.set_exception, exc)",
}
# Calls that give a thread its own event loop (then call_soon on it is fine).
OWN_LOOP_FACTORIES: FrozenSet[str] = frozenset({"asyncio.new_event_loop"})
# Loop methods that run the loop in the calling thread: a function that calls one owns the loop.
LOOP_RUNNERS: FrozenSet[str] = frozenset({"run_forever", "run_until_complete"})
# asyncio functions that act on the calling thread's current loop (set by set_event_loop).
LOOP_BOUND_CALLS: FrozenSet[str] = frozenset({"asyncio.ensure_future"})

# Calls that return a callable (never CCY302).
CALLABLE_FACTORIES: FrozenSet[str] = frozenset({
    "functools.partial", "operator.methodcaller", "operator.attrgetter", "operator.itemgetter",
    "builtins.getattr",
})


# Builtins whose result is never a callable: `Thread(target=print(x))` is always CCY302.
NON_CALLABLE_RESULTS = frozenset(f"builtins.{name}" for name in (
    "print", "len", "str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple",
    "frozenset", "sum", "min", "max", "sorted", "input", "open", "range", "repr", "format",
    "abs", "round", "isinstance", "issubclass", "hash", "id", "any", "all", "ord", "chr",
))
