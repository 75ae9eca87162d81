"""CCY105 (nested event loop), CCY107 (``get_event_loop`` in a coroutine) and CCY108
(legacy event loop management): code that runs, fetches or creates an event loop by hand;
owns the tracking of a loop made with ``new_event_loop`` through its uses and the shutdown
steps that make code a runner of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional, Set

import libcst as cst

from ...apis.coroutines import GET_EVENT_LOOP, LOOP_FACTORIES, LOOP_RUNNERS, LOOP_RUNNER_METHODS
from ...findings import Fix, Text
from ...semantics.callees import definition_of, walk_body as walk_nodes
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text, usage_of
from ...semantics.scopes import Scope
from ..base import Rule
from .common import _last_name, _names, callee_name, walk_body, walk_names


class NestedEventLoop(Rule):
    code = "CCY105"

    group = "correctness"
    group_reason = Text(
        "Starting an event loop inside a running one raises `RuntimeError`: wrong whenever "
        "it matches. No finding on the 28 projects of the ecosystem check.")
    name = "nested-event-loop"
    summary = Text("Event loop started inside a coroutine")
    what = Text(
        "Finds `asyncio.run(...)`, `loop.run_until_complete(...)` and `loop.run_forever()` called "
        "inside an async function.")
    why = Text(
        "An event loop is already running there: starting another one in the same thread raises "
        "`RuntimeError` ('cannot be called from a running event loop').")
    example = "import asyncio\n\nasync def handler():\n    data = asyncio.run(fetch())\n"
    use_instead = "import asyncio\n\nasync def handler():\n    data = await fetch()\n"
    valid = (
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    return await fetch()\n",
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    def in_thread():\n        return asyncio.run(fetch())\n    return in_thread\n",
    )
    invalid = (
        "import asyncio\nasync def fetch():\n    pass\nasync def handler():\n    return asyncio.run(fetch())\n",
        "import asyncio\nasync def handler(coro):\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(coro)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        last = _last_name(node.func)
        if last not in ("run", "run_until_complete", "run_forever") and not isinstance(node.func, cst.Name):
            return
        qualname = callee_name(self.ctx, node.func)
        if qualname not in LOOP_RUNNERS:
            return
        text = dotted_text(node.func) or last
        self.report(node, Text(
            "'{text}()' inside async function '{function}' starts a nested event loop "
            "(RuntimeError); await the coroutine instead").format(
            text=text, function=self._function()))

    def _function(self) -> str:
        function = self.ctx.function
        return function.name if function is not None else "?"


class GetEventLoopInCoroutine(Rule):
    code = "CCY107"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 22 findings, all intended. "
        "Inside a coroutine `get_event_loop()` already returns the running loop, so this is "
        "a style point, not a behaviour change: `advice`.")
    name = "get-event-loop-in-coroutine"
    fix = "safe/unsafe"
    summary = Text("`asyncio.get_event_loop()` inside a coroutine (style)")
    what = Text(
        "Finds `asyncio.get_event_loop()` called inside an async function.\n\n"
        "Group `advice`: inside a coroutine `get_event_loop()` returns the running loop, exactly "
        "what `get_running_loop()` returns, so the code behaves the same; the finding is a style "
        "point (every reviewed finding on real projects was harmless) and the message says so.")
    why = Text(
        "`asyncio.get_running_loop()` says what the code means -- the loop this coroutine runs on -- "
        "and fails loudly when called without one. `get_event_loop()` is the API whose behaviour "
        "outside a running loop depends on the policy and is deprecated there; using the explicit "
        "form everywhere keeps that question from coming up when code moves.")
    example = "import asyncio\n\nasync def main():\n    loop = asyncio.get_event_loop()\n"
    use_instead = "import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
    fix_safety = Text(
        "Safe in an asyncio module: inside a coroutine run by asyncio both return the running loop. "
        "Unsafe when the module's library is trio, anyio (it may run on trio) or unknown (asyncio "
        "and trio both imported): a coroutine run by trio has no running asyncio loop, so "
        "`get_running_loop()` raises `RuntimeError` where `get_event_loop()` returned a loop.")
    valid = ("import asyncio\nasync def f():\n    loop = asyncio.get_running_loop()\n",
             "import asyncio\ndef f():\n    loop = asyncio.get_event_loop()\n")
    invalid = ("import asyncio\nasync def f():\n    loop = asyncio.get_event_loop()\n",
               "import asyncio as aio\nasync def f():\n    aio.get_event_loop().run_in_executor(None, print)\n")

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        if _last_name(node.func) != "get_event_loop" and not isinstance(node.func, cst.Name):
            return
        if self.ctx.resolve(node.func) != GET_EVENT_LOOP:
            return
        fix = None
        if isinstance(node.func, cst.Attribute):
            # Only asyncio's loop makes the two equal: under trio (an anyio module may run on
            # it, a mixed one bridges to it) get_running_loop() raises where get_event_loop() did not.
            fix = Fix(Text("Use 'asyncio.get_running_loop()'"),
                      self.ctx.async_backend == "asyncio",
                      replacements=((node.func.attr, cst.Name("get_running_loop")),))
        self.report(node, Text(
            "style: inside a coroutine 'asyncio.get_event_loop()' returns the running loop; "
            "'asyncio.get_running_loop()' says so explicitly (same behaviour)"), fix=fix)


# Loop methods that start, stop, inspect or end a loop: a loop used only through them
# can be replaced by asyncio.run(); any other use needs the loop object itself.
_LOOP_LIFECYCLE = frozenset({
    "run_until_complete", "run_forever", "close", "is_closed", "is_running", "stop",
    "set_debug", "get_debug",
})
# The shutdown steps of asyncio.run(): code that calls them is a runner of its own.
_SHUTDOWN_STEPS = frozenset({"shutdown_asyncgens", "shutdown_default_executor"})
_NEW_EVENT_LOOP = "asyncio.new_event_loop"
_SET_EVENT_LOOP = "asyncio.set_event_loop"


def _passes(call: cst.Call, name: str) -> bool:
    """``name`` is an argument of ``call`` (by position or keyword)."""
    return any(isinstance(arg.value, cst.Name) and arg.value.value == name for arg in call.args)


def _called_on(call: cst.Call, name: str) -> bool:
    func = call.func
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name


def _shutdown_step(call: cst.Call) -> bool:
    """``loop.run_until_complete(loop.shutdown_asyncgens())``: a step of a runner's shutdown."""
    return any(isinstance(arg.value, cst.Call) and _last_name(arg.value.func) in _SHUTDOWN_STEPS
               for arg in call.args)


def _does_runner_shutdown(nodes: Iterator[cst.CSTNode], name: Optional[str]) -> bool:
    """The code shuts a loop down as ``asyncio.run()`` does: ``shutdown_asyncgens()`` /
    ``shutdown_default_executor()``, or ``all_tasks(<loop>)`` with a ``cancel()``."""
    lists_tasks = cancels = False
    for node in nodes:
        if not isinstance(node, cst.Call):
            continue
        last = _last_name(node.func)
        if last in _SHUTDOWN_STEPS and (name is None or _called_on(node, name)):
            return True
        if last == "all_tasks" and (name is None or _passes(node, name)):
            lists_tasks = True
        elif last == "cancel":
            cancels = True
    return lists_tasks and cancels


@dataclass
class _LoopFacts:
    factory: str
    runner: bool = False  # the code is a runner of its own (asyncio.run's shutdown steps)
    current: bool = False  # passed to set_event_loop(): the thread's current loop
    any_set: bool = False  # the owner sets some current loop (get_event_loop() then finds it)
    closed: bool = False
    escapes: bool = False  # handed on: nothing can be said about its closing
    needs_object: bool = False  # used as an object beyond running it (loop=, create_future, closures)
    shares_results: bool = False  # one run's result goes into a later run on the same loop


class LegacyEventLoopManagement(Rule):
    code = "CCY108"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 13 reviewed findings of the round-1 "
        "form, 1 real, 6 wrong, 6 intended (hand-written `asyncio.run()` replacements and their "
        "shutdown steps, private loops of library sync facades, one finding per run call). The "
        "narrowed rule keeps 5 (1 real, 0 wrong, 4 intended: test harnesses, a worker-thread loop, "
        "a `__main__` demo): no wrong claim left, but too few real pitfalls for the default set. "
        "`advice`.")
    name = "legacy-event-loop-management"
    summary = Text("Manual event-loop management where `asyncio.run()` would do")
    what = Text(
        "Finds `loop.run_until_complete(...)` / `loop.run_forever()` in sync code on a loop obtained "
        "from `asyncio.get_event_loop()` or `asyncio.new_event_loop()`, once per loop (on its first "
        "run call).\n\n"
        "Not reported, because `asyncio.run()` cannot replace the code:\n"
        "- a runner of its own: the code that owns the loop also does `asyncio.run()`'s shutdown "
        "steps (`loop.shutdown_asyncgens()`, `loop.shutdown_default_executor()`, or "
        "`asyncio.all_tasks(loop)` with `cancel()`, also through a function of the module it hands "
        "the loop to) -- a hand-written `asyncio.run()` that does something differently, such as "
        "a timeout on cancelling leftover tasks; a run call whose argument is such a shutdown step "
        "is never reported;\n"
        "- a private loop that must outlive one call: made by `new_event_loop()`, never made the "
        "thread's current loop, closed by the code, and either used as an object beyond running "
        "it (passed on, `loop=loop`, `loop.create_future()`, `loop.call_soon`, captured by a nested "
        "function) or running calls that share objects (the result of one run goes into a later "
        "one: a connection opened by one call and closed by the next). `asyncio.run()` per call "
        "would tie those objects to a loop that is already closed, and it sets the calling "
        "thread's current loop to `None` when it ends.\n\n"
        "The message says what is concretely at stake: `get_event_loop()` without a current loop "
        "(deprecated, an error from Python 3.14), a loop that is never closed, or else a style "
        "point (a loop made, run once and closed behaves correctly; `asyncio.run()` also cancels "
        "leftover tasks and shuts down async generators and the default executor).\n\n"
        "Group `advice`: in application entry points the advice holds, but library code and "
        "tests make private loops on purpose (a loop per worker thread, a sync facade over async "
        "code), where `asyncio.run()` would change the caller thread's current loop.")
    why = Text(
        "`asyncio.run()` creates the loop, runs the coroutine, cancels leftover tasks, shuts down "
        "async generators and the default executor and closes the loop; hand-written versions usually "
        "miss some of it, and `get_event_loop()` without a current loop is deprecated.")
    example = "import asyncio\n\nloop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n"
    use_instead = "import asyncio\n\nasyncio.run(main())\n"
    valid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n",
        # a runner of its own: asyncio.run's shutdown steps, done differently
        "import asyncio\nasync def main():\n    pass\ndef run():\n    loop = asyncio.new_event_loop()\n"
        "    try:\n        return loop.run_until_complete(main())\n    finally:\n"
        "        loop.run_until_complete(loop.shutdown_asyncgens())\n        loop.close()\n",
        # a private loop the objects it makes are tied to
        "import asyncio\nasync def connect(loop):\n    pass\ndef probe():\n    loop = asyncio.new_event_loop()\n"
        "    try:\n        conn = loop.run_until_complete(connect(loop=loop))\n"
        "        loop.run_until_complete(conn.close())\n    finally:\n        loop.close()\n",
    )
    invalid = (
        "import asyncio\nasync def main():\n    pass\nloop = asyncio.new_event_loop()\nloop.run_until_complete(main())\n",
        "import asyncio\nasync def main():\n    pass\ndef cli():\n    loop = asyncio.get_event_loop()\n"
        "    loop.run_until_complete(main())\n",
    )

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self._seen: Set[int] = set()  # loops already reported: one finding per loop

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (self.ctx.in_async_function or not isinstance(func, cst.Attribute)
                or func.attr.value not in LOOP_RUNNER_METHODS):
            return
        if _shutdown_step(node):
            return
        facts = self._facts(func.value)
        if facts is None or facts.runner:
            return
        if facts.factory == _NEW_EVENT_LOOP and not facts.current and facts.closed and (
                facts.needs_object or facts.shares_results):
            return
        self.report(node, self._message(func.attr.value, facts))

    def _message(self, method: str, facts: _LoopFacts) -> Text:
        if facts.factory == GET_EVENT_LOOP and not facts.any_set:
            return Text(
                "manual event-loop management ('{method}()'): 'asyncio.get_event_loop()' outside a "
                "running loop is deprecated when no current loop is set (a RuntimeError from Python "
                "3.14); in an application entry point use 'asyncio.run(main())', which creates, runs "
                "and closes the loop").format(
                    method=method)
        if facts.factory == _NEW_EVENT_LOOP and not facts.closed and not facts.escapes:
            return Text(
                "hand-run event loop ('{method}()') is never closed; in an application entry point "
                "use 'asyncio.run(main())', which also closes it, cancels leftover tasks and shuts "
                "down async generators").format(
                    method=method)
        return Text(
            "style: hand-run event loop ('{method}()'); in an application entry point "
            "'asyncio.run(main())' can replace it and also cancels leftover tasks and shuts down "
            "async generators and the default executor").format(
                method=method)

    def _facts(self, expr: cst.BaseExpression) -> Optional[_LoopFacts]:
        """What the code does with the loop ``expr`` names; None when it is not from a factory
        or (a named loop) already reported."""
        if isinstance(expr, cst.Call):  # a temporary: `asyncio.new_event_loop().run_until_complete(...)`
            factory = self.ctx.resolve(expr.func)
            if factory not in LOOP_FACTORIES:
                return None
            owner = self.ctx.function.node if self.ctx.function is not None else self.ctx.module
            facts = _LoopFacts(factory, escapes=False)
            facts.any_set = any(isinstance(n, cst.Call) and self.ctx.resolve(n.func) == _SET_EVENT_LOOP
                                for n in walk_body(owner))
            return facts
        if not isinstance(expr, cst.Name):
            return None
        bindings, scope = self.ctx.lookup(expr.value)
        if not bindings or len(bindings) != 1 or scope is None:
            return None
        value = bindings[0].node
        if not isinstance(value, cst.Call):
            return None
        factory = self.ctx.resolve(value.func)
        if factory not in LOOP_FACTORIES or id(value) in self._seen:
            return None
        self._seen.add(id(value))
        facts = _LoopFacts(factory)
        if scope.kind in ("function", "lambda", "module"):
            self._study(facts, expr.value, scope)
        return facts

    def _study(self, facts: _LoopFacts, name: str, scope: Scope) -> None:
        owner = scope.node
        usage = usage_of(self.ctx, name, scope)
        nodes = list(walk_nodes(owner, into_scopes=True))
        facts.runner = _does_runner_shutdown(iter(nodes), name)
        results: Set[str] = set()
        for node in nodes:
            if isinstance(node, cst.Call) and self.ctx.resolve(node.func) == _SET_EVENT_LOOP:
                facts.any_set = True
                facts.current = facts.current or _passes(node, name)
            elif (isinstance(node, cst.Call) and _passes(node, name) and not facts.runner
                  and self._runner_helper(node)):
                facts.runner = True
            elif (isinstance(node, cst.Assign) and isinstance(node.value, cst.Call)
                  and _runs_on(node.value, name)):
                for target in node.targets:
                    results.update(n.value for n in _names(target.target))
        if usage is None:
            return
        facts.closed = "close" in usage.methods
        facts.escapes = usage.escapes
        facts.needs_object = (usage.escapes or usage.other or usage.subscripted or bool(usage.attributes)
                              or any(m not in _LOOP_LIFECYCLE for m in usage.methods))
        facts.shares_results = bool(results) and any(
            n.value in results for call in usage.methods.get("run_until_complete", ())
            for n in walk_names(call))

    def _runner_helper(self, call: cst.Call) -> bool:
        """``_cancel_all_tasks(loop)``: a function of this module that does a runner's shutdown."""
        if not isinstance(call.func, cst.Name):
            return False
        definition = definition_of(self.ctx, call.func, self.ctx.module_scope)
        return definition is not None and _does_runner_shutdown(walk_nodes(definition[0].body), None)


def _runs_on(call: cst.Call, name: str) -> bool:
    return _last_name(call.func) == "run_until_complete" and _called_on(call, name)
