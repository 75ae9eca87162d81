"""How a queue is used inside a region of code: every ``put`` (awaited, ``nowait``, in a
loop, waiting for its own completion) and whatever else takes the queue over, collected
into ``_QueueUse`` for CCY401 and CCY403.
"""
from __future__ import annotations

import re
from typing import Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ...semantics.callees import GIVEN, argument, last_name, walk_body
from ...semantics.traversal import iter_children
from ..base import Rule


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
