"""The pre-check: skipping the parse of files no rule can touch changes no finding."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from concurlint.config import load_settings
from concurlint.precheck import Screen, project_pairs, risky, syntax_ok, table_words
from concurlint.runner import build_project_index, run
from concurlint.semantics.project import ProjectIndex


def test_table_words_cover_the_sync_families() -> None:
    words = table_words()
    for word in ("async", "await", "threading", "queue", "concurrent", "multiprocessing",
                 "subprocess", "socket", "requests", "httpx", "aiohttp", "urllib", "asyncio"):
        assert word in words
    # async-only tables (CCY2) and helper modules are not anchors: "async" covers them
    for word in ("os", "time", "io", "functools", "open"):
        assert word not in words


def test_screen_skips_plain_code_and_keeps_concurrency_code() -> None:
    screen = Screen()
    assert not screen.may_have_findings("def add(a, b):\n    return a + b\n")
    assert screen.may_have_findings("async def f():\n    pass\n")
    assert screen.may_have_findings("import threading\n")
    assert screen.may_have_findings("from concurrent.futures import ThreadPoolExecutor\n")
    assert screen.may_have_findings("import requests\nrequests.get(url)\n")


def test_project_coroutines_need_their_name_and_owner() -> None:
    index = ProjectIndex(functions={"app.api.fetch_user": True, "app.api.helper": False,
                                    "app.client.Client.fetch": True},
                         aliases={"app.get_user": "app.api.fetch_user"},
                         classes={"app.client.Client": (), "app.sub.Sub": ("app.client.Client",)})
    pairs = project_pairs(index)
    assert pairs["fetch_user"] == {"api"}
    assert pairs["get_user"] == {"app"}
    assert pairs["fetch"] == {"Client", "Sub"}
    assert "helper" not in pairs
    screen = Screen(index)
    assert screen.may_have_findings("from app.api import fetch_user\nfetch_user(1)\n")
    assert screen.may_have_findings("from app import get_user as g\ng(1)\n")
    assert screen.may_have_findings("from app.sub import Sub\nSub().fetch()\n")
    assert not screen.may_have_findings("def fetch_user(uid):\n    return uid\n")
    assert not screen.may_have_findings("x.fetch()\n")


def test_syntax_ok() -> None:
    assert syntax_ok("x = 1\n")
    assert not syntax_ok("def f(:\n")
    assert not syntax_ok("x = (\n")


def test_skipped_file_still_reports_syntax_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def add(a, b:\n    return a + b\n")
    settings = load_settings(isolated=True)
    on = run([str(tmp_path)], settings, precheck=True)
    off = run([str(tmp_path)], settings, precheck=False)
    assert [f.code for f in on.findings] == ["CCY001"]
    assert on.findings == off.findings


def test_risky() -> None:
    assert not risky("x = 1\n" * 100)
    assert not risky("import os\n" + "print(os.path.join(a, b) + c.d.e)\n" * 400)
    assert risky("x = " + " + ".join(["1"] * 3000) + "\n")
    assert risky("x = (\n" + " +\n".join(["    1"] * 3000) + "\n)\n")
    assert risky("y = a" + ".b" * 2000 + "\n")
    assert risky("#" * 300_000)


@pytest.mark.slow
def test_identical_findings_with_and_without_precheck_over_the_stdlib() -> None:
    """Every stdlib file, with the pre-check on and off, gives the same findings.

    With the pre-check on, a file either takes exactly the path it takes with the
    pre-check off (``check_source``), or is skipped. So the two runs can only differ
    on the skipped files: those are checked both ways (the full check is the
    expensive half, hence only on them), with the project index of the whole stdlib.
    """
    from concurlint.discovery import discover
    from concurlint.precheck import Screen
    from concurlint.source import SourceError, read_source

    stdlib = sysconfig.get_paths()["stdlib"]
    settings = load_settings(isolated=True, overrides={"extend-exclude": ["site-packages"]})
    files = discover([stdlib], settings)
    assert len(files) > 1000
    project = build_project_index(files)
    screen = Screen(project)
    skipped = []
    for path in files:
        try:
            text = read_source(path).text
        except SourceError:
            continue
        if not screen.may_have_findings(text):
            skipped.append(path)
    assert len(skipped) > len(files) // 4  # the pre-check does skip a large share
    on = run(skipped, settings, project=project, jobs=2, precheck=True)
    off = run(skipped, settings, project=project, jobs=2, precheck=False)
    assert not [f for f in off.findings if f.code in ("CCY003", "CCY004")]
    missing = sorted(set(off.findings) - set(on.findings), key=lambda f: f.sort_key())
    extra = sorted(set(on.findings) - set(off.findings), key=lambda f: f.sort_key())
    # The one documented difference: valid Python that libcst's grammar rejects
    # (test/typinganndata/ann_module.py: `(pars): bool = True`) gets no CCY001 when
    # skipped, since CPython's parser accepts it (docs/performance.md).
    libcst_only = [f for f in missing if f.code == "CCY001" and syntax_ok(read_source(f.path).text)]
    missing = [f for f in missing if f not in libcst_only]
    assert not missing and not extra, (missing[:20], extra[:20])
    assert len(libcst_only) <= 3, libcst_only
    # every other syntax error is still reported by the skipped files
    assert {f.path for f in on.findings if f.code == "CCY001"} == \
        {f.path for f in off.findings if f.code == "CCY001"} - {f.path for f in libcst_only}
