"""CCY501 (network-call-without-timeout): a network call made without a timeout, with the
knowledge of which clients fall back on the socket module's global default and which
sockets are the code's own listening servers.
"""
from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from ...apis.timeouts import (
    CONNECTS_ONLY_WITH_HOST, LATE_CONNECT, NETWORK_TIMEOUT_DEFAULTED, NETWORK_TIMEOUT_REQUIRED,
    OWN_ADDRESS_ATTRIBUTES, OWN_ADDRESS_METHODS, PEER_ARGUMENT, SESSION_CUSTOMISERS, SESSION_TYPES, Param,
    last_names,
)
from ...findings import Text
from ...semantics.callees import GIVEN, MISSING, argument, dotted, walk_body
from ...semantics.scopes import ASSIGN
from ...semantics.traversal import iter_children
from .common import _shown, _TimeoutRule, _target_names, _function_or_module


# Servers the standard library binds when it builds them: their ``server_address`` is the
# code's own listening socket.
_SERVER_MODULES = ("socketserver.", "http.server.", "wsgiref.simple_server.", "xmlrpc.server.")


# ----------------------------------------------------------------------------- CCY501


# Clients built on the socket module's global default timeout (socket.setdefaulttimeout);
# requests passes timeout=None to its sockets explicitly, so the default never applies there.
_GLOBAL_TIMEOUT_MODULES = ("urllib.", "socket.", "smtplib.", "ftplib.")


class NetworkCallWithoutTimeout(_TimeoutRule):
    code = "CCY501"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 6 findings, 3 real and 3 "
        "intended (command-line code). An out-of-sample review on the standard library and "
        "40 installed packages found 47 more, 2 real: most calls without a timeout are in "
        "developer tools, packaging commands, interactive helpers and URL helpers that follow "
        "`socket.setdefaulttimeout()`, where nobody waits on a hang unseen. Too few real "
        "pitfalls for the default set, so `advice`.")
    name = "network-call-without-timeout"
    summary = Text("network call without a timeout")
    what = Text(
        "Flags network calls that wait forever unless given a timeout: `requests` functions and "
        "`requests.Session` request methods without `timeout=` (or with `timeout=None`), "
        "`urllib.request.urlopen` and `OpenerDirector.open` without a timeout, "
        "`socket.create_connection` without a timeout, and `smtplib.SMTP`/`SMTP_SSL`/`LMTP` and "
        "`ftplib.FTP`/`FTP_TLS` connections without a timeout. The timeout may be given by keyword "
        "or position (`urlopen(url, data, 10)`, `socket.create_connection(addr, 5)`). `httpx` "
        "already defaults to 5 seconds, so only an explicit `timeout=None` on `httpx` calls and "
        "clients is flagged; an `httpx.Client` built with a timeout covers its calls. A call that "
        "leaves the timeout out inside a function that takes a `timeout` parameter itself "
        "(a pass-through helper) follows the caller's choice and is not flagged. Neither is a "
        "connection to the code's own listening socket: an address or URL built from "
        "`srv.getsockname()` or from a standard-library server's `server_address`/`server_port` "
        "(directly or through names assigned earlier in the function), since that peer cannot "
        "be an unresponsive remote server.")
    why = Text(
        "`requests`, `urllib` and the socket-based clients have no timeout by default: if the "
        "server accepts the connection and then stops answering, the call waits forever. The "
        "thread (or the whole script) hangs, worker pools fill up with stuck calls and the "
        "service stops without an error message to explain why.")
    example = (
        "import requests\n\n"
        "def status(url):\n"
        "    return requests.get(url).status_code\n")
    use_instead = (
        "import requests\n\n"
        "def status(url):\n"
        "    return requests.get(url, timeout=10).status_code\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the service.")
    valid = (
        "import requests\nr = requests.get('https://example.com', timeout=5)\n",
        "import urllib.request\nurllib.request.urlopen('https://example.com', None, 10)\n",
        "import socket\nsocket.create_connection(('example.com', 80), 3)\n",
        "import httpx\nr = httpx.get('https://example.com')\n",
        "import requests\ndef get(url, **kwargs):\n    return requests.get(url, **kwargs)\n",
        "def get(url):\n    return url\nget('https://example.com')\n",
    )
    invalid = (
        "import requests\nr = requests.get('https://example.com')\n",
        "import requests\ns = requests.Session()\ns.post('https://example.com', json={}, timeout=None)\n",
        "from urllib.request import urlopen\nurlopen('https://example.com')\n",
        "import httpx\nclient = httpx.Client(timeout=None)\n",
        "import smtplib\nserver = smtplib.SMTP('mail.example.com', 25)\n",
        "import socket\nsock = socket.create_connection(('example.com', 80))\n",
    )

    _names = last_names(NETWORK_TIMEOUT_REQUIRED, NETWORK_TIMEOUT_DEFAULTED) | {
        k.rsplit(".", 1)[-1] for k in LATE_CONNECT}

    def visit_Call(self, node: cst.Call) -> None:
        callee = self._callee(node)
        if callee is None or not (callee in NETWORK_TIMEOUT_REQUIRED or callee in LATE_CONNECT
                                  or callee in NETWORK_TIMEOUT_DEFAULTED):
            return
        spec = NETWORK_TIMEOUT_REQUIRED.get(callee)
        if spec is not None:
            self._required(node, callee, spec)
            return
        if callee in LATE_CONNECT:
            self._late_connect(node, callee)
            return
        spec = NETWORK_TIMEOUT_DEFAULTED.get(callee)
        if spec is not None:
            state, value = argument(node, *spec)
            if state == GIVEN and self._no_timeout(value):
                self._report_disabled(node)

    def _required(self, node: cst.Call, callee: str, spec: Param) -> None:
        if callee in CONNECTS_ONLY_WITH_HOST and not any(
                arg.keyword is None or arg.keyword.value == "host" for arg in node.args):
            return  # no connection yet: judged at connect()
        if self._customised_session(node, callee):
            return
        state, value = argument(node, *spec)
        if state == MISSING and self._caller_chooses_timeout():
            return  # `def connect(addr, timeout=None): ... if timeout is None: create_connection(addr)`
        if self._to_own_socket(node, callee):
            return
        if state == MISSING:
            shown = _shown(self, node)
            if callee.startswith(_GLOBAL_TIMEOUT_MODULES):  # socket-based: the process default applies
                self.report(node, Text(
                    "'{shown}()' has no timeout unless socket.setdefaulttimeout() set one, and can "
                    "wait forever on an unresponsive server; pass timeout=<seconds>").format(
                        shown=shown))
                return
            self.report(node, Text(
                "'{shown}()' has no timeout and can wait forever on an unresponsive server; "
                "pass timeout=<seconds>").format(
                    shown=shown))
        elif state == GIVEN and self._no_timeout(value):
            self._report_disabled(node)

    def _to_own_socket(self, node: cst.Call, callee: str) -> bool:
        """The peer is the code's own listening socket: its address comes from
        ``srv.getsockname()`` or a stdlib server's ``server_address``/``server_port``,
        directly or through names assigned earlier in the same function."""
        peer = PEER_ARGUMENT.get(callee) or ((0, "host") if callee in LATE_CONNECT else None)
        if peer is None:
            return False
        state, value = argument(node, *peer)
        if state != GIVEN or value is None:
            return False
        scope = _function_or_module(self)
        key = ("CCY501.own_addresses", id(scope))
        names = self.ctx.memo.get(key)
        if names is None:
            names = set()
            for sub in walk_body(scope):
                if isinstance(sub, cst.Assign) and self._own_address(sub.value, names):
                    for target in sub.targets:
                        names.update(_target_names(target.target))
            self.ctx.memo[key] = names
        return self._own_address(value, names)

    def _own_address(self, expr: cst.BaseExpression, names: Set[str]) -> bool:
        stack: List[cst.CSTNode] = [expr]
        while stack:
            current = stack.pop()
            if isinstance(current, (cst.Name, cst.Attribute)) and dotted(current) in names:
                return True
            if (isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
                    and current.func.attr.value in OWN_ADDRESS_METHODS):
                return True
            if isinstance(current, cst.Attribute) and current.attr.value in OWN_ADDRESS_ATTRIBUTES:
                maker = self.ctx.made_by(current.value)
                if maker is not None and maker.startswith(_SERVER_MODULES):
                    return True
            if not isinstance(current, cst.Lambda):
                stack.extend(iter_children(current))
        return False

    def _late_connect(self, node: cst.Call, callee: str) -> None:
        """``FTP().connect(host)`` / ``SMTP().connect(host)``: the timeout comes from the
        constructor, or (FTP) from connect() itself."""
        constructed = self._constructor_timeout(node)
        if constructed is not False:
            return  # set at construction, or we cannot tell how the object was made
        spec = LATE_CONNECT[callee]
        if spec is not None:
            self._required(node, callee, spec)
            return
        if self._to_own_socket(node, callee):
            return
        shown = _shown(self, node)
        self.report(node, Text(
            "'{shown}()' connects with no timeout (none was given to the constructor) and can wait "
            "forever on an unresponsive server; pass timeout=<seconds> when creating the client").format(
                shown=shown))

    def _report_disabled(self, node: cst.Call) -> None:
        shown = _shown(self, node)
        self.report(node, Text(
            "'{shown}()' is called with timeout=None, which waits forever on an unresponsive server; "
            "pass a timeout in seconds").format(
                shown=shown))

    def _constructor_timeout(self, node: cst.Call) -> Optional[bool]:
        """Was the receiver of ``x.connect()`` constructed with a timeout? None: unknown."""
        func = node.func
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        bindings = None
        if isinstance(receiver, cst.Name):
            bindings, _owner = self.ctx.lookup(receiver.value)
        elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
            cls = self.ctx._class_of_self(receiver.value.value, self.ctx.scope)  # noqa: SLF001
            if cls is not None:
                bindings = cls.attributes.get(receiver.attr.value)
        if not bindings:
            return None
        without = False
        for binding in bindings:
            value = binding.node
            if binding.kind != ASSIGN or not isinstance(value, cst.Call):
                return None
            callee = self.ctx.resolve(value.func)
            spec = NETWORK_TIMEOUT_REQUIRED.get(callee or "")
            if spec is None:
                return None
            if argument(value, *spec)[0] != MISSING:
                return True
            without = True
        return False if without else None

    def _customised_session(self, node: cst.Call, callee: str) -> bool:
        """A session with mounted adapters or a replaced ``request`` may add a default timeout."""
        owner = callee.rsplit(".", 1)[0]
        if owner not in SESSION_TYPES or not isinstance(node.func, cst.Attribute):
            return False
        receiver = dotted(node.func.value)
        return receiver is not None and receiver in self._customised_receivers()

    def _customised_receivers(self) -> Set[str]:
        key = "CCY501.customised_sessions"
        found = self.ctx.memo.get(key)
        if found is None:
            found = set()
            for sub in walk_body(self.ctx.module, into_scopes=True):
                if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) \
                        and sub.func.attr.value in SESSION_CUSTOMISERS:
                    name = dotted(sub.func.value)
                    if name:
                        found.add(name)
                elif isinstance(sub, cst.Assign):
                    for target in sub.targets:
                        t = target.target
                        if isinstance(t, cst.Attribute) and t.attr.value in ("request", "send"):
                            name = dotted(t.value)
                            if name:
                                found.add(name)
            self.ctx.memo[key] = found
        return found
