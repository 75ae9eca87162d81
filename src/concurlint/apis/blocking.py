"""Blocking APIs (CCY2): what blocks the event loop when called inside ``async def``.

Everything the CCY2 rules know about libraries is in the tables below; the rules
only look names up here. Keys are canonical qualified names as
``Context.resolve`` produces them: a function (``requests.get``), or a method
as ``<Type>.<method>`` (``threading.Lock.acquire``), where ``<Type>`` is what
``Context.type_of`` says the receiver is (see ``apis/types.py``).

Adding an API is one line:

- ``BLOCKING_CALLS``: one exact callee -> (rule code, suggestion);
- ``ANY_METHOD_OF``: a type every method of which blocks (database handles),
  with ``NOT_BLOCKING`` listing the few methods that do not do I/O;
- ``TYPE_ALIASES``: a subclass or sibling type that behaves like a listed one;
- ``NON_BLOCKING_ARGUMENTS``: argument values that make a listed call return
  at once (``get(block=False)``, ``wait(0)``);
- ``BLOCKING_ONLY_WITH_ARGUMENT``: constructors that only do I/O when given
  an argument (``smtplib.SMTP(host)`` connects, ``smtplib.SMTP()`` does not);
- ``BLOCKING_WITH``: types whose plain ``with x:`` blocks (thread locks).
"""
from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Dict, FrozenSet, Optional, Tuple

from ..findings import Text
from . import backends

# --------------------------------------------------------------------------- suggestions
# Each suggestion names the module's own async library (catalog revision 2): one text for
# asyncio (also used when the library is unknown) and one for trio/anyio code, or one per
# library. ``{key}`` is that library's API from ``apis/backends.py`` (``{to_thread}`` ->
# ``await trio.to_thread.run_sync(...)``); ``{to_thread_call}`` has a call in its parentheses.
# Async drivers that only run on asyncio (aiohttp, aiosqlite, asyncpg, aiosmtplib, motor...)
# are never offered to trio or anyio code: there the advice is a worker thread.
@dataclass(frozen=True)
class Advice:
    asyncio: Text
    trio: Text
    anyio: Text
    # The call that ``{to_thread_call}`` shows inside the library's to-thread API
    # (``t.join`` -> ``await asyncio.to_thread(t.join)``); the receiver, when known,
    # replaces ``t`` (``self._worker.join``).
    call: str = ""

    def text(self, backend: Optional[str], receiver: Optional[str] = None) -> Text:
        """The suggestion for ``backend`` (None: unknown, asyncio's wording)."""
        chosen = {"trio": self.trio, "anyio": self.anyio}.get(backend or "", self.asyncio)
        used = {name for _, name, _, _ in Formatter().parse(chosen.message) if name}
        values = {key: backends.advice(backend, key) for key in backends.ADVICE if key in used}
        if "to_thread_call" in used:
            call = self.call if receiver is None else f"{receiver}.{self.call.rpartition('.')[2]}"
            values["to_thread_call"] = backends.advice(backend, "to_thread").replace("(...)", f"({call})")
        return chosen.format(**values)


def _advice(asyncio: Text, other: Optional[Text] = None, anyio: Optional[Text] = None,
            call: str = "") -> Advice:
    """asyncio's text; trio's and anyio's (``other``, default: the same); anyio's own."""
    other = other or asyncio
    return Advice(asyncio, other, anyio or other, call)


_IN_THREAD = Text("run it in a worker thread with '{to_thread}'")

SLEEP = _advice(Text("use '{sleep}'"))
HTTP = _advice(
    Text("use an async client (httpx.AsyncClient, aiohttp) or '{to_thread}'"),
    Text("use an async client (httpx.AsyncClient) or '{to_thread}'"))
SUBPROCESS = _advice(
    Text("use 'await {subprocess}' or '{to_thread}'"))
PROCESS_WAIT = _advice(
    Text("start the process with 'asyncio.create_subprocess_exec()' and 'await proc.wait()', "
         "or use '{to_thread}'"),
    Text("run the process with 'await {subprocess}', or wait in a worker thread with '{to_thread}'"))
FILE_IO = _advice(Text("use {async_file} or '{to_thread}'"))
# Whole-tree and copy operations: aiofiles, trio.Path and anyio.Path have none of them.
FILE_TREE = _advice(_IN_THREAD)
THREAD_LOCK = _advice(
    Text("do the work that needs the lock in a worker thread ('{to_thread}'); use {lock} instead "
         "only if no thread shares it"))
THREAD_EVENT = _advice(
    Text("wait in a worker thread with '{to_thread_call}', or use {event} if no thread sets it"),
    call="event.wait")
THREAD_QUEUE = _advice(
    Text("use 'get_nowait()/put_nowait()', or wait in a worker thread with '{to_thread}'; use "
         "{bounded_channel} only if no thread uses the queue"))
THREAD_JOIN = _advice(Text("wait with '{to_thread_call}'"), call="t.join")
FUTURE = _advice(
    Text("use 'await asyncio.wrap_future(future)' (or 'await loop.run_in_executor(...)')"),
    Text("wait with '{to_thread_call}'"), call="future.result")
FUTURES_WAIT = _advice(
    Text("wrap the futures with 'asyncio.wrap_future()' and use 'asyncio.wait()/as_completed()'"),
    Text("wait for them in a worker thread with '{to_thread}'"))
POOL = _advice(
    Text("use 'await loop.run_in_executor(...)' with a ProcessPoolExecutor"),
    _IN_THREAD,
    Text("use 'await anyio.to_process.run_sync(...)' or '{to_thread}'"))
INPUT = _advice(
    Text("read it with '{to_thread}' or an asyncio StreamReader on stdin"),
    Text("read it with '{to_thread}'"))
SOCKET = _advice(
    Text("use asyncio streams ('await asyncio.open_connection(...)') or the loop's 'sock_*' methods"),
    Text("use trio's sockets ('await trio.open_tcp_stream(...)', trio.socket)"),
    Text("use anyio's streams ('await anyio.connect_tcp(...)')"))
DNS = _advice(
    Text("use 'await loop.getaddrinfo(...)' (loop = asyncio.get_running_loop())"),
    Text("use 'await trio.socket.getaddrinfo(...)'"),
    Text("use 'await anyio.getaddrinfo(...)'"))
SMTP = _advice(Text("use aiosmtplib, or '{to_thread}'"), _IN_THREAD)
FTP = _advice(Text("use an async FTP client (aioftp), or '{to_thread}'"), _IN_THREAD)
TELNET = _advice(Text("use asyncio streams or telnetlib3, or '{to_thread}'"), _IN_THREAD)
SQLITE = _advice(Text("use aiosqlite, or '{to_thread}'"), _IN_THREAD)
POSTGRES = _advice(
    Text("use an async driver (asyncpg, psycopg.AsyncConnection), or '{to_thread}'"), _IN_THREAD)
MYSQL = _advice(Text("use an async driver (aiomysql, asyncmy), or '{to_thread}'"), _IN_THREAD)
REDIS = _advice(Text("use 'redis.asyncio' (await the commands), or '{to_thread}'"), _IN_THREAD)
MONGO = _advice(
    Text("use an async driver (motor, pymongo.AsyncMongoClient), or '{to_thread}'"), _IN_THREAD)
CONFIGURED = _advice(
    Text("it is listed in 'blocking-calls'; run it with '{to_thread}' or use an async alternative"))

Entry = Tuple[str, Advice]  # (rule code, suggestion)

# --------------------------------------------------------------------------- exact callees
BLOCKING_CALLS: Dict[str, Entry] = {
    # CCY201 blocking-sleep
    "time.sleep": ("CCY201", SLEEP),
    # CCY202 blocking-http-call
    "requests.get": ("CCY202", HTTP),
    "requests.post": ("CCY202", HTTP),
    "requests.put": ("CCY202", HTTP),
    "requests.patch": ("CCY202", HTTP),
    "requests.delete": ("CCY202", HTTP),
    "requests.head": ("CCY202", HTTP),
    "requests.options": ("CCY202", HTTP),
    "requests.request": ("CCY202", HTTP),
    "requests.Session.get": ("CCY202", HTTP),
    "requests.Session.post": ("CCY202", HTTP),
    "requests.Session.put": ("CCY202", HTTP),
    "requests.Session.patch": ("CCY202", HTTP),
    "requests.Session.delete": ("CCY202", HTTP),
    "requests.Session.head": ("CCY202", HTTP),
    "requests.Session.options": ("CCY202", HTTP),
    "requests.Session.request": ("CCY202", HTTP),
    "requests.Session.send": ("CCY202", HTTP),
    "urllib.request.urlopen": ("CCY202", HTTP),
    "urllib.request.urlretrieve": ("CCY202", HTTP),
    "urllib.request.OpenerDirector.open": ("CCY202", HTTP),
    "urllib3.request": ("CCY202", HTTP),
    "urllib3.PoolManager.request": ("CCY202", HTTP),
    "urllib3.PoolManager.urlopen": ("CCY202", HTTP),
    "urllib3.PoolManager.request_encode_url": ("CCY202", HTTP),
    "urllib3.PoolManager.request_encode_body": ("CCY202", HTTP),
    "http.client.HTTPConnection.request": ("CCY202", HTTP),
    "http.client.HTTPConnection.getresponse": ("CCY202", HTTP),
    "http.client.HTTPConnection.connect": ("CCY202", HTTP),
    "http.client.HTTPConnection.endheaders": ("CCY202", HTTP),
    "http.client.HTTPConnection.send": ("CCY202", HTTP),
    "httpx.get": ("CCY202", HTTP),
    "httpx.post": ("CCY202", HTTP),
    "httpx.put": ("CCY202", HTTP),
    "httpx.patch": ("CCY202", HTTP),
    "httpx.delete": ("CCY202", HTTP),
    "httpx.head": ("CCY202", HTTP),
    "httpx.options": ("CCY202", HTTP),
    "httpx.request": ("CCY202", HTTP),
    "httpx.stream": ("CCY202", HTTP),
    "httpx.Client.get": ("CCY202", HTTP),
    "httpx.Client.post": ("CCY202", HTTP),
    "httpx.Client.put": ("CCY202", HTTP),
    "httpx.Client.patch": ("CCY202", HTTP),
    "httpx.Client.delete": ("CCY202", HTTP),
    "httpx.Client.head": ("CCY202", HTTP),
    "httpx.Client.options": ("CCY202", HTTP),
    "httpx.Client.request": ("CCY202", HTTP),
    "httpx.Client.send": ("CCY202", HTTP),
    "httpx.Client.stream": ("CCY202", HTTP),
    # CCY203 blocking-subprocess
    "subprocess.run": ("CCY203", SUBPROCESS),
    "subprocess.call": ("CCY203", SUBPROCESS),
    "subprocess.check_call": ("CCY203", SUBPROCESS),
    "subprocess.check_output": ("CCY203", SUBPROCESS),
    "subprocess.getoutput": ("CCY203", SUBPROCESS),
    "subprocess.getstatusoutput": ("CCY203", SUBPROCESS),
    "subprocess.Popen.wait": ("CCY203", PROCESS_WAIT),
    "subprocess.Popen.communicate": ("CCY203", PROCESS_WAIT),
    "os.system": ("CCY203", SUBPROCESS),
    "os.popen": ("CCY203", SUBPROCESS),
    "os.spawnl": ("CCY203", SUBPROCESS),
    "os.spawnle": ("CCY203", SUBPROCESS),
    "os.spawnlp": ("CCY203", SUBPROCESS),
    "os.spawnlpe": ("CCY203", SUBPROCESS),
    "os.spawnv": ("CCY203", SUBPROCESS),
    "os.spawnve": ("CCY203", SUBPROCESS),
    "os.spawnvp": ("CCY203", SUBPROCESS),
    "os.spawnvpe": ("CCY203", SUBPROCESS),
    "os.wait": ("CCY203", PROCESS_WAIT),
    "os.waitpid": ("CCY203", PROCESS_WAIT),
    "os.wait3": ("CCY203", PROCESS_WAIT),
    "os.wait4": ("CCY203", PROCESS_WAIT),
    "os.waitid": ("CCY203", PROCESS_WAIT),
    # CCY204 blocking-file-io
    "builtins.open": ("CCY204", FILE_IO),
    "codecs.open": ("CCY204", FILE_IO),
    "os.fdopen": ("CCY204", FILE_IO),
    "gzip.open": ("CCY204", FILE_IO),
    "bz2.open": ("CCY204", FILE_IO),
    "lzma.open": ("CCY204", FILE_IO),
    "pathlib.Path.read_text": ("CCY204", FILE_IO),
    "pathlib.Path.read_bytes": ("CCY204", FILE_IO),
    "pathlib.Path.write_text": ("CCY204", FILE_IO),
    "pathlib.Path.write_bytes": ("CCY204", FILE_IO),
    "pathlib.Path.open": ("CCY204", FILE_IO),
    "pathlib.Path.iterdir": ("CCY204", FILE_IO),
    "pathlib.Path.glob": ("CCY204", FILE_TREE),
    "pathlib.Path.rglob": ("CCY204", FILE_TREE),
    "pathlib.Path.walk": ("CCY204", FILE_TREE),
    "pathlib.Path.mkdir": ("CCY204", FILE_IO),
    "pathlib.Path.touch": ("CCY204", FILE_IO),
    "pathlib.Path.unlink": ("CCY204", FILE_IO),
    "pathlib.Path.rmdir": ("CCY204", FILE_IO),
    "pathlib.Path.rename": ("CCY204", FILE_IO),
    "pathlib.Path.replace": ("CCY204", FILE_IO),
    "shutil.copy": ("CCY204", FILE_TREE),
    "shutil.copy2": ("CCY204", FILE_TREE),
    "shutil.copyfile": ("CCY204", FILE_TREE),
    "shutil.copyfileobj": ("CCY204", FILE_TREE),
    "shutil.copytree": ("CCY204", FILE_TREE),
    "shutil.move": ("CCY204", FILE_TREE),
    "shutil.rmtree": ("CCY204", FILE_TREE),
    "shutil.make_archive": ("CCY204", FILE_TREE),
    "shutil.unpack_archive": ("CCY204", FILE_TREE),
    "os.listdir": ("CCY204", FILE_IO),
    "os.scandir": ("CCY204", FILE_IO),
    "os.walk": ("CCY204", FILE_TREE),
    "os.fwalk": ("CCY204", FILE_TREE),
    "os.remove": ("CCY204", FILE_IO),
    "os.unlink": ("CCY204", FILE_IO),
    "os.rename": ("CCY204", FILE_IO),
    "os.renames": ("CCY204", FILE_IO),
    "os.replace": ("CCY204", FILE_IO),
    "os.makedirs": ("CCY204", FILE_IO),
    "os.mkdir": ("CCY204", FILE_IO),
    "os.rmdir": ("CCY204", FILE_IO),
    "os.removedirs": ("CCY204", FILE_IO),
    "glob.glob": ("CCY204", FILE_TREE),
    "glob.iglob": ("CCY204", FILE_TREE),
    # CCY205 blocking-sync-primitive
    "threading.Lock.acquire": ("CCY205", THREAD_LOCK),
    "threading.Condition.acquire": ("CCY205", THREAD_LOCK),
    "threading.Condition.wait": ("CCY205", THREAD_EVENT),
    "threading.Condition.wait_for": ("CCY205", THREAD_EVENT),
    "threading.Event.wait": ("CCY205", THREAD_EVENT),
    "threading.Barrier.wait": ("CCY205", THREAD_EVENT),
    "queue.Queue.get": ("CCY205", THREAD_QUEUE),
    "queue.Queue.put": ("CCY205", THREAD_QUEUE),
    "queue.Queue.join": ("CCY205", THREAD_QUEUE),
    "multiprocessing.Queue.get": ("CCY205", THREAD_QUEUE),
    "multiprocessing.Queue.put": ("CCY205", THREAD_QUEUE),
    "multiprocessing.JoinableQueue.join": ("CCY205", THREAD_QUEUE),
    "threading.Thread.join": ("CCY205", THREAD_JOIN),
    "multiprocessing.Process.join": ("CCY205", THREAD_JOIN),
    "multiprocessing.Pool.apply": ("CCY205", POOL),
    "multiprocessing.Pool.map": ("CCY205", POOL),
    "multiprocessing.Pool.starmap": ("CCY205", POOL),
    "multiprocessing.Pool.join": ("CCY205", POOL),
    "concurrent.futures.Future.result": ("CCY205", FUTURE),
    "concurrent.futures.Future.exception": ("CCY205", FUTURE),
    "concurrent.futures.wait": ("CCY205", FUTURES_WAIT),
    "concurrent.futures.as_completed": ("CCY205", FUTURES_WAIT),
    # CCY206 blocking-input
    "builtins.input": ("CCY206", INPUT),
    "sys.stdin.read": ("CCY206", INPUT),
    "sys.stdin.readline": ("CCY206", INPUT),
    "sys.stdin.readlines": ("CCY206", INPUT),
    "sys.stdin.buffer.read": ("CCY206", INPUT),
    "sys.stdin.buffer.readline": ("CCY206", INPUT),
    "sys.stdin.buffer.readlines": ("CCY206", INPUT),
    "getpass.getpass": ("CCY206", INPUT),
    # CCY207 blocking-network-call
    "socket.create_connection": ("CCY207", SOCKET),
    "socket.getaddrinfo": ("CCY207", DNS),
    "socket.gethostbyname": ("CCY207", DNS),
    "socket.gethostbyname_ex": ("CCY207", DNS),
    "socket.gethostbyaddr": ("CCY207", DNS),
    "socket.getnameinfo": ("CCY207", DNS),
    "socket.getfqdn": ("CCY207", DNS),
    "socket.socket.connect": ("CCY207", SOCKET),
    "socket.socket.connect_ex": ("CCY207", SOCKET),
    "socket.socket.accept": ("CCY207", SOCKET),
    "socket.socket.recv": ("CCY207", SOCKET),
    "socket.socket.recv_into": ("CCY207", SOCKET),
    "socket.socket.recvfrom": ("CCY207", SOCKET),
    "socket.socket.recvfrom_into": ("CCY207", SOCKET),
    "socket.socket.send": ("CCY207", SOCKET),
    "socket.socket.sendall": ("CCY207", SOCKET),
    "socket.socket.sendto": ("CCY207", SOCKET),
    "socket.socket.sendfile": ("CCY207", SOCKET),
    "smtplib.SMTP": ("CCY207", SMTP),  # only with a host: see BLOCKING_ONLY_WITH_ARGUMENT
    "smtplib.SMTP_SSL": ("CCY207", SMTP),
    "smtplib.LMTP": ("CCY207", SMTP),
    "smtplib.SMTP.connect": ("CCY207", SMTP),
    "smtplib.SMTP.helo": ("CCY207", SMTP),
    "smtplib.SMTP.ehlo": ("CCY207", SMTP),
    "smtplib.SMTP.ehlo_or_helo_if_needed": ("CCY207", SMTP),
    "smtplib.SMTP.starttls": ("CCY207", SMTP),
    "smtplib.SMTP.login": ("CCY207", SMTP),
    "smtplib.SMTP.auth": ("CCY207", SMTP),
    "smtplib.SMTP.sendmail": ("CCY207", SMTP),
    "smtplib.SMTP.send_message": ("CCY207", SMTP),
    "smtplib.SMTP.mail": ("CCY207", SMTP),
    "smtplib.SMTP.rcpt": ("CCY207", SMTP),
    "smtplib.SMTP.data": ("CCY207", SMTP),
    "smtplib.SMTP.noop": ("CCY207", SMTP),
    "smtplib.SMTP.rset": ("CCY207", SMTP),
    "smtplib.SMTP.verify": ("CCY207", SMTP),
    "smtplib.SMTP.docmd": ("CCY207", SMTP),
    "smtplib.SMTP.quit": ("CCY207", SMTP),
    "ftplib.FTP": ("CCY207", FTP),  # only with a host: see BLOCKING_ONLY_WITH_ARGUMENT
    "ftplib.FTP_TLS": ("CCY207", FTP),
    "ftplib.FTP.connect": ("CCY207", FTP),
    "ftplib.FTP.login": ("CCY207", FTP),
    "ftplib.FTP.prot_p": ("CCY207", FTP),
    "ftplib.FTP.auth": ("CCY207", FTP),
    "ftplib.FTP.cwd": ("CCY207", FTP),
    "ftplib.FTP.pwd": ("CCY207", FTP),
    "ftplib.FTP.nlst": ("CCY207", FTP),
    "ftplib.FTP.dir": ("CCY207", FTP),
    "ftplib.FTP.mlsd": ("CCY207", FTP),
    "ftplib.FTP.size": ("CCY207", FTP),
    "ftplib.FTP.delete": ("CCY207", FTP),
    "ftplib.FTP.rename": ("CCY207", FTP),
    "ftplib.FTP.mkd": ("CCY207", FTP),
    "ftplib.FTP.rmd": ("CCY207", FTP),
    "ftplib.FTP.retrbinary": ("CCY207", FTP),
    "ftplib.FTP.retrlines": ("CCY207", FTP),
    "ftplib.FTP.storbinary": ("CCY207", FTP),
    "ftplib.FTP.storlines": ("CCY207", FTP),
    "ftplib.FTP.sendcmd": ("CCY207", FTP),
    "ftplib.FTP.voidcmd": ("CCY207", FTP),
    "ftplib.FTP.transfercmd": ("CCY207", FTP),
    "ftplib.FTP.quit": ("CCY207", FTP),
    "telnetlib.Telnet": ("CCY207", TELNET),  # only with a host: see BLOCKING_ONLY_WITH_ARGUMENT
    "telnetlib.Telnet.open": ("CCY207", TELNET),
    "telnetlib.Telnet.read_until": ("CCY207", TELNET),
    "telnetlib.Telnet.read_all": ("CCY207", TELNET),
    "telnetlib.Telnet.read_some": ("CCY207", TELNET),
    "telnetlib.Telnet.expect": ("CCY207", TELNET),
    "telnetlib.Telnet.write": ("CCY207", TELNET),
    "telnetlib.Telnet.interact": ("CCY207", TELNET),
    # CCY208 blocking-database-call (connections and cursors: see ANY_METHOD_OF)
    "sqlite3.connect": ("CCY208", SQLITE),
    "psycopg2.connect": ("CCY208", POSTGRES),
    "psycopg2.pool.AbstractConnectionPool.getconn": ("CCY208", POSTGRES),
    "psycopg.connect": ("CCY208", POSTGRES),
    "psycopg.Connection.connect": ("CCY208", POSTGRES),
    "pymysql.connect": ("CCY208", MYSQL),
    "pymysql.Connect": ("CCY208", MYSQL),
    "pymysql.connections.Connection": ("CCY208", MYSQL),
    "MySQLdb.connect": ("CCY208", MYSQL),
    "MySQLdb.Connect": ("CCY208", MYSQL),
    "mysql.connector.connect": ("CCY208", MYSQL),
    "redis.lock.Lock.acquire": ("CCY208", REDIS),
    "redis.lock.Lock.release": ("CCY208", REDIS),
    "redis.lock.Lock.extend": ("CCY208", REDIS),
    "redis.client.Pipeline.execute": ("CCY208", REDIS),
    "redis.client.PubSub.subscribe": ("CCY208", REDIS),
    "redis.client.PubSub.psubscribe": ("CCY208", REDIS),
    "redis.client.PubSub.unsubscribe": ("CCY208", REDIS),
    "redis.client.PubSub.punsubscribe": ("CCY208", REDIS),
    "redis.client.PubSub.get_message": ("CCY208", REDIS),
    "redis.client.PubSub.listen": ("CCY208", REDIS),
    "pymongo.MongoClient": ("CCY208", MONGO),
    "pymongo.MongoClient.list_database_names": ("CCY208", MONGO),
    "pymongo.MongoClient.list_databases": ("CCY208", MONGO),
    "pymongo.MongoClient.drop_database": ("CCY208", MONGO),
    "pymongo.MongoClient.server_info": ("CCY208", MONGO),
    "pymongo.database.Database.command": ("CCY208", MONGO),
    "pymongo.database.Database.list_collection_names": ("CCY208", MONGO),
    "pymongo.database.Database.list_collections": ("CCY208", MONGO),
    "pymongo.database.Database.create_collection": ("CCY208", MONGO),
    "pymongo.database.Database.drop_collection": ("CCY208", MONGO),
    "pymongo.database.Database.aggregate": ("CCY208", MONGO),
    "pymongo.collection.Collection.find": ("CCY208", MONGO),
    "pymongo.collection.Collection.find_one": ("CCY208", MONGO),
    "pymongo.collection.Collection.find_one_and_update": ("CCY208", MONGO),
    "pymongo.collection.Collection.find_one_and_replace": ("CCY208", MONGO),
    "pymongo.collection.Collection.find_one_and_delete": ("CCY208", MONGO),
    "pymongo.collection.Collection.insert_one": ("CCY208", MONGO),
    "pymongo.collection.Collection.insert_many": ("CCY208", MONGO),
    "pymongo.collection.Collection.update_one": ("CCY208", MONGO),
    "pymongo.collection.Collection.update_many": ("CCY208", MONGO),
    "pymongo.collection.Collection.replace_one": ("CCY208", MONGO),
    "pymongo.collection.Collection.delete_one": ("CCY208", MONGO),
    "pymongo.collection.Collection.delete_many": ("CCY208", MONGO),
    "pymongo.collection.Collection.bulk_write": ("CCY208", MONGO),
    "pymongo.collection.Collection.aggregate": ("CCY208", MONGO),
    "pymongo.collection.Collection.count_documents": ("CCY208", MONGO),
    "pymongo.collection.Collection.estimated_document_count": ("CCY208", MONGO),
    "pymongo.collection.Collection.distinct": ("CCY208", MONGO),
    "pymongo.collection.Collection.create_index": ("CCY208", MONGO),
    "pymongo.collection.Collection.create_indexes": ("CCY208", MONGO),
    "pymongo.collection.Collection.drop_index": ("CCY208", MONGO),
    "pymongo.collection.Collection.drop_indexes": ("CCY208", MONGO),
    "pymongo.collection.Collection.list_indexes": ("CCY208", MONGO),
    "pymongo.collection.Collection.index_information": ("CCY208", MONGO),
    "pymongo.collection.Collection.drop": ("CCY208", MONGO),
    "pymongo.collection.Collection.rename": ("CCY208", MONGO),
    "pymongo.collection.Collection.watch": ("CCY208", MONGO),
}

# --------------------------------------------------------------------------- whole types
# Every method call on an object of these types blocks (except NOT_BLOCKING).
ANY_METHOD_OF: Dict[str, Entry] = {
    "sqlite3.Connection": ("CCY208", SQLITE),
    "sqlite3.Cursor": ("CCY208", SQLITE),
    "psycopg2.extensions.connection": ("CCY208", POSTGRES),
    "psycopg2.extensions.cursor": ("CCY208", POSTGRES),
    "psycopg.Connection": ("CCY208", POSTGRES),
    "psycopg.Cursor": ("CCY208", POSTGRES),
    "pymysql.connections.Connection": ("CCY208", MYSQL),
    "pymysql.cursors.Cursor": ("CCY208", MYSQL),
    "MySQLdb.connections.Connection": ("CCY208", MYSQL),
    "MySQLdb.cursors.Cursor": ("CCY208", MYSQL),
    "mysql.connector.connection.MySQLConnection": ("CCY208", MYSQL),
    "mysql.connector.cursor.MySQLCursor": ("CCY208", MYSQL),
    "redis.Redis": ("CCY208", REDIS),
}

# Methods of ANY_METHOD_OF types that only build objects or read local state.
NOT_BLOCKING: FrozenSet[str] = frozenset({
    "redis.Redis.pipeline",
    "redis.Redis.pubsub",
    "redis.Redis.lock",
    "redis.Redis.register_script",
    "redis.Redis.from_url",
    "redis.Redis.from_pool",
    "redis.Redis.get_encoder",
    "redis.Redis.get_connection_kwargs",
    "redis.Redis.set_response_callback",
    "redis.Redis.get_retry",
    "redis.Redis.set_retry",
    "redis.Redis.close",
    "redis.Redis.monitor",
    "redis.Redis.client",
})

# Receivers that behave like a listed type (subclasses, sibling classes, proxies).
TYPE_ALIASES: Dict[str, str] = {
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "threading.RLock": "threading.Lock",
    "threading.Semaphore": "threading.Lock",
    "threading.BoundedSemaphore": "threading.Lock",
    "threading.Timer": "threading.Thread",
    "multiprocessing.Lock": "threading.Lock",
    "multiprocessing.RLock": "threading.Lock",
    "multiprocessing.Semaphore": "threading.Lock",
    "multiprocessing.BoundedSemaphore": "threading.Lock",
    "multiprocessing.Condition": "threading.Condition",
    "multiprocessing.Event": "threading.Event",
    "multiprocessing.Barrier": "threading.Barrier",
    "queue.LifoQueue": "queue.Queue",
    "queue.PriorityQueue": "queue.Queue",
    "queue.SimpleQueue": "queue.Queue",
    "multiprocessing.JoinableQueue": "multiprocessing.Queue",
    "multiprocessing.SimpleQueue": "multiprocessing.Queue",
    "multiprocessing.pool.ThreadPool": "multiprocessing.Pool",
    "http.client.HTTPSConnection": "http.client.HTTPConnection",
    "urllib3.ProxyManager": "urllib3.PoolManager",
    "urllib3.HTTPConnectionPool": "urllib3.PoolManager",
    "urllib3.HTTPSConnectionPool": "urllib3.PoolManager",
    "smtplib.SMTP_SSL": "smtplib.SMTP",
    "smtplib.LMTP": "smtplib.SMTP",
    "ftplib.FTP_TLS": "ftplib.FTP",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "psycopg2.pool.SimpleConnectionPool": "psycopg2.pool.AbstractConnectionPool",
    "psycopg2.pool.ThreadedConnectionPool": "psycopg2.pool.AbstractConnectionPool",
    "psycopg2.extras.DictCursor": "psycopg2.extensions.cursor",
    "psycopg2.extras.RealDictCursor": "psycopg2.extensions.cursor",
    "pymysql.cursors.DictCursor": "pymysql.cursors.Cursor",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "ssl.SSLSocket": "socket.socket",
}

# --------------------------------------------------------------------------- arguments
# (position or -1, keyword, kind): the call does not block when that argument is
#   "false": the literal False or 0        (block=False, blocking=False)
#   "zero":  the literal 0 or 0.0          (timeout=0: poll, never wait)
#   "wnohang": an expression using os.WNOHANG (waitpid(pid, os.WNOHANG))
#   "nowait": os.P_NOWAIT / os.P_NOWAITO / os.P_DETACH (spawn* returns at once)
#   "numerichost": an expression using AI_NUMERICHOST / NI_NUMERICHOST (no lookup)
#   "numeric-address": None or a literal IP address (nothing to look up)
ArgumentRule = Tuple[int, str, str]
_QUEUE_GET = ((0, "block", "false"), (1, "timeout", "zero"))
_QUEUE_PUT = ((1, "block", "false"), (2, "timeout", "zero"))
_ACQUIRE = ((0, "blocking", "false"), (1, "timeout", "zero"))
_TIMEOUT_FIRST = ((0, "timeout", "zero"),)
_TIMEOUT_SECOND = ((1, "timeout", "zero"),)
_SPAWN = ((0, "mode", "nowait"),)
NON_BLOCKING_ARGUMENTS: Dict[str, Tuple[ArgumentRule, ...]] = {
    "queue.Queue.get": _QUEUE_GET,
    "queue.Queue.put": _QUEUE_PUT,
    "multiprocessing.Queue.get": _QUEUE_GET,
    "multiprocessing.Queue.put": _QUEUE_PUT,
    "threading.Lock.acquire": _ACQUIRE,
    "threading.Condition.acquire": _ACQUIRE,
    "threading.Event.wait": _TIMEOUT_FIRST,
    "threading.Condition.wait": _TIMEOUT_FIRST,
    "threading.Condition.wait_for": _TIMEOUT_SECOND,
    "threading.Barrier.wait": _TIMEOUT_FIRST,
    "threading.Thread.join": _TIMEOUT_FIRST,
    "multiprocessing.Process.join": _TIMEOUT_FIRST,
    "concurrent.futures.Future.result": _TIMEOUT_FIRST,
    "concurrent.futures.Future.exception": _TIMEOUT_FIRST,
    "concurrent.futures.wait": _TIMEOUT_SECOND,
    "concurrent.futures.as_completed": _TIMEOUT_SECOND,
    "subprocess.Popen.wait": _TIMEOUT_FIRST,
    "subprocess.Popen.communicate": _TIMEOUT_SECOND,
    "os.waitpid": ((1, "options", "wnohang"),),
    "socket.getaddrinfo": ((0, "host", "numeric-address"), (5, "flags", "numerichost")),
    "socket.getnameinfo": ((1, "flags", "numerichost"),),
    "socket.gethostbyname": ((0, "hostname", "numeric-address"),),
    "socket.gethostbyname_ex": ((0, "hostname", "numeric-address"),),
    "os.wait3": ((0, "options", "wnohang"),),
    "os.wait4": ((1, "options", "wnohang"),),
    "os.waitid": ((2, "options", "wnohang"),),
    "os.spawnl": _SPAWN,
    "os.spawnle": _SPAWN,
    "os.spawnlp": _SPAWN,
    "os.spawnlpe": _SPAWN,
    "os.spawnv": _SPAWN,
    "os.spawnve": _SPAWN,
    "os.spawnvp": _SPAWN,
    "os.spawnvpe": _SPAWN,
}

# Calls that return at once when a check on the same receiver says the wait is over:
# method -> guards (method, negated). ``if fut.done(): fut.result()``, ``if not
# t.is_alive(): t.join()``, ``while not q.empty(): q.get()``; the negated guard as a polling
# loop before the call counts too (``while t.is_alive(): await sleep(0.1)`` then ``t.join()``).
NON_BLOCKING_WHEN_GUARDED: Dict[str, Tuple[Tuple[str, bool], ...]] = {
    "concurrent.futures.Future.result": (("done", False),),
    "concurrent.futures.Future.exception": (("done", False),),
    "threading.Thread.join": (("is_alive", True),),
    "multiprocessing.Process.join": (("is_alive", True),),
    "queue.Queue.get": (("empty", True), ("qsize", False)),
    "multiprocessing.Queue.get": (("empty", True),),
}
# Waits that are over once something the coroutine awaited earlier signalled their end:
# name -> whether what made the object (a thread's target and arguments, a submitted
# function) can signal it. ``await done.wait()`` (the thread sets ``done``), ``await fut``,
# ``await asyncio.wrap_future(fut)``; for a process only an await naming the process itself.
COMPLETION_SIGNALLED: Dict[str, bool] = {
    "threading.Thread.join": True, "multiprocessing.Process.join": True,
    "concurrent.futures.Future.result": True, "concurrent.futures.Future.exception": True,
    "subprocess.Popen.wait": False, "subprocess.Popen.communicate": False,
}
# ``if <proc>.poll() is None: await <exit notification>; proc.wait()``: the wait only reaps.
REAPS_AFTER_AWAITED_EXIT = frozenset({"subprocess.Popen.wait"})

# ``put()`` only waits on a full queue: on a queue made with a positive (or unknown) maxsize.
BLOCKS_ONLY_WHEN_BOUNDED = frozenset({"queue.Queue.put", "multiprocessing.Queue.put"})
QUEUE_MAXSIZE = (0, "maxsize")
UNBOUNDED_QUEUES = frozenset({"queue.SimpleQueue"})  # no maxsize at all
PIPE_QUEUES = frozenset({"multiprocessing.SimpleQueue"})  # put() writes a pipe: it can fill

# Qualified names that count for the "wnohang"/"nowait" kinds.
WNOHANG = frozenset({"os.WNOHANG"})
SPAWN_NOWAIT = frozenset({"os.P_NOWAIT", "os.P_NOWAITO", "os.P_DETACH"})
# Flags that make getaddrinfo/getnameinfo translate numbers only (no lookup).
NUMERIC_HOST_FLAGS = frozenset({"socket.AI_NUMERICHOST", "socket.NI_NUMERICHOST"})

# Constructors that only connect when given this argument (position, keyword).
BLOCKING_ONLY_WITH_ARGUMENT: Dict[str, Tuple[int, str]] = {
    "smtplib.SMTP": (0, "host"),
    "smtplib.SMTP_SSL": (0, "host"),
    "smtplib.LMTP": (0, "host"),
    "ftplib.FTP": (0, "host"),
    "ftplib.FTP_TLS": (0, "host"),
    "telnetlib.Telnet": (0, "host"),
}

# --------------------------------------------------------------------------- with
# `with x:` (not `async with`) on an object of these types blocks the thread.
BLOCKING_WITH: Dict[str, Entry] = {
    "threading.Lock": ("CCY205", THREAD_LOCK),
    "threading.Condition": ("CCY205", THREAD_LOCK),
}

# A `socket.socket` method called on a receiver made non-blocking in the same file
# (``sock.setblocking(False)`` / ``sock.settimeout(0)``) does not block.
SOCKET_TYPE = "socket.socket"
# Awaited before a socket call on the same socket, these say it is ready: the call returns
# at once (``await trio.lowlevel.wait_readable(sock)`` then ``sock.recv(n)``).
SOCKET_READINESS_WAITS: Dict[str, FrozenSet[str]] = {
    "wait_readable": frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "accept"}),
    "wait_writable": frozenset({"send", "sendall", "sendto"}),
}
SOCKET_READINESS_WAITS["wait_socket_readable"] = SOCKET_READINESS_WAITS["wait_readable"]
SOCKET_READINESS_WAITS["wait_socket_writable"] = SOCKET_READINESS_WAITS["wait_writable"]
# Calls that switch the socket given as their first argument (or as ``sock=``) to
# non-blocking mode, or need it so: trio's wrapper, the loop's ``sock_*`` methods.
NONBLOCKING_SOCKET_TAKERS = frozenset({
    "from_stdlib_socket", "sock_recv", "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into",
    "sock_sendall", "sock_sendto", "sock_connect", "sock_accept", "sock_sendfile",
})


def lookup(qualname: str) -> Optional[Entry]:
    """The (code, suggestion) for a call of ``qualname``, or None if it is not blocking."""
    entry = BLOCKING_CALLS.get(qualname)
    if entry is not None:
        return entry
    owner, _, method = qualname.rpartition(".")
    if not owner:
        return None
    alias = TYPE_ALIASES.get(owner)
    if alias is not None:
        qualname = f"{alias}.{method}"
        owner = alias
        entry = BLOCKING_CALLS.get(qualname)
        if entry is not None:
            return entry
    entry = ANY_METHOD_OF.get(owner)
    if entry is not None and qualname not in NOT_BLOCKING and not method.startswith("_"):
        return entry
    return None


def normalise(qualname: str) -> str:
    """``qualname`` with its receiver type replaced by the listed type it behaves like."""
    owner, _, method = qualname.rpartition(".")
    alias = TYPE_ALIASES.get(owner)
    return f"{alias}.{method}" if alias is not None else qualname


def with_entry(type_name: Optional[str]) -> Optional[Entry]:
    if type_name is None:
        return None
    return BLOCKING_WITH.get(TYPE_ALIASES.get(type_name, type_name))


class BlockingPatterns:
    """The user's ``blocking-calls`` (CCY209): ``pkg.func`` exact, ``pkg.*`` anything under pkg."""

    def __init__(self, entries: Tuple[str, ...]):
        exact = set()
        prefixes = set()
        for entry in entries:
            entry = entry.strip()
            if entry.endswith(".*"):
                prefixes.add(entry[:-1])  # keep the dot: "pkg." never matches "pkg_async"
            elif entry == "*":
                continue
            elif entry:
                exact.add(entry)
        self.exact: FrozenSet[str] = frozenset(exact)
        self.prefixes: Tuple[str, ...] = tuple(sorted(prefixes))

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def matches(self, qualname: Optional[str]) -> bool:
        if not qualname or qualname.startswith("<"):
            return False
        if qualname in self.exact:
            return True
        return any(qualname.startswith(prefix) and len(qualname) > len(prefix)
                   for prefix in self.prefixes)


# Generators: the call itself does no I/O, iterating it does. Flagged where the result is
# iterated in the coroutine, not where it is handed to something else that iterates it
# (e.g. in a worker thread): ``await to_thread(list, path.iterdir())`` never blocks.
LAZY_ITERATORS = frozenset({
    "pathlib.Path.iterdir", "pathlib.Path.glob", "pathlib.Path.rglob", "pathlib.Path.walk",
    "os.walk", "glob.iglob",
})
# Calls that iterate their argument right away, in the calling coroutine.
CONSUMING_CALLS = frozenset({
    "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.sorted",
    "builtins.dict", "builtins.sum", "builtins.any", "builtins.all", "builtins.max",
    "builtins.min", "builtins.next", "builtins.enumerate", "builtins.zip", "builtins.map",
    "builtins.filter", "builtins.reversed",
})

# A socket call inside `try: ... except BlockingIOError:` is on a non-blocking socket.
WOULD_BLOCK_ERRORS = frozenset({
    "builtins.BlockingIOError", "ssl.SSLWantReadError", "ssl.SSLWantWriteError",
})
