"""CCY2: blocking calls inside ``async def`` (they stall the whole event loop).

All nine rules share one classification of each call (``classify``), computed
once per call node and cached in ``ctx.memo``; each rule reports the calls
classified with its own code. What is blocking is data in ``apis/blocking.py``.

Only calls made *lexically* inside an ``async def`` body count
(``ctx.in_async_function``): a nested plain ``def``, a ``lambda`` or a class
body is not the coroutine, and a callable that is passed rather than called
(``await asyncio.to_thread(time.sleep, 1)``) is never a call of the API.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ..apis import blocking as apis
from ..apis import canonical
from ..apis.backends import advice as backend_advice
from ..findings import Fix, Text
from ..semantics.callees import GIVEN, UNKNOWN, number_value, walk_body
from ..semantics.callees import argument as argument_state
from ..semantics.context import Context
from ..semantics.lifetime import usage_of, value_fate
from ..semantics.scopes import ASSIGN, IMPORT
from ..semantics.traversal import iter_children
from .base import Rule

_MEMO_CALLS = "ccy2.calls"
_MEMO_PATTERNS = "ccy2.patterns"
_MEMO_NONBLOCKING_SOCKETS = "ccy2.nonblocking-sockets"
_MEMO_SLEEP_IMPORTS = "ccy2.sleep-imports"

# Modules whose ``sleep`` the CCY201 fix may use, in order of preference.
_ASYNC_SLEEP_MODULES = ("asyncio", "anyio", "trio")  # modules the fix may call sleep from


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


def argument(node: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    """The value passed for a parameter, by keyword or by position (None when absent/unknown)."""
    index = 0
    positional_known = True
    for arg in node.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            positional_known = False
            continue
        if positional_known and index == position:
            return arg.value
        index += 1
    return None


def _literal(node: cst.BaseExpression) -> object:
    """The value of a literal node, or None when Python would not accept it."""
    try:
        return node.evaluated_value  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - odd literals libcst parses but Python rejects
        return None


def _argument_is(ctx: Context, value: cst.BaseExpression, kind: str) -> bool:
    if kind == "false":
        return ((isinstance(value, cst.Name) and value.value == "False")
                or (isinstance(value, cst.Integer) and _literal(value) == 0))
    if kind == "zero":
        return isinstance(value, (cst.Integer, cst.Float)) and _literal(value) == 0
    if kind == "wnohang":
        return _uses(ctx, value, apis.WNOHANG)
    if kind == "nowait":
        return isinstance(value, (cst.Name, cst.Attribute)) and ctx.resolve(value) in apis.SPAWN_NOWAIT
    if kind == "numerichost":
        return _uses(ctx, value, apis.NUMERIC_HOST_FLAGS)
    if kind == "numeric-address":
        if isinstance(value, cst.Name) and value.value == "None":
            return True
        literal = _literal(value) if isinstance(value, cst.SimpleString) else None
        if isinstance(literal, bytes):
            literal = literal.decode("ascii", "replace")
        if isinstance(literal, str):
            try:
                ipaddress.ip_address(literal)
            except ValueError:
                return False
            return True
    return False


def _uses(ctx: Context, value: cst.BaseExpression, names: frozenset) -> bool:
    """``value`` is, or ORs together, one of ``names`` (``os.WNOHANG | os.WUNTRACED``),
    also through a constant (``_NUMERIC_ONLY = AI_NUMERICHOST | AI_NUMERICSERV``)."""
    stack: List[Tuple[cst.BaseExpression, int]] = [(value, 0)]
    while stack:
        expr, depth = stack.pop()
        if isinstance(expr, cst.BinaryOperation):
            stack.extend(((expr.left, depth), (expr.right, depth)))
        elif isinstance(expr, (cst.Name, cst.Attribute)):
            if ctx.resolve(expr) in names:
                return True
            if isinstance(expr, cst.Name) and depth < 3:
                bindings, _ = ctx.lookup(expr.value)
                stack.extend((b.node, depth + 1) for b in bindings or ()
                             if b.kind == ASSIGN and isinstance(b.node, cst.BaseExpression))
    return False


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """``self.sock`` -> "self.sock"; None for anything but names and attributes."""
    parts: List[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def _nonblocking_sockets(ctx: Context) -> Set[Tuple[int, str]]:
    """Receivers switched to non-blocking mode in the file (computed once):
    ``setblocking(False)``, ``settimeout(0)``, or handed to a wrapper or loop method that
    needs a non-blocking socket (``trio.socket.from_stdlib_socket(s)``, ``loop.sock_recv(s, n)``,
    ``create_connection(sock=s)``). Keys are (function, name) for a plain name, which is
    that function's local, and (0, name) for an attribute chain (``self.sock``) or a
    name at module level."""
    found = ctx.memo.get(_MEMO_NONBLOCKING_SOCKETS)
    if found is not None:
        return found
    found = set()

    def add(expr: cst.BaseExpression, function: int) -> None:
        name = dotted(expr)
        if name is not None:
            found.add((function if isinstance(expr, cst.Name) else 0, name))

    stack: List[Tuple[cst.CSTNode, int]] = [(ctx.module, 0)]
    while stack:
        current, function = stack.pop()
        if isinstance(current, cst.FunctionDef):
            function = id(current)
        if (isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
                and current.func.attr.value in ("setblocking", "settimeout") and current.args):
            value = current.args[0].value
            if ((isinstance(value, cst.Name) and value.value == "False")
                    or (isinstance(value, (cst.Integer, cst.Float)) and _literal(value) == 0)):
                add(current.func.value, function)
        elif isinstance(current, cst.Call):
            taker = current.func.attr.value if isinstance(current.func, cst.Attribute) else (
                current.func.value if isinstance(current.func, cst.Name) else None)
            for index, arg in enumerate(current.args):
                if ((index == 0 and arg.keyword is None and not arg.star
                     and taker in apis.NONBLOCKING_SOCKET_TAKERS)
                        or (arg.keyword is not None and arg.keyword.value == "sock")):
                    add(arg.value, function)
        stack.extend((child, function) for child in iter_children(current))
    ctx.memo[_MEMO_NONBLOCKING_SOCKETS] = found
    return found


def _nonblocking_socket(ctx: Context, receiver: cst.BaseExpression) -> bool:
    name = dotted(receiver)
    if name is None:
        return False
    found = _nonblocking_sockets(ctx)
    function = ctx.function
    if isinstance(receiver, cst.Name) and function is not None and (id(function.node), name) in found:
        return True
    return (0, name) in found  # an attribute, or a module-level socket


# --------------------------------------------------------------------------- CCY201 fix
def _top_level_imports(ctx: Context) -> Tuple[Dict[str, str], Optional[cst.SimpleStatementLine]]:
    """Module-level ``import asyncio/anyio/trio [as x]`` (module -> local name), and the
    first top-level import line (not ``__future__``), before which the fix can add one."""
    cached = ctx.memo.get(_MEMO_SLEEP_IMPORTS)
    if cached is not None:
        return cached
    found: Dict[str, str] = {}
    first_line: Optional[cst.SimpleStatementLine] = None
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and first_line is None and not (
                    isinstance(small.module, cst.Name) and small.module.value == "__future__"):
                first_line = stmt
            if not isinstance(small, cst.Import):
                continue
            if first_line is None:
                first_line = stmt
            for alias in small.names:
                if isinstance(alias.name, cst.Name) and alias.name.value in _ASYNC_SLEEP_MODULES:
                    local = alias.name.value
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    found.setdefault(alias.name.value, local)
    result = (found, first_line)
    ctx.memo[_MEMO_SLEEP_IMPORTS] = result
    return result


def _refers_to(ctx: Context, local: str, qualname: str) -> bool:
    """Whether ``local``, read here, is only ever the import of ``qualname``."""
    bindings, _ = ctx.lookup(local)
    return bool(bindings) and all(b.kind == IMPORT and b.qualname == qualname for b in bindings)


def _sleep_target(ctx: Context) -> Tuple[str, Optional[str], Optional[cst.SimpleStatementLine]]:
    """(module to sleep with, what to call: ``aio`` for ``aio.sleep`` or the name a
    ``from <module> import sleep`` bound, or None for no fix; import line to add one before).

    The module is the module's async library (``ctx.async_backend``: its imports in any
    form, its package, the ``async-backend`` setting), asyncio when that is unknown."""
    module = ctx.async_backend or "asyncio"
    imported, first_import = _top_level_imports(ctx)
    local = imported.get(module)
    if local is not None:
        return module, (local if _refers_to(ctx, local, module) else None), None
    for name, found in ctx.module_scope.bindings.items():  # `from asyncio import sleep [as nap]`
        if (len(found) == 1 and found[0].kind == IMPORT and found[0].qualname == f"{module}.sleep"
                and _refers_to(ctx, name, f"{module}.sleep")):
            return module, name, None
    bindings, owner = ctx.lookup(module)
    if bindings is None:  # `from trio import run`, or the package says: add `import trio`
        return module, (module if first_import is not None else None), first_import
    if _refers_to(ctx, module, module) and owner is ctx.module_scope:
        return module, module, None  # `import trio.lowlevel` at module level binds `trio`
    return module, None, None  # the name is something else here, or imported only locally


def _sleep_fix(ctx: Context, node: cst.Call, local: str, module: str,
               before: Optional[cst.SimpleStatementLine], safe: bool) -> Optional[Fix]:
    parent = ctx.parent
    if isinstance(parent, cst.Await):
        return None
    for ancestor in reversed(ctx.ancestors):
        if isinstance(ancestor, cst.GeneratorExp):
            return None  # 'await' would turn it into an async generator
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            break
    func: cst.BaseExpression = cst.Name(local)
    shown = local
    if not _refers_to(ctx, local, f"{module}.sleep"):
        func = cst.Attribute(value=func, attr=cst.Name("sleep"))
        shown = f"{local}.sleep"
    call = cst.Call(func=func, args=node.args)
    needs_parens = (
        (isinstance(parent, cst.Attribute) and parent.value is node)
        or (isinstance(parent, cst.Subscript) and parent.value is node)
        or (isinstance(parent, cst.Call) and parent.func is node)
    )
    awaited = cst.Await(
        expression=call,
        lpar=[cst.LeftParen()] if needs_parens else [],
        rpar=[cst.RightParen()] if needs_parens else [],
    )
    replacements: List[Tuple[cst.CSTNode, object]] = [(node, awaited)]
    title = Text("Replace with 'await {shown}(...)'").format(shown=shown)
    if before is not None:  # a new `import asyncio` line above the first import line
        added = cst.SimpleStatementLine(
            body=[cst.Import(names=[cst.ImportAlias(name=cst.Name(module))])],
            leading_lines=before.leading_lines)
        replacements.append((before, cst.FlattenSentinel([added, before.with_changes(leading_lines=())])))
        title = Text("Replace with 'await {module}.sleep(...)' and import {module}").format(module=module)
    return Fix(title=title, safe=safe, replacements=tuple(replacements))


# --------------------------------------------------------------------------- rules
_NOT_FLAGGED_COMMON_EN = (
    "Not flagged: the same call in a nested plain `def`, a `lambda` or a class body inside the "
    "`async def`; the callable passed (not called) to `asyncio.to_thread`, `loop.run_in_executor`, "
    "`anyio.to_thread.run_sync` or `trio.to_thread.run_sync`; a local function or variable that "
    "merely shares the API's name; sync functions. The advice names the module's own async "
    "library, as its imports (in any form), its package's other modules or the `async-backend` "
    "setting say: `trio.to_thread.run_sync`, `trio.Path`, `trio.run_process` in trio code, their "
    "anyio twins in anyio code, asyncio's APIs otherwise; libraries that only run on asyncio "
    "(aiohttp, aiosqlite, asyncpg, aiosmtplib, motor...) are only proposed to asyncio code.")
_NOT_FLAGGED_COMMON_ZH = (
    "不会报告:`async def` 内嵌套的普通 `def`、`lambda` 或类体中的同样调用;作为可调用对象传给"
    "(而非直接调用)`asyncio.to_thread`、`loop.run_in_executor`、`anyio.to_thread.run_sync`、"
    "`trio.to_thread.run_sync` 的函数;仅与 API 同名的局部函数或变量;同步函数。建议会使用模块自己的"
    "异步库(由其任意形式的导入、所在包的其他模块或 `async-backend` 配置决定):trio 代码中为 "
    "`trio.to_thread.run_sync`、`trio.Path`、`trio.run_process`,anyio 代码中为对应的 anyio API,"
    "其他情况为 asyncio 的 API;只能在 asyncio 上运行的库(aiohttp、aiosqlite、asyncpg、aiosmtplib、"
    "motor 等)只向 asyncio 代码推荐。")
_WHY_EN = (
    "An event loop runs every coroutine of the program on one thread. While a coroutine is "
    "inside a blocking call, no other task runs: requests queue up, timeouts fire late, "
    "heartbeats are missed and latency grows with every concurrent user. Nothing crashes, "
    "so this is easy to miss in tests and expensive in production.")
_WHY_ZH = (
    "事件循环在一个线程上运行程序里所有的协程。一个协程停在阻塞调用里时,其他任务都无法运行:"
    "请求排队、超时延后触发、心跳丢失,并发用户越多延迟越大。程序不会崩溃,所以测试时很容易"
    "漏掉,上线后代价很高。")


class _BlockingCallRule(Rule):
    """Shared shape: report the calls ``classify`` assigns to this rule's code."""

    # A test's event loop runs the test and nothing else: blocking it there is harmless
    # (the reviewed findings in test code were all intended), so the default form of
    # the blocking-call rules leaves test code out.
    quiet_in_tests = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        found = classify(self.ctx, node)
        if found is not None and found.code == self.code:
            self.report(node, self.message(found))

    def message(self, found: Blocking) -> Text:
        advice = found.suggestion.text(self.ctx.async_backend, found.receiver)
        return Text(
            "'{api}()' blocks the event loop; {advice}").format(api=found.api, advice=advice)


class BlockingSleep(_BlockingCallRule):
    code = "CCY201"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check, its findings were all in test "
        "code and all intended (a test's loop runs nothing else), so the default form leaves "
        "test code out; outside tests `time.sleep` in a coroutine stalls every task.")
    name = "blocking-sleep"
    fix = "safe/unsafe"
    summary = Text("`time.sleep()` inside an async function")
    what = Text(
        "Finds calls of `time.sleep()` (however it was imported: `import time as t`, "
        "`from time import sleep as snooze`) made directly inside an `async def`. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找直接写在 `async def` 中的 `time.sleep()` 调用(无论如何导入:`import time as t`、"
        "`from time import sleep as snooze`)。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "`time.sleep()` suspends the whole thread, and with it the event loop: every other task "
        "waits too. `await asyncio.sleep()` suspends only the current coroutine and lets the "
        "loop run the others. " + _WHY_EN,
        "`time.sleep()` 让整个线程休眠,事件循环也随之停止:所有其他任务都在等待。"
        "`await asyncio.sleep()` 只挂起当前协程,事件循环可以继续运行其他任务。" + _WHY_ZH)
    example = (
        "import asyncio\nimport time\n\n\nasync def poll(client):\n"
        "    while not await client.ready():\n        time.sleep(0.5)\n")
    use_instead = (
        "import asyncio\n\n\nasync def poll(client):\n"
        "    while not await client.ready():\n        await asyncio.sleep(0.5)\n")
    fix_safety = Text(
        "The call becomes `await <library>.sleep(...)` with the same arguments, where the library "
        "is the module's own async library: the one its imports name in any form (`import trio`, "
        "`import trio.lowlevel`, `from anyio import ...`; anyio wins over asyncio, since anyio code "
        "runs on both), else the one its package's other modules import, else the "
        "`async-backend` setting. The module's own import is used (`import asyncio as aio` gives "
        "`aio.sleep`, `from asyncio import sleep` gives `sleep`); when the library is not imported "
        "as a module (`from trio import run`), the fix adds an `import trio` line above the "
        "module's first top-level import. An import the fix leaves unused (`import time`, "
        "`from time import sleep as snooze` after its last use) is removed or trimmed, unless its "
        "name is listed in a string such as `__all__`. Safe when the "
        "library is known; when it is not (no import of asyncio, trio or anyio anywhere, or "
        "asyncio and trio mixed), the fix uses asyncio and is unsafe (`--unsafe-fixes`): it is a "
        "guess. No fix is offered when the module has no top-level import statement, when the "
        "library's name is bound to something else, when the call is already awaited, or inside "
        "a generator expression (an `await` there would turn it into an async generator).")
    valid = (
        "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n",
        "import asyncio\nimport time\n\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "import time\n\nasync def f():\n    def wait():\n        time.sleep(1)\n    return wait\n",
        "import time\n\ndef f():\n    time.sleep(1)\n",
        "async def f():\n    def sleep(x):\n        return x\n    sleep(1)\n",
    )
    invalid = (
        "import time\n\nasync def f():\n    time.sleep(1)\n",
        "from time import sleep as snooze\n\nasync def f():\n    snooze(2)\n",
        "import time as t\n\nclass C:\n    async def run(self):\n        t.sleep(0.1)\n",
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        found = classify(self.ctx, node)
        if found is None or found.code != self.code:
            return
        module, local, before = _sleep_target(self.ctx)
        safe = self.ctx.async_backend is not None  # else asyncio is a guess
        fix = _sleep_fix(self.ctx, node, local, module, before, safe) if local is not None else None
        self.report(node, Text(
            "'{api}()' blocks the event loop; use 'await {module}.sleep(...)'").format(api=found.api, module=module), fix)


class BlockingHttpCall(_BlockingCallRule):
    code = "CCY202"

    group = "suspicious"
    group_reason = Text(
        "A synchronous HTTP call stalls every task for a network round trip; the default "
        "form leaves test code out. No finding on the 28 projects of the ecosystem check.")
    name = "blocking-http-call"
    summary = Text("synchronous HTTP request inside an async function")
    what = Text(
        "Finds synchronous HTTP calls inside an `async def`: `requests.get/post/...` and the "
        "methods of a `requests.Session`, `urllib.request.urlopen/urlretrieve`, `urllib3` "
        "`PoolManager().request()`, `http.client` connection `request/getresponse`, and sync "
        "`httpx` (`httpx.get/post/...`, `httpx.Client` methods). Constructing a "
        "`requests.Session()` or `http.client.HTTPConnection(...)` is not flagged (it does no "
        "I/O). `httpx.AsyncClient`, `aiohttp` and other async clients are fine. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的同步 HTTP 调用:`requests.get/post/...` 及 `requests.Session` 的方法、"
        "`urllib.request.urlopen/urlretrieve`、`urllib3` 的 `PoolManager().request()`、`http.client` "
        "连接的 `request/getresponse`,以及同步 `httpx`(`httpx.get/post/...`、`httpx.Client` 的方法)。"
        "仅创建 `requests.Session()` 或 `http.client.HTTPConnection(...)` 不会报告(没有 I/O)。"
        "`httpx.AsyncClient`、`aiohttp` 等异步客户端没有问题。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "A network round-trip takes milliseconds to seconds (or forever, without a timeout); a "
        "synchronous client holds the event loop for all of it. " + _WHY_EN,
        "一次网络往返需要几毫秒到几秒(没有超时时可能永远不返回);同步客户端在整个过程中占住事件循环。"
        + _WHY_ZH)
    example = (
        "import requests\n\n\nasync def fetch_user(user_id):\n"
        "    resp = requests.get(f\"https://api.example.com/users/{user_id}\", timeout=5)\n"
        "    return resp.json()\n")
    use_instead = (
        "import httpx\n\n\nasync def fetch_user(client: httpx.AsyncClient, user_id):\n"
        "    resp = await client.get(f\"https://api.example.com/users/{user_id}\", timeout=5)\n"
        "    return resp.json()\n")
    fix_safety = Text("No automatic fix: the async client has a different API and lifecycle.")
    valid = (
        "import asyncio, requests\n\nasync def f(url):\n    return await asyncio.to_thread(requests.get, url)\n",
        "import httpx\n\nasync def f(url):\n    async with httpx.AsyncClient() as c:\n        return await c.get(url)\n",
        "import requests\n\nasync def f():\n    session = requests.Session()\n    return session\n",
    )
    invalid = (
        "import requests\n\nasync def f(url):\n    return requests.get(url, timeout=5)\n",
        "from urllib.request import urlopen\n\nasync def f(url):\n    return urlopen(url).read()\n",
        "import httpx\n\nasync def f(url):\n    with httpx.Client() as c:\n        return c.get(url)\n",
    )


class BlockingSubprocess(_BlockingCallRule):
    code = "CCY203"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: no finding left (the one "
        "reviewed, a `wait()` that only reaps an exited child, was wrong and is no longer "
        "reported); the default form leaves test code out.")
    name = "blocking-subprocess"
    summary = Text("waiting for a subprocess inside an async function")
    what = Text(
        "Finds `subprocess.run/call/check_call/check_output/getoutput/getstatusoutput`, "
        "`Popen.wait()/communicate()`, `os.system`, `os.popen`, `os.spawn*` and `os.wait*` "
        "inside an `async def`. Creating a `subprocess.Popen(...)` is not flagged (it returns "
        "at once); `os.waitpid(pid, os.WNOHANG)`, `os.spawn*(os.P_NOWAIT, ...)` and "
        "`wait(timeout=0)` do not wait and are not flagged either, nor is `proc.wait()` inside "
        "`if <proc>.poll() is None:` after the coroutine awaited the exit notification there (it "
        "only reaps the child), or after an `await` that names the process itself. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的 `subprocess.run/call/check_call/check_output/getoutput/getstatusoutput`、"
        "`Popen.wait()/communicate()`、`os.system`、`os.popen`、`os.spawn*` 和 `os.wait*`。"
        "仅创建 `subprocess.Popen(...)` 不会报告(它立即返回);`os.waitpid(pid, os.WNOHANG)`、"
        "`os.spawn*(os.P_NOWAIT, ...)` 和 `wait(timeout=0)` 不等待,也不报告;在 `if <proc>.poll() is None:` "
        "中协程已经 await 了退出通知之后的 `proc.wait()`(它只是回收子进程),或在 await 了进程本身之后的 "
        "`proc.wait()`,同样不报告。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "These calls wait until the child process exits, which can take seconds or minutes. "
        "`asyncio.create_subprocess_exec()` starts the process and lets you `await` its end "
        "without stopping the loop. " + _WHY_EN,
        "这些调用会一直等到子进程退出,可能需要几秒甚至几分钟。`asyncio.create_subprocess_exec()` "
        "启动进程后可以 `await` 它结束,而不会停住事件循环。" + _WHY_ZH)
    example = (
        "import subprocess\n\n\nasync def git_head(repo):\n"
        "    out = subprocess.check_output([\"git\", \"rev-parse\", \"HEAD\"], cwd=repo)\n"
        "    return out.decode().strip()\n")
    use_instead = (
        "import asyncio\n\n\nasync def git_head(repo):\n"
        "    proc = await asyncio.create_subprocess_exec(\n"
        "        \"git\", \"rev-parse\", \"HEAD\", cwd=repo, stdout=asyncio.subprocess.PIPE)\n"
        "    out, _ = await proc.communicate()\n    return out.decode().strip()\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import asyncio\n\nasync def f():\n    p = await asyncio.create_subprocess_exec('ls')\n    await p.wait()\n",
        "import subprocess\n\nasync def f():\n    return subprocess.Popen(['sleep', '1'])\n",
        "import os\n\nasync def f(pid):\n    return os.waitpid(pid, os.WNOHANG)\n",
    )
    invalid = (
        "import subprocess\n\nasync def f():\n    subprocess.run(['ls'], check=True)\n",
        "from subprocess import run as sh\n\nasync def f():\n    sh(['ls'])\n",
        "import os\n\nasync def f():\n    os.system('ls')\n",
        "import subprocess\n\nasync def f():\n    p = subprocess.Popen(['ls'])\n    p.wait()\n",
    )


class BlockingFileIo(_BlockingCallRule):
    code = "CCY204"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 24 reviewed findings, 3 real, "
        "21 intended (one-off setup and teardown file operations, small bundled files, "
        "metadata operations, library save-to-path helpers). Too few real pitfalls for the "
        "default set, so `advice`.")
    name = "blocking-file-io"
    summary = Text("synchronous file I/O inside an async function")
    what = Text(
        "Finds `open()`, `io.open`, `codecs.open`, `os.fdopen`, `gzip/bz2/lzma.open`, the "
        "`pathlib.Path` methods `read_text/read_bytes/write_text/write_bytes/open/iterdir/glob/"
        "rglob/walk/mkdir/touch/unlink/rmdir/rename/replace`, `shutil` copy/move/rmtree/archive "
        "functions, `glob.glob/iglob` and `os.listdir/scandir/walk/remove/unlink/rename/replace/"
        "makedirs/mkdir/rmdir` inside an `async def`. After a flagged `open()`, the methods of the "
        "file object it returned (`fh.read()`) are not reported again: the `open()` is the one "
        "finding. Metadata-only calls (`os.path.exists/isfile/getsize`, `Path.exists/is_file/stat`) "
        "are not flagged. The generators `Path.iterdir/glob/rglob/walk`, `os.walk` and "
        "`glob.iglob` do their I/O when iterated: they are flagged where the coroutine iterates "
        "them (a `for` loop, `list(...)`, `sorted(...)`), not when the generator is handed to "
        "another call such as `asyncio.to_thread(list, path.iterdir())`. For whole-tree and copy "
        "operations (`shutil.rmtree/copytree/move/copy*`, archives, `os.walk`, `glob`, "
        "`Path.glob/rglob/walk`) the advice is a worker thread only: aiofiles, `trio.Path` and "
        "`anyio.Path` have no such operations. " + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的 `open()`、`io.open`、`codecs.open`、`os.fdopen`、`gzip/bz2/lzma.open`,"
        "`pathlib.Path` 的 `read_text/read_bytes/write_text/write_bytes/open/iterdir/glob/rglob/walk/"
        "mkdir/touch/unlink/rmdir/rename/replace` 方法,`shutil` 的复制/移动/删除/归档函数,"
        "`glob.glob/iglob`,以及 `os.listdir/scandir/walk/remove/unlink/rename/replace/makedirs/mkdir/"
        "rmdir`。已报告的 `open()` 返回的文件对象上的方法(`fh.read()`)不再重复报告:`open()` 就是"
        "那一条问题。只读元数据的调用(`os.path.exists/isfile/getsize`、`Path.exists/is_file/stat`)"
        "不报告。生成器 `Path.iterdir/glob/rglob/walk`、`os.walk` 和 `glob.iglob` 在被迭代时才做 I/O:"
        "在协程自己迭代它们的地方报告(`for` 循环、`list(...)`、`sorted(...)`),交给其他调用时不报告,"
        "例如 `asyncio.to_thread(list, path.iterdir())`。对整棵目录树和复制类操作(`shutil.rmtree/copytree/"
        "move/copy*`、归档、`os.walk`、`glob`、`Path.glob/rglob/walk`),建议只有放到工作线程:aiofiles、"
        "`trio.Path` 和 `anyio.Path` 都没有这些操作。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "Disk and network file systems can stall for a long time (cold caches, NFS, large "
        "files, directory trees). Python's file API is synchronous, so the loop waits. " + _WHY_EN,
        "磁盘和网络文件系统可能长时间卡住(冷缓存、NFS、大文件、大目录树)。Python 的文件 API 是同步的,"
        "事件循环只能等待。" + _WHY_ZH)
    example = (
        "import json\n\n\nasync def load_config(path):\n"
        "    with open(path, encoding=\"utf-8\") as fh:\n        return json.load(fh)\n")
    use_instead = (
        "import json\n\nimport aiofiles\n\n\nasync def load_config(path):\n"
        "    async with aiofiles.open(path, encoding=\"utf-8\") as fh:\n"
        "        return json.loads(await fh.read())\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import aiofiles\n\nasync def f(p):\n    async with aiofiles.open(p) as fh:\n        return await fh.read()\n",
        "import os\n\nasync def f(p):\n    return os.path.exists(p)\n",
        "import asyncio\nfrom pathlib import Path\n\nasync def f(p: Path):\n    return await asyncio.to_thread(p.read_text)\n",
    )
    invalid = (
        "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
        "from pathlib import Path\n\nasync def f(name):\n    return (Path('data') / name).read_text()\n",
        "import shutil\n\nasync def f(a, b):\n    shutil.copy(a, b)\n",
    )


class BlockingSyncPrimitive(_BlockingCallRule):
    code = "CCY205"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: the round-1 form had 14 "
        "findings, 10 wrong (short thread-lock sections, puts on unbounded queues, waits "
        "known to be over); the narrowed rule keeps 4, all in tests (intended), which the "
        "default form leaves out.")
    name = "blocking-sync-primitive"
    summary = Text("waiting on a thread primitive inside an async function")
    what = Text(
        "Finds, inside an `async def`: `acquire()` on a `threading` Lock/RLock/Semaphore/"
        "BoundedSemaphore/Condition (or a `multiprocessing` one); `Event.wait()`, "
        "`Condition.wait()/wait_for()`, `Barrier.wait()`; the blocking `get()/join()` of "
        "`queue.Queue/LifoQueue/PriorityQueue/SimpleQueue` and `multiprocessing.Queue/JoinableQueue`, "
        "and their `put()` when the queue was made with a positive (or non-literal) `maxsize` "
        "(only a full queue makes `put()` wait: on a queue made without one, or made where the "
        "rule cannot see, `put()` returns at once); `Thread.join()`, `Process.join()`; "
        "`multiprocessing.Pool` `apply/map/starmap/join`; `concurrent.futures` "
        "`Future.result()/exception()`, `wait()` and `as_completed()`. A plain `with` on a thread "
        "lock (or `lock.acquire()` right before `try: ... finally: lock.release()`) is flagged only "
        "when its body makes a blocking call: a body with no blocking call and no `await` is a "
        "short critical section guarding state shared with threads, the right tool there, and "
        "a body with an `await` is CCY210 (await-while-holding-thread-lock), not this rule. Not "
        "flagged either: the non-blocking forms `get(block=False)`, `get(False)`, "
        "`put(x, block=False)`, `acquire(blocking=False)`, `acquire(False)`, and any of these "
        "waits with a literal timeout of `0` (`event.wait(0)`, `t.join(timeout=0)`, "
        "`fut.result(timeout=0)`), which poll and return at once; waits whose end the code already "
        "knows: `fut.result()` inside `if fut.done():`, `t.join()` inside `if not t.is_alive():` or "
        "after a `while t.is_alive(): await ...` polling loop (`while not fut.done():` likewise), "
        "`q.get()` inside `if not q.empty():` or after `while q.empty(): await ...`, and a "
        "`join()`/`result()` after the coroutine awaited an event or future that the thread, its "
        "arguments or the future's done-callback signal (`await done.wait()`, `await finished`, "
        "`await asyncio.wrap_future(fut)`); `*_nowait()`; `Event.is_set()`; `Task.result()` and the "
        "result of other *asyncio* futures. A positive timeout still blocks (for up to that long) "
        "and is flagged. `async with threading.Lock()` is reported by CCY106 (wrong-with-kind), "
        "not here. The advice names the module's async library (`trio.to_thread.run_sync` in trio "
        "code) and never proposes an async lock, event or queue for an object that threads share. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的:`threading`(或 `multiprocessing`)Lock/RLock/Semaphore/BoundedSemaphore/"
        "Condition 的 `acquire()`;`Event.wait()`、`Condition.wait()/wait_for()`、`Barrier.wait()`;"
        "`queue.Queue/LifoQueue/PriorityQueue/SimpleQueue` 与 `multiprocessing.Queue/JoinableQueue` 的阻塞式 "
        "`get()/join()`,以及创建时给出正数(或非字面量)`maxsize` 的队列的 `put()`(只有队列满时 `put()` "
        "才会等待:对没有上限、或在规则看不到的地方创建的队列,`put()` 会立即返回);`Thread.join()`、"
        "`Process.join()`;`multiprocessing.Pool` 的 `apply/map/starmap/join`;`concurrent.futures` 的 "
        "`Future.result()/exception()`、`wait()` 和 `as_completed()`。对线程锁的普通 `with`(或紧跟 "
        "`try: ... finally: lock.release()` 的 `lock.acquire()`)只有在代码块中有阻塞调用时才报告:"
        "既没有阻塞调用也没有 `await` 的代码块是保护线程共享状态的短临界区,这正是线程锁的用途;"
        "代码块中有 `await` 的情况属于 CCY210(await-while-holding-thread-lock),不由本规则报告。同样不报告:"
        "非阻塞形式 `get(block=False)`、`get(False)`、`put(x, block=False)`、`acquire(blocking=False)`、"
        "`acquire(False)`,以及超时为字面量 `0` 的等待(`event.wait(0)`、`t.join(timeout=0)`、"
        "`fut.result(timeout=0)`),它们只是轮询并立即返回;代码已经知道已结束的等待:`if fut.done():` 内的 "
        "`fut.result()`、`if not t.is_alive():` 内或 `while t.is_alive(): await ...` 轮询循环之后的 "
        "`t.join()`(`while not fut.done():` 同理)、`if not q.empty():` 内或 `while q.empty(): await ...` "
        "之后的 `q.get()`,以及协程先 await 了由该线程、其参数或 future 的完成回调发出信号的事件或 future "
        "之后的 `join()`/`result()`(`await done.wait()`、`await finished`、"
        "`await asyncio.wrap_future(fut)`);`*_nowait()`;`Event.is_set()`;`Task.result()` 及其他 "
        "*asyncio* future 的结果。正数超时仍会阻塞(最长到超时),照常报告。`async with threading.Lock()` "
        "由 CCY106(wrong-with-kind)报告,这里不报告。建议会使用模块自己的异步库(trio 代码中为 "
        "`trio.to_thread.run_sync`),并且从不为线程共用的对象推荐异步锁、事件或队列。"
        + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "Thread primitives wait by blocking the calling thread. If the thread that will release "
        "the lock, set the event or fill the queue is waiting for the event loop, the program "
        "deadlocks; otherwise every other task stalls until it does. An object that threads "
        "share cannot simply become an `asyncio` one (those are not thread-safe): wait for it in "
        "a worker thread instead. " + _WHY_EN,
        "线程同步原语通过阻塞调用线程来等待。如果负责释放锁、设置事件或放入队列的一方正在等待事件循环,"
        "程序就会死锁;否则其他所有任务都要停下来等。线程共用的对象不能简单地换成 `asyncio` 对象(它们不是"
        "线程安全的):请改为在工作线程中等待它。" + _WHY_ZH)
    example = (
        "import queue\nimport threading\n\nresults = queue.Queue()\n\n\nasync def collect(work):\n"
        "    threading.Thread(target=work, args=(results,)).start()\n"
        "    return results.get()\n")
    use_instead = (
        "import asyncio\nimport queue\nimport threading\n\nresults = queue.Queue()\n\n\n"
        "async def collect(work):\n"
        "    threading.Thread(target=work, args=(results,)).start()\n"
        "    return await asyncio.to_thread(results.get)\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import queue\n\nq = queue.Queue(10)\n\nasync def f():\n    return q.get_nowait()\n",
        "import queue\n\nq = queue.Queue(10)\n\nasync def f():\n    return q.get(block=False)\n",
        "import queue\n\nq = queue.Queue()\n\nasync def f(item):\n    q.put(item)\n",
        "import threading\n\nev = threading.Event()\n\nasync def f():\n    return ev.is_set() or ev.wait(0)\n",
        "import asyncio\n\nasync def f():\n    t = asyncio.create_task(asyncio.sleep(1))\n    await t\n    return t.result()\n",
        "import asyncio, threading\n\nlock = threading.Lock()\n\nasync def f():\n    await asyncio.to_thread(lock.acquire)\n",
        "import threading\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n"
        "        self.n = 0\n\n    async def f(self):\n        with self._lock:\n            self.n += 1\n",
        "import asyncio, threading\n\nasync def f(work):\n    t = threading.Thread(target=work)\n"
        "    t.start()\n    while t.is_alive():\n        await asyncio.sleep(0.1)\n    t.join()\n",
    )
    invalid = (
        "import threading\n\nlock = threading.Lock()\n\nasync def f():\n    lock.acquire()\n",
        "import threading, time\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n\n"
        "    async def f(self):\n        with self._lock:\n            time.sleep(1)\n",
        "from concurrent.futures import ThreadPoolExecutor\n\nasync def f(ex: ThreadPoolExecutor):\n"
        "    fut = ex.submit(print, 1)\n    return fut.result()\n",
        "import queue\n\njobs = queue.Queue(maxsize=100)\n\nasync def f(job):\n    jobs.put(job)\n",
    )

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        # `with lock:` and `lock.acquire(); try: ... finally: lock.release()` sections whose
        # verdict waits for their body (its calls are classified on the way down).
        self._withs: Dict[int, Tuple[cst.BaseExpression, str]] = {}
        self._tries: Dict[int, Tuple[cst.Call, Text]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_function:
            return
        found = classify(self.ctx, node)
        if found is None or found.code != self.code:
            return
        section = _released_in_finally(self.ctx, node) if found.api.endswith(".acquire") else None
        if section is not None:
            self._tries[id(section)] = (node, self.message(found))
            return
        self.report(node, self.message(found))

    def leave_Try(self, node: cst.Try) -> None:
        pending = self._tries.pop(id(node), None)
        if pending is not None and (_suspends(node.body) is not None
                                    or _blocking_call(self.ctx, node.body) is not None):
            self.report(*pending)

    def visit_With(self, node: cst.With) -> None:
        items = _thread_lock_items(self.ctx, node)
        if items:
            self._withs[id(node)] = (items[0][0].item, items[0][1])

    def leave_With(self, node: cst.With) -> None:
        pending = self._withs.pop(id(node), None)
        if pending is None or _suspends(node.body) is not None:
            return  # a short critical section; or an await inside: CCY210
        blocking = _blocking_call(self.ctx, node.body)
        if blocking is None:
            return
        item, type_name = pending
        advice = apis.THREAD_LOCK.text(self.ctx.async_backend)
        self.report(item, Text(
            "'with' on a '{type_name}' waits for the lock on the event loop and holds it around "
            "the blocking call '{api}()'; {advice}").format(
                type_name=type_name,
                api=blocking.api,
                advice=advice))


def _thread_lock_items(ctx: Context, node: cst.With) -> List[Tuple[cst.WithItem, str]]:
    """The items of a plain ``with`` in a coroutine that take a thread lock, with its type."""
    if node.asynchronous is not None or not ctx.in_async_function:
        return []
    found = []
    for item in node.items:
        type_name = ctx.type_of(item.item)
        if type_name is not None and apis.with_entry(type_name) is not None:
            found.append((item, type_name))
    return found


def _section_nodes(block: cst.CSTNode) -> List[cst.CSTNode]:
    """The nodes a block runs itself: not the bodies of functions, lambdas or classes it
    defines, nor generator expressions (they run later, where they are iterated)."""
    found: List[cst.CSTNode] = []
    stack: List[cst.CSTNode] = [block]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.GeneratorExp)):
            continue
        stack.extend(reversed(iter_children(current)))
    return found


def _suspends(block: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The first ``await``, ``async with`` or ``async for`` the block itself runs."""
    for current in _section_nodes(block):
        if isinstance(current, cst.Await):
            return current
        if isinstance(current, (cst.With, cst.For, cst.CompFor)) and current.asynchronous is not None:
            return current
    return None


def _blocking_call(ctx: Context, block: cst.CSTNode) -> Optional[Blocking]:
    """The first blocking call the block runs (classified when the walk went through it)."""
    for current in _section_nodes(block):
        if isinstance(current, cst.Call):
            found = classify(ctx, current)
            if found is not None:
                return found
    return None


def _released_in_finally(ctx: Context, call: cst.Call) -> Optional[cst.Try]:
    """``lock.acquire()`` as a statement right before ``try: ... finally: lock.release()``:
    the ``try`` is a critical section like ``with lock:``."""
    ancestors = ctx.ancestors
    if len(ancestors) < 3 or not isinstance(call.func, cst.Attribute):
        return None
    expr, line, block = ancestors[-1], ancestors[-2], ancestors[-3]
    if not (isinstance(expr, cst.Expr) and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1 and isinstance(block, cst.IndentedBlock)):
        return None
    index = next((i for i, stmt in enumerate(block.body) if stmt is line), -1)
    following = block.body[index + 1] if 0 <= index < len(block.body) - 1 else None
    wanted = dotted(call.func.value)
    if not isinstance(following, cst.Try) or following.finalbody is None or wanted is None:
        return None
    for sub in walk_body(following.finalbody):
        if (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value == "release" and dotted(sub.func.value) == wanted):
            return following
    return None


class AwaitWhileHoldingThreadLock(Rule):
    code = "CCY210"

    group = "suspicious"
    group_reason = Text(
        "A coroutine that awaits while holding a thread lock can deadlock the event loop; no "
        "finding on the 28 projects of the ecosystem check, reported in test code too (a "
        "deadlocked test hangs).")
    name = "await-while-holding-thread-lock"
    summary = Text("`await` inside `with <threading lock>:` in an async function")
    what = Text(
        "Finds a plain `with` on a `threading` (or `multiprocessing`) Lock, RLock, Semaphore, "
        "BoundedSemaphore or Condition inside an `async def` whose body runs an `await`, an "
        "`async with` or an `async for`. The lock is found like every other object "
        "(`lock = threading.Lock()`, `self._lock` set in `__init__`, module-level locks, annotated "
        "parameters). It is reported on the `with` statement. Not flagged: an `asyncio` (or trio, "
        "anyio) lock taken with `async with`; a `with lock:` around code that never suspends (that "
        "short critical section is CCY205's business, and only when it holds a blocking call); an "
        "`await` inside a function, lambda or class defined in the `with` body, which does not run "
        "there. Such a `with` is reported by this rule only, not by CCY205 as well. Group: "
        "suspicious (on by default): holding a thread lock across a suspension is a latent "
        "deadlock wherever a second coroutine can take the same lock.")
    why = Text(
        "A thread lock belongs to a thread, and every coroutine of an event loop runs on the same "
        "thread. While the coroutine is suspended at the `await`, the lock stays held; when "
        "another coroutine on the loop reaches `with lock:` it blocks the thread waiting for a "
        "release that can only happen once the loop runs the first coroutine again, which it never "
        "will: the whole loop hangs for good (an `RLock` is worse: the second coroutine, on the "
        "same thread, re-enters it and both mutate the state it guards). Threads that need the "
        "lock wait for the whole suspension too. Keep the critical section free of `await`: copy "
        "what you need under the lock, release it, then await; a lock that only coroutines use "
        "should be an async lock.")
    example = (
        "import threading\n\n_lock = threading.Lock()\n_cache = {}\n\n\n"
        "async def get(key, fetch):\n    with _lock:\n        if key not in _cache:\n"
        "            _cache[key] = await fetch(key)\n        return _cache[key]\n")
    use_instead = (
        "import threading\n\n_lock = threading.Lock()\n_cache = {}\n\n\n"
        "async def get(key, fetch):\n    with _lock:\n        if key in _cache:\n"
        "            return _cache[key]\n    value = await fetch(key)\n    with _lock:\n"
        "        return _cache.setdefault(key, value)\n")
    fix_safety = Text("No automatic fix: where to release the lock depends on what it guards.")
    valid = (
        "import asyncio\n\nlock = asyncio.Lock()\n\nasync def f(g):\n    async with lock:\n        await g()\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(state):\n    with lock:\n"
        "        state['n'] += 1\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n"
        "        async def later():\n            await g()\n    return later\n",
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n"
        "        def helper():\n            return g()\n    await g()\n",
    )
    invalid = (
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g):\n    with lock:\n        await g()\n",
        "import threading\n\nclass C:\n    def __init__(self):\n        self._lock = threading.RLock()\n\n"
        "    async def f(self, s):\n        with self._lock:\n            async with s:\n                pass\n",
        "import threading\n\nasync def f(lock: threading.Condition, items):\n    with lock:\n"
        "        async for x in items:\n            print(x)\n",
    )

    def visit_With(self, node: cst.With) -> None:
        items = _thread_lock_items(self.ctx, node)
        if not items or _suspends(node.body) is None:
            return
        item, type_name = items[0]
        shown = " ".join(self.ctx.module.code_for_node(item.item).split())
        lock = backend_advice(self.ctx.async_backend, "lock")
        self.report(node, Text(
            "'with {shown}' keeps a thread lock ('{type_name}') held across an await: while this "
            "coroutine is suspended, another coroutine that takes the lock blocks the event loop for "
            "good; release it before awaiting, or use {lock} if no thread shares it").format(
                shown=shown,
                type_name=type_name,
                lock=lock))


class BlockingInput(_BlockingCallRule):
    code = "CCY206"

    group = "suspicious"
    group_reason = Text(
        "Waiting for a person at the keyboard stops every task; the default form leaves test "
        "code out. No finding on the 28 projects of the ecosystem check.")
    name = "blocking-input"
    summary = Text("reading the terminal inside an async function")
    what = Text(
        "Finds `input()`, `sys.stdin.read()/readline()/readlines()` (also on "
        "`sys.stdin.buffer`) and `getpass.getpass()` inside an `async def`. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的 `input()`、`sys.stdin.read()/readline()/readlines()`(包括 "
        "`sys.stdin.buffer` 上的)和 `getpass.getpass()`。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "Waiting for a person to type is the longest wait there is: the loop does nothing until "
        "they press Enter. " + _WHY_EN,
        "等待用户输入是最漫长的等待:在用户按下回车之前,事件循环什么也做不了。" + _WHY_ZH)
    example = "async def chat(conn):\n    while True:\n        line = input('> ')\n        await conn.send(line)\n"
    use_instead = (
        "import asyncio\n\n\nasync def chat(conn):\n    while True:\n"
        "        line = await asyncio.to_thread(input, '> ')\n        await conn.send(line)\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import asyncio\n\nasync def f():\n    return await asyncio.to_thread(input, '> ')\n",
        "def f():\n    return input('> ')\n",
        "async def f(prompt):\n    def input(p):\n        return p\n    return input(prompt)\n",
    )
    invalid = (
        "async def f():\n    return input('name? ')\n",
        "import sys\n\nasync def f():\n    return sys.stdin.readline()\n",
        "from getpass import getpass\n\nasync def f():\n    return getpass()\n",
    )


class BlockingNetworkCall(_BlockingCallRule):
    code = "CCY207"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: outside tests 1 finding, real "
        "(a blocking connect to a user-given host in a config flow); the 6 in test code were "
        "intended and are left out of the default form.")
    name = "blocking-network-call"
    summary = Text("synchronous socket, DNS, SMTP, FTP or Telnet call inside an async function")
    what = Text(
        "Finds, inside an `async def`: `socket.create_connection`, `getaddrinfo`, "
        "`gethostbyname(_ex)`, `gethostbyaddr`, `getnameinfo`, `getfqdn`; "
        "`connect/connect_ex/accept/recv*/send*/sendall` on a `socket.socket` made in scope "
        "(or stored on `self`, at module level, or an annotated parameter); the `smtplib.SMTP/"
        "SMTP_SSL/LMTP`, `ftplib.FTP/FTP_TLS` and `telnetlib.Telnet` constructors given a host "
        "(they connect) and their protocol methods (`sendmail`, `send_message`, `login`, "
        "`starttls`, `quit`, `retrbinary`, `storbinary`, `read_until`, ...). Not flagged: "
        "`socket.gethostname()`, constructors without a host, and socket methods on a socket "
        "switched to non-blocking mode in the file (`sock.setblocking(False)`) or called inside a "
        "`try` that handles `BlockingIOError` (the code expects a non-blocking socket), a socket "
        "handed in the same function to a wrapper or loop method that makes it non-blocking "
        "(`trio.socket.from_stdlib_socket(s)`, `loop.sock_recv(s, n)`, `sock=s`), a "
        "`recv`/`accept` (`send`) right after the coroutine awaited the socket's readiness "
        "(`await wait_readable(s)` / `wait_writable(s)`), and lookups that cannot touch the network: "
        "`getaddrinfo`/`getnameinfo` with `AI_NUMERICHOST`/`NI_NUMERICHOST` in their flags (in any "
        "spelling, also through a module constant), and a literal IP address or `None` as the host. "
        + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的:`socket.create_connection`、`getaddrinfo`、`gethostbyname(_ex)`、"
        "`gethostbyaddr`、`getnameinfo`、`getfqdn`;在作用域内创建(或保存在 `self`、模块级、带注解参数)"
        "的 `socket.socket` 上的 `connect/connect_ex/accept/recv*/send*/sendall`;给出主机名的 "
        "`smtplib.SMTP/SMTP_SSL/LMTP`、`ftplib.FTP/FTP_TLS`、`telnetlib.Telnet` 构造(会立即连接)"
        "及其协议方法(`sendmail`、`send_message`、`login`、`starttls`、`quit`、`retrbinary`、"
        "`storbinary`、`read_until` 等)。不报告:`socket.gethostname()`、不带主机名的构造、以及在本文件中"
        "被设为非阻塞(`sock.setblocking(False)`)的 socket 上的方法,或在处理 `BlockingIOError` 的 "
        "`try` 中的调用(代码预期 socket 为非阻塞);在同一函数中交给了会把它设为非阻塞的包装或事件循环方法"
        "(`trio.socket.from_stdlib_socket(s)`、`loop.sock_recv(s, n)`、`sock=s`)的 socket;协程刚刚 await 了 "
        "socket 就绪(`await wait_readable(s)` / `wait_writable(s)`)之后的 `recv`/`accept`(`send`);以及不会"
        "访问网络的查询:flags 中带有 `AI_NUMERICHOST`/`NI_NUMERICHOST`(任意写法,包括经由模块常量)的 "
        "`getaddrinfo`/`getnameinfo`,以及主机为字面 IP 地址或 `None` 的查询。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "Connecting, resolving a name and waiting for bytes all depend on the network and the "
        "peer; a blocking socket holds the event loop for the whole wait. " + _WHY_EN,
        "建立连接、解析域名、等待数据都取决于网络和对端;阻塞式 socket 会在整个等待期间占住事件循环。"
        + _WHY_ZH)
    example = (
        "import smtplib\n\n\nasync def send_report(msg):\n"
        "    with smtplib.SMTP(\"mail.example.com\", 587, timeout=10) as smtp:\n"
        "        smtp.starttls()\n        smtp.send_message(msg)\n")
    use_instead = (
        "import asyncio\nimport smtplib\n\n\ndef _send(msg):\n"
        "    with smtplib.SMTP(\"mail.example.com\", 587, timeout=10) as smtp:\n"
        "        smtp.starttls()\n        smtp.send_message(msg)\n\n\n"
        "async def send_report(msg):\n    await asyncio.to_thread(_send, msg)\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import asyncio\n\nasync def f(host):\n    r, w = await asyncio.open_connection(host, 80)\n    return r\n",
        "import socket\n\nasync def f():\n    return socket.gethostname()\n",
        "import smtplib\n\nasync def f():\n    return smtplib.SMTP()\n",
    )
    invalid = (
        "import socket\n\nasync def f(host):\n    return socket.gethostbyname(host)\n",
        "import socket\n\nasync def f(addr):\n    s = socket.socket()\n    s.connect(addr)\n",
        "import smtplib\n\nasync def f(msg):\n    smtplib.SMTP('localhost').send_message(msg)\n",
    )


class BlockingDatabaseCall(_BlockingCallRule):
    code = "CCY208"

    group = "suspicious"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 4 findings, all in tests and "
        "intended, which the default form leaves out; outside tests a sync database call "
        "stalls every task.")
    name = "blocking-database-call"
    summary = Text("synchronous database call inside an async function")
    what = Text(
        "Finds, inside an `async def`: `sqlite3.connect` and every method call on a `sqlite3` "
        "connection or cursor; `connect()` of `psycopg2`, `psycopg`, `pymysql`, `MySQLdb` and "
        "`mysql.connector` and every method of their connections and cursors; command methods of "
        "`redis.Redis`/`StrictRedis` clients (not `redis.asyncio`), `pipeline().execute()` and "
        "pub/sub reads; the `pymongo.MongoClient(...)` constructor and the methods of its "
        "databases and collections (`client.db.users` and `client['db']['users']` both count). "
        "Objects are tracked through local names, `self.x` attributes, module-level names, "
        "`with ... as` and annotated parameters. Building a pipeline, pub/sub or lock object "
        "(`r.pipeline()`) is not flagged. " + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中的:`sqlite3.connect` 及 `sqlite3` 连接或游标上的每个方法调用;"
        "`psycopg2`、`psycopg`、`pymysql`、`MySQLdb`、`mysql.connector` 的 `connect()` 及其连接和游标的"
        "每个方法;`redis.Redis`/`StrictRedis` 客户端(不含 `redis.asyncio`)的命令方法、"
        "`pipeline().execute()` 和 pub/sub 读取;`pymongo.MongoClient(...)` 构造及其数据库和集合的方法"
        "(`client.db.users` 与 `client['db']['users']` 都算)。对象通过局部变量、`self.x` 属性、模块级名字、"
        "`with ... as` 和带注解的参数跟踪。仅创建 pipeline、pub/sub 或锁对象(`r.pipeline()`)不报告。"
        + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "Every query is a round-trip to a server or a disk; under load each one takes long "
        "enough to stall every other request the service is handling. " + _WHY_EN,
        "每次查询都是一次到服务器或磁盘的往返;负载高时每一次都足以让服务正在处理的其他请求停下来。"
        + _WHY_ZH)
    example = (
        "import sqlite3\n\n\nasync def get_user(user_id):\n"
        "    conn = sqlite3.connect(\"app.db\")\n"
        "    row = conn.execute(\"SELECT * FROM users WHERE id = ?\", (user_id,)).fetchone()\n"
        "    return row\n")
    use_instead = (
        "import aiosqlite\n\n\nasync def get_user(user_id):\n"
        "    async with aiosqlite.connect(\"app.db\") as conn:\n"
        "        cur = await conn.execute(\"SELECT * FROM users WHERE id = ?\", (user_id,))\n"
        "        return await cur.fetchone()\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    valid = (
        "import redis.asyncio as redis\n\nasync def f():\n    r = redis.Redis()\n    return await r.get('k')\n",
        "import aiosqlite\n\nasync def f():\n    async with aiosqlite.connect('a.db') as db:\n        await db.execute('select 1')\n",
        "import redis\n\nasync def f(r: redis.Redis):\n    return r.pipeline()\n",
    )
    invalid = (
        "import sqlite3\n\nasync def f():\n    return sqlite3.connect('a.db')\n",
        "import redis\n\ncache = redis.Redis()\n\nasync def f(key):\n    return cache.get(key)\n",
        "from pymongo import MongoClient\n\nclient = MongoClient()\n\nasync def f(uid):\n"
        "    return client.app.users.find_one({'_id': uid})\n",
    )


class ConfiguredBlockingCall(_BlockingCallRule):
    code = "CCY209"

    group = "suspicious"
    group_reason = Text(
        "You configured these calls as blocking; the default form leaves test code out like "
        "the other blocking-call rules.")
    name = "configured-blocking-call"
    summary = Text("call configured as blocking (`blocking-calls`) inside an async function")
    what = Text(
        "Finds calls inside an `async def` whose qualified name matches an entry of the "
        "`blocking-calls` setting: your own project's or a third-party library's blocking "
        "functions that concurlint cannot know about. Names are resolved through imports like "
        "every other rule (`from legacy_sdk import fetch as f` then `f()` is `legacy_sdk.fetch`), "
        "and a method on an object made by a listed constructor counts too (`legacy_sdk.Client()"
        ".fetch()` is `legacy_sdk.Client.fetch`). A call that a built-in CCY2 rule already "
        "reports is reported by that rule only. " + _NOT_FLAGGED_COMMON_EN,
        "查找 `async def` 中限定名匹配 `blocking-calls` 配置项的调用:concurlint 无法自行知道的、"
        "你自己项目或第三方库中的阻塞函数。名字像其他规则一样经由导入解析(`from legacy_sdk import "
        "fetch as f` 后的 `f()` 即 `legacy_sdk.fetch`),由列出的构造函数创建的对象上的方法也算"
        "(`legacy_sdk.Client().fetch()` 即 `legacy_sdk.Client.fetch`)。已被内置 CCY2 规则报告的调用"
        "只由那条规则报告。" + _NOT_FLAGGED_COMMON_ZH)
    why = Text(
        "A blocking call stalls the loop no matter which library it comes from; listing your "
        "known offenders keeps them out of async code. " + _WHY_EN,
        "无论来自哪个库,阻塞调用都会卡住事件循环;把已知的阻塞函数列入配置,可以防止它们混进异步代码。"
        + _WHY_ZH)
    example = (
        "# pyproject.toml: [tool.concurlint] blocking-calls = [\"billing.charge_card\"]\n"
        "from billing import charge_card\n\n\nasync def checkout(order):\n"
        "    charge_card(order.card, order.total)\n")
    use_instead = (
        "import asyncio\n\nfrom billing import charge_card\n\n\nasync def checkout(order):\n"
        "    await asyncio.to_thread(charge_card, order.card, order.total)\n")
    fix_safety = Text("No automatic fix.", "不提供自动修复。")
    options = Text(
        "`blocking-calls` (list of dotted names): `pkg.func` matches exactly that object; "
        "`pkg.*` matches every name under `pkg` at any depth (`pkg.a`, `pkg.a.b`, and methods of "
        "objects made by `pkg.Client()`), never a different package sharing the prefix "
        "(`pkg_async`).")
    # Examples run with the rule selected and no configuration: nothing is listed, so
    # only valid examples can be expressed here (the fixtures and unit tests cover the rest).
    valid = (
        "import legacy_sdk\n\nasync def f():\n    return legacy_sdk.fetch()\n",
    )
    invalid = ()


RULES = [
    BlockingSleep,
    BlockingHttpCall,
    BlockingSubprocess,
    BlockingFileIo,
    BlockingSyncPrimitive,
    BlockingInput,
    BlockingNetworkCall,
    BlockingDatabaseCall,
    ConfiguredBlockingCall,
    AwaitWhileHoldingThreadLock,
]
