"""CCY106 (wrong ``with`` kind): ``with`` on a manager that only works with ``async with``, and
the reverse; owns the fix that toggles the statement between the two forms.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ...apis.coroutines import ASYNC_ONLY_CONTEXT_MANAGERS, SYNC_ONLY_CONTEXT_MANAGERS
from ...findings import Fix, Text
from ..base import Rule


def _toggle_with_fix(node: cst.With, to_async: bool) -> Fix:
    """``with`` <-> ``async with``: the statement with its ``async`` keyword toggled."""
    changed = node.with_changes(asynchronous=cst.Asynchronous() if to_async else None)
    title = Text("Use 'async with'", "改用 'async with'") if to_async else Text("Use 'with'", "改用 'with'")
    return Fix(title, True, replacements=((node, changed),))


class WrongWithKind(Rule):
    code = "CCY106"

    group = "correctness"
    group_reason = Text(
        "`with` on an async context manager (or `async with` on a sync one) raises at run "
        "time: wrong whenever it matches. No finding on the 28 projects of the ecosystem "
        "check.",
        "对异步上下文管理器使用 `with`(或对同步的使用 `async with`)在运行时会报错:"
        "只要匹配就是错的。在生态检查的 28 个项目上没有结果。")
    name = "wrong-with-kind"
    fix = "safe"
    summary = Text("`with` on an async context manager (or `async with` on a sync one)",
                   "对异步上下文管理器使用 `with`(或对同步的使用 `async with`)")
    what = Text(
        "Finds plain `with` on asyncio primitives and async resources (`asyncio.Lock`, `Semaphore`, "
        "`Condition`, `TaskGroup`, `asyncio.timeout()`, `aiohttp.ClientSession`, `aiofiles.open()`...) "
        "and `async with` on `threading` primitives.",
        "查找对 asyncio 原语和异步资源(`asyncio.Lock`、`Semaphore`、`Condition`、`TaskGroup`、"
        "`asyncio.timeout()`、`aiohttp.ClientSession`、`aiofiles.open()` 等)使用普通 `with`,"
        "以及对 `threading` 原语使用 `async with` 的代码。")
    why = Text(
        "These objects implement only one of the two protocols: the wrong statement raises "
        "`TypeError`/`AttributeError` at run time (and `async with threading.Lock()` would block the loop even if it worked).",
        "这些对象只实现了两种协议之一:用错语句会在运行时抛出 `TypeError`/`AttributeError`"
        "(而且即使 `async with threading.Lock()` 能运行,也会阻塞事件循环)。")
    example = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    with lock:\n        ...\n"
    use_instead = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    async with lock:\n        ...\n"
    fix_safety = Text("Switching to `async with` inside an async function, or to `with` for a "
                      "threading primitive, is safe.",
                      "在 async 函数内改为 `async with`,或对 threading 原语改为 `with`,是安全的。")
    valid = (
        "import asyncio\nlock = asyncio.Lock()\nasync def f():\n    async with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\ndef f():\n    with lock:\n        pass\n",
    )
    invalid = (
        "import asyncio\nlock = asyncio.Lock()\nasync def f():\n    with lock:\n        pass\n",
        "import threading\nlock = threading.Lock()\nasync def f():\n    async with lock:\n        pass\n",
        "import asyncio\nasync def f():\n    with asyncio.timeout(1):\n        pass\n",
    )

    def visit_With(self, node: cst.With) -> None:
        is_async = node.asynchronous is not None
        for item in node.items:
            kind = self._kind(item.item)
            if kind is None:
                continue
            if not is_async and kind in ASYNC_ONLY_CONTEXT_MANAGERS:
                fix = _toggle_with_fix(node, True) if self.ctx.in_async_function else None
                self.report(item.item, Text(
                    f"'{kind}' is an async context manager; use 'async with', not 'with'",
                    f"'{kind}' 是异步上下文管理器;请使用 'async with' 而不是 'with'"), fix=fix)
                return
            if is_async and kind in SYNC_ONLY_CONTEXT_MANAGERS:
                self.report(item.item, Text(
                    f"'{kind}' is not an async context manager; 'async with' raises TypeError — "
                    "use 'with' (or an asyncio primitive in async code)",
                    f"'{kind}' 不是异步上下文管理器;'async with' 会抛出 TypeError——请使用 'with'"
                    "(在异步代码中请改用 asyncio 原语)"), fix=_toggle_with_fix(node, False))
                return

    def _kind(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Call):
            callee = self.ctx.resolve(expr.func)
            if callee in ASYNC_ONLY_CONTEXT_MANAGERS or callee in SYNC_ONLY_CONTEXT_MANAGERS:
                return callee
        return self.ctx.type_of(expr)
