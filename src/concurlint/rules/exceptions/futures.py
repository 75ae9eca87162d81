"""Futures nobody looks at: CCY603 (task-exception-never-retrieved, a task bound to a name
that is never awaited or checked) and CCY604 (executor-future-discarded, an executor
``Future`` thrown away so worker exceptions vanish).
"""
from __future__ import annotations

from typing import List

import libcst as cst

from ...apis.coroutines import EXECUTOR_MAP, EXECUTOR_SUBMIT, FUTURE_HANDLING_METHODS, TASK_CREATORS
from ...findings import Text
from ...semantics.lifetime import NameUsage, dotted_text, follow, value_fate
from ..base import Rule
from ..coroutines.common import callee_name, coroutine_function
from ..coroutines.tasks import guards_own_errors, makes_coroutine
from .common import _last


# --------------------------------------------------------------------------- CCY603 / CCY604
def _future_handled(usages: List[NameUsage]) -> bool:
    for usage in usages:
        if (usage.awaited or usage.escapes or usage.iterated or usage.context_manager
                or usage.async_context_manager or usage.other or usage.called):
            return True
        if any(m in FUTURE_HANDLING_METHODS for m in usage.methods):
            return True
        if usage.attributes & FUTURE_HANDLING_METHODS:  # a bound method handed on: future.result
            return True
    return False


class TaskExceptionNeverRetrieved(Rule):
    code = "CCY603"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "A task whose exception nobody retrieves fails silently; no finding on the 28 "
        "projects of the ecosystem check; the default form leaves test code out.",
        "没有人获取其异常的任务会悄无声息地失败;在生态检查的 28 个项目上没有结果;默认形式不检查测试"
        "代码。")
    name = "task-exception-never-retrieved"
    summary = Text("Task bound to a name that is never awaited or checked",
                   "赋给变量的 Task 从未被 await 或检查")
    what = Text(
        "Finds a Task from `create_task`/`ensure_future` bound to a local name that is never awaited, "
        "gathered, waited, `.done()`/`.result()`/`.exception()`/`.add_done_callback()`/`.cancel()`-ed, "
        "returned or stored elsewhere. Only a coroutine handed to them makes a new task: "
        "`ensure_future(x)` of a name (which may hold a future or a task) or of a call returning a "
        "future (`run_in_executor`, `gather`, `create_future`...) returns that future, and is not "
        "reported.",
        "查找由 `create_task`/`ensure_future` 创建并赋给局部变量的 Task:它从未被 await、gather、wait、"
        "`.done()`/`.result()`/`.exception()`/`.add_done_callback()`/`.cancel()`,也没有被返回或保存到别处。"
        "只有传入协程才会创建新任务:对一个变量(可能保存的是 future 或任务)或返回 future 的调用"
        "(`run_in_executor`、`gather`、`create_future`……)调用 `ensure_future(x)` 只会返回那个 future,不报告。")
    why = Text(
        "If the task fails, its exception is stored on the Task and only logged as 'Task exception was "
        "never retrieved' when the Task is garbage-collected — often much later, or never. The local name "
        "also dies with the function, so the task can be collected mid-flight.",
        "如果任务失败,异常只保存在 Task 上,直到 Task 被回收时才记录一条 'Task exception was never "
        "retrieved'——往往很晚,甚至永远不会。局部变量随函数结束而消失,任务也可能在运行中被回收。")
    example = "import asyncio\n\nasync def handle(msg):\n    task = asyncio.create_task(store(msg))\n    log.info('queued')\n"
    use_instead = "import asyncio\n\nasync def handle(msg):\n    task = asyncio.create_task(store(msg))\n    log.info('queued')\n    await task\n"
    valid = (
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    await t\n",
        "import asyncio\nasync def f(job):\n    t = asyncio.ensure_future(job.run())\n    print(t.done())\n",
        "import asyncio\nasync def f(fut):\n    t = asyncio.ensure_future(fut)\n",
        "import asyncio\nasync def f(c, bg):\n    t = asyncio.create_task(c)\n    bg.add(t)\n"
        "    t.add_done_callback(bg.discard)\n",
    )
    invalid = (
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n",
        "import asyncio\nasync def f(job):\n    t = asyncio.ensure_future(job.run())\n    print(t.get_name())\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if last not in ("create_task", "ensure_future") and not isinstance(func, cst.Name):
            return
        if self.ctx.function is None or not isinstance(
                self.ctx.parent, (cst.Assign, cst.AnnAssign, cst.ListComp, cst.SetComp)):
            return
        fate = value_fate(self.ctx, node, through_comprehension=True)
        if fate.kind != "name" or fate.awaited:
            return
        if callee_name(self.ctx, node.func) not in TASK_CREATORS:
            return
        first = node.args[0].value if node.args and node.args[0].keyword is None else None
        if first is not None and coroutine_function(self.ctx, first):
            return  # CCY102
        if _last(node.func) == "ensure_future" and not makes_coroutine(self.ctx, first):
            return  # ensure_future of an existing future/task returns it: no new task
        assert fate.name is not None
        if _future_handled(follow(self.ctx, fate.name)):
            return
        self.report(node, Text(
            f"task '{fate.name}' is never awaited or checked: its exception will never be seen; "
            f"await it, gather it, or add a done-callback",
            f"任务 '{fate.name}' 从未被 await 或检查:它的异常永远不会被看到;请 await、gather 它或添加完成回调"))


class ExecutorFutureDiscarded(Rule):
    code = "CCY604"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "An executor future nobody looks at loses the worker's exception; no finding on the "
        "28 projects of the ecosystem check; the default form leaves test code out.",
        "没有人查看的执行器 future 会丢失工作线程的异常;在生态检查的 28 个项目上没有结果;默"
        "认形式不检查测试代码。")
    name = "executor-future-discarded"
    summary = Text("Executor Future thrown away: worker exceptions vanish",
                   "执行器返回的 Future 被丢弃:工作线程中的异常会消失")
    what = Text(
        "Finds `executor.submit(...)` whose Future is thrown away or bound to a name that is never "
        "`.result()`/`.exception()`/`as_completed`/`wait`/`add_done_callback`-ed, returned or stored, "
        "and `executor.map(...)` whose result iterator is thrown away. A worker of this module whose "
        "whole body is `try: ... except Exception:` (logging or reporting the error) handles its own "
        "errors: nothing reaches its future, so it is not reported.",
        "查找 `executor.submit(...)`:其 Future 被丢弃,或赋给的变量从未被 `.result()`/`.exception()`/"
        "`as_completed`/`wait`/`add_done_callback`,也没有被返回或保存;以及结果迭代器被丢弃的 `executor.map(...)`。"
        "如果本模块中的工作函数整个函数体都是 `try: ... except Exception:`(记录或报告错误),它会自行处理错误:"
        "不会有异常进入它的 future,因此不报告。")
    why = Text(
        "An exception raised in a worker is stored in its Future and re-raised only by `result()` (or "
        "when iterating `map`'s results). A dropped Future means the failure is never reported.",
        "工作线程中抛出的异常保存在对应的 Future 里,只有调用 `result()`(或遍历 `map` 的结果)时才会重新抛出。"
        "丢弃 Future 就意味着失败永远不会被报告。")
    example = "from concurrent.futures import ThreadPoolExecutor, as_completed\n\nwith ThreadPoolExecutor() as pool:\n    for path in paths:\n        pool.submit(resize, path)\n"
    use_instead = (
        "from concurrent.futures import ThreadPoolExecutor, as_completed\n\n"
        "with ThreadPoolExecutor() as pool:\n    futures = [pool.submit(resize, p) for p in paths]\n"
        "    for future in as_completed(futures):\n        future.result()\n")
    valid = (
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor() as ex:\n        fut = ex.submit(print, 1)\n        fut.result()\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor() as ex:\n        return list(ex.map(print, xs))\n",
    )
    invalid = (
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor() as ex:\n        ex.submit(print, 1)\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef f(xs):\n"
        "    with ThreadPoolExecutor() as ex:\n        ex.map(print, xs)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("submit", "map"):
            return
        if not isinstance(self.ctx.parent, (cst.Expr, cst.Assign, cst.AnnAssign, cst.ListComp, cst.SetComp)):
            return
        qualname = self.ctx.resolve(func)
        is_submit = qualname in EXECUTOR_SUBMIT
        if not is_submit and qualname not in EXECUTOR_MAP:
            return
        worker = node.args[0].value if node.args and node.args[0].keyword is None else None
        definition = self.ctx.is_local_function(worker) if worker is not None else None
        if definition is not None and guards_own_errors(self.ctx, definition):
            return  # the worker handles its own errors: nothing reaches the future
        fate = value_fate(self.ctx, node, through_comprehension=is_submit)
        if fate.kind == "discarded":
            what = "Future" if is_submit else "result iterator"
            what_zh = "Future" if is_submit else "结果迭代器"
            self.report(node, Text(
                f"the {what} of '{dotted_text(func) or func.attr.value}()' is thrown away: exceptions raised "
                "in the worker are never seen; keep it and call .result() (or iterate the results)",
                f"'{dotted_text(func) or func.attr.value}()' 返回的 {what_zh} 被丢弃:工作线程中的异常永远不会被看到;"
                "请保存它并调用 .result()(或遍历结果)"))
            return
        if fate.kind != "name" or not is_submit or self.ctx.function is None:
            return
        assert fate.name is not None
        if _future_handled(follow(self.ctx, fate.name)):
            return
        self.report(node, Text(
            f"future '{fate.name}' from '{dotted_text(func)}()' is never checked: exceptions in the worker "
            "are lost; call .result() or use as_completed()/wait()",
            f"'{dotted_text(func)}()' 返回的 future '{fate.name}' 从未被检查:工作线程中的异常会丢失;"
            "请调用 .result() 或使用 as_completed()/wait()"))
