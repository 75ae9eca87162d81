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
        "intended); the real pattern has its own default rule, CCY403. `advice`.",
        "在生态检查的 28 个项目上测量:第一版审查 70 条,4 条真实、31 条误报、35 条有意为"
        "之(一次性或天然有界的队列、maxsize 无法减慢的生产者)。收窄后保留 49 条(3 条真实"
        "、12 条误报、34 条有意为之);真实的模式由默认规则 CCY403 负责。为 `advice"
        "`。")
    name = "unbounded-queue"
    summary = Text("queue created without a positive `maxsize`",
                   "创建队列时没有设置正数 `maxsize`")
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
        "input is CCY403's finding (the default-set form), not this rule's as well.",
        "检查创建时没有正数 `maxsize`(缺省、`0` 或负数)的 `asyncio.Queue()`、`asyncio.LifoQueue()`、"
        "`asyncio.PriorityQueue()`、`queue.Queue()`、`queue.LifoQueue()`、`queue.PriorityQueue()`、"
        "`multiprocessing.Queue()` 和 `multiprocessing.JoinableQueue()`,以及所有 `queue.SimpleQueue()`"
        "(它根本没有容量上限)。`maxsize` 由变量或表达式给出时视为已设置。\n\n"
        "当能看到该队列的代码(它所在的函数;`self.x` 所在的类;它所在的模块)能让它保持很小时不报告:"
        "检查了它的大小(`qsize()`、`full()`),生产循环会等待它清空(`join()`),放入的只有常量信号"
        "(`{\"type\": \"startup\"}`、`None`),从局部队列中只取出固定数量的项(结果或握手通道),"
        "它是一个对象池、由 `release()` 放回借出的对象,每个生产者都等待自己那一项完成"
        "(`put_nowait((future, job))` 后 `await future`),或者从未向其中放入任何东西。\n\n"
        "消息会说明什么才有帮助。生产者可以等待时,`maxsize` 会让 `put()` 等待。生产者从不等待时"
        "(`put_nowait()`、logging 的 `QueueHandler`、被作为回调交出去的 `put`),单纯设置 maxsize 只会"
        "把增长变成 `QueueFull`,因此消息会要求制定丢弃策略。`SimpleQueue` 没有 `maxsize`:消息从不"
        "建议给它传入该参数(在 put 绝不能阻塞的地方它正是合适的类型:信号处理器、日志、从事件循环"
        "交给线程)。由读取输入的循环填充的队列由 CCY403"
        "(默认规则集中的形式)报告,本规则不再重复报告。")
    why = Text(
        "A queue is where a fast producer meets a slow consumer. Without a bound, `put()` never "
        "waits: when producers outrun consumers the queue grows until the process runs out of "
        "memory, latency grows with it, and nothing pushes back on the producer. A bounded queue "
        "makes `put()` wait (backpressure), so the producer slows down to the consumer's pace.\n\n"
        "Group: advice (the `strict` and `learn` presets; not the default set). Reviewed on 28 "
        "released projects, the round-1 form of this rule flagged 70 queues: 4 real, 31 wrong, "
        "35 intended (6 % real, 44 % wrong; the bar of the default set is at most 5 % wrong and "
        "at least 75 % real). Libraries keep unbounded queues on purpose: logging and signal "
        "handlers that must never block, event-loop-to-thread hand-offs, one-shot result "
        "channels, broker stores, test helpers. The exemptions above remove 19 of the 31 wrong "
        "findings; what remains is a best practice to weigh, not a bug. The one shape that did "
        "pass admission (a loop that reads input and waits on `put()`) is CCY403.",
        "队列是快速生产者与慢速消费者相遇的地方。没有上限时 `put()` 永远不会等待:生产快于消费时,"
        "队列会一直增长直到内存耗尽,延迟也随之增长,而生产者完全感受不到压力。有界队列会让 `put()` "
        "等待(背压),使生产者放慢到消费者的速度。\n\n"
        "分组:advice(`strict` 和 `learn` 预设;不在默认规则集中)。在 28 个已发布项目上审查,本规则"
        "第 1 轮的形式报告了 70 个队列:4 个真实,31 个错误,35 个有意为之(真实 6 %,错误 44 %;"
        "默认规则集的门槛是错误不超过 5 %、真实至少 75 %)。库会有意使用无界队列:绝不能阻塞的日志和"
        "信号处理器、从事件循环交给线程、一次性的结果通道、消息代理的存储、测试辅助代码。上面的豁免"
        "去掉了 31 个错误报告中的 19 个;剩下的是值得权衡的最佳实践,而不是缺陷。唯一通过准入的形式"
        "(读取输入、并在 `put()` 上等待的循环)是 CCY403。")
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
    fix_safety = Text("No automatic fix: the right bound depends on the workload.",
                      "没有自动修复:合适的上限取决于具体负载。")
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
                how = Text("is filled by logging's QueueHandler, which never waits",
                           "由 logging 的 QueueHandler 填充,它从不等待")
            elif use.put_callback:
                how = Text("its put method is handed out as a callback (the caller sets the pace)",
                           "它的 put 方法被作为回调交了出去(节奏由调用方决定)")
            elif use.puts:
                how = Text("is filled with put_nowait(), which never waits",
                           "通过从不等待的 put_nowait() 填充")
        if callee in ALWAYS_UNBOUNDED_QUEUES:
            message = Text(
                f"'{callee}()' has no size limit, so it grows without bound when producers outrun the "
                f"consumer; if producers may wait, use queue.Queue(maxsize=<bound>), else (signal handlers, "
                f"logging and event-loop callbacks must never block) decide what to drop when it grows",
                f"'{callee}()' 没有容量上限,生产快于消费时会无限增长;如果生产者可以等待,请改用 "
                f"queue.Queue(maxsize=<上限>),否则(信号处理器、日志和事件循环回调都不能阻塞)"
                f"请决定队列过长时丢弃什么")
        elif how is not None:
            message = Text(
                f"'{callee}()' has no positive maxsize and {how.en}, so it grows without limit when "
                f"producers outrun consumers; a maxsize alone would only make that producer fail with "
                f"QueueFull (or block its caller): decide what to drop when it is full, or let the "
                f"producer wait on put()",
                f"'{callee}()' 没有正数 maxsize,且{how.zh},生产快于消费时会无限增长;单纯设置 maxsize "
                f"只会让该生产者抛出 QueueFull(或阻塞其调用方):请决定队列满时丢弃什么,"
                f"或让生产者等待 put()")
        else:
            message = Text(
                f"'{callee}()' has no positive maxsize, so it grows without limit when producers "
                f"outrun consumers; pass maxsize=<bound> so that put() waits for the consumer",
                f"'{callee}()' 没有正数 maxsize,生产快于消费时会无限增长;请传入 maxsize=<上限>,"
                f"让 put() 等待消费者")
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
                f"'{queue}' used as a factory makes queues with no size limit ({queue} takes no maxsize); "
                f"if producers can outrun the consumer, use a factory that makes a bounded queue, "
                f"e.g. lambda: queue.Queue(maxsize=<bound>)",
                f"把 '{queue}' 用作工厂会创建没有容量上限的队列({queue} 不接受 maxsize);如果生产可能快于"
                f"消费,请使用创建有界队列的工厂,例如 lambda: queue.Queue(maxsize=<上限>)"))
        elif queue in QUEUE_MAXSIZE:
            self.report(value, Text(
                f"'{queue}' used as a factory makes queues with no maxsize; use a factory that passes "
                f"one, e.g. lambda: {queue}(maxsize=<bound>)",
                f"把 '{queue}' 用作工厂会创建没有 maxsize 的队列;请使用传入上限的工厂,"
                f"例如 lambda: {queue}(maxsize=<上限>)"))


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
        "`learn`, or the rule selected by code).",
        "在生态检查的 28 个项目上测量:1 条结果——WebSocket 接收循环用 `await q.put(msg)` 写入"
        "无界收件队列——审查为真实问题。样本外(标准库和已安装的包)的 1 条结果是读取线程排空子进程"
        "管道时阻塞的 `put()`,属于有意为之:给它设上限会重新引入管道死锁。因此默认形式只报告 await "
        "put 的协程生产者;同步的生产者线程以及测试代码由完整形式报告(`strict`、`learn`,或按代码选中"
        "本规则)。")
    quiet_in_tests = True  # test harnesses pump their own fixtures; strict/learn still report
    name = "unbounded-queue-fed-by-input"
    summary = Text("a loop that reads input fills a queue that has no `maxsize`",
                   "读取输入的循环不断填充一个没有 `maxsize` 的队列")
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
        "CCY401 matched 70 queues there: 4 real, 31 wrong, 35 intended.",
        "CCY401 在默认规则集中的收窄形式(规则目录第 2 版)。当一个没有正数 `maxsize` 的队列"
        "(`asyncio.Queue()`、`queue.Queue()`、`multiprocessing.Queue()`、janus……)由一个等待未知数量"
        "输入的循环,以在队列满时会等待的方式填充时报告:在 `async for` 中,或在每次迭代都 await 或读取"
        "某些东西(`await receive()`、`sock.recv()`、`reader.readline()`、另一个队列的 `get()`)的 "
        "`while` 循环中,对数据(而非常量信号)调用 `await q.put(x)` 或阻塞的 `q.put(x)`,并且没有其他"
        "流量控制:没有 `qsize()`/`full()` 检查,生产循环中没有 `join()`,生产者不等待自己那一项完成,"
        "也不是对象池。使用 `put_nowait()` 的生产者、回调、按定时器(`sleep`)节奏运行的循环,以及遍历"
        "已在内存中的集合的 `for` 循环,留给 CCY401(建议):maxsize 无法让这些生产者慢下来,或者数据"
        "已经在内存里了。问题报告在队列创建处,只报告一次;此时 CCY401 不再重复报告。\n\n"
        "默认形式(`default` 预设):只报告 await put 的协程(在 `async for` 或读取输入的 `while` 中"
        "`await q.put(x)`),且不检查测试代码(`tests/`、`test_*.py`、`conftest.py`……)。同步生产者——"
        "在循环中阻塞调用 `q.put(x)` 的线程——只由完整形式报告(`strict`、`learn` 或 `--select "
        "CCY403`):这样的线程常常在排空必须保持流动的管道或套接字(读取子进程 stdout 的线程:maxsize "
        "会阻塞它、塞满管道并让子进程死锁),是否设上限、设多大是设计上的决定。\n\n"
        "在 28 个已发布项目上的测量(经审查):本规则报告 1 处,判定为真实问题(websocket 接收循环填充"
        "处理器的无界收件队列),0 处错误。第 1 轮的 CCY401 在这些项目中匹配了 70 个队列:4 个真实,"
        "31 个错误,35 个有意为之。")
    why = Text(
        "The loop reads as fast as input arrives and never waits, so when the consumer is slower "
        "(a slow handler, a stalled client, an outage downstream) every item that arrives is kept "
        "in memory: latency grows, and so does the process until it is killed. With a `maxsize`, "
        "`put()` waits while the queue is full, the loop stops reading, and the pressure reaches "
        "the source (TCP windows, the ASGI server, the sender).",
        "循环在输入到达时全速读取、从不等待,因此当消费者较慢(处理器慢、客户端卡住、下游故障)时,"
        "到达的每一项都会留在内存中:延迟不断增加,进程内存也不断增长直到被杀死。设置 `maxsize` 后,"
        "队列满时 `put()` 会等待,循环停止读取,压力就会传回源头(TCP 窗口、ASGI 服务器、发送方)。")
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
    fix_safety = Text("No automatic fix: the right bound depends on the workload.",
                      "没有自动修复:合适的上限取决于具体负载。")
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
            source = Text(f"an 'async for' over '{_describe(self, loop.iter)}'",
                          f"对 '{_describe(self, loop.iter)}' 的 async for 循环")
        else:
            source = Text("a loop that waits for input", "等待输入的循环")
        self.report(node, Text(
            f"'{callee}()' has no positive maxsize and '{text}' fills it from {source.en}: when the consumer "
            f"falls behind, everything that arrives piles up in memory; pass maxsize=<bound> so that put() "
            f"waits and the loop stops reading until there is room (backpressure)",
            f"'{callee}()' 没有正数 maxsize,而 '{text}' 在{source.zh}中不断填充它:消费者跟不上时,收到的"
            f"所有数据都会堆积在内存中;请传入 maxsize=<上限>,让 put() 等待、循环在有空位之前暂停读取(背压)"))


def _awaited(put: _Put) -> bool:
    """``await q.put(x)``: a coroutine producer that a full queue would suspend."""
    parent = put.path[-1] if put.path else None
    return isinstance(parent, cst.Await) and parent.expression is put.call
