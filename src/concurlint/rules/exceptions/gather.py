"""CCY601 (gather-exceptions-swallowed): ``gather(..., return_exceptions=True)`` whose
results are never checked; owns the lookup of what was gathered (tasks, containers filled
with tasks, teardown and self-guarding coroutines) and which containers get callbacks or
are cancelled.
"""
from __future__ import annotations

from typing import Dict, List, Set, Tuple

import libcst as cst

from ...apis.coroutines import CORO_TASK_STARTERS, NOT_INSPECTING_CALLS, TEARDOWN_METHODS
from ...findings import Text
from ...semantics.callees import walk_body as _walk_scopes
from ...semantics.context import Context
from ...semantics.lifetime import NameUsage, follow, value_fate
from ..base import Rule
from ..coroutines.common import callee_name, walk_body
from ..coroutines.tasks import guards_own_errors
from .common import _text, _function_node, _cancelled_in, _last
from .handlers import _inside_reraising_handler


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
        "leaves test code out.")
    name = "gather-exceptions-swallowed"
    summary = Text("`gather(..., return_exceptions=True)` results never checked")
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
        "logs every `Exception` (nothing reaches the result list).")
    why = Text(
        "With `return_exceptions=True` failures come back as ordinary values in the result list. "
        "Nobody looks at them, so errors disappear silently and the program carries on with "
        "exception objects where data was expected.")
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
                self._report(node, Text("its result is thrown away"))
            return
        if fate.kind != "name" or not fate.awaited:
            return
        assert fate.name is not None
        chain = follow(self.ctx, fate.name)
        if not chain or any(_inspected(usage) for usage in chain):
            return
        if not self._handled_elsewhere(node):
            self._report(node, Text("'{name}' is never checked for exceptions").format(name=fate.name))

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
            "asyncio.gather(..., return_exceptions=True): {detail}, so failures are silently lost; "
            "check each result with isinstance(r, Exception)").format(
                detail=detail))


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
