"""Issue 16, item 9: the CI formats through the real CLI — GitLab Code Quality,
JUnit counts (one failure per test case), FORCE_COLOR / NO_COLOR."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Optional

import jsonschema
import pytest

SCHEMA = Path(__file__).parent / "data" / "gitlab-codequality-schema.json"
TWO_FINDINGS = textwrap.dedent("""\
    import asyncio
    import time


    async def handler():
        time.sleep(1)
        time.sleep(2)
        asyncio.sleep(3)
""")
ONE_FINDING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"


def run_cli(*args: str, cwd: Path, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    exe = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update({"CONCURLINT_LANG": "en", **(env or {})})
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "many.py").write_text(TWO_FINDINGS)
    (tmp_path / "app" / "one.py").write_text(ONE_FINDING)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    (tmp_path / "app" / "broken.py").write_text("async def f(:\n")
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    return tmp_path


# ---------------------------------------------------------------------- gitlab
def test_gitlab_report_has_the_documented_fields(project: Path) -> None:
    result = run_cli("check", "--output-format", "gitlab", "app", cwd=project)
    assert result.returncode == 1, result.stderr
    issues = json.loads(result.stdout)
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(issues)
    concise = run_cli("check", "--output-format", "concise", "app", cwd=project).stdout.splitlines()[:-1]
    assert len(issues) == len(concise) == 5  # 3 in many.py, 1 in one.py, the syntax error
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_place = {(i["location"]["path"], i["location"]["lines"]["begin"], i["check_name"]): i for i in issues}
    sleep = by_place[("app/one.py", 5, "CCY201")]
    assert sleep["severity"] == "minor"  # suspicious
    assert sleep["description"].startswith("CCY201 'time.sleep()' blocks the event loop")
    assert by_place[("app/many.py", 8, "CCY101")]["severity"] == "major"  # correctness: a real bug
    assert by_place[("app/broken.py", 1, "CCY001")]["severity"] == "critical"  # the file went unchecked


def test_gitlab_fingerprints_survive_moved_lines_and_no_findings_is_an_empty_list(project: Path) -> None:
    before = json.loads(run_cli("check", "--output-format", "gitlab", "app/one.py", cwd=project).stdout)
    (project / "app" / "one.py").write_text("# a comment above\n\n" + ONE_FINDING)
    after = json.loads(run_cli("check", "--output-format", "gitlab", "app/one.py", cwd=project).stdout)
    assert [i["location"]["lines"]["begin"] for i in (before + after)] == [5, 7]
    assert before[0]["fingerprint"] == after[0]["fingerprint"]
    clean = run_cli("check", "--output-format", "gitlab", "app/clean.py", cwd=project)
    assert clean.returncode == 0 and json.loads(clean.stdout) == []


def test_gitlab_report_in_chinese_and_to_a_file(project: Path) -> None:
    result = run_cli("check", "--output-format", "gitlab", "--lang", "zh", "--output-file", "gl.json",
                     "app/one.py", cwd=project)
    assert result.returncode == 1
    [issue] = json.loads((project / "gl.json").read_text(encoding="utf-8"))
    assert "事件循环" in issue["description"]


# ---------------------------------------------------------------------- junit
def test_junit_counts_failing_test_cases_not_findings(project: Path) -> None:
    result = run_cli("check", "--output-format", "junit", "app", cwd=project)
    suite = ET.fromstring(result.stdout.encode()).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("4", "3")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert [len(c.findall("failure")) for c in cases.values()].count(1) == 3
    [many] = cases["app/many.py"].findall("failure")
    assert many.get("type") == "CCY201,CCY101"
    assert many.get("message").endswith("(and 2 more)")
    assert [line.split(": ")[1].split()[0] for line in many.text.splitlines()] == ["CCY201", "CCY201", "CCY101"]
    assert cases["app/clean.py"].findall("failure") == []


# ---------------------------------------------------------------------- colour
ESC = "\x1b["


@pytest.mark.parametrize("env, args, coloured", [
    ({}, [], False),                                   # not a terminal
    ({"FORCE_COLOR": "1"}, [], True),
    ({"FORCE_COLOR": ""}, [], False),                  # empty counts as unset (force-color.org)
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
    ({"FORCE_COLOR": "1"}, ["--no-color"], False),     # the option wins
    ({"NO_COLOR": "1"}, ["--color"], True),
])
def test_force_color_and_no_color(project: Path, env, args, coloured: bool) -> None:
    result = run_cli("check", "app/one.py", *args, cwd=project, env=env)
    assert result.returncode == 1
    assert "CCY201" in result.stdout
    assert (ESC in result.stdout) is coloured


def test_force_color_reaches_rule_explanations(project: Path) -> None:
    assert ESC in run_cli("rule", "CCY201", cwd=project, env={"FORCE_COLOR": "1"}).stdout
    assert ESC not in run_cli("rule", "CCY201", cwd=project).stdout
