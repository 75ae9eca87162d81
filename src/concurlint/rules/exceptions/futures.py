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
        "projects of the ecosystem check; the default form leaves test code out.")
    name = "task-exception-never-retrieved"
    summary = Text("Task bound to a name that is never awaited or checked")
    what = Text(
        "Finds a Task from `create_task`/`ensure_future` bound to a local name that is never awaited, "
        "gathered, waited, `.done()`/`.result()`/`.exception()`/`.add_done_callback()`/`.cancel()`-ed, "
        "returned or stored elsewhere. Only a coroutine handed to them makes a new task: "
        "`ensure_future(x)` of a name (which may hold a future or a task) or of a call returning a "
        "future (`run_in_executor`, `gather`, `create_future`...) returns that future, and is not "
        "reported.")
    why = Text(
        "If the task fails, its exception is stored on the Task and only logged as 'Task exception was "
        "never retrieved' when the Task is garbage-collected — often much later, or never. The local name "
        "also dies with the function, so the task can be collected mid-flight.")
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
            "task '{name}' is never awaited or checked: its exception will never be seen; "
            "await it, gather it, or add a done-callback").format(
                name=fate.name))


class ExecutorFutureDiscarded(Rule):
    code = "CCY604"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "An executor future nobody looks at loses the worker's exception; no finding on the "
        "28 projects of the ecosystem check; the default form leaves test code out.")
    name = "executor-future-discarded"
    summary = Text("Executor Future thrown away: worker exceptions vanish")
    what = Text(
        "Finds `executor.submit(...)` whose Future is thrown away or bound to a name that is never "
        "`.result()`/`.exception()`/`as_completed`/`wait`/`add_done_callback`-ed, returned or stored, "
        "and `executor.map(...)` whose result iterator is thrown away. A worker of this module whose "
        "whole body is `try: ... except Exception:` (logging or reporting the error) handles its own "
        "errors: nothing reaches its future, so it is not reported.")
    why = Text(
        "An exception raised in a worker is stored in its Future and re-raised only by `result()` (or "
        "when iterating `map`'s results). A dropped Future means the failure is never reported.")
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
            what = Text("Future") if is_submit else Text("result iterator")
            self.report(node, Text(
                "the {what} of '{callee}()' is thrown away: exceptions raised "
                "in the worker are never seen; keep it and call .result() (or iterate the results)").format(
                    what=what, callee=dotted_text(func) or func.attr.value))
            return
        if fate.kind != "name" or not is_submit or self.ctx.function is None:
            return
        assert fate.name is not None
        if _future_handled(follow(self.ctx, fate.name)):
            return
        self.report(node, Text(
            "future '{name}' from '{callee}()' is never checked: exceptions in the worker "
            "are lost; call .result() or use as_completed()/wait()").format(
                name=fate.name, callee=dotted_text(func)))
