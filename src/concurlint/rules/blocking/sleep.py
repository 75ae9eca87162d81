"""CCY201 (blocking sleep): ``time.sleep`` and its kin inside ``async def``; owns the fix that
swaps in the ``sleep`` of an async library the module already imports (or adds the import).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from ...findings import Fix, Text
from ...semantics.context import Context
from ...semantics.scopes import IMPORT
from .common import _BlockingCallRule, _NOT_FLAGGED_COMMON, _WHY


_MEMO_SLEEP_IMPORTS = "ccy2.sleep-imports"

# Modules whose ``sleep`` the CCY201 fix may use, in order of preference.
_ASYNC_SLEEP_MODULES = ("asyncio", "anyio", "trio")  # modules the fix may call sleep from


def _top_level_imports(ctx: Context) -> Tuple[Dict[str, str], Optional[cst.SimpleStatementLine]]:
    """Module-level ``import asyncio/anyio/trio [as x]`` (module -> local name), and the
    first top-level import line (not ``__future__``), before which the fix can add one."""
    cached = ctx.memo.get(_MEMO_SLEEP_IMPORTS)
    if cached is not None:
        return cached
    found: Dict[str, str] = {}
    first_line: Optional[cst.SimpleStatementLine] = None
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and first_line is None and not (
                    isinstance(small.module, cst.Name) and small.module.value == "__future__"):
                first_line = stmt
            if not isinstance(small, cst.Import):
                continue
            if first_line is None:
                first_line = stmt
            for alias in small.names:
                if isinstance(alias.name, cst.Name) and alias.name.value in _ASYNC_SLEEP_MODULES:
                    local = alias.name.value
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    found.setdefault(alias.name.value, local)
    result = (found, first_line)
    ctx.memo[_MEMO_SLEEP_IMPORTS] = result
    return result


def _refers_to(ctx: Context, local: str, qualname: str) -> bool:
    """Whether ``local``, read here, is only ever the import of ``qualname``."""
    bindings, _ = ctx.lookup(local)
    return bool(bindings) and all(b.kind == IMPORT and b.qualname == qualname for b in bindings)


def _sleep_target(ctx: Context) -> Tuple[str, Optional[str], Optional[cst.SimpleStatementLine]]:
    """(module to sleep with, what to call: ``aio`` for ``aio.sleep`` or the name a
    ``from <module> import sleep`` bound, or None for no fix; import line to add one before).

    The module is the module's async library (``ctx.async_backend``: its imports in any
    form, its package, the ``async-backend`` setting), asyncio when that is unknown."""
    module = ctx.async_backend or "asyncio"
    imported, first_import = _top_level_imports(ctx)
    local = imported.get(module)
    if local is not None:
        return module, (local if _refers_to(ctx, local, module) else None), None
    for name, found in ctx.module_scope.bindings.items():  # `from asyncio import sleep [as nap]`
        if (len(found) == 1 and found[0].kind == IMPORT and found[0].qualname == f"{module}.sleep"
                and _refers_to(ctx, name, f"{module}.sleep")):
            return module, name, None
    bindings, owner = ctx.lookup(module)
    if bindings is None:  # `from trio import run`, or the package says: add `import trio`
        return module, (module if first_import is not None else None), first_import
    if _refers_to(ctx, module, module) and owner is ctx.module_scope:
        return module, module, None  # `import trio.lowlevel` at module level binds `trio`
    return module, None, None  # the name is something else here, or imported only locally


def _sleep_fix(ctx: Context, node: cst.Call, local: str, module: str,
               before: Optional[cst.SimpleStatementLine], safe: bool) -> Optional[Fix]:
    parent = ctx.parent
    if isinstance(parent, cst.Await):
        return None
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, cst.GeneratorExp):
            return None  # 'await' would turn it into an async generator
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            break
    func: cst.BaseExpression = cst.Name(local)
    shown = local
    if not _refers_to(ctx, local, f"{module}.sleep"):
        func = cst.Attribute(value=func, attr=cst.Name("sleep"))
        shown = f"{local}.sleep"
    call = cst.Call(func=func, args=node.args)
    needs_parens = (
        (isinstance(parent, cst.Attribute) and parent.value is node)
        or (isinstance(parent, cst.Subscript) and parent.value is node)
        or (isinstance(parent, cst.Call) and parent.func is node)
    )
    awaited = cst.Await(
        expression=call,
        lpar=[cst.LeftParen()] if needs_parens else [],
        rpar=[cst.RightParen()] if needs_parens else [],
    )
    replacements: List[Tuple[cst.CSTNode, object]] = [(node, awaited)]
    title = Text("Replace with 'await {shown}(...)'").format(shown=shown)
    if before is not None:  # a new `import asyncio` line above the first import line
        added = cst.SimpleStatementLine(
            body=[cst.Import(names=[cst.ImportAlias(name=cst.Name(module))])],
            leading_lines=before.leading_lines)
        replacements.append((before, cst.FlattenSentinel([added, before.with_changes(leading_lines=())])))
        title = Text("Replace with 'await {module}.sleep(...)' and import {module}").format(module=module)
    return Fix(title=title, safe=safe, replacements=tuple(replacements))


class BlockingSleep(_BlockingCallRule):
    code = "CCY201"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check, its findings were all in test "
        "code and all intended (a test's loop runs nothing else), so the default form leaves "
        "test code out; outside tests `time.sleep` in a coroutine stalls every task.")
    name = "blocking-sleep"
    fix = "safe/unsafe"
    summary = Text("`time.sleep()` inside an async function")
    what = Text(
        "Finds calls of `time.sleep()` (however it was imported: `import time as t`, "
        "`from time import sleep as snooze`) made directly inside an `async def`. {not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "`time.sleep()` suspends the whole thread, and with it the event loop: every other task "
        "waits too. `await asyncio.sleep()` suspends only the current coroutine and lets the "
        "loop run the others. {why}").format(why=_WHY)
    example = (
        "import asyncio\nimport time\n\n\nasync def poll(client):\n"
        "    while not await client.ready():\n        time.sleep(0.5)\n")
    use_instead = (
        "import asyncio\n\n\nasync def poll(client):\n"
        "    while not await client.ready():\n        await asyncio.sleep(0.5)\n")
    fix_safety = Text(
        "The call becomes `await <library>.sleep(...)` with the same arguments, where the library "
        "is the module's own async library: the one its imports name in any form (`import trio`, "
        "`import trio.lowlevel`, `from anyio import ...`; anyio wins over asyncio, since anyio code "
        "runs on both), else the one its package's other modules import, else the "
        "`async-backend` setting. The module's own import is used (`import asyncio as aio` gives "
        "`aio.sleep`, `from asyncio import sleep` gives `sleep`); when the library is not imported "
        "as a module (`from trio import run`), the fix adds an `import trio` line above the "
        "module's first top-level import. An import the fix leaves unused (`import time`, "
        "`from time import sleep as snooze` after its last use) is removed or trimmed, unless its "
        "name is listed in a string such as `__all__`. Safe when the "
        "library is known; when it is not (no import of asyncio, trio or anyio anywhere, or "
        "asyncio and trio mixed), the fix uses asyncio and is unsafe (`--unsafe-fixes`): it is a "
        "guess. No fix is offered when the module has no top-level import statement, when the "
        "library's name is bound to something else, when the call is already awaited, or inside "
        "a generator expression (an `await` there would turn it into an async generator).")
    valid = (
        "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n",
        "import asyncio\nimport time\n\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "import time\n\nasync def f():\n    def wait():\n        time.sleep(1)\n    return wait\n",
        "import time\n\ndef f():\n    time.sleep(1)\n",
        "async def f():\n    def sleep(x):\n        return x\n    sleep(1)\n",
    )
    invalid = (
        "import time\n\nasync def f():\n    time.sleep(1)\n",
        "from time import sleep as snooze\n\nasync def f():\n    snooze(2)\n",
        "import time as t\n\nclass C:\n    async def run(self):\n        t.sleep(0.1)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = self.blocking_call(node)
        if found is None:
            return
        module, local, before = _sleep_target(self.ctx)
        safe = self.ctx.async_backend is not None  # else asyncio is a guess
        fix = _sleep_fix(self.ctx, node, local, module, before, safe) if local is not None else None
        self.report(node, Text(
            "'{api}()' blocks the event loop; use 'await {module}.sleep(...)'").format(api=found.api, module=module), fix)
