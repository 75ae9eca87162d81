"""CCY202, CCY203, CCY204, CCY206, CCY207, CCY208 and CCY209: blocking HTTP, subprocess,
file, ``input()``, network, database and configured calls inside ``async def``; each reports
the calls that ``classify`` put under its code.
"""
from __future__ import annotations

from ...findings import Text
from .common import _BlockingCallRule, _NOT_FLAGGED_COMMON_EN, _NOT_FLAGGED_COMMON_ZH, _WHY_EN, _WHY_ZH


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
