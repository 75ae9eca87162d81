"""How CCY2 reads the arguments of a call: a positional-or-keyword argument, literal
values, whether a value is of a kind or uses given names, dotted names, and which sockets of a
module were made non-blocking with ``setblocking(False)`` or ``settimeout(0)``.
"""
from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst
import ipaddress

from ...apis import blocking as apis
from ...semantics.context import Context
from ...semantics.scopes import ASSIGN
from ...semantics.traversal import iter_children


_MEMO_NONBLOCKING_SOCKETS = "ccy2.nonblocking-sockets"


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
