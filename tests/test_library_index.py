"""Coroutine knowledge read from the installed libraries (semantics/library.py), as a user
sees it through the CLI and flake8: the real stubs/sources of asyncpg, redis, motor,
SQLAlchemy, httpx, aiobotocore and aiosqlite installed in the test environment (the `test`
extra), look-alike sync clients, inherited and annotated methods, and a configured
`python-path` with a stub package (read, never imported)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

from test_cli import run_cli

for _library in ("asyncpg", "redis", "motor", "sqlalchemy", "httpx", "aiobotocore", "aiosqlite"):
    __import__(_library)  # a missing test dependency fails loudly, never skips

_MARK = re.compile(r"#\s*(CCY1\d\d)\b")


def expected(source: str) -> Set[Tuple[int, str]]:
    """Lines marked ``# CCY101`` (what a reviewer expects reported)."""
    return {(number, match.group(1)) for number, line in enumerate(source.splitlines(), 1)
            for match in [_MARK.search(line)] if match}


def reported(directory: Path, *args: str, env: Optional[Dict[str, str]] = None) -> Set[Tuple[str, int, str]]:
    result = run_cli("check", "--select", "CCY101,CCY102", "--output-format", "json", *args, ".",
                     cwd=directory, env=env)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return {(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]}


def check_one(tmp_path: Path, source: str, *args: str, env: Optional[Dict[str, str]] = None) -> None:
    source = textwrap.dedent(source)
    (tmp_path / "app.py").write_text(source)
    found = {(line, code) for path, line, code in reported(tmp_path, "--no-cache", *args, env=env)}
    assert found == expected(source)


# --------------------------------------------------------------------------- real libraries
def test_asyncpg_connection_and_pool(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        import asyncpg

        async def main(dsn):
            conn = await asyncpg.connect(dsn)
            conn.execute("select 1")                  # CCY101
            await conn.execute("select 1")
            pool = await asyncpg.create_pool(dsn)
            async with pool.acquire() as held:
                held.fetch("select 1")                # CCY101
                rows = await held.fetch("select 1")
            return rows

        async def typed(conn: asyncpg.Connection):
            conn.close()                              # CCY101
    """)


def test_redis_asyncio_versus_sync_redis_and_pipelines(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        import redis
        import redis.asyncio
        from redis.asyncio import Redis as AsyncRedis

        async def main():
            r = redis.asyncio.Redis()
            r.set("k", "v")                           # CCY101
            await r.set("k", "v")
            AsyncRedis.from_url("redis://").get("k")  # CCY101
            pipe = r.pipeline()
            pipe.set("k", "v")                        # buffered: the pipeline's commands are sync
            await pipe.execute()
            sync = redis.Redis()
            sync.set("k", "v")                        # the sync client: not a coroutine
    """)


def test_motor_collections_by_item_and_attribute(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection

        async def main(url):
            client = AsyncIOMotorClient(url)
            client["shop"]["orders"].find_one({})      # CCY101
            client.shop.orders.insert_one({"a": 1})    # CCY101
            cursor = client.shop.orders.find({})       # a cursor, not a coroutine
            return [d async for d in cursor]

        async def typed(orders: AsyncIOMotorCollection):
            orders.delete_many({})                     # CCY101
    """)


def test_sqlalchemy_async_session_and_engine_versus_sync_session(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
        from sqlalchemy.orm import Session

        class Repo:
            def __init__(self, session):
                self.db: AsyncSession = session

            async def save(self, item):
                self.db.add(item)                      # sync in AsyncSession too
                self.db.commit()                       # CCY101

        async def main(url, sync: Session):
            engine = create_async_engine(url)
            async with engine.connect() as conn:
                conn.execute("select 1")               # CCY101
            engine.dispose()                           # CCY101
            sync.commit()                              # the sync Session
    """)


def test_httpx_async_client_fields_and_sync_client(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        from dataclasses import dataclass

        import httpx

        @dataclass
        class Api:
            client: httpx.AsyncClient
            sync: httpx.Client

            async def ping(self):
                self.client.get("/health")            # CCY101
                self.sync.get("/health")              # the sync client
                response = await self.client.get("/")
                return response
    """)


def test_aiobotocore_session_and_aiosqlite(tmp_path: Path) -> None:
    check_one(tmp_path, """\
        import aiosqlite
        from aiobotocore.session import get_session

        async def main():
            session = get_session()
            session.get_credentials()                  # CCY101
            db = await aiosqlite.connect("app.db")
            db.commit()                                # CCY101
            # execute() is an `async def` under aiosqlite's own @contextmanager, which
            # returns an awaitable context manager, not a coroutine: not judged
            db.execute("select 1")
            await db.close()
    """)


# --------------------------------------------------------------------------- inheritance, annotations
def test_inherited_methods_from_this_module_the_project_and_a_library(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text("class Service:\n    async def refresh(self):\n        ...\n\n"
                                     "    def name(self):\n        return 'x'\n")
    source = textwrap.dedent("""\
        from typing import Self

        import redis.asyncio

        from .base import Service


        class Base:
            async def emit(self, x): ...


        class Child(Base):
            async def fire(self):
                self.emit(1)                           # CCY101


        class Shadowed(Base):
            emit = print

            async def fire(self):
                self.emit(1)


        class Worker(Service):
            async def run(self):
                self.refresh()                         # CCY101
                self.name()


        class Cache(redis.asyncio.Redis):
            async def warm(self):
                self.set("a", 1)                       # CCY101


        class Query:
            def where(self) -> Self:
                return self

            async def fetch(self):
                ...


        async def main(child: Child):
            child.emit(2)                              # CCY101
            Query().where().fetch()                    # CCY101
    """)
    (package / "app.py").write_text(source)
    found = {(line, code) for path, line, code in reported(tmp_path, "--no-cache") if path.endswith("app.py")}
    assert found == expected(source)


# --------------------------------------------------------------------------- configured python-path
FAKE_STUB = "class Client:\n    async def fetch(self) -> bytes: ...\n    def close(self) -> None: ...\n\n" \
            "def connect() -> Client: ...\n"
FAKE_SOURCE = "raise SystemExit('imported!')\n"  # importing it would end the run


def fake_site(root: Path, version: str) -> Path:
    site = root / "site"
    (site / "fakedb-stubs").mkdir(parents=True)
    (site / "fakedb-stubs" / "__init__.pyi").write_text(FAKE_STUB)
    (site / "fakedb").mkdir()
    (site / "fakedb" / "__init__.py").write_text(FAKE_SOURCE)
    (site / f"types_fakedb-{version}.dist-info").mkdir()
    return site


APP = textwrap.dedent("""\
    import fakedb

    async def main():
        client = fakedb.connect()
        client.fetch()                                 # CCY101
        client.close()
""")


def project_using(tmp_path: Path, version: str) -> Tuple[Path, Path]:
    """A project whose pyproject.toml points `python-path` at a site-packages outside it."""
    site = fake_site(tmp_path / "env", version)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.concurlint]\npython-path = ["../env/site"]\n')
    (project / "app.py").write_text(APP)
    return project, site


def test_configured_python_path_reads_stub_packages_and_never_imports(tmp_path: Path) -> None:
    project, _ = project_using(tmp_path, "1.0")
    found = {(line, code) for _, line, code in reported(project, "--no-cache")}
    assert found == expected(APP)


def test_without_the_library_installed_nothing_is_guessed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    assert reported(tmp_path, "--no-cache") == set()


def test_the_result_cache_follows_the_environment(tmp_path: Path) -> None:
    project, site = project_using(tmp_path, "1.0")
    assert {line for _, line, _ in reported(project)} == {5}
    assert {line for _, line, _ in reported(project)} == {5}  # warm: from the cache
    # an upgrade where fetch() became a plain method: cached findings must not survive it
    (site / "fakedb-stubs" / "__init__.pyi").write_text(FAKE_STUB.replace("async def fetch", "def fetch"))
    (site / "types_fakedb-1.0.dist-info").rename(site / "types_fakedb-2.0.dist-info")
    assert reported(project) == set()


def test_names_that_are_no_module_do_not_use_up_the_bound_on_loaded_modules(tmp_path: Path) -> None:
    """Every prefix of a name asked about is tried as a module; hundreds of such misses in
    one file (or one worker late in a run) must not leave a real module unread."""
    project, site = project_using(tmp_path, "1.0")
    (site / "fakedb-stubs" / "late.pyi").write_text("async def fetch() -> bytes: ...\n")
    calls = "".join(f"    fakedb.name{n}.call()\n" for n in range(300))
    source = f"import fakedb\nimport fakedb.late\n\n\nasync def main():\n{calls}" \
             "    fakedb.late.fetch()                            # CCY101\n"
    (project / "app.py").write_text(source)
    found = {(line, code) for _, line, code in reported(project, "--no-cache")}
    assert found == expected(source)


def test_flake8_plugin_reads_the_environment_too(tmp_path: Path) -> None:
    source = "import redis.asyncio\n\nasync def main():\n    redis.asyncio.Redis().set('k', 'v')\n"
    (tmp_path / "app.py").write_text(source)
    exe = shutil.which("flake8", path=os.path.dirname(sys.executable))
    result = subprocess.run([exe or "flake8", "--select", "CCY101", "app.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.startswith("app.py:4:5: CCY101 "), result.stdout + result.stderr


def test_fix_adds_the_await_on_a_library_coroutine(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import redis.asyncio\n\nasync def main(r: redis.asyncio.Redis):\n"
                                     "    r.set('k', 'v')\n    r.pipeline().set('k', 'v')\n")
    result = run_cli("check", "--no-cache", "--select", "CCY101", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "app.py").read_text().splitlines()[3:] == [
        "    await r.set('k', 'v')", "    r.pipeline().set('k', 'v')"]


def test_every_index_question_is_recorded_for_the_cache() -> None:
    """A check sees the project index through ``RecordingIndex`` (the per-file cache
    records each answer): a question the recorder does not forward would fail inside
    the rules and lose their findings."""
    from concurlint.semantics.project import ProjectIndex, RecordingIndex

    questions = {name for name in vars(ProjectIndex)
                 if name.startswith(("is_", "library_", "canonical", "constant_"))}
    assert "library_type" in questions and "is_coroutine_function" in questions
    assert questions <= set(vars(RecordingIndex)), questions - set(vars(RecordingIndex))
