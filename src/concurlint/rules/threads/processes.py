"""Process rules: CCY308 (process-start-without-main-guard, processes started at import
time) and CCY309 (unpicklable-process-callable, a lambda, nested function or local class sent
to another process); owns the ``__main__`` guard test and the start-method lookup (fork vs spawn).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from ...apis.threads import PROCESS, PROCESS_SPAWNERS
from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import ASSIGN, ASYNC_DEF, CLASS, DEF
from ...semantics.threads import callable_argument, last_name, positional, thread_targets
from ...semantics.traversal import iter_children
from ..base import Rule
from .common import _starter


# =========================================================================== CCY308
class ProcessStartWithoutMainGuard(Rule):
    code = "CCY308"

    group = "suspicious"
    group_reason = Text(
        "Under the spawn start method (macOS, Windows) every child re-runs the module and "
        "starts processes again; no finding on the 28 projects of the ecosystem check.")
    name = "process-start-without-main-guard"
    summary = Text("processes started at import time, outside `if __name__ == \"__main__\":`")
    what = Text(
        "Finds `ProcessPoolExecutor(...)`, `multiprocessing.Pool(...)`, `multiprocessing.Manager()` "
        "and `Process(...).start()` executed at module top level, outside "
        "`if __name__ == \"__main__\":` and outside any function.")
    why = Text(
        "With the `spawn` start method (the default on Windows and macOS) every child process "
        "imports the main module again. Top-level code that starts processes then runs in each "
        "child, which raises `RuntimeError` or spawns processes recursively.")
    example = ("from concurrent.futures import ProcessPoolExecutor\n\nwith ProcessPoolExecutor() as ex:\n"
               "    print(list(ex.map(abs, [-1, -2])))\n")
    use_instead = ("from concurrent.futures import ProcessPoolExecutor\n\nif __name__ == \"__main__\":\n"
                   "    with ProcessPoolExecutor() as ex:\n        print(list(ex.map(abs, [-1, -2])))\n")
    valid = (
        "import multiprocessing\nif __name__ == '__main__':\n    with multiprocessing.Pool() as p:\n"
        "        p.map(abs, [1])\n",
        "import multiprocessing\ndef main():\n    with multiprocessing.Pool() as p:\n        p.map(abs, [1])\n",
    )
    invalid = (
        "import multiprocessing\nwith multiprocessing.Pool() as p:\n    p.map(abs, [1])\n",
        "from multiprocessing import Process\np = Process(target=print)\np.start()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        if ctx.function is not None:
            return
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        if name not in ("ProcessPoolExecutor", "Pool", "Manager", "start"):
            return
        qualname = ctx.resolve(func)
        label = PROCESS_SPAWNERS.get(qualname or "")
        if label is None and name == "start" and isinstance(func, cst.Attribute):
            found = ctx.type_of(func.value)
            local = thread_targets(ctx).runnable_class_named(ctx, found) if found else None
            if local is not None and local[1] == PROCESS:
                label = "Process.start()"
        if label is None or _under_main_guard(ctx.ancestors):
            return
        self.report(node, Text(
            "{label} runs at import time; child processes re-import this module (spawn start "
            "method) and start processes again: move it under 'if __name__ == \"__main__\":' or into a function").format(
                label=label))


def _under_main_guard(ancestors: Sequence[cst.CSTNode]) -> bool:
    for ancestor in ancestors:
        if isinstance(ancestor, cst.If) and _is_main_test(ancestor.test):
            return True
    return False


def _is_main_test(test: cst.BaseExpression) -> bool:
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)):
        return False
    sides = [test.left, test.comparisons[0].comparator]
    has_name = any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides)
    has_main = any(isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides)
    return has_name and has_main


# =========================================================================== CCY309
class UnpicklableProcessCallable(Rule):
    code = "CCY309"

    group = "correctness"
    group_reason = Text(
        "The callable cannot be pickled, so the call fails: wrong whenever it matches. A "
        "`Process` of a fork context inherits its target instead (the one wrong finding of the "
        "out-of-sample review): recognised, not reported.")
    name = "unpicklable-process-callable"
    summary = Text("a lambda, nested function or local class sent to another process")
    what = Text(
        "Finds a `lambda`, a function defined inside another function, or a class defined inside a "
        "function passed as the callable to `ProcessPoolExecutor.submit/map`, "
        "`multiprocessing.Pool.map/imap/starmap/apply/apply_async` or `multiprocessing.Process(target=...)` "
        "(also wrapped in `functools.partial`).\n\n"
        "A `Process` made from `multiprocessing.get_context(\"fork\")` (a literal), or after "
        "`multiprocessing.set_start_method(\"fork\")` (earlier in the same function, or at module "
        "level, e.g. under the main guard), is not flagged: a forked child inherits its target, "
        "nothing is pickled. Pools and `ProcessPoolExecutor` send every task through a queue, so "
        "they are flagged under fork too; so is a `Process` under `spawn`, `forkserver`, a "
        "method chosen at run time, or the platform default (spawn on Windows and macOS).")
    why = Text(
        "Work sent to another process is pickled, and functions are pickled by their module-level "
        "name. A lambda or nested function has none, so the call fails with `PicklingError` / "
        "`AttributeError: Can't pickle local object` -- often only on Windows/macOS (spawn), or "
        "inside the pool where the error is easy to miss.")
    example = ("from concurrent.futures import ProcessPoolExecutor\n\ndef main(xs):\n"
               "    with ProcessPoolExecutor() as ex:\n        return list(ex.map(lambda x: x * x, xs))\n")
    use_instead = ("from concurrent.futures import ProcessPoolExecutor\n\ndef square(x):\n    return x * x\n\n"
                   "def main(xs):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(square, xs))\n")
    valid = (
        "from concurrent.futures import ProcessPoolExecutor\ndef square(x):\n    return x * x\n"
        "def main(xs):\n    with ProcessPoolExecutor() as ex:\n        return list(ex.map(square, xs))\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef main(xs):\n    with ThreadPoolExecutor() as ex:\n"
        "        return list(ex.map(lambda x: x * x, xs))\n",
        "import multiprocessing as mp\ndef main():\n    def work():\n        pass\n"
        "    mp.get_context('fork').Process(target=work).start()\n",
    )
    invalid = (
        "from concurrent.futures import ProcessPoolExecutor\ndef main(xs):\n    with ProcessPoolExecutor() as ex:\n"
        "        return list(ex.map(lambda x: x * x, xs))\n",
        "import multiprocessing\ndef main():\n    def work():\n        pass\n"
        "    p = multiprocessing.Process(target=work)\n    p.start()\n",
        "import multiprocessing as mp\ndef main():\n    def work():\n        pass\n"
        "    mp.get_context('spawn').Process(target=work).start()\n",
        "import multiprocessing as mp\ndef main():\n    with mp.get_context('fork').Pool() as pool:\n"
        "        pool.map(lambda x: x, [1])\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = _starter(self.ctx, node)
        if found is None or found[1] != PROCESS:
            return
        starter = found[0]
        value = callable_argument(node, starter)
        if value is None:
            return
        bad = _unpicklable(self.ctx, value)
        if bad is None:
            return
        if starter.label == "Process" and _start_method(self.ctx, node) == "fork":
            return  # a forked child inherits its target: nothing is pickled (pools still pickle tasks)
        culprit, what = bad
        self.report(culprit, Text(
            "{what} is passed to '{starter}', which sends it to another process; it cannot "
            "be pickled: use a module-level function").format(
            what=what, starter=starter.label))


def _start_method(ctx: Context, call: cst.Call) -> Optional[str]:
    """How the process a ``Process(...)`` call makes is started, when the code says so:
    the literal of the ``get_context("fork")`` it comes from, else the module's
    ``set_start_method("...")``. None when unknown (the platform default)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        made = _context_method(ctx, func.value)
        if made is not None:
            return made or _set_start_method(ctx, call)  # get_context(): the default context
    return _set_start_method(ctx, call)


def _context_method(ctx: Context, expr: cst.BaseExpression, depth: int = 0) -> Optional[str]:
    """For a ``multiprocessing.get_context(...)`` result (a call, or a name or ``self``
    attribute bound only to such calls): its literal method, "" for the default context,
    "?" when not a literal. None when ``expr`` is not a context."""
    if isinstance(expr, cst.Call):
        if ctx.resolve(expr.func) != "multiprocessing.get_context":
            return None
        method = positional(expr, 0)
        if method is None or (isinstance(method, cst.Name) and method.value == "None"):
            return ""
        return method.evaluated_value if isinstance(method, cst.SimpleString) and isinstance(
            method.evaluated_value, str) else "?"
    values: List[cst.CSTNode] = []
    if isinstance(expr, cst.Name):
        bindings, _owner = ctx.lookup(expr.value)
        values = [b.node for b in bindings if b.kind == ASSIGN and not b.with_item]
        if len(values) != len(bindings):
            return None
    elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        cls = ctx._class_of_self(expr.value.value, ctx.scope)  # noqa: SLF001 - same package
        values = [b.node for b in (cls.attributes.get(expr.attr.value) or ()) if b.node is not None] \
            if cls is not None else []
    if not values or depth > 2 or not all(isinstance(v, cst.Call) for v in values):
        return None
    found = {_context_method(ctx, v, depth + 1) for v in values}  # type: ignore[arg-type]
    return found.pop() if len(found) == 1 else None


def _set_start_method(ctx: Context, call: cst.Call) -> Optional[str]:
    """The module's ``multiprocessing.set_start_method("<literal>")`` that is in force at
    ``call``: one made before it in the same function (or both at module level), else the
    module-level ones (under the main guard: they run before the program's functions) when
    they agree. A call in another function is left out: its order is unknown."""
    key = "CCY309.set_start_method"
    calls = ctx.memo.get(key)
    if calls is None:
        calls = ctx.memo[key] = _start_method_calls(ctx.module)
    if not calls:
        return None
    here = ctx.function.node if ctx.function is not None else None
    line = ctx.line_of(call) or 0
    before = [(ctx.line_of(c) or 0, m) for c, m, where in calls if where is here]
    before = [(n, m) for n, m in before if n < line]
    if before:
        return max(before)[1]
    if here is None:
        return None
    module_level = {m for _c, m, where in calls if where is None}
    return module_level.pop() if len(module_level) == 1 else None


def _start_method_calls(module: cst.Module) -> List[Tuple[cst.Call, str, Optional[cst.CSTNode]]]:
    found: List[Tuple[cst.Call, str, Optional[cst.CSTNode]]] = []
    stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(module, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, cst.Call) and last_name(node.func) == "set_start_method":
            method = positional(node, 0)
            if isinstance(method, cst.SimpleString) and isinstance(method.evaluated_value, str):
                found.append((node, method.evaluated_value, function))
        inner = node if isinstance(node, (cst.FunctionDef, cst.Lambda)) else function
        stack.extend((child, inner) for child in iter_children(node))
    return found


def _unpicklable(ctx: Context, value: cst.BaseExpression, depth: int = 0) -> Optional[Tuple[cst.CSTNode, Text]]:
    if depth > 3:
        return None
    if isinstance(value, cst.Lambda):
        return value, Text("a lambda")
    if isinstance(value, cst.Call) and ctx.resolve(value.func) == "functools.partial":
        first = positional(value, 0)
        return _unpicklable(ctx, first, depth + 1) if first is not None else None
    if isinstance(value, cst.Name):
        bindings, owner = ctx.lookup(value.value)
        if not bindings or owner is None or len(bindings) != 1:
            return None
        binding = bindings[0]
        if owner.kind == "function":
            if binding.kind in (DEF, ASYNC_DEF):
                return value, Text("nested function '{name}'").format(name=value.value)
            if binding.kind == CLASS:
                return value, Text("local class '{name}'").format(name=value.value)
        if binding.kind == ASSIGN and isinstance(binding.node, cst.Lambda):
            return value, Text("'{name}' (a lambda)").format(name=value.value)
    return None
