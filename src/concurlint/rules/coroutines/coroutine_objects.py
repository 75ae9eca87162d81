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
        "finding on the 28 projects of the ecosystem check.",
        "从未被 await 的协程根本不会运行:只要匹配就是错的(被未知是否保持协程函数性质的装饰器修饰"
        "的 `async def` 不做判断)。在生态检查的 28 个项目上没有结果。")
    name = "unawaited-coroutine"
    fix = "safe/unsafe"
    summary = Text("Coroutine called but never awaited", "协程被调用但从未被 await")
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
        "Group `correctness`: a coroutine that is never awaited never runs.",
        "查找对协程函数的调用(本模块或项目中其他模块的 `async def`,或 `asyncio.sleep` 等库协程),"
        "其返回的协程对象被丢弃,或赋给了一个之后从未被读取的变量。\n\n"
        "库协程来自内置表,以及代码运行环境中已安装的库(`python-path`):concurlint 只读取(从不导入)"
        "它们的存根和源码,从中得到 `async def` 函数和方法(包括继承的)、工厂函数返回的类"
        "(`await asyncpg.connect()`、`redis.asyncio.Redis.from_url()`、`-> Self`)以及带注解的参数和属性的类型"
        "(`session: AsyncSession`)。只返回 `self.execute_command(...)` 的同步方法,在该方法为协程函数的类上"
        "才算协程函数(`redis.asyncio.Redis.set` 是,`redis.Redis.set` 和管道的不是)。\n\n"
        "带装饰器的 `async def` 只有在每个装饰器都已知会保持其协程函数身份时才算协程函数:"
        "`staticmethod`、`classmethod`、`abc.abstractmethod`、`typing.override`/`final`、"
        "`warnings.deprecated`、`functools.wraps(f)`、`pytest.mark.*` 标记,或同一模块中每个 `return` "
        "都返回一个嵌套 `async def` 的装饰器(或装饰器工厂)(即 `functools.wraps` 包装惯用法)。"
        "其他装饰器可能返回别的东西,调用不会被报告:框架的 `@work` 或 `@gen_test`、`@pytest.fixture`、"
        "返回同步包装函数的项目装饰器,以及 `functools.cache`/`lru_cache`(调用返回一个被缓存的协程,"
        "只能 await 一次,无法判断应由哪次调用来运行它)。其他模块中的装饰器不做分析:视为未知,不报告;"
        "对于项目中其他模块的 `async def`,只有上面列出的装饰器才算(那些模块只做文本扫描,不做解析)。\n\n"
        "分组 `correctness`:从未被 await 的协程根本不会运行。")
    why = Text(
        "Calling a coroutine function does not run it: it only creates a coroutine object. If that "
        "object is never awaited or scheduled, the body never executes and Python only prints "
        "'RuntimeWarning: coroutine ... was never awaited' when it is garbage-collected.",
        "调用协程函数并不会执行它,只会创建一个协程对象。如果这个对象从未被 await 或调度,函数体就根本不会执行,"
        "Python 只会在它被回收时打印 'RuntimeWarning: coroutine ... was never awaited'。")
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
        "`asyncio.run(...)`: that code may itself be called on a running loop, where it raises.",
        "在 async 函数内添加 `await` 是安全的;但若是 asyncio(或 trio)的协程而模块所用的库不是 asyncio"
        "(或 trio),例如 trio 代码中的 `asyncio.sleep(1)`,在那里 await 它会抛出异常(原来什么也不做),"
        "因此该修复是不安全的。在模块顶层,修复通过模块自己的导入、用模块所用的库运行该调用:"
        "`asyncio.run(f(...))`,或 `trio.run(f, ...)` / `anyio.run(f, ...)`(它们接受函数及其位置参数;"
        "有关键字参数时不提供修复)。启动事件循环是不安全的:请人工检查。库未知时(没有导入,或同时导入了 "
        "asyncio 和 trio)不提供修复。在同步函数内部从不提供修复,提示也从不建议 `asyncio.run(...)`:"
        "这段代码本身可能在运行中的事件循环里被调用,在那里它会抛出异常。")
    options = Text(
        "The library named in messages and fixes is the module's (its imports, its package, or "
        "the `async-backend` setting).",
        "提示和修复中使用的库是模块所用的库(由其导入、所在包或 `async-backend` 设置决定)。")
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
                f"coroutine '{name}' is never awaited; add 'await' or start it as a task with {start}",
                f"协程 '{name}' 从未被 await;请添加 'await',或用 {start} 把它作为任务启动"),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope and self.ctx.path.lower().endswith(".ipynb"):
            # A notebook cell runs on the kernel's event loop: top-level 'await' works there,
            # while asyncio.run() raises "cannot be called from a running event loop".
            self.report(node, Text(
                f"coroutine '{name}' is never awaited, so it never runs; in a notebook cell add "
                "'await' (top-level await works in a cell; asyncio.run() fails on the notebook's "
                "running loop)",
                f"协程 '{name}' 从未被 await,因此根本不会运行;在笔记本单元格中请添加 'await'"
                "(单元格中可以直接在顶层使用 await;asyncio.run() 在笔记本已运行的事件循环中会失败)"),
                fix=_add_await(self.ctx, node))
        elif self.ctx.scope is self.ctx.module_scope:
            if library is None:
                runner = (f"your library's runner ({_run_form('asyncio', name, node)}, "
                          f"{_run_form('trio', name, node)})")
            else:
                runner = _run_form(library, name, node)
            fix = _module_run_fix(self.ctx, node) if fate.kind == "discarded" else None
            self.report(node, Text(
                f"coroutine '{name}' is never awaited, so it never runs; run it with {runner}",
                f"协程 '{name}' 从未被 await,因此根本不会运行;请用 {runner} 运行它"), fix=fix)
        else:
            # Never 'asyncio.run(...)' here: this code may itself be called on a running loop.
            self.report(node, Text(
                f"coroutine '{name}' is never awaited, so it never runs: calling it in sync code only "
                "creates a coroutine object; await it from async code or hand it to something that runs it",
                f"协程 '{name}' 从未被 await,因此根本不会运行:在同步代码中调用它只会创建一个协程对象;"
                "请在异步代码中 await 它,或把它交给能运行它的对象"))


class CoroutineFunctionNotCalled(Rule):
    code = "CCY102"

    group = "correctness"
    group_reason = Text(
        "A coroutine function passed where a coroutine is needed raises or does nothing: "
        "wrong whenever it matches. No finding on the 28 projects of the ecosystem check.",
        "在需要协程对象的地方传入协程函数,要么报错要么什么都不做:只要匹配就是错的。在生态检查的 28 "
        "个项目上没有结果。")
    name = "coroutine-function-not-called"
    fix = "safe/unsafe"
    summary = Text("Coroutine function passed where a coroutine object is needed",
                   "在需要协程对象的地方传入了协程函数")
    what = Text(
        "Finds a coroutine *function* (without `()`) passed to `asyncio.run`, `create_task`, "
        "`ensure_future`, `gather`, `wait_for`, `shield`, `run_coroutine_threadsafe`, "
        "`loop.run_until_complete`, `TaskGroup.create_task`, or awaited directly (`await f`).",
        "查找把协程*函数*(没有 `()`)传给 `asyncio.run`、`create_task`、`ensure_future`、`gather`、"
        "`wait_for`、`shield`、`run_coroutine_threadsafe`、`loop.run_until_complete`、"
        "`TaskGroup.create_task`,或直接 `await f` 的情况。")
    why = Text(
        "These APIs need the coroutine object that calling the function creates. Given the function "
        "itself they raise `TypeError` (or `ValueError`) at run time, so the work never starts.",
        "这些 API 需要调用函数后得到的协程对象。传入函数本身会在运行时抛出 `TypeError`(或 `ValueError`),"
        "任务根本不会开始。")
    example = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main)\n"
    use_instead = "import asyncio\n\nasync def main():\n    ...\n\nasyncio.run(main())\n"
    fix_safety = Text(
        "Adding `()` is safe when the function is a `def` of this module (a plain function, or a "
        "method reached through `self`/`cls`) whose every parameter has a default: the call is then "
        "complete. Otherwise it is unsafe (`--unsafe-fixes`): the function takes required "
        "arguments, or its signature is not known here (a library coroutine such as "
        "`asyncio.sleep`, a function of another module), and `f()` would raise `TypeError`; the "
        "code fails either way, and the unsafe fix only makes the missing arguments visible.",
        "当函数是本模块的 `def`(普通函数,或通过 `self`/`cls` 访问的方法)且每个参数都有默认值时,"
        "添加 `()` 是安全的:调用是完整的。否则是不安全的(需要 `--unsafe-fixes`):函数有必填参数,"
        "或者这里无法得知其签名(`asyncio.sleep` 等库协程、其他模块的函数),`f()` 会抛出 `TypeError`;"
        "代码无论如何都会失败,不安全的修复只是让缺少的参数显而易见。")
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
            f"coroutine function '{name}' is passed to {where} without being called; use '{name}()'",
            f"协程函数 '{name}' 未被调用就传给了 {where};请使用 '{name}()'"),
            fix=Fix(Text("Call it: add '()'", "调用它:添加 '()'"), _callable_without_arguments(self.ctx, expr),
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
        "whenever it matches; no finding on the 28 projects of the ecosystem check.",
        "协程对象永远为真:条件永远测试不到本意。只要匹配就是错的;在生态检查的 28 个项目上没有结果。")
    name = "coroutine-in-boolean-context"
    fix = "safe/unsafe"
    summary = Text("Coroutine used as a condition", "协程被用作条件")
    what = Text(
        "Finds a call of a coroutine function used as a condition: `if f():`, `while f():`, "
        "`not f()`, `f() and x`, `assert f()`, `x if f() else y`.",
        "查找把协程函数调用用作条件的代码:`if f():`、`while f():`、`not f()`、`f() and x`、"
        "`assert f()`、`x if f() else y`。")
    why = Text(
        "A coroutine object is always truthy, so the condition is always true and the coroutine never "
        "runs (it is never awaited).",
        "协程对象永远为真,因此条件永远成立,而协程本身从未运行(从未被 await)。")
    example = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if is_admin(user):\n        ...\n"
    use_instead = "async def is_admin(user):\n    ...\n\nasync def view(user):\n    if await is_admin(user):\n        ...\n"
    fix_safety = Text(
        "Adding `await` inside an async function is safe, except for a coroutine of asyncio (or "
        "trio) in a module whose library is not asyncio (or trio): awaited there it raises, so the "
        "fix is unsafe.",
        "在 async 函数内添加 `await` 是安全的;但若是 asyncio(或 trio)的协程,而模块所用的库不是 asyncio"
        "(或 trio),在那里 await 它会抛出异常,因此修复是不安全的。")
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
            f"coroutine '{name}()' used as a condition is always true and never runs; use 'await {name}(...)'",
            f"协程 '{name}()' 被用作条件,永远为真且不会执行;请使用 'await {name}(...)'"), fix=fix)
