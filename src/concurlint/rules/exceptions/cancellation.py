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
        "narrowed rule keeps 10, 8 real and 2 intended (real: 80 %, wrong: 0). Catch-alls "
        "are left to the full form: of those 8 real findings only 1 is a catch-all, and an "
        "out-of-sample review of the standard library and installed site-packages found 5 "
        "default findings, all catch-alls, 0 real (2 wrong, 3 intended: a REPL cell runner, a "
        "per-session task that logs and closes, a retry library that stores the exception). "
        "The default form, which also leaves test code out, keeps 8 on the 28 projects: 7 real, "
        "1 intended (real: 88 %, wrong: 0).")
    name = "cancellation-swallowed"
    summary = Text("Cancellation caught and not re-raised")
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
        "default form keeps the clauses naming the cancellation, where the real findings are.")
    why = Text(
        "Cancellation is delivered as an exception inside the task (`CancelledError` in asyncio, "
        "`trio.Cancelled` in trio). Swallowing it makes the task ignore `task.cancel()`, timeouts "
        "(`asyncio.timeout`, `wait_for`, `fail_after`) and task-group shutdown: the program hangs on "
        "exit, or the caller keeps working after it was told to stop. Clean up, then `raise`. A "
        "catch-all also swallows `KeyboardInterrupt` and `SystemExit`: catch `Exception` instead.")
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
        "`--preset strict`, or `extend-select = [\"CCY602\"]`.")
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
            if len(caught.hides) > 1:
                first, second = caught.hides  # at most the two process exits
                also = Text(", {first} and {second}").format(first=first, second=second)
            else:
                also = Text(" and {exit}").format(exit=caught.hides[0])
            self.report(handler, Text(
                "{label} in async function '{function}' also catches the task's cancellation "
                "({cancelled}){also}, and does not re-raise them; catch 'Exception' instead").format(
                label=caught.label, function=function, cancelled=cancelled, also=also))
            return
        if caught.catch_all:  # an earlier clause takes KeyboardInterrupt and SystemExit
            self.report(handler, Text(
                "{label} in async function '{function}' also catches the task's cancellation "
                "({cancelled}) and does not re-raise it; catch 'Exception' instead").format(
                label=caught.label, function=function, cancelled=cancelled))
            return
        self.report(handler, Text(
            "{label} in async function '{function}' swallows the cancellation of its task "
            "({cancelled}); re-raise it ('raise') after cleaning up").format(
                label=caught.label, function=function, cancelled=cancelled))
