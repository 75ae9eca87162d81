"""Waiting for workers to finish: CCY304 (daemon-thread-not-joined, daemon threads nobody
joins or waits for) and CCY307 (queue-join-without-task-done, ``queue.join()`` whose
consumers never call ``task_done()``); owns the lookup of joined, waited and queue names.
"""
from __future__ import annotations

import re
from typing import List, Optional, Set, Tuple

import libcst as cst

from ...apis.threads import JOINABLE_QUEUES, QUEUE_GET_METHODS
from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import PARAM, Scope
from ...semantics.threads import code_excerpt, function_name, keyword, last_name, thread_targets, walk_expression
from ...semantics.traversal import iter_children
from ..base import Rule
from .common import _SCOPE_NODES


_QUEUE_NAME = re.compile(r"(?i)(^q$|^q_|_q$|queue|inbox|jobs|tasks)")


# =========================================================================== CCY304
class DaemonThreadNotJoined(Rule):
    code = "CCY304"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 9 findings left, all intended "
        "(pipe pumps, monitors, watchdogs whose work does not matter at exit); 2 wrong ones "
        "(a join handed to an executor, an `is_alive()` polling loop) are no longer "
        "reported. `advice`.")
    name = "daemon-thread-not-joined"
    summary = Text("a daemon thread is started and never joined")
    what = Text(
        "Finds `threading.Thread(..., daemon=True)` (and `Timer`) whose thread is never joined in "
        "the same module: no `.join()` on the name it is stored in or on a loop over the list it is "
        "added to, no `t.join` handed to a call (`run_in_executor(None, t.join)`, `to_thread(t.join)`), "
        "and no `while t.is_alive():` loop waiting for it. Group `advice`: daemon threads are often "
        "the right choice (pumps, monitors, watchdogs, idle workers); a review of its findings on "
        "released projects judged most of them intended.")
    why = Text(
        "Daemon threads are killed abruptly when the interpreter exits: files half written, "
        "messages half sent, no `finally` blocks. That is fine for a heartbeat, not for work that "
        "must finish -- the material warns that `daemon=True` is unsuitable for critical tasks.")
    example = "import threading\n\nt = threading.Thread(target=save_all, daemon=True)\nt.start()\n"
    use_instead = "import threading\n\nt = threading.Thread(target=save_all)\nt.start()\nt.join()\n"
    valid = (
        "import threading\nt = threading.Thread(target=print, daemon=True)\nt.start()\nt.join()\n",
        "import threading\nthreads = [threading.Thread(target=print, daemon=True) for _ in range(2)]\n"
        "for t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n",
        "import asyncio, threading\nasync def stop():\n    t = threading.Thread(target=print, daemon=True)\n"
        "    t.start()\n    await asyncio.get_running_loop().run_in_executor(None, t.join)\n",
    )
    invalid = (
        "import threading\nt = threading.Thread(target=print, daemon=True)\nt.start()\n",
        "import threading\nthreading.Thread(target=print, daemon=True).start()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        if name not in ("Thread", "Timer"):
            return
        daemon = keyword(node, "daemon")
        if daemon is None or not (isinstance(daemon.value, cst.Name) and daemon.value.value == "True"):
            return
        if self.ctx.resolve(func) not in ("threading.Thread", "threading.Timer"):
            return
        holder = _holder_name(self.ctx)
        if holder is not None and holder in _joined_names(self.ctx):
            return
        self.report(node, Text(
            "daemon thread is started but never joined; its work may be cut off when the program "
            "exits: keep a reference and call '.join()' (or drop daemon=True)"))


def _holder_name(ctx: Context) -> Optional[str]:
    """The name a new object is stored under: ``t = Thread()``, ``self._t = ...``,
    ``threads.append(Thread())``, ``threads = [Thread() for ...]``."""
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, cst.Assign):
            return last_name(ancestor.targets[0].target)
        if isinstance(ancestor, cst.AnnAssign):
            return last_name(ancestor.target)
        if isinstance(ancestor, cst.Call) and isinstance(ancestor.func, cst.Attribute) \
                and ancestor.func.attr.value in ("append", "add", "extend"):
            return last_name(ancestor.func.value)
        if isinstance(ancestor, (cst.SimpleStatementLine,) + _SCOPE_NODES):
            return None
        if isinstance(ancestor, cst.Attribute):  # Thread(...).start()
            return None
    return None


def _joined_names(ctx: Context) -> Set[str]:
    key = "concurlint.threads.joined"
    found = ctx.memo.get(key)
    if found is None:
        found = set()
        for call in thread_targets(ctx).method_calls.get("join", ()):
            if len(call.call.args) > 1 or isinstance(call.receiver, (cst.SimpleString, cst.FormattedString,
                                                                      cst.ConcatenatedString)):
                continue
            name = last_name(call.receiver)
            if name:
                found.add(name)
            if call.loop_iter is not None:
                iter_name = last_name(call.loop_iter)
                if iter_name:
                    found.add(iter_name)
        found |= _waited_names(ctx.module)
        ctx.memo[key] = found
    return found


def _waited_names(module: cst.Module) -> Set[str]:
    """Threads waited for without calling ``.join()`` here: ``t.join`` handed to an executor
    (``run_in_executor(None, t.join)``), or a ``while t.is_alive():`` polling loop."""
    found: Set[str] = set()
    stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(module, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, cst.Attribute) and node.attr.value == "join" and isinstance(parent, cst.Arg):
            name = last_name(node.value)
            if name:
                found.add(name)
        elif isinstance(node, cst.While):
            for inner in walk_expression(node.test):
                if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) \
                        and inner.func.attr.value == "is_alive" and not inner.args:
                    name = last_name(inner.func.value)
                    if name:
                        found.add(name)
        stack.extend((child, node) for child in iter_children(node))
    return found


# =========================================================================== CCY307
class QueueJoinWithoutTaskDone(Rule):
    code = "CCY307"

    group = "suspicious"
    group_reason = Text(
        "`join()` without `task_done()` waits forever; no finding on the 28 projects of the "
        "ecosystem check.")
    name = "queue-join-without-task-done"
    summary = Text("`queue.join()` but the consumers never call `task_done()`")
    what = Text(
        "Finds `.join()` on a `queue.Queue`, `asyncio.Queue` or `multiprocessing.JoinableQueue` when "
        "the code in the module that takes items from that queue (`.get()`) never calls `.task_done()`.")
    why = Text(
        "`join()` waits until every item put in the queue has been marked done with `task_done()`. "
        "Without `task_done()` the counter never reaches zero and `join()` blocks forever: the "
        "classic 'program hangs and never exits'.")
    example = (
        "import queue\nimport threading\n\n""q = queue.Queue()\n\ndef consumer():\n    while True:\n        item = q.get()\n"
               "        handle(item)\n\nthreading.Thread(target=consumer, daemon=True).start()\nq.join()\n")
    use_instead = (
        "import queue\nimport threading\n\n""q = queue.Queue()\n\ndef consumer():\n    while True:\n        item = q.get()\n"
                   "        try:\n            handle(item)\n        finally:\n            q.task_done()\n\n"
                   "threading.Thread(target=consumer, daemon=True).start()\nq.join()\n")
    valid = (
        "import queue, threading\nq = queue.Queue()\ndef consumer():\n    while True:\n"
        "        item = q.get()\n        q.task_done()\nthreading.Thread(target=consumer).start()\nq.join()\n",
    )
    invalid = (
        "import queue, threading\nq = queue.Queue()\ndef consumer():\n    while True:\n"
        "        item = q.get()\n        print(item)\nthreading.Thread(target=consumer).start()\nq.join()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "join" and not node.args):
            return
        ctx = self.ctx
        queue_type = ctx.type_of(func.value)
        if queue_type not in JOINABLE_QUEUES:
            return
        targets = thread_targets(ctx)
        name = last_name(func.value)
        getters = []
        for method in QUEUE_GET_METHODS:
            for call in targets.method_calls.get(method, ()):
                if _same_queue(ctx, name, call.receiver, call.scope):
                    getters.append(call)
        if not getters:
            return
        done_calls = targets.method_calls.get("task_done", ())
        getter_functions = {g.function for g in getters}
        for call in done_calls:
            if call.function in getter_functions or last_name(call.receiver) == name:
                return
        consumers = ", ".join(repr(c) for c in sorted({function_name(g.function) for g in getters}))
        self.report(node, Text(
            "'{call}' waits until every item is marked done, but the code that gets "
            "items from '{name}' ({consumers}) never calls "
            "'{name}.task_done()': join() blocks forever; call task_done() after each item").format(
            call=code_excerpt(ctx, node), name=name, consumers=consumers))


def _same_queue(ctx: Context, name: Optional[str], receiver: cst.BaseExpression, scope: Scope) -> bool:
    other = last_name(receiver)
    if other is None:
        return False
    if other == name:
        found = ctx.type_of(receiver, scope)
        return found is None or found in JOINABLE_QUEUES
    if isinstance(receiver, cst.Name):
        bindings, _owner = ctx.lookup(receiver.value, scope)
        if bindings and all(b.kind == PARAM for b in bindings):
            found = ctx.type_of(receiver, scope)
            return found in JOINABLE_QUEUES or (found is None and bool(_QUEUE_NAME.search(other)))
    return False
