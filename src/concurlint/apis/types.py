"""What calls return: the table behind "what was this name bound to".

Keys are canonical qualified callee names; a method is ``<Type>.<method>``.
Values are the qualified type of the result. Classes map to themselves so that
``x = threading.Lock()`` gives ``x`` the type ``threading.Lock``.
"""
from __future__ import annotations

from typing import Dict, Iterable


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
}
