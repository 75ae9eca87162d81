"""What calls return: the table behind "what was this name bound to".

Keys are canonical qualified callee names; a method is ``<Type>.<method>``.
Values are the qualified type of the result. Classes map to themselves so that
``x = threading.Lock()`` gives ``x`` the type ``threading.Lock``.
"""
from __future__ import annotations

from typing import Dict, Iterable, Optional, Tuple


def _self_typed(names: Iterable[str]) -> Dict[str, str]:
    return {name: name for name in names}


RETURN_TYPES: Dict[str, str] = {
    # threading primitives and threads
    **_self_typed([
        "threading.Lock", "threading.RLock", "threading.Condition", "threading.Semaphore",
        "threading.BoundedSemaphore", "threading.Event", "threading.Barrier",
        "threading.Thread", "threading.Timer",
        "queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "queue.SimpleQueue",
        "multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue",
        "multiprocessing.Process", "multiprocessing.Pool", "multiprocessing.pool.ThreadPool",
        "multiprocessing.Lock", "multiprocessing.RLock", "multiprocessing.Event",
        "multiprocessing.Semaphore", "multiprocessing.Condition",
        "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.Future",
        # asyncio
        "asyncio.Lock", "asyncio.Semaphore", "asyncio.BoundedSemaphore", "asyncio.Event",
        "asyncio.Condition", "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue",
        "asyncio.TaskGroup", "asyncio.Runner", "asyncio.Future",
        # network / http
        "requests.Session", "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession",
        "aiohttp.ClientTimeout", "urllib3.PoolManager", "http.client.HTTPConnection",
        "http.client.HTTPSConnection", "socket.socket", "smtplib.SMTP", "smtplib.SMTP_SSL",
        "smtplib.LMTP", "ftplib.FTP", "ftplib.FTP_TLS", "telnetlib.Telnet",
        "subprocess.Popen",
        # databases
        "redis.Redis", "redis.StrictRedis", "pymongo.MongoClient",
        "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
    ]),
    "multiprocessing.Manager": "multiprocessing.managers.SyncManager",
    "multiprocessing.get_context": "multiprocessing.context",
    "multiprocessing.context.Process": "multiprocessing.Process",
    "multiprocessing.context.Pool": "multiprocessing.Pool",
    "multiprocessing.context.Queue": "multiprocessing.Queue",
    "multiprocessing.dummy.Pool": "multiprocessing.pool.ThreadPool",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.create_task": "asyncio.Task",
    "asyncio.ensure_future": "asyncio.Task",
    "asyncio.AbstractEventLoop.create_task": "asyncio.Task",
    "asyncio.AbstractEventLoop.create_future": "asyncio.Future",
    "asyncio.AbstractEventLoop.run_in_executor": "asyncio.Future",
    "asyncio.TaskGroup.create_task": "asyncio.Task",
    "asyncio.Runner.get_loop": "asyncio.AbstractEventLoop",
    "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
    "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future",
    "requests.session": "requests.Session",
    "requests.Session.get": "requests.Response",
    "requests.get": "requests.Response",
    "requests.post": "requests.Response",
    "aiohttp.ClientSession.get": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.post": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.put": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.patch": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.delete": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.head": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.options": "aiohttp.ClientResponse",
    "aiohttp.ClientSession.request": "aiohttp.ClientResponse",
    "aiohttp.request": "aiohttp.ClientResponse",
    "aiofiles.open": "aiofiles.threadpool.AsyncFile",
    "builtins.open": "io.TextIOWrapper",
    "pathlib.Path.open": "io.TextIOWrapper",
    "socket.create_connection": "socket.socket",
    "socket.create_server": "socket.socket",
    "socket.socket.accept": "tuple",
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.extensions.connection",
    "psycopg2.extensions.connection.cursor": "psycopg2.extensions.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "pymysql.connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection.cursor": "pymysql.cursors.Cursor",
    "MySQLdb.connect": "MySQLdb.connections.Connection",
    "MySQLdb.connections.Connection.cursor": "MySQLdb.cursors.Cursor",
    "mysql.connector.connect": "mysql.connector.connection.MySQLConnection",
    "mysql.connector.connection.MySQLConnection.cursor": "mysql.connector.cursor.MySQLCursor",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.Redis.pipeline": "redis.client.Pipeline",
    "pymongo.MongoClient.get_database": "pymongo.database.Database",
    "pymongo.database.Database.get_collection": "pymongo.collection.Collection",
    "httpx.Client.get": "httpx.Response",
    "urllib.request.urlopen": "http.client.HTTPResponse",
}

# What `with X as name` binds when it is not X itself (the result of __enter__).
ENTER_RESULT: Dict[str, str] = {
    "multiprocessing.managers.SyncManager": "multiprocessing.managers.SyncManager",
    "asyncpg.pool.PoolAcquireContext": "asyncpg.connection.Connection",
}

# Library factories whose sources carry no return annotation (the library index of
# semantics/library.py reads the annotated ones from the installed stubs and sources).
RETURN_TYPES.update({
    "asyncpg.connect": "asyncpg.connection.Connection",
    "asyncpg.connection.connect": "asyncpg.connection.Connection",
    "asyncpg.create_pool": "asyncpg.pool.Pool",
    "asyncpg.pool.create_pool": "asyncpg.pool.Pool",
    "asyncpg.pool.Pool.acquire": "asyncpg.pool.PoolAcquireContext",
})

# Appended for CCY2 (blocking calls): receivers of blocking methods.
RETURN_TYPES.update({
    "psycopg2.pool.SimpleConnectionPool": "psycopg2.pool.SimpleConnectionPool",
    "psycopg2.pool.ThreadedConnectionPool": "psycopg2.pool.ThreadedConnectionPool",
    "psycopg2.pool.SimpleConnectionPool.getconn": "psycopg2.extensions.connection",
    "psycopg2.pool.ThreadedConnectionPool.getconn": "psycopg2.extensions.connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Cursor.execute": "psycopg.Cursor",
    "psycopg.Connection.execute": "psycopg.Cursor",
    "pymysql.Connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection": "pymysql.connections.Connection",
    "MySQLdb.Connect": "MySQLdb.connections.Connection",
    "MySQLdb.Connection": "MySQLdb.connections.Connection",
    "sqlite3.Connection.executemany": "sqlite3.Cursor",
    "sqlite3.Connection.executescript": "sqlite3.Cursor",
    "sqlite3.Cursor.execute": "sqlite3.Cursor",
    "sqlite3.Cursor.executemany": "sqlite3.Cursor",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "redis.StrictRedis.from_url": "redis.Redis",
    "redis.Redis.lock": "redis.lock.Lock",
    "redis.StrictRedis.lock": "redis.lock.Lock",
    "redis.Redis.pubsub": "redis.client.PubSub",
    "redis.StrictRedis.pubsub": "redis.client.PubSub",
    "redis.StrictRedis.pipeline": "redis.client.Pipeline",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "pymongo.MongoClient.get_default_database": "pymongo.database.Database",
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.ProxyManager": "urllib3.ProxyManager",
    "urllib3.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "urllib3.proxy_from_url": "urllib3.ProxyManager",
    "multiprocessing.managers.SyncManager.Queue": "queue.Queue",
    "multiprocessing.managers.SyncManager.JoinableQueue": "queue.Queue",
    "multiprocessing.managers.SyncManager.Lock": "threading.Lock",
    "multiprocessing.managers.SyncManager.RLock": "threading.RLock",
    "multiprocessing.managers.SyncManager.Event": "threading.Event",
    "multiprocessing.managers.SyncManager.Semaphore": "threading.Semaphore",
    "multiprocessing.BoundedSemaphore": "multiprocessing.BoundedSemaphore",
    "multiprocessing.Barrier": "multiprocessing.Barrier",
    "socket.fromfd": "socket.socket",
    "socket.socket.dup": "socket.socket",
    "ssl.SSLContext.wrap_socket": "ssl.SSLSocket",
    "ssl.wrap_socket": "ssl.SSLSocket",
    "ssl.create_default_context": "ssl.SSLContext",
    "ssl.SSLContext": "ssl.SSLContext",
    "pathlib.Path.resolve": "pathlib.Path",
    "pathlib.Path.absolute": "pathlib.Path",
    "pathlib.Path.expanduser": "pathlib.Path",
    "pathlib.Path.with_name": "pathlib.Path",
    "pathlib.Path.with_suffix": "pathlib.Path",
    "pathlib.Path.with_stem": "pathlib.Path",
    "pathlib.Path.joinpath": "pathlib.Path",
    "pathlib.Path.relative_to": "pathlib.Path",
    "pathlib.Path.home": "pathlib.Path",
    "pathlib.Path.cwd": "pathlib.Path",
})

# What attribute access on a typed object gives: "<Type>.<attr>", or "<Type>.*" for
# any attribute (pymongo: ``client.db`` is a Database, ``db.users`` a Collection).
ATTRIBUTE_TYPES: Dict[str, str] = {
    "pymongo.MongoClient.*": "pymongo.database.Database",
    "pymongo.database.Database.*": "pymongo.collection.Collection",
    "pymongo.collection.Collection.*": "pymongo.collection.Collection",
    "pathlib.Path.parent": "pathlib.Path",
    "pathlib.PosixPath.parent": "pathlib.Path",
    "pathlib.WindowsPath.parent": "pathlib.Path",
}

# What subscripting a typed object gives (``client["db"]`` is a Database).
ITEM_TYPES: Dict[str, str] = {
    "pymongo.MongoClient": "pymongo.database.Database",
    "pymongo.database.Database": "pymongo.collection.Collection",
}

# What ``<Type> <op> x`` gives, keyed "<Type>.<op>" (``base / "name"`` is a Path).
OPERATOR_TYPES: Dict[str, str] = {
    "pathlib.Path./": "pathlib.Path",
    "pathlib.PosixPath./": "pathlib.Path",
    "pathlib.WindowsPath./": "pathlib.Path",
    "pathlib.PurePath./": "pathlib.PurePath",
}

# Appended for CCY3 (threads): thread-local storage is not shared state; thread objects.
RETURN_TYPES.update({
    "threading.local": "threading.local",
    "_threading_local.local": "threading.local",
    "threading.Thread.__init__": "threading.Thread",
    "multiprocessing.dummy.Process": "threading.Thread",
    "multiprocessing.JoinableQueue": "multiprocessing.JoinableQueue",
    "asyncio.Queue": "asyncio.Queue",
})

# Appended for CCY4/CCY5/CCY7 (backpressure, timeouts, resources).
RETURN_TYPES.update({
    "anyio.create_task_group": "anyio.abc.TaskGroup",
    "trio.open_nursery": "trio.Nursery",
    "anyio.Semaphore": "anyio.Semaphore",
    "anyio.CapacityLimiter": "anyio.CapacityLimiter",
    "trio.Semaphore": "trio.Semaphore",
    "trio.CapacityLimiter": "trio.CapacityLimiter",
    "aiolimiter.AsyncLimiter": "aiolimiter.AsyncLimiter",
    "httpx.Timeout": "httpx.Timeout",
    "urllib.request.OpenerDirector": "urllib.request.OpenerDirector",
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
    "asyncio.SelectorEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.ProactorEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.DefaultEventLoopPolicy.new_event_loop": "asyncio.AbstractEventLoop",
    "requests.Session.request": "requests.Response",
    "requests.Session.post": "requests.Response",
    "requests.Session.put": "requests.Response",
    "requests.Session.patch": "requests.Response",
    "requests.Session.delete": "requests.Response",
    "requests.Session.head": "requests.Response",
    "requests.request": "requests.Response",
    "requests.put": "requests.Response",
    "requests.patch": "requests.Response",
    "requests.delete": "requests.Response",
    "requests.head": "requests.Response",
})

# What `a, b = call()` binds, item by item (None: unknown), keyed by the callee.
UNPACKED_TYPES: Dict[str, Tuple[Optional[str], ...]] = {
    "socket.socket.accept": ("socket.socket", None),
    "socket.socketpair": ("socket.socket", "socket.socket"),
    "asyncio.open_connection": ("asyncio.StreamReader", "asyncio.StreamWriter"),
    "asyncio.open_unix_connection": ("asyncio.StreamReader", "asyncio.StreamWriter"),
}
