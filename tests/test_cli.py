"""The installed console script: options, formats and exit codes, as a user sees them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BLOCKING = textwrap.dedent("""\
    import time


    async def handler():
        time.sleep(1)
""")
CLEAN = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"


def concurlint_exe() -> list:
    exe = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "concurlint"]


def run_cli(*args: str, cwd: Path, stdin: str = None, env: dict = None):
    environment = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en", **(env or {})}
    return subprocess.run([*concurlint_exe(), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=environment, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(BLOCKING)
    (tmp_path / "ok.py").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_and_concise_line(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "concise", "app.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("app.py:5:5: CCY201 ")
    assert "Found 1 problem in 1 file (1 file checked)." in result.stdout
    assert result.stderr == ""


def test_clean_exit_0(project: Path) -> None:
    result = run_cli("check", "--isolated", "ok.py", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "All checks passed! (1 file checked)" in result.stdout


def test_default_path_is_current_directory(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "concise", cwd=project)
    assert result.returncode == 1
    assert "(2 files checked)" in result.stdout


def test_full_format_shows_source_and_caret(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "full", "app.py", cwd=project)
    lines = result.stdout.splitlines()
    assert "5 |     time.sleep(1)" in lines
    caret_line = lines[lines.index("5 |     time.sleep(1)") + 1]
    assert caret_line.endswith("    " + "^" * len("time.sleep(1)"))


def test_json_schema(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "json", ".", cwd=project)
    document = json.loads(result.stdout)
    assert document["tool"] == "concurlint" and document["files_checked"] == 2
    (finding,) = document["findings"]
    assert {k: finding[k] for k in ("code", "name", "path", "line", "column", "end_line", "end_column")} == {
        "code": "CCY201", "name": "blocking-sleep", "path": "app.py",
        "line": 5, "column": 5, "end_line": 5, "end_column": 18}
    assert "fix" in finding


def test_exit_zero(project: Path) -> None:
    result = run_cli("check", "--isolated", "--exit-zero", "app.py", cwd=project)
    assert result.returncode == 0 and "CCY201" in result.stdout


def test_select_ignore_and_prefixes(project: Path) -> None:
    assert run_cli("check", "--isolated", "--select", "CCY1", "app.py", cwd=project).returncode == 0
    assert run_cli("check", "--isolated", "--select", "CCY2", "app.py", cwd=project).returncode == 1
    assert run_cli("check", "--isolated", "--ignore", "CCY201", "app.py", cwd=project).returncode == 0
    assert run_cli("check", "--isolated", "--select", "CCY1", "--extend-select", "CCY201",
                   "app.py", cwd=project).returncode == 1


def test_unknown_code_is_usage_error(project: Path) -> None:
    result = run_cli("check", "--isolated", "--select", "CCY999", "app.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("concurlint: error: ") and "CCY201" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_missing_path_is_usage_error(project: Path) -> None:
    result = run_cli("check", "nope.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "concurlint: error: path 'nope.py' does not exist"


def test_unknown_option_is_usage_error(project: Path) -> None:
    result = run_cli("check", "--frobnicate", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_statistics(project: Path) -> None:
    result = run_cli("check", "--isolated", "--statistics", "--output-format", "concise", ".", cwd=project)
    assert result.stdout.splitlines()[-1].split() == ["1", "CCY201", "blocking-sleep"]


def test_stdin_with_filename(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "concise", "--stdin-filename",
                     "svc/handler.py", "-", cwd=project, stdin=BLOCKING)
    assert result.returncode == 1
    assert result.stdout.startswith("svc/handler.py:5:5: CCY201 ")


def test_stdin_default_name(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "concise", "-", cwd=project, stdin=BLOCKING)
    assert result.stdout.startswith("<stdin>:5:5: CCY201 ")


def test_noqa_variants(project: Path) -> None:
    (project / "app.py").write_text(textwrap.dedent("""\
        import time


        async def a():
            time.sleep(1)  # noqa
            time.sleep(2)  # noqa: CCY201
            time.sleep(3)  # noqa:CCY201,CCY204
            time.sleep(4)  # noqa: CCY204
            time.sleep(5)  # NOQA:CCY2
    """))
    result = run_cli("check", "--isolated", "--output-format", "concise", "app.py", cwd=project)
    assert [line.split(":")[1] for line in result.stdout.splitlines()[:-1]] == ["8"]


def test_version_and_help(project: Path) -> None:
    from concurlint import __version__

    result = run_cli("--version", cwd=project)
    assert result.returncode == 0 and __version__ in result.stdout
    assert run_cli("check", "--help", cwd=project).returncode == 0


def test_rules_lists_every_rule(project: Path) -> None:
    from concurlint.rules import ALL_RULES

    result = run_cli("rules", cwd=project)
    assert result.returncode == 0
    for code, rule in ALL_RULES.items():
        assert f"{code}  {rule.name}" in result.stdout
    data = json.loads(run_cli("rules", "--output-format", "json", cwd=project).stdout)
    assert [r["code"] for r in data] == list(ALL_RULES)


def test_rule_explanation(project: Path) -> None:
    result = run_cli("rule", "CCY201", cwd=project)
    assert result.returncode == 0
    assert result.stdout.split()[:2] == ["CCY201", "blocking-sleep"]
    bad = run_cli("rule", "CCY999", cwd=project)
    assert bad.returncode == 2 and "unknown rule code" in bad.stderr


def test_unreadable_and_syntax_error_files_do_not_stop_the_run(project: Path) -> None:
    (project / "broken.py").write_text("async def f(:\n    pass\n")
    (project / "latin.py").write_bytes(b"# -*- coding: klingon -*-\nx = 1\n")
    (project / "pkg.py").mkdir()  # a directory named like a module is walked, not read
    (project / "pkg.py" / "inner.py").write_text(BLOCKING)
    result = run_cli("check", "--isolated", "--output-format", "concise", ".", cwd=project)
    out = result.stdout
    assert result.returncode == 1
    assert "broken.py:1:13: CCY001 syntax error: invalid syntax" in out
    assert "latin.py:1:1: CCY002 cannot read file: unknown encoding: klingon" in out
    assert "pkg.py/inner.py:5:5: CCY201" in out
    assert "app.py:5:5: CCY201" in out


def test_directory_and_broken_link_as_files_are_ccy002(tmp_path: Path) -> None:
    from concurlint.config import Settings
    from concurlint.engine import check_path

    (tmp_path / "d.py").mkdir()
    (tmp_path / "link.py").symlink_to(tmp_path / "missing.py")
    for name, reason in (("d.py", "is a directory"), ("link.py", "no such file")):
        (finding,) = check_path(str(tmp_path / name), Settings()).findings
        assert finding.code == "CCY002" and reason in finding.message.en
