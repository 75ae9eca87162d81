"""CCY504 (wait-without-timeout): a synchronous wait (joins, queue gets, events, futures)
without a timeout; owns the recognition of threads and processes the wait belongs to and of
the loops and flags that bound the wait.
"""
from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from ...apis.timeouts import (
    BLOCK_FLAG, DONE_CALLBACK_REGISTRARS, DONE_FUTURE_SOURCES, LOOP_BRIDGES, STOP_CALL_PREFIXES,
    SYNC_WAIT_TIMEOUT,
)
from ...findings import Text
from ...semantics.callees import GIVEN, MISSING, argument, dotted, last_name, walk_body
from ..blocking.classify import constructions, earlier_nodes, wait_is_over
from .common import _shown, _TimeoutRule, _function_or_module


# ----------------------------------------------------------------------------- CCY504


class WaitWithoutTimeout(_TimeoutRule):
    code = "CCY504"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 37 findings left, 1 real, 36 "
        "intended (sync bridges to a running loop, worker threads idling on a queue); "
        "`advice`.")
    name = "wait-without-timeout"
    summary = Text("synchronous wait without a timeout")
    what = Text(
        "Flags synchronous waits with no timeout in code that runs in threads or the main "
        "thread (not in `async def`): `Future.result()`/`Future.exception()` of "
        "`concurrent.futures`, `Thread.join()`, `Process.join()`, `Event.wait()`, and the "
        "blocking `get()` of `queue`/`multiprocessing` queues (`get(block=False)` is fine). Not "
        "flagged, because the wait is known to end: a future read inside its done-callback (the "
        "callback's parameter, the function passed to `add_done_callback`), an item of "
        "`as_completed(...)` or of the done set of `wait(...)`, `fut.result()` under `if fut.done():`; "
        "`q.get()` under `if not q.empty():` or in `while not q.empty():`; `t.join()` after a "
        "`while t.is_alive():` loop, or after the function called a `shutdown*`/`stop*` function "
        "or method, wrote the flag (or set the event) that the thread's loop condition reads, or "
        "stopped the event loop the thread runs (`call_soon_threadsafe(loop.stop)`); a future or "
        "event that the thread target resolves in a `finally` or an `except BaseException`; a "
        "worker's wait for its next item in a loop that returns or breaks on a sentinel "
        "(`if item is None: return`, also `if (item := q.get()) is None:`), and `q.get()()`; a sync "
        "bridge whose body is `run_coroutine_threadsafe(coro, loop).result()` and at most one more "
        "statement (its bound belongs in the coroutine). Group: advice (off by default): waiting "
        "for one's own threads is usually intended.")
    why = Text(
        "If the thread, process or producer on the other side dies or deadlocks, a wait with no "
        "timeout never returns: the classic \"the program never exits\". With a timeout the "
        "waiter can notice, log, retry or shut down cleanly.")
    example = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "with ThreadPoolExecutor() as pool:\n"
        "    future = pool.submit(compute)\n"
        "    print(future.result())\n")
    use_instead = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "with ThreadPoolExecutor() as pool:\n"
        "    future = pool.submit(compute)\n"
        "    print(future.result(timeout=60))\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the work.")
    options = Text("Off by default; enable with `extend-select = [\"CCY504\"]` or the `learn` preset.")
    valid = (
        "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join(timeout=5)\n",
        "import queue\nq = queue.Queue(10)\nitem = q.get(block=False)\n",
        "import queue\nq = queue.Queue(10)\nitem = q.get(True, 2.0)\n",
        "import threading\nev = threading.Event()\nasync def f():\n    ev.wait()\n",
    )
    invalid = (
        "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join()\n",
        "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor() as ex:\n"
        "    fut = ex.submit(print)\n    fut.result()\n",
        "import queue\nq = queue.Queue(10)\ndef consume():\n    return q.get()\n",
        "import threading\nstop = threading.Event()\nstop.wait(None)\n",
    )

    _names = frozenset(k.rsplit(".", 1)[-1] for k in SYNC_WAIT_TIMEOUT)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            return  # in async code these block the event loop: that is CCY205
        callee = self._callee(node)
        spec = SYNC_WAIT_TIMEOUT.get(callee or "")
        if spec is None:
            return
        flag = BLOCK_FLAG.get(callee or "")
        if flag is not None:
            state, value = argument(node, *flag)
            if state != MISSING and not (state == GIVEN and self._is_true(value)):
                return  # get(False) / get(block=flag): not (necessarily) blocking
        state, value = argument(node, *spec)
        if (state == MISSING or (state == GIVEN and self._no_timeout(value))) and not self._ends(
                node, callee or ""):
            shown = _shown(self, node)
            self.report(node, Text(
                "'{shown}()' waits with no timeout and never returns if the other side hangs; "
                "pass timeout=<seconds> and handle the timeout").format(
                    shown=shown))

    @staticmethod
    def _is_true(value: Optional[cst.BaseExpression]) -> bool:
        return isinstance(value, cst.Name) and value.value == "True" or (
            isinstance(value, cst.Integer) and value.value != "0")

    def _ends(self, node: cst.Call, callee: str) -> bool:
        """The code guarantees this wait an end (or has chosen to wait as long as another
        piece of work does): then a timeout adds nothing."""
        if not isinstance(node.func, cst.Attribute):
            return False
        receiver = node.func.value
        return (wait_is_over(self.ctx, node, callee)
                or self._done_future(receiver)
                or self._resolved_on_every_path(node, receiver)
                or self._stopped_before(node, receiver)
                or self._loop_bridge(node, receiver)
                or self._idle_wait(node))

    def _done_future(self, receiver: cst.BaseExpression) -> bool:
        """A future that is done where it is read: the parameter of a done-callback
        (``fut.add_done_callback(on_done)``), an item of ``as_completed(...)`` or of the
        ``done`` set of ``wait(...)``."""
        if not isinstance(receiver, cst.Name):
            return False
        name = receiver.value
        function = self.ctx.function
        if function is not None and isinstance(function.node, (cst.FunctionDef, cst.Lambda)):
            params = function.node.params.params
            if params and params[0].name.value == name and self._registered_as_done_callback(function.node):
                return True
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                break
            if (isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name)
                    and ancestor.target.value == name and self._done_futures(ancestor.iter)):
                return True
        return False

    def _registered_as_done_callback(self, function: cst.CSTNode) -> bool:
        if isinstance(function, cst.Lambda):
            ancestors = self.ctx.ancestors
            index = next((i for i, a in enumerate(ancestors) if a is function), -1)
            call = ancestors[index - 2] if index >= 2 else None
            return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in DONE_CALLBACK_REGISTRARS)
        name = function.name.value if isinstance(function, cst.FunctionDef) else None
        key = "CCY504.done_callbacks"
        registered = self.ctx.memo.get(key)
        if registered is None:
            registered = set()
            for sub in walk_body(self.ctx.module, into_scopes=True):
                if (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                        and sub.func.attr.value in DONE_CALLBACK_REGISTRARS):
                    for arg in sub.args:
                        text = dotted(arg.value)
                        if text is not None:
                            registered.add(text.rpartition(".")[2])
            self.ctx.memo[key] = registered
        return name in registered

    def _done_futures(self, iterable: cst.BaseExpression) -> bool:
        if isinstance(iterable, cst.Call):
            return self.ctx.resolve(iterable.func) == "concurrent.futures.as_completed"
        if isinstance(iterable, cst.Attribute) and iterable.attr.value == "done" \
                and isinstance(iterable.value, cst.Call):
            return self.ctx.resolve(iterable.value.func) in DONE_FUTURE_SOURCES
        if isinstance(iterable, cst.Name):
            bindings, _owner = self.ctx.lookup(iterable.value)
            for binding in bindings or ():
                made = binding.unpacked_from
                if (isinstance(made, cst.Call) and binding.unpack_index == 0
                        and self.ctx.resolve(made.func) == "concurrent.futures.wait"):
                    return True
        return False

    def _thread_targets(self, node: cst.Call, everywhere: bool) -> List[cst.FunctionDef]:
        """The bodies a thread runs: the ``target=`` of the calls that made the receiver
        (or, ``everywhere``, of every ``Thread(...)`` in this function), or the ``run``
        of a same-module ``Thread`` subclass."""
        calls = list(constructions(self.ctx, node.func.value)) if isinstance(node.func, cst.Attribute) else []
        if everywhere:
            calls += [sub for sub in walk_body(_function_or_module(self))
                      if isinstance(sub, cst.Call) and self.ctx.resolve(sub.func) in _THREAD_MAKERS]
        found: List[cst.FunctionDef] = []
        for call in calls:
            maker = self.ctx.resolve(call.func)
            state, target = argument(call, 1, "function" if maker == "threading.Timer" else "target")
            if maker in _THREAD_MAKERS and state == GIVEN and target is not None:
                defined = self.ctx.is_local_function(target)
                if defined is not None:
                    found.append(defined)
            elif self.ctx.is_local_function(call.func) is None:
                cls = self.ctx.resolve(call.func)
                run = self._method_of_local_class(cls, "run")
                if run is not None:
                    found.append(run)
        return found

    def _method_of_local_class(self, qualname: Optional[str], method: str) -> Optional[cst.FunctionDef]:
        prefix = self.ctx.local_qualname("")
        if not qualname or not qualname.startswith(prefix):
            return None
        bindings = self.ctx.module_scope.bindings.get(qualname[len(prefix):])
        classdef = bindings[0].node if bindings and len(bindings) == 1 else None
        if not isinstance(classdef, cst.ClassDef) or not isinstance(classdef.body, cst.IndentedBlock):
            return None
        for stmt in classdef.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == method:
                return stmt
        return None

    def _resolved_on_every_path(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``fut.result()`` / ``ev.wait()`` where a thread target of this function resolves
        ``fut`` (sets ``ev``) in a ``finally`` or in an ``except BaseException`` handler:
        every way the target ends signals the waiter."""
        wanted = dotted(receiver)
        if wanted is None or not isinstance(receiver, cst.Name):
            return False
        for target in self._thread_targets(node, everywhere=True):
            for sub in walk_body(target.body):
                if not isinstance(sub, cst.Try):
                    continue
                blocks: List[cst.CSTNode] = [sub.finalbody] if sub.finalbody is not None else []
                blocks += [h.body for h in sub.handlers if h.type is None
                           or self.ctx.resolve(h.type) == "builtins.BaseException"]
                if any(self._signals(block, wanted) for block in blocks):
                    return True
        return False

    @staticmethod
    def _signals(block: cst.CSTNode, wanted: str) -> bool:
        return any(isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                   and sub.func.attr.value.startswith("set") and dotted(sub.func.value) == wanted
                   for sub in walk_body(block))

    def _stopped_before(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``t.join()`` after this function told the thread to stop: it called a ``shutdown``/
        ``stop`` function or method, wrote a flag (or set an event) that the thread's loop
        condition reads, or stopped the event loop the thread runs."""
        if self.ctx.resolve(node.func) not in _JOINS:
            return False
        earlier_calls = [n for n in earlier_nodes(self.ctx, node) if isinstance(n, cst.Call)]
        if any((last_name(call.func) or "").startswith(STOP_CALL_PREFIXES) for call in earlier_calls):
            return True
        conditions: Set[str] = set()
        runs_loop = False
        for target in self._thread_targets(node, everywhere=False):
            for sub in walk_body(target.body):
                if isinstance(sub, cst.While):
                    conditions |= _chains(sub.test)
                elif (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                      and sub.func.attr.value == "run_forever"):
                    runs_loop = True
        if not conditions and not runs_loop:
            return False
        for earlier in earlier_nodes(self.ctx, node):
            if isinstance(earlier, (cst.Assign, cst.AugAssign)):
                targets = earlier.targets if isinstance(earlier, cst.Assign) else [earlier]
                if any(dotted(t.target) in conditions for t in targets):
                    return True
            elif isinstance(earlier, cst.Call) and isinstance(earlier.func, cst.Attribute):
                if earlier.func.attr.value == "set" and dotted(earlier.func.value) in conditions:
                    return True
                if runs_loop and earlier.func.attr.value == "call_soon_threadsafe" and earlier.args \
                        and isinstance(earlier.args[0].value, cst.Attribute) \
                        and earlier.args[0].value.attr.value == "stop":
                    return True
        return False

    def _loop_bridge(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``return run_coroutine_threadsafe(coro, loop).result()`` as (nearly) the whole body of
        a function: a sync twin of a coroutine, whose contract is to wait as long as it does;
        its bound belongs inside the coroutine."""
        made = receiver if isinstance(receiver, cst.Call) else None
        if made is None:
            calls = constructions(self.ctx, receiver)
            made = calls[0] if len(calls) == 1 else None
        if made is None or self.ctx.resolve(made.func) not in LOOP_BRIDGES:
            return False
        function = self.ctx.function
        body = function.node.body if function is not None and isinstance(function.node, cst.FunctionDef) else None
        if not isinstance(body, cst.IndentedBlock):
            return False
        statements = list(body.body)
        if statements and _is_docstring(statements[0]):
            statements = statements[1:]
        # the bridge and at most one more statement (``return self.session.token``)
        return len(statements) <= 2 and any(
            sub is node for statement in statements for sub in walk_body(statement))

    def _idle_wait(self, node: cst.Call) -> bool:
        """A worker's or a loop driver's wait for its next item: ``q.get()()`` (the item is
        called at once), or ``item = q.get()`` in a loop that returns or breaks when the item
        is a sentinel (``if item is None: return``)."""
        parent = self.ctx.parent
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 \
                and isinstance(parent.targets[0].target, cst.Name):
            item = parent.targets[0].target.value
        elif isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
            item = parent.target.value  # `if (item := q.get()) is None: return`
        else:
            return False
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, (cst.While, cst.For)):
                return any(isinstance(sub, cst.If) and _compares(sub.test, item)
                           and any(isinstance(x, (cst.Return, cst.Break)) for x in walk_body(sub.body))
                           for sub in walk_body(ancestor.body))
        return False


_THREAD_MAKERS = frozenset({"threading.Thread", "threading.Timer", "multiprocessing.Process"})
_JOINS = frozenset({"threading.Thread.join", "threading.Timer.join", "multiprocessing.Process.join"})


def _chains(expr: cst.CSTNode) -> Set[str]:
    """Names and attribute chains in ``expr`` with their prefixes (``self._stop.is_set`` ->
    also ``self._stop``), not a bare ``self``."""
    found: Set[str] = set()
    for sub in [expr, *walk_body(expr)]:
        chain = sub
        while isinstance(chain, (cst.Name, cst.Attribute)):
            text = dotted(chain)
            if text is not None and text not in ("self", "cls"):
                found.add(text)
            chain = chain.value if isinstance(chain, cst.Attribute) else None
    return found


def _compares(test: cst.BaseExpression, name: str) -> bool:
    """``name is None`` / ``name == SENTINEL`` / ``name is self._stop`` (either side)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    operator = test.comparisons[0].operator
    sides = [side.target if isinstance(side, cst.NamedExpr) else side
             for side in (test.left, test.comparisons[0].comparator)]
    return (isinstance(operator, (cst.Is, cst.Equal))
            and any(isinstance(side, cst.Name) and side.value == name for side in sides))


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
