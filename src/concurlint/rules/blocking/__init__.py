"""CCY2: blocking calls inside ``async def`` (they stall the whole event loop).

All nine rules share one classification of each call (``classify``), computed
once per call node and cached in ``ctx.memo``; each rule reports the calls
classified with its own code. What is blocking is data in ``apis/blocking.py``.

Only calls made *lexically* inside an ``async def`` body count
(``ctx.in_async_function``): a nested plain ``def``, a ``lambda`` or a class
body is not the coroutine, and a callable that is passed rather than called
(``await asyncio.to_thread(time.sleep, 1)``) is never a call of the API.

This package only registers the family's rules, in the order of ``RULES``; the
classification lives in ``classify.py`` (argument reading in ``arguments.py``), the base
class of the one-call rules in ``common.py``, and each other module owns one kind of call.
"""
from __future__ import annotations

from .sleep import BlockingSleep
from .io_calls import (
    BlockingDatabaseCall, BlockingFileIo, BlockingHttpCall, BlockingInput, BlockingNetworkCall, BlockingSubprocess,
    ConfiguredBlockingCall,
)
from .locks import AwaitWhileHoldingThreadLock, BlockingSyncPrimitive

RULES = [
    BlockingSleep,
    BlockingHttpCall,
    BlockingSubprocess,
    BlockingFileIo,
    BlockingSyncPrimitive,
    BlockingInput,
    BlockingNetworkCall,
    BlockingDatabaseCall,
    ConfiguredBlockingCall,
    AwaitWhileHoldingThreadLock,
]
