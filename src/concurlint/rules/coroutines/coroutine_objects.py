"""CCY101 (unawaited coroutine), CCY102 (coroutine function not called) and CCY104 (coroutine
in a boolean context): a coroutine object made and then dropped, a coroutine function passed
where its coroutine was meant, and a coroutine tested for truth; owns the reading of what
happens to a coroutine object once it is made and the ``await`` and runner fixes they offer.
"""
from __future__ import annotations

import libcst as cst

from ...apis.backends import advice
from ...apis.coroutines import COROUTINE_CONSUMERS, COROUTINE_ITERABLE_CONSUMERS
from ...findings import Fix, Text
from ...semantics.context import Context
from ...semantics.lifetime import dotted_text, usage_of, value_fate
from ..base import Rule
from .common import (
    _CONSUMER_LAST_NAMES, _add_await, _first_positional, _last_name, _module_run_fix, _run_form,
    callee_name, coroutine_function,
)


class UnawaitedCoroutine(Rule):
    code = "CCY101"

    group = "correctness"
    group_reason = Text(
        "A coroutine that is never awaited never runs: wrong whenever it matches (an `async "
        "def` under a decorator not known to keep it a coroutine function is not judged). No "
        "finding on the 28 projects of the ecosystem check.")
    name = "unawaited-coroutine"
    fix = "safe/unsafe"
    summary = Text("Coroutine called but never awaited")
    what = Text(
        "Finds calls of coroutine functions (an `async def` of this module or of another module "
        "of the project, or a library coroutine such as `asyncio.sleep`) whose coroutine object is "
        "thrown away or bound to a name that is never read.\n\n"
        "Library coroutines are known from tables and from the libraries installed where the code "
        "runs (`python-path`): their stubs and sources are read, never imported, for `async def` "
        "functions and methods (inherited ones included), the classes factories return "
        "(`await asyncpg.connect()`, `redis.asyncio.Redis.from_url()`, `-> Self`) and the types of "
        "annotated parameters and attributes (`session: AsyncSession`). A sync method that only "
        "returns `self.execute_command(...)` is a coroutine function where that method is one "
        "(`redis.asyncio.Redis.set`, not `redis.Redis.set` or a pipeline's).\n\n"
        "A decorated `async def` is a coroutine function only when every decorator is known to keep "
        "it one: `staticmethod`, `classmethod`, `abc.abstractmethod`, `typing.override`/`final`, "
        "`warnings.deprecated`, `functools.wraps(f)`, a `pytest.mark.*` mark, or a decorator (or "
        "decorator factory) of the same module whose every `return` hands back a nested `async def` "
        "(the `functools.wraps` wrapper idiom). Any other decorator may return something else and "
        "the call is not reported: a framework's `@work` or `@gen_test`, `@pytest.fixture`, a "
        "project decorator returning a sync wrapper, and `functools.cache`/`lru_cache` (the call "
        "returns a cached coroutine that can be awaited only once, so which call is meant to run it "
        "cannot be told). Decorators of other modules are not looked into: unknown, not reported; "
        "for an `async def` of another module of the project only the listed decorators count "
        "(that module is scanned as text, not parsed).\n\n"
        "Group `correctness`: a coroutine that is never awaited never runs.")
    why = Text(
        "Calling a coroutine function does not run it: it only creates a coroutine object. If that "
        "object is never awaited or scheduled, the body never executes and Python only prints "
        "'RuntimeWarning: coroutine ... was never awaited' when it is garbage-collected.")
    example = (
        "async def save(user):\n    ...\n\n"
        "async def handler(user):\n    save(user)  # never runs\n"
    )
    use_instead = (
        "async def save(user):\n    ...\n\n"
        "async def handler(user):\n    await save(user)\n"
    )
    fix_safety = Text(
        "Inside an async function adding `await` is safe, except for a coroutine of asyncio (or "
        "trio) in a module whose library is not asyncio (or trio), e.g. `asyncio.sleep(1)` in trio "
        "code: awaited there it raises where it did nothing, so that fix is unsafe. At module level "
        "the fix runs the call "
        "with the module's library, through its own import: `asyncio.run(f(...))`, or "
        "`trio.run(f, ...)` / `anyio.run(f, ...)` (they take the function and its positional "
        "arguments; with keyword arguments there is no fix). Starting an event loop is unsafe: "
        "review it. When the library is unknown (no import, or both asyncio and trio) there is no "
        "fix. Inside a sync function there is never a fix and the message never suggests "
        "`asyncio.run(...)`: that code may itself be called on a running loop, where it raises.")
    options = Text(
        "The library named in messages and fixes is the module's (its imports, its package, or "
        "the `async-backend` setting).")
    valid = (
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "async def g():\n    pass\nasync def f():\n    t = g()\n    await t\n",
        "import asyncio\nasync def g():\n    pass\nasyncio.run(g())\n",
        "async def g():\n    pass\nasync def f():\n    def g():\n        pass\n    g()\n",
        "async def g():\n    pass\nasync def f():\n    return g()\n",
    )
    invalid = (
        "import asyncio\nasync def f():\n    asyncio.sleep(1)\n",
        "async def g():\n    pass\nasync def f():\n    g()\n",
        "class C:\n    async def g(self):\n        pass\n    async def f(self):\n        c = self.g()\n",
        "async def main():\n    pass\nmain()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        parent = self.ctx.parent
        if not isinstance(parent, (cst.Expr, cst.Assign, cst.AnnAssign, cst.ListComp, cst.SetComp,
                                   cst.GeneratorExp)):
            return
        fate = value_fate(self.ctx, node, through_comprehension=True)
        if fate.kind == "other":
            return
        name = coroutine_function(self.ctx, node.func)
        if name is None:
            return
        if fate.kind == "name":
            assert fate.name is not None
            usage = usage_of(self.ctx, fate.name)
            if usage is None or usage.used:
                return
        library = self.ctx.async_backend
        if self.ctx.in_async_function:
            start = advice(library, "start_task")
            self.report(node, Text(
                "coroutine '{name}' is never awaited; add 'await' or start it as a task with {start}").format(name=name, start=start),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope and self.ctx.path.lower().endswith(".ipynb"):
            # A notebook cell runs on the kernel's event loop: top-level 'await' works there,
            # while asyncio.run() raises "cannot be called from a running event loop".
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs; in a notebook cell add "
                "'await' (top-level await works in a cell; asyncio.run() fails on the notebook's "
                "running loop)").format(
                    name=name),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope:
            if library is None:
                runner = (f"your library's runner ({_run_form('asyncio', name, node)}, "
                          f"{_run_form('trio', name, node)})")
            else:
                runner = _run_form(library, name, node)
            fix = _module_run_fix(self.ctx, node) if fate.kind == "discarded" else None
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs; run it with {runner}").format(name=name, runner=runner), fix=fix)
        else:
            # Never 'asyncio.run(...)' here: this code may itself be called on a running loop.
            self.report(node, Text(
                "coroutine '{name}' is never awaited, so it never runs: calling it in sync code only "
                "creates a coroutine object; await it from async code or hand it to something that runs it").format(
                    name=name))


class CoroutineFunctionNotCalled(Rule):
    code = "CCY102"

    group = "correctness"
    group_reason = Text(
        "A coroutine function passed where a coroutine is needed raises or does nothing: "
        "wrong whenever it matches. No finding on the 28 projects of the ecosystem check.")
    name = "coroutine-function-not-called"
    fix = "safe/unsafe"
    summary = Text("Coroutine function passed where a coroutine object is needed")
    what = Text(
        "Finds a coroutine *function* (without `()`) passed to `asyncio.run`, `create_task`, "
        "`ensure_future`, `gather`, `wait_for`, `shield`, `run_coroutine_threadsafe`, "
        "`loop.run_until_complete`, `TaskGroup.create_task`, or awaited directly (`await f`).")
    why = Text(
        "These APIs need the coroutine object that calling the function creates. Given the function "
        "itself they raise `TypeError` (or `ValueError`) at run time, so the work never starts.")
    example = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main)\n"
    use_instead = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main())\n"
    fix_safety = Text(
        "Adding `()` is safe when the function is a `def` of this module (a plain function, or a "
        "method reached through `self`/`cls`) whose every parameter has a default: the call is then "
        "complete. Otherwise it is unsafe (`--unsafe-fixes`): the function takes required "
        "arguments, or its signature is not known here (a library coroutine such as "
        "`asyncio.sleep`, a function of another module), and `f()` would raise `TypeError`; the "
        "code fails either way, and the unsafe fix only makes the missing arguments visible.")
    valid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n",
        "import asyncio\nasync def main(coro):\n    await asyncio.create_task(coro)\n",
        "import anyio\nasync def main():\n    pass\nanyio.run(main)\n",
    )
    invalid = (
        "import asyncio\nasync def main():\n    pass\nasyncio.run(main)\n",
        "import asyncio\nasync def work():\n    pass\nasync def main():\n    await asyncio.gather(work, work())\n",
        "async def work():\n    pass\nasync def main():\n    await work\n",
    )

    def _check(self, expr: cst.BaseExpression, where: str) -> None:
        name = coroutine_function(self.ctx, expr)
        if name is None:
            return
        self.report(expr, Text(
            "coroutine function '{name}' is passed to {where} without being called; use '{name}()'").format(name=name, where=where),
            fix=Fix(Text("Call it: add '()'"), _callable_without_arguments(self.ctx, expr),
                    replacements=((expr, cst.Call(expr)),)))

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, (cst.Name, cst.Attribute)):
            self._check(node.expression, "'await'")

    def visit_Call(self, node: cst.Call) -> None:
        last = _last_name(node.func)
        if last not in _CONSUMER_LAST_NAMES and not isinstance(node.func, cst.Name):
            return  # a plain name may be an alias (`from asyncio import create_task as spawn`)
        qualname = callee_name(self.ctx, node.func)
        if qualname in COROUTINE_ITERABLE_CONSUMERS:
            first = _first_positional(node)
            if isinstance(first, (cst.List, cst.Tuple, cst.Set)):
                for element in first.elements:
                    if not isinstance(element, cst.StarredElement):
                        self._check(element.value, f"{last}()")
            return
        positions = COROUTINE_CONSUMERS.get(qualname or "")
        if not positions:
            return
        index = 0
        for arg in node.args:
            if arg.keyword is not None or arg.star:
                continue
            if "*" in positions or index in positions:
                self._check(arg.value, f"{last}()")
            index += 1


def _callable_without_arguments(ctx: Context, expr: cst.BaseExpression) -> bool:
    """Whether ``expr()`` is a complete call: ``expr`` names a ``def`` of this module (a
    function, or a method through ``self``/``cls``) whose every parameter has a default.
    A library or other-module coroutine's signature is not known here: False."""
    definition = ctx.is_local_function(expr)
    if definition is None:
        return False
    params = definition.params
    positional = [*params.posonly_params, *params.params]
    decorators = {dotted_text(d.decorator) for d in definition.decorators}
    if isinstance(expr, cst.Attribute) and "staticmethod" not in decorators and positional:
        positional = positional[1:]  # self / cls is bound
    return all(p.default is not None for p in (*positional, *params.kwonly_params))


_BOOLEAN_PARENTS = (cst.If, cst.While, cst.IfExp, cst.Assert, cst.CompIf, cst.BooleanOperation,
                    cst.UnaryOperation)


class CoroutineInBooleanContext(Rule):
    code = "CCY104"

    group = "correctness"
    group_reason = Text(
        "A coroutine object is always true: the condition never tests what was meant. Wrong "
        "whenever it matches; no finding on the 28 projects of the ecosystem check.")
    name = "coroutine-in-boolean-context"
    fix = "safe/unsafe"
    summary = Text("Coroutine used as a condition")
    what = Text(
        "Finds a call of a coroutine function used as a condition: `if f():`, `while f():`, "
        "`not f()`, `f() and x`, `assert f()`, `x if f() else y`.")
    why = Text(
        "A coroutine object is always truthy, so the condition is always true and the coroutine never "
        "runs (it is never awaited).")
    example = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if is_admin(user):\n        ...\n"
    use_instead = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if await is_admin(user):\n        ...\n"
    fix_safety = Text(
        "Adding `await` inside an async function is safe, except for a coroutine of asyncio (or "
        "trio) in a module whose library is not asyncio (or trio): awaited there it raises, so the "
        "fix is unsafe.")
    valid = (
        "async def ok():\n    return True\nasync def f():\n    if await ok():\n        pass\n",
        "def ok():\n    return True\nasync def f():\n    if ok():\n        pass\n",
    )
    invalid = (
        "async def ok():\n    return True\nasync def f():\n    if ok():\n        pass\n",
        "async def ok():\n    return True\nasync def f():\n    while not ok():\n        pass\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        parent = self.ctx.parent
        if not isinstance(parent, _BOOLEAN_PARENTS):
            return
        if isinstance(parent, (cst.If, cst.While, cst.Assert, cst.CompIf)) and parent.test is not node:
            return
        if isinstance(parent, cst.IfExp) and parent.test is not node:
            return
        if isinstance(parent, cst.UnaryOperation) and not isinstance(parent.operator, cst.Not):
            return
        name = coroutine_function(self.ctx, node.func)
        if name is None:
            return
        fix = _add_await(self.ctx, node) if self.ctx.in_async_function else None
        self.report(node, Text(
            "coroutine '{name}()' used as a condition is always true and never runs; use 'await {name}(...)'").format(name=name), fix=fix)
