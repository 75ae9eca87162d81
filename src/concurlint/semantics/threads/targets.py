"""The entry points of thread-target discovery: ``thread_targets`` (computed once per module
and cached in ``ctx.memo``), ``thread_targets_with_sites`` and its cheap textual gate
``may_start_threads``, and the gate on importing a concurrency module at all.
"""
from __future__ import annotations

import re
from typing import List, Optional, Union

import libcst as cst

from ...apis.threads import LATER, STARTERS, UNTYPED_EXECUTOR_METHODS
from ...precheck import code_only
from ..context import Context
from .common import _nested_statements
from .model import ThreadTargets
from .scanner import _Scanner


_MEMO_KEY = "concurlint.threads"
_CONCURRENCY_MODULES = frozenset({"threading", "_thread", "concurrent", "multiprocessing",
                                  "asyncio", "anyio", "queue"})


def thread_targets(ctx: Context) -> ThreadTargets:
    """The module's thread/process targets and call graph (computed once per module)."""
    found = ctx.memo.get(_MEMO_KEY)
    if found is None:
        found = ThreadTargets()
        if _imports_concurrency_module(ctx.module):
            _Scanner(ctx, found).run()
        ctx.memo[_MEMO_KEY] = found
    return found


def thread_targets_with_sites(ctx: Context) -> Optional[ThreadTargets]:
    """``thread_targets(ctx)``, or None when the module's code names nothing that
    can start a thread or a process (so nothing runs in one and no argument is
    shared with one). The rules that ask "does this function run in a thread?"
    for every assignment use this: most modules that import asyncio start no
    thread, and the answer then costs no second walk of the tree."""
    return thread_targets(ctx) if may_start_threads(ctx) else None


def may_start_threads(ctx: Context) -> bool:
    """The textual gate of ``thread_targets_with_sites`` (cheap, memoised per module)."""
    may_start = ctx.memo.get(_MAY_START_KEY)
    if may_start is None:
        may_start = ctx.text is None or _STARTING_WORDS.search(code_only(ctx.text)) is not None
        ctx.memo[_MAY_START_KEY] = may_start
    return may_start


# The names a start site or a Thread/Process subclass needs in the code: the last
# name of every starter except the loop callbacks (they run later in the loop's
# own thread), the classes, and the methods accepted on untyped executors. `map`
# only counts as a method (`pool.map(...)`): the builtin is in most modules.
_STARTING_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name, starter in STARTERS.items() if starter.kind != LATER
) | {"Thread", "Timer", "Process"} | frozenset(UNTYPED_EXECUTOR_METHODS)
_METHOD_ONLY = frozenset({"map"})
_STARTING_WORDS = re.compile(r"\b(?:{})\b|\.[\s\\]*(?:{})\b".format(
    "|".join(sorted(_STARTING_NAMES - _METHOD_ONLY)), "|".join(sorted(_METHOD_ONLY))))
_MAY_START_KEY = "concurlint.threads.may-start"


def _imports_concurrency_module(module: cst.Module) -> bool:
    """Cheap gate: does any statement (at any depth) import a concurrency module?"""
    stack: List[cst.CSTNode] = list(module.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        if _top(alias.name) in _CONCURRENCY_MODULES:
                            return True
                elif isinstance(small, cst.ImportFrom):
                    if small.module is not None and _top(small.module) in _CONCURRENCY_MODULES \
                            and not small.relative:
                        return True
        elif isinstance(stmt, cst.BaseCompoundStatement):
            stack.extend(_nested_statements(stmt))
    return False


def _top(name: Union[cst.Attribute, cst.Name]) -> str:
    while isinstance(name, cst.Attribute):
        name = name.value  # type: ignore[assignment]
    return name.value if isinstance(name, cst.Name) else ""
