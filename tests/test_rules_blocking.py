"""CCY2 (blocking the event loop): rule examples, table matching, CCY209 patterns, CCY201 fix."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import libcst as cst
import pytest

from concurlint.apis import blocking as apis
from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.findings import Finding
from concurlint.rules import blocking
from concurlint.runner import run
from concurlint.source import decode_source

RULES = blocking.RULES


def findings(text: str, select: Sequence[str] = ("CCY2",), **options: Any) -> List[Finding]:
    overrides: Dict[str, Any] = {"select": list(select), **options}
    settings = load_settings(isolated=True, overrides=overrides)
    result = check_source(decode_source(text.encode(), "example.py"), settings, keep_module=True)
    assert not result.tracebacks, result.tracebacks
    return result.findings


def codes(text: str, **options: Any) -> List[Tuple[int, str]]:
    return [(f.line, f.code) for f in findings(text, **options)]


# --------------------------------------------------------------------------- rule metadata
def test_family_is_complete() -> None:
    assert [r.code for r in RULES] == [f"CCY20{i}" for i in range(1, 10)] + ["CCY210"]
    assert len({r.name for r in RULES}) == 10


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docs_are_bilingual(rule: Any) -> None:
    for text in (rule.summary, rule.what, rule.why, rule.fix_safety):
        assert text.en and text.zh, rule.code
    assert rule.example and rule.use_instead
    assert rule.valid


# --------------------------------------------------------------------------- table matching
@pytest.mark.parametrize("qualname,code", [
    ("time.sleep", "CCY201"),
    ("requests.get", "CCY202"),
    ("requests.Session.send", "CCY202"),
    ("httpx.Client.stream", "CCY202"),
    ("urllib3.HTTPSConnectionPool.request", "CCY202"),  # through TYPE_ALIASES
    ("http.client.HTTPSConnection.getresponse", "CCY202"),
    ("subprocess.check_output", "CCY203"),
    ("builtins.open", "CCY204"),
    ("pathlib.PosixPath.read_text", "CCY204"),
    ("threading.RLock.acquire", "CCY205"),
    ("queue.PriorityQueue.get", "CCY205"),
    ("multiprocessing.JoinableQueue.join", "CCY205"),
    ("builtins.input", "CCY206"),
    ("smtplib.SMTP_SSL.login", "CCY207"),
    ("sqlite3.Cursor.fetchmany", "CCY208"),  # every method of a sqlite3 cursor
    ("redis.StrictRedis.hgetall", "CCY208"),
    ("pymongo.collection.Collection.find_one", "CCY208"),
])
def test_lookup_finds_blocking_apis(qualname: str, code: str) -> None:
    entry = apis.lookup(qualname)
    assert entry is not None and entry[0] == code


@pytest.mark.parametrize("qualname", [
    "asyncio.sleep", "time.monotonic", "os.path.exists", "pathlib.Path.exists", "pathlib.Path.stat",
    "requests.Session", "http.client.HTTPConnection", "subprocess.Popen", "socket.gethostname",
    "queue.Queue.get_nowait", "queue.Queue.put_nowait", "threading.Event.is_set", "asyncio.Task.result",
    "redis.Redis.pipeline", "redis.Redis._private", "redis.asyncio.Redis.get", "httpx.AsyncClient.get",
    "aiofiles.open", "anyio.Path.read_text", "sqlite3", "open",
])
def test_lookup_ignores_non_blocking_apis(qualname: str) -> None:
    assert apis.lookup(qualname) is None


def test_every_table_entry_names_a_ccy2_code_and_a_suggestion() -> None:
    for table in (apis.BLOCKING_CALLS, apis.ANY_METHOD_OF, apis.BLOCKING_WITH):
        for name, (code, suggestion) in table.items():
            assert code.startswith("CCY20") and code != "CCY209", name
            for backend in (None, "asyncio", "trio", "anyio"):
                text = suggestion.text(backend)
                assert text.en and text.zh and "{" not in text.en + text.zh, (name, backend)
    for name in apis.NON_BLOCKING_ARGUMENTS:
        assert apis.lookup(name) is not None, name
    for alias, target in apis.TYPE_ALIASES.items():
        assert alias != target


# --------------------------------------------------------------------------- CCY209 patterns
@pytest.mark.parametrize("entries,name,expected", [
    (("pkg.func",), "pkg.func", True),
    (("pkg.func",), "pkg.func2", False),
    (("pkg.func",), "pkg.func.inner", False),
    (("pkg.func",), "pkg", False),
    (("pkg.*",), "pkg.a", True),
    (("pkg.*",), "pkg.a.b.c", True),
    (("pkg.*",), "pkg", False),
    (("pkg.*",), "pkg_async.a", False),
    (("pkg.*",), "pkgx.a", False),
    (("pkg.*",), "other.pkg.a", False),
    (("pkg.sub.*",), "pkg.sub.f", True),
    (("pkg.sub.*",), "pkg.subway.f", False),
    (("pkg.*",), "<module>.pkg", False),
    (("pkg.*",), None, False),
    ((), "pkg.a", False),
])
def test_blocking_patterns(entries: Tuple[str, ...], name: Optional[str], expected: bool) -> None:
    assert apis.BlockingPatterns(entries).matches(name) is expected


def test_blocking_patterns_truthiness() -> None:
    assert not apis.BlockingPatterns(())
    assert apis.BlockingPatterns(("a.*",))


CONFIGURED = """\
import legacy_sdk
import legacy_sdk_async
import billing
from billing import charge_card as pay

client = legacy_sdk.Client()


async def handler(order):
    legacy_sdk.fetch(order)
    legacy_sdk.deep.module.call()
    legacy_sdk_async.fetch(order)
    billing.charge_card(order)
    pay(order)
    billing.refund(order)
    client.push(order)
    await legacy_sdk_async.fetch(order)


def sync(order):
    legacy_sdk.fetch(order)
    billing.charge_card(order)
"""


def test_configured_blocking_calls() -> None:
    found = codes(CONFIGURED, **{"blocking-calls": ["legacy_sdk.*", "billing.charge_card"]})
    assert found == [(10, "CCY209"), (11, "CCY209"), (13, "CCY209"), (14, "CCY209"), (16, "CCY209")]


def test_configured_blocking_calls_without_configuration() -> None:
    assert codes(CONFIGURED) == []


def test_builtin_rule_wins_over_configuration() -> None:
    text = "import requests\n\nasync def f(u):\n    return requests.get(u)\n"
    assert codes(text, **{"blocking-calls": ["requests.*"]}) == [(4, "CCY202")]


# --------------------------------------------------------------------------- argument subtleties
@pytest.mark.parametrize("call,blocks", [
    ("q.get()", True),
    ("q.get(True)", True),
    ("q.get(False)", False),
    ("q.get(block=False)", False),
    ("q.get(0)", False),
    ("q.get(timeout=0)", False),
    ("q.get(True, 5)", True),
    ("q.get(*args)", True),
    ("q.put(1)", True),
    ("q.put(1, False)", False),
    ("q.put(1, block=False)", False),
    ("q.put(False)", True),  # the item, not the flag
    ("q.join()", True),
    ("q.get_nowait()", False),
    ("q.qsize()", False),
    ("lock.acquire()", True),
    ("lock.acquire(False)", False),
    ("lock.acquire(blocking=False)", False),
    ("lock.acquire(timeout=0)", False),
    ("lock.acquire(timeout=1)", True),
    ("ev.wait()", True),
    ("ev.wait(0)", False),
    ("ev.wait(0.0)", False),
    ("ev.wait(timeout=0)", False),
    ("ev.wait(0.5)", True),
    ("ev.is_set()", False),
    ("t.join()", True),
    ("t.join(timeout=0)", False),
])
def test_non_blocking_arguments(call: str, blocks: bool) -> None:
    text = (
        "import queue, threading\n"
        "q = queue.Queue(8)\nlock = threading.Lock()\nev = threading.Event()\n"
        "t = threading.Thread(target=print)\n\n"
        f"async def f(*args):\n    return {call}\n"
    )
    assert bool(codes(text)) is blocks


@pytest.mark.parametrize("call,blocks", [
    ("smtplib.SMTP()", False),
    ("smtplib.SMTP('mail')", True),
    ("smtplib.SMTP(host='mail')", True),
    ("smtplib.SMTP('')", False),
    ("smtplib.SMTP(port=25)", False),
    ("ftplib.FTP()", False),
    ("ftplib.FTP('ftp.example.com')", True),
    ("os.waitpid(pid, os.WNOHANG)", False),
    ("os.waitpid(pid, os.WNOHANG | os.WUNTRACED)", False),
    ("os.waitpid(pid, 0)", True),
    ("os.spawnv(os.P_NOWAIT, 'x', [])", False),
    ("os.spawnv(os.P_WAIT, 'x', [])", True),
    ("subprocess.Popen(['ls'])", False),
    ("subprocess.Popen(['ls']).wait()", True),
    ("subprocess.Popen(['ls']).wait(timeout=0)", False),
])
def test_constructor_and_mode_arguments(call: str, blocks: bool) -> None:
    text = f"import ftplib, os, smtplib, subprocess\n\nasync def f(pid):\n    return {call}\n"
    assert bool(codes(text)) is blocks


def test_nonblocking_socket_is_not_flagged() -> None:
    text = (
        "import socket\n\nasync def f(addr):\n    s = socket.socket()\n    s.setblocking(False)\n"
        "    s.connect_ex(addr)\n    t = socket.socket()\n    t.connect(addr)\n"
    )
    assert codes(text) == [(8, "CCY207")]


# --------------------------------------------------------------------------- scoping and tracking
def test_only_inside_async_functions() -> None:
    text = (
        "import time\n\ntime.sleep(1)\n\nclass C:\n    time.sleep(1)\n\n"
        "async def f():\n    class D:\n        time.sleep(1)\n"
        "    def g():\n        time.sleep(1)\n    h = lambda: time.sleep(1)\n"
        "    async def inner():\n        time.sleep(1)\n"
    )
    assert codes(text) == [(15, "CCY201")]


def test_defaults_and_decorators_of_nested_defs_run_in_the_coroutine() -> None:
    text = "import time\n\nasync def f():\n    def g(x=time.sleep(1)):\n        return x\n    return g\n"
    assert codes(text) == [(4, "CCY201")]


def test_self_attribute_tracked_across_methods() -> None:
    text = (
        "import sqlite3, threading\n\nclass Repo:\n    def __init__(self):\n"
        "        self.conn = sqlite3.connect('x')\n        self.lock = threading.Lock()\n\n"
        "    async def get(self):\n        with self.lock:\n"
        "            return self.conn.execute('select 1')\n"
    )
    assert codes(text) == [(9, "CCY205"), (10, "CCY208")]


def test_async_with_thread_lock_is_not_ccy205() -> None:
    text = "import threading\n\nlock = threading.Lock()\n\nasync def f():\n    async with lock:\n        pass\n"
    assert codes(text) == []


def test_file_methods_after_open_are_not_reported_again() -> None:
    text = (
        "async def f(p):\n    fh = open(p)\n    data = fh.read()\n    fh.write(data)\n    fh.close()\n"
        "    with open(p) as g:\n        g.readlines()\n"
    )
    assert codes(text) == [(2, "CCY204"), (6, "CCY204")]


def test_mongo_attribute_and_subscript_access() -> None:
    text = (
        "import pymongo\n\nclient = pymongo.MongoClient()\n\nasync def f():\n"
        "    db = client['app']\n    users = db.users\n    users.find_one({})\n"
        "    client.app.orders.insert_one({})\n    db.command('ping')\n    return db.name\n"
    )
    assert codes(text) == [(8, "CCY208"), (9, "CCY208"), (10, "CCY208")]


def test_path_division_and_factories() -> None:
    text = (
        "from pathlib import Path\n\nasync def f(name):\n    base = Path.home() / 'data'\n"
        "    (base / name).read_bytes()\n    Path(__file__).parent.joinpath(name).open()\n"
        "    return (base / name).exists()\n"
    )
    assert codes(text) == [(5, "CCY204"), (6, "CCY204")]


def test_generic_annotation_types_the_parameter() -> None:
    text = "import queue\n\nasync def f(q: queue.Queue[int], r: 'queue.Queue[int]'):\n    q.get()\n    r.get()\n"
    assert codes(text) == [(4, "CCY205")]


def test_message_names_the_api_and_the_remedy() -> None:
    (finding,) = findings("import requests\n\nasync def f(u):\n    requests.get(u)\n")
    assert finding.message.en == (
        "'requests.get()' blocks the event loop; use an async client (httpx.AsyncClient, aiohttp) "
        "or 'await asyncio.to_thread(...)'")
    assert "requests.get()" in finding.message.zh
    assert (finding.start.line, finding.start.column, finding.end.column) == (4, 5, 20)


def test_no_crash_on_odd_code() -> None:
    text = (
        "import time\n\nasync def f(x):\n    (lambda: 1)()\n    x()()\n    x[0]()\n"
        "    getattr(time, 'sleep')(1)\n    time.sleep\n    await time.sleep(1)\n"
        "    a = b = time\n    a.sleep(1)\n"
    )
    assert codes(text) == [(9, "CCY201"), (11, "CCY201")]  # a = time: an alias of the module


# --------------------------------------------------------------------------- CCY201 fix
def apply_fix(text: str, safe: bool = True) -> List[Optional[str]]:
    """Each CCY201 fix applied alone, both by node replacement and by its text edits;
    every fix offered is ``safe`` (the module's library is known) or not."""
    settings = load_settings(isolated=True, overrides={"select": ["CCY201"]})
    result = check_source(decode_source(text.encode(), "example.py"), settings, keep_module=True)
    module = result.module
    assert module is not None
    outputs: List[Optional[str]] = []
    for finding in result.findings:
        fix = finding.fix
        if fix is None:
            outputs.append(None)
            continue
        assert fix.safe is safe
        mapping = {id(old): new for old, new in fix.replacements}

        class Apply(cst.CSTTransformer):
            def on_leave(self, original: Any, updated: Any) -> Any:
                return mapping.get(id(original), updated)

        by_nodes = module.visit(Apply()).code
        lines = text.splitlines(keepends=True)

        def offset(line: int, column: int) -> int:
            return sum(len(x) for x in lines[: line - 1]) + column - 1

        by_edits = text
        for edit in sorted(fix.edits, key=lambda e: (e.start.line, e.start.column), reverse=True):
            start = offset(edit.start.line, edit.start.column)
            end = offset(edit.end.line, edit.end.column)
            by_edits = by_edits[:start] + edit.content + by_edits[end:]
        assert by_nodes == by_edits
        cst.parse_module(by_nodes)
        outputs.append(by_nodes)
    return outputs


def test_fix_uses_the_imported_asyncio_name() -> None:
    text = "import asyncio as aio\nimport time\n\nasync def f():\n    time.sleep(0.5)\n"
    assert apply_fix(text) == ["import asyncio as aio\nimport time\n\nasync def f():\n    await aio.sleep(0.5)\n"]


def test_fix_adds_an_asyncio_import_line_after_docstring_and_future() -> None:
    text = (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport time  # clock\nimport os\n\n'
        "async def f(n):\n    time.sleep(n)\n"
    )
    (fixed,) = apply_fix(text, safe=False)  # no async library in sight: asyncio is a guess
    assert fixed == (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport asyncio\nimport time  # clock\nimport os\n\n'
        "async def f(n):\n    await asyncio.sleep(n)\n"
    )
    # the fixed file is clean and the fix is idempotent
    assert codes(fixed) == []


def test_fix_adds_asyncio_above_a_from_import() -> None:
    (fixed,) = apply_fix("# poller\nfrom time import sleep\nfrom asyncio import Event\n\nasync def f():\n    sleep(1)\n")
    assert fixed == ("# poller\nimport asyncio\nfrom time import sleep\nfrom asyncio import Event\n\n"
                     "async def f():\n    await asyncio.sleep(1)\n")


@pytest.mark.parametrize("imports,expected,safe", [
    ("import trio\n", "import trio\n", True),
    ("import anyio\n", "import anyio\n", True),
    ("import anyio, trio\n", "import anyio, trio\n", True),
    ("import anyio, asyncio\n", "import anyio, asyncio\n", True),  # anyio runs on asyncio too
    ("import trio as t\n", "import trio as t\n", True),
    ("import trio.lowlevel\n", "import trio.lowlevel\n", True),
    ("import anyio.abc\n", "import anyio.abc\n", True),
    ("from trio import run\n", "import trio\nfrom trio import run\n", True),
    ("from anyio import create_task_group\n", "import anyio\nfrom anyio import create_task_group\n", True),
    ("from anyio.abc import TaskGroup\n", "import anyio\nfrom anyio.abc import TaskGroup\n", True),
    # asyncio and trio together: the library is unknown, asyncio is a guess
    ("import trio, asyncio\n", "import trio, asyncio\n", False),
    ("import os\n", "import asyncio\nimport os\n", False),
])
def test_fix_matches_the_modules_async_library(imports: str, expected: str, safe: bool) -> None:
    text = imports + "from time import sleep\n\nasync def f():\n    sleep(1)\n"
    (fixed,) = apply_fix(text, safe=safe)
    library = "asyncio" if not safe else ("t" if " as t" in imports else imports.split()[1].split(".")[0].rstrip(","))
    assert fixed == expected + "from time import sleep\n\nasync def f():\n    await " + library + ".sleep(1)\n"


def test_fix_follows_the_package_library(tmp_path: Any) -> None:
    """A module that imports no async library gets its package's (``trio``) as a safe fix."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("import trio\n")
    (package / "jobs.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    settings = load_settings(isolated=True, overrides={"select": ["CCY201"]})
    (finding,) = run([str(package)], settings).findings
    assert "trio.sleep" in finding.message.en and finding.fix is not None and finding.fix.safe
    assert finding.fix.title.en == "Replace with 'await trio.sleep(...)' and import trio"


def test_fix_follows_the_async_backend_setting() -> None:
    text = "import time\n\nasync def f():\n    time.sleep(1)\n"
    (finding,) = findings(text, select=("CCY201",), **{"async-backend": "anyio"})
    assert finding.fix is not None and finding.fix.safe and "anyio.sleep" in finding.message.en


def test_fix_parenthesises_when_the_result_is_used() -> None:
    text = "import asyncio, time\n\nasync def f():\n    return time.sleep(1).real\n"
    (fixed,) = apply_fix(text)
    assert fixed is not None and "return (await asyncio.sleep(1)).real" in fixed


@pytest.mark.parametrize("text", [
    # already awaited
    "import asyncio, time\n\nasync def f():\n    await time.sleep(1)\n",
    # inside a generator expression
    "import asyncio, time\n\nasync def f():\n    return list(time.sleep(1) for _ in range(2))\n",
    # no top-level import statement to put 'import asyncio' next to
    "async def f():\n    import time\n    time.sleep(1)\n",
    # asyncio imported but shadowed here
    "import asyncio, time\n\nasync def f(asyncio):\n    time.sleep(1)\n",
    # the name asyncio is bound to something else
    "import time\nasyncio = None\nasyncio = object()\n\nasync def f():\n    time.sleep(1)\n",
])
def test_no_fix_when_it_cannot_be_made_safely(text: str) -> None:
    assert apply_fix(text) == [None]


def test_fix_in_list_comprehension() -> None:
    text = "import asyncio, time\n\nasync def f():\n    return [time.sleep(1) for _ in range(2)]\n"
    (fixed,) = apply_fix(text)
    assert fixed is not None and "[await asyncio.sleep(1) for _ in range(2)]" in fixed


def test_self_attribute_built_from_other_attributes_and_locals() -> None:
    text = (
        "import sqlite3\nfrom pymongo import MongoClient\n\nclass Repo:\n    def __init__(self, path):\n"
        "        conn = sqlite3.connect(path)\n        self.conn = conn\n        self.cur = self.conn.cursor()\n"
        "        self.db = MongoClient()['app']\n        self.users = self.db.users\n\n"
        "    async def get(self):\n        self.cur.execute('x')\n        self.users.find_one({})\n"
        "        return self.conn.total_changes\n"
    )
    assert codes(text) == [(13, "CCY208"), (14, "CCY208")]


def test_loop_over_a_list_of_threads_or_futures() -> None:
    text = (
        "import threading\nfrom concurrent.futures import ThreadPoolExecutor, as_completed\n\n"
        "async def main(urls):\n"
        "    threads = [threading.Thread(target=print, args=(i,)) for i in range(3)]\n"
        "    for t in threads:\n        t.start()\n    for t in threads:\n        t.join()\n"
        "    with ThreadPoolExecutor() as ex:\n        futs = [ex.submit(print, u) for u in urls]\n"
        "        for f in futs:\n            f.result()\n"
        "        for f in as_completed(futs):\n            f.result()\n"
        "    for name in urls:\n        name.join()\n"
    )
    assert codes(text) == [(9, "CCY205"), (13, "CCY205"), (14, "CCY205")]


def test_sockets_unpacked_from_accept() -> None:
    text = (
        "import socket\n\nasync def handle(port):\n    srv = socket.socket()\n    srv.listen()\n"
        "    conn, addr = srv.accept()\n    data = conn.recv(1024)\n    a, *rest = srv.accept()\n"
        "    a.recv(1)\n    x, y = 1, 2\n    return x.recv(1)\n"
    )
    assert codes(text) == [(6, "CCY207"), (7, "CCY207"), (8, "CCY207")]


def test_future_result_guarded_by_done_is_not_blocking() -> None:
    text = (
        "from concurrent.futures import ThreadPoolExecutor\n\nex = ThreadPoolExecutor()\n\n"
        "async def f():\n    fut = ex.submit(print)\n    if fut.done():\n        return fut.result()\n"
        "    if ready and fut.done():\n        return fut.exception()\n"
        "    if other.done():\n        return fut.result()\n"
    )
    assert codes(text) == [(12, "CCY205")]


def test_future_result_in_the_else_branch_of_done_still_blocks() -> None:
    text = (
        "from concurrent.futures import ThreadPoolExecutor\n\nex = ThreadPoolExecutor()\n\n"
        "async def f():\n    fut = ex.submit(print)\n    if fut.done():\n        pass\n    else:\n"
        "        fut.result()\n    return fut.result() if fut.done() else None\n"
    )
    assert codes(text) == [(10, "CCY205")]


def test_methods_inherited_from_a_blocking_base_class() -> None:
    text = (
        "import threading, queue\n\nclass Worker(threading.Thread):\n    def run(self):\n        pass\n\n"
        "class Inbox(queue.Queue):\n    def get(self, block=True, timeout=None):\n        return None\n\n"
        "async def main():\n    w = Worker()\n    w.start()\n    w.join()\n    box = Inbox(5)\n"
        "    box.get()\n    box.put(1)\n"
    )
    assert codes(text) == [(14, "CCY205"), (17, "CCY205")]


def test_fix_with_asyncio_imported_as_a_submodule_or_locally() -> None:
    text = "import asyncio.subprocess\nimport time\n\nasync def f():\n    time.sleep(1)\n"
    assert apply_fix(text) == [text.replace("time.sleep(1)", "await asyncio.sleep(1)")]
    # imported inside the function (maybe after the call): no fix rather than a guess
    text = "import time\n\nasync def f():\n    time.sleep(1)\n    import asyncio\n"
    assert apply_fix(text) == [None]


# --------------------------------------------------------------------------- revision 2
BACKENDS = Path(__file__).parent / "fixtures" / "blocking" / "backends"


def test_messages_name_the_modules_library_in_every_import_form() -> None:
    settings = load_settings(isolated=True, overrides={"select": ["CCY2"]})
    result = run([str(BACKENDS)], settings)
    by_file: Dict[str, List[Finding]] = {}
    for finding in result.findings:
        by_file.setdefault(Path(finding.path).name, []).append(finding)
    assert len(by_file) == len(list(BACKENDS.rglob("*.py"))) - 2  # not __init__ nor engine
    for name, found in by_file.items():
        library = "anyio" if name.startswith("anyio") else "trio"
        assert len(found) >= 2, name
        for finding in found:
            for text in (finding.message.en, finding.message.zh):
                assert "asyncio" not in text and "aiofiles" not in text, (name, text)
            if finding.code != "CCY207":  # trio.socket / anyio.getaddrinfo name it too
                assert f"{library}." in finding.message.en, (name, finding.message.en)


@pytest.mark.parametrize("call,backend,expected", [
    ("shutil.rmtree(p)", None, "run it in a worker thread with 'await asyncio.to_thread(...)'"),
    ("shutil.rmtree(p)", "trio", "run it in a worker thread with 'await trio.to_thread.run_sync(...)'"),
    ("shutil.copytree(p, p)", "anyio", "'await anyio.to_thread.run_sync(...)'"),
    ("shutil.move(p, p)", "asyncio", "'await asyncio.to_thread(...)'"),
    ("open(p)", "asyncio", "use aiofiles or 'await asyncio.to_thread(...)'"),
    ("open(p)", "trio", "use trio.Path / trio.open_file"),
    ("open(p)", "anyio", "use anyio.Path / anyio.open_file"),
    ("subprocess.run(p)", "trio", "use 'await trio.run_process(...)'"),
    ("subprocess.run(p)", None, "use 'await asyncio.create_subprocess_exec(...)'"),
    ("t.join()", "trio", "wait with 'await trio.to_thread.run_sync(t.join)'"),
    ("t.join()", "asyncio", "wait with 'await asyncio.to_thread(t.join)'"),
    ("requests.get(p, timeout=1)", "anyio", "use an async client (httpx.AsyncClient) or "
                                            "'await anyio.to_thread.run_sync(...)'"),
    ("requests.get(p, timeout=1)", "asyncio", "(httpx.AsyncClient, aiohttp)"),
    ("sqlite3.connect(p)", "trio", "run it in a worker thread with 'await trio.to_thread.run_sync(...)'"),
    ("socket.getaddrinfo(p, 80)", "anyio", "use 'await anyio.getaddrinfo(...)'"),
    ("lock.acquire()", "asyncio", "use asyncio.Lock instead only if no thread shares it"),
    ("lock.acquire()", "trio", "do the work that needs the lock in a worker thread "
                               "('await trio.to_thread.run_sync(...)'); use trio.Lock instead"),
])
def test_advice_names_an_api_of_the_library(call: str, backend: Optional[str], expected: str) -> None:
    text = (
        "import shutil, socket, sqlite3, subprocess, threading\nimport requests\n\n"
        "lock = threading.Lock()\nt = threading.Thread(target=print)\n\n"
        f"async def f(p):\n    {call}\n"
    )
    options = {"async-backend": backend} if backend else {}
    (finding,) = findings(text, **options)
    assert expected in finding.message.en
    assert finding.message.zh and "{" not in finding.message.zh


def test_thread_lock_held_across_await_is_ccy210_only() -> None:
    text = (
        "import threading\n\nlock = threading.Lock()\n\nasync def f(g, path):\n"
        "    with lock:\n        data = open(path).read()\n        await g(data)\n"
    )
    found = findings(text)
    assert [(f.line, f.code) for f in found] == [(6, "CCY210"), (7, "CCY204")]
    finding = found[0]
    assert (finding.start.line, finding.start.column, finding.end.line) == (6, 5, 8)
    assert finding.message.en.startswith("'with lock' keeps a thread lock ('threading.Lock') held across an await")
    assert "asyncio.Lock if no thread shares it" in finding.message.en


def test_ccy210_advice_follows_the_library() -> None:
    text = "import threading, trio\n\nlock = threading.Lock()\n\nasync def f():\n    with lock:\n        await trio.sleep(0)\n"
    (finding,) = findings(text)
    assert finding.code == "CCY210" and "trio.Lock" in finding.message.en and "asyncio" not in finding.message.en


def test_with_thread_lock_around_a_blocking_call_is_ccy205() -> None:
    text = "import threading, time\n\nlock = threading.RLock()\n\nasync def f():\n    with lock:\n        time.sleep(1)\n"
    found = findings(text)
    assert [(f.line, f.code) for f in found] == [(6, "CCY205"), (7, "CCY201")]
    assert "around the blocking call 'time.sleep()'" in found[0].message.en


@pytest.mark.parametrize("call,blocks", [
    ("socket.getaddrinfo(host, 80)", True),
    ("socket.getaddrinfo(host, 80, flags=socket.AI_NUMERICHOST)", False),
    ("socket.getaddrinfo(host, 80, 0, 0, 0, socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)", False),
    ("socket.getaddrinfo(host, 80, flags=AI_NUMERICHOST)", False),
    ("socket.getaddrinfo(host, 80, flags=flags | NUMERIC)", False),
    ("socket.getaddrinfo(host, 80, flags=socket.AI_PASSIVE)", True),
    ("socket.getaddrinfo(host, 80, flags=OTHER)", True),
    ("socket.getaddrinfo('127.0.0.1', 80)", False),
    ("socket.getaddrinfo('::1', 80)", False),
    ("socket.getaddrinfo(None, 80, flags=socket.AI_PASSIVE)", False),
    ("socket.getaddrinfo('localhost', 80)", True),
    ("socket.gethostbyname('10.0.0.1')", False),
    ("socket.gethostbyname(host)", True),
    ("socket.getnameinfo(addr, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)", False),
    ("socket.getnameinfo(addr, 0)", True),
])
def test_numeric_lookups_do_no_dns(call: str, blocks: bool) -> None:
    text = (
        "import socket\nfrom socket import AI_NUMERICHOST\n\n"
        "NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV\nOTHER = socket.AI_CANONNAME\n\n"
        f"async def f(host, addr, flags):\n    return {call}\n"
    )
    assert bool(codes(text)) is blocks


@pytest.mark.parametrize("made,blocks", [
    ("queue.Queue()", False),
    ("queue.Queue(0)", False),
    ("queue.Queue(maxsize=0)", False),
    ("queue.Queue(-1)", False),
    ("queue.SimpleQueue()", False),
    ("multiprocessing.Queue()", False),
    ("queue.Queue(10)", True),
    ("queue.Queue(maxsize=n)", True),
    ("queue.Queue(*args)", True),
    ("multiprocessing.SimpleQueue()", True),
])
def test_put_only_waits_on_a_bounded_queue(made: str, blocks: bool) -> None:
    text = (
        "import multiprocessing, queue\n\nclass Box:\n"
        f"    def __init__(self, n, *args):\n        self.q = {made}\n\n"
        "    async def f(self, item):\n        self.q.put(item)\n"
    )
    assert bool(codes(text)) is blocks


def test_nonblocking_socket_at_module_level_and_per_function() -> None:
    text = (
        "import socket\n\nshared = socket.socket()\nshared.setblocking(False)\n\n"
        "async def f(addr):\n    shared.send(b'x')\n    s = socket.socket()\n    s.setblocking(False)\n"
        "    s.connect_ex(addr)\n\nasync def g(addr):\n    s = socket.socket()\n    s.connect(addr)\n"
    )
    assert codes(text) == [(14, "CCY207")]
