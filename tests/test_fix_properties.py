"""Property tests of --fix: the output parses, a second run changes nothing, no finding
is introduced, files without findings are untouched, and encoding/BOM/newlines survive."""
from __future__ import annotations

import difflib
import os
import tempfile
from collections import Counter
from typing import List, Tuple

import hypothesmith
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.fixes import fix_file, fix_source
from concurlint.parse import ParseFailure, parse
from concurlint.source import decode_source

DEFAULT = load_settings(isolated=True)
EVERYTHING = load_settings(isolated=True, overrides={"preset": "all"})
FAST = hsettings(max_examples=15, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Statements for the body of an async def; {c} is a coroutine function, {s} a sync one.
ASYNC_BODY = [
    "time.sleep({n})",
    "x = time.sleep({n}) or 1",
    "{c}()",
    "await {c}()",
    "result = {c}()",
    "asyncio.sleep({n})",
    "loop = asyncio.get_event_loop()",
    "with asyncio.Lock():\n    pass",
    "async with asyncio.Lock():\n    await {c}()",
    "if {c}():\n    pass",
    "while not {c}():\n    await asyncio.sleep(0)",
    "asyncio.create_task({c})",
    "await asyncio.gather({c}, {c}())",
    "await {c}",
    "items = [time.sleep(0) for _ in range(2)]",
    "gen = (time.sleep(0) for _ in range(2))",
    "threading.Thread(target={s}()).start()",
    "t = threading.Thread(target={s})\nt.run()",
    "def inner():\n    time.sleep({n})",
    "return {c}()",
    "print('caf\u00e9')  # caf\u00e9",
    "pass",
]
SYNC_BODY = [
    "time.sleep({n})",
    "{c}()",
    "{s}()",
    "threading.Thread(target={s}()).start()",
    "t = threading.Thread(target={s})\nt.run()",
    "asyncio.run({c})",
    "return 1",
]
TOP_LEVEL = ["{c}()", "asyncio.run({c}())", "asyncio.run({c})", "x = 1", "# a comment"]
IMPORTS = ["import asyncio", "import time", "import threading", "import asyncio as aio",
           "from time import sleep", "import trio", "import anyio"]


def _indent(code: str, prefix: str = "    ") -> List[str]:
    return [prefix + line for line in code.split("\n")]


@st.composite
def programs(draw: st.DrawFn) -> Tuple[bytes, str]:
    """A module mixing fixable pitfalls and look-alikes; returns (file bytes, newline)."""
    names = st.sampled_from(["fetch", "work", "poll", "load"])
    numbers = st.sampled_from(["0", "1", "0.5", "delay", "n * 2"])
    coro = draw(names)
    sync = "helper"
    lines: List[str] = []
    imports = draw(st.lists(st.sampled_from(IMPORTS), max_size=4, unique=True))
    if "import asyncio" not in imports and draw(st.sampled_from([True, True, False])):
        imports.append("import asyncio")
    lines += imports
    lines += ["", "", f"def {sync}(n=1):", "    return n", "", "",
              f"async def {coro}(delay=0, n=1):", "    return delay", ""]
    for index in range(draw(st.integers(1, 3))):
        is_async = draw(st.booleans())
        lines.append(f"{'async ' if is_async else ''}def task_{index}(delay=1, n=2):")
        body = draw(st.lists(st.sampled_from(ASYNC_BODY if is_async else SYNC_BODY), min_size=1, max_size=5))
        returned = False
        for statement in body:
            if returned:
                break
            returned = statement.startswith("return")
            text = statement.format(c=coro, s=sync, n=draw(numbers))
            lines += _indent(text)
        lines.append("")
    for statement in draw(st.lists(st.sampled_from(TOP_LEVEL), max_size=2)):
        lines.append(statement.format(c=coro))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    kind = draw(st.sampled_from(["utf-8", "bom", "latin-1"]))
    if kind == "latin-1" and newline != "\r":  # (a cookie is only found on a line ending in LF)
        return (f"# -*- coding: latin-1 -*-{newline}" + text).encode("latin-1"), newline
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data if kind == "bom" else data), newline


def _keys(text: str, path: str) -> Counter:
    result = check_source(decode_source(text.encode("utf-8"), path), EVERYTHING)
    return Counter((f.code, f.message.en) for f in result.findings)


@FAST
@given(programs(), st.booleans())
def test_fix_output_parses_is_idempotent_and_adds_no_finding(program: Tuple[bytes, str], unsafe: bool) -> None:
    data, newline = program
    source = decode_source(data, "prog.py")
    fixed = fix_source(source, DEFAULT, unsafe=unsafe)
    text = fixed.text
    assert text is not None
    assert not isinstance(parse(text), ParseFailure)
    compile(text, "prog.py", "exec", dont_inherit=True)
    # a second run changes nothing
    again = fix_source(decode_source(fixed.encoded(), "prog.py"), DEFAULT, unsafe=unsafe)
    assert not again.changed, again.text
    # no finding (of any rule) that was not there before -- but a fixed CCY102 in a thrown-away
    # create_task(f) uncovers the dangling task the catalog reports once the task exists
    # ("create_task(fn): CCY102 only, not CCY103 as well": one root cause, one finding)
    new = _keys(text, "prog.py") - _keys(source.text, "prog.py")
    if any(f.code == "CCY102" for f in fixed.applied):
        new = Counter({key: n for key, n in new.items() if key[0] != "CCY103"})
    assert not new
    # the fixed findings are gone (those not fixed are reported as remaining)
    before = check_source(source, DEFAULT).findings
    fixable = [f for f in before if f.fix is not None and (f.fix.safe or unsafe)]
    if not fixable:
        assert not fixed.changed
    remaining = Counter((f.code, f.message.en) for f in fixed.result.findings)
    applied = Counter((f.code, f.message.en) for f in fixed.applied)
    assert not remaining - (Counter((f.code, f.message.en) for f in before) - applied)
    # encoding, BOM and newline style survive
    out = fixed.encoded()
    assert out.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
    assert decode_source(out, "prog.py").encoding == source.encoding
    if newline == "\r":
        assert "\n" not in text
    elif newline == "\r\n":
        assert text.count("\n") == text.count("\r\n") and text.count("\r") == text.count("\r\n")
    else:
        assert "\r" not in text
    # every line outside the spans the fixes replace is byte-for-byte the same, except the
    # import lines a fix left unused, which are removed or trimmed (and nothing else there)
    allowed = {line for f in fixable for e in f.fix.edits  # type: ignore[union-attr]
               for line in range(e.start.line, e.end.line + 1)}
    old_lines, new_lines = data.splitlines(keepends=True), out.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        outside = [old_lines[n - 1] for n in range(i1 + 1, i2 + 1) if n not in allowed]
        if tag != "equal" and outside:
            assert all(_is_import(line) for line in outside), (tag, i1, i2, sorted(allowed))
            assert tag == "delete" or all(_is_import(line) for line in new_lines[j1:j2])


def _is_import(line: bytes) -> bool:
    return line.lstrip(b"\xef\xbb\xbf").lstrip().startswith((b"import ", b"from "))


@FAST
@given(programs())
def test_fix_file_writes_only_changed_files_and_keeps_bytes(program: Tuple[bytes, str]) -> None:
    data, _ = program
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "prog.py")
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o751)
        before = os.stat(path)
        fixed = fix_file(path, DEFAULT)
        assert fixed.error is None
        after = os.stat(path)
        with open(path, "rb") as handle:
            written = handle.read()
        if fixed.changed:
            assert written == fixed.encoded() and written != data
        else:
            assert written == data and after.st_ino == before.st_ino
            assert after.st_mtime_ns == before.st_mtime_ns
        assert after.st_mode & 0o777 == 0o751
        assert sorted(os.listdir(directory)) == ["prog.py"]
        # fixing again is a no-op
        assert not fix_file(path, DEFAULT).changed


@hsettings(max_examples=10, deadline=None,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                  HealthCheck.filter_too_much])
@given(hypothesmith.from_grammar())
def test_arbitrary_code_without_findings_is_never_changed(code: str) -> None:
    try:
        source = decode_source(code.encode("utf-8"), "gen.py")
    except Exception:  # not decodable as a file (e.g. a NUL byte): nothing to fix
        return
    fixed = fix_source(source, EVERYTHING, unsafe=True)
    findings = check_source(source, EVERYTHING).findings
    if not any(f.fix is not None for f in findings):
        assert not fixed.changed
        assert fixed.text == code
    else:
        assert not isinstance(parse(fixed.text or ""), ParseFailure)
