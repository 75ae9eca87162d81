"""CCY502 (client-session-without-timeout): an ``aiohttp.ClientSession`` (or a client of the
same kind) created without an explicit timeout.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from ...apis.timeouts import AIOHTTP_REQUEST_METHODS, CLIENT_SESSION_TIMEOUT, CLIENT_TIMEOUT_LIMITS
from ...findings import Text
from ...semantics.callees import GIVEN, MISSING, argument, dotted
from .common import _shown, _TimeoutRule, _with_parents, _function_or_module, _enclosing_class


# ----------------------------------------------------------------------------- CCY502


class ClientSessionWithoutTimeout(_TimeoutRule):
    code = "CCY502"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 5 findings left, all intended "
        "(long-lived sessions where the 5-minute default is a deliberate bound); `advice`.")
    name = "client-session-without-timeout"
    summary = Text("`aiohttp.ClientSession` without an explicit timeout")
    what = Text(
        "Flags `aiohttp.ClientSession(...)` created without `timeout=`, and "
        "`aiohttp.ClientTimeout()` built with no limit set (every one of `total`, `connect`, "
        "`sock_read`, `sock_connect` missing or `None`). Not flagged: a session bound to a name "
        "(`async with ... as s`, `s = ...`, `self._s = ...`) every request of which (`get`, `post`, "
        "`request`, `ws_connect`...) in the same function, or class for `self._s`, passes its own "
        "`timeout=` (not `None`) and that is not handed to other code: its default never applies. "
        "Group: advice (off by default): the fallback is a 5-minute bound, not a hang, and a "
        "long-lived general-purpose session often wants it.")
    why = Text(
        "Without a timeout an aiohttp session falls back to a 5-minute total per request: a "
        "stalled server holds a task, a connection and a concurrency slot for five minutes "
        "before anything happens. A `ClientTimeout()` with no limits is worse: no timeout at "
        "all. Choose the limits that fit the service.")
    example = (
        "import aiohttp\n\n"
        "async def main():\n"
        "    async with aiohttp.ClientSession() as session:\n"
        "        ...\n")
    use_instead = (
        "import aiohttp\n\n"
        "async def main():\n"
        "    timeout = aiohttp.ClientTimeout(total=30, connect=5)\n"
        "    async with aiohttp.ClientSession(timeout=timeout) as session:\n"
        "        ...\n")
    fix_safety = Text("No automatic fix: the right limits depend on the service.")
    options = Text("Off by default; enable with `extend-select = [\"CCY502\"]` or the `learn` preset.")
    valid = (
        "import aiohttp\nasync def main():\n    async with aiohttp.ClientSession("
        "timeout=aiohttp.ClientTimeout(total=10)) as s:\n        pass\n",
        "import aiohttp\nt = aiohttp.ClientTimeout(sock_read=30)\n",
        "import aiohttp\ndef make(**kw):\n    return aiohttp.ClientSession(**kw)\n",
    )
    invalid = (
        "import aiohttp\nasync def main():\n    async with aiohttp.ClientSession() as s:\n        pass\n",
        "from aiohttp import ClientTimeout\nt = ClientTimeout()\n",
        "import aiohttp\nt = aiohttp.ClientTimeout(total=None)\n",
    )

    _names = frozenset(k.rsplit(".", 1)[-1] for k in [*CLIENT_SESSION_TIMEOUT, *CLIENT_TIMEOUT_LIMITS])

    def visit_Call(self, node: cst.Call) -> None:
        callee = self._callee(node)
        if callee is None:
            return
        spec = CLIENT_SESSION_TIMEOUT.get(callee)
        if spec is not None:
            state, _value = argument(node, *spec)
            if state == MISSING and not self._every_request_times_out(node):
                self.report(node, Text(
                    "'{shown}()' has no timeout= and falls back to a 5-minute total; "
                    "pass timeout=aiohttp.ClientTimeout(total=..., connect=...)").format(shown=_shown(self, node)))
            return
        limits = CLIENT_TIMEOUT_LIMITS.get(callee)
        if limits is None:
            return
        for index, keyword in enumerate(limits):
            state, value = argument(node, index, keyword)
            if state == GIVEN and not self._no_timeout(value):
                return
            if state not in (GIVEN, MISSING):
                return  # *args/**kwargs may set a limit
        self.report(node, Text(
            "'{shown}()' sets no limit at all (no total, connect or sock_read); "
            "give at least total=<seconds>").format(shown=_shown(self, node)))


    def _session_name(self, node: cst.Call) -> Tuple[Optional[str], Optional[cst.CSTNode]]:
        """The name the new session is bound to (``async with ... as s``, ``s = ...``,
        ``self._s = ...``) and where its uses can all be seen (function or class)."""
        parent = self.ctx.parent
        target: Optional[cst.BaseExpression] = None
        if isinstance(parent, cst.WithItem) and parent.asname is not None:
            target = parent.asname.name  # type: ignore[assignment]
        elif isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign):
            target = parent.target
        name = dotted(target) if target is not None else None
        if name is None:
            return None, None
        if isinstance(target, cst.Name):
            return name, _function_or_module(self)
        if name.startswith("self.") and name.count(".") == 1:
            return name, _enclosing_class(self)
        return None, None

    def _every_request_times_out(self, node: cst.Call) -> bool:
        """Every request made on the session passes its own ``timeout=`` (not None), and the
        session is not handed anywhere else: its default is never used."""
        name, scope = self._session_name(node)
        if name is None or scope is None:
            return False
        requests: List[cst.Call] = []
        pairs = _with_parents(scope)
        parents = {id(child): parent for child, parent in pairs}
        for child, parent in pairs:
            if not isinstance(child, (cst.Name, cst.Attribute)) or dotted(child) != name:
                continue
            if isinstance(parent, cst.Attribute) and parent.value is child:
                call = parents.get(id(parent))
                if (isinstance(call, cst.Call) and call.func is parent
                        and parent.attr.value in AIOHTTP_REQUEST_METHODS):
                    requests.append(call)
                continue  # other methods (close) and attributes
            if isinstance(parent, (cst.Arg, cst.Return, cst.Yield, cst.Element, cst.DictElement,
                                   cst.Assign, cst.AnnAssign)) and getattr(parent, "value", None) is child:
                return False  # handed on: its other requests are out of sight
        for call in requests:
            state, value = argument(call, None, "timeout")
            if state != GIVEN or self._no_timeout(value):
                return False
        return bool(requests)
