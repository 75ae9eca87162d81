"""CCY2: blocking calls inside ``async def`` (they stall the whole event loop)."""
from __future__ import annotations

import libcst as cst

from ..findings import Text
from .base import Rule


class BlockingSleep(Rule):
    code = "CCY201"
    name = "blocking-sleep"
    fix = "safe"
    summary = Text("`time.sleep()` inside an async function", "在 async 函数中调用 `time.sleep()`")

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_function and self.ctx.resolve(node.func) == "time.sleep":
            self.report(node, Text(
                "'time.sleep()' blocks the event loop; use 'await asyncio.sleep()'",
                "'time.sleep()' 会阻塞事件循环;请改用 'await asyncio.sleep()'"))


RULES = [BlockingSleep]
