"""The whole standard library of the running interpreter, tests included: no internal errors.

Its deliberately broken test files (bad syntax, bad coding cookies) must give CCY001/CCY002
and nothing else; every other file must be analysed without CCY003 or a traceback.
"""
from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

import pytest

from test_cli import concurlint_exe

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _cpython_rejects(path: Path) -> bool:
    try:
        data = path.read_bytes()
        compile(data, str(path), "exec", flags=0x400, dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
        return True
    return False


@pytest.mark.slow
def test_whole_stdlib_has_no_internal_errors() -> None:
    result = subprocess.run(
        [*concurlint_exe(), "check", "--isolated", "--preset", "all", "--output-format", "json",
         "--exclude", "site-packages", "--show-traceback", str(STDLIB)],
        capture_output=True, text=True, timeout=1800)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    document = json.loads(result.stdout)
    assert document["files_checked"] > 1000
    codes = {}
    for finding in document["findings"]:
        codes.setdefault(finding["code"], []).append(finding["path"])
    assert "CCY003" not in codes, codes.get("CCY003")[:20]
    parser_limits = {f["path"] for f in document["findings"]
                     if f["code"] == "CCY001" and f["message"].startswith("cannot parse: Python accepts")}
    broken = set(codes.get("CCY001", [])) | set(codes.get("CCY002", []))
    wrongly_broken = sorted(p for p in broken - parser_limits if not _cpython_rejects(Path(p)))
    assert not wrongly_broken, wrongly_broken[:20]
    # files libcst cannot parse are said to be a parser limit, never a syntax error; keep them rare
    assert all(not _cpython_rejects(Path(p)) for p in parser_limits)
    assert len(parser_limits) <= 5, sorted(parser_limits)
