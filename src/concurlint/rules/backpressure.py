"""CCY4: backpressure and fan-out -- unbounded queues and unbounded concurrency."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..apis.backends import advice
from ..apis.backpressure import (
    ALWAYS_UNBOUNDED_QUEUES, AWAITABLE_WRAPPERS, QUEUE_FACTORY_TAKERS, DICT_VIEWS, DRAINING_CALLS, FAN_IN_CALLS,
    MAX_KNOWN_FAN_OUT, NON_STARTING_CALLS, NON_STARTING_METHODS, OWNED_TEARDOWN_PATTERN,
    POOLED_AWAITABLES, POOLED_CLIENT_FACTORIES, POOLED_METHOD_PATTERN, QUEUE_CALL_NAMES, QUEUE_MAXSIZE,
    SEMAPHORE_TYPES, SIZE_PRESERVING, TASK_SCOPES, TASK_STARTERS, TEARDOWN_NAMES, TEARDOWN_PATTERN,
    DRAINING_METHODS, POOLED_METHODS,
)
from ..findings import Text
from ..semantics.callees import (
    GIVEN, argument, definition_of, function_scope, last_name, number_value, walk_body,
)
from ..semantics.scopes import ASSIGN, IMPORT, Scope
from ..semantics.traversal import iter_children
from .base import Rule

if TYPE_CHECKING:
    from ..semantics.context import Context

# ----------------------------------------------------------------------------- helpers


def _call_args(call: cst.Call) -> Tuple[List[cst.Arg], Dict[str, cst.Arg], bool]:
    """Positional args, keyword args, and whether ``*``/``**`` make the rest unknown."""
    positional: List[cst.Arg] = []
    keywords: Dict[str, cst.Arg] = {}
    unknown = False
    for arg in call.args:
        if arg.star:
            unknown = True
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = arg
        else:
            positional.append(arg)
    return positional, keywords, unknown


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
# Names people give semaphores and limiters (when their type cannot be seen).
_SEMAPHORE_NAME = re.compile(
    r"(?i)(^|_)(sem|sema|semaphore|semaphores|limiter|limit|throttle|throttler|concurrency|"
    r"capacity|slots?|bounded)$|semaphore")
_TASK_OWNER_NAME = re.compile(r"(?i)(loop|^tg$|_tg$|task_?group|group|nursery)$")
# Names people give locks (as CCY301's default lock-name-pattern): a lock handed to the
# code that does the work serialises it.
_LOCK_NAME = re.compile(r"(?i)(^|_)(r?lock|mutex)$")
_LOCK_TYPES = frozenset({"asyncio.Lock", "trio.Lock", "anyio.Lock", "trio.StrictFIFOLock"})
_POOLED_METHOD = re.compile(POOLED_METHOD_PATTERN)
_TEARDOWN = re.compile(TEARDOWN_PATTERN)
_OWNED_TEARDOWN = re.compile(OWNED_TEARDOWN_PATTERN)
_WORKER_SOURCE = re.compile(r"(?i)(queue|^q$|_q$|channel|inbox|jobs|work)")


# (started function, its arguments, the unknown iterable, the loop/comprehension)
_Source = Tuple[cst.BaseExpression, Sequence[cst.Arg], cst.CSTNode, Optional[cst.CSTNode]]


# Collections of registered callables (signal receivers, hooks, plugins): the program sizes
# them, not its input, so starting each of them at once is dispatch, not unbounded fan-out.
_CALLABLE_REGISTRY = re.compile(
    r"(?i)(receiver|handler|callback|hook|plugin|middleware)s?$")


def _names_in_target(target: cst.BaseExpression, out: Set[str]) -> None:
    if isinstance(target, cst.Name):
        out.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _names_in_target(element.value, out)
    elif isinstance(target, cst.StarredElement):
        _names_in_target(target.value, out)


def _target_names(construct: Optional[cst.CSTNode]) -> Set[str]:
    """Names a ``for`` loop or a comprehension binds for each item."""
    names: Set[str] = set()
    if isinstance(construct, cst.For):
        _names_in_target(construct.target, names)
    elif isinstance(construct, _COMPREHENSIONS):
        for comp_for in _comp_fors(construct):  # type: ignore[arg-type]
            _names_in_target(comp_for.target, names)
    return names


_ROOT_THROUGH = frozenset({"getattr", "list", "tuple", "set", "frozenset", "sorted", "reversed",
                           "enumerate", "iter"})


def _root(expr: cst.BaseExpression) -> Optional[str]:
    """``a.b[c].d()`` -> ``a``: the name an expression is reached from."""
    for _ in range(12):
        if isinstance(expr, cst.Call):
            name = expr.func.value if isinstance(expr.func, cst.Name) else None
            if name in _ROOT_THROUGH and expr.args and not expr.args[0].star:
                expr = expr.args[0].value  # getattr(item, m), list(self.items): the object itself
            else:
                expr = expr.func
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        else:
            break
    return expr.value if isinstance(expr, cst.Name) else None


def _is_stub(function: cst.FunctionDef) -> bool:
    """An abstract method or a body left to subclasses: docstring, ``pass``, ``...``, ``raise``."""
    if any(last_name(d.decorator) in ("abstractmethod", "overload") for d in function.decorators):
        return True
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else function.body.body
    for statement in body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
        for small in smalls:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.Ellipsis,
                                                                         cst.ConcatenatedString)):
                continue
            return False
    return True


def _is_task_helper(call: cst.Call) -> bool:
    """A project helper that schedules what it is given (``spawn(x)``, ``create_eager_task(coro)``)."""
    return "task" in (last_name(call.func) or "").lower() and bool(call.args) \
        and call.args[0].keyword is None and not call.args[0].star


def _is_wrapper(name: Optional[str], call: cst.Call) -> bool:
    """``wait_for(f(x), 5)``, ``create_eager_task(f(x))``: the first argument does the work."""
    if not call.args or not isinstance(call.args[0].value, cst.Call) or call.args[0].keyword is not None:
        return False
    if name in AWAITABLE_WRAPPERS:
        return True
    last = last_name(call.func) or ""
    return "task" in last.lower()  # project helpers that schedule a coroutine


def _comp_fors(comp: cst.BaseComp) -> List[cst.CompFor]:
    fors = []
    current: Optional[cst.CompFor] = comp.for_in
    while current is not None:
        fors.append(current)
        current = current.inner_for_in
    return fors


def _describe(ctx_rule: Rule, expr: cst.CSTNode, limit: int = 40) -> str:
    text = ctx_rule.ctx.module.code_for_node(expr).strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callee_text(rule: Rule, started: cst.BaseExpression) -> str:
    """``self._zha.devices[m.ieee].async_add_to_group`` -> ``...async_add_to_group``."""
    text = _describe(rule, started, 1000)
    if len(text) <= 32:
        return text
    name = last_name(started)
    return f"...{name}" if name else _describe(rule, started, 32)


# ----------------------------------------------------------------------------- queue usage

_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_FUNCTIONS = (cst.FunctionDef, cst.Lambda)
# Methods that hand a pooled object back (the queue then holds what the pool made).
_RELEASE = re.compile(r"(?i)^_*(release|put|put_?back|give_?back|check_?in|return\w*|recycle|reuse)$")
# Calls that make something a producer can wait on for its own item.
_COMPLETION_MAKERS = frozenset({"create_future", "Future", "Event"})
# Calls that look at a queue without taking it over.
_HARMLESS_CALLS = frozenset({"builtins.isinstance", "builtins.len", "builtins.id", "builtins.print",
                             "builtins.repr", "builtins.str", "builtins.type"})
# Calls that read input (a socket, a stream, a file, another queue).
_READ_CALL = re.compile(r"(?i)^(a?recv\w*|read\w*|receive\w*|get|next|accept|fetch\w*|poll\w*)$")
# logging's queue handler enqueues with put_nowait; its listener is the consumer.
_LOG_QUEUE_USERS = frozenset({"QueueHandler", "QueueListener"})


class _Put:
    def __init__(self, call: cst.Call, nowait: bool, loop: Optional[cst.CSTNode],
                 function: Optional[cst.CSTNode], value: Optional[cst.BaseExpression],
                 path: Tuple[cst.CSTNode, ...] = ()) -> None:
        self.call = call
        self.path = path  # its ancestors, outermost first
        self.nowait = nowait
        self.loop = loop  # the innermost loop repeating the put, if any
        self.function = function  # the innermost def/lambda around it
        self.value = value  # the item put


class _QueueUse:
    """How the code that can see a queue uses it (its function, class or module)."""

    def __init__(self) -> None:
        self.puts: List[_Put] = []
        self.get_loops: List[cst.CSTNode] = []  # the loops around gets (one per get in a loop)
        self.gets = 0
        self.flow_control = False  # qsize()/full() checks, join() in a producing loop
        self.escapes = False  # handed on: other code may put into it
        self.put_callback = False  # `q.put`/`q.put_nowait` handed on as a callback
        self.log_handler = False  # given to logging's QueueHandler/QueueListener
        self.joins_in_loops: List[cst.CSTNode] = []


def _is_literal(expr: Optional[cst.BaseExpression]) -> bool:
    """A constant item: ``None``, ``{"type": "startup"}``, ``("stop", 0)``, ``SENTINEL``."""
    if expr is None:
        return True
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in ("None", "True", "False") or expr.value.isupper()
    if isinstance(expr, cst.Attribute):  # an enum member or a module constant
        return expr.attr.value.isupper()
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return all(not isinstance(e, cst.StarredElement) and _is_literal(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _is_literal(e.key) and _is_literal(e.value)
                   for e in expr.elements)
    if isinstance(expr, cst.UnaryOperation):
        return _is_literal(expr.expression)
    return False


def _put_is_nowait(call: cst.Call, method: str) -> bool:
    if method == "put_nowait":
        return True
    state, value = argument(call, 1, "block")
    return state == GIVEN and isinstance(value, cst.Name) and value.value == "False"


def _queue_use(rule: Rule, region: cst.CSTNode, is_ref) -> _QueueUse:  # type: ignore[no-untyped-def]
    """Walk ``region`` (with parents) and classify every reference ``is_ref`` accepts."""
    use = _QueueUse()
    stack: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = [(region, ())]
    while stack:
        node, path = stack.pop()
        if is_ref(node):
            _classify(rule, use, node, path)
            continue
        below = path + (node,)
        for child in iter_children(node):
            stack.append((child, below))
    return use


def _classify(rule: Rule, use: _QueueUse, node: cst.CSTNode, path: Tuple[cst.CSTNode, ...]) -> None:
    parent = path[-1] if path else None
    if (isinstance(parent, cst.Attribute) and parent.attr is node) or \
            (isinstance(parent, cst.Arg) and parent.keyword is node) or \
            isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName)):
        return  # a name that merely looks the same
    if isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.Del)) or \
            (isinstance(parent, (cst.AnnAssign, cst.For)) and parent.target is node):
        return  # (re)binding it, not using it
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in ("sync_q", "async_q"):
        _classify(rule, use, parent, path[:-1])  # janus: the two ends of one queue
        return
    if isinstance(parent, cst.Attribute) and parent.value is node:
        method = parent.attr.value
        call = path[-2] if len(path) > 1 else None
        if not (isinstance(call, cst.Call) and call.func is parent):
            if method in ("put", "put_nowait"):
                use.put_callback = True  # the bound method is someone's callback
            elif method == "queue" and isinstance(call, cst.Arg):
                use.flow_control = True  # len(q.queue): a size check
            return
        loop, function = _loop_and_function(path[:-2])
        if method in ("put", "put_nowait"):
            value = call.args[0].value if call.args and not call.args[0].star else None
            use.puts.append(_Put(call, _put_is_nowait(call, method), loop, function, value, path[:-2]))
        elif method in ("get", "get_nowait"):
            use.gets += 1
            if loop is not None:
                use.get_loops.append(loop)
        elif method in ("qsize", "full"):
            use.flow_control = True
        elif method == "join" and loop is not None:
            use.joins_in_loops.append(loop)
        return
    if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.BooleanOperation,
                           cst.UnaryOperation, cst.IfExp)):
        return  # `if q is None`, `if not q`: a test
    if isinstance(parent, cst.Arg) and len(path) > 1 and isinstance(path[-2], cst.Call):
        callee = path[-2].func
        if last_name(callee) in _LOG_QUEUE_USERS:
            use.log_handler = True
            return
        if rule.ctx.resolve(callee) in _HARMLESS_CALLS:
            return
    use.escapes = True


def _loop_and_function(path: Sequence[cst.CSTNode]) -> Tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
    loop: Optional[cst.CSTNode] = None
    function: Optional[cst.CSTNode] = None
    for ancestor in reversed(path):
        if loop is None and isinstance(ancestor, _LOOPS):
            loop = ancestor
        if function is None and isinstance(ancestor, _FUNCTIONS):
            function = ancestor
    return loop, function


def _awaits_completion(put: _Put) -> bool:
    """``fut = loop.create_future(); q.put_nowait((fut, job)); return await fut``: the
    producer waits for its own item, so the queue holds at most one item per caller."""
    if put.function is None or not isinstance(put.value, (cst.Tuple, cst.List)):
        return False
    names = {e.value.value for e in put.value.elements if isinstance(e.value, cst.Name)}
    made: Set[str] = set()
    waited: Set[str] = set()
    for sub in walk_body(put.function):
        if isinstance(sub, cst.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0].target, cst.Name) \
                and isinstance(sub.value, cst.Call) and last_name(sub.value.func) in _COMPLETION_MAKERS:
            made.add(sub.targets[0].target.value)
        elif isinstance(sub, cst.Await):
            waited.update(walk_names(sub.expression))
        elif isinstance(sub, cst.Return) and sub.value is not None:
            waited.update(walk_names(sub.value))
    return bool(names & made & waited)


def walk_names(expr: Optional[cst.CSTNode]) -> Iterator[str]:
    if expr is None:
        return
    if isinstance(expr, cst.Name):
        yield expr.value
    for sub in walk_body(expr):
        if isinstance(sub, cst.Name):
            yield sub.value


# ----------------------------------------------------------------------------- sizes


class _Sizes:
    """Known and unknown collection sizes (catalog: CCY402 "unknown size"), shared by both rules."""

    ctx: "Context"

    def _batch_names(self) -> Set[str]:
        """Names bound by enclosing ``for`` loops of this function (their items are batches)."""
        names: Set[str] = set()
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name):
                names.add(ancestor.target.value)
        return names

    def _bounded(self, expr: cst.BaseExpression, depth: int) -> bool:
        """Is ``expr`` an iterable of known, small size (per the catalog)?"""
        if depth > 6:
            return False
        if _CALLABLE_REGISTRY.search(last_name(expr) or ""):
            return True  # registered receivers/handlers: sized by the program, not by its input
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(not isinstance(e, cst.StarredElement) or self._bounded(e.value, depth + 1)
                       for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(not isinstance(e, cst.StarredDictElement) for e in expr.elements)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
        if isinstance(expr, _COMPREHENSIONS):
            return all(f.asynchronous is None and self._bounded(f.iter, depth + 1)
                       for f in _comp_fors(expr))  # type: ignore[arg-type]
        if isinstance(expr, cst.Call):
            return self._bounded_call(expr, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
            for seq, times in ((expr.left, expr.right), (expr.right, expr.left)):
                count = number_value(times)
                if count is not None and isinstance(seq, (cst.List, cst.Tuple, cst.SimpleString)):
                    size = len(seq.elements) if isinstance(seq, (cst.List, cst.Tuple)) else 1
                    return size * count <= MAX_KNOWN_FAN_OUT
            return False
        if isinstance(expr, cst.Subscript):
            return self._bounded_slice(expr)
        if isinstance(expr, cst.Name):
            if expr.value in self._batch_names():
                return True
            bindings, owner = self.ctx.lookup(expr.value)
            if not bindings or owner is None or len(bindings) != 1:
                return False
            binding = bindings[0]
            if binding.kind == IMPORT and binding.qualname:
                return self._project_constant(binding.qualname)
            if binding.kind != ASSIGN or binding.with_item or not isinstance(binding.node, cst.BaseExpression):
                return False
            if owner is self.ctx.function:
                return self._bounded(binding.node, depth + 1)
            if owner is self.ctx.module_scope:  # a module constant: only a literal counts
                return isinstance(binding.node, (cst.List, cst.Tuple, cst.Set, cst.Dict)) and \
                    self._bounded(binding.node, depth + 1)
        if isinstance(expr, cst.Attribute) and expr.attr.value.isupper():
            qualname = self.ctx.resolve(expr)  # const.PLATFORMS
            return qualname is not None and self._project_constant(qualname)
        return False

    def _project_constant(self, qualname: str) -> bool:
        """An UPPER_CASE literal collection of another project module (``from .const import PLATFORMS``)."""
        project = self.ctx.project
        size = project.constant_size(qualname) if project is not None else None
        return size is not None and size <= MAX_KNOWN_FAN_OUT

    def _bounded_call(self, call: cst.Call, depth: int) -> bool:
        name = self.ctx.resolve(call.func)
        positional, _keywords, unknown = _call_args(call)
        if name == "builtins.range":
            if unknown or not positional:
                return False
            values = [number_value(a.value) for a in positional]
            if any(v is None for v in values):
                return True  # range(n): a worker count, not a collection
            ints = [int(v) for v in values]  # type: ignore[arg-type]
            try:
                return len(range(*ints)) <= MAX_KNOWN_FAN_OUT
            except (ValueError, TypeError, OverflowError):
                return False
        if name in SIZE_PRESERVING:
            index = SIZE_PRESERVING[name]
            return len(positional) > index and not unknown and self._bounded(positional[index].value, depth + 1)
        if name == "builtins.zip":
            return any(self._bounded(a.value, depth + 1) for a in positional)
        if name == "itertools.islice" and len(positional) >= 2:
            stop = number_value(positional[-2].value if len(positional) == 3 else positional[1].value)
            return stop is not None and stop <= MAX_KNOWN_FAN_OUT
        if (isinstance(call.func, cst.Attribute) and call.func.attr.value in DICT_VIEWS
                and not call.args):
            return self._bounded(call.func.value, depth + 1)
        return False

    def _bounded_slice(self, expr: cst.Subscript) -> bool:
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Slice):
            return False
        piece = expr.slice[0].slice
        lower = number_value(piece.lower) if piece.lower is not None else None
        upper = number_value(piece.upper) if piece.upper is not None else None
        if piece.upper is not None and upper is not None and upper >= 0:
            start = lower if (lower is not None and lower >= 0) else 0
            if piece.lower is None or lower is not None:
                return upper - start <= MAX_KNOWN_FAN_OUT
        if piece.upper is None and lower is not None and lower < 0:
            return -lower <= MAX_KNOWN_FAN_OUT
        if piece.lower is not None and piece.upper is not None and (lower is None or upper is None):
            return True  # xs[i:i + size]: one batch of a batching loop
        return False



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


# ----------------------------------------------------------------------------- CCY402


class UnboundedFanOut(_Sizes, Rule):
    code = "CCY402"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 145 reviewed findings, 1 real, "
        "18 wrong, 126 intended (program- and account-sized collections, limits inside "
        "libraries, local dispatch). No narrower form reached the bar (CCY404 was not "
        "created), so `advice`.",
        "在生态检查的 28 个项目上测量:审查 145 条,1 条真实、18 条误报、126 条有意为之"
        "(程序或账号规模的集合、库内部的限制、本地分发)。没有任何收窄形式达到准入标准(因此没有创建 C"
        "CY404),为 `advice`。")
    name = "unbounded-fan-out"
    summary = Text("every item of a collection of unknown size is started at once",
                   "对大小未知的集合中的每一项同时启动任务")
    what = Text(
        "Flags starting one coroutine or task per item of a collection whose size is not known "
        "in the code -- `asyncio.gather(*(f(x) for x in xs))`, `gather(*[f(x) for x in xs])`, "
        "`as_completed(...)`/`wait(...)` over such a list, `[create_task(f(x)) for x in xs]`, "
        "`create_task(...)`/`tg.create_task(...)`/`start_soon(...)` inside a `for` loop -- when "
        "nothing limits how many run at once. A semaphore acquired with `async with` in the "
        "started coroutine (same-module function, nested function or method of the same class) "
        "or in the enclosing function, a fixed set of workers reading from a queue, and loops "
        "that wait for each batch (`await gather(...)` inside the loop) count as limits. "
        "Literals, `range(<constant <= 100>)`, constant slices and `range(n)` worker counts are "
        "not flagged; nor is work handed to an executor (bounded by `max_workers`), nor a "
        "broadcast over objects the program already holds (a method of each item, "
        "`conn.close()` for each connection, or a teardown coroutine such as `shutdown`/`stop`), "
        "nor dispatch to registered callables: calling each item of the loop "
        "(`receiver(event) for receiver in receivers`) or iterating a collection named like a "
        "registry of code (`*receivers`, `*handlers`, `*callbacks`, `*hooks`, `*plugins`, "
        "`*middleware`), whose size the program sets, not its input.\n\n"
        "Also counted as limits or as no fan-out (revision 2): executor work inside a gather "
        "(`run_in_executor`, `to_thread`, `run_sync` and framework wrappers whose name says "
        "executor, such as `add_executor_job`); requests of a client from `async with "
        "session.create_client(...)` (a connection pool of fixed size); a lock or semaphore the "
        "started coroutine hands to the code it calls; a same-module coroutine that never awaits "
        "(it runs to its end as soon as it starts); futures from `create_future()` (nothing is "
        "started); teardown (a callee named with close, disconnect, shutdown, unload, teardown, "
        "unsubscribe or terminate, or with remove, cancel, stop, release, delete over a "
        "collection the instance holds, `self.x`); calling what each item holds "
        "(`item[\"on_fail\"]()`, `getattr(item, name)()`, `start_soon(task) for task in tasks`, a "
        "callable unpacked from each item of a stream, `spawn(coro) for coro in coros`); and "
        "UPPER_CASE literal collections imported from another module of the project "
        "(`from .const import PLATFORMS`). The message names the limiter of the code's own "
        "library (`asyncio.Semaphore`, `trio.CapacityLimiter`, `anyio.CapacityLimiter`); it says "
        "to acquire it inside the started coroutine only when that coroutine is the project's "
        "own, and otherwise to wrap each call in `async with`. Items received by an `async for` "
        "are called items received from the stream, not items of a collection.",
        "检查对大小在代码中未知的集合的每一项都启动一个协程或任务的写法:"
        "`asyncio.gather(*(f(x) for x in xs))`、`gather(*[f(x) for x in xs])`、对这类列表调用 "
        "`as_completed(...)`/`wait(...)`、`[create_task(f(x)) for x in xs]`、在 `for` 循环中调用 "
        "`create_task(...)`/`tg.create_task(...)`/`start_soon(...)`,且没有任何东西限制同时运行的数量。"
        "在被启动的协程(同模块函数、嵌套函数或同类方法)或外层函数中用 `async with` 获取的信号量、"
        "从队列取任务的固定数量 worker、以及在循环内等待每一批完成(循环内 `await gather(...)`)"
        "都算作限制。字面量、`range(<常量 <= 100>)`、常量切片以及表示 worker 数量的 `range(n)` "
        "不会被标记;交给线程池执行的任务(受 `max_workers` 限制)也不会;对程序已持有的对象逐个调用"
        "(调用每一项自身的方法,如对每个连接 `conn.close()`,或 `shutdown`/`stop` 这类收尾协程)"
        "属于广播,同样不会被标记;分发给已注册的可调用对象也不会:逐个调用循环中的每一项"
        "(`receiver(event) for receiver in receivers`),或遍历名字表明是代码注册表的集合"
        "(`*receivers`、`*handlers`、`*callbacks`、`*hooks`、`*plugins`、`*middleware`),"
        "其大小由程序决定,而不是由输入决定。\n\n"
        "以下情况也算作限制或并非扇出(第 2 版):gather 中交给线程池的工作(`run_in_executor`、"
        "`to_thread`、`run_sync`,以及名字表明是 executor 的框架包装,如 `add_executor_job`);"
        "来自 `async with session.create_client(...)` 的客户端发出的请求(固定大小的连接池);被启动的"
        "协程把锁或信号量交给它调用的代码;从不 await 的同模块协程(一启动就运行到结束);"
        "`create_future()` 创建的 future(没有启动任何东西);收尾操作(被调用者名字中带有 close、"
        "disconnect、shutdown、unload、teardown、unsubscribe 或 terminate,或者在实例持有的集合 "
        "`self.x` 上带有 remove、cancel、stop、release、delete);调用每一项所持有的东西"
        "(`item[\"on_fail\"]()`、`getattr(item, name)()`、`start_soon(task) for task in tasks`、"
        "从流中每一项解包出的可调用对象、`spawn(coro) for coro in coros`);以及从项目其他模块导入的"
        "大写字面量集合(`from .const import PLATFORMS`)。消息会给出代码所用库的限流器"
        "(`asyncio.Semaphore`、`trio.CapacityLimiter`、`anyio.CapacityLimiter`);只有当被启动的协程"
        "属于本项目时,才建议在其中获取它,否则建议用 `async with` 包住每次调用。由 `async for` 收到的"
        "项会被描述为从流中收到的项,而不是某个集合的项。")
    why = Text(
        "The number of concurrent operations then equals the size of the input. With ten URLs "
        "that is fine; with a hundred thousand it opens a hundred thousand sockets at once, "
        "exhausts file descriptors and memory, and floods the downstream service until it "
        "rate-limits or falls over. Concurrency should be a number you chose, not the length of "
        "whatever list arrived.\n\n"
        "Group: advice (the `strict` and `learn` presets; not the default set). Reviewed on 28 "
        "released projects, the round-1 form flagged 145 fan-outs: 1 real, 18 wrong, 126 intended "
        "(0.7 % real, 12 % wrong; the default set needs at most 5 % wrong and at least 75 % real). "
        "In released code most fan-outs run over collections that are small by nature (the "
        "devices of one account, an integration's platforms, configured entries) or over calls "
        "that a library already bounds (connection pools, a radio's request semaphore, a "
        "crawler's download slots), which no check of one module can see; the revision-2 "
        "exemptions remove 12 of the wrong findings, and the message now says only that nothing "
        "in this code limits the fan-out. A narrowed default form (a collection from outside the "
        "function, network or database I/O per item, no limiter reachable) was measured on the "
        "reviewers' notes and not created: 32 of the 145 findings match it, 1 of them is real "
        "and 5 are wrong.",
        "这样同时进行的操作数就等于输入的大小。10 个 URL 没问题;十万个 URL 就会同时打开十万个连接,"
        "耗尽文件描述符和内存,并压垮下游服务直到被限流或宕机。并发度应该是你选定的数字,"
        "而不是碰巧传进来的列表长度。\n\n"
        "分组:advice(`strict` 和 `learn` 预设;不在默认规则集中)。在 28 个已发布项目上审查,本规则"
        "第 1 轮的形式报告了 145 处扇出:1 处真实,18 处错误,126 处有意为之(真实 0.7 %,错误 12 %;"
        "默认规则集要求错误不超过 5 %、真实至少 75 %)。在已发布的代码中,大多数扇出遍历的集合天然"
        "很小(一个账号下的设备、一个集成的平台、配置的条目),或者调用本身已被库限制(连接池、无线电"
        "请求信号量、爬虫的下载槽位),这些都无法在单个模块中看出;第 2 版的豁免去掉了 12 个错误报告,"
        "消息也只说明这段代码中没有任何东西限制扇出。收窄的默认形式(来自函数外部的集合、每一项都有"
        "网络或数据库 I/O、没有可达的限流器)按审查者的记录做了测量,没有创建:145 处中有 32 处符合,"
        "其中 1 处真实,5 处错误。")
    example = (
        "import asyncio\n\n"
        "async def crawl(session, urls):\n"
        "    return await asyncio.gather(*(fetch(session, u) for u in urls))\n")
    use_instead = (
        "import asyncio\n\n"
        "async def crawl(session, urls, limit=10):\n"
        "    sem = asyncio.Semaphore(limit)\n\n"
        "    async def bounded(u):\n"
        "        async with sem:\n"
        "            return await fetch(session, u)\n\n"
        "    return await asyncio.gather(*(bounded(u) for u in urls))\n")
    fix_safety = Text("No automatic fix: choosing the limit is a design decision.",
                      "没有自动修复:并发上限需要由你来决定。")
    valid = (
        "import asyncio\nasync def main():\n    await asyncio.gather(*(work(i) for i in range(3)))\n",
        "import asyncio\nasync def main(n):\n    ts = [asyncio.create_task(worker()) for _ in range(n)]\n"
        "    await asyncio.gather(*ts)\n",
        "import asyncio\nsem = asyncio.Semaphore(5)\nasync def fetch(u):\n    async with sem:\n"
        "        return u\nasync def main(urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n",
        "import asyncio\nasync def main():\n    urls = ['a'] * 20\n"
        "    await asyncio.gather(*[fetch(u) for u in urls])\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef main(urls):\n"
        "    with ThreadPoolExecutor(4) as ex:\n        return [ex.submit(get, u) for u in urls]\n",
    )
    invalid = (
        "import asyncio\nasync def crawl(urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n",
        "import asyncio\nasync def crawl(urls):\n    tasks = [asyncio.create_task(fetch(u)) for u in urls]\n"
        "    await asyncio.wait(tasks)\n",
        "import asyncio\nasync def crawl(urls):\n    async with asyncio.TaskGroup() as tg:\n"
        "        for u in urls:\n            tg.create_task(fetch(u))\n",
        "import asyncio as aio\nasync def crawl(urls):\n    for u in aio.as_completed([fetch(u) for u in urls]):\n"
        "        await u\n",
    )

    _STARTER_NAMES = frozenset({
        "create_task", "ensure_future", "start_soon", "start", "run_coroutine_threadsafe",
        "gather", "as_completed", "wait",
    })

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value not in self._STARTER_NAMES:
            return  # cheap pre-check (a bare name may be an alias: resolve it)
        callee = self.ctx.resolve(node.func)
        guessed = callee is None
        if callee is None:
            callee = self._untyped_starter(node)
            if callee is None:
                return
        if callee in TASK_STARTERS:
            self._check_starter(node, callee, guessed)
        elif callee in FAN_IN_CALLS:
            self._check_fan_in(node, callee)

    def _untyped_starter(self, node: cst.Call) -> Optional[str]:
        """``loop.create_task(f())`` / ``tg.start_soon(f)`` on a receiver of unknown type."""
        func = node.func
        if not isinstance(func, cst.Attribute) or not node.args:
            return None
        method = func.attr.value
        if method == "start_soon":
            return "anyio.abc.TaskGroup.start_soon"
        if method != "create_task":
            return None
        receiver = last_name(func.value)
        if receiver and _TASK_OWNER_NAME.search(receiver):
            return "asyncio.AbstractEventLoop.create_task"
        first = node.args[0].value
        if isinstance(first, cst.Call):
            definition = definition_of(self.ctx, first.func)
            if definition is not None and definition[0].asynchronous is not None:
                return "asyncio.AbstractEventLoop.create_task"
        return None

    # ------------------------------------------------------------- task starters
    def _check_starter(self, node: cst.Call, callee: str, guessed: bool = False) -> None:
        parent = self.ctx.parent
        if isinstance(parent, cst.Await):
            return  # awaited right away: one at a time
        loops = self._repeating(node)
        if not loops:
            return
        target = self._assigned_name(node)
        unknown: Optional[cst.CSTNode] = None
        for loop, inner in loops:
            if isinstance(loop, (cst.For, cst.While)) and self._drains(loop, inner, target):
                return
        for loop, _inner in loops:
            iterable = self._unknown_iterable(loop)
            if iterable is not None:
                unknown = iterable
                break
        if unknown is None:
            return
        positional, keywords, _ = _call_args(node)
        first = positional[0].value if positional else (
            keywords["coro"].value if "coro" in keywords else None)
        if first is None:
            return
        mode = TASK_STARTERS[callee]
        started, started_args = self._started(first, mode, positional)
        if started is None:
            return
        targets: Set[str] = set()
        for loop, _inner in loops:
            targets |= _target_names(loop)
        if mode == "callable" and not isinstance(started, cst.Attribute) and \
                self._from_item(started, targets, 0):
            return  # `start_soon(task) for task in tasks`: running the callables it was given
        if self._exempt(started, started_args, targets, unknown):
            return
        what = _callee_text(self, started)
        it = _describe(self, unknown)
        stream = self._is_stream(unknown)
        remedy = self._remedy(started, callee, guessed)
        self.report(node, Text(
            f"a task running '{what}' is started for every item "
            f"{'received from' if stream else 'of'} '{it}', and nothing in this code limits how many "
            f"run at once; {remedy.en}",
            f"对{'从' if stream else ''} '{it}' {'收到' if stream else ''}的每一项都启动一个运行 '{what}' 的任务,"
            f"而这段代码中没有任何东西限制同时运行的数量;{remedy.zh}"))

    def _started(self, first: cst.BaseExpression, mode: str, positional: Sequence[cst.Arg],
                 ) -> Tuple[Optional[cst.BaseExpression], Sequence[cst.Arg]]:
        """The function that actually runs, and the arguments it gets."""
        if mode == "callable":
            return first, positional[1:]
        depth = 0
        while isinstance(first, cst.Call) and depth < 4:
            name = self.ctx.resolve(first.func)
            if self._pooled(name, first.func) or self._non_starting(name, first.func):
                return None, ()
            if _is_wrapper(name, first):
                first = first.args[0].value
                depth += 1
                continue
            return first.func, first.args
        return None, ()

    def _assigned_name(self, node: cst.Call) -> Optional[str]:
        parent = self.ctx.parent
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name):
                return target.value
        if isinstance(parent, (cst.AnnAssign,)) and isinstance(parent.target, cst.Name):
            return parent.target.value
        return None

    def _repeating(self, node: cst.CSTNode) -> List[Tuple[cst.CSTNode, cst.CSTNode]]:
        """Enclosing loops/comprehensions (in this function) that repeat ``node``,
        innermost first, each with the child on the path to ``node``."""
        found: List[Tuple[cst.CSTNode, cst.CSTNode]] = []
        child: cst.CSTNode = node
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, (cst.For, cst.While)):
                if child is ancestor.body:
                    found.append((ancestor, child))
            elif isinstance(ancestor, cst.DictComp):
                if child is ancestor.key or child is ancestor.value:
                    found.append((ancestor, child))
            elif isinstance(ancestor, _COMPREHENSIONS):
                if child is ancestor.elt:  # type: ignore[attr-defined]
                    found.append((ancestor, child))
            child = ancestor
        return found

    def _unknown_iterable(self, loop: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The iterable of ``loop`` when its size is unknown, else None."""
        if isinstance(loop, cst.For):
            if loop.asynchronous is not None:
                return loop.iter  # a stream: as many items as arrive
            return None if self._bounded(loop.iter, 0) else loop.iter
        if isinstance(loop, _COMPREHENSIONS):
            for comp_for in _comp_fors(loop):  # type: ignore[arg-type]
                if comp_for.asynchronous is not None or not self._bounded(comp_for.iter, 0):
                    return comp_for.iter
        return None

    def _drains(self, loop: cst.CSTNode, inner: cst.CSTNode, target: Optional[str]) -> bool:
        """Does each iteration of ``loop`` wait for (or limit) the work it started?"""
        # a TaskGroup/nursery entered inside the loop body waits for its tasks every iteration
        inside = False
        for ancestor in self.ctx.ancestors:
            if ancestor is loop:
                inside = True
                continue
            if inside and isinstance(ancestor, cst.With) and ancestor.asynchronous is not None:
                for item in ancestor.items:
                    expr = item.item
                    kind = self.ctx.resolve(expr.func) if isinstance(expr, cst.Call) else None
                    if kind is None:
                        kind = self.ctx.type_of(expr)
                    if kind in TASK_SCOPES:
                        return True
        key = ("CCY402.drains", id(loop), target)
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        result = False
        body = loop.body  # type: ignore[attr-defined]
        for sub in walk_body(body):
            if isinstance(sub, cst.Await):
                expr = sub.expression
                if isinstance(expr, cst.Name) and target is not None and expr.value == target:
                    result = True
                elif isinstance(expr, cst.Call):
                    name = self.ctx.resolve(expr.func)
                    method = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else None
                    if name in DRAINING_CALLS or method in DRAINING_METHODS:
                        result = True  # waits for the batch / the queue to drain
                    elif method == "acquire" and \
                            self._is_semaphore(expr.func.value, self.ctx.scope):  # type: ignore[union-attr]
                        result = True
            if result:
                break
        self.ctx.memo[key] = result
        return result

    # ------------------------------------------------------------- gather & co
    def _check_fan_in(self, node: cst.Call, callee: str) -> None:
        mode = FAN_IN_CALLS[callee]
        sources: List[cst.BaseExpression] = []
        if mode == "star":
            sources = [arg.value for arg in node.args if arg.star == "*"]
        else:
            positional, keywords, _ = _call_args(node)
            if positional:
                sources = [positional[0].value]
            elif "fs" in keywords:
                sources = [keywords["fs"].value]
        for source in sources:
            found = self._fan_out_source(node, source)
            if found is None:
                continue
            started, started_args, iterable, construct = found
            if self._exempt(started, started_args, _target_names(construct), iterable):
                continue
            what = _callee_text(self, started)
            it = _describe(self, iterable)
            stream = self._is_stream(iterable)
            short = callee.rsplit(".", 1)[-1]
            remedy = self._remedy(started, callee)
            self.report(node, Text(
                f"{short}() runs '{what}' for every item {'received from' if stream else 'of'} '{it}' "
                f"at once, and nothing in this code limits how many run together; {remedy.en}",
                f"{short}() 对{'从' if stream else ''} '{it}' {'收到' if stream else ''}的每一项同时运行 '{what}',"
                f"而这段代码中没有任何东西限制同时运行的数量;{remedy.zh}"))
            return

    def _fan_out_source(self, node: cst.Call, source: cst.BaseExpression, depth: int = 0,
                        ) -> Optional[_Source]:
        """(started function, its args, the unknown iterable) when ``source`` is an
        unknown-size collection of freshly made coroutines."""
        if depth > 2:
            return None
        if isinstance(source, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            iterable = self._unknown_iterable(source)
            if iterable is None:
                return None
            return self._started_element(source.elt, iterable, source)
        if isinstance(source, cst.Call):
            name = self.ctx.resolve(source.func)
            if name == "builtins.map" and len(source.args) >= 2 and not any(a.star for a in source.args):
                iterable = source.args[1].value
                if self._bounded(iterable, 0):
                    return None
                return source.args[0].value, (), iterable, None
            if name in ("builtins.list", "builtins.tuple", "builtins.set") and source.args:
                return self._fan_out_source(node, source.args[0].value, depth + 1)
            return None
        if isinstance(source, cst.Name):
            bindings, owner = self.ctx.lookup(source.value)
            function = self.ctx.function
            if not bindings or owner is None or function is None or owner is not function:
                return None
            values = [b.node for b in bindings if b.kind == ASSIGN and not b.with_item]
            for value in values:
                if isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.Call)):
                    found = self._fan_out_source(node, value, depth + 1)
                    if found is not None:
                        return found
            if len(values) == len(bindings) and all(isinstance(v, (cst.List, cst.Set)) for v in values):
                return self._appended_in_loop(node, source.value, function.node)
        return None

    def _started_element(self, elt: cst.BaseExpression, iterable: cst.CSTNode, construct: cst.CSTNode,
                         ) -> Optional[_Source]:
        targets = _target_names(construct)
        if isinstance(elt, cst.Call) and not isinstance(elt.func, cst.Attribute) and _root(elt.func) in targets:
            # `receiver(...) for receiver in receivers`, `item["on_fail"]()`, `getattr(item, m)()`:
            # calling a callable each item holds (dispatch), not new work made from data
            return None
        depth = 0
        while isinstance(elt, cst.Call) and depth < 4:
            name = self.ctx.resolve(elt.func)
            if name in TASK_STARTERS or self._pooled(name, elt.func) or self._non_starting(name, elt.func):
                return None  # a started task is judged where it is started; pooled or no work
            if _is_wrapper(name, elt):
                elt = elt.args[0].value
                depth += 1
                continue
            if _is_task_helper(elt) and not isinstance(elt.args[0].value, cst.Call):
                given = elt.args[0].value
                if _root(given) in targets:
                    # `spawn(coro) for coro in coros` (made elsewhere, judged there) or
                    # `spawn(item.close)` (winding down what each item is)
                    return None
            definition = definition_of(self.ctx, elt.func)
            if definition is not None and definition[0].asynchronous is None:
                return None  # a plain function: we cannot tell what it returns
            return elt.func, elt.args, iterable, construct
        return None

    def _appended_in_loop(self, node: cst.Call, name: str, function: cst.CSTNode,
                          ) -> Optional[_Source]:
        """``coros = []; for x in xs: coros.append(f(x))`` -- the appended coroutine and loop."""
        loops = self._loop_appends(function).get(name, [])
        ancestors = set(id(a) for a in self.ctx.ancestors)
        for loop, element in loops:
            if id(loop) in ancestors:
                continue  # gathered inside the same loop: batches
            if loop.asynchronous is not None:
                iterable: Optional[cst.CSTNode] = loop.iter
            else:
                iterable = None if self._bounded(loop.iter, 0) else loop.iter
            if iterable is None:
                continue
            found = self._started_element(element, iterable, loop)
            if found is not None:
                return found
        return None

    def _loop_appends(self, function: cst.CSTNode) -> Dict[str, List[Tuple[cst.For, cst.BaseExpression]]]:
        key = ("CCY402.appends", id(function))
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        result: Dict[str, List[Tuple[cst.For, cst.BaseExpression]]] = {}
        for sub in walk_body(function):
            if not isinstance(sub, cst.For):
                continue
            for inner in walk_body(sub.body):
                if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                        and inner.func.attr.value == "append" and isinstance(inner.func.value, cst.Name)
                        and len(inner.args) == 1 and not inner.args[0].star):
                    result.setdefault(inner.func.value.value, []).append((sub, inner.args[0].value))
        self.ctx.memo[key] = result
        return result

    # ------------------------------------------------------------- messages
    def _is_stream(self, iterable: cst.CSTNode) -> bool:
        """Is ``iterable`` what an ``async for`` walks (items arrive, no collection)?"""
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, cst.For) and ancestor.iter is iterable:
                return ancestor.asynchronous is not None
        return False

    def _remedy(self, started: cst.BaseExpression, callee: str, guessed: bool = False) -> Text:
        """Where to put the limit, in the library of the call that starts the work (a task
        group of unknown type: the module's library)."""
        backend: Optional[str] = callee.split(".")[0]
        if guessed and self.ctx.async_backend is not None:
            backend = self.ctx.async_backend
        limiter = advice(backend, "limiter")
        if self._own_coroutine(started):
            name = last_name(started)
            article = "an" if limiter[:1] in "aeiou" else "a"
            return Text(f"acquire {article} {limiter} in '{name}' or use a fixed pool of workers",
                        f"请在 '{name}' 中获取 {limiter},或改用固定数量的工作任务")
        # not a coroutine of this project: the limit goes around each call
        text = _callee_text(self, started)
        return Text(f"wrap each '{text}' call in 'async with <{limiter}>' or use a fixed pool of workers",
                    f"请用 'async with <{limiter}>' 包住每次 '{text}' 调用,或改用固定数量的工作任务")

    def _own_coroutine(self, started: cst.BaseExpression) -> bool:
        if not isinstance(started, (cst.Name, cst.Attribute)):
            return False
        if definition_of(self.ctx, started) is not None:
            return True
        qualname = self.ctx.resolve(started)
        project = self.ctx.project
        return bool(qualname) and project is not None and \
            project.is_coroutine_function(qualname) is not None  # type: ignore[arg-type]

    # ------------------------------------------------------------- limits
    def _exempt(self, started: cst.BaseExpression, started_args: Sequence[cst.Arg], targets: Set[str],
                iterable: cst.CSTNode) -> bool:
        return self._broadcast(started, targets, iterable) or self._pooled_client(started) \
            or self._runs_at_once(started) or self._limited(started, started_args)

    def _pooled(self, name: Optional[str], func: cst.BaseExpression) -> bool:
        """Work handed to a bounded executor (``run_in_executor``, ``to_thread``, framework
        wrappers such as ``async_add_executor_job``)."""
        method = last_name(func) or ""
        return name in POOLED_AWAITABLES or method in POOLED_METHODS or bool(_POOLED_METHOD.search(method))

    def _non_starting(self, name: Optional[str], func: cst.BaseExpression) -> bool:
        """``loop.create_future()``: a future some callback resolves; nothing runs."""
        return name in NON_STARTING_CALLS or last_name(func) in NON_STARTING_METHODS

    def _from_item(self, expr: cst.BaseExpression, targets: Set[str], depth: int) -> bool:
        """Is ``expr`` (a callable) taken from the loop's item: the item itself, unpacked from
        it, ``partial(item, ...)``, or made from it by a call (``self._wrap(gen)``)?"""
        if depth > 4:
            return False
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            return _root(expr) in targets
        if isinstance(expr, cst.Call):
            return any(not a.star and self._from_item(a.value, targets, depth + 1) for a in expr.args)
        if not isinstance(expr, cst.Name):
            return False
        if expr.value in targets:
            return True
        bindings, owner = self.ctx.lookup(expr.value)
        if not bindings or owner is None or owner is not self.ctx.function:
            return False
        for binding in bindings:
            value = binding.unpacked_from if binding.unpacked_from is not None else binding.node
            if binding.kind == ASSIGN or binding.unpacked_from is not None:
                if isinstance(value, cst.BaseExpression) and self._from_item(value, targets, depth + 1):
                    return True
        return False

    def _broadcast(self, started: cst.BaseExpression, targets: Set[str], iterable: cst.CSTNode) -> bool:
        """``conn.shutdown()`` for each connection, ``item.close()`` for each item,
        ``self.remove_listener(l) for l in self._listeners``: work on objects the program
        already holds (one each), not new work fanned out over data."""
        name = last_name(started) or ""
        if name in TEARDOWN_NAMES or _TEARDOWN.search(name):
            return True
        if _OWNED_TEARDOWN.search(name) and _root(iterable) in ("self", "cls"):  # type: ignore[arg-type]
            return True
        return isinstance(started, cst.Attribute) and _root(started) in targets

    def _pooled_client(self, started: cst.BaseExpression) -> bool:
        """``client.publish(...)`` on a client from ``async with session.create_client(...)``:
        its requests share a connection pool of fixed size."""
        if not isinstance(started, cst.Attribute) or not isinstance(started.value, cst.Name):
            return False
        bindings, _owner = self.ctx.lookup(started.value.value)
        return bool(bindings) and all(
            b.with_item and isinstance(b.node, cst.Call) and last_name(b.node.func) in POOLED_CLIENT_FACTORIES
            for b in bindings)  # type: ignore[union-attr]

    def _runs_at_once(self, started: cst.BaseExpression) -> bool:
        """A same-module coroutine that never awaits runs to its end as soon as it starts:
        the items are handled one after another, never together."""
        definition = definition_of(self.ctx, started)
        if definition is None or definition[0].asynchronous is None or _is_stub(definition[0]):
            return False
        for sub in walk_body(definition[0].body):
            if isinstance(sub, cst.Await) or (isinstance(sub, (cst.For, cst.With)) and sub.asynchronous):
                return False
            if isinstance(sub, (cst.CompFor,)) and sub.asynchronous is not None:
                return False
        return True

    def _limited(self, started: cst.BaseExpression, started_args: Sequence[cst.Arg]) -> bool:
        """Is the concurrency of the started work limited by a semaphore or a worker pool?"""
        scope = self.ctx.scope
        for arg in started_args:
            if self._is_semaphore(arg.value, scope) or self._is_lock(arg.value, scope):
                return True  # the coroutine is handed a semaphore/limiter/lock
        if self._function_limits(self.ctx.function.node if self.ctx.function else None, scope):
            return True
        definition = definition_of(self.ctx, started)
        if definition is None:
            return False
        node, owner = definition
        return self._callee_limits(node, owner, 0, set())

    def _function_limits(self, function: Optional[cst.CSTNode], scope: Scope) -> bool:
        """The enclosing function acquires a semaphore (anywhere, nested code included)."""
        if function is None:
            return False
        key = ("CCY402.function_limits", id(function))
        cached = self.ctx.memo.get(key)
        if cached is None:
            cached = self._acquires_semaphore(function, scope, into_scopes=True)
            self.ctx.memo[key] = cached
        return cached

    def _callee_limits(self, node: cst.FunctionDef, owner: Scope, depth: int, seen: Set[int]) -> bool:
        if id(node) in seen or depth > 3:
            return False
        seen.add(id(node))
        key = ("CCY402.callee_limits", id(node))
        cached = self.ctx.memo.get(key)
        if cached is not None:
            return cached
        scope = function_scope(self.ctx, node, owner)
        result = self._acquires_semaphore(node, scope, into_scopes=False) or self._is_worker(node)
        if not result:
            for sub in walk_body(node.body):
                if isinstance(sub, cst.Call) and any(
                        not a.star and (self._is_lock(a.value, scope) or self._is_semaphore(a.value, scope))
                        for a in sub.args):
                    result = True  # hands a lock/limiter to the code that does the work
                    break
                if isinstance(sub, cst.Call) and isinstance(sub.func, (cst.Name, cst.Attribute)):
                    inner = definition_of(self.ctx, sub.func, scope)
                    if inner is not None and inner[0] is not node and \
                            self._callee_limits(inner[0], inner[1], depth + 1, seen):
                        result = True
                        break
                    if inner is None and isinstance(sub.func, cst.Attribute) and \
                            self._other_class_limits(sub.func, scope):
                        result = True  # `await self.api.get(u)`: Api.get acquires Api's semaphore
                        break
        self.ctx.memo[key] = result
        return result

    def _other_class_limits(self, func: cst.Attribute, scope: Scope) -> bool:
        """Does ``obj.method`` -- ``obj`` an instance of a class of this module -- acquire a
        semaphore the class holds (``self._sem = asyncio.Semaphore(n)``; ``async with self._sem``)?"""
        kind = self.ctx.type_of(func.value, scope)
        if kind is None or not self.ctx._is_local_class(kind):  # noqa: SLF001 - same package
            return False
        bindings = self.ctx.module_scope.bindings.get(kind.rsplit(".", 1)[-1]) or []
        classdef = bindings[0].node if bindings else None
        if not isinstance(classdef, cst.ClassDef):
            return False
        method = next((d for d in classdef.body.body if isinstance(d, cst.FunctionDef)
                       and d.name.value == func.attr.value), None)
        if method is None:
            return False
        held: Set[str] = set()
        for sub in walk_body(classdef, into_scopes=True):
            if isinstance(sub, (cst.Assign, cst.AnnAssign)) and isinstance(sub.value, cst.Call) and \
                    self.ctx.resolve(sub.value.func, self.ctx.module_scope) in SEMAPHORE_TYPES:
                targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                held.update(t.attr.value for t in targets if isinstance(t, cst.Attribute))
        for sub in walk_body(method):
            items: List[cst.BaseExpression] = []
            if isinstance(sub, cst.With) and sub.asynchronous is not None:
                items = [item.item for item in sub.items]
            elif isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Call) and \
                    isinstance(sub.expression.func, cst.Attribute) and sub.expression.func.attr.value == "acquire":
                items = [sub.expression.func.value]
            for item in items:
                name = last_name(item) or ""
                if isinstance(item, cst.Attribute) and (name in held or _SEMAPHORE_NAME.search(name)):
                    return True
        return False

    def _acquires_semaphore(self, function: cst.CSTNode, scope: Scope, into_scopes: bool) -> bool:
        for sub in walk_body(function, into_scopes=into_scopes):
            if isinstance(sub, cst.With) and sub.asynchronous is not None:
                if any(self._is_semaphore(item.item, scope) for item in sub.items):
                    return True
            elif isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Call):
                func = sub.expression.func
                if isinstance(func, cst.Attribute) and func.attr.value == "acquire" and \
                        self._is_semaphore(func.value, scope):
                    return True
                if isinstance(func, cst.Attribute) and func.attr.value == "acquire_on_behalf_of":
                    return True  # only trio's/anyio's CapacityLimiter has it
        return False

    def _is_semaphore(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, cst.Call):
            kind = self.ctx.resolve(expr.func, scope)
            if kind in SEMAPHORE_TYPES:
                return True
            name = last_name(expr.func)
        else:
            if isinstance(expr, (cst.Name, cst.Attribute)) and self.ctx.type_of(expr, scope) in SEMAPHORE_TYPES:
                return True
            name = last_name(expr)
        return bool(name) and _SEMAPHORE_NAME.search(name) is not None  # type: ignore[arg-type]

    def _is_lock(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, (cst.Name, cst.Attribute)):
            if self.ctx.type_of(expr, scope) in _LOCK_TYPES:
                return True
            return bool(_LOCK_NAME.search(last_name(expr) or ""))
        return False

    def _is_worker(self, node: cst.FunctionDef) -> bool:
        """A coroutine that loops taking items from a queue: N of them form a worker pool."""
        for sub in walk_body(node.body):
            if isinstance(sub, cst.While):
                for inner in walk_body(sub.body):
                    if isinstance(inner, cst.Await) and isinstance(inner.expression, cst.Call) and \
                            isinstance(inner.expression.func, cst.Attribute) and \
                            inner.expression.func.attr.value in ("get", "receive"):
                        return True
            elif isinstance(sub, cst.For) and sub.asynchronous is not None:
                name = last_name(sub.iter)
                if name and _WORKER_SOURCE.search(name):
                    return True
        return False


RULES = [UnboundedQueue, UnboundedFanOut, UnboundedQueueFedByInput]
