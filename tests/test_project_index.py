"""The project-wide coroutine index (semantics/project.py) and cross-module CCY1 findings."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from concurlint.config import load_settings
from concurlint.runner import build_project_index, run
from concurlint.semantics import project as project_module
from concurlint.semantics.project import ProjectIndex


def write(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


APP = {
    "app/__init__.py": "from .client import fetch_user, Client as PublicClient\nfrom . import tools\n",
    "app/client.py": (
        "import contextlib\n"
        "async def fetch_user(i):\n    return i\n"
        "async def rows():\n    yield 1\n"
        "@contextlib.asynccontextmanager\nasync def session():\n    yield 1\n"
        "def sync_helper():\n    pass\n"
        "class Client:\n    async def get(self, p):\n        return p\n    def url(self):\n        return ''\n"
    ),
    "app/tools.py": "def fetch_user(i):\n    return i\n",
    "app/special.py": "from app.client import Client\nclass Special(Client):\n    async def extra(self):\n        pass\n",
    "app/main.py": (
        "import asyncio\n"
        "from app import fetch_user, PublicClient\n"
        "from app.tools import fetch_user as tool_user\n"
        "from app.special import Special\n"
        "async def handler():\n"
        "    fetch_user(1)\n"
        "    tool_user(1)\n"
        "    c = PublicClient()\n"
        "    c.get('/')\n"
        "    c.url()\n"
        "    s = Special()\n"
        "    s.get('/x')\n"
        "    if fetch_user(2):\n        pass\n"
        "    await asyncio.gather(fetch_user, tool_user(3))\n"
    ),
}
EXPECTED_MAIN = [(6, "CCY101"), (9, "CCY101"), (12, "CCY101"), (13, "CCY104"), (15, "CCY102")]


def findings_of(root: Path, paths: List[str]) -> Dict[str, List[Tuple[int, str]]]:
    settings = load_settings(isolated=True, overrides={"select": ["CCY1"]})
    result = run(paths, settings)
    assert not result.tracebacks, result.tracebacks
    found: Dict[str, List[Tuple[int, str]]] = {}
    for finding in result.findings:
        found.setdefault(Path(finding.path).name, []).append((finding.line, finding.code))
    return found


def test_index_contents(tmp_path: Path) -> None:
    write(tmp_path, APP)
    files = sorted(str(p) for p in tmp_path.rglob("*.py"))
    index = build_project_index(files)
    assert index.is_coroutine_function("app.client.fetch_user") is True
    assert index.is_coroutine_function("app.fetch_user") is True  # re-export
    assert index.is_coroutine_function("app.client.rows") is False  # async generator
    assert index.is_coroutine_function("app.client.session") is False  # asynccontextmanager
    assert index.is_coroutine_function("app.client.sync_helper") is False
    assert index.is_coroutine_function("app.client.Client.get") is True
    assert index.is_coroutine_function("app.PublicClient.get") is True  # aliased class
    assert index.is_coroutine_function("app.special.Special.get") is True  # inherited
    assert index.is_coroutine_function("app.nothing") is None
    assert index.is_class("app.PublicClient")


def test_cross_module_findings_in_a_project_run(tmp_path: Path) -> None:
    write(tmp_path, APP)
    found = findings_of(tmp_path, [str(tmp_path / "app")])
    assert found == {"main.py": EXPECTED_MAIN}


def test_one_file_run_follows_its_imports(tmp_path: Path) -> None:
    write(tmp_path, APP)
    found = findings_of(tmp_path, [str(tmp_path / "app" / "main.py")])
    assert found == {"main.py": EXPECTED_MAIN}


def test_for_file_matches_what_flake8_sees(tmp_path: Path) -> None:
    write(tmp_path, APP)
    index = ProjectIndex.for_file(str(tmp_path / "app" / "main.py"))
    assert index.is_coroutine_function("app.fetch_user") is True
    assert not index.is_coroutine_function("app.tools.fetch_user")  # sync: never parsed, never a coroutine
    assert index.is_coroutine_function("app.special.Special.get") is True


def test_flat_scripts_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path, {
        "client.py": "async def fetch(u):\n    return u\n",
        "main.py": "from client import fetch\nasync def go():\n    fetch('u')\n",
    })
    assert findings_of(tmp_path, [str(tmp_path / "main.py")]) == {"main.py": [(3, "CCY101")]}


def test_scan_is_cheap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only files holding `async def` (or package __init__ files) are scanned for
    definitions, and a one-file run never scans the file itself (its scopes answer)."""
    write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/plain.py": "def f():\n    pass\n",
        "pkg/coros.py": "async def g():\n    pass\n",
        "pkg/user.py": "from pkg.coros import g\nasync def h():\n    g()\n",
    })
    scanned: List[str] = []
    real_scan = project_module._LineScan.scan

    def recording_scan(self, text):  # type: ignore[no-untyped-def]
        scanned.append(self.module)
        return real_scan(self, text)

    monkeypatch.setattr(project_module._LineScan, "scan", recording_scan)
    ProjectIndex.from_files(sorted(str(p) for p in (tmp_path / "pkg").glob("*.py")))
    assert sorted(scanned) == ["pkg", "pkg.coros", "pkg.user"]
    scanned.clear()
    index = ProjectIndex.for_file(str(tmp_path / "pkg" / "user.py"))
    assert "pkg.user" not in scanned
    assert index.is_coroutine_function("pkg.coros.g") is True


def test_line_scan_nesting_strings_and_decorators(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/m.py": (
        '"""Docs.\n\nasync def fake():\n    pass\n"""\n'
        "import functools\n"
        "if True:\n    async def guarded():\n        pass\n"
        "class A:\n"
        "    @functools.cached_property\n    async def prop(self):\n        return 1\n"
        "    @typing_extensions.deprecated(\n        'use other',\n    )\n    async def decorated(self):\n        pass\n"
        "    @some.decorator(\n        1,\n    )\n    async def unknown(self):\n        pass\n"
        "    async def gen(self):\n        x = yield 1\n"
        "    async def outer(self):\n        async def inner():\n            yield 1\n        return inner\n"
        "    class Inner:\n        async def deep(self):\n            pass\n"
        "async def after():\n    pass\n"
        "@typing.overload\nasync def over(x: int) -> int: ...\n"
        "async def over(x):\n    return x\n"
    )})
    index = build_project_index([str(tmp_path / "pkg" / "m.py"), str(tmp_path / "pkg" / "__init__.py")])
    assert index.is_coroutine_function("pkg.m.guarded") is True
    assert index.is_coroutine_function("pkg.m.A.prop") is False
    assert index.is_coroutine_function("pkg.m.A.decorated") is True  # a decorator known to keep it
    assert index.is_coroutine_function("pkg.m.A.unknown") is False  # may return anything (revision 2)
    assert index.is_coroutine_function("pkg.m.A.gen") is False
    assert index.is_coroutine_function("pkg.m.A.outer") is True
    assert index.is_coroutine_function("pkg.m.A.inner") is None
    assert index.is_coroutine_function("pkg.m.A.Inner.deep") is True
    assert index.is_coroutine_function("pkg.m.after") is True
    assert index.is_coroutine_function("pkg.m.over") is True


def test_unparsable_and_unreadable_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/bad.py": "async def (:\n", "pkg/ok.py": "async def f():\n    pass\n"})
    index = build_project_index([str(tmp_path / "pkg" / n) for n in ("bad.py", "ok.py", "missing.py")])
    assert index.is_coroutine_function("pkg.ok.f") is True
