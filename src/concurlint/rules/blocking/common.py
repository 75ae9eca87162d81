"""The base class of the CCY2 rules that report one classified call (``_BlockingCallRule``)
and the paragraphs of their docs that all of them share (what is not flagged, why it matters).
"""
from __future__ import annotations

import libcst as cst

from ...findings import Text
from ..base import Rule
from .classify import Blocking, classify


_NOT_FLAGGED_COMMON_EN = (
    "Not flagged: the same call in a nested plain `def`, a `lambda` or a class body inside the "
    "`async def`; the callable passed (not called) to `asyncio.to_thread`, `loop.run_in_executor`, "
    "`anyio.to_thread.run_sync` or `trio.to_thread.run_sync`; a local function or variable that "
    "merely shares the API's name; sync functions. The advice names the module's own async "
    "library, as its imports (in any form), its package's other modules or the `async-backend` "
    "setting say: `trio.to_thread.run_sync`, `trio.Path`, `trio.run_process` in trio code, their "
    "anyio twins in anyio code, asyncio's APIs otherwise; libraries that only run on asyncio "
    "(aiohttp, aiosqlite, asyncpg, aiosmtplib, motor...) are only proposed to asyncio code.")
_NOT_FLAGGED_COMMON_ZH = (
    "不会报告:`async def` 内嵌套的普通 `def`、`lambda` 或类体中的同样调用;作为可调用对象传给"
    "(而非直接调用)`asyncio.to_thread`、`loop.run_in_executor`、`anyio.to_thread.run_sync`、"
    "`trio.to_thread.run_sync` 的函数;仅与 API 同名的局部函数或变量;同步函数。建议会使用模块自己的"
    "异步库(由其任意形式的导入、所在包的其他模块或 `async-backend` 配置决定):trio 代码中为 "
    "`trio.to_thread.run_sync`、`trio.Path`、`trio.run_process`,anyio 代码中为对应的 anyio API,"
    "其他情况为 asyncio 的 API;只能在 asyncio 上运行的库(aiohttp、aiosqlite、asyncpg、aiosmtplib、"
    "motor 等)只向 asyncio 代码推荐。")
_WHY_EN = (
    "An event loop runs every coroutine of the program on one thread. While a coroutine is "
    "inside a blocking call, no other task runs: requests queue up, timeouts fire late, "
    "heartbeats are missed and latency grows with every concurrent user. Nothing crashes, "
    "so this is easy to miss in tests and expensive in production.")
_WHY_ZH = (
    "事件循环在一个线程上运行程序里所有的协程。一个协程停在阻塞调用里时,其他任务都无法运行:"
    "请求排队、超时延后触发、心跳丢失,并发用户越多延迟越大。程序不会崩溃,所以测试时很容易"
    "漏掉,上线后代价很高。")


class _BlockingCallRule(Rule):
    """Shared shape: report the calls ``classify`` assigns to this rule's code."""

    # A test's event loop runs the test and nothing else: blocking it there is harmless
    # (the reviewed findings in test code were all intended), so the default form of
    # the blocking-call rules leaves test code out.
    quiet_in_tests = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        found = classify(self.ctx, node)
        if found is not None and found.code == self.code:
            self.report(node, self.message(found))

    def message(self, found: Blocking) -> Text:
        advice = found.suggestion.text(self.ctx.async_backend, found.receiver)
        return Text(
            "'{api}()' blocks the event loop; {advice}").format(api=found.api, advice=advice)
