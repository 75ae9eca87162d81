"""What each async library calls the things our messages advise (catalog revision 2:
messages follow the code's own framework). Keys are ``Context.async_backend`` values;
``None`` (unknown) falls back to asyncio's name, which is what most code uses.

A rule asks ``advice(ctx.async_backend, "to_thread")``; fixes must not rely on the
fallback (a fix that depends on the library is only safe when it is known).
"""
from __future__ import annotations

from typing import Dict, Optional

ADVICE: Dict[str, Dict[str, str]] = {
    "to_thread": {"asyncio": "await asyncio.to_thread(...)",
                  "trio": "await trio.to_thread.run_sync(...)",
                  "anyio": "await anyio.to_thread.run_sync(...)"},
    "sleep": {"asyncio": "await asyncio.sleep(...)", "trio": "await trio.sleep(...)",
              "anyio": "await anyio.sleep(...)"},
    "run": {"asyncio": "asyncio.run(...)", "trio": "trio.run(...)", "anyio": "anyio.run(...)"},
    "cancelled": {"asyncio": "asyncio.CancelledError", "trio": "trio.Cancelled",
                  "anyio": "anyio.get_cancelled_exc_class()"},
    "lock": {"asyncio": "asyncio.Lock", "trio": "trio.Lock", "anyio": "anyio.Lock"},
    "event": {"asyncio": "asyncio.Event", "trio": "trio.Event", "anyio": "anyio.Event"},
    "limiter": {"asyncio": "asyncio.Semaphore", "trio": "trio.CapacityLimiter",
                "anyio": "anyio.CapacityLimiter"},
    "task_group": {"asyncio": "asyncio.TaskGroup", "trio": "trio.open_nursery()",
                   "anyio": "anyio.create_task_group()"},
    "timeout": {"asyncio": "asyncio.timeout(...)", "trio": "trio.fail_after(...)",
                "anyio": "anyio.fail_after(...)"},
    "bounded_channel": {"asyncio": "asyncio.Queue(maxsize=...)",
                        "trio": "trio.open_memory_channel(max_buffer_size)",
                        "anyio": "anyio.create_memory_object_stream(max_buffer_size)"},
    "async_file": {"asyncio": "aiofiles", "trio": "trio.Path / trio.open_file",
                   "anyio": "anyio.Path / anyio.open_file"},
    "start_task": {"asyncio": "asyncio.create_task(...)", "trio": "nursery.start_soon(...)",
                   "anyio": "task_group.start_soon(...)"},
    "subprocess": {"asyncio": "asyncio.create_subprocess_exec(...)", "trio": "trio.run_process(...)",
                   "anyio": "anyio.run_process(...)"},
}


def advice(backend: Optional[str], what: str) -> str:
    """The API ``backend`` offers for ``what`` (asyncio's when the library is unknown)."""
    table = ADVICE[what]
    return table.get(backend or "asyncio", table["asyncio"])
