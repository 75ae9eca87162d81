"""CCY6: exceptions and cancellation (swallowed errors, lost task exceptions)."""
from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from ..apis.coroutines import (
    AWAIT_WRAPPERS, CANCELLATION_CATCHERS, EXECUTOR_MAP, EXECUTOR_SUBMIT,
    FUTURE_HANDLING_METHODS, NORETURN_CALLS, NOT_INSPECTING_CALLS, REPORTING_METHODS, TASK_CREATORS,
)
from ..findings import Text
from ..semantics.context import Context
from ..semantics.lifetime import NameUsage, dotted_text, follow, value_fate
from .base import Rule
from .coroutines import callee_name, coroutine_function, walk_body

_CODE = cst.Module(body=[])


def _text(node: cst.CSTNode) -> str:
    return _CODE.code_for_node(node)


def _function_node(ctx: Context) -> Optional[cst.CSTNode]:
    function = ctx.function
    return function.node if function is not None else None


def _cancelled_in(ctx: Context, function: cst.CSTNode) -> Set[str]:
    """Source texts of the objects this function calls ``.cancel()`` on, plus the
    iterables whose items it cancels in a loop (``for t in tasks: t.cancel()``)."""
    key = ("exceptions.cancelled", id(function))
    found = ctx.memo.get(key)
    if found is not None:
        return found
    found = set()
    loops: Dict[str, List[str]] = {}  # loop target -> iterables it runs over
    body = function.body if isinstance(function, (cst.FunctionDef, cst.Lambda)) else function
    for node in walk_body(body):
        if isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name):
            loops.setdefault(node.target.value, []).append(_text(node.iter))
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and node.func.attr.value == "cancel"):
            found.add(_text(node.func.value))
    for target, iterables in loops.items():
        if target in found:
            found.update(iterables)
    ctx.memo[key] = found
    return found


# --------------------------------------------------------------------------- CCY601
def _is_return_exceptions(node: cst.Call) -> bool:
    for arg in node.args:
        if (arg.keyword is not None and arg.keyword.value == "return_exceptions"
                and not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))
                and not (isinstance(arg.value, cst.Integer) and arg.value.value == "0")):
            return True
    return False


def _inspected(usage: NameUsage) -> bool:
    if usage.returned or usage.yielded or usage.raised or usage.stored or usage.closure:
        return True
    if any(callee not in NOT_INSPECTING_CALLS for callee, _ in usage.passed_to):
        return True
    return usage.called or bool(usage.methods) and not set(usage.methods) <= {"count", "index"}


class GatherExceptionsSwallowed(Rule):
    code = "CCY601"

    group = "suspicious"
    name = "gather-exceptions-swallowed"
    summary = Text("`gather(..., return_exceptions=True)` results never checked",
                   "`gather(..., return_exceptions=True)` 的结果从未被检查")
    what = Text(
        "Finds `asyncio.gather(..., return_exceptions=True)` whose result is thrown away, or bound to "
        "a name whose items are never tested with `isinstance(r, Exception)`, re-raised, returned, "
        "stored or passed on.",
        "查找 `asyncio.gather(..., return_exceptions=True)`:其结果被丢弃,或赋给的变量中的元素从未用 "
        "`isinstance(r, Exception)` 检查、重新抛出、返回、保存或传递出去。")
    why = Text(
        "With `return_exceptions=True` failures come back as ordinary values in the result list. "
        "Nobody looks at them, so errors disappear silently and the program carries on with "
        "exception objects where data was expected.",
        "设置 `return_exceptions=True` 后,失败会作为普通值出现在结果列表中。如果没人检查,错误就会悄无声息地消失,"
        "程序还会把异常对象当作数据继续使用。")
    example = (
        "import asyncio\n\n"
        "async def refresh(feeds):\n"
        "    await asyncio.gather(*(f.update() for f in feeds), return_exceptions=True)\n")
    use_instead = (
        "import asyncio\n\n"
        "async def refresh(feeds):\n"
        "    results = await asyncio.gather(*(f.update() for f in feeds), return_exceptions=True)\n"
        "    for feed, result in zip(feeds, results):\n"
        "        if isinstance(result, Exception):\n"
        "            log.error('update of %s failed: %r', feed, result)\n")
    valid = (
        "import asyncio\nasync def f(a, b):\n    rs = await asyncio.gather(a, b, return_exceptions=True)\n"
        "    for r in rs:\n        if isinstance(r, Exception):\n            raise r\n",
        "import asyncio\nasync def stop(tasks):\n    for t in tasks:\n        t.cancel()\n"
        "    await asyncio.gather(*tasks, return_exceptions=True)\n",
        "import asyncio\nasync def f(a, b):\n    await asyncio.gather(a, b)\n",
    )
    invalid = (
        "import asyncio\nasync def f(a, b):\n    await asyncio.gather(a, b, return_exceptions=True)\n",
        "import asyncio\nasync def f(a, b):\n    rs = await asyncio.gather(a, b, return_exceptions=True)\n"
        "    print(len(rs))\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or not _is_return_exceptions(node):
            return
        if callee_name(self.ctx, node.func) != "asyncio.gather":
            return
        fate = value_fate(self.ctx, node)
        if fate.kind == "discarded":
            if not fate.awaited:
                return  # an un-awaited, discarded gather is CCY103
            function = _function_node(self.ctx)
            if function is not None and _cancelled_in(self.ctx, function):
                return  # the shutdown idiom: gathering tasks this function just cancelled
            self._report(node, "its result is thrown away")
            return
        if fate.kind != "name" or not fate.awaited:
            return
        assert fate.name is not None
        chain = follow(self.ctx, fate.name)
        if not chain or any(_inspected(usage) for usage in chain):
            return
        self._report(node, f"'{fate.name}' is never checked for exceptions")

    def _report(self, node: cst.Call, detail: str) -> None:
        self.report(node, Text(
            f"asyncio.gather(..., return_exceptions=True): {detail}, so failures are silently lost; "
            "check each result with isinstance(r, Exception)",
            f"asyncio.gather(..., return_exceptions=True):{detail},失败会被悄悄吞掉;"
            "请用 isinstance(r, Exception) 检查每个结果"))


# --------------------------------------------------------------------------- CCY602
def _catches_cancellation(ctx: Context, handler: cst.ExceptHandler) -> Optional[str]:
    if handler.type is None:
        return "bare 'except:'"
    candidates = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
    exprs = [e.value for e in candidates] if candidates is not None else [handler.type]
    for expr in exprs:
        qualname = ctx.resolve(expr)
        if qualname in CANCELLATION_CATCHERS:
            return f"'except {dotted_text(expr) or qualname}'"
    return None


def _reraises(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """The handler raises, calls something that never returns, or hands the caught
    exception on (stores it, returns it, passes it to a call that is not just logging)."""
    bound = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None
    for node in walk_body(handler.body):
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call):
            if ctx.resolve(node.func) in NORETURN_CALLS:
                return True
            if bound is not None and _last(node.func) not in REPORTING_METHODS and any(
                    _mentions(arg.value, bound) for arg in node.args):
                return True
        elif bound is not None and isinstance(node, (cst.Return, cst.Assign)):
            value = node.value
            if value is not None and _mentions(value, bound):
                return True
    return _deferred_reraise(ctx, handler)


def _deferred_reraise(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """The handler sets a flag (``cancelled = True``) that the function later tests
    to raise (``if cancelled: raise CancelledError``): cancellation is postponed, not lost."""
    flags = set()
    for node in walk_body(handler.body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    flags.add(target.target.value)
    if not flags or ctx.function is None:
        return False
    for node in walk_body(getattr(ctx.function.node, "body", ctx.function.node)):
        if not isinstance(node, cst.If):
            continue
        tested = {n.value for n in walk_body(node.test) if isinstance(n, cst.Name)}
        if isinstance(node.test, cst.Name):
            tested.add(node.test.value)
        if tested & flags and any(isinstance(n, cst.Raise) for n in walk_body(node.body)):
            return True
    return False


def _last(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _mentions(expr: cst.BaseExpression, name: str) -> bool:
    """``expr`` is ``name`` or a call/container built directly around it (``Error(exc)``, ``[exc]``)."""
    if isinstance(expr, cst.Name):
        return expr.value == name
    if isinstance(expr, cst.Call):
        return any(_mentions(arg.value, name) for arg in expr.args)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return any(_mentions(e.value, name) for e in expr.elements)
    return False


def _awaited_objects(body: cst.BaseSuite) -> Set[str]:
    """Texts of the existing tasks/futures awaited in ``body`` (``await t``, ``await gather(*ts)``)."""
    found: Set[str] = set()
    for node in walk_body(body):
        if not isinstance(node, cst.Await):
            continue
        expr = node.expression
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
            found.add(_text(expr))
        elif isinstance(expr, cst.Call) and dotted_text(expr.func).rsplit(".", 1)[-1] in _WRAPPER_NAMES:
            for arg in expr.args:
                found.add(_text(arg.value))
    return found


def _has_await(body: cst.BaseSuite) -> bool:
    for node in walk_body(body):
        if isinstance(node, cst.Await):
            return True
        if isinstance(node, (cst.For, cst.With, cst.CompFor)) and node.asynchronous is not None:
            return True
    return False


_WRAPPER_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in AWAIT_WRAPPERS)


class CancellationSwallowed(Rule):
    code = "CCY602"

    group = "suspicious"
    name = "cancellation-swallowed"
    summary = Text("Cancellation caught and not re-raised", "捕获了取消异常但没有重新抛出")
    what = Text(
        "In an async function, finds `except asyncio.CancelledError`, `except BaseException` and bare "
        "`except:` handlers (alone or in a tuple) that do not re-raise.",
        "在 async 函数中,查找不重新抛出异常的 `except asyncio.CancelledError`、`except BaseException` "
        "和裸 `except:` 处理器(单独或在元组中)。")
    why = Text(
        "Cancellation is delivered as `CancelledError` inside the task. Swallowing it makes the task "
        "ignore `task.cancel()`, timeouts (`asyncio.timeout`, `wait_for`) and `TaskGroup` shutdown: "
        "the program hangs on exit or keeps working after it was told to stop. Clean up, then `raise`. "
        "Catching the cancellation of a task you cancelled yourself (`t.cancel(); await t`) is fine.",
        "取消是以 `CancelledError` 的形式传入任务内部的。吞掉它会让任务无视 `task.cancel()`、超时"
        "(`asyncio.timeout`、`wait_for`)和 `TaskGroup` 的关闭:程序退出时挂起,或在被要求停止后继续工作。"
        "请先清理,再 `raise`。捕获自己取消的任务的取消(`t.cancel(); await t`)是可以的。")
    example = (
        "import asyncio\n\n"
        "async def worker(queue):\n    try:\n        while True:\n            await handle(await queue.get())\n"
        "    except asyncio.CancelledError:\n        log.info('stopping')\n")
    use_instead = (
        "import asyncio\n\n"
        "async def worker(queue):\n    try:\n        while True:\n            await handle(await queue.get())\n"
        "    except asyncio.CancelledError:\n        log.info('stopping')\n        raise\n")
    valid = (
        "import asyncio\nasync def f(t):\n    t.cancel()\n    try:\n        await t\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n"
        "    except asyncio.CancelledError:\n        print('bye')\n        raise\n",
        "def f():\n    try:\n        pass\n    except BaseException:\n        pass\n",
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n    except Exception:\n        pass\n",
    )
    invalid = (
        "import asyncio\nasync def f():\n    try:\n        await asyncio.sleep(1)\n"
        "    except asyncio.CancelledError:\n        pass\n",
        "async def f(g):\n    try:\n        await g()\n    except:\n        return None\n",
    )

    def visit_Try(self, node: cst.Try) -> None:
        if not self.ctx.in_async_function:
            return
        if not _has_await(node.body):
            return  # cancellation is delivered at an await: a try without one cannot catch it
        own: Optional[Set[str]] = None
        for handler in node.handlers:
            caught = _catches_cancellation(self.ctx, handler)
            if caught is None or _reraises(self.ctx, handler):
                continue
            if own is None:
                function = _function_node(self.ctx)
                cancelled = _cancelled_in(self.ctx, function) if function is not None else set()
                own = _awaited_objects(node.body) & cancelled
            if own:
                continue  # awaiting a task this function cancelled itself: the expected outcome
            function_name = self.ctx.function.name if self.ctx.function is not None else "?"
            self.report(handler, Text(
                f"{caught} in async function '{function_name}' swallows cancellation; "
                "re-raise it ('raise') after cleaning up",
                f"async 函数 '{function_name}' 中的 {caught} 吞掉了取消;请在清理后重新抛出('raise')"))


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
    name = "task-exception-never-retrieved"
    summary = Text("Task bound to a name that is never awaited or checked",
                   "赋给变量的 Task 从未被 await 或检查")
    what = Text(
        "Finds a Task from `create_task`/`ensure_future` bound to a local name that is never awaited, "
        "gathered, waited, `.result()`/`.exception()`/`.add_done_callback()`/`.cancel()`-ed, returned "
        "or stored elsewhere.",
        "查找由 `create_task`/`ensure_future` 创建并赋给局部变量的 Task:它从未被 await、gather、wait、"
        "`.result()`/`.exception()`/`.add_done_callback()`/`.cancel()`,也没有被返回或保存到别处。")
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
        "import asyncio\nasync def f(c, bg):\n    t = asyncio.create_task(c)\n    bg.add(t)\n"
        "    t.add_done_callback(bg.discard)\n",
    )
    invalid = (
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n",
        "import asyncio\nasync def f(c):\n    t = asyncio.ensure_future(c)\n    print(t.done())\n",
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
    name = "executor-future-discarded"
    summary = Text("Executor Future thrown away: worker exceptions vanish",
                   "执行器返回的 Future 被丢弃:工作线程中的异常会消失")
    what = Text(
        "Finds `executor.submit(...)` whose Future is thrown away or bound to a name that is never "
        "`.result()`/`.exception()`/`as_completed`/`wait`/`add_done_callback`-ed, returned or stored, "
        "and `executor.map(...)` whose result iterator is thrown away.",
        "查找 `executor.submit(...)`:其 Future 被丢弃,或赋给的变量从未被 `.result()`/`.exception()`/"
        "`as_completed`/`wait`/`add_done_callback`,也没有被返回或保存;以及结果迭代器被丢弃的 `executor.map(...)`。")
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
        fate = value_fate(self.ctx, node, through_comprehension=is_submit)
        if fate.kind == "discarded":
            what = "Future" if is_submit else "result iterator"
            self.report(node, Text(
                f"the {what} of '{dotted_text(func) or func.attr.value}()' is thrown away: exceptions raised "
                "in the worker are never seen; keep it and call .result() (or iterate the results)",
                f"'{dotted_text(func) or func.attr.value}()' 返回的 {what} 被丢弃:工作线程中的异常永远不会被看到;"
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


RULES = [GatherExceptionsSwallowed, CancellationSwallowed, TaskExceptionNeverRetrieved, ExecutorFutureDiscarded]
