"""Knowledge about library APIs, as data tables.

Each family keeps its tables in its own module here; this package exposes the
few tables the shared semantics need (what a call returns, canonical names).
Adding an API is one line in a table, never a new ``if``.
"""
from __future__ import annotations

from typing import Dict, Optional

from .types import ENTER_RESULT, RETURN_TYPES

# Internal module paths that re-export public names: canonicalise to the public one.
_CANONICAL_PREFIXES: Dict[str, str] = {
    "asyncio.tasks.": "asyncio.",
    "asyncio.locks.": "asyncio.",
    "asyncio.queues.": "asyncio.",
    "asyncio.events.": "asyncio.",
    "asyncio.futures.": "asyncio.",
    "asyncio.runners.": "asyncio.",
    "asyncio.streams.": "asyncio.",
    "asyncio.subprocess.": "asyncio.",
    "asyncio.taskgroups.": "asyncio.",
    "asyncio.timeouts.": "asyncio.",
    "asyncio.threads.": "asyncio.",
    "concurrent.futures.thread.": "concurrent.futures.",
    "concurrent.futures.process.": "concurrent.futures.",
    "concurrent.futures._base.": "concurrent.futures.",
    "multiprocessing.pool.": "multiprocessing.",
    "multiprocessing.context.": "multiprocessing.",
    "multiprocessing.queues.": "multiprocessing.",
    "requests.api.": "requests.",
    "requests.sessions.": "requests.",
    "aiohttp.client.": "aiohttp.",
    "httpx._client.": "httpx.",
    "httpx._api.": "httpx.",
    "anyio._core._eventloop.": "anyio.",
}

_EXACT_ALIASES: Dict[str, str] = {
    "asyncio.async": "asyncio.ensure_future",
    "requests.sessions.session": "requests.Session",
    "multiprocessing.pool.ThreadPool": "multiprocessing.pool.ThreadPool",
    "multiprocessing.dummy.Pool": "multiprocessing.pool.ThreadPool",
    "io.open": "builtins.open",
}


def canonical(qualname: str) -> str:
    """The public spelling of ``qualname`` (``asyncio.tasks.sleep`` -> ``asyncio.sleep``)."""
    found = _canonical_memo.get(qualname)
    if found is None:
        found = _canonical(qualname)
        if len(_canonical_memo) < 100_000:  # the names of a run; bounded all the same
            _canonical_memo[qualname] = found
    return found


_canonical_memo: Dict[str, str] = {}


def _canonical(qualname: str) -> str:
    exact = _EXACT_ALIASES.get(qualname)
    if exact is not None:
        return exact
    if "." in qualname:
        for prefix, public in _CANONICAL_PREFIXES.items():
            if qualname.startswith(prefix):
                return public + qualname[len(prefix):]
    return qualname


def returned_type(callee: str) -> Optional[str]:
    """The qualified type a call of ``callee`` produces, if the tables know it."""
    return RETURN_TYPES.get(callee)


__all__ = ["ENTER_RESULT", "RETURN_TYPES", "canonical", "returned_type"]
