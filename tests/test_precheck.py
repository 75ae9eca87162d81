"""The pre-check: skipping the parse of files no rule can touch changes no finding."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from concurlint.config import load_settings
from concurlint.precheck import Screen, code_only, project_pairs, risky, syntax_ok, table_words
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


def test_helper_tables_are_not_anchors() -> None:
    # factories a queue class may be passed to, report-only calls, retry-loop names:
    # matching them would make the pre-check hit almost every file (getattr, setattr)
    words = table_words()
    for word in ("attr", "collections", "dataclasses", "format_exc", "pytest", "cached_property"):
        assert word not in words


def test_words_of_rules_that_are_off_count_only_when_they_are_on() -> None:
    default = load_settings(isolated=True).enabled_codes()
    assert "CCY503" not in default
    screen = Screen()
    code = "import subprocess\nsubprocess.run(['ls'])\n"
    assert not screen.may_have_findings(code, default)
    assert screen.may_have_findings(code, default | {"CCY503"})
    assert screen.may_have_findings(code)  # no codes given: every rule


def test_words_in_comments_and_strings_do_not_count() -> None:
    screen = Screen()
    assert not screen.may_have_findings('"""Run the worker thread."""\n# uses asyncio\nx = 1\n')
    assert not screen.may_have_findings("s = 'import threading'\nb = rb\"async\"\n")
    # but replacement fields of f-strings are code
    assert screen.may_have_findings('x = f"{await_it}"\n')
    assert screen.may_have_findings('async def f():\n    return f"{await g()}"\n')


@pytest.mark.parametrize("source, kept, dropped", [
    ("x = 1  # asyncio\n", "x = 1", "asyncio"),
    ('"""doc\nthreading"""\nimport os\n', "import os", "threading"),
    ("if'async'in s: pass\n", "if", "async"),  # a string right after a keyword
    ("s = '''a\\'''' + queue + 'x'\n", "queue", "a"),  # an escaped quote inside '''...'''
    ('s = "a\\"b" ; t = socket; u = "c"\n', "socket", "b"),  # an escaped quote inside "..."
    ("s = 'a\\\nb'; t = socket\n", "socket", "a"),  # a line continuation inside '...'
    ('s = r"\\"" + submit  # x\n', "submit", "# x"),  # a raw string with a backslash-quote
    ('s = f"#{n}" + gather\n', "gather", "~"),  # '#' inside an f-string is not a comment
    ("s = Rb'x' + t'{y}' + Timer\n", "Timer", "'x'"),
])
def test_code_only(source: str, kept: str, dropped: str) -> None:
    assert syntax_ok(source) or "t'" in source  # t-strings need Python 3.14
    code = code_only(source)
    assert kept in code
    assert dropped not in code


@pytest.mark.slow
def test_code_only_keeps_every_name_token_of_the_stdlib() -> None:
    """``code_only`` is a regular expression, not a tokenizer: over every stdlib file,
    every NAME token Python's tokenizer sees must still be a word of its result."""
    import io
    import re
    import tokenize

    from concurlint.source import SourceError, read_source

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    checked = 0
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = read_source(str(path)).text
            names = {token.string for token in tokenize.generate_tokens(io.StringIO(text).readline)
                     if token.type == tokenize.NAME}
        except (SourceError, SyntaxError, tokenize.TokenError):
            continue
        missing = names - set(re.findall(r"\w+", code_only(text)))
        assert not missing, (str(path), sorted(missing)[:10])
        checked += 1
    assert checked > 1000


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


def test_risky_counts_a_chain_over_continuation_lines() -> None:
    """Operators add up over lines that end with one (whatever spaces follow it) or start
    with one; separate statements start a new count."""
    for space in ("", " ", "\t", "\u00a0"):
        assert risky("x = (\n" + "".join(f"    1 +{space}\n" for _ in range(700)) + "    1\n)\n")
    assert risky("x = (\n    1\n" + "    + 1\n" * 700 + ")\n")
    assert not risky("".join(f"x{i} = 1 + 1\n" for i in range(700)))


@pytest.mark.slow
@pytest.mark.parametrize("select", [None, ["CCY"]], ids=["default-rules", "all-rules"])
def test_identical_findings_with_and_without_precheck_over_the_stdlib(select) -> None:
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
    overrides = {"extend-exclude": ["site-packages"]}
    if select:
        overrides["select"] = select
    settings = load_settings(isolated=True, overrides=overrides)
    codes = settings.enabled_codes()
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
        if not screen.may_have_findings(text, codes):
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
