"""Library knowledge for the coroutine/task (CCY1) and exception/cancellation (CCY6) rules.

Keys are canonical qualified names (see ``apis.canonical``); a method is
``<Type>.<method>`` where ``<Type>`` is what ``apis.types.RETURN_TYPES`` gives
the object. Adding an API is one line here.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, Tuple


def _methods(owner: str, names: Iterable[str]) -> FrozenSet[str]:
    return frozenset(f"{owner}.{name}" for name in names)


_STREAM_READER = ("read", "readline", "readexactly", "readuntil")
_AIOFILE = ("read", "read1", "readline", "readlines", "write", "writelines", "flush", "close",
            "seek", "tell", "truncate", "readall", "readinto", "peek")
_HTTPX_ASYNC = ("get", "post", "put", "patch", "delete", "head", "options", "request", "send", "aclose")
_LOOP_COROUTINES = (
    "sock_recv", "sock_recv_into", "sock_recvfrom", "sock_sendall", "sock_sendto", "sock_connect",
    "sock_accept", "sock_sendfile", "getaddrinfo", "getnameinfo", "create_connection",
    "create_server", "create_unix_connection", "create_unix_server", "create_datagram_endpoint",
    "connect_read_pipe", "connect_write_pipe", "subprocess_exec", "subprocess_shell",
    "shutdown_asyncgens", "shutdown_default_executor", "start_tls", "sendfile", "connect_accepted_socket",
)

# Callables whose call returns a coroutine object (must be awaited or scheduled).
COROUTINE_FUNCTIONS: FrozenSet[str] = frozenset({
    # asyncio module functions
    "asyncio.sleep", "asyncio.wait_for", "asyncio.wait", "asyncio.open_connection",
    "asyncio.start_server", "asyncio.open_unix_connection", "asyncio.start_unix_server",
    "asyncio.to_thread", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
    "asyncio.staggered.staggered_race",
    # aiohttp / aiofiles / anyio / trio / httpx
    "aiofiles.os.remove", "aiofiles.os.rename", "aiofiles.os.stat", "aiofiles.os.mkdir",
    "aiofiles.os.makedirs", "aiofiles.os.listdir", "aiofiles.os.rmdir", "aiofiles.os.unlink",
    "aiofiles.os.path.exists", "aiofiles.os.path.isfile", "aiofiles.os.path.isdir",
    "anyio.sleep", "anyio.sleep_forever", "anyio.sleep_until", "anyio.open_file", "anyio.run_process",
    "anyio.open_process", "anyio.connect_tcp", "anyio.connect_unix", "anyio.create_tcp_listener",
    "anyio.wait_all_tasks_blocked", "anyio.to_thread.run_sync", "anyio.to_process.run_sync",
    "anyio.getaddrinfo",
    "trio.sleep", "trio.sleep_forever", "trio.sleep_until", "trio.open_tcp_stream", "trio.run_process",
    "trio.open_file", "trio.serve_tcp", "trio.open_tcp_listeners", "trio.to_thread.run_sync",
    "trio.lowlevel.checkpoint", "trio.testing.wait_all_tasks_blocked",
    # methods of asyncio primitives
    "asyncio.Lock.acquire", "asyncio.Semaphore.acquire", "asyncio.BoundedSemaphore.acquire",
    "asyncio.Condition.acquire", "asyncio.Condition.wait", "asyncio.Condition.wait_for",
    "asyncio.Event.wait", "asyncio.Barrier.wait", "asyncio.Barrier.abort", "asyncio.Barrier.reset",
    "asyncio.Queue.get", "asyncio.Queue.put", "asyncio.Queue.join",
    "asyncio.LifoQueue.get", "asyncio.LifoQueue.put", "asyncio.LifoQueue.join",
    "asyncio.PriorityQueue.get", "asyncio.PriorityQueue.put", "asyncio.PriorityQueue.join",
    "asyncio.StreamWriter.drain", "asyncio.StreamWriter.wait_closed", "asyncio.StreamWriter.start_tls",
    "asyncio.Server.serve_forever", "asyncio.Server.wait_closed", "asyncio.Server.start_serving",
    "asyncio.subprocess.Process.wait", "asyncio.subprocess.Process.communicate",
    "asyncio.Process.wait", "asyncio.Process.communicate",
    # aiohttp
    "aiohttp.ClientResponse.text", "aiohttp.ClientResponse.json", "aiohttp.ClientResponse.read",
    "aiohttp.ClientSession.close", "aiohttp.ClientSession.ws_connect",
    "aiohttp.ClientSession.get", "aiohttp.ClientSession.post", "aiohttp.ClientSession.put",
    "aiohttp.ClientSession.patch", "aiohttp.ClientSession.delete", "aiohttp.ClientSession.head",
    "aiohttp.ClientSession.options", "aiohttp.ClientSession.request",
    "aiohttp.ClientWebSocketResponse.send_str", "aiohttp.ClientWebSocketResponse.send_json",
    "aiohttp.ClientWebSocketResponse.send_bytes", "aiohttp.ClientWebSocketResponse.receive",
    "aiohttp.ClientWebSocketResponse.receive_str", "aiohttp.ClientWebSocketResponse.receive_json",
    "aiohttp.ClientWebSocketResponse.close",
    # aiohttp.web (server side)
    "aiohttp.web.Request.json", "aiohttp.web.Request.text", "aiohttp.web.Request.read",
    "aiohttp.web.Request.post", "aiohttp.web.AppRunner.setup", "aiohttp.web.AppRunner.cleanup",
    "aiohttp.web.TCPSite.start",
}) | _methods("aiofiles.threadpool.AsyncFile", _AIOFILE) \
   | _methods("asyncio.StreamReader", _STREAM_READER) \
   | _methods("asyncio.AbstractEventLoop", _LOOP_COROUTINES) \
   | _methods("httpx.AsyncClient", _HTTPX_ASYNC)

# Calls that start work and return a Task/Future which must be kept (CCY103).
TASK_FACTORIES: FrozenSet[str] = frozenset({
    "asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_task",
    "asyncio.gather",
})
# Task factories whose task is owned by a structured scope (never dangling).
OWNED_TASK_FACTORIES: FrozenSet[str] = frozenset({
    "asyncio.TaskGroup.create_task",
})
# Factories whose Task is bound to a name and must be looked at (CCY603).
TASK_CREATORS: FrozenSet[str] = frozenset({
    "asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_task",
})

# Callables that take a coroutine *object* (awaitable) -> which positional arguments.
# ``"*"`` means every positional argument.
COROUTINE_CONSUMERS: Dict[str, Tuple[object, ...]] = {
    "asyncio.run": (0,),
    "asyncio.create_task": (0,),
    "asyncio.ensure_future": (0,),
    "asyncio.gather": ("*",),
    "asyncio.wait_for": (0,),
    "asyncio.shield": (0,),
    "asyncio.timeout": (),
    "asyncio.run_coroutine_threadsafe": (0,),
    "asyncio.AbstractEventLoop.run_until_complete": (0,),
    "asyncio.AbstractEventLoop.create_task": (0,),
    "asyncio.TaskGroup.create_task": (0,),
    "asyncio.Runner.run": (0,),
}
# Callables that take an iterable of coroutine objects / awaitables (first argument).
COROUTINE_ITERABLE_CONSUMERS: FrozenSet[str] = frozenset({"asyncio.wait", "asyncio.as_completed"})

# Calls returning a tuple of known objects, for `reader, writer = await open_connection(...)`.
UNPACKED_TYPES: Dict[str, Tuple[str, ...]] = {
    "asyncio.open_connection": ("asyncio.StreamReader", "asyncio.StreamWriter"),
    "asyncio.open_unix_connection": ("asyncio.StreamReader", "asyncio.StreamWriter"),
}

# Callables that take a coroutine *function* (they call it themselves): never CCY102/CCY101.
COROUTINE_FUNCTION_CONSUMERS: FrozenSet[str] = frozenset({
    "anyio.run", "trio.run", "anyio.abc.TaskGroup.start_soon", "anyio.abc.TaskGroup.start",
    "trio.Nursery.start_soon", "trio.Nursery.start", "anyio.from_thread.run", "trio.from_thread.run",
})

# Calls that run an event loop: an error inside a running loop (CCY105).
LOOP_RUNNERS: FrozenSet[str] = frozenset({
    "asyncio.run", "asyncio.AbstractEventLoop.run_until_complete",
    "asyncio.AbstractEventLoop.run_forever", "asyncio.Runner.run",
})
# Method names that identify a loop runner on an object named like an event loop.
LOOP_RUNNER_METHODS: FrozenSet[str] = frozenset({"run_until_complete", "run_forever"})
LOOP_FACTORIES: FrozenSet[str] = frozenset({"asyncio.get_event_loop", "asyncio.new_event_loop"})
GET_EVENT_LOOP = "asyncio.get_event_loop"

# Context managers that only support `async with` (CCY106) ...
ASYNC_ONLY_CONTEXT_MANAGERS: FrozenSet[str] = frozenset({
    "asyncio.Lock", "asyncio.Semaphore", "asyncio.BoundedSemaphore", "asyncio.Condition",
    "asyncio.TaskGroup", "asyncio.timeout", "asyncio.timeout_at", "asyncio.Timeout",
    "aiohttp.ClientSession", "aiohttp.ClientResponse", "aiofiles.threadpool.AsyncFile",
    "aiofiles.open", "httpx.AsyncClient", "anyio.create_task_group", "trio.open_nursery",
})
# ... and ones that only support plain `with`.
SYNC_ONLY_CONTEXT_MANAGERS: FrozenSet[str] = frozenset({
    "threading.Lock", "threading.RLock", "threading.Condition", "threading.Semaphore",
    "threading.BoundedSemaphore", "multiprocessing.Lock", "multiprocessing.RLock",
    "multiprocessing.Semaphore", "multiprocessing.Condition",
    "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
    "requests.Session", "httpx.Client", "io.TextIOWrapper",
})

# Exceptions whose handler catches task cancellation (CCY602): the libraries' own
# cancellation classes (anyio's is returned by a call: `except get_cancelled_exc_class():`) ...
CANCELLATION_EXCEPTIONS: FrozenSet[str] = frozenset({
    "asyncio.CancelledError", "asyncio.exceptions.CancelledError", "trio.Cancelled",
    "anyio.get_cancelled_exc_class",
})
# ... and the catch-alls, which also hide KeyboardInterrupt and SystemExit.
CATCH_ALL_EXCEPTIONS: FrozenSet[str] = frozenset({"builtins.BaseException"})
# Naming one of these beside the cancellation marks a deliberate "contain everything" clause.
PROCESS_EXIT_EXCEPTIONS: FrozenSet[str] = frozenset({"builtins.SystemExit", "builtins.KeyboardInterrupt"})
# Context managers (trio, anyio: by name, as the libraries' own modules import them
# relatively) that keep outer cancellation out when given `shield=True`.
SHIELDING_SCOPES: FrozenSet[str] = frozenset({
    "CancelScope", "move_on_after", "move_on_at", "fail_after", "fail_at",
})
# Awaited methods a cancellation handler around them may come from the code's own stop call:
# `serve_forever()` raises CancelledError when the same code calls `server.close()`.
SELF_STOPPED_WAITS: Dict[str, str] = {"serve_forever": "close"}
# Awaits that only wait for a close already requested (`w.close(); await w.wait_closed()`).
CLOSE_WAITS: FrozenSet[str] = frozenset({"wait_closed"})
# Calls that run a coroutine object as a task of its own (by the callee's last name), and calls
# that take the coroutine *function* and run it as a task (trio/anyio style); CCY602 uses them
# to see that a coroutine is only ever started as a task (its handlers are task boundaries).
CORO_TASK_STARTERS: FrozenSet[str] = frozenset({
    "create_task", "ensure_future", "async_create_task", "async_create_background_task",
    "create_background_task", "create_eager_task", "run_coroutine_threadsafe",
    "run_until_complete", "run", "fromCoroutine", "ensureDeferred",
})
FUNCTION_TASK_STARTERS: FrozenSet[str] = frozenset({"start_soon", "start", "spawn_system_task", "run"})
# Calls that never return (they raise): a handler calling one does not swallow anything.
NORETURN_CALLS: FrozenSet[str] = frozenset({
    "pytest.fail", "pytest.skip", "pytest.xfail", "pytest.exit", "sys.exit", "os._exit",
    "os.abort",
})
# Calls that only report an exception (passing the caught exception to one is not handing it on).
REPORTING_METHODS: FrozenSet[str] = frozenset({
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print",
    "print_exc", "format_exc", "repr", "str", "format", "write",
})

# Callees whose awaited argument may be a task this function cancelled itself.
AWAIT_WRAPPERS: FrozenSet[str] = frozenset({
    "asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield",
})

# Executors: submit returns a Future, map returns a lazy iterator (CCY604).
EXECUTOR_SUBMIT: FrozenSet[str] = frozenset({
    "concurrent.futures.ThreadPoolExecutor.submit", "concurrent.futures.ProcessPoolExecutor.submit",
    "concurrent.futures.Executor.submit",
})
EXECUTOR_MAP: FrozenSet[str] = frozenset({
    "concurrent.futures.ThreadPoolExecutor.map", "concurrent.futures.ProcessPoolExecutor.map",
    "concurrent.futures.Executor.map",
})

# Calls that look at a Task/Future (its exception is retrieved, CCY603/CCY604).
FUTURE_HANDLING_METHODS: FrozenSet[str] = frozenset({
    "result", "exception", "add_done_callback", "cancel", "done",
})
# Calls returning a future, not a coroutine: `ensure_future()` of one makes no new task (CCY603).
FUTURE_FACTORIES: FrozenSet[str] = frozenset({
    "asyncio.gather", "asyncio.shield", "asyncio.wrap_future", "asyncio.ensure_future",
    "asyncio.create_task", "asyncio.run_coroutine_threadsafe",
})
FUTURE_FACTORY_METHODS: FrozenSet[str] = frozenset({
    "run_in_executor", "create_future", "create_task", "ensure_future", "submit",
})
# Teardown calls: a gather of only these collects failures of a best-effort shutdown (CCY601).
TEARDOWN_METHODS: FrozenSet[str] = frozenset({
    "close", "aclose", "async_close", "stop", "async_stop", "shutdown", "async_shutdown",
    "disconnect", "async_disconnect", "terminate", "wait_closed", "cleanup",
})
# Calls that look at gathered results (CCY601): any call except these.
NOT_INSPECTING_CALLS: FrozenSet[str] = frozenset({"len"})

# Decorators known to keep an `async def` a coroutine function (CCY101, the project
# index): they return the function itself or a wrapper that returns its coroutine. Any
# other decorator (a framework's `@work`/`@gen_test`, `@fixture`, `@functools.cache`,
# whose cached coroutine can be awaited only once) may turn it into something else, so
# a decorated `async def` is a coroutine function only when every decorator is listed
# here, is a `pytest.mark.*` mark, or is a decorator of the same module whose every
# `return` hands back a nested `async def` (the `functools.wraps` wrapper idiom).
COROUTINE_KEEPING_DECORATORS: FrozenSet[str] = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "functools.wraps", "abc.abstractmethod",
    "typing.override", "typing_extensions.override", "typing.final", "typing_extensions.final",
    "typing.no_type_check", "warnings.deprecated", "typing_extensions.deprecated",
    "trio.lowlevel.enable_ki_protection",
})
COROUTINE_KEEPING_DECORATOR_PREFIXES: Tuple[str, ...] = ("pytest.mark.",)
# The last names of those decorators, for the project index (a text scan: no imports).
COROUTINE_KEEPING_DECORATOR_NAMES: FrozenSet[str] = frozenset(
    q.rsplit(".", 1)[-1] for q in COROUTINE_KEEPING_DECORATORS)

# Event-loop receivers we accept by name when their type is unknown (`self.loop`, `loop`).
LOOP_NAME_PATTERN = r"^_*(event_?)?loop$"
