"""CCY5: timeouts -- network calls, sessions, subprocesses and waits that can hang forever."""
from __future__ import annotations

from typing import FrozenSet, Optional, Set

import libcst as cst

from ..apis.timeouts import (
    BLOCK_FLAG, CLIENT_SESSION_TIMEOUT, CLIENT_TIMEOUT_LIMITS, CONNECTS_ONLY_WITH_HOST,
    LATE_CONNECT, NETWORK_TIMEOUT_DEFAULTED, NETWORK_TIMEOUT_REQUIRED, NO_TIMEOUT_OBJECTS,
    SESSION_CUSTOMISERS, SESSION_TYPES, SUBPROCESS_TIMEOUT, SYNC_WAIT_TIMEOUT, Param, last_names,
)
from ..findings import Text
from ..semantics.callees import GIVEN, MISSING, argument, dotted, is_none, walk_body
from ..semantics.scopes import ASSIGN, PARAM
from .base import Rule


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


# ----------------------------------------------------------------------------- CCY501


class NetworkCallWithoutTimeout(_TimeoutRule):
    code = "CCY501"

    group = "suspicious"
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
        "(a pass-through helper) follows the caller's choice and is not flagged.",
        "检查没有超时就可能永远等待的网络调用:没有 `timeout=`(或 `timeout=None`)的 `requests` "
        "函数和 `requests.Session` 请求方法;没有超时的 `urllib.request.urlopen`、`OpenerDirector.open`、"
        "`socket.create_connection`;没有超时的 `smtplib.SMTP`/`SMTP_SSL`/`LMTP` 与 `ftplib.FTP`/`FTP_TLS` "
        "连接。超时可以用关键字或位置参数给出(`urlopen(url, data, 10)`、"
        "`socket.create_connection(addr, 5)`)。`httpx` 默认 5 秒超时,因此只检查 `httpx` 调用和客户端上"
        "显式的 `timeout=None`;用 timeout 创建的 `httpx.Client` 覆盖它的所有调用。在自身带有 `timeout` "
        "参数的函数(转发型辅助函数)中省略超时的调用遵循调用方的选择,不会被标记。")
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
        if callee is None:
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
        if state == MISSING:
            shown = _shown(self, node)
            self.report(node, Text(
                f"'{shown}()' has no timeout and can wait forever on an unresponsive server; "
                f"pass timeout=<seconds>",
                f"'{shown}()' 没有设置超时,服务器无响应时会永远等待;请传入 timeout=<秒数>"))
        elif state == GIVEN and self._no_timeout(value):
            self._report_disabled(node)

    def _caller_chooses_timeout(self) -> bool:
        """The enclosing function takes a timeout parameter: leaving it out is the caller's choice."""
        function = self.ctx.function
        if function is None:
            return False
        return any("timeout" in name.lower() and any(b.kind == PARAM for b in bindings)
                   for name, bindings in function.bindings.items())

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
    name = "client-session-without-timeout"
    summary = Text("`aiohttp.ClientSession` without an explicit timeout",
                   "`aiohttp.ClientSession` 没有显式设置超时")
    what = Text(
        "Flags `aiohttp.ClientSession(...)` created without `timeout=`, and "
        "`aiohttp.ClientTimeout()` built with no limit set (every one of `total`, `connect`, "
        "`sock_read`, `sock_connect` missing or `None`).",
        "检查创建时没有 `timeout=` 的 `aiohttp.ClientSession(...)`,以及没有设置任何上限"
        "(`total`、`connect`、`sock_read`、`sock_connect` 全部缺省或为 `None`)的 "
        "`aiohttp.ClientTimeout()`。")
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
            if state == MISSING:
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


# ----------------------------------------------------------------------------- CCY503


class SubprocessWithoutTimeout(_TimeoutRule):
    code = "CCY503"

    group = "advice"
    name = "subprocess-without-timeout"
    summary = Text("subprocess call without a timeout", "子进程调用没有设置超时")
    what = Text(
        "Flags `subprocess.run`, `call`, `check_call` and `check_output`, and "
        "`Popen.communicate()`/`Popen.wait()`, called without `timeout=` (or with `timeout=None`).",
        "检查没有 `timeout=`(或 `timeout=None`)的 `subprocess.run`、`call`、`check_call`、"
        "`check_output` 以及 `Popen.communicate()`/`Popen.wait()`。")
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
        callee = self._callee(node)
        spec = SUBPROCESS_TIMEOUT.get(callee or "")
        if spec is None:
            return
        state, value = argument(node, *spec)
        if state == MISSING or (state == GIVEN and self._no_timeout(value)):
            shown = _shown(self, node)
            self.report(node, Text(
                f"'{shown}()' waits for the child process with no timeout; pass timeout=<seconds> "
                f"and handle subprocess.TimeoutExpired",
                f"'{shown}()' 无超时地等待子进程;请传入 timeout=<秒数> 并处理 subprocess.TimeoutExpired"))


# ----------------------------------------------------------------------------- CCY504


class WaitWithoutTimeout(_TimeoutRule):
    code = "CCY504"

    group = "advice"
    name = "wait-without-timeout"
    summary = Text("synchronous wait without a timeout", "同步等待没有设置超时")
    what = Text(
        "Flags synchronous waits with no timeout in code that runs in threads or the main "
        "thread (not in `async def`): `Future.result()`/`Future.exception()` of "
        "`concurrent.futures`, `Thread.join()`, `Process.join()`, `Event.wait()`, and the "
        "blocking `get()` of `queue`/`multiprocessing` queues (`get(block=False)` is fine).",
        "检查在线程或主线程中(不在 `async def` 中)没有超时的同步等待:`concurrent.futures` 的 "
        "`Future.result()`/`Future.exception()`、`Thread.join()`、`Process.join()`、`Event.wait()`,"
        "以及 `queue`/`multiprocessing` 队列的阻塞 `get()`(`get(block=False)` 没问题)。")
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
        if state == MISSING or (state == GIVEN and self._no_timeout(value)):
            shown = _shown(self, node)
            self.report(node, Text(
                f"'{shown}()' waits with no timeout and never returns if the other side hangs; "
                f"pass timeout=<seconds> and handle the timeout",
                f"'{shown}()' 无超时地等待,另一端卡住时永远不会返回;请传入 timeout=<秒数> 并处理超时"))

    @staticmethod
    def _is_true(value: Optional[cst.BaseExpression]) -> bool:
        return isinstance(value, cst.Name) and value.value == "True" or (
            isinstance(value, cst.Integer) and value.value != "0")


RULES = [NetworkCallWithoutTimeout, ClientSessionWithoutTimeout, SubprocessWithoutTimeout,
         WaitWithoutTimeout]
