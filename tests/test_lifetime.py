"""Unit tests for the shared object-lifetime view (semantics/lifetime.py)."""
from __future__ import annotations

from typing import Any, Dict, List

import libcst as cst

from concurlint.config import load_settings
from concurlint.semantics.context import Context
from concurlint.semantics.lifetime import follow, function_usage, usage_of, value_fate
from concurlint.semantics.traversal import Dispatcher, walk


class _Memo:
    def __init__(self) -> None:
        self.memo: Dict[Any, Any] = {}


def _usage(source: str, index: int = 0):
    module = cst.parse_module(source)
    return function_usage(_Memo(), module.body[index])


def test_awaited_method_called_and_stored() -> None:
    table = _usage(
        "async def main(bg):\n"
        "    t = asyncio.create_task(work())\n"
        "    u = asyncio.create_task(work())\n"
        "    bg.add(u)\n"
        "    u.add_done_callback(bg.discard)\n"
        "    await t\n")
    assert table["t"].awaited and not table["t"].escapes
    assert table["u"].stored and "add_done_callback" in table["u"].methods
    assert [callee for callee, _ in table["u"].passed_to] == ["bg.add"]


def test_never_read_name_has_no_entry_and_targets_are_not_reads() -> None:
    table = _usage("def f():\n    c = open('x')\n    c2 = c3 = 1\n    self.c4 = 2\n")
    assert "c" not in table and "c2" not in table
    assert table["self"].attributes == {"c4"}


def test_containers_returns_and_closures() -> None:
    table = _usage(
        "def f():\n"
        "    a = x()\n    b = x()\n    c = x()\n    d = x()\n"
        "    def inner():\n        return c\n"
        "    self.items[k] = d\n"
        "    return [a, (b,)]\n")
    assert table["a"].returned and table["b"].returned
    assert table["c"].closure and not table["c"].returned
    assert table["d"].stored


def test_follow_through_loops_and_aliases() -> None:
    source = (
        "async def main():\n"
        "    results = await asyncio.gather(a(), b(), return_exceptions=True)\n"
        "    checked = results\n"
        "    for r in checked:\n"
        "        if isinstance(r, Exception):\n"
        "            log(r)\n")
    module = cst.parse_module(source)
    ctx = _context(module)
    func = module.body[0]
    ctx.scope = type(ctx.scope)("function", func, ctx.module_scope)
    chain = follow(ctx, "results")
    assert [u.name for u in chain] == ["results", "checked", "r"]
    assert any(callee == "isinstance" for callee, _ in chain[-1].passed_to)


def test_context_manager_and_tests() -> None:
    table = _usage(
        "async def f():\n"
        "    s = make()\n    l = make()\n    m = make()\n"
        "    async with s:\n        pass\n"
        "    with l:\n        pass\n"
        "    if not m.done():\n        pass\n")
    assert table["s"].async_context_manager and not table["s"].context_manager
    assert table["l"].context_manager
    assert set(table["m"].methods) == {"done"}


def test_global_counts_as_stored() -> None:
    source = "def f():\n    global pool\n    pool = make()\n"
    module = cst.parse_module(source)
    ctx = _context(module)
    ctx.scope = type(ctx.scope)("function", module.body[0], ctx.module_scope)
    usage = usage_of(ctx, "pool")
    assert usage is not None and usage.stored and usage.used


def test_memoised_per_function() -> None:
    module = cst.parse_module("def f():\n    x = 1\n    return x\n")
    holder = _Memo()
    assert function_usage(holder, module.body[0]) is function_usage(holder, module.body[0])


def _context(module: cst.Module) -> Context:
    return Context(module, "example.py", load_settings(isolated=True), "example")


def test_value_fate_during_traversal() -> None:
    source = (
        "async def f():\n"
        "    g()\n"
        "    await h()\n"
        "    x = k()\n"
        "    y: int = await m()\n"
        "    return n()\n")
    module = cst.parse_module(source)
    ctx = _context(module)
    seen: List[Any] = []

    class Probe:
        code = "PROBE"

        def visit_Call(self, node: cst.Call) -> None:
            seen.append((module.code_for_node(node.func), value_fate(ctx, node)))

    walk(module, ctx, Dispatcher([Probe()]))
    fates = {name: (fate.kind, fate.name, fate.awaited) for name, fate in seen}
    assert fates["g"] == ("discarded", None, False)
    assert fates["h"] == ("discarded", None, True)
    assert fates["k"] == ("name", "x", False)
    assert fates["m"] == ("name", "y", True)
    assert fates["n"][0] == "other"
