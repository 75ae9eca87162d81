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
    title = Text("Use 'async with'") if to_async else Text("Use 'with'")
    return Fix(title, True, replacements=((node, changed),))


class WrongWithKind(Rule):
    code = "CCY106"

    group = "correctness"
    group_reason = Text(
        "`with` on an async context manager (or `async with` on a sync one) raises at run "
        "time: wrong whenever it matches. No finding on the 28 projects of the ecosystem "
        "check.")
    name = "wrong-with-kind"
    fix = "safe"
    summary = Text("`with` on an async context manager (or `async with` on a sync one)")
    what = Text(
        "Finds plain `with` on asyncio primitives and async resources (`asyncio.Lock`, `Semaphore`, "
        "`Condition`, `TaskGroup`, `asyncio.timeout()`, `aiohttp.ClientSession`, `aiofiles.open()`...) "
        "and `async with` on `threading` primitives.")
    why = Text(
        "These objects implement only one of the two protocols: the wrong statement raises "
        "`TypeError`/`AttributeError` at run time (and `async with threading.Lock()` would block the loop even if it worked).")
    example = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    with lock:\n        ...\n"
    use_instead = "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update():\n    async with lock:\n        ...\n"
    fix_safety = Text("Switching to `async with` inside an async function, or to `with` for a "
                      "threading primitive, is safe.")
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
                    "'{kind}' is an async context manager; use 'async with', not 'with'").format(kind=kind), fix=fix)
                return
            if is_async and kind in SYNC_ONLY_CONTEXT_MANAGERS:
                self.report(item.item, Text(
                    "'{kind}' is not an async context manager; 'async with' raises TypeError — "
                    "use 'with' (or an asyncio primitive in async code)").format(
                        kind=kind), fix=_toggle_with_fix(node, False))
                return

    def _kind(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Call):
            callee = self.ctx.resolve(expr.func)
            if callee in ASYNC_ONLY_CONTEXT_MANAGERS or callee in SYNC_ONLY_CONTEXT_MANAGERS:
                return callee
        return self.ctx.type_of(expr)
