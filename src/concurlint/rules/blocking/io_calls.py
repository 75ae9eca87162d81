"""CCY202, CCY203, CCY204, CCY206, CCY207, CCY208 and CCY209: blocking HTTP, subprocess,
file, ``input()``, network, database and configured calls inside ``async def``; each reports
the calls that ``classify`` put under its code.
"""
from __future__ import annotations

from ...findings import Text
from .common import _BlockingCallRule, _NOT_FLAGGED_COMMON, _WHY


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
        "I/O). `httpx.AsyncClient`, `aiohttp` and other async clients are fine. {not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "A network round-trip takes milliseconds to seconds (or forever, without a timeout); a "
        "synchronous client holds the event loop for all of it. {why}").format(why=_WHY)
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
        "only reaps the child), or after an `await` that names the process itself. {not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "These calls wait until the child process exits, which can take seconds or minutes. "
        "`asyncio.create_subprocess_exec()` starts the process and lets you `await` its end "
        "without stopping the loop. {why}").format(why=_WHY)
    example = (
        "import subprocess\n\n\nasync def git_head(repo):\n"
        "    out = subprocess.check_output([\"git\", \"rev-parse\", \"HEAD\"], cwd=repo)\n"
        "    return out.decode().strip()\n")
    use_instead = (
        "import asyncio\n\n\nasync def git_head(repo):\n"
        "    proc = await asyncio.create_subprocess_exec(\n"
        "        \"git\", \"rev-parse\", \"HEAD\", cwd=repo, stdout=asyncio.subprocess.PIPE)\n"
        "    out, _ = await proc.communicate()\n    return out.decode().strip()\n")
    fix_safety = Text("No automatic fix.")
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
        "`anyio.Path` have no such operations. {not_flagged}").format(not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "Disk and network file systems can stall for a long time (cold caches, NFS, large "
        "files, directory trees). Python's file API is synchronous, so the loop waits. {why}").format(
        why=_WHY)
    example = (
        "import json\n\n\nasync def load_config(path):\n"
        "    with open(path, encoding=\"utf-8\") as fh:\n        return json.load(fh)\n")
    use_instead = (
        "import json\n\nimport aiofiles\n\n\nasync def load_config(path):\n"
        "    async with aiofiles.open(path, encoding=\"utf-8\") as fh:\n"
        "        return json.loads(await fh.read())\n")
    fix_safety = Text("No automatic fix.")
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
        "`sys.stdin.buffer`) and `getpass.getpass()` inside an `async def`. {not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "Waiting for a person to type is the longest wait there is: the loop does nothing until "
        "they press Enter. {why}").format(why=_WHY)
    example = "async def chat(conn):\n    while True:\n        line = input('> ')\n        await conn.send(line)\n"
    use_instead = (
        "import asyncio\n\n\nasync def chat(conn):\n    while True:\n"
        "        line = await asyncio.to_thread(input, '> ')\n        await conn.send(line)\n")
    fix_safety = Text("No automatic fix.")
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
        "{not_flagged}").format(
        not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "Connecting, resolving a name and waiting for bytes all depend on the network and the "
        "peer; a blocking socket holds the event loop for the whole wait. {why}").format(why=_WHY)
    example = (
        "import smtplib\n\n\nasync def send_report(msg):\n"
        "    with smtplib.SMTP(\"mail.example.com\", 587, timeout=10) as smtp:\n"
        "        smtp.starttls()\n        smtp.send_message(msg)\n")
    use_instead = (
        "import asyncio\nimport smtplib\n\n\ndef _send(msg):\n"
        "    with smtplib.SMTP(\"mail.example.com\", 587, timeout=10) as smtp:\n"
        "        smtp.starttls()\n        smtp.send_message(msg)\n\n\n"
        "async def send_report(msg):\n    await asyncio.to_thread(_send, msg)\n")
    fix_safety = Text("No automatic fix.")
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
        "(`r.pipeline()`) is not flagged. {not_flagged}").format(not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "Every query is a round-trip to a server or a disk; under load each one takes long "
        "enough to stall every other request the service is handling. {why}").format(why=_WHY)
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
    fix_safety = Text("No automatic fix.")
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
        "reports is reported by that rule only. {not_flagged}").format(not_flagged=_NOT_FLAGGED_COMMON)
    why = Text(
        "A blocking call stalls the loop no matter which library it comes from; listing your "
        "known offenders keeps them out of async code. {why}").format(why=_WHY)
    example = (
        "# pyproject.toml: [tool.concurlint] blocking-calls = [\"billing.charge_card\"]\n"
        "from billing import charge_card\n\n\nasync def checkout(order):\n"
        "    charge_card(order.card, order.total)\n")
    use_instead = (
        "import asyncio\n\nfrom billing import charge_card\n\n\nasync def checkout(order):\n"
        "    await asyncio.to_thread(charge_card, order.card, order.total)\n")
    fix_safety = Text("No automatic fix.")
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
