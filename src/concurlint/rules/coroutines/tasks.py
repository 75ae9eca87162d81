"""CCY103 (dangling task): a task started and never kept, awaited or otherwise owned; owns
what makes a task's work its own coroutine, the teardown calls that may run in the
background, and whether a coroutine guards its own errors (also asked by the CCY5 rules).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ...apis.coroutines import (
    COROUTINE_FUNCTIONS, FUTURE_FACTORIES, FUTURE_FACTORY_METHODS, OWNED_TASK_FACTORIES, TASK_FACTORIES,
)
from ...findings import Text
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text, value_fate
from ...semantics.scopes import ASSIGN
from ..base import Rule
from .common import (
    _TASK_LAST_NAMES, _first_positional, _last_name, _same_module_coroutine, callee_name,
    coroutine_function, walk_body,
)


class DanglingTask(Rule):
    code = "CCY103"

    group = "suspicious"
    quiet_in_tests = True
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 20 findings, 7 real and 13 "
        "intended, every intended one a task running the project's own coroutine (delayed "
        "deletes, hooks, shutdown work). The default form reports tasks running code the "
        "module does not own (callbacks, library coroutines) and thrown-away gathers: 8 "
        "findings, 7 real, 1 intended, none wrong; test code is left out. `strict` and "
        "`learn` report every thrown-away task.")
    name = "dangling-task"
    summary = Text("Task created and thrown away")
    what = Text(
        "Finds `asyncio.create_task(...)`, `asyncio.ensure_future(...)`, `loop.create_task(...)` "
        "and un-awaited `asyncio.gather(...)` whose Task/Future is not kept anywhere.\n\n"
        "A thrown-away `gather(...)` inside an async function is reported as what it is, a missing "
        "`await` (a thrown-away `asyncio.wait(...)` is an unawaited coroutine, CCY101). When the "
        "started coroutine is a function of this module whose whole body handles its own errors "
        "(`try: ... except Exception: log...`), the message keeps only the garbage-collection point. "
        "Tasks started in `__del__` are not reported: nothing can own a task started by a finalizer. "
        "`ensure_future(x)` of a future or task (a name not bound to a coroutine call, "
        "`run_in_executor(...)`, `gather(...)`) returns it and starts nothing: not reported.\n\n"
        "Default form: the default preset reports tasks that run code the module does not own "
        "(a callback taken from a collection, a library coroutine such as "
        "`self._client.listen()`) and thrown-away `gather(...)`, and leaves out tasks running the "
        "project's own coroutines (functions and methods of this module or of another checked "
        "module, nested coroutines) and background teardown (`x.close()`). On 28 released "
        "projects every such own-code task was a deliberate fire-and-forget (delayed deletes, "
        "hooks, shutdown work) while the real pitfalls were user callbacks and library listeners "
        "started without a reference. `--preset strict`, `--preset learn` or selecting CCY103 by "
        "code report every thrown-away task.")
    why = Text(
        "The event loop keeps only a weak reference to running tasks: a task nobody references can be "
        "garbage-collected before it finishes, and if it fails its exception is never seen.")
    example = "import asyncio\n\nasync def start(job):\n    asyncio.create_task(job.run())\n"
    use_instead = (
        "import asyncio\n\n"
        "background_tasks = set()\n\n"
        "async def start(job):\n    task = asyncio.create_task(job.run())\n"
        "    background_tasks.add(task)\n    task.add_done_callback(background_tasks.discard)\n"
    )
    valid = (
        "import asyncio\nasync def f(coro):\n    t = asyncio.create_task(coro)\n    await t\n",
        "import asyncio\nasync def f(coro):\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(coro)\n",
        "import asyncio\ntasks = set()\nasync def f(coro):\n    tasks.add(asyncio.create_task(coro))\n",
    )
    invalid = (
        "import asyncio\nasync def f(coro):\n    asyncio.create_task(coro)\n",
        "import asyncio\nasync def f(coro):\n    asyncio.get_running_loop().create_task(coro)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        parent = self.ctx.parent
        if not isinstance(parent, (cst.Expr, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return
        if _last_name(node.func) not in _TASK_LAST_NAMES and not isinstance(node.func, cst.Name):
            return
        if not isinstance(parent, cst.Expr) and value_fate(self.ctx, node, through_comprehension=True).kind != "discarded":
            return
        qualname = callee_name(self.ctx, node.func)
        if qualname not in TASK_FACTORIES or qualname in OWNED_TASK_FACTORIES:
            return
        if qualname == "asyncio.gather":
            self._missing_await(node)
            return
        first = _first_positional(node)
        if first is not None and coroutine_function(self.ctx, first):
            return  # CCY102: the function is passed, not a coroutine (one root cause, one finding)
        if _last_name(node.func) == "ensure_future" and not makes_coroutine(self.ctx, first):
            return  # ensure_future of an existing future/task returns it: no new task
        function = self.ctx.function
        if function is not None and function.name == "__del__":
            return  # a finalizer: nothing can own or await a task started there
        if self.ctx.settings.default_form(self.code) and runs_own_coroutine(self.ctx, first):
            return  # the project's own fire-and-forget work: a deliberate design, as reviewed
        what = _describe_work(first)
        short = qualname.rsplit(".", 1)[-1]
        if self._guards_own_errors(first):
            self.report(node, Text(
                "the task from {short}() running {what} is thrown away: it can be garbage-collected "
                "mid-flight (its errors are handled inside it); keep a reference (e.g. a set with "
                "add_done_callback(tasks.discard))").format(
                    short=short,
                    what=what))
            return
        self.report(node, Text(
            "the task from {short}() running {what} is thrown away: it can be garbage-collected "
            "mid-flight and its exception is lost; keep a reference (e.g. a set with "
            "add_done_callback(tasks.discard)) or await it").format(
                short=short,
                what=what))

    def _missing_await(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            self.report(node, Text(
                "asyncio.gather(...) is never awaited: a missing 'await' -- nothing waits for the "
                "gathered work and its exceptions are lost; add 'await'"))
            return
        self.report(node, Text(
            "asyncio.gather(...) is thrown away: nothing waits for the gathered work and its exceptions "
            "are lost; await it from async code, or keep the future and check its result"))

    def _guards_own_errors(self, work: Optional[cst.BaseExpression]) -> bool:
        if not isinstance(work, cst.Call):
            return False
        definition = self.ctx.is_local_function(work.func)
        return definition is not None and guards_own_errors(self.ctx, definition)


# Teardown started in the background: nothing waits for a close to finish.
_TEARDOWN_NAMES = frozenset({"close", "aclose", "stop", "shutdown", "disconnect", "wait_closed",
                             "cancel", "terminate"})


def runs_own_coroutine(ctx: Context, work: Optional[cst.BaseExpression]) -> bool:
    """Whether a started task runs the project's own code: a coroutine function of this
    module (nested ones and methods of the class included) or of another checked module,
    or a teardown call (``x.close()``). A name bound once to such a call counts too.
    Callbacks from a collection and library coroutines are not the project's own."""
    if isinstance(work, cst.Name):
        binding = ctx.binding_of(work.value)
        work = binding.node if binding is not None and binding.kind == ASSIGN else None
    if not isinstance(work, cst.Call):
        return False
    if _last_name(work.func) in _TEARDOWN_NAMES:
        return True
    local = ctx.is_local_function(work.func)
    if local is not None:
        return local.asynchronous is not None
    qualname = ctx.resolve(work.func)
    if qualname is None or qualname in COROUTINE_FUNCTIONS:
        return False
    if _same_module_coroutine(ctx, qualname):
        return True
    return bool(ctx.project is not None and ctx.project.is_known_coroutine(qualname))


def makes_coroutine(ctx: Context, expr: Optional[cst.BaseExpression]) -> bool:
    """``expr`` (what ``ensure_future`` receives) is a new coroutine: a call that is not
    one of the APIs returning a future, or a local name bound once to such a call. Given a
    future or a task, ``ensure_future`` returns it: no new task."""
    if isinstance(expr, cst.Name):
        binding = ctx.binding_of(expr.value)
        expr = binding.node if binding is not None and binding.kind == ASSIGN else None
    if not isinstance(expr, cst.Call):
        return False
    callee = callee_name(ctx, expr.func) or ""
    return callee not in FUTURE_FACTORIES and _last_name(expr.func) not in FUTURE_FACTORY_METHODS


def guards_own_errors(ctx: Context, func: cst.FunctionDef) -> bool:
    """The whole body of ``func`` (after a docstring) is one ``try`` -- or one loop around
    one ``try`` -- with an ``except Exception``/``BaseException``/bare handler that does not
    re-raise: whatever fails inside is handled there (logged, reported), never lost."""
    statements = list(func.body.body) if isinstance(func.body, cst.IndentedBlock) else []
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    if len(statements) != 1:
        return False
    only = statements[0]
    if isinstance(only, (cst.While, cst.For)) and isinstance(only.body, cst.IndentedBlock) \
            and len(only.body.body) == 1:
        only = only.body.body[0]
    if not isinstance(only, cst.Try):
        return False
    for handler in only.handlers:
        if handler.type is not None and ctx.resolve(handler.type) not in _BROAD_EXCEPTIONS:
            continue
        if not any(isinstance(n, cst.Raise) for n in walk_body(handler.body)):
            return True
    return False


_BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _describe_work(expr: Optional[cst.BaseExpression]) -> str:
    if isinstance(expr, cst.Call):
        text = dotted_text(expr.func)
        if text:
            return f"'{text}()'"
    elif isinstance(expr, (cst.Name, cst.Attribute)) and dotted_text(expr):
        return f"'{dotted_text(expr)}'"
    return "its coroutine"
