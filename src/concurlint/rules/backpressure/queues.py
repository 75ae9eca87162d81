"""Unbounded queues: CCY401 (unbounded-queue, a queue made without a maximum size whose
producer can outrun its consumer) and CCY403 (unbounded-queue-fed-by-input, the same queue
fed from a socket, stream or another input).
"""
from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from ...apis.backpressure import (
    ALWAYS_UNBOUNDED_QUEUES, QUEUE_FACTORY_TAKERS, QUEUE_CALL_NAMES, QUEUE_MAXSIZE,
)
from ...findings import Text
from ...semantics.callees import GIVEN, argument, last_name, number_value, walk_body
from ..base import Rule
from .common import _call_args, _COMPREHENSIONS, _comp_fors, _describe
from .queue_usage import (
    _FUNCTIONS, _RELEASE, _READ_CALL, _LOG_QUEUE_USERS, _Put, _QueueUse, _is_literal, _queue_use,
    _awaits_completion,
)
from .sizes import _Sizes


# ----------------------------------------------------------------------------- CCY401


class UnboundedQueue(_Sizes, Rule):
    code = "CCY401"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 70 reviewed findings of the "
        "round-1 form, 4 real, 31 wrong, 35 intended (one-shot and naturally bounded queues, "
        "producers a maxsize cannot slow). The narrowed rule keeps 49 (3 real, 12 wrong, 34 "
        "intended); the real pattern has its own default rule, CCY403. `advice`.")
    name = "unbounded-queue"
    summary = Text("queue created without a positive `maxsize`")
    what = Text(
        "Flags `asyncio.Queue()`, `asyncio.LifoQueue()`, `asyncio.PriorityQueue()`, `queue.Queue()`, "
        "`queue.LifoQueue()`, `queue.PriorityQueue()`, `multiprocessing.Queue()` and "
        "`multiprocessing.JoinableQueue()` created without a positive `maxsize` (missing, `0` or "
        "negative), and every `queue.SimpleQueue()`, which has no size limit at all. A `maxsize` "
        "given by a variable or an expression is trusted.\n\n"
        "Not flagged when the code that can see the queue (its function; its class for `self.x`; "
        "its module) keeps it small: its size is checked (`qsize()`, `full()`), the producing loop "
        "waits for it to drain (`join()`), only constant signals go in (`{\"type\": \"startup\"}`, "
        "`None`), a fixed number of items is taken out of a local queue (a result or handshake "
        "channel), it is a pool whose `release()` puts back what it handed out, every producer "
        "waits for its own item (`put_nowait((future, job))`, then `await future`), or nothing is "
        "ever put in it.\n\n"
        "The message says what would help. Where producers can wait, `maxsize` makes `put()` wait. "
        "Where they never wait (`put_nowait()`, logging's `QueueHandler`, a `put` handed out as a "
        "callback) a maxsize alone only turns growth into `QueueFull`, so the message asks for a "
        "drop policy instead. `SimpleQueue` has no `maxsize`: it is never told to take one "
        "(it is the right type where a put must never block: signal handlers, logging, hand-offs "
        "from an event loop). A queue filled by a loop that reads "
        "input is CCY403's finding (the default-set form), not this rule's as well.")
    why = Text(
        "A queue is where a fast producer meets a slow consumer. Without a bound, `put()` never "
        "waits: when producers outrun consumers the queue grows until the process runs out of "
        "memory, latency grows with it, and nothing pushes back on the producer. A bounded queue "
        "makes `put()` wait (backpressure), so the producer slows down to the consumer's pace.\n\n"
        "Group: advice (the `strict` and `learn` presets; not the default set). Reviewed on 28 "
        "released projects, the round-1 form of this rule flagged 70 queues: 4 real, 31 wrong, "
        "35 intended (real: 6 %, wrong: 44 %; the bar of the default set is wrong ≤ 5 % and "
        "real ≥ 75 %). Libraries keep unbounded queues on purpose: logging and signal "
        "handlers that must never block, event-loop-to-thread hand-offs, one-shot result "
        "channels, broker stores, test helpers. The exemptions above remove 19 of the 31 wrong "
        "findings; what remains is a best practice to weigh, not a bug. The one shape that did "
        "pass admission (a loop that reads input and waits on `put()`) is CCY403.")
    example = (
        "import asyncio\n\n"
        "async def main(urls):\n"
        "    q = asyncio.Queue()\n"
        "    for url in urls:\n"
        "        await q.put(url)\n")
    use_instead = (
        "import asyncio\n\n"
        "async def main(urls):\n"
        "    q = asyncio.Queue(maxsize=1000)\n"
        "    for url in urls:\n"
        "        await q.put(url)  # waits while the queue is full\n")
    fix_safety = Text("No automatic fix: the right bound depends on the workload.")
    valid = (
        "import asyncio\nq = asyncio.Queue(maxsize=100)\n",
        "import queue\nq = queue.Queue(64)\n",
        "import queue\ndef make(n):\n    return queue.Queue(maxsize=n)\n",
        "import asyncio\nclass Queue:\n    pass\nq = Queue()\n",
        "from multiprocessing import Queue\nq = Queue(maxsize=10)\n",
    )
    invalid = (
        "import asyncio\nq = asyncio.Queue()\n",
        "import queue as qmod\nq = qmod.Queue(maxsize=0)\n",
        "from queue import SimpleQueue\nq = SimpleQueue()\n",
        "import multiprocessing\nq = multiprocessing.Queue(-1)\n",
        "import asyncio as aio\nasync def f():\n    q = aio.PriorityQueue()\n    return q\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Subscript):
            func = func.value  # asyncio.Queue[int]()
        if isinstance(func, cst.Attribute) and func.attr.value not in QUEUE_CALL_NAMES:
            return  # cheap pre-check (a bare name may be an alias: resolve it)
        callee = self.ctx.resolve(func)
        if callee is None:
            return
        factory = QUEUE_FACTORY_TAKERS.get(callee)
        if factory is not None:
            self._check_factory(node, factory)
            return
        if callee in ALWAYS_UNBOUNDED_QUEUES:
            self._check_use(node, callee)
            return
        spec = QUEUE_MAXSIZE.get(callee)
        if spec is None:
            return
        position, keyword = spec
        positional, keywords, unknown = _call_args(node)
        if keyword in keywords:
            value: Optional[cst.BaseExpression] = keywords[keyword].value
        elif len(positional) > position:
            value = positional[position].value
        elif unknown:
            return  # maxsize may come from *args/**kwargs
        else:
            value = None
        if value is not None:
            number = number_value(value)
            if number is None or number > 0:
                return  # a positive constant, or a variable/expression we trust
        self._check_use(node, callee)

    # ------------------------------------------------------------- how the queue is used
    def _check_use(self, node: cst.Call, callee: str) -> None:
        key = ("CCY4.queue_use", id(node))  # shared by CCY401 and CCY403
        cached = self.ctx.memo.get(key)
        if cached is None:
            found = self._use_of(node)
            small = found is not None and self._stays_small(*found)
            use = found[0] if found is not None else None
            fed = None if small or use is None or callee in ALWAYS_UNBOUNDED_QUEUES else self._fed_by_input(use)
            cached = (small, use, fed)
            self.ctx.memo[key] = cached
        small, use, fed = cached
        if not small:
            self._report_queue(node, callee, use, fed)

    def _reported_feed(self, use: Optional[_QueueUse],
                   fed: Optional[Tuple["_Put", cst.CSTNode]]) -> Optional[Tuple["_Put", cst.CSTNode]]:
        """The put and loop CCY403 reports for a queue fed by input (None: no CCY403 finding)."""
        if fed is not None and use is not None and not _awaited(fed[0]) \
                and self.ctx.settings.default_form("CCY403"):
            # default form: only a coroutine that awaits the put; a thread's blocking put is
            # often a pipe or socket drain that must not stop (full form only)
            awaited = _QueueUse()
            awaited.puts = [p for p in use.puts if _awaited(p)]
            awaited.get_loops = use.get_loops
            fed = self._fed_by_input(awaited) if awaited.puts else None
        return fed

    def _report_queue(self, node: cst.Call, callee: str, use: Optional[_QueueUse],
                      fed: Optional[Tuple["_Put", cst.CSTNode]]) -> None:
        if fed is not None and self.ctx.is_enabled("CCY403") and self._reported_feed(use, fed) is not None:
            return  # one root cause, one finding: the narrower rule says more
        how = None
        if use is not None and not any(not p.nowait for p in use.puts):
            if use.log_handler:
                how = Text("is filled by logging's QueueHandler, which never waits")
            elif use.put_callback:
                how = Text("its put method is handed out as a callback (the caller sets the pace)")
            elif use.puts:
                how = Text("is filled with put_nowait(), which never waits")
        if callee in ALWAYS_UNBOUNDED_QUEUES:
            message = Text(
                "'{callee}()' has no size limit, so it grows without bound when producers outrun the "
                "consumer; if producers may wait, use queue.Queue(maxsize=<bound>), else (signal handlers, "
                "logging and event-loop callbacks must never block) decide what to drop when it grows").format(
                    callee=callee)
        elif how is not None:
            message = Text(
                "'{callee}()' has no positive maxsize and {how}, so it grows without limit when "
                "producers outrun consumers; a maxsize alone would only make that producer fail with "
                "QueueFull (or block its caller): decide what to drop when it is full, or let the "
                "producer wait on put()").format(
                    callee=callee,
                    how=how)
        else:
            message = Text(
                "'{callee}()' has no positive maxsize, so it grows without limit when producers "
                "outrun consumers; pass maxsize=<bound> so that put() waits for the consumer").format(
                    callee=callee)
        self.report(node, message)

    def _use_of(self, node: cst.Call) -> Optional[Tuple[_QueueUse, str, str]]:
        """How the queue made by ``node`` is used, where it is bound (kind, name)."""
        parent = self.ctx.parent
        target: Optional[cst.BaseExpression] = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is node:
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is node:
            target = parent.target
        elif isinstance(parent, cst.Arg) and len(self.ctx.ancestors) > 1:
            call = self.ctx.ancestors[-2]
            if isinstance(call, cst.Call) and (last_name(call.func) in _LOG_QUEUE_USERS
                                               or self._log_handler_init(call)):
                use = _QueueUse()
                use.log_handler = True
                return use, "argument", ""
            return None
        function = self.ctx.function
        if isinstance(target, cst.Name):
            name = target.value
            if function is not None:
                region: cst.CSTNode = function.node
                kind = "local"
            elif self.ctx.scope.kind == "module":
                region, kind = self.ctx.module, "module"
            else:
                return None
            return _queue_use(self, region, lambda n: isinstance(n, cst.Name) and n.value == name), kind, name
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and \
                target.value.value in ("self", "cls") and function is not None:
            cls = function.enclosing_class
            if cls is None:
                return None
            attr = target.attr.value
            return _queue_use(self, cls.node, lambda n: isinstance(n, cst.Attribute) and n.attr.value == attr
                              and isinstance(n.value, cst.Name) and n.value.value in ("self", "cls")), \
                "attribute", attr
        return None

    def _fed_by_input(self, use: _QueueUse) -> Optional[Tuple[_Put, cst.CSTNode]]:
        """A put that waits (``await q.put(x)``, a blocking ``q.put(x)``) of data, repeated by a
        loop over input of unknown size (an ``async for``, a ``while`` that reads): the producer
        a maxsize would slow down."""
        for put in use.puts:
            if put.nowait or _is_literal(put.value):
                continue
            for ancestor in reversed(put.path):
                if isinstance(ancestor, (*_FUNCTIONS, *_COMPREHENSIONS)):
                    break
                if isinstance(ancestor, cst.For):
                    # an `async for` walks a stream; a plain `for` walks data already in memory
                    if ancestor.asynchronous is not None and ancestor not in use.get_loops:
                        return put, ancestor
                    break
                if isinstance(ancestor, cst.While):
                    if ancestor not in use.get_loops and self._reads(ancestor, put.call):
                        return put, ancestor
                    break
        return None

    @staticmethod
    def _reads(loop: cst.While, put: cst.Call) -> bool:
        """Does each iteration of ``loop`` wait for input (an await other than the put, a read)?"""
        for sub in walk_body(loop.body):
            if isinstance(sub, cst.Await) and sub.expression is not put and \
                    last_name(sub.expression) not in ("sleep", "checkpoint"):
                return True  # (a producer paced by a timer is not reading input)
            if isinstance(sub, cst.Call) and sub is not put and _READ_CALL.match(last_name(sub.func) or ""):
                return True
        return False

    def _loop_bounded(self, loop: cst.CSTNode) -> bool:
        """Does ``loop`` run a known number of times (``for _ in range(5)``)?"""
        if isinstance(loop, cst.For):
            return loop.asynchronous is None and self._bounded(loop.iter, 0)
        if isinstance(loop, _COMPREHENSIONS):
            return all(f.asynchronous is None and self._bounded(f.iter, 0)
                       for f in _comp_fors(loop))  # type: ignore[arg-type]
        return False

    def _log_handler_init(self, call: cst.Call) -> bool:
        """``super().__init__(Queue(-1))`` in a subclass of logging's QueueHandler."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"
                and isinstance(func.value, cst.Call) and last_name(func.value.func) == "super"):
            return False
        function = self.ctx.function
        cls = function.enclosing_class if function is not None else None
        return isinstance(getattr(cls, "node", None), cst.ClassDef) and any(
            last_name(base.value) in _LOG_QUEUE_USERS for base in cls.node.bases)  # type: ignore[union-attr]

    def _stays_small(self, use: _QueueUse, kind: str, name: str) -> bool:
        """Does the visible code keep this queue small (so an unbounded queue is no risk)?"""
        if use.flow_control:
            return True  # its size is checked: flow control exists
        if any(p.loop is loop for loop in use.joins_in_loops for p in use.puts):
            return True  # the producing loop waits for the queue to drain
        if use.gets and any(self._puts_back(p) for p in use.puts):
            return True  # a pool: it holds objects the pool made, handed back on release
        if use.escapes or use.put_callback or use.log_handler:
            return False  # other code fills it: we cannot see how much
        if not use.puts:
            return kind == "local" or name.startswith("_")  # nothing is ever put into it
        if all(_is_literal(p.value) for p in use.puts):
            return True  # only control signals (startup/shutdown, a sentinel), not data
        if kind == "local" and use.gets and all(self._loop_bounded(loop) for loop in use.get_loops):
            return True  # a fixed number of items is taken out: a result/handshake channel
        return all(_is_literal(p.value) or _awaits_completion(p) for p in use.puts)

    @staticmethod
    def _puts_back(put: _Put) -> bool:
        function = put.function
        if not isinstance(function, cst.FunctionDef) or not _RELEASE.match(function.name.value):
            return False
        params = {p.name.value for p in function.params.params}
        return isinstance(put.value, cst.Name) and put.value.value in params

    def _check_factory(self, node: cst.Call, spec: Tuple[Optional[int], str]) -> None:
        """``field(default_factory=asyncio.Queue)``: every instance gets an unbounded queue."""
        state, value = argument(node, *spec)
        if state != GIVEN or not isinstance(value, (cst.Name, cst.Attribute)):
            return
        queue = self.ctx.resolve(value)
        if queue in ALWAYS_UNBOUNDED_QUEUES:
            self.report(value, Text(
                "'{queue}' used as a factory makes queues with no size limit ({queue} takes no maxsize); "
                "if producers can outrun the consumer, use a factory that makes a bounded queue, "
                "e.g. lambda: queue.Queue(maxsize=<bound>)").format(
                    queue=queue))
        elif queue in QUEUE_MAXSIZE:
            self.report(value, Text(
                "'{queue}' used as a factory makes queues with no maxsize; use a factory that passes "
                "one, e.g. lambda: {queue}(maxsize=<bound>)").format(
                    queue=queue))


# ----------------------------------------------------------------------------- CCY403


class UnboundedQueueFedByInput(UnboundedQueue):
    code = "CCY403"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 1 finding, a websocket receive "
        "loop feeding an unbounded inbox with `await q.put(msg)`, reviewed real. Out of sample "
        "(standard library and installed packages) its 1 finding was a reader thread's blocking "
        "`put()` draining a child's pipe, intended: bounding it would bring back the pipe "
        "deadlock. So the default form reports only coroutine producers that await the put; "
        "sync producer threads, and test code, are reported by the full form (`strict`, "
        "`learn`, or the rule selected by code).")
    quiet_in_tests = True  # test harnesses pump their own fixtures; strict/learn still report
    name = "unbounded-queue-fed-by-input"
    summary = Text("a loop that reads input fills a queue that has no `maxsize`")
    what = Text(
        "The narrowed default form of CCY401 (catalog revision 2). Flags a queue made without a "
        "positive `maxsize` (`asyncio.Queue()`, `queue.Queue()`, `multiprocessing.Queue()`, janus...) "
        "when a loop that waits for input of unknown size fills it with a put that would wait on a "
        "full queue: `await q.put(x)` or a blocking `q.put(x)` of data (not a constant signal) inside "
        "an `async for`, or inside a `while` loop whose iterations await or read something "
        "(`await receive()`, `sock.recv()`, `reader.readline()`, another queue's `get()`), when "
        "nothing else controls the flow: no `qsize()`/`full()` check, no `join()` in the producing "
        "loop, no producer waiting for its own item, not a pool. Puts with `put_nowait()`, from "
        "callbacks, timer-paced loops (`sleep`) and `for` loops over collections already in memory "
        "are left to CCY401 (advice): a maxsize would not slow those producers, or the data is "
        "already held. The finding is reported on the queue's creation, once; CCY401 then stays "
        "silent for it.\n\n"
        "Default form (the `default` preset): only a coroutine that awaits the put (`await "
        "q.put(x)` inside an `async for` or a reading `while`), and not in test code (`tests/`, "
        "`test_*.py`, `conftest.py`...). A sync producer -- a thread whose loop does a blocking "
        "`q.put(x)` -- is reported by the full form only (`strict`, `learn`, or `--select "
        "CCY403`): such a thread often drains a pipe or a socket that must keep flowing (a reader "
        "thread of a child process's stdout: a maxsize would block it, fill the pipe and "
        "deadlock the child), and the right bound, if any, is a design decision.\n\n"
        "Measured on 28 released projects (reviewed findings): the rule reports 1 finding, judged "
        "real (a websocket receive loop feeding a handler's unbounded inbox), 0 wrong. The round-1 "
        "CCY401 matched 70 queues there: 4 real, 31 wrong, 35 intended.")
    why = Text(
        "The loop reads as fast as input arrives and never waits, so when the consumer is slower "
        "(a slow handler, a stalled client, an outage downstream) every item that arrives is kept "
        "in memory: latency grows, and so does the process until it is killed. With a `maxsize`, "
        "`put()` waits while the queue is full, the loop stops reading, and the pressure reaches "
        "the source (TCP windows, the ASGI server, the sender).")
    example = (
        "import asyncio\n\n"
        "class Connection:\n"
        "    def __init__(self):\n"
        "        self.inbox = asyncio.Queue()\n\n"
        "    async def pump(self, receive):\n"
        "        while True:\n"
        "            event = await receive()\n"
        "            await self.inbox.put(event)\n")
    use_instead = (
        "import asyncio\n\n"
        "class Connection:\n"
        "    def __init__(self):\n"
        "        self.inbox = asyncio.Queue(maxsize=100)\n\n"
        "    async def pump(self, receive):\n"
        "        while True:\n"
        "            event = await receive()\n"
        "            await self.inbox.put(event)  # waits while the handler is behind\n")
    fix_safety = Text("No automatic fix: the right bound depends on the workload.")
    valid = (
        "import asyncio\nasync def pump(receive, q):\n    while True:\n        await q.put(await receive())\n",
        "import asyncio\nasync def pump(receive):\n    q = asyncio.Queue(maxsize=10)\n"
        "    while True:\n        await q.put(await receive())\n    return q\n",
        "import asyncio\nasync def feed(items):\n    q = asyncio.Queue()\n    for item in items:\n"
        "        await q.put(item)\n    return q\n",
        "import asyncio\nasync def tick():\n    q = asyncio.Queue()\n    while True:\n"
        "        await q.put(1)\n        await asyncio.sleep(1)\n    return q\n",
        "import asyncio\nclass P(asyncio.Protocol):\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def data_received(self, data):\n        self.q.put_nowait(data)\n",
        "import asyncio\nasync def pump(stream):\n    q = asyncio.Queue()\n    async for chunk in stream:\n"
        "        await q.put(chunk)\n        if q.qsize() > 10:\n            await q.join()\n    return q\n",
    )
    invalid = (
        "import asyncio\nasync def pump(stream):\n    q = asyncio.Queue()\n    async for chunk in stream:\n"
        "        await q.put(chunk)\n    return q\n",
        "import queue\ndef reader(sock):\n    lines = queue.Queue()\n    while True:\n"
        "        data = sock.recv(4096)\n        lines.put(data)\n    return lines\n",
        "import asyncio\nclass Relay:\n    def __init__(self):\n        self.out = asyncio.Queue()\n"
        "    async def run(self, inbox):\n        while True:\n            item = await inbox.get()\n"
        "            await self.out.put(item)\n",
    )

    def _check_factory(self, node: cst.Call, spec: Tuple[Optional[int], str]) -> None:
        return  # a factory's queues are filled elsewhere: CCY401


    def _report_queue(self, node: cst.Call, callee: str, use: Optional[_QueueUse],
                      fed: Optional[Tuple[_Put, cst.CSTNode]]) -> None:
        fed = self._reported_feed(use, fed)
        if fed is None:
            return
        put, loop = fed
        text = _describe(self, put.call, 40)
        if isinstance(loop, cst.For):
            source = Text("an 'async for' over '{iterable}'").format(
                iterable=_describe(self, loop.iter))
        else:
            source = Text("a loop that waits for input")
        self.report(node, Text(
            "'{callee}()' has no positive maxsize and '{text}' fills it from {source}: when the consumer "
            "falls behind, everything that arrives piles up in memory; pass maxsize=<bound> so that put() "
            "waits and the loop stops reading until there is room (backpressure)").format(
                callee=callee,
                text=text,
                source=source))


def _awaited(put: _Put) -> bool:
    """``await q.put(x)``: a coroutine producer that a full queue would suspend."""
    parent = put.path[-1] if put.path else None
    return isinstance(parent, cst.Await) and parent.expression is put.call
