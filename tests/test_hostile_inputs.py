"""Hostile and odd inputs: each gets a clear result, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from concurlint.config import Settings, load_settings
from concurlint.engine import check_path, check_source
from concurlint.source import decode_source

from test_cli import concurlint_exe, run_cli

BLOCKING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
SETTINGS = load_settings(isolated=True, overrides={"preset": "all"})


def findings_of(data: bytes, name: str = "case.py") -> List[Tuple[int, int, str]]:
    try:
        source = decode_source(data, name)
    except Exception as exc:  # decode errors are the engine's CCY002 path: go through check_path
        raise AssertionError(f"decode_source raised {exc!r}") from exc
    result = check_source(source, SETTINGS)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.column, f.code) for f in result.findings]


def file_findings(tmp_path: Path, data: bytes, name: str = "case.py") -> List[Tuple[int, int, str, str]]:
    path = tmp_path / name
    path.write_bytes(data)
    result = check_path(str(path), SETTINGS)
    assert not result.tracebacks, result.tracebacks
    return [(f.line, f.column, f.code, f.message.en) for f in result.findings]


@pytest.mark.parametrize("data", [b"", b"# only a comment\n# and another\n", b"\n\n\n", b"   \n"])
def test_empty_and_comment_only_files_are_clean(data: bytes) -> None:
    assert findings_of(data) == []


def test_utf8_bom_positions_are_unchanged() -> None:
    assert findings_of(b"\xef\xbb\xbf" + BLOCKING.encode()) == [(5, 5, "CCY201")]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_newlines(newline: str) -> None:
    data = BLOCKING.replace("\n", newline).encode()
    source = decode_source(data, "case.py")
    assert source.newline == newline
    assert findings_of(data) == [(5, 5, "CCY201")]


def test_latin1_with_cookie_decodes() -> None:
    data = b"# -*- coding: latin-1 -*-\n" + b"# caf\xe9\n" + BLOCKING.encode()
    assert decode_source(data, "x.py").encoding == "iso-8859-1"
    assert findings_of(data) == [(7, 5, "CCY201")]


@pytest.mark.parametrize("data, reason", [
    (b"# caf\xe9\nx = 1\n", "cannot decode byte 0xe9 at line 1 as utf-8"),
    (b"# -*- coding: klingon -*-\nx = 1\n", "unknown encoding: klingon"),
    (b"x = 1\x00\n", "NUL byte"),
    (bytes(range(256)) * 4, "cannot decode"),
])
def test_undecodable_files_are_ccy002(tmp_path: Path, data: bytes, reason: str) -> None:
    ((line, column, code, message),) = file_findings(tmp_path, data)
    assert (line, column, code) == (1, 1, "CCY002")
    assert reason in message


@pytest.mark.parametrize("text, line", [
    ('print "hello"\n', 1),  # Python 2
    ("if True:\n\tx = 1\n        y = 2\n", 3),  # mixed tabs and spaces
    ("x = 1 \\", 1),  # trailing backslash at end of file
    ("async def f(:\n    pass\n", 1),
])
def test_syntax_errors_are_ccy001_with_position(tmp_path: Path, text: str, line: int) -> None:
    ((found_line, _column, code, message),) = file_findings(tmp_path, text.encode())
    assert code == "CCY001" and found_line == line and message.startswith("syntax error: ")


@pytest.mark.parametrize("text", [
    "type Point = tuple[float, float]\ndef first[T](items: list[T]) -> T:\n    return items[0]\n",
    "match command:\n    case [\"go\", *rest]:\n        pass\n    case _:\n        pass\n",
    'name = "x"\ngreeting = f"{"nested"} {name!r:>{10}}"\n',
])
def test_new_syntax_parses(text: str) -> None:
    assert findings_of(text.encode()) == []


@pytest.mark.parametrize("text", [
    "x = " + "(" * 150 + "1" + ")" * 150 + "\n",
    "x = " + "f(" * 250 + "1" + ")" * 250 + "\n",
    "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "pass\n",
    "x = " + " + ".join(["1"] * 1500) + "\n",
])
def test_deep_nesting_and_long_expressions_never_crash(text: str) -> None:
    result = check_source(decode_source(text.encode(), "deep.py"), SETTINGS)
    assert not result.tracebacks
    assert {f.code for f in result.findings} <= {"CCY001"}


def test_one_megabyte_generated_file() -> None:
    chunk = "".join(f"def handler_{i}(request):\n    return request.get({i})\n\n" for i in range(20000))
    assert len(chunk) > 1_000_000
    text = chunk + BLOCKING
    lines = text.count("\n")
    assert findings_of(text.encode()) == [(lines, 5, "CCY201")]


def test_symlinks_broken_and_looping(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(BLOCKING)
    (tmp_path / "broken.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "back").symlink_to(tmp_path, target_is_directory=True)  # directory loop
    result = run_cli("check", "--isolated", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert "good.py:5:5: CCY201" in result.stdout
    assert any(l.startswith("broken.py:1:1: CCY002 cannot read file: no such file") for l in lines)
    assert any(l.startswith("loop_a.py:1:1: CCY002 cannot read file:") for l in lines)
    assert "sub/back" not in result.stdout  # directory links are not followed


def test_non_utf8_file_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    try:
        (tmp_path / name).write_text(BLOCKING)
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system does not accept non-UTF-8 names")
    result = subprocess.run([*concurlint_exe(), "check", "--isolated", "--output-format", "concise", "."],
                            cwd=tmp_path, capture_output=True, timeout=120)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    assert result.stdout.startswith(b"caf\xe9.py:5:5: CCY201")  # the name's own bytes, as ls shows it


def test_permission_denied_is_ccy002(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.py"
    path.write_text(BLOCKING)

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    ((line, column, code, message),) = [
        (f.line, f.column, f.code, f.message.en) for f in check_path(str(path), SETTINGS).findings]
    assert (line, column, code, message) == (1, 1, "CCY002", "cannot read file: permission denied")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.py"
    path.write_text(BLOCKING)
    path.chmod(0)
    if os.geteuid() != 0:
        result = run_cli("check", "--isolated", "--output-format", "concise", str(path), cwd=tmp_path)
    else:  # root reads everything: drop to an unprivileged user for this check
        try:
            result = subprocess.run(
                [*concurlint_exe(), "check", "--isolated", "--output-format", "concise", str(path)],
                capture_output=True, text=True, cwd="/", timeout=120,
                preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"cannot run as an unprivileged user here: {exc}")
        if "Permission denied" in result.stderr and "python" in result.stderr.lower():
            pytest.skip("the unprivileged user cannot run this interpreter")
    assert result.returncode == 1, result.stderr
    assert "CCY002 cannot read file: permission denied" in result.stdout


def test_checked_code_is_never_imported_or_run(tmp_path: Path) -> None:
    marker = tmp_path / "was_imported"
    (tmp_path / "evil.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
        "import time\n\nasync def f():\n    time.sleep(1)\n")
    (tmp_path / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    result = run_cli("check", "--isolated", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert not marker.exists()
    subprocess.run([sys.executable, "-m", "flake8", "--select", "CCY", str(tmp_path / "evil.py")],
                   capture_output=True, timeout=120)
    assert not marker.exists()


def test_directory_named_like_a_module(tmp_path: Path) -> None:
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_text(BLOCKING)
    result = run_cli("check", "--isolated", "--output-format", "concise", "x.py", cwd=tmp_path)
    assert result.stdout.startswith("x.py/inner.py:5:5: CCY201")


def test_lone_cr_file_with_latin1_cookie() -> None:
    source = decode_source(b"# -*- coding: latin-1 -*-\r# caf\xe9\r" + BLOCKING.replace("\n", "\r").encode(), "x.py")
    assert (source.encoding, source.newline) == ("iso-8859-1", "\r")
    assert "café" in source.text


def test_fix_edits_are_reported_for_statement_and_expression_fixes() -> None:
    text = ("import asyncio\nimport threading\n\nlock = threading.Lock()\n\n\nasync def main():\n"
            "    loop = (asyncio.get_event_loop())\n    async with lock:\n        print(loop)\n")
    result = check_source(decode_source(text.encode(), "x.py"), SETTINGS)
    edits = {f.code: f.fix.edits for f in result.findings if f.fix is not None}
    ((loop_edit,), (with_edit,)) = edits["CCY107"], edits["CCY106"]
    lines = text.splitlines()
    assert lines[loop_edit.start.line - 1][loop_edit.start.column - 1:loop_edit.end.column - 1] == "get_event_loop"
    assert loop_edit.content == "get_running_loop"
    assert lines[with_edit.start.line - 1][with_edit.start.column - 1:with_edit.end.column - 1] == "async "
    assert with_edit.content == ""
