"""CCY310 (asyncio-call-from-thread): asyncio loop methods and loop-bound objects used from
code that runs in another thread instead of ``call_soon_threadsafe``; owns the test of
whether a thread runs its own event loop.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ...apis.threads import (
    ASYNCIO_UNSAFE_CALLS, LOOP_BOUND_CALLS, LOOP_RUNNERS, LOOP_TYPES, LOOP_UNSAFE_METHODS,
    OWN_LOOP_FACTORIES,
)
from ...findings import Text
from ...semantics.context import Context
from ...semantics.scopes import ASSIGN, Scope
from ...semantics.threads import (
    LOOP_NAME, code_excerpt, describe_origin, last_name, positional, thread_targets_with_sites, walk_expression,
)
from ..base import Rule


# =========================================================================== CCY310
class AsyncioCallFromThread(Rule):
    code = "CCY310"

    group = "correctness"
    group_reason = Text(
        "The loop is not thread-safe: wrong whenever the loop belongs to another thread (a "
        "loop the thread runs itself is recognised, also when it runs it through "
        "`asyncio.run(...)`: the one wrong finding of the out-of-sample review was such a loop).")
    name = "asyncio-call-from-thread"
    summary = Text("a non-thread-safe asyncio API called from a worker thread")
    what = Text(
        "Inside a sync function that runs in another thread (and the same-module functions it "
        "calls), finds `loop.call_soon/call_later/call_at/create_task` on a loop the thread does not "
        "own, `asyncio.create_task/ensure_future`, `put_nowait` on an `asyncio.Queue` and "
        "`set_result/set_exception` on an asyncio future. The thread owns a loop it created "
        "(`asyncio.new_event_loop()`) or that the same function runs (`asyncio.set_event_loop(loop)`, "
        "`loop.run_forever()`, `loop.run_until_complete(...)`); `asyncio.ensure_future(...)` in a "
        "function that sets its own loop uses that loop.\n\n"
        "What runs in a thread stops at an `async def`: a coroutine function called from a thread "
        "only makes a coroutine object, and its body runs on whichever loop drives it (e.g. the "
        "loop it is sent to with `run_coroutine_threadsafe`). When the thread runs the coroutine "
        "itself (`asyncio.run(self._main())`, `loop.run_until_complete(coro)`, also in a "
        "same-module function or method it calls), the coroutine and the sync code it calls run on "
        "the thread's own loop: not reported.")
    why = Text(
        "The event loop and its objects are not thread-safe. Called from another thread, these "
        "APIs corrupt the loop's state or leave the callback waiting until something else wakes the "
        "loop. `loop.call_soon_threadsafe()` and `asyncio.run_coroutine_threadsafe()` are the safe "
        "way in.")
    example = ("import asyncio\n\n\ndef worker(loop, q: asyncio.Queue):\n    q.put_nowait(compute())\n\n\n"
               "async def main():\n    q = asyncio.Queue()\n    await asyncio.to_thread(worker, asyncio.get_running_loop(), q)\n")
    use_instead = ("import asyncio\n\n\ndef worker(loop, q: asyncio.Queue):\n"
                   "    loop.call_soon_threadsafe(q.put_nowait, compute())\n\n\n"
                   "async def main():\n    q = asyncio.Queue()\n    await asyncio.to_thread(worker, asyncio.get_running_loop(), q)\n")
    valid = (
        "import threading\ndef worker(loop):\n    loop.call_soon_threadsafe(print, 1)\n"
        "threading.Thread(target=worker, args=(None,)).start()\n",
        "import asyncio, threading\ndef worker():\n    loop = asyncio.new_event_loop()\n"
        "    loop.call_soon(print, 1)\n    loop.run_forever()\nthreading.Thread(target=worker).start()\n",
        "import asyncio, threading\ndef worker(loop):\n    asyncio.set_event_loop(loop)\n"
        "    loop.call_soon(print, 1)\n    loop.run_forever()\n"
        "threading.Thread(target=worker, args=(asyncio.new_event_loop(),)).start()\n",
        "import asyncio, threading\ndef schedule():\n    asyncio.get_running_loop().call_soon(print, 1)\n"
        "async def main():\n    schedule()\n"
        "threading.Thread(target=lambda: asyncio.run(main())).start()\n",
    )
    invalid = (
        "import threading\ndef worker(loop):\n    loop.call_soon(print, 1)\n"
        "threading.Thread(target=worker, args=(None,)).start()\n",
        "import asyncio, threading\nq = asyncio.Queue()\ndef worker():\n    q.put_nowait(1)\n"
        "threading.Thread(target=worker).start()\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        function = ctx.function
        if function is None or function.is_async:
            return
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        if name not in LOOP_UNSAFE_METHODS and name not in ("put_nowait", "set_result", "set_exception",
                                                            "create_task", "ensure_future"):
            return
        targets = thread_targets_with_sites(ctx)
        origin = targets.runs_in_thread(function.node) if targets is not None else None
        if origin is None or origin.own_loop:
            return  # not in a thread, or run by the loop the thread itself runs (asyncio.run)
        qualname = ctx.resolve(func)
        suggestion = ASYNCIO_UNSAFE_CALLS.get(qualname or "")
        if qualname in LOOP_BOUND_CALLS and _runs_loop(ctx, function, None):
            return  # the thread's own loop: set_event_loop(loop) ... ensure_future(coro)
        if suggestion is None and isinstance(func, cst.Attribute) and name in LOOP_UNSAFE_METHODS:
            receiver = func.value
            loop_type = ctx.type_of(receiver)
            if loop_type in LOOP_TYPES or (loop_type is None and LOOP_NAME.search(last_name(receiver) or "")):
                if _own_loop(ctx, receiver, function):
                    return
                suggestion = ("asyncio.run_coroutine_threadsafe(coro, loop)" if name == "create_task"
                              else "loop.call_soon_threadsafe(...)")
        if suggestion is None and name in ("set_result", "set_exception") and _made_by_create_future(
                ctx, func.value if isinstance(func, cst.Attribute) else None):
            suggestion = f"loop.call_soon_threadsafe(future.{name}, ...)"
        if suggestion is None:
            return
        where = describe_origin(ctx, function.node, origin)  # type: ignore[arg-type]
        self.report(node, Text(
            "'{call_text}' is not thread-safe and is called in {where}; use '{suggestion}'").format(
            call_text=code_excerpt(ctx, func) + "()", where=where, suggestion=suggestion))


def _made_by_create_future(ctx: Context, receiver: Optional[cst.BaseExpression]) -> bool:
    if not isinstance(receiver, cst.Name):
        return False
    bindings, _owner = ctx.lookup(receiver.value)
    return bool(bindings) and all(
        b.kind == ASSIGN and isinstance(b.node, cst.Call) and isinstance(b.node.func, cst.Attribute)
        and b.node.func.attr.value == "create_future" for b in bindings)


def _own_loop(ctx: Context, receiver: cst.BaseExpression, function: Scope) -> bool:
    """A loop this function created itself (``loop = asyncio.new_event_loop()``), or one it
    runs itself (``set_event_loop(loop)``, ``loop.run_forever()``,
    ``loop.run_until_complete(...)``): either way the calling thread owns it."""
    if _runs_loop(ctx, function, receiver):
        return True
    if isinstance(receiver, cst.Name):
        for binding in function.bindings.get(receiver.value, ()):
            if binding.kind == ASSIGN and isinstance(binding.node, cst.Call) \
                    and ctx.resolve(binding.node.func) in OWN_LOOP_FACTORIES:
                return True
        return False
    if isinstance(receiver, cst.Attribute) and isinstance(function.node, cst.FunctionDef):
        for node in walk_expression(function.node.body):
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) \
                    and ctx.resolve(node.value.func) in OWN_LOOP_FACTORIES \
                    and any(t.target.deep_equals(receiver) for t in node.targets):
                return True
    return False


def _runs_loop(ctx: Context, function: Scope, receiver: Optional[cst.BaseExpression]) -> bool:
    """Does ``function`` make ``receiver`` (any loop when None) its thread's loop or run it?"""
    if not isinstance(function.node, cst.FunctionDef):
        return False
    for node in walk_expression(function.node.body):
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in LOOP_RUNNERS:
            if receiver is None or func.value.deep_equals(receiver):
                return True
        elif last_name(func) == "set_event_loop" and ctx.resolve(func) == "asyncio.set_event_loop":
            loop = positional(node, 0)
            if loop is not None and not (isinstance(loop, cst.Name) and loop.value == "None") and (
                    receiver is None or loop.deep_equals(receiver)):
                return True
    return False
