"""CCY301 (unprotected-shared-mutation): a read-modify-write of module, closure or instance
state in code that runs in threads, without a lock; owns the reasoning about whether
that state is really shared (private to one thread, only mutated by the thread's own
methods, closures shared with the thread) and the lock suggested in the message.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import ASYNC_DEF, DEF, GLOBAL, NONLOCAL, PARAM, Scope
from ...semantics.threads import (
    FunctionNode, Origin, ThreadTargets, describe_origin, is_protected, lock_name_matches, may_start_threads,
    code_excerpt, state_root, thread_targets,
)
from ..base import Rule
from .common import (
    shared_kind, _value_nodes, _reads, check_then_act, _statement_children, _local_read_then_await,
)


def _suggest_lock(ctx: Context, kind: str, cls: Optional[Scope]) -> str:
    if kind == "self" and cls is not None:
        for attr in cls.attributes:
            if lock_name_matches(ctx, attr, guards=False):
                return f"with self.{attr}:"
    for name in ctx.module_scope.bindings:
        if lock_name_matches(ctx, name, guards=False):
            return f"with {name}:"
    return "with lock:"


# how messages name each kind of shared state (``shared_kind``)
_SHARED_KIND = {
    "global": Text("global"),
    "closure": Text("shared closure"),
    "module": Text("module-level"),
    "self": Text("shared instance"),
    "param": Text("shared argument"),
}


# =========================================================================== CCY301
class UnprotectedSharedMutation(Rule):
    code = "CCY301"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: its one finding was intended (a "
        "frame counter whose only other writer runs while the thread is paused). Unlocked "
        "updates of shared counters are often tolerated in released code, so `advice`; "
        "learners get it with `--preset learn`.")
    name = "unprotected-shared-mutation"
    summary = Text("shared state changed by a read-modify-write in code that runs in threads, without a lock")
    what = Text(
        "Finds read-modify-write updates (`x += 1`, `d[k] = d[k] + 1`, `self.n -= 1`) and "
        "check-then-act updates (`if k not in d: d[k] = ...`) of shared state -- a `global`, a "
        "`nonlocal` or captured object, a module-level object, or an attribute of `self` -- inside "
        "a function that runs in another thread (a `threading.Thread`/`Timer` target, a `Thread` "
        "subclass's `run`, a function submitted to a `ThreadPoolExecutor`, `asyncio.to_thread`, "
        "`loop.run_in_executor`) or in a same-module function such code calls, when the update is "
        "not inside `with <lock>:` or between `lock.acquire()` and `lock.release()`.")
    why = Text(
        "`counter += 1` is three steps: read, add, write. Another thread can run between the read "
        "and the write, and one of the two updates is lost. The GIL does not prevent this: it only "
        "makes single bytecodes atomic. The result is a counter that is 'usually' right and wrong "
        "under load -- the first pitfall in the checklist ('a thread changed a shared variable but "
        "the result is wrong: check whether you used a Lock').")
    example = (
        "import threading\n\ncounter = 0\n\ndef inc(n):\n    global counter\n    for _ in range(n):\n"
        "        counter += 1\n\nthreads = [threading.Thread(target=inc, args=(100_000,)) for _ in range(4)]\n")
    use_instead = (
        "import threading\n\ncounter = 0\nlock = threading.Lock()\n\ndef inc(n):\n    global counter\n"
        "    for _ in range(n):\n        with lock:\n            counter += 1\n\n"
        "threads = [threading.Thread(target=inc, args=(100_000,)) for _ in range(4)]\n")
    options = Text(
        "`lock-name-pattern` (default `(?i)(^|_)(r?lock|mutex)$`): objects whose name matches "
        "(last part, e.g. `self._lock`, `state_lock`, `mutex`) count as locks even when their type is unknown.")
    valid = (
        "import threading\ncounter = 0\nlock = threading.Lock()\ndef inc():\n    global counter\n"
        "    with lock:\n        counter += 1\nthreading.Thread(target=inc).start()\n",
        "import threading\ndef work(items):\n    total = 0\n    for i in items:\n        total += i\n"
        "    return total\nthreading.Thread(target=work, args=([1],)).start()\n",
        "import threading\nresults = []\ndef work(i):\n    results.append(i * i)\n"
        "threading.Thread(target=work, args=(1,)).start()\n",
        "from concurrent.futures import ProcessPoolExecutor\ncount = 0\ndef work(i):\n    global count\n"
        "    count += i\nif __name__ == '__main__':\n    with ProcessPoolExecutor() as ex:\n        ex.submit(work, 1)\n",
    )
    invalid = (
        "import threading\ncounter = 0\ndef inc():\n    global counter\n    counter += 1\n"
        "threading.Thread(target=inc).start()\n",
        "from concurrent.futures import ThreadPoolExecutor\nhits = {}\ndef record(key):\n"
        "    if key not in hits:\n        hits[key] = 0\n    hits[key] += 1\n"
        "with ThreadPoolExecutor() as ex:\n    ex.map(record, ['a', 'b'])\n",
        "import threading\nclass Account:\n    def __init__(self):\n        self.balance = 0\n"
        "    def deposit(self, n):\n        self.balance += n\nacct = Account()\n"
        "for _ in range(4):\n    threading.Thread(target=acct.deposit, args=(1,)).start()\n",
    )

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if _maybe_shared(self.ctx, node.target):
            self._check(node, node.target, "rmw")

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if not isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
            return
        if not _maybe_shared(self.ctx, target):
            return
        if _reads(node.value, target):
            self._check(node, target, "rmw")
        elif isinstance(target, cst.Subscript) and check_then_act(self.ctx, target, self.ctx.ancestors) is not None:
            self._check(node, target, "cta")
        else:
            names = {n.value for n in _value_nodes(node.value) if isinstance(n, cst.Name)}
            if names and _local_read_then_await(target, names, node, self.ctx.ancestors, require_await=False):
                self._check(node, target, "rmw")

    def _check(self, node: cst.CSTNode, target: cst.BaseExpression, pattern: str) -> None:
        ctx = self.ctx
        function = ctx.function
        if function is None or function.is_async:
            return
        shared = shared_kind(ctx, target)
        if shared is None:
            return
        targets = thread_targets(ctx)  # _maybe_shared already passed may_start_threads()
        fn_node = function.node
        origin = targets.runs_in_thread(fn_node)
        if origin is None:
            return
        if is_protected(ctx, ctx.ancestors, node):
            return
        kind, cls, attr = shared
        if kind == "closure" and not _closure_shared_with_thread(targets, cls, origin):
            return
        if kind == "self" and not _self_shared(ctx, targets, fn_node):  # type: ignore[arg-type]
            return
        if kind == "self":
            origin = _shared_origin(targets, fn_node, origin)  # type: ignore[arg-type]
        if kind == "self" and cls is not None and attr is not None and \
                _private_to_one_thread(ctx, targets, cls, attr, fn_node, origin):  # type: ignore[arg-type]
            return
        if pattern == "cta":
            verb = Text("is checked and then set")
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
            verb = Text("is incremented")
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.SubtractAssign):
            verb = Text("is decremented")
        else:
            verb = Text("is read, changed and written back")
        self.report(node, Text(
            "{shared} state '{what}' {verb} in {where}, without holding a lock; wrap it in '{lock}'").format(
            shared=_SHARED_KIND[kind], what=code_excerpt(ctx, target), verb=verb,
            where=describe_origin(ctx, fn_node, origin),  # type: ignore[arg-type]
            lock=_suggest_lock(ctx, kind, cls)))


def _shared_origin(targets: ThreadTargets, fn_node: FunctionNode, origin: Origin) -> Origin:
    """For messages: prefer a route into ``fn_node`` that does not go through a fresh object."""
    if origin.via is None:
        return origin
    for edge in targets.callers(fn_node):
        if edge.caller is origin.via and not edge.fresh:
            return origin
    for edge in targets.callers(fn_node):
        if not edge.fresh and not edge.protected and edge.caller in targets.thread_context:
            better = targets.thread_context[edge.caller]  # type: ignore[index]
            return Origin(better.site, better.root, edge.caller)
    return origin


def _self_shared(ctx: Context, targets: ThreadTargets, fn_node: FunctionNode) -> bool:
    """Is the ``self`` of the method around ``fn_node`` an object several threads can see?"""
    current: Optional[FunctionNode] = fn_node
    seen = 0
    while current is not None and seen < 20:
        info = targets.functions.get(current)
        if info is None:
            return True  # unknown: keep the finding's other evidence
        if info.class_scope is not None:
            return current in targets.shared_self
        current = info.parent
        seen += 1
    return True


def _closure_shared_with_thread(targets: ThreadTargets, owner: Optional[Scope], origin: Origin) -> bool:
    """Closure state is shared when the thread runs a function nested in the owner of that
    state (the owner's frame lives on in the starting thread); a function that creates
    the state inside the thread keeps it private to that thread."""
    if owner is None:
        return True
    current: Optional[FunctionNode] = origin.root
    seen = 0
    while current is not None and seen < 50:
        info = targets.functions.get(current)
        if info is None:
            return False
        if info.parent is owner.node:
            return True
        current = info.parent
        seen += 1
    return False


def _maybe_shared(ctx: Context, target: cst.BaseExpression) -> bool:
    """Cheap first test (no analysis): could ``target`` be shared state of a sync function?"""
    function = ctx.function
    if function is None or function.is_async or function.kind != "function":
        return False
    if not may_start_threads(ctx):
        return False
    if isinstance(target, cst.Name):
        return any(b.kind in (GLOBAL, NONLOCAL) for b in function.bindings.get(target.value, ()))
    root, _attr = state_root(target)
    if root is None:
        return False
    local = function.bindings.get(root.value)
    if not local:
        return True  # module-level, closure or builtin
    return any(b.kind in (PARAM, GLOBAL) for b in local)


def _private_to_one_thread(ctx: Context, targets: ThreadTargets, cls: Scope, attr: str,
                           fn_node: FunctionNode, origin: Origin) -> bool:
    """``self.attr`` changed only by the one thread that owns the object: not shared.

    True for a ``Thread`` subclass whose ``run`` (and helpers only it calls) is the only
    code changing ``attr`` (``__init__`` aside), and likewise for ``target=self.m`` started
    once (not in a loop) when only ``m`` and its private helpers change ``attr``.
    """
    cls_node = cls.node
    if not isinstance(cls_node, cst.ClassDef):
        return False
    class_methods = _methods_of(cls)
    site = origin.site
    if isinstance(site.node, cst.ClassDef):
        if site.node is not cls_node and cls_node not in targets.runnable_classes:
            return False
        # the thread's own run() and the helpers only it calls (the catalog's rule)
        private = _private_closure(targets, origin.root, prune=True)
    else:
        starts = [s for s in targets.sites if any(t in class_methods for t in s.targets)]
        if len(starts) != 1 or starts[0].repeated or origin.root not in class_methods:
            return False
        # One thread runs this object's method. It races only with what the starting
        # code goes on to do meanwhile (the starting function and what it calls).
        private = _private_closure(targets, origin.root, prune=False)
        if fn_node not in private:
            return False
        starter = starts[0].function
        if starter is None:
            return True
        meanwhile = _private_closure(targets, starter, prune=False)
        return not any(m in meanwhile for m in _mutators(ctx, cls, attr)
                       if not (isinstance(m, cst.FunctionDef) and m.name.value == "__init__"))
    if fn_node not in private:
        return False
    for mutator in _mutators(ctx, cls, attr):
        if isinstance(mutator, cst.FunctionDef) and mutator.name.value == "__init__":
            continue
        if mutator not in private:
            return False
    return True


def _methods_of(cls: Scope) -> Set[cst.CSTNode]:
    methods: Set[cst.CSTNode] = set()
    for bindings in cls.bindings.values():
        for binding in bindings:
            if binding.kind in (DEF, ASYNC_DEF) and binding.node is not None:
                methods.add(binding.node)
    return methods


def _private_closure(targets: ThreadTargets, root: FunctionNode, prune: bool) -> Set[FunctionNode]:
    callees: Dict[Optional[FunctionNode], List[FunctionNode]] = {}
    callers: Dict[FunctionNode, Set[Optional[FunctionNode]]] = {}
    for edge in targets.edges:
        callees.setdefault(edge.caller, []).append(edge.callee)
        callers.setdefault(edge.callee, set()).add(edge.caller)
    reach: Set[FunctionNode] = {root}
    work = [root]
    while work:
        current = work.pop()
        for callee in callees.get(current, ()):
            if callee not in reach:
                reach.add(callee)
                work.append(callee)
    changed = prune
    while changed:
        changed = False
        for fn in list(reach):
            if fn is root:
                continue
            if any(caller not in reach for caller in callers.get(fn, ())):
                reach.discard(fn)
                changed = True
    return reach


def _mutators(ctx: Context, cls: Scope, attr: str) -> Dict[cst.CSTNode, bool]:
    """Functions in ``cls`` (methods and functions nested in them) that write ``self.attr``,
    and whether one of those writes is a read-modify-write."""
    key = ("concurlint.threads.mutators", id(cls.node))
    table: Optional[Dict[str, Dict[cst.CSTNode, bool]]] = ctx.memo.get(key)
    if table is None:
        table = {}
        body = cls.node.body.body if isinstance(cls.node, cst.ClassDef) and isinstance(
            cls.node.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef) and stmt.params.params:
                self_name = stmt.params.params[0].name.value
                _scan_writes(stmt, stmt, self_name, table)
        ctx.memo[key] = table
    return table.get(attr, {})


def _scan_writes(function: cst.FunctionDef, block: cst.CSTNode, self_name: str,
                 table: Dict[str, Dict[cst.CSTNode, bool]]) -> None:
    stack: List[Tuple[cst.CSTNode, cst.CSTNode]] = [(function, function.body)]
    while stack:
        owner, node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                targets: List[cst.BaseExpression] = []
                value: Optional[cst.BaseExpression] = None
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                    value = small.value
                elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
                    targets = [small.target]
                elif isinstance(small, cst.Del):
                    targets = [small.target]
                for target in targets:
                    for element in _flatten(target):
                        root, attr = state_root(element)
                        if root is not None and root.value == self_name and attr is not None:
                            rmw = isinstance(small, cst.AugAssign) or (
                                value is not None and _reads(value, element))
                            entry = table.setdefault(attr, {})
                            entry[owner] = entry.get(owner, False) or rmw
            continue
        if isinstance(node, cst.FunctionDef) and node is not owner:
            stack.append((node, node.body))
            continue
        if isinstance(node, (cst.ClassDef,)):
            continue
        for child in _statement_children(node):
            stack.append((owner, child))


def _flatten(target: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        out: List[cst.BaseExpression] = []
        for element in target.elements:
            out.extend(_flatten(element.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _flatten(target.value)
    return [target]
