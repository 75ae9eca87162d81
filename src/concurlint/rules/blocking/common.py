"""The base class of the CCY2 rules that report one classified call (``_BlockingCallRule``)
and the paragraphs of their docs that all of them share (what is not flagged, why it matters).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ...findings import Text
from ..base import Rule
from .classify import Blocking, classify


_NOT_FLAGGED_COMMON = Text(
    "Not flagged: the same call in a nested plain `def`, a `lambda` or a class body inside the "
    "`async def`; the callable passed (not called) to `asyncio.to_thread`, `loop.run_in_executor`, "
    "`anyio.to_thread.run_sync` or `trio.to_thread.run_sync`; a local function or variable that "
    "merely shares the API's name; sync functions. The advice names the module's own async "
    "library, as its imports (in any form), its package's other modules or the `async-backend` "
    "setting say: `trio.to_thread.run_sync`, `trio.Path`, `trio.run_process` in trio code, their "
    "anyio twins in anyio code, asyncio's APIs otherwise; libraries that only run on asyncio "
    "(aiohttp, aiosqlite, asyncpg, aiosmtplib, motor...) are only proposed to asyncio code.")
_WHY = Text(
    "An event loop runs every coroutine of the program on one thread. While a coroutine is "
    "inside a blocking call, no other task runs: requests queue up, timeouts fire late, "
    "heartbeats are missed and latency grows with every concurrent user. Nothing crashes, "
    "so this is easy to miss in tests and expensive in production.")


class _BlockingCallRule(Rule):
    """Shared shape: report the calls ``classify`` assigns to this rule's code."""

    # A test's event loop runs the test and nothing else: blocking it there is harmless
    # (the reviewed findings in test code were all intended), so the default form of
    # the blocking-call rules leaves test code out.
    quiet_in_tests = True

    def visit_Call(self, node: cst.Call) -> None:
        found = self.blocking_call(node)
        if found is not None:
            self.report(node, self.message(found))

    def blocking_call(self, node: cst.Call) -> Optional[Blocking]:
        """``node`` classified, when it is in a coroutine and under this rule's code."""
        found = classify(self.ctx, node) if self.ctx.in_async_function else None
        return found if found is not None and found.code == self.code else None

    def message(self, found: Blocking) -> Text:
        advice = found.suggestion.text(self.ctx.async_backend, found.receiver)
        return Text(
            "'{api}()' blocks the event loop; {advice}").format(api=found.api, advice=advice)
