"""Which async library a module is written for: imports in any form, then the package,
then the ``async-backend`` setting (catalog revision 2)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, Optional

import pytest

from concurlint.apis.backends import ADVICE, advice
from concurlint.config import ConfigError, Settings, load_settings
from concurlint.semantics import backend
from concurlint.semantics.backend import decide, imported_libraries, module_backend


@pytest.fixture(autouse=True)
def fresh_memo() -> None:
    backend._FOLDER_MEMO.clear()


@pytest.mark.parametrize("text, expected", [
    ("import trio\n", "trio"),
    ("import trio.lowlevel\n", "trio"),
    ("from trio import run, sleep\n", "trio"),
    ("from trio.lowlevel import checkpoint\n", "trio"),
    ("import anyio\n", "anyio"),
    ("from anyio import create_task_group\n", "anyio"),
    ("import anyio.abc as aabc\n", "anyio"),
    ("import os, asyncio as aio\n", "asyncio"),
    ("from asyncio import sleep\n", "asyncio"),
    ("def main():\n    import trio\n    trio.run(main)\n", "trio"),
    # anyio runs on both: a module that also imports asyncio is still an anyio module
    ("import asyncio\nimport anyio\n", "anyio"),
    # a bridge between asyncio and trio speaks for neither
    ("import asyncio\nimport trio\n", None),
    # names in comments, strings and other packages are not imports
    ("# import trio\nDOC = 'from anyio import x'\n", None),
    ("import trio_asyncio\nimport pytest_trio\n", None),
    ("import asynciolib\n", None),
    # any line ends, any spacing
    ("import os\r\rimport trio\r\rasync def f():\r    pass\r", "trio"),
    ("import json\r\nimport\tanyio  ,  os\r\n", "anyio"),
])
def test_own_imports_decide(text: str, expected: Optional[str]) -> None:
    assert module_backend(text, None) == expected


def test_decide_and_imported_libraries() -> None:
    assert imported_libraries("import json, trio.testing, anyio\n") == {"trio", "anyio"}
    assert decide(set()) is None
    assert decide({"asyncio", "trio"}) == backend.MIXED


def _package(tmp_path: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_a_test_module_of_a_trio_package_is_trio(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "app/__init__.py": "",
        "app/net.py": "import trio\n",
        "app/store.py": "from trio import Lock\n",
        "app/tests/__init__.py": "",
        "app/tests/test_store.py": "import time\n\nasync def test_it():\n    time.sleep(1)\n",
    })
    path = root / "app/tests/test_store.py"
    assert module_backend(path.read_text(), str(path)) == "trio"


def test_the_own_folder_speaks_before_the_package(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "app/__init__.py": "import trio\n",
        "app/legacy/__init__.py": "",
        "app/legacy/client.py": "import asyncio\n",
        "app/legacy/util.py": "x = 1\n",
    })
    path = root / "app/legacy/util.py"
    assert module_backend(path.read_text(), str(path)) == "asyncio"


def test_the_library_most_modules_import_wins_and_a_tie_is_unknown(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "lib/__init__.py": "",
        "lib/a.py": "import trio\n",
        "lib/b.py": "import trio\n",
        "lib/host.py": "import asyncio\n",  # e.g. tests driving asyncio as a host loop
        "lib/plain.py": "x = 1\n",
        "other/__init__.py": "",
        "other/a.py": "import trio\n",
        "other/b.py": "import asyncio\n",
        "other/plain.py": "x = 1\n",
    })
    assert module_backend("x = 1\n", str(root / "lib/plain.py")) == "trio"
    assert module_backend("x = 1\n", str(root / "other/plain.py")) is None


def test_a_plain_folder_counts_only_its_own_files(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "exercises/uses_trio.py": "import trio\n",
        "exercises/week2/sleepy.py": "x = 1\n",
    })
    assert module_backend("x = 1\n", str(root / "exercises/week2/sleepy.py")) is None
    assert module_backend("x = 1\n", str(root / "exercises/week2/sleepy.py"), "anyio") == "anyio"


def test_the_setting_applies_only_where_imports_and_package_are_silent(tmp_path: Path) -> None:
    root = _package(tmp_path, {"solo.py": "x = 1\n"})
    assert module_backend("import asyncio\n", str(root / "solo.py"), "trio") == "asyncio"
    assert module_backend("x = 1\n", str(root / "solo.py"), "trio") == "trio"
    assert module_backend("x = 1\n", str(root / "solo.py"), "auto") is None


def test_the_libraries_own_modules() -> None:
    assert module_backend("from ._core import x\n", None, module_name="anyio._core._fileio") == "anyio"
    assert module_backend("from . import _core\n", None, module_name="trio._threads") == "trio"


def test_async_backend_setting_is_validated(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nasync-backend = "trio"\n')
    assert load_settings(search_from=[str(tmp_path)]).async_backend == "trio"
    (tmp_path / "pyproject.toml").write_text('[tool.concurlint]\nasync-backend = "gevent"\n')
    with pytest.raises(ConfigError, match="'async-backend' must be one of auto, asyncio, trio, anyio"):
        load_settings(search_from=[str(tmp_path)])
    assert Settings().async_backend == "auto"


def test_every_advice_names_each_library() -> None:
    for key, table in ADVICE.items():
        assert set(table) == {"asyncio", "trio", "anyio"}, key
        assert advice(None, key) == table["asyncio"]
        assert "asyncio" not in advice("trio", key) and "asyncio" not in advice("anyio", key), key
