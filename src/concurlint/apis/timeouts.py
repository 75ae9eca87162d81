"""Library knowledge for CCY5 (timeouts), as data tables.

A timeout parameter is described by ``(position, keyword)``: its index among the
positional arguments (``self`` not counted; ``None`` when it can only be given by
keyword) and its keyword name. Keys are canonical qualified names; a method is
``<Type>.<method>``.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

Param = Tuple[Optional[int], str]

_KW: Param = (None, "timeout")

# CCY501: network calls that wait forever unless given a timeout. A missing
# timeout, or ``timeout=None``, is a finding.
NETWORK_TIMEOUT_REQUIRED: Dict[str, Param] = {
    # requests: module functions take **kwargs (keyword only)
    "requests.request": _KW,
    "requests.get": _KW,
    "requests.options": _KW,
    "requests.head": _KW,
    "requests.post": _KW,
    "requests.put": _KW,
    "requests.patch": _KW,
    "requests.delete": _KW,
    # requests.Session has no default timeout.
    # request(method, url, params, data, headers, cookies, files, auth, timeout, ...)
    "requests.Session.request": (8, "timeout"),
    "requests.Session.get": _KW,
    "requests.Session.options": _KW,
    "requests.Session.head": _KW,
    "requests.Session.post": _KW,
    "requests.Session.put": _KW,
    "requests.Session.patch": _KW,
    "requests.Session.delete": _KW,
    "requests.Session.send": _KW,
    # urllib: urlopen(url, data=None, timeout=<global default: none>)
    "urllib.request.urlopen": (2, "timeout"),
    "urllib.request.OpenerDirector.open": (2, "timeout"),
    # socket.create_connection(address, timeout=<global default: none>, source_address=None)
    "socket.create_connection": (1, "timeout"),
    # smtplib.SMTP(host='', port=0, local_hostname=None, timeout=..., source_address=None)
    "smtplib.SMTP": (3, "timeout"),
    # SMTP_SSL(host, port, local_hostname, keyfile, certfile, timeout, ...) before 3.12
    "smtplib.SMTP_SSL": (5, "timeout"),
    # LMTP(host='', port=LMTP_PORT, local_hostname=None, source_address=None, timeout=...)
    "smtplib.LMTP": (4, "timeout"),
    # ftplib.FTP(host='', user='', passwd='', acct='', timeout=..., source_address=None)
    "ftplib.FTP": (4, "timeout"),
    # FTP_TLS(host, user, passwd, acct, keyfile, certfile, context, timeout, ...) before 3.12
    "ftplib.FTP_TLS": (7, "timeout"),
}

# Constructors that open no connection when called without a host: their
# timeout can still be given later (``FTP().connect(host, timeout=10)``).
CONNECTS_ONLY_WITH_HOST: FrozenSet[str] = frozenset({
    "ftplib.FTP", "ftplib.FTP_TLS", "smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP",
})
# For those, the method that connects later -> whether it takes a timeout of its
# own (FTP.connect does; SMTP.connect uses the one given to the constructor).
LATE_CONNECT: Dict[str, Optional[Param]] = {
    "ftplib.FTP.connect": (2, "timeout"),
    "ftplib.FTP_TLS.connect": (2, "timeout"),
    "smtplib.SMTP.connect": None,
    "smtplib.SMTP_SSL.connect": None,
    "smtplib.LMTP.connect": None,
}

# CCY501: calls and clients whose default already sets a timeout (httpx: 5 s).
# Only an explicit ``timeout=None`` (or ``httpx.Timeout(None)``) is a finding.
NETWORK_TIMEOUT_DEFAULTED: Dict[str, Param] = {
    **{f"httpx.{verb}": _KW for verb in (
        "request", "stream", "get", "options", "head", "post", "put", "patch", "delete")},
    "httpx.Client": _KW,
    "httpx.AsyncClient": _KW,
    **{f"httpx.Client.{verb}": _KW for verb in (
        "request", "stream", "get", "options", "head", "post", "put", "patch", "delete")},
    **{f"httpx.AsyncClient.{verb}": _KW for verb in (
        "request", "stream", "get", "options", "head", "post", "put", "patch", "delete")},
}

# Timeout objects that mean "no timeout at all" when built with only None.
NO_TIMEOUT_OBJECTS: FrozenSet[str] = frozenset({"httpx.Timeout"})

# requests.Session methods: a session whose adapters or request method were
# replaced (``s.mount(...)``, ``s.request = partial(..., timeout=...)``) may add
# a default timeout, so its calls are not judged.
SESSION_CUSTOMISERS: FrozenSet[str] = frozenset({"mount"})
SESSION_TYPES: FrozenSet[str] = frozenset({"requests.Session"})

# CCY502: aiohttp sessions fall back to a 5-minute total timeout.
CLIENT_SESSION_TIMEOUT: Dict[str, Param] = {
    "aiohttp.ClientSession": _KW,
}
# ClientTimeout(total, connect, sock_read, sock_connect, ...): at least one limit must be set.
CLIENT_TIMEOUT_LIMITS: Dict[str, Tuple[str, ...]] = {
    "aiohttp.ClientTimeout": ("total", "connect", "sock_read", "sock_connect"),
}

# CCY503: subprocess calls that wait for the child.
SUBPROCESS_TIMEOUT: Dict[str, Param] = {
    "subprocess.run": _KW,
    "subprocess.call": _KW,
    "subprocess.check_call": _KW,
    "subprocess.check_output": _KW,
    "subprocess.Popen.communicate": (1, "timeout"),
    "subprocess.Popen.wait": (0, "timeout"),
}

# CCY504: synchronous waits (outside async code).
SYNC_WAIT_TIMEOUT: Dict[str, Param] = {
    "concurrent.futures.Future.result": (0, "timeout"),
    "concurrent.futures.Future.exception": (0, "timeout"),
    "threading.Thread.join": (0, "timeout"),
    "threading.Timer.join": (0, "timeout"),
    "multiprocessing.Process.join": (0, "timeout"),
    "threading.Event.wait": (0, "timeout"),
    "multiprocessing.Event.wait": (0, "timeout"),
    "queue.Queue.get": (1, "timeout"),
    "queue.LifoQueue.get": (1, "timeout"),
    "queue.PriorityQueue.get": (1, "timeout"),
    "queue.SimpleQueue.get": (1, "timeout"),
    "multiprocessing.Queue.get": (1, "timeout"),
    "multiprocessing.JoinableQueue.get": (1, "timeout"),
}
# Waits that do not block at all when their ``block`` argument is false.
BLOCK_FLAG: Dict[str, Param] = {
    "queue.Queue.get": (0, "block"),
    "queue.LifoQueue.get": (0, "block"),
    "queue.PriorityQueue.get": (0, "block"),
    "queue.SimpleQueue.get": (0, "block"),
    "multiprocessing.Queue.get": (0, "block"),
    "multiprocessing.JoinableQueue.get": (0, "block"),
}


def last_names(*tables: Dict[str, Param]) -> FrozenSet[str]:
    """The last dotted parts of every key (a cheap pre-check before resolving)."""
    return frozenset(key.rsplit(".", 1)[-1] for table in tables for key in table)


# CCY501: where a call names its peer (position, keyword): an address or URL built from
# the code's own listening socket (``srv.getsockname()``, ``server.server_address``) is
# not a server that can stop answering.
PEER_ARGUMENT: Dict[str, Param] = {
    "socket.create_connection": (0, "address"),
    "urllib.request.urlopen": (0, "url"),
    "urllib.request.OpenerDirector.open": (0, "fullurl"),
    **{f"requests.{verb}": (0, "url") for verb in (
        "get", "options", "head", "post", "put", "patch", "delete")},
    "requests.request": (1, "url"),
    **{f"requests.Session.{verb}": (0, "url") for verb in (
        "get", "options", "head", "post", "put", "patch", "delete")},
    "requests.Session.request": (1, "url"),
    "smtplib.SMTP": (0, "host"), "smtplib.SMTP_SSL": (0, "host"), "smtplib.LMTP": (0, "host"),
    "ftplib.FTP": (0, "host"), "ftplib.FTP_TLS": (0, "host"),
}
# How code reads the address of a socket it bound itself.
OWN_ADDRESS_METHODS: FrozenSet[str] = frozenset({"getsockname"})
OWN_ADDRESS_ATTRIBUTES: FrozenSet[str] = frozenset({"server_address", "server_port"})

# CCY502: aiohttp request methods; a session all of whose requests pass their own
# ``timeout=`` never falls back to the session's.
AIOHTTP_REQUEST_METHODS: FrozenSet[str] = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "request", "ws_connect",
})

# CCY503: a child that cannot hang once it was sent SIGKILL (``terminate()`` can be ignored).
KILLS: FrozenSet[str] = frozenset({"kill"})
# Tools whose own option bounds their run: argv[0] (None: any) -> options that carry a
# limit (an argument ``--timeout=5`` or ``ConnectTimeout=5`` counts by its prefix).
SELF_TIMED_TOOLS: Dict[Optional[str], FrozenSet[str]] = {
    None: frozenset({"--timeout", "--connect-timeout", "--max-time", "--deadline"}),
    "ping": frozenset({"-W", "-w", "-t"}),
    "curl": frozenset({"-m"}),
    "ssh": frozenset({"ConnectTimeout", "ServerAliveInterval"}),
}
# argv[0] that is itself a time limit on the rest of the command line.
TIME_LIMITING_COMMANDS: FrozenSet[str] = frozenset({"timeout", "gtimeout"})

# CCY504: waits whose end another part of the code guarantees.
# Futures that are done inside the callback that ``add_done_callback`` runs.
DONE_CALLBACK_REGISTRARS: FrozenSet[str] = frozenset({"add_done_callback"})
# Iterables whose items are done futures: ``for f in as_completed(fs)``, ``done, _ = wait(fs)``.
DONE_FUTURE_SOURCES: FrozenSet[str] = frozenset({
    "concurrent.futures.as_completed", "concurrent.futures.wait",
})
# A sync bridge into an event loop: its contract is to wait exactly as long as the coroutine.
LOOP_BRIDGES: FrozenSet[str] = frozenset({"asyncio.run_coroutine_threadsafe"})
# ``self.shutdown()``, ``super().shutdown()``, ``shutdown_loop(loop)``, ``server.stop()``
# right before ``t.join()``: the function asked the thread's work to end first.
STOP_CALL_PREFIXES: Tuple[str, ...] = ("shutdown", "stop")
