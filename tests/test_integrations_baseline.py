"""Baselines: --write-baseline, --baseline, ``baseline =`` in config, fingerprints."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from concurlint import baseline
from concurlint.findings import Finding, Position, Text

LEGACY = textwrap.dedent("""\
    import time


    async def poll(client):
        while True:
            await client.tick()
            time.sleep(5)
""")

NEW_PITFALL = textwrap.dedent("""\


    async def refresh(cache):
        time.sleep(1)
        await cache.reload()
""")


def concurlint_exe() -> list:
    exe = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "concurlint"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    return subprocess.run([*concurlint_exe(), *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def findings_of(result: subprocess.CompletedProcess) -> list:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\nselect = ['CCY201']\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text(LEGACY)
    (tmp_path / "app" / "jobs.py").write_text(LEGACY.replace("poll", "drain"))
    return tmp_path


def test_round_trip_write_clean_then_one_new_finding(project: Path) -> None:
    write = run_cli("check", "--write-baseline", "concurlint-baseline.json", cwd=project)
    assert write.returncode == 0, write.stderr
    assert write.stdout.strip() == "Wrote 2 findings to the baseline 'concurlint-baseline.json'."
    recorded = json.loads((project / "concurlint-baseline.json").read_text())
    assert {(e["path"], e["code"]) for e in recorded["findings"]} == {
        ("app/worker.py", "CCY201"), ("app/jobs.py", "CCY201")}

    clean = run_cli("check", "--baseline", "concurlint-baseline.json", cwd=project)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "2 known findings hidden by the baseline." in clean.stdout

    worker = project / "app" / "worker.py"
    worker.write_text(LEGACY + NEW_PITFALL)
    new = run_cli("check", "--baseline", "concurlint-baseline.json", "--output-format", "json",
                  cwd=project)
    assert new.returncode == 1
    assert findings_of(new) == [("app/worker.py", 11, "CCY201")]
    assert "2 known findings hidden by the baseline." in new.stderr  # json stays parseable


def test_shifted_and_reindented_findings_stay_hidden(project: Path) -> None:
    assert run_cli("check", "--write-baseline", "base.json", cwd=project).returncode == 0
    worker = project / "app" / "worker.py"
    shifted = '"""Worker loop."""\nimport logging\n\nlog = logging.getLogger(__name__)\n\n' + LEGACY
    worker.write_text(shifted)
    jobs = project / "app" / "jobs.py"
    body = LEGACY.replace("poll", "drain").replace("import time\n", "")
    jobs.write_text("import time\n\n\nclass Jobs:" + textwrap.indent(body, "    "))
    result = run_cli("check", "--baseline", "base.json", "--output-format", "concise", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "2 known findings hidden by the baseline." in result.stdout


def test_edit_next_to_a_known_finding_keeps_it_hidden(project: Path) -> None:
    assert run_cli("check", "--write-baseline", "base.json", cwd=project).returncode == 0
    worker = project / "app" / "worker.py"
    worker.write_text(LEGACY.replace("await client.tick()", "await client.tick(fast=True)")
                      + "    log.info('polled')\n")
    result = run_cli("check", "--baseline", "base.json", "--output-format", "concise", cwd=project)
    assert result.returncode == 0, result.stdout


def test_fixed_findings_are_counted(project: Path) -> None:
    assert run_cli("check", "--write-baseline", "base.json", cwd=project).returncode == 0
    (project / "app" / "jobs.py").write_text(LEGACY.replace("time.sleep(5)", "await asyncio.sleep(5)"))
    result = run_cli("check", "--baseline", "base.json", "--output-format", "concise", cwd=project)
    assert result.returncode == 0
    assert ("1 known finding hidden by the baseline; 1 baseline finding no longer occurs"
            in result.stdout)
    # checking only one file does not claim the other file's findings were fixed
    only = run_cli("check", "--baseline", "base.json", "--output-format", "concise",
                   "app/worker.py", cwd=project)
    assert "no longer occur" not in only.stdout


def test_duplicates_need_one_entry_each(project: Path) -> None:
    source = "import time\n\n\nasync def a():\n    time.sleep(1)\n"
    (project / "app" / "jobs.py").write_text(source)
    assert run_cli("check", "--write-baseline", "base.json", cwd=project).returncode == 0
    # the same code a second time: same context, so only the occurrence index differs
    (project / "app" / "jobs.py").write_text(source + "\n\nasync def a():\n    time.sleep(1)\n")
    result = run_cli("check", "--baseline", "base.json", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    assert len(findings_of(result)) == 1


def test_baseline_from_config_and_from_another_directory(project: Path) -> None:
    assert run_cli("check", "--write-baseline", "ci/baseline.json", cwd=project).returncode == 2
    (project / "ci").mkdir()
    assert run_cli("check", "--write-baseline", "ci/baseline.json", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text(
        "[tool.concurlint]\nselect = ['CCY201']\nbaseline = 'ci/baseline.json'\n")
    sub = project / "app"
    result = run_cli("check", "--output-format", "concise", ".", cwd=sub)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 known findings hidden" in result.stdout
    (sub / "worker.py").write_text(LEGACY + NEW_PITFALL)
    result = run_cli("check", "--output-format", "concise", "worker.py", cwd=sub)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("worker.py:11:5: CCY201")


def test_baseline_without_config_works_from_another_directory(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(LEGACY)
    (tmp_path / "sub").mkdir()
    assert run_cli("check", "--isolated", "--write-baseline", "base.json", cwd=tmp_path).returncode == 0
    result = run_cli("check", "--isolated", "--baseline", "../base.json", "..", cwd=tmp_path / "sub")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("{not json", "is not valid JSON"),
    ('{"tool": "other", "findings": []}', "is not a concurlint baseline"),
    ('{"tool": "concurlint", "baseline_version": 99, "findings": []}', "has version 99"),
    ('{"tool": "concurlint", "baseline_version": 1, "findings": [{"path": 1}]}', "entry 1"),
])
def test_missing_or_corrupt_baseline_is_a_one_line_error(project: Path, content, message) -> None:
    if content is not None:
        (project / "base.json").write_text(content)
    result = run_cli("check", "--baseline", "base.json", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("concurlint: error:")


def test_write_baseline_cannot_be_partial(project: Path) -> None:
    result = run_cli("check", "--write-baseline", "b.json", "--shard", "1/2", cwd=project)
    assert result.returncode == 2 and "cannot be combined" in result.stderr
    assert not (project / "b.json").exists()


# ---------------------------------------------------------------------- unit level
def _finding(line: int, code: str = "CCY201", path: str = "m.py") -> Finding:
    return Finding(path, code, Text("m"), Position(line, 5), Position(line, 18))


def test_fingerprint_ignores_line_numbers_and_indentation() -> None:
    a = ["import time", "", "async def f():", "    time.sleep(1)"]
    b = ["# header", "import time", "", "", "class C:", "  async def f():", "      time.sleep(1)", ""]
    fa = baseline.fingerprints([_finding(4)], lambda p: a)
    fb = baseline.fingerprints([_finding(7)], lambda p: b)
    assert fa == fb
    assert fa[0].endswith(":0")


def test_fingerprint_depends_on_code_and_content() -> None:
    lines = ["async def f():", "    time.sleep(1)", "    time.sleep(2)"]
    prints = baseline.fingerprints([_finding(2), _finding(3), _finding(2, "CCY202")], lambda p: lines)
    assert len(set(prints)) == 3


def test_occurrence_index_tells_identical_contexts_apart() -> None:
    lines = ["async def f():", "    time.sleep(1)", "", "async def f():", "    time.sleep(1)", ""]
    lines = lines + lines  # the same pair of lines with the same neighbours, twice
    findings = [_finding(2), _finding(5), _finding(8), _finding(11)]
    prints = baseline.fingerprints(findings, lambda p: lines)
    assert len(set(prints)) == 4
    # lines 2, 5 and 8 have the same neighbours; line 11 is the last one (no line below)
    assert [p.rsplit(":", 1)[1] for p in prints] == ["0", "1", "2", "0"]
    assert len({p.rsplit(":", 1)[0] for p in prints}) == 2
