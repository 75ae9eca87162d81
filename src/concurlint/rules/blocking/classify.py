"""The one classification of each call that all CCY2 rules share (``classify``, cached in
``ctx.memo``): which blocking API a call is, under which code, and the reasons a matched call
does not block here (a wait already over, a bounded queue, a readiness already awaited, a
non-blocking socket, a result handed on unread); also ``constructions`` and ``earlier_nodes``,
which the CCY4 timeout rules ask too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ...apis import blocking as apis, canonical
from ...semantics.callees import GIVEN, UNKNOWN, argument as argument_state, number_value, walk_body
from ...semantics.context import Context
from ...semantics.lifetime import usage_of, value_fate
from ...semantics.scopes import ASSIGN
from ...semantics.traversal import iter_children
from .arguments import _argument_is, _literal, _nonblocking_socket, argument, dotted


_MEMO_CALLS = "ccy2.calls"
_MEMO_PATTERNS = "ccy2.patterns"


@dataclass(frozen=True)
class Blocking:
    """Why a call blocks: the rule code, the API as written for people, what to do."""

    code: str
    api: str
    suggestion: apis.Advice
    receiver: Optional[str] = None  # ``self._worker`` in ``self._worker.join()``, for the advice


# --------------------------------------------------------------------------- classification
def classify(ctx: Context, node: cst.Call) -> Optional[Blocking]:
    """The blocking API ``node`` calls, when it is inside an async function."""
    memo: Dict[int, Optional[Blocking]] = ctx.memo.setdefault(_MEMO_CALLS, {})
    key = id(node)
    if key in memo:
        return memo[key]
    result = _classify(ctx, node) if ctx.in_async_function else None
    memo[key] = result
    return result


def _classify(ctx: Context, node: cst.Call) -> Optional[Blocking]:
    func = node.func
    if not isinstance(func, (cst.Name, cst.Attribute)):
        return None
    names: List[str] = []
    resolved = ctx.resolve(func)
    if resolved is not None:
        names.append(resolved)
    if isinstance(func, cst.Attribute):
        # ``client.db.users.find_one()``: the receiver's type, when resolve() went another way.
        owner = ctx.type_of(func.value)
        if owner is not None:
            by_type = canonical(f"{owner}.{func.attr.value}")
            if by_type not in names:
                names.append(by_type)
    if isinstance(func, cst.Attribute):
        names.extend(_inherited_names(ctx, names, func.attr.value))
    for name in names:
        entry = apis.lookup(name)
        if entry is None:
            continue
        if _does_not_block(ctx, node, name):
            return None
        code, suggestion = entry
        receiver = (dotted(func.value) if isinstance(func, cst.Attribute)
                    and ctx.type_of(func.value) is not None else None)  # an object, not a module
        return Blocking(code, _display(name), suggestion, receiver)
    patterns = _patterns(ctx)
    if patterns:
        if isinstance(func, cst.Attribute) and len(names) < 2:
            # ``client.push()`` with ``client = legacy_sdk.Client()``: no table knows the type.
            # Only objects made by a class (``Client()``), not any function's return value.
            maker = ctx.made_by(func.value)
            if maker is not None and maker.rpartition(".")[2][:1].isupper():
                names.append(canonical(f"{maker}.{func.attr.value}"))
        for name in names:
            if patterns.matches(name):
                return Blocking("CCY209", _display(name), apis.CONFIGURED)
    return None


def _inherited_names(ctx: Context, names: List[str], method: str) -> List[str]:
    """``w.join()`` where ``w`` is a same-module ``class Worker(threading.Thread)`` that does
    not define ``join`` itself: the method is the base class's (``threading.Thread.join``)."""
    prefix = ctx.local_qualname("")
    found: List[str] = []
    for name in names:
        owner, _, _ = name.rpartition(".")
        if not owner.startswith(prefix):
            continue
        bindings = ctx.module_scope.bindings.get(owner[len(prefix):])
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0].node, cst.ClassDef):
            continue
        classdef = bindings[0].node
        body = classdef.body.body if isinstance(classdef.body, cst.IndentedBlock) else ()
        if any(isinstance(stmt, cst.FunctionDef) and stmt.name.value == method for stmt in body):
            continue  # overridden: we do not know what it does
        for base in classdef.bases:
            qualname = ctx.resolve(base.value, ctx.module_scope)
            if qualname is not None and not qualname.startswith("<"):
                found.append(canonical(f"{qualname}.{method}"))
    return found


def _display(qualname: str) -> str:
    return qualname[len("builtins."):] if qualname.startswith("builtins.") else qualname


def _patterns(ctx: Context) -> apis.BlockingPatterns:
    patterns = ctx.memo.get(_MEMO_PATTERNS)
    if patterns is None:
        patterns = apis.BlockingPatterns(tuple(ctx.settings.blocking_calls))
        ctx.memo[_MEMO_PATTERNS] = patterns
    return patterns


def _does_not_block(ctx: Context, node: cst.Call, qualname: str) -> bool:
    """Argument values or facts that make this particular call return at once."""
    required = apis.BLOCKING_ONLY_WITH_ARGUMENT.get(qualname)
    if required is not None:
        value = argument(node, *required)
        if value is None or (isinstance(value, cst.SimpleString) and _literal(value) in ("", b"")):
            return True
    normal = apis.normalise(qualname)
    for position, keyword, kind in apis.NON_BLOCKING_ARGUMENTS.get(normal, ()):
        value = argument(node, position, keyword)
        if value is not None and _argument_is(ctx, value, kind):
            return True
    if normal in apis.LAZY_ITERATORS and _handed_on_uniterated(ctx, node):
        return True
    if isinstance(node.func, cst.Attribute):
        receiver = node.func.value
        if wait_is_over(ctx, node, qualname):
            return True
        if normal in apis.REAPS_AFTER_AWAITED_EXIT and _reaps_after_awaited_exit(ctx, node):
            return True
        if normal in apis.BLOCKS_ONLY_WHEN_BOUNDED and not _bounded(ctx, receiver):
            return True
    if normal.rpartition(".")[0] == apis.SOCKET_TYPE and isinstance(node.func, cst.Attribute):
        if _nonblocking_socket(ctx, node.func.value) or _readiness_awaited(ctx, node):
            return True
        if _expects_would_block(ctx):
            return True
    return False


def wait_is_over(ctx: Context, call: cst.Call, qualname: str) -> bool:
    """The code knows this wait has ended (or has something to take) before it is made:
    a completion guard, a polling loop, an awaited signal (CCY205, and CCY504 in threads)."""
    if not isinstance(call.func, cst.Attribute):
        return False
    normal = apis.normalise(qualname)
    guards = apis.NON_BLOCKING_WHEN_GUARDED.get(normal, ())
    if guards and _guarded(ctx, call, call.func.value, guards):
        return True
    return bool(guards or normal in apis.COMPLETION_SIGNALLED) and _completed_before(
        ctx, call, call.func.value, normal, guards)


def constructions(ctx: Context, expr: cst.BaseExpression) -> List[cst.Call]:
    """The calls ``expr``'s object was made by: a name's or a ``self.x``'s assignments."""
    bindings = None
    if isinstance(expr, cst.Name):
        bindings, _ = ctx.lookup(expr.value)
    elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        cls = ctx._class_of_self(expr.value.value, ctx.scope)  # noqa: SLF001 - the shared self-resolution
        if cls is not None:
            bindings = cls.attributes.get(expr.attr.value) or cls.bindings.get(expr.attr.value)
    return [b.node for b in bindings or () if b.kind == ASSIGN and not b.with_item
            and isinstance(b.node, cst.Call)]


def _bounded(ctx: Context, receiver: cst.BaseExpression) -> bool:
    """Can ``put()`` on this queue wait? Only when one of the calls that made it gives a
    positive (or unknown) maxsize: a queue made elsewhere shows no bound to wait on."""
    for call in constructions(ctx, receiver):
        maker = ctx.resolve(call.func)
        if maker in apis.PIPE_QUEUES:
            return True
        if maker in apis.UNBOUNDED_QUEUES:
            continue
        state, value = argument_state(call, *apis.QUEUE_MAXSIZE)
        if state == UNKNOWN:
            return True
        if state == GIVEN:
            number = number_value(value)
            if number is None or number > 0:
                return True
    return False


def _test_is(test: cst.BaseExpression, wanted: str, method: str, negated: bool) -> bool:
    """``test`` is ``[not] <wanted>.<method>()``."""
    if negated:
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
            return False
        test = test.expression
    return (isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute)
            and test.func.attr.value == method and dotted(test.func.value) == wanted)


def _guarded(ctx: Context, call: cst.Call, receiver: cst.BaseExpression,
             guards: Tuple[Tuple[str, bool], ...]) -> bool:
    """Inside ``if <guard>:`` / ``while <guard>:`` (or an ``and`` chain holding it) in this
    function, where a guard is ``fut.done()``, ``not t.is_alive()``, ``not q.empty()``..."""
    wanted = dotted(receiver)
    if wanted is None:
        return False
    child: cst.CSTNode = call
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            return False
        in_body, child = child is getattr(ancestor, "body", None), ancestor
        if in_body and isinstance(ancestor, (cst.If, cst.IfExp, cst.While)):
            tests: List[cst.BaseExpression] = [ancestor.test]
            while tests:
                test = tests.pop()
                if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
                    tests.extend((test.left, test.right))
                elif any(_test_is(test, wanted, method, negated) for method, negated in guards):
                    return True
    return False


def earlier_nodes(ctx: Context, call: cst.Call) -> List[cst.CSTNode]:
    """The nodes of the enclosing function that come before ``call`` in source order and
    do not contain it (nested functions, lambdas and classes not entered)."""
    function = ctx.function
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return []
    enclosing = {id(a) for a in ctx.ancestors}
    found: List[cst.CSTNode] = []
    for current in walk_body(function.node.body):
        if current is call:
            break
        if id(current) not in enclosing:
            found.append(current)
    return found


def _completed_before(ctx: Context, call: cst.Call, receiver: cst.BaseExpression, normal: str,
                      guards: Tuple[Tuple[str, bool], ...]) -> bool:
    """Earlier in this coroutine, the wait is known to be over: a polling loop that only
    ends when a guard holds (``while t.is_alive(): await sleep(...)``), or, for a thread or
    a future, an awaited event or future that it signals (``await done.wait()`` where the
    thread's target or the future's done-callback sets ``done``)."""
    wanted = dotted(receiver)
    if wanted is None:
        return False
    signals: Optional[Set[str]] = None
    for earlier in earlier_nodes(ctx, call):
        if isinstance(earlier, cst.While) and earlier.orelse is None and any(
                _test_is(earlier.test, wanted, method, not negated) for method, negated in guards):
            if not any(isinstance(n, cst.Break) for n in walk_body(earlier.body)):
                return True
        if isinstance(earlier, cst.Await) and normal in apis.COMPLETION_SIGNALLED:
            if signals is None:
                signals = (_signals(ctx, receiver, wanted) if apis.COMPLETION_SIGNALLED[normal]
                           else {wanted})
            if _awaited_objects(earlier.expression) & signals:
                return True
    return False


def _readiness_awaited(ctx: Context, call: cst.Call) -> bool:
    """The last readiness wait the coroutine awaited on this socket before the call says
    the call can proceed (``await wait_readable(sock)`` then ``sock.recv(n)``)."""
    wanted = dotted(call.func.value) if isinstance(call.func, cst.Attribute) else None
    if wanted is None:
        return False
    ready: FrozenSet[str] = frozenset()
    for earlier in earlier_nodes(ctx, call):
        if isinstance(earlier, cst.Await) and isinstance(earlier.expression, cst.Call):
            waited = earlier.expression
            name = waited.func.attr.value if isinstance(waited.func, cst.Attribute) else (
                waited.func.value if isinstance(waited.func, cst.Name) else None)
            if (name in apis.SOCKET_READINESS_WAITS and waited.args
                    and dotted(waited.args[0].value) == wanted):
                ready = apis.SOCKET_READINESS_WAITS[name]
    return call.func.attr.value in ready  # type: ignore[union-attr]


def _reaps_after_awaited_exit(ctx: Context, call: cst.Call) -> bool:
    """Inside ``if <x>.poll() is None:``, after an ``await`` in that block (the coroutine
    waited for the exit notification): ``proc.wait()`` only reaps the child."""
    for index in range(len(ctx.ancestors) - 1, -1, -1):
        ancestor = ctx.ancestors[index]
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            return False
        if not (isinstance(ancestor, cst.If) and _is_poll_none(ancestor.test)):
            continue
        inside = ctx.ancestors[index + 1] if index + 1 < len(ctx.ancestors) else call
        if inside is not ancestor.body:
            continue
        for current in walk_body(ancestor.body):
            if current is call:
                break
            if isinstance(current, cst.Await):
                return True
    return False


def _is_poll_none(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is)
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"
            and isinstance(test.left, cst.Call) and isinstance(test.left.func, cst.Attribute)
            and test.left.func.attr.value == "poll")


def _objects(node: cst.CSTNode) -> Set[str]:
    """Every name and attribute chain under ``node`` with its prefixes (``ev.set`` ->
    ``ev.set``, ``ev``), but not a bare ``self``/``cls``."""
    found: Set[str] = set()
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Name, cst.Attribute)):
            chain: Optional[cst.BaseExpression] = current
            while isinstance(chain, (cst.Name, cst.Attribute)):
                text = dotted(chain)
                if text is not None and text not in ("self", "cls"):
                    found.add(text)
                chain = chain.value if isinstance(chain, cst.Attribute) else None
            if isinstance(current, cst.Name):
                continue
        stack.extend(iter_children(current))
    return found


def _signals(ctx: Context, receiver: cst.BaseExpression, wanted: str) -> Set[str]:
    """What a thread or future can signal its end through: the objects passed to the call
    that made it, those its target function uses, those its done-callbacks use."""
    found = {wanted}
    callables: List[cst.BaseExpression] = []
    for made in constructions(ctx, receiver):
        for arg in made.args:
            found |= _objects(arg.value)
            callables.append(arg.value)
    function = ctx.function
    if function is not None and isinstance(function.node, cst.FunctionDef):
        for sub in walk_body(function.node.body):
            if (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                    and sub.func.attr.value == "add_done_callback" and dotted(sub.func.value) == wanted):
                callables.extend(arg.value for arg in sub.args)
    for value in callables:
        body: Optional[cst.CSTNode] = value.body if isinstance(value, cst.Lambda) else None
        if body is None:
            defined = ctx.is_local_function(value)
            body = defined.body if defined is not None else None
        if body is not None:
            found |= _objects(body)
    return found


def _awaited_objects(expr: cst.BaseExpression, depth: int = 0) -> Set[str]:
    """What an ``await`` waits for: a future (``await fut``), an event (``await ev.wait()``),
    or those passed to a waiting helper (``wait_for(ev.wait(), 5)``, ``wrap_future(fut)``,
    ``to_thread(t.join)``)."""
    if isinstance(expr, (cst.Name, cst.Attribute)):
        found = {dotted(expr)} | ({dotted(expr.value)} if isinstance(expr, cst.Attribute) else set())
        return {text for text in found if text is not None and text not in ("self", "cls")}
    if isinstance(expr, cst.Call) and depth < 2:
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "wait":
            return _awaited_objects(expr.func.value, depth + 1)
        found = set()
        for arg in expr.args:
            found |= _awaited_objects(arg.value, depth + 1)
        return found
    return set()


def _expects_would_block(ctx: Context) -> bool:
    """Inside a ``try`` that handles ``BlockingIOError``: the socket is non-blocking."""
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            return False
        if isinstance(ancestor, cst.Try):
            for handler in ancestor.handlers:
                if handler.type is not None and any(
                        ctx.resolve(expr) in apis.WOULD_BLOCK_ERRORS
                        for expr in ([e.value for e in handler.type.elements]
                                     if isinstance(handler.type, cst.Tuple) else [handler.type])):
                    return True
    return False


def _handed_on_uniterated(ctx: Context, node: cst.Call) -> bool:
    """A generator call whose result is passed to a non-consuming call, never iterated here."""
    ancestors = ctx.ancestors
    index = len(ancestors) - 1
    current: cst.CSTNode = node
    while index >= 0 and isinstance(ancestors[index], cst.IfExp):  # gen = (a() if x else b())
        current, index = ancestors[index], index - 1
    if index < 1:
        return False
    parent = ancestors[index]
    if isinstance(parent, cst.Arg) and isinstance(ancestors[index - 1], cst.Call):
        callee = ctx.resolve(ancestors[index - 1].func)
        return callee not in apis.CONSUMING_CALLS
    fate = value_fate(ctx, current) if current is node else None
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        fate_name = parent.targets[0].target.value
    elif fate is not None and fate.kind == "name":
        fate_name = fate.name
    else:
        return False
    usage = usage_of(ctx, fate_name)
    if usage is None or usage.iterated or not (usage.passed_to or usage.closure):
        return False  # iterated here, or never handed to anything that could iterate it
    return all(ctx.resolve(call.func) not in apis.CONSUMING_CALLS for _text, call in usage.passed_to)
