"""CCY6: exceptions and cancellation (swallowed errors, lost task exceptions)."""
from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..apis.backends import advice
from ..apis.coroutines import (
    AWAIT_WRAPPERS, CANCELLATION_EXCEPTIONS, CATCH_ALL_EXCEPTIONS, CLOSE_WAITS, CORO_TASK_STARTERS,
    EXECUTOR_MAP, EXECUTOR_SUBMIT, FUNCTION_TASK_STARTERS, FUTURE_HANDLING_METHODS, NORETURN_CALLS,
    NOT_INSPECTING_CALLS, PROCESS_EXIT_EXCEPTIONS, REPORTING_METHODS, SELF_STOPPED_WAITS,
    SHIELDING_SCOPES, TASK_CREATORS, TEARDOWN_METHODS,
)
from ..findings import Text
from ..semantics.callees import walk_body as _walk_scopes
from ..semantics.context import Context
from ..semantics.lifetime import NameUsage, dotted_text, follow, function_usage, value_fate
from ..semantics.scopes import IMPORT
from ..semantics.traversal import iter_children
from .base import Rule
from .coroutines import callee_name, coroutine_function, guards_own_errors, makes_coroutine, walk_body

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
    waited: Dict[str, List[str]] = {}  # `done, pending = await asyncio.wait([a, b])`: pending -> a, b
    body = function.body if isinstance(function, (cst.FunctionDef, cst.Lambda)) else function
    for node in walk_body(body):
        if isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name):
            loops.setdefault(node.target.value, []).append(_text(node.iter))
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and node.func.attr.value == "cancel"):
            found.add(_text(node.func.value))
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            _record_wait(node, waited)
    for target, iterables in loops.items():
        if target in found:
            found.update(iterables)
    for target, elements in waited.items():
        if target in found:
            found.update(elements)
    ctx.memo[key] = found
    return found


def _record_wait(node: cst.Assign, waited: Dict[str, List[str]]) -> None:
    target = node.targets[0].target
    value = node.value.expression if isinstance(node.value, cst.Await) else node.value
    if not (isinstance(target, cst.Tuple) and isinstance(value, cst.Call)
            and _last(value.func) == "wait" and value.args):
        return
    waited_on = value.args[0].value
    if not isinstance(waited_on, (cst.List, cst.Tuple, cst.Set)):
        return
    elements = [_text(e.value) for e in waited_on.elements if not isinstance(e, cst.StarredElement)]
    for element in target.elements:
        if isinstance(element.value, cst.Name):
            waited[element.value.value] = elements


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
    quiet_in_tests = True
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: no finding left (the 4 reviewed "
        "were cleanup gathers handled elsewhere, no longer reported); the default form "
        "leaves test code out.",
        "在生态检查的 28 个项目上测量:没有剩余结果(审查过的 4 条都是在别处处理了错误的清理 ga"
        "ther,现已不再报告);默认形式不检查测试代码。")
    name = "gather-exceptions-swallowed"
    summary = Text("`gather(..., return_exceptions=True)` results never checked",
                   "`gather(..., return_exceptions=True)` 的结果从未被检查")
    what = Text(
        "Finds `asyncio.gather(..., return_exceptions=True)` whose result is thrown away, or bound to "
        "a name whose items are never tested with `isinstance(r, Exception)`, re-raised, returned, "
        "stored or passed on.\n\n"
        "Not reported when the failures are dealt with, or deliberately dropped, elsewhere: gathering "
        "tasks the function just cancelled, or tasks of a container whose items the module cancels "
        "while this function tears their owners down first (`c.close()` for each); a best-effort "
        "teardown that only gathers `close()`/`stop()`/`shutdown()`-like calls; a gather on an error "
        "path whose handler re-raises the original error; tasks of a container whose tasks get a "
        "done-callback where they are stored; coroutines of this module whose whole body catches and "
        "logs every `Exception` (nothing reaches the result list).",
        "查找 `asyncio.gather(..., return_exceptions=True)`:其结果被丢弃,或赋给的变量中的元素从未用 "
        "`isinstance(r, Exception)` 检查、重新抛出、返回、保存或传递出去。\n\n"
        "如果失败已在别处处理或被有意丢弃,则不报告:收集本函数刚取消的任务,或收集模块会取消其元素的容器中"
        "的任务且本函数先关闭了它们的所有者(逐个 `c.close()`);只收集 `close()`/`stop()`/`shutdown()` "
        "之类调用的尽力而为的清理;在重新抛出原始错误的异常处理器中的 gather;存入容器时就添加了完成回调的"
        "任务;整个函数体都捕获并记录所有 `Exception` 的本模块协程(结果列表中不会出现异常)。")
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
            if not self._handled_elsewhere(node):
                self._report(node, Text("its result is thrown away", "其结果被丢弃"))
            return
        if fate.kind != "name" or not fate.awaited:
            return
        assert fate.name is not None
        chain = follow(self.ctx, fate.name)
        if not chain or any(_inspected(usage) for usage in chain):
            return
        if not self._handled_elsewhere(node):
            self._report(node, Text(f"'{fate.name}' is never checked for exceptions",
                                    f"从未检查 '{fate.name}' 中的异常"))

    def _handled_elsewhere(self, node: cst.Call) -> bool:
        """The failures this gather collects are dealt with, or deliberately dropped, elsewhere:
        on an error path that re-raises the original error; a teardown of close/stop calls;
        tasks whose done-callbacks see them; coroutines that handle their own errors; tasks
        the module cancels (the cancel-then-gather idiom, one call away)."""
        ctx = self.ctx
        if _inside_reraising_handler(ctx, any_exception=True):
            return True
        items = _gathered(ctx, node)
        if items and all(_is_teardown(item) for item in items):
            return True
        if items and all(_self_guarding(ctx, item) for item in items):
            return True
        containers = [_text(arg.value) for arg in node.args if arg.star == "*"]
        return bool(containers) and all(
            _callbacked_container(ctx, text) or _cancelled_container(ctx, text) for text in containers)

    def _report(self, node: cst.Call, detail: Text) -> None:
        self.report(node, Text(
            f"asyncio.gather(..., return_exceptions=True): {detail.en}, so failures are silently lost; "
            "check each result with isinstance(r, Exception)",
            f"asyncio.gather(..., return_exceptions=True):{detail.zh},失败会被悄悄吞掉;"
            "请用 isinstance(r, Exception) 检查每个结果"))


def _gathered(ctx: Context, node: cst.Call) -> List[cst.BaseExpression]:
    """The awaitables a gather receives, looking through ``*(f(x) for x in xs)``,
    ``create_task(f())`` and ``*items`` where ``items`` is a local list filled by
    ``items.append(...)`` / a list display; empty when any is unknown."""
    found: List[cst.BaseExpression] = []
    for arg in node.args:
        if arg.keyword is not None:
            continue
        value = arg.value
        if arg.star == "*":
            if isinstance(value, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
                found.append(value.elt)
                continue
            if isinstance(value, cst.Name):
                filled = _filled_with(ctx, value.value)
                if not filled:
                    return []
                found.extend(filled)
                continue
            return []
        found.append(value)
    return [_unwrap_task(ctx, item) for item in found]


def _unwrap_task(ctx: Context, item: cst.BaseExpression) -> cst.BaseExpression:
    if (isinstance(item, cst.Call) and item.args and item.args[0].keyword is None
            and _last(item.func) in CORO_TASK_STARTERS):
        return item.args[0].value
    return item


def _filled_with(ctx: Context, name: str) -> List[cst.BaseExpression]:
    function = _function_node(ctx)
    if function is None:
        return []
    values: List[cst.BaseExpression] = []
    for node in walk_body(getattr(function, "body", function)):
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in ("append", "add") and isinstance(node.func.value, cst.Name)
                and node.func.value.value == name and len(node.args) == 1):
            values.append(node.args[0].value)
        elif (isinstance(node, cst.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == name):
            if isinstance(node.value, (cst.List, cst.Tuple)):
                values.extend(e.value for e in node.value.elements if not isinstance(e, cst.StarredElement))
            elif isinstance(node.value, (cst.ListComp, cst.GeneratorExp)):
                values.append(node.value.elt)
            else:
                return []
    return values


def _is_teardown(item: cst.BaseExpression) -> bool:
    """``x.close()`` / ``x.stop()`` (or the bound method itself, for a helper that calls it)."""
    target = item.func if isinstance(item, cst.Call) else item
    return isinstance(target, cst.Attribute) and target.attr.value in TEARDOWN_METHODS


def _self_guarding(ctx: Context, item: cst.BaseExpression) -> bool:
    if not isinstance(item, cst.Call):
        return False
    definition = ctx.is_local_function(item.func)
    return definition is not None and guards_own_errors(ctx, definition)


def _container_key(text: str) -> str:
    """``self._tasks`` and ``cls._tasks`` -> ``._tasks`` (one container across the methods)."""
    head, dot, rest = text.partition(".")
    return f".{rest}" if dot and head.isidentifier() else text


def _container_facts(ctx: Context) -> Tuple[Set[str], Set[str]]:
    """Per file: containers whose tasks get a done-callback where they are stored
    (``tasks.add(t); t.add_done_callback(...)``), and containers whose items the code
    cancels (``self.c[k].cancel()``, ``t = self.c.get(k); t.cancel()``)."""
    found = ctx.memo.get("exceptions.container_facts")
    if found is not None:
        return found
    callbacked: Set[str] = set()
    cancelled: Set[str] = set()
    for function in _walk_scopes(ctx.module, into_scopes=True):
        if not isinstance(function, cst.FunctionDef):
            continue
        stored: List[Tuple[str, str]] = []
        values: Dict[str, cst.BaseExpression] = {}
        callbacks: Set[str] = set()
        cancels: List[cst.BaseExpression] = []
        for node in walk_body(function.body):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                method = node.func.attr.value
                if method in ("add", "append") and len(node.args) == 1:
                    stored.append((_container_key(_text(node.func.value)), _text(node.args[0].value)))
                elif method == "add_done_callback":
                    callbacks.add(_text(node.func.value))
                elif method == "cancel":
                    cancels.append(node.func.value)
            elif isinstance(node, cst.Assign) and len(node.targets) == 1:
                target = node.targets[0].target
                if isinstance(target, cst.Subscript):
                    stored.append((_container_key(_text(target.value)), _text(node.value)))
                elif isinstance(target, cst.Name):
                    values[target.value] = node.value
        callbacked.update(container for container, value in stored if value in callbacks)
        for receiver in cancels:
            if isinstance(receiver, cst.Name) and receiver.value in values:
                receiver = values[receiver.value]
            if isinstance(receiver, cst.Subscript):
                cancelled.add(_container_key(_text(receiver.value)))
            elif (isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute)
                  and receiver.func.attr.value in ("get", "pop")):
                cancelled.add(_container_key(_text(receiver.func.value)))
    found = (callbacked, cancelled)
    ctx.memo["exceptions.container_facts"] = found
    return found


def _source_container(ctx: Context, text: str) -> str:
    """``tasks`` bound to ``list(self.c.values())`` / ``self.c.values()`` -> ``.c``."""
    function = _function_node(ctx)
    if function is not None and text.isidentifier():
        for node in walk_body(getattr(function, "body", function)):
            if (isinstance(node, cst.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == text):
                value = node.value
                if isinstance(value, cst.Call) and _last(value.func) in ("list", "tuple", "set") and value.args:
                    value = value.args[0].value
                if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                        and value.func.attr.value == "values"):
                    return _container_key(_text(value.func.value))
                return _container_key(text)
    if text.endswith(".values()"):
        return _container_key(text[: -len(".values()")])
    return _container_key(text)


def _callbacked_container(ctx: Context, text: str) -> bool:
    return _source_container(ctx, text) in _container_facts(ctx)[0]


def _cancelled_container(ctx: Context, text: str) -> bool:
    """The gathered tasks come from a container whose items the module cancels, and this
    function tears their owners down (``c.close()``) before gathering."""
    if _source_container(ctx, text) not in _container_facts(ctx)[1]:
        return False
    function = _function_node(ctx)
    return function is not None and any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in TEARDOWN_METHODS
        for n in walk_body(getattr(function, "body", function)))


# --------------------------------------------------------------------------- CCY602
class _Caught:
    """What an ``except`` clause catches of a task's cancellation."""

    def __init__(self, label: str, catch_all: bool, names_exit: bool):
        self.label = label
        self.catch_all = catch_all  # bare `except:` / BaseException, alone or in a tuple
        self.names_exit = names_exit  # SystemExit/KeyboardInterrupt listed beside the cancellation
        # what a catch-all hides besides the cancellation: the process exits an earlier
        # clause of the same try does not already take
        self.hides: Tuple[str, ...] = _EXITS if catch_all else ()

    @property
    def label_zh(self) -> str:
        return "裸 'except:'" if self.label == "bare 'except:'" else self.label


_EXITS = ("KeyboardInterrupt", "SystemExit")


def _named(ctx: Context, handler: cst.ExceptHandler) -> Set[str]:
    """Qualified names of the exceptions an ``except`` clause lists."""
    if handler.type is None:
        return set()
    elements = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
    exprs = [e.value for e in elements] if elements is not None else [handler.type]
    names = set()
    for expr in exprs:
        target = expr.func if isinstance(expr, cst.Call) else expr  # anyio: get_cancelled_exc_class()
        qualname = ctx.resolve(target)
        if qualname is not None:
            names.add(qualname)
    return names


def _caught(ctx: Context, handler: cst.ExceptHandler) -> Optional[_Caught]:
    if handler.type is None:
        return _Caught("bare 'except:'", True, False)
    names = _named(ctx, handler)
    catch_all = bool(names & CATCH_ALL_EXCEPTIONS)
    if not catch_all and not names & CANCELLATION_EXCEPTIONS:
        return None
    text = " ".join(_text(handler.type).split())
    if len(text) > 60:
        text = text[:57] + "..."
    return _Caught(f"'except {text}'", catch_all, bool(names & PROCESS_EXIT_EXCEPTIONS))


def _reraises(ctx: Context, handler: cst.ExceptHandler) -> bool:
    """The handler raises, calls something that never returns, or hands the caught
    exception on (stores it, returns it, passes it to a call that is not just logging),
    whether bound by ``as e`` or read from ``sys.exc_info()``/``sys.exception()``."""
    bound = _exception_names(ctx, handler)
    for node in walk_body(handler.body):
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call):
            if ctx.resolve(node.func) in NORETURN_CALLS:
                return True
            if _cancels_parameter(ctx, node):
                return True  # the cancellation is forwarded to the future the caller waits on
            if _last(node.func) not in _REPORTING and any(
                    _mentions(ctx, arg.value, bound) for arg in node.args):
                return True  # `state.set_exception(sys.exc_info())`: the owner re-raises it later
        elif isinstance(node, cst.Return) and node.value is not None and _mentions(ctx, node.value, bound):
            return True
        elif (isinstance(node, cst.Assign) and not _binds_exc_info(ctx, node)
              and _mentions(ctx, node.value, bound)):
            return True  # `result.error = sys.exc_info()[1]`: stored for the caller
    return _deferred_reraise(ctx, handler)


# Calls that only show the exception (beside the logging methods of REPORTING_METHODS):
# `traceback.print_exception(*sys.exc_info())` does not hand it on.
_REPORTING = REPORTING_METHODS | frozenset({
    "print_exception", "format_exception", "format_exception_only", "print_tb", "format_tb",
})


def _cancels_parameter(ctx: Context, call: cst.Call) -> bool:
    """``future.cancel()`` on a parameter: a function that reports its outcome into a
    future it was given passes the cancellation on, as ``future.set_exception(e)`` would."""
    func = call.func
    return (isinstance(func, cst.Attribute) and func.attr.value == "cancel"
            and isinstance(func.value, cst.Name) and ctx.is_parameter(func.value.value))


def _exception_names(ctx: Context, handler: cst.ExceptHandler) -> Set[str]:
    """The names the caught exception is bound to: ``except ... as e``, and names taken
    from ``sys.exc_info()`` / ``sys.exception()`` in the handler (``exc, tb = sys.exc_info()[1:]``)."""
    names: Set[str] = set()
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        names.add(handler.name.name.value)
    for node in walk_body(handler.body):
        if not isinstance(node, cst.Assign) or len(node.targets) != 1 or not _exc_info(ctx, node.value):
            continue
        target = node.targets[0].target
        for element in (target.elements if isinstance(target, (cst.Tuple, cst.List)) else ()):
            if isinstance(element.value, cst.Name):
                names.add(element.value.value)
        if isinstance(target, cst.Name):
            names.add(target.value)
    return names


def _exc_info(ctx: Context, expr: cst.BaseExpression) -> bool:
    """``sys.exc_info()``, ``sys.exception()``, or an item or slice of it."""
    value = expr.value if isinstance(expr, cst.Subscript) else expr
    return isinstance(value, cst.Call) and ctx.resolve(value.func) in ("sys.exc_info", "sys.exception")


def _binds_exc_info(ctx: Context, node: cst.Assign) -> bool:
    """``exc = sys.exc_info()[1]``, ``typ, exc, tb = sys.exc_info()``: only names the
    exception locally (what happens to those names decides), does not store it."""
    if not _exc_info(ctx, node.value):
        return False
    for target in node.targets:
        inner = target.target
        elements = [e.value for e in inner.elements] if isinstance(inner, (cst.Tuple, cst.List)) else [inner]
        if not all(isinstance(e, cst.Name) for e in elements):
            return False
    return True


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


def _mentions(ctx: Context, expr: cst.BaseExpression, names: Set[str]) -> bool:
    """``expr`` is the caught exception -- one of ``names``, ``sys.exc_info()`` or an item
    of either -- or a call/container built directly around it (``Error(exc)``, ``[exc]``)."""
    if isinstance(expr, cst.Name):
        return expr.value in names
    if _exc_info(ctx, expr):
        return True
    if isinstance(expr, cst.Subscript):
        return _mentions(ctx, expr.value, names)  # `exc_info[1]`
    if isinstance(expr, cst.Call):
        return any(_mentions(ctx, arg.value, names) for arg in expr.args)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return any(_mentions(ctx, e.value, names) for e in expr.elements)
    return False


def _awaits(ctx: Context, body: cst.BaseSuite) -> List[cst.CSTNode]:
    """The points in ``body`` where a cancellation can be delivered: awaits, ``async for``
    and ``async with``, except inside a shielded trio/anyio cancel scope (outer
    cancellation cannot get in, and the scope absorbs its own)."""
    found: List[cst.CSTNode] = []
    stack = list(iter_children(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Await):
            found.append(node)
        elif isinstance(node, (cst.For, cst.With, cst.CompFor)) and node.asynchronous is not None:
            found.append(node)
        if isinstance(node, cst.With) and any(_shields(ctx, item.item) for item in node.items):
            stack.extend(item.item for item in node.items)
            continue
        stack.extend(iter_children(node))
    return found


def _shields(ctx: Context, expr: cst.BaseExpression) -> bool:
    if not isinstance(expr, cst.Call) or _last(expr.func) not in SHIELDING_SCOPES:
        return False
    return any(arg.keyword is not None and arg.keyword.value == "shield"
               and isinstance(arg.value, cst.Name) and arg.value.value == "True" for arg in expr.args)


def _awaited_targets(awaits: List[cst.CSTNode]) -> List[Tuple[str, str]]:
    """What the awaits wait on: ``(text, "")`` for an existing task/future (``await t``,
    ``await gather(*ts)``), ``(receiver, method)`` for an awaited method call."""
    found: List[Tuple[str, str]] = []
    for node in awaits:
        if not isinstance(node, cst.Await):
            continue  # `async with`/`async for` around the awaits (a timeout, a stream)
        expr = node.expression
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
            found.append((_text(expr), ""))
        elif isinstance(expr, cst.Call) and dotted_text(expr.func).rsplit(".", 1)[-1] in _WRAPPER_NAMES:
            for arg in expr.args:
                found.append((_text(arg.value), ""))
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            found.append((_text(expr.func.value), expr.func.attr.value))
        else:
            found.append(("", "?"))
    return found


_WRAPPER_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in AWAIT_WRAPPERS)


def _receivers(ctx: Context, root: cst.CSTNode, method: str) -> Set[str]:
    """Texts of ``x`` wherever ``x.<method>`` appears under ``root`` (called or handed on
    as a callback), nested scopes included; memoised per root."""
    key = ("exceptions.receivers", id(root), method)
    found = ctx.memo.get(key)
    if found is None:
        found = set()
        for node in _walk_scopes(root, into_scopes=True):
            if isinstance(node, cst.Attribute) and node.attr.value == method:
                found.add(_text(node.value))
        ctx.memo[key] = found
    return found


def _owner_stops(ctx: Context, text: str, method: str) -> bool:
    """``text.<method>`` is called in this function, or -- for ``self.x`` -- anywhere in
    the class, or -- for a module-level name -- anywhere in the module: the code owns the
    child it awaits and stops it itself."""
    function = ctx.function
    if function is None:
        return False
    if text in _receivers(ctx, function.node, method):
        return True
    head, dot, rest = text.partition(".")
    cls = function.enclosing_class
    if dot and cls is not None and head == function.first_param:
        return any(r.partition(".")[2] == rest for r in _receivers(ctx, cls.node, method)
                   if r.partition(".")[0] in ("self", "cls", head))
    if not dot and head.isidentifier():
        _, owner = ctx.lookup(head)
        if owner is ctx.module_scope:
            return text in _receivers(ctx, ctx.module, method)
    return False


def _owned_child(ctx: Context, awaits: List[cst.CSTNode]) -> bool:
    """Every await of the ``try`` waits on something this code stops itself: a task it
    cancels (``t.cancel(); await t``, ``self._t`` that the class cancels elsewhere, the
    pending set of an ``asyncio.wait`` it cancels) or a server it closes (``serve_forever()``)."""
    targets = _awaited_targets(awaits)
    function = _function_node(ctx)
    if not targets or function is None:
        return False
    cancelled = _cancelled_in(ctx, function)
    for text, method in targets:
        if method == "":
            if text in cancelled or _owner_stops(ctx, text, "cancel"):
                continue
            return False
        stop = SELF_STOPPED_WAITS.get(method)
        if stop is None or not _owner_stops(ctx, text, stop):
            return False
    return True


def _only_closing(awaits: List[cst.CSTNode]) -> bool:
    """The ``try`` only waits for a close it requested (``w.close(); await w.wait_closed()``)."""
    targets = _awaited_targets(awaits)
    return len(targets) == len(awaits) and all(method in CLOSE_WAITS for _, method in targets)


def _inside_reraising_handler(ctx: Context, any_exception: bool = False) -> bool:
    """The node sits in a handler (of the cancellation, unless ``any_exception``) that
    re-raises unconditionally (a top-level ``raise`` in its body): a swallow inside it does
    not end the cancellation, and errors dropped there are secondary to the one re-raised."""
    for node in reversed(ctx.ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return False
        if isinstance(node, cst.ExceptHandler) and (any_exception or _caught(ctx, node) is not None):
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            for stmt in body:
                if isinstance(stmt, cst.SimpleStatementLine) and any(
                        isinstance(small, cst.Raise) for small in stmt.body):
                    return True
    return False


def _ends_function(handler: cst.ExceptHandler, try_node: cst.Try, ancestors: Sequence[cst.CSTNode]) -> bool:
    """After the handler the coroutine ends: it returns, or control reaches the end of the
    function without looping again (``break`` out of the loop around it; no ``while``
    after it -- the cleanup that follows may still await)."""
    last = _last_statement(handler.body)
    if isinstance(last, (cst.Return, cst.Raise)):
        return True
    if isinstance(last, cst.Continue):
        return False
    broke = isinstance(last, cst.Break)
    child: cst.CSTNode = try_node
    for node in reversed(ancestors):
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return True
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)) and not broke:
            body = list(node.body)  # what runs after the handler (a pending break skips it)
            index = next((i for i, stmt in enumerate(body) if stmt is child), len(body))
            after = body[index + 1:]
            if any(isinstance(n, cst.While) for stmt in after for n in (stmt, *walk_body(stmt))):
                return False
        elif isinstance(node, (cst.For, cst.While)) and child is node.body:
            if not broke:
                return False  # falls through into the next iteration
            broke = False
        child = node
    return False


def _last_statement(body: cst.BaseSuite) -> Optional[cst.CSTNode]:
    statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    if not statements:
        return None
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return last.body[-1]
    return last


def _task_boundary(ctx: Context) -> bool:
    """The coroutine is the body of a task: the code we can see only ever starts it as
    one (``create_task(f())``, ``ensure_future``, a ``*_create_task`` helper,
    ``nursery.start_soon(f)``, ``asyncio.run(f())``...), it handles one request of a
    web server (a ``request`` parameter: the server runs each request as a task and
    cancels it when the client goes away), or it is a wrapper its enclosing function
    returns (a decorator's ``wrapped``: whoever starts it is out of sight)."""
    function = ctx.function
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return False
    node = function.node
    key = ("exceptions.task_boundary", id(node))
    found = ctx.memo.get(key)
    if found is not None:
        return found
    params = node.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    parent = function.parent
    name = node.name.value
    if "request" in names:
        found = True
    elif parent is not None and parent.kind == "function" and any(
            isinstance(n, cst.Return) and isinstance(n.value, cst.Name) and n.value.value == name
            for n in walk_body(parent.node)):
        found = True
    elif parent is not None:
        method = parent.kind == "class"
        root = parent.node if parent.kind == "function" else ctx.module
        references = 0
        found = True
        for ref, path in _references(root, name, method):
            if method and _through_import(ctx, ref):
                continue  # `other_module.name`: a function of another module, not this method
            references += 1
            if not _starts_task(ctx, ref, path):
                found = False
                break
        found = found and references > 0
    else:
        found = False
    ctx.memo[key] = found
    return found


def _through_import(ctx: Context, ref: cst.CSTNode) -> bool:
    receiver = ref.value if isinstance(ref, cst.Attribute) else None
    if not isinstance(receiver, cst.Name):
        return False
    bindings = ctx.module_scope.bindings.get(receiver.value)
    return bool(bindings) and all(b.kind == IMPORT for b in bindings)


_STARTING_VERB = re.compile(r"(^|_)(create|spawn|start|schedule)(_|$)")


def _is_starter(call: cst.Call, arg: cst.Arg, function_passed: bool) -> bool:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    first = arg is positional[0] if positional else False
    if not first and not (arg.keyword is not None and arg.keyword.value == "coro"):
        return False
    last = _last(call.func)
    if function_passed:
        return last in FUNCTION_TASK_STARTERS
    if last in CORO_TASK_STARTERS:
        return True
    return "task" in dotted_text(call.func).lower() and bool(_STARTING_VERB.search(last))


def _starts_task(ctx: Context, ref: cst.CSTNode, path: List[cst.CSTNode], alias: bool = False) -> bool:
    if len(path) < 2:
        return False
    parent, grand = path[-1], path[-2]
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
        return _is_starter(grand, parent, function_passed=True)
    if not (isinstance(parent, cst.Call) and parent.func is ref) or len(path) < 3:
        return not alias and _started_through_alias(ctx, ref, path)
    outer = path[-3]
    if isinstance(grand, cst.Arg) and isinstance(outer, cst.Call):
        return _is_starter(outer, grand, function_passed=False)
    if (isinstance(grand, cst.Assign) and len(grand.targets) == 1
            and isinstance(grand.targets[0].target, cst.Name)):
        # `coro = self._run(...)` then `loop.create_task(coro)`: follow the name
        owner = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
        if owner is None:
            return False
        usage = function_usage(ctx, owner).get(grand.targets[0].target.value)
        if usage is None or not usage.passed_to or len(usage.loads) != len(usage.passed_to):
            return False
        for _, call in usage.passed_to:
            arg = next((a for a in call.args if _holds(a, usage.name)), None)
            if arg is None or not _is_starter(call, arg, function_passed=False):
                return False
        return True
    return False


def _started_through_alias(ctx: Context, ref: cst.CSTNode, path: List[cst.CSTNode]) -> bool:
    """``run = self._loop if forever else self._once`` (the function itself bound to a
    local name), then every use of that name starts a task."""
    index = len(path) - 1
    current: cst.CSTNode = ref
    while index >= 0 and isinstance(path[index], cst.IfExp) and current is not path[index].test:
        current = path[index]
        index -= 1
    assign = path[index] if index >= 0 else None
    if not (isinstance(assign, cst.Assign) and assign.value is current and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)):
        return False
    owner = next((n for n in reversed(path) if isinstance(n, cst.FunctionDef)), None)
    if owner is None:
        return False
    uses = 0
    for use, use_path in _references(owner.body, assign.targets[0].target.value, method=False):
        if any(n is assign for n in use_path):
            continue
        uses += 1
        if not _starts_task(ctx, use, [owner, *use_path], alias=True):
            return False
    return uses > 0


def _holds(arg: cst.Arg, name: str) -> bool:
    return isinstance(arg.value, cst.Name) and arg.value.value == name


def _references(root: cst.CSTNode, name: str, method: bool) -> Iterator[Tuple[cst.CSTNode, List[cst.CSTNode]]]:
    """Every read of ``name`` under ``root`` (``obj.name`` for a method), with its ancestors."""
    path: List[cst.CSTNode] = []
    stack: List[Tuple[Optional[cst.CSTNode], bool]] = [(root, False)]
    while stack:
        node, leave = stack.pop()
        if leave:
            path.pop()
            continue
        assert node is not None
        if method and isinstance(node, cst.Attribute) and node.attr.value == name:
            yield node, path
        elif not method and isinstance(node, cst.Name) and node.value == name:
            yield node, path
            continue
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        path.append(node)
        stack.append((None, True))
        if isinstance(node, cst.Attribute):
            children: Sequence[cst.CSTNode] = (node.value,)
        elif isinstance(node, cst.Arg):
            children = (node.value,)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            children = [c for c in iter_children(node) if c is not node.name]
        elif isinstance(node, cst.Param):
            children = [c for c in (node.default, node.annotation) if c is not None]
        else:
            children = iter_children(node)
        for child in reversed(list(children)):
            stack.append((child, False))


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


RULES = [GatherExceptionsSwallowed, CancellationSwallowed, TaskExceptionNeverRetrieved, ExecutorFutureDiscarded]
