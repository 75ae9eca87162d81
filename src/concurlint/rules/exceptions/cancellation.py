"""CCY602 (cancellation-swallowed): an ``except`` clause that catches the cancellation of a
task and does not re-raise it; the rule combines the handler facts of ``handlers`` with the
task-boundary facts of ``task_starts``.
"""
from __future__ import annotations

from typing import Set

import libcst as cst

from ...apis.backends import advice
from ...apis.coroutines import PROCESS_EXIT_EXCEPTIONS
from ...findings import Text
from ..base import Rule
from .handlers import (
    _Caught, _named, _caught, _reraises, _awaits, _owned_child, _only_closing, _inside_reraising_handler,
    _ends_function,
)
from .task_starts import _task_boundary


class CancellationSwallowed(Rule):
    code = "CCY602"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: the round-1 form had 54 "
        "findings (8 real, 6 wrong, 40 intended: task boundaries, owned children); the "
        "narrowed rule keeps 10, 8 real and 2 intended (80 % real, 0 wrong). Catch-alls "
        "are left to the full form: of those 8 real findings only 1 is a catch-all, and an "
        "out-of-sample review of the standard library and installed site-packages found 5 "
        "default findings, all catch-alls, 0 real (2 wrong, 3 intended: a REPL cell runner, a "
        "per-session task that logs and closes, a retry library that stores the exception). "
        "The default form, which also leaves test code out, keeps 8 on the 28 projects: 7 real, "
        "1 intended (88 % real, 0 wrong).",
        "在生态检查的 28 个项目上测量:第一版有 54 条结果(8 条真实、6 条误报、40 条有意为"
        "之:任务边界、自己拥有的子任务);收窄后的规则保留 10 条,8 条真实、2 条有意为之(80%"
        " 真实,无误报)。兜底处理器只由完整形式报告:这 8 条真实结果中只有 1 条是兜底处理器;"
        "而在标准库和已安装的 site-packages 上的样本外复审中,默认集合的 5 条结果全是兜底处理器,"
        "0 条真实(2 条误报、3 条有意为之:REPL 的单元执行器、记录日志后关闭的每会话任务、保存异常的"
        "重试库)。默认形式(同时不检查测试代码)在 28 个项目上保留 8 条:7 条真实、1 条有意为之"
        "(88% 真实,无误报)。")
    name = "cancellation-swallowed"
    summary = Text("Cancellation caught and not re-raised", "捕获了取消异常但没有重新抛出")
    what = Text(
        "In an async function, finds handlers of the task's cancellation -- `except "
        "asyncio.CancelledError`, `except trio.Cancelled`, `except anyio.get_cancelled_exc_class()` -- "
        "and catch-alls (`except BaseException`, bare `except:`), alone or in a tuple, that do not "
        "re-raise, around code that can be cancelled (an `await`, `async for` or `async with` outside "
        "a shielded cancel scope).\n\n"
        "Default form: only clauses that name the cancellation (alone or in a tuple) are reported. "
        "Catch-alls -- bare `except:`, `except BaseException`, a tuple with `BaseException` -- are "
        "reported by the full form only: `--preset strict` or `learn`, or `CCY602` selected by code "
        "(`select`, `extend-select`). Measured reason: on reviewed real code most catch-alls around "
        "awaits are deliberate boundaries (a REPL that shows every error, a per-connection task that "
        "logs and closes, a job runner that records every outcome), while the lost cancellations of "
        "a caller are nearly all clauses that name the cancellation (see the group reason for the "
        "figures).\n\n"
        "Not reported, because no cancellation is lost there: awaiting a child this code stops itself "
        "(`t.cancel(); await t`, a `self._task` the same class cancels, a module task the module "
        "cancels, the pending set of an `asyncio.wait` it cancels, `serve_forever()` of a server it "
        "closes); a catch-all after an earlier clause of the same `try` that already takes the "
        "cancellation; a swallow nested in a cancellation handler that re-raises unconditionally; a "
        "handler that passes the cancellation on (`future.cancel()` on a future the function was "
        "given, the exception handed to a call or stored, also straight from `sys.exc_info()` / "
        "`sys.exception()` as in `state.set_exception(sys.exc_info())` or `result.error = "
        "sys.exc_info()[1]`; showing it -- logging, `traceback.print_exception` -- is not handing "
        "it on); a "
        "clause that lists `SystemExit`/`KeyboardInterrupt` beside the cancellation (a deliberate "
        "\"contain everything\" boundary); a `try` that only waits for a close it requested "
        "(`await w.wait_closed()`).\n\n"
        "Task boundaries are not reported in any preset: a handler naming the cancellation that returns "
        "or lets the coroutine end (a `break` out of its loop, cleanup after it) in a coroutine that is "
        "only ever started as a task by the code in the module (`create_task(f())`, `ensure_future`, a "
        "`*_create_task`/`background_tasks.create` helper, `nursery.start_soon(f)`, "
        "`spawn_system_task`, `asyncio.run(f())`), that handles one web request (a `request` "
        "parameter: servers run each request as a task and cancel it when the client leaves), or that "
        "is a wrapper its enclosing function returns. Cancelling such a task is how its owner stops "
        "it, and ending quietly is the intended outcome. Catch-alls are not exempt as boundaries: "
        "they also hide `KeyboardInterrupt` and `SystemExit`, so their message asks for `except "
        "Exception`. A catch-all after an earlier clause of the same `try` that takes both "
        "(`except (KeyboardInterrupt, SystemExit): raise`) adds only the cancellation: its message "
        "says just that, and the boundary exemption applies to it as to a clause naming the "
        "cancellation. When an earlier clause takes one of the two, the message names only the "
        "other.\n\n"
        "Group `suspicious`: on the reviewed findings of real projects the swallows left after these "
        "exemptions are lost cancellations of a caller (an inline-awaited method that returns when "
        "cancelled, an async generator that ends its stream, a catch-all in a public coroutine); the "
        "default form keeps the clauses naming the cancellation, where the real findings are.",
        "在 async 函数中,查找不重新抛出的任务取消处理器——`except asyncio.CancelledError`、"
        "`except trio.Cancelled`、`except anyio.get_cancelled_exc_class()`——以及兜底处理器"
        "(`except BaseException`、裸 `except:`),无论单独出现还是在元组中,且其 `try` 中有可被取消的代码"
        "(屏蔽的取消作用域之外的 `await`、`async for` 或 `async with`)。\n\n"
        "默认形式:只报告明确写出取消异常的子句(单独或在元组中)。兜底处理器——裸 `except:`、"
        "`except BaseException`、含 `BaseException` 的元组——只由完整形式报告:`--preset strict` 或 "
        "`learn`,或按代码选择 `CCY602`(`select`、`extend-select`)。测量依据:在复审过的真实代码中,"
        "包住 await 的兜底处理器大多是有意的边界(显示所有错误的 REPL、记录日志后关闭的每连接任务、"
        "记录每种结果的作业执行器),而调用方取消被丢失的情况几乎都是明确写出取消异常的子句"
        "(具体数字见分组理由)。\n\n"
        "以下情况不会报告,因为没有丢失取消:等待本代码自己停止的子任务(`t.cancel(); await t`、"
        "同一个类会取消的 `self._task`、模块会取消的模块级任务、被取消的 `asyncio.wait` 挂起集合、"
        "自己关闭的服务器的 `serve_forever()`);同一 `try` 中前面的子句已经处理了取消时后面的兜底子句;"
        "嵌套在无条件重新抛出的取消处理器中的吞掉;把取消传递出去的处理器(对函数收到的 future 调用 "
        "`future.cancel()`,或把异常交给某个调用或保存起来,包括直接来自 `sys.exc_info()` / `sys.exception()` "
        "的异常,如 `state.set_exception(sys.exc_info())` 或 `result.error = sys.exc_info()[1]`;"
        "只是显示它——记录日志、`traceback.print_exception`——不算传递);在取消旁边同时列出 `SystemExit`/`KeyboardInterrupt` "
        "的子句(有意的\"全部拦住\"边界);只等待自己发起的关闭的 `try`(`await w.wait_closed()`)。\n\n"
        "任务边界在任何预设中都不报告:处理器明确捕获取消并返回或让协程结束(跳出循环、之后做清理),"
        "而该协程在模块中只会被作为任务启动(`create_task(f())`、`ensure_future`、`*_create_task`/"
        "`background_tasks.create` 之类的辅助函数、`nursery.start_soon(f)`、`spawn_system_task`、"
        "`asyncio.run(f())`),或者它处理一次 Web 请求(有 `request` 参数:服务器为每个请求运行一个任务,"
        "客户端离开时取消它),或者它是外层函数返回的包装函数。取消这样的任务正是其所有者停止它的方式,"
        "安静地结束就是预期结果。兜底处理器不算边界:它们还会隐藏 `KeyboardInterrupt` 和 "
        "`SystemExit`,因此提示要求改用 `except Exception`。如果同一 `try` 中前面的子句已经处理了这两者"
        "(`except (KeyboardInterrupt, SystemExit): raise`),后面的兜底处理器只多捕获了取消:提示只说这一点,"
        "并且像明确写出取消的子句一样适用任务边界的豁免。前面的子句只处理其中一个时,提示只列出另一个。\n\n"
        "分组 `suspicious`:在真实项目的复审结果中,排除上述情况后剩下的吞掉都是调用方的取消被丢失"
        "(内联 await 的方法在被取消时直接返回、异步生成器提前结束数据流、公共协程中的兜底处理器);"
        "默认形式保留明确写出取消异常的子句,真实结果就在这里。")
    why = Text(
        "Cancellation is delivered as an exception inside the task (`CancelledError` in asyncio, "
        "`trio.Cancelled` in trio). Swallowing it makes the task ignore `task.cancel()`, timeouts "
        "(`asyncio.timeout`, `wait_for`, `fail_after`) and task-group shutdown: the program hangs on "
        "exit, or the caller keeps working after it was told to stop. Clean up, then `raise`. A "
        "catch-all also swallows `KeyboardInterrupt` and `SystemExit`: catch `Exception` instead.",
        "取消是以异常的形式传入任务内部的(asyncio 中是 `CancelledError`,trio 中是 `trio.Cancelled`)。"
        "吞掉它会让任务无视 `task.cancel()`、超时(`asyncio.timeout`、`wait_for`、`fail_after`)和任务组的"
        "关闭:程序退出时挂起,或调用方在被要求停止后继续工作。请先清理,再 `raise`。兜底处理器还会吞掉 "
        "`KeyboardInterrupt` 和 `SystemExit`:请改为捕获 `Exception`。")
    example = (
        "import asyncio\n\n"
        "class Shard:\n    async def reconnect(self):\n        try:\n"
        "            self.ws = await asyncio.wait_for(open_ws(), 60)\n"
        "        except asyncio.CancelledError:\n            return\n\n"
        "async def main_loop(queue, shard):\n    while True:\n        await queue.get()\n"
        "        await shard.reconnect()\n")
    use_instead = (
        "import asyncio\n\n"
        "class Shard:\n    async def reconnect(self):\n        try:\n"
        "            self.ws = await asyncio.wait_for(open_ws(), 60)\n"
        "        except asyncio.CancelledError:\n            self.ws = None\n            raise\n\n"
        "async def main_loop(queue, shard):\n    while True:\n        await queue.get()\n"
        "        await shard.reconnect()\n")
    options = Text(
        "Messages name the module's async library (its imports, its package, or the `async-backend` "
        "setting): `asyncio.CancelledError`, `trio.Cancelled` or `anyio.get_cancelled_exc_class()`.\n\n"
        "To check catch-alls too (`except BaseException`, bare `except:`), run the full form: "
        "`--preset strict`, or `extend-select = [\"CCY602\"]`.",
        "提示中使用模块所用异步库的名称(由其导入、所在包或 `async-backend` 设置决定):"
        "`asyncio.CancelledError`、`trio.Cancelled` 或 `anyio.get_cancelled_exc_class()`。\n\n"
        "要同时检查兜底处理器"
        "(`except BaseException`、裸 `except:`),请使用完整形式:`--preset strict`,或 "
        "`extend-select = [\"CCY602\"]`。")
    valid = (
        "import asyncio\nasync def f(t):\n    t.cancel()\n    try:\n        await t\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n"
        "    except asyncio.CancelledError:\n        print('bye')\n        raise\n",
        "def f():\n    try:\n        pass\n    except BaseException:\n        pass\n",
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n    except Exception:\n        pass\n",
        "import asyncio\nasync def poll():\n    try:\n        while True:\n            await asyncio.sleep(1)\n"
        "    except asyncio.CancelledError:\n        return\n"
        "def start():\n    return asyncio.create_task(poll())\n",
    )
    invalid = (
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "async def f(g):\n    try:\n        await g()\n    except:\n        return None\n",
        "import asyncio\nasync def poll():\n    try:\n        await asyncio.sleep(1)\n"
        "    except BaseException:\n        return\n"
        "def start():\n    return asyncio.create_task(poll())\n",
    )

    def visit_Try(self, node: cst.Try) -> None:
        ctx = self.ctx
        if not ctx.in_async_function:
            return
        awaits = _awaits(ctx, node.body)
        if not awaits:
            return  # cancellation is delivered at an await: a try without one cannot catch it
        taken = False  # an earlier clause of this try already catches the cancellation
        exits: Set[str] = set()  # SystemExit/KeyboardInterrupt an earlier clause takes
        for handler in node.handlers:
            caught = _caught(ctx, handler)
            if caught is None:
                exits.update(n.rsplit(".", 1)[-1] for n in _named(ctx, handler) & PROCESS_EXIT_EXCEPTIONS)
                continue
            if taken:
                continue  # shadowed: the cancellation never reaches this clause
            taken = True
            if caught.catch_all and ctx.settings.default_form(self.code):
                continue  # catch-alls are mostly deliberate boundaries on reviewed code: full form only
            caught.hides = tuple(e for e in caught.hides if e not in exits)
            if _reraises(ctx, handler) or caught.names_exit:
                continue
            if _inside_reraising_handler(ctx) or _owned_child(ctx, awaits) or _only_closing(awaits):
                continue
            if not caught.hides and _ends_function(handler, node, ctx.ancestors) and _task_boundary(ctx):
                continue  # the task's own body ends when it is cancelled: its owner's way to stop it
            self._report(handler, caught)

    def _report(self, handler: cst.ExceptHandler, caught: _Caught) -> None:
        function = self.ctx.function.name if self.ctx.function is not None else "?"
        cancelled = advice(self.ctx.async_backend, "cancelled")
        if caught.catch_all and caught.hides:
            en = (", " + " and ".join(caught.hides)) if len(caught.hides) > 1 else " and " + caught.hides[0]
            zh = ("、" + " 和 ".join(caught.hides)) if len(caught.hides) > 1 else "和 " + caught.hides[0]
            self.report(handler, Text(
                f"{caught.label} in async function '{function}' also catches the task's cancellation "
                f"({cancelled}){en}, and does not re-raise them; catch 'Exception' instead",
                f"async 函数 '{function}' 中的 {caught.label_zh} 也会捕获任务的取消({cancelled}){zh},"
                "且没有重新抛出;请改为捕获 'Exception'"))
            return
        if caught.catch_all:  # an earlier clause takes KeyboardInterrupt and SystemExit
            self.report(handler, Text(
                f"{caught.label} in async function '{function}' also catches the task's cancellation "
                f"({cancelled}) and does not re-raise it; catch 'Exception' instead",
                f"async 函数 '{function}' 中的 {caught.label_zh} 也会捕获任务的取消({cancelled}),"
                "且没有重新抛出;请改为捕获 'Exception'"))
            return
        self.report(handler, Text(
            f"{caught.label} in async function '{function}' swallows the cancellation of its task "
            f"({cancelled}); re-raise it ('raise') after cleaning up",
            f"async 函数 '{function}' 中的 {caught.label_zh} 吞掉了任务的取消({cancelled});"
            "请在清理后重新抛出('raise')"))
