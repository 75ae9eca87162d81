"""CCY5: timeouts -- network calls, sessions, subprocesses and waits that can hang forever."""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ..apis.timeouts import (
    AIOHTTP_REQUEST_METHODS, BLOCK_FLAG, CLIENT_SESSION_TIMEOUT, CLIENT_TIMEOUT_LIMITS,
    CONNECTS_ONLY_WITH_HOST, DONE_CALLBACK_REGISTRARS, DONE_FUTURE_SOURCES, KILLS, LATE_CONNECT,
    LOOP_BRIDGES, NETWORK_TIMEOUT_DEFAULTED, NETWORK_TIMEOUT_REQUIRED, NO_TIMEOUT_OBJECTS,
    OWN_ADDRESS_ATTRIBUTES, OWN_ADDRESS_METHODS, PEER_ARGUMENT, SELF_TIMED_TOOLS,
    SESSION_CUSTOMISERS, SESSION_TYPES, STOP_CALL_PREFIXES, SUBPROCESS_TIMEOUT, SYNC_WAIT_TIMEOUT,
    TIME_LIMITING_COMMANDS, Param, last_names,
)
from ..findings import Text
from ..semantics.callees import GIVEN, MISSING, argument, dotted, is_none, last_name, walk_body
from ..semantics.scopes import ASSIGN, PARAM
from ..semantics.traversal import iter_children
from .base import Rule
from .blocking import constructions, earlier_nodes, wait_is_over

# Servers the standard library binds when it builds them: their ``server_address`` is the
# code's own listening socket.
_SERVER_MODULES = ("socketserver.", "http.server.", "wsgiref.simple_server.", "xmlrpc.server.")


def _shown(rule: Rule, call: cst.Call) -> str:
    """How the called object is spelled in the source, for messages (``session.get``)."""
    name = dotted(call.func)
    if name is None:
        name = " ".join(rule.ctx.module.code_for_node(call.func).split())
    if len(name) > 40:
        name = "..." + name[-37:]
    return name


class _TimeoutRule(Rule):
    """Shared plumbing: cheap name pre-check, then resolve, then look the callee up."""

    _names: FrozenSet[str] = frozenset()

    def _callee(self, node: cst.Call) -> Optional[str]:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value not in self._names:
                return None
        elif not isinstance(func, cst.Name):
            return None
        return self.ctx.resolve(func)

    def _caller_chooses_timeout(self) -> bool:
        """The enclosing function takes a timeout parameter: leaving it out is the caller's choice."""
        function = self.ctx.function
        if function is None:
            return False
        return any("timeout" in name.lower() and any(b.kind == PARAM for b in bindings)
                   for name, bindings in function.bindings.items())

    def _no_timeout(self, value: Optional[cst.BaseExpression], depth: int = 0) -> bool:
        """``None``, ``httpx.Timeout(None)``, or a name bound only to one of those."""
        if value is None or depth > 4:
            return False
        if is_none(value):
            return True
        if isinstance(value, cst.Name):
            bindings, _owner = self.ctx.lookup(value.value)
            return bool(bindings) and all(
                b.kind == ASSIGN and not b.with_item and isinstance(b.node, cst.BaseExpression)
                and self._no_timeout(b.node, depth + 1) for b in bindings)  # type: ignore[arg-type]
        if isinstance(value, cst.Call) and self.ctx.resolve(value.func) in NO_TIMEOUT_OBJECTS:
            if not value.args:
                return False  # httpx.Timeout() needs an argument; leave it to the type checker
            return all(arg.star == "" and is_none(arg.value) for arg in value.args)
        return False


def _with_parents(root: cst.CSTNode) -> List[Tuple[cst.CSTNode, cst.CSTNode]]:
    """(node, parent) for every node under ``root``."""
    found: List[Tuple[cst.CSTNode, cst.CSTNode]] = []
    stack: List[cst.CSTNode] = [root]
    while stack:
        current = stack.pop()
        for child in iter_children(current):
            found.append((child, current))
            stack.append(child)
    return found


def _target_names(target: cst.BaseExpression) -> Set[str]:
    """``host, port = ...`` -> {"host", "port"}; ``self.addr = ...`` -> {"self.addr"}."""
    if isinstance(target, (cst.Tuple, cst.List)):
        found: Set[str] = set()
        for element in target.elements:
            found |= _target_names(element.value)
        return found
    name = dotted(target)
    return {name} if name is not None else set()


def _function_or_module(rule: Rule) -> cst.CSTNode:
    function = rule.ctx.function
    return function.node if function is not None else rule.ctx.module


def _enclosing_class(rule: Rule) -> Optional[cst.ClassDef]:
    for ancestor in reversed(rule.ctx.ancestors):
        if isinstance(ancestor, cst.ClassDef):
            return ancestor
    return None


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
        "pitfalls for the default set, so `advice`.",
        "在生态检查的 28 个项目上测量:6 条结果,3 条真实、3 条有意为之(命令行代码)。在标准库和 40 个"
        "已安装包上的样本外审查又发现 47 条,其中 2 条真实:大多数没有超时的调用位于开发工具、打包命令、"
        "交互式辅助功能,以及遵循 `socket.setdefaulttimeout()` 的 URL 辅助函数中,卡住时总有人看得见。"
        "真实问题太少,不能进入默认规则集,因此为 `advice`。")
    name = "network-call-without-timeout"
    summary = Text("network call without a timeout", "网络调用没有设置超时")
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
        "be an unresponsive remote server.",
        "检查没有超时就可能永远等待的网络调用:没有 `timeout=`(或 `timeout=None`)的 `requests` "
        "函数和 `requests.Session` 请求方法;没有超时的 `urllib.request.urlopen`、`OpenerDirector.open`、"
        "`socket.create_connection`;没有超时的 `smtplib.SMTP`/`SMTP_SSL`/`LMTP` 与 `ftplib.FTP`/`FTP_TLS` "
        "连接。超时可以用关键字或位置参数给出(`urlopen(url, data, 10)`、"
        "`socket.create_connection(addr, 5)`)。`httpx` 默认 5 秒超时,因此只检查 `httpx` 调用和客户端上"
        "显式的 `timeout=None`;用 timeout 创建的 `httpx.Client` 覆盖它的所有调用。在自身带有 `timeout` "
        "参数的函数(转发型辅助函数)中省略超时的调用遵循调用方的选择,不会被标记。连接到代码自己监听的 socket "
        "也不会被标记:地址或 URL 来自 `srv.getsockname()` 或标准库服务器的 `server_address`/`server_port`"
        "(直接使用,或经由函数中先前赋值的名字),因为这样的对端不可能是无响应的远程服务器。")
    why = Text(
        "`requests`, `urllib` and the socket-based clients have no timeout by default: if the "
        "server accepts the connection and then stops answering, the call waits forever. The "
        "thread (or the whole script) hangs, worker pools fill up with stuck calls and the "
        "service stops without an error message to explain why.",
        "`requests`、`urllib` 以及基于 socket 的客户端默认没有超时:如果服务器接受了连接却不再响应,"
        "调用就会永远等待。线程(或整个脚本)卡住,线程池被卡死的调用占满,服务停止工作却没有任何"
        "错误信息说明原因。")
    example = (
        "import requests\n\n"
        "def status(url):\n"
        "    return requests.get(url).status_code\n")
    use_instead = (
        "import requests\n\n"
        "def status(url):\n"
        "    return requests.get(url, timeout=10).status_code\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the service.",
                      "没有自动修复:合适的超时取决于具体服务。")
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
                    f"'{shown}()' has no timeout unless socket.setdefaulttimeout() set one, and can "
                    f"wait forever on an unresponsive server; pass timeout=<seconds>",
                    f"'{shown}()' 没有设置超时(除非 socket.setdefaulttimeout() 设置了默认值),服务器无响应时"
                    f"会永远等待;请传入 timeout=<秒数>"))
                return
            self.report(node, Text(
                f"'{shown}()' has no timeout and can wait forever on an unresponsive server; "
                f"pass timeout=<seconds>",
                f"'{shown}()' 没有设置超时,服务器无响应时会永远等待;请传入 timeout=<秒数>"))
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
            f"'{shown}()' connects with no timeout (none was given to the constructor) and can wait "
            f"forever on an unresponsive server; pass timeout=<seconds> when creating the client",
            f"'{shown}()' 连接时没有超时(构造时未指定),服务器无响应时会永远等待;"
            f"请在创建客户端时传入 timeout=<秒数>"))

    def _report_disabled(self, node: cst.Call) -> None:
        shown = _shown(self, node)
        self.report(node, Text(
            f"'{shown}()' is called with timeout=None, which waits forever on an unresponsive server; "
            f"pass a timeout in seconds",
            f"'{shown}()' 使用了 timeout=None,服务器无响应时会永远等待;请传入以秒为单位的超时"))

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


# ----------------------------------------------------------------------------- CCY502


class ClientSessionWithoutTimeout(_TimeoutRule):
    code = "CCY502"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 5 findings left, all intended "
        "(long-lived sessions where the 5-minute default is a deliberate bound); `advice`.",
        "在生态检查的 28 个项目上测量:剩余 5 条,全部属于有意为之(长期存在的会话,5 分钟默认超"
        "时是有意的上限);为 `advice`。")
    name = "client-session-without-timeout"
    summary = Text("`aiohttp.ClientSession` without an explicit timeout",
                   "`aiohttp.ClientSession` 没有显式设置超时")
    what = Text(
        "Flags `aiohttp.ClientSession(...)` created without `timeout=`, and "
        "`aiohttp.ClientTimeout()` built with no limit set (every one of `total`, `connect`, "
        "`sock_read`, `sock_connect` missing or `None`). Not flagged: a session bound to a name "
        "(`async with ... as s`, `s = ...`, `self._s = ...`) every request of which (`get`, `post`, "
        "`request`, `ws_connect`...) in the same function, or class for `self._s`, passes its own "
        "`timeout=` (not `None`) and that is not handed to other code: its default never applies. "
        "Group: advice (off by default): the fallback is a 5-minute bound, not a hang, and a "
        "long-lived general-purpose session often wants it.",
        "检查创建时没有 `timeout=` 的 `aiohttp.ClientSession(...)`,以及没有设置任何上限"
        "(`total`、`connect`、`sock_read`、`sock_connect` 全部缺省或为 `None`)的 "
        "`aiohttp.ClientTimeout()`。不报告:绑定到名字(`async with ... as s`、`s = ...`、`self._s = ...`)、"
        "并且在同一函数(`self._s` 则为同一个类)中每个请求(`get`、`post`、`request`、`ws_connect` 等)都传入"
        "了自己的 `timeout=`(不是 `None`)、也没有交给其他代码的会话:它的默认值永远用不上。分组:advice"
        "(默认关闭):回退值是 5 分钟的上限,而不是无限挂起,长期使用的通用会话往往正需要它。")
    why = Text(
        "Without a timeout an aiohttp session falls back to a 5-minute total per request: a "
        "stalled server holds a task, a connection and a concurrency slot for five minutes "
        "before anything happens. A `ClientTimeout()` with no limits is worse: no timeout at "
        "all. Choose the limits that fit the service.",
        "没有设置超时时,aiohttp 会话对每个请求使用 5 分钟的总超时:一个卡住的服务器会占用一个任务、"
        "一个连接和一个并发名额长达 5 分钟。不设任何上限的 `ClientTimeout()` 更糟:完全没有超时。"
        "请按服务的情况选择合适的上限。")
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
    fix_safety = Text("No automatic fix: the right limits depend on the service.",
                      "没有自动修复:合适的上限取决于具体服务。")
    options = Text("Off by default; enable with `extend-select = [\"CCY502\"]` or the `learn` preset.",
                   "默认关闭;用 `extend-select = [\"CCY502\"]` 或 `learn` 预设启用。")
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
                    f"'{_shown(self, node)}()' has no timeout= and falls back to a 5-minute total; "
                    f"pass timeout=aiohttp.ClientTimeout(total=..., connect=...)",
                    f"'{_shown(self, node)}()' 没有 timeout=,会退回到 5 分钟总超时;"
                    f"请传入 timeout=aiohttp.ClientTimeout(total=..., connect=...)"))
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
            f"'{_shown(self, node)}()' sets no limit at all (no total, connect or sock_read); "
            f"give at least total=<seconds>",
            f"'{_shown(self, node)}()' 没有设置任何上限(total、connect、sock_read 都没有);"
            f"至少设置 total=<秒数>"))


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


# ----------------------------------------------------------------------------- CCY503


class SubprocessWithoutTimeout(_TimeoutRule):
    code = "CCY503"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 34 findings left, all intended "
        "(short local commands, children a person waits for); `advice`.",
        "在生态检查的 28 个项目上测量:剩余 34 条,全部属于有意为之(短小的本地命令、有人在等待的"
        "子进程);为 `advice`。")
    name = "subprocess-without-timeout"
    summary = Text("subprocess call without a timeout", "子进程调用没有设置超时")
    what = Text(
        "Flags `subprocess.run`, `call`, `check_call` and `check_output`, and "
        "`Popen.communicate()`/`Popen.wait()`, called without `timeout=` (or with `timeout=None`), "
        "outside `async def` (inside one the call blocks the event loop: CCY203 reports it). Not "
        "flagged: `wait()`/`communicate()` after `proc.kill()` on the same process in the function "
        "(SIGKILL cannot be ignored, the call only reaps the child; `terminate()` does not count); "
        "a command line that bounds itself (`[\"timeout\", \"60\", ...]`, `--timeout`, "
        "`--connect-timeout`, `--max-time`, `ping -W`, `curl -m`, `ssh -o ConnectTimeout=...`); a call "
        "inside a function that takes a `timeout` parameter (it forwards the caller's choice). "
        "Group: advice (off by default): most waits for a local command are intended.",
        "检查没有 `timeout=`(或 `timeout=None`)的 `subprocess.run`、`call`、`check_call`、"
        "`check_output` 以及 `Popen.communicate()`/`Popen.wait()`,仅限 `async def` 之外(在其中调用会阻塞"
        "事件循环,由 CCY203 报告)。不报告:函数中对同一进程先调用了 `proc.kill()` 之后的 `wait()`/"
        "`communicate()`(SIGKILL 无法被忽略,这个调用只是回收子进程;`terminate()` 不算);自带时限的命令行"
        "(`[\"timeout\", \"60\", ...]`、`--timeout`、`--connect-timeout`、`--max-time`、`ping -W`、"
        "`curl -m`、`ssh -o ConnectTimeout=...`);位于带有 `timeout` 参数的函数中的调用(它转发调用方的选择)。"
        "分组:advice(默认关闭):大多数对本地命令的等待都是有意为之。")
    why = Text(
        "These calls wait until the child exits. A child that hangs (waiting for input, a "
        "network share, a lock) hangs the caller with it; with a timeout you get "
        "`subprocess.TimeoutExpired` and can kill the child and report the problem.",
        "这些调用会一直等到子进程退出。子进程一旦卡住(等待输入、网络共享、锁),调用方也随之卡住;"
        "设置超时后会得到 `subprocess.TimeoutExpired`,可以结束子进程并报告问题。")
    example = (
        "import subprocess\n\n"
        "subprocess.run([\"git\", \"fetch\"], check=True)\n")
    use_instead = (
        "import subprocess\n\n"
        "subprocess.run([\"git\", \"fetch\"], check=True, timeout=120)\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the command.",
                      "没有自动修复:合适的超时取决于具体命令。")
    options = Text("Off by default; enable with `extend-select = [\"CCY503\"]` or the `learn` preset.",
                   "默认关闭;用 `extend-select = [\"CCY503\"]` 或 `learn` 预设启用。")
    valid = (
        "import subprocess\nsubprocess.run(['ls'], timeout=10)\n",
        "import subprocess\np = subprocess.Popen(['cat'])\nout, err = p.communicate(b'x', 5)\n",
        "def run(cmd):\n    return cmd\nrun(['ls'])\n",
    )
    invalid = (
        "import subprocess\nsubprocess.check_output(['git', 'status'])\n",
        "from subprocess import Popen\np = Popen(['sleep', '9'])\np.wait()\n",
        "import subprocess as sp\nsp.run(['make'], timeout=None)\n",
    )

    _names = frozenset(k.rsplit(".", 1)[-1] for k in SUBPROCESS_TIMEOUT)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            return  # there the wait blocks the event loop: CCY203's finding, not this one
        callee = self._callee(node)
        spec = SUBPROCESS_TIMEOUT.get(callee or "")
        if spec is None:
            return
        state, value = argument(node, *spec)
        if state == MISSING and (self._caller_chooses_timeout() or self._killed_before(node)
                                 or self._bounds_itself(node, callee or "")):
            return
        if state == MISSING or (state == GIVEN and self._no_timeout(value)):
            shown = _shown(self, node)
            self.report(node, Text(
                f"'{shown}()' waits for the child process with no timeout; pass timeout=<seconds> "
                f"and handle subprocess.TimeoutExpired",
                f"'{shown}()' 无超时地等待子进程;请传入 timeout=<秒数> 并处理 subprocess.TimeoutExpired"))


    def _killed_before(self, node: cst.Call) -> bool:
        """``proc.kill()`` earlier in the function: SIGKILL cannot be ignored, so the
        ``wait()``/``communicate()`` that follows only reaps the child."""
        if not isinstance(node.func, cst.Attribute):
            return False
        wanted = dotted(node.func.value)
        return wanted is not None and any(
            isinstance(earlier, cst.Call) and isinstance(earlier.func, cst.Attribute)
            and earlier.func.attr.value in KILLS and dotted(earlier.func.value) == wanted
            for earlier in earlier_nodes(self.ctx, node))

    def _bounds_itself(self, node: cst.Call, callee: str) -> bool:
        """The command line carries its own limit: ``["timeout", "60", ...]``, ``ping -W 1``,
        ``curl --max-time 5``, ``ssh -o ConnectTimeout=5``."""
        if callee.startswith("subprocess.Popen."):
            made = constructions(self.ctx, node.func.value) if isinstance(node.func, cst.Attribute) else []
            return bool(made) and all(self._bounds_itself(call, "subprocess.Popen") for call in made)
        state, value = argument(node, 0, "args")
        words = self._argv(value) if state == GIVEN and value is not None else None
        if not words:
            return False
        tool = words[0].rsplit("/", 1)[-1]
        if tool in TIME_LIMITING_COMMANDS:
            return True
        options = SELF_TIMED_TOOLS[None] | SELF_TIMED_TOOLS.get(tool, frozenset())
        return any(word in options or word.split("=", 1)[0] in options for word in words[1:])

    def _argv(self, value: cst.BaseExpression, depth: int = 0) -> List[str]:
        """The literal words of a command (a list display, a string, or a name bound once
        to one of those); non-literal words are left out."""
        if isinstance(value, (cst.List, cst.Tuple)):
            words = []
            for element in value.elements:
                text = element.value.evaluated_value if isinstance(element.value, cst.SimpleString) else None
                words.append(text if isinstance(text, str) else "")
            return words
        if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
            return value.evaluated_value.split()
        if isinstance(value, cst.Name) and depth < 2:
            bindings, _owner = self.ctx.lookup(value.value)
            if bindings and len(bindings) == 1 and bindings[0].kind == ASSIGN \
                    and isinstance(bindings[0].node, cst.BaseExpression):
                return self._argv(bindings[0].node, depth + 1)  # type: ignore[arg-type]
        return []


# ----------------------------------------------------------------------------- CCY504


class WaitWithoutTimeout(_TimeoutRule):
    code = "CCY504"

    group = "advice"
    group_reason = Text(
        "Measured on the 28 projects of the ecosystem check: 37 findings left, 1 real, 36 "
        "intended (sync bridges to a running loop, worker threads idling on a queue); "
        "`advice`.",
        "在生态检查的 28 个项目上测量:剩余 37 条,1 条真实、36 条有意为之(通往运行中事件循"
        "环的同步桥接、在队列上空闲等待的工作线程);为 `advice`。")
    name = "wait-without-timeout"
    summary = Text("synchronous wait without a timeout", "同步等待没有设置超时")
    what = Text(
        "Flags synchronous waits with no timeout in code that runs in threads or the main "
        "thread (not in `async def`): `Future.result()`/`Future.exception()` of "
        "`concurrent.futures`, `Thread.join()`, `Process.join()`, `Event.wait()`, and the "
        "blocking `get()` of `queue`/`multiprocessing` queues (`get(block=False)` is fine). Not "
        "flagged, because the wait is known to end: a future read inside its done-callback (the "
        "callback's parameter, the function passed to `add_done_callback`), an item of "
        "`as_completed(...)` or of the done set of `wait(...)`, `fut.result()` under `if fut.done():`; "
        "`q.get()` under `if not q.empty():` or in `while not q.empty():`; `t.join()` after a "
        "`while t.is_alive():` loop, or after the function called a `shutdown*`/`stop*` function "
        "or method, wrote the flag (or set the event) that the thread's loop condition reads, or "
        "stopped the event loop the thread runs (`call_soon_threadsafe(loop.stop)`); a future or "
        "event that the thread target resolves in a `finally` or an `except BaseException`; a "
        "worker's wait for its next item in a loop that returns or breaks on a sentinel "
        "(`if item is None: return`, also `if (item := q.get()) is None:`), and `q.get()()`; a sync "
        "bridge whose body is `run_coroutine_threadsafe(coro, loop).result()` and at most one more "
        "statement (its bound belongs in the coroutine). Group: advice (off by default): waiting "
        "for one's own threads is usually intended.",
        "检查在线程或主线程中(不在 `async def` 中)没有超时的同步等待:`concurrent.futures` 的 "
        "`Future.result()`/`Future.exception()`、`Thread.join()`、`Process.join()`、`Event.wait()`,"
        "以及 `queue`/`multiprocessing` 队列的阻塞 `get()`(`get(block=False)` 没问题)。以下等待已知一定会"
        "结束,不报告:在完成回调中读取的 future(回调的参数,即传给 `add_done_callback` 的函数)、"
        "`as_completed(...)` 的元素或 `wait(...)` 的已完成集合中的元素、`if fut.done():` 之下的 "
        "`fut.result()`;`if not q.empty():` 之下或 `while not q.empty():` 中的 `q.get()`;在 "
        "`while t.is_alive():` 循环之后、或在函数调用了 `shutdown*`/`stop*` 函数或方法、写入了线程循环条件读取的"
        "标志(或设置了该事件)、或停止了线程运行的事件循环(`call_soon_threadsafe(loop.stop)`)之后的 "
        "`t.join()`;线程目标函数在 `finally` 或 `except BaseException` 中完成的 future 或设置的事件;工作线程在"
        "遇到哨兵值就返回或退出的循环中等待下一项(`if item is None: return`,以及 "
        "`if (item := q.get()) is None:`),以及 `q.get()()`;函数体只有 "
        "`run_coroutine_threadsafe(coro, loop).result()` 和至多一条其他语句的同步桥接(时限应放在协程内部)。分组:"
        "advice(默认关闭):等待自己的线程通常是有意为之。")
    why = Text(
        "If the thread, process or producer on the other side dies or deadlocks, a wait with no "
        "timeout never returns: the classic \"the program never exits\". With a timeout the "
        "waiter can notice, log, retry or shut down cleanly.",
        "如果另一端的线程、进程或生产者挂掉或死锁,没有超时的等待永远不会返回:这就是经典的"
        "“程序永远不退出”。设置超时后,等待方可以发现问题、记录日志、重试或干净地退出。")
    example = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "with ThreadPoolExecutor() as pool:\n"
        "    future = pool.submit(compute)\n"
        "    print(future.result())\n")
    use_instead = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "with ThreadPoolExecutor() as pool:\n"
        "    future = pool.submit(compute)\n"
        "    print(future.result(timeout=60))\n")
    fix_safety = Text("No automatic fix: the right timeout depends on the work.",
                      "没有自动修复:合适的超时取决于具体工作。")
    options = Text("Off by default; enable with `extend-select = [\"CCY504\"]` or the `learn` preset.",
                   "默认关闭;用 `extend-select = [\"CCY504\"]` 或 `learn` 预设启用。")
    valid = (
        "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join(timeout=5)\n",
        "import queue\nq = queue.Queue(10)\nitem = q.get(block=False)\n",
        "import queue\nq = queue.Queue(10)\nitem = q.get(True, 2.0)\n",
        "import threading\nev = threading.Event()\nasync def f():\n    ev.wait()\n",
    )
    invalid = (
        "import threading\nt = threading.Thread(target=print)\nt.start()\nt.join()\n",
        "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor() as ex:\n"
        "    fut = ex.submit(print)\n    fut.result()\n",
        "import queue\nq = queue.Queue(10)\ndef consume():\n    return q.get()\n",
        "import threading\nstop = threading.Event()\nstop.wait(None)\n",
    )

    _names = frozenset(k.rsplit(".", 1)[-1] for k in SYNC_WAIT_TIMEOUT)

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_function:
            return  # in async code these block the event loop: that is CCY205
        callee = self._callee(node)
        spec = SYNC_WAIT_TIMEOUT.get(callee or "")
        if spec is None:
            return
        flag = BLOCK_FLAG.get(callee or "")
        if flag is not None:
            state, value = argument(node, *flag)
            if state != MISSING and not (state == GIVEN and self._is_true(value)):
                return  # get(False) / get(block=flag): not (necessarily) blocking
        state, value = argument(node, *spec)
        if (state == MISSING or (state == GIVEN and self._no_timeout(value))) and not self._ends(
                node, callee or ""):
            shown = _shown(self, node)
            self.report(node, Text(
                f"'{shown}()' waits with no timeout and never returns if the other side hangs; "
                f"pass timeout=<seconds> and handle the timeout",
                f"'{shown}()' 无超时地等待,另一端卡住时永远不会返回;请传入 timeout=<秒数> 并处理超时"))

    @staticmethod
    def _is_true(value: Optional[cst.BaseExpression]) -> bool:
        return isinstance(value, cst.Name) and value.value == "True" or (
            isinstance(value, cst.Integer) and value.value != "0")

    def _ends(self, node: cst.Call, callee: str) -> bool:
        """The code guarantees this wait an end (or has chosen to wait as long as another
        piece of work does): then a timeout adds nothing."""
        if not isinstance(node.func, cst.Attribute):
            return False
        receiver = node.func.value
        return (wait_is_over(self.ctx, node, callee)
                or self._done_future(receiver)
                or self._resolved_on_every_path(node, receiver)
                or self._stopped_before(node, receiver)
                or self._loop_bridge(node, receiver)
                or self._idle_wait(node))

    def _done_future(self, receiver: cst.BaseExpression) -> bool:
        """A future that is done where it is read: the parameter of a done-callback
        (``fut.add_done_callback(on_done)``), an item of ``as_completed(...)`` or of the
        ``done`` set of ``wait(...)``."""
        if not isinstance(receiver, cst.Name):
            return False
        name = receiver.value
        function = self.ctx.function
        if function is not None and isinstance(function.node, (cst.FunctionDef, cst.Lambda)):
            params = function.node.params.params
            if params and params[0].name.value == name and self._registered_as_done_callback(function.node):
                return True
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                break
            if (isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name)
                    and ancestor.target.value == name and self._done_futures(ancestor.iter)):
                return True
        return False

    def _registered_as_done_callback(self, function: cst.CSTNode) -> bool:
        if isinstance(function, cst.Lambda):
            ancestors = self.ctx.ancestors
            index = next((i for i, a in enumerate(ancestors) if a is function), -1)
            call = ancestors[index - 2] if index >= 2 else None
            return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in DONE_CALLBACK_REGISTRARS)
        name = function.name.value if isinstance(function, cst.FunctionDef) else None
        key = "CCY504.done_callbacks"
        registered = self.ctx.memo.get(key)
        if registered is None:
            registered = set()
            for sub in walk_body(self.ctx.module, into_scopes=True):
                if (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                        and sub.func.attr.value in DONE_CALLBACK_REGISTRARS):
                    for arg in sub.args:
                        text = dotted(arg.value)
                        if text is not None:
                            registered.add(text.rpartition(".")[2])
            self.ctx.memo[key] = registered
        return name in registered

    def _done_futures(self, iterable: cst.BaseExpression) -> bool:
        if isinstance(iterable, cst.Call):
            return self.ctx.resolve(iterable.func) == "concurrent.futures.as_completed"
        if isinstance(iterable, cst.Attribute) and iterable.attr.value == "done" \
                and isinstance(iterable.value, cst.Call):
            return self.ctx.resolve(iterable.value.func) in DONE_FUTURE_SOURCES
        if isinstance(iterable, cst.Name):
            bindings, _owner = self.ctx.lookup(iterable.value)
            for binding in bindings or ():
                made = binding.unpacked_from
                if (isinstance(made, cst.Call) and binding.unpack_index == 0
                        and self.ctx.resolve(made.func) == "concurrent.futures.wait"):
                    return True
        return False

    def _thread_targets(self, node: cst.Call, everywhere: bool) -> List[cst.FunctionDef]:
        """The bodies a thread runs: the ``target=`` of the calls that made the receiver
        (or, ``everywhere``, of every ``Thread(...)`` in this function), or the ``run``
        of a same-module ``Thread`` subclass."""
        calls = list(constructions(self.ctx, node.func.value)) if isinstance(node.func, cst.Attribute) else []
        if everywhere:
            calls += [sub for sub in walk_body(_function_or_module(self))
                      if isinstance(sub, cst.Call) and self.ctx.resolve(sub.func) in _THREAD_MAKERS]
        found: List[cst.FunctionDef] = []
        for call in calls:
            maker = self.ctx.resolve(call.func)
            state, target = argument(call, 1, "function" if maker == "threading.Timer" else "target")
            if maker in _THREAD_MAKERS and state == GIVEN and target is not None:
                defined = self.ctx.is_local_function(target)
                if defined is not None:
                    found.append(defined)
            elif self.ctx.is_local_function(call.func) is None:
                cls = self.ctx.resolve(call.func)
                run = self._method_of_local_class(cls, "run")
                if run is not None:
                    found.append(run)
        return found

    def _method_of_local_class(self, qualname: Optional[str], method: str) -> Optional[cst.FunctionDef]:
        prefix = self.ctx.local_qualname("")
        if not qualname or not qualname.startswith(prefix):
            return None
        bindings = self.ctx.module_scope.bindings.get(qualname[len(prefix):])
        classdef = bindings[0].node if bindings and len(bindings) == 1 else None
        if not isinstance(classdef, cst.ClassDef) or not isinstance(classdef.body, cst.IndentedBlock):
            return None
        for stmt in classdef.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == method:
                return stmt
        return None

    def _resolved_on_every_path(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``fut.result()`` / ``ev.wait()`` where a thread target of this function resolves
        ``fut`` (sets ``ev``) in a ``finally`` or in an ``except BaseException`` handler:
        every way the target ends signals the waiter."""
        wanted = dotted(receiver)
        if wanted is None or not isinstance(receiver, cst.Name):
            return False
        for target in self._thread_targets(node, everywhere=True):
            for sub in walk_body(target.body):
                if not isinstance(sub, cst.Try):
                    continue
                blocks: List[cst.CSTNode] = [sub.finalbody] if sub.finalbody is not None else []
                blocks += [h.body for h in sub.handlers if h.type is None
                           or self.ctx.resolve(h.type) == "builtins.BaseException"]
                if any(self._signals(block, wanted) for block in blocks):
                    return True
        return False

    @staticmethod
    def _signals(block: cst.CSTNode, wanted: str) -> bool:
        return any(isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                   and sub.func.attr.value.startswith("set") and dotted(sub.func.value) == wanted
                   for sub in walk_body(block))

    def _stopped_before(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``t.join()`` after this function told the thread to stop: it called a ``shutdown``/
        ``stop`` function or method, wrote a flag (or set an event) that the thread's loop
        condition reads, or stopped the event loop the thread runs."""
        if self.ctx.resolve(node.func) not in _JOINS:
            return False
        earlier_calls = [n for n in earlier_nodes(self.ctx, node) if isinstance(n, cst.Call)]
        if any((last_name(call.func) or "").startswith(STOP_CALL_PREFIXES) for call in earlier_calls):
            return True
        conditions: Set[str] = set()
        runs_loop = False
        for target in self._thread_targets(node, everywhere=False):
            for sub in walk_body(target.body):
                if isinstance(sub, cst.While):
                    conditions |= _chains(sub.test)
                elif (isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute)
                      and sub.func.attr.value == "run_forever"):
                    runs_loop = True
        if not conditions and not runs_loop:
            return False
        for earlier in earlier_nodes(self.ctx, node):
            if isinstance(earlier, (cst.Assign, cst.AugAssign)):
                targets = earlier.targets if isinstance(earlier, cst.Assign) else [earlier]
                if any(dotted(t.target) in conditions for t in targets):
                    return True
            elif isinstance(earlier, cst.Call) and isinstance(earlier.func, cst.Attribute):
                if earlier.func.attr.value == "set" and dotted(earlier.func.value) in conditions:
                    return True
                if runs_loop and earlier.func.attr.value == "call_soon_threadsafe" and earlier.args \
                        and isinstance(earlier.args[0].value, cst.Attribute) \
                        and earlier.args[0].value.attr.value == "stop":
                    return True
        return False

    def _loop_bridge(self, node: cst.Call, receiver: cst.BaseExpression) -> bool:
        """``return run_coroutine_threadsafe(coro, loop).result()`` as (nearly) the whole body of
        a function: a sync twin of a coroutine, whose contract is to wait as long as it does;
        its bound belongs inside the coroutine."""
        made = receiver if isinstance(receiver, cst.Call) else None
        if made is None:
            calls = constructions(self.ctx, receiver)
            made = calls[0] if len(calls) == 1 else None
        if made is None or self.ctx.resolve(made.func) not in LOOP_BRIDGES:
            return False
        function = self.ctx.function
        body = function.node.body if function is not None and isinstance(function.node, cst.FunctionDef) else None
        if not isinstance(body, cst.IndentedBlock):
            return False
        statements = list(body.body)
        if statements and _is_docstring(statements[0]):
            statements = statements[1:]
        # the bridge and at most one more statement (``return self.session.token``)
        return len(statements) <= 2 and any(
            sub is node for statement in statements for sub in walk_body(statement))

    def _idle_wait(self, node: cst.Call) -> bool:
        """A worker's or a loop driver's wait for its next item: ``q.get()()`` (the item is
        called at once), or ``item = q.get()`` in a loop that returns or breaks when the item
        is a sentinel (``if item is None: return``)."""
        parent = self.ctx.parent
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 \
                and isinstance(parent.targets[0].target, cst.Name):
            item = parent.targets[0].target.value
        elif isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
            item = parent.target.value  # `if (item := q.get()) is None: return`
        else:
            return False
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, (cst.While, cst.For)):
                return any(isinstance(sub, cst.If) and _compares(sub.test, item)
                           and any(isinstance(x, (cst.Return, cst.Break)) for x in walk_body(sub.body))
                           for sub in walk_body(ancestor.body))
        return False


_THREAD_MAKERS = frozenset({"threading.Thread", "threading.Timer", "multiprocessing.Process"})
_JOINS = frozenset({"threading.Thread.join", "threading.Timer.join", "multiprocessing.Process.join"})


def _chains(expr: cst.CSTNode) -> Set[str]:
    """Names and attribute chains in ``expr`` with their prefixes (``self._stop.is_set`` ->
    also ``self._stop``), not a bare ``self``."""
    found: Set[str] = set()
    for sub in [expr, *walk_body(expr)]:
        chain = sub
        while isinstance(chain, (cst.Name, cst.Attribute)):
            text = dotted(chain)
            if text is not None and text not in ("self", "cls"):
                found.add(text)
            chain = chain.value if isinstance(chain, cst.Attribute) else None
    return found


def _compares(test: cst.BaseExpression, name: str) -> bool:
    """``name is None`` / ``name == SENTINEL`` / ``name is self._stop`` (either side)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    operator = test.comparisons[0].operator
    sides = [side.target if isinstance(side, cst.NamedExpr) else side
             for side in (test.left, test.comparisons[0].comparator)]
    return (isinstance(operator, (cst.Is, cst.Equal))
            and any(isinstance(side, cst.Name) and side.value == name for side in sides))


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


RULES = [NetworkCallWithoutTimeout, ClientSessionWithoutTimeout, SubprocessWithoutTimeout,
         WaitWithoutTimeout]
