"""The CI output formats (sarif, github, junit) and --output-file, through the real CLI."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner

from concurlint import cli, fileio
from concurlint.findings import Edit, Finding, Fix, Position, Text
from concurlint.reporters import REPORTERS, Report
from concurlint.reporters.github import escape_data, escape_property
from concurlint.reporters.sarif import HELP_URI
from concurlint.rules import ALL_RULES

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

BLOCKING = textwrap.dedent("""\
    import asyncio
    import time


    async def handler():
        time.sleep(1)
""")
CLEAN = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"
ODD_NAME = "odd dir/we&ird <näme>, 100%.py"


def concurlint_exe() -> list:
    exe = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "concurlint"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "CONCURLINT_LANG": "en"}
    return subprocess.run([*concurlint_exe(), *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def schema() -> dict:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(document)
    return document


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "service.py").write_text(BLOCKING)
    (tmp_path / "pkg" / "ok.py").write_text(CLEAN)
    (tmp_path / "odd dir").mkdir()
    (tmp_path / ODD_NAME).write_text(BLOCKING)
    return tmp_path


def validate(document: dict, schema: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


# ---------------------------------------------------------------------- sarif
def test_sarif_from_a_real_run_validates_against_the_official_schema(project: Path, schema: dict) -> None:
    result = run_cli("check", "--isolated", "--output-format", "sarif", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    validate(document, schema)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(ALL_RULES)
    results = run["results"]
    assert len(results) == 2
    uris = set()
    for res in results:
        assert res["ruleId"] == "CCY201"
        assert rules[res["ruleIndex"]]["id"] == "CCY201"
        assert res["level"] == "warning"  # CCY201 is in the suspicious group
        assert "time.sleep" in res["message"]["text"]
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uris.add(location["artifactLocation"]["uri"])
        assert location["region"] == {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 18}
        assert res["partialFingerprints"]["concurlint/v1"]
        change = res["fixes"][0]["artifactChanges"][0]
        assert change["artifactLocation"] == location["artifactLocation"]
        replacement = change["replacements"][0]
        assert replacement["deletedRegion"] == location["region"]
        assert "asyncio.sleep" in replacement["insertedContent"]["text"]
    assert "pkg/service.py" in uris
    odd = [u for u in uris if u != "pkg/service.py"][0]
    assert " " not in odd and "<" not in odd  # percent-encoded
    assert unquote(odd) == ODD_NAME
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


def test_sarif_rules_carry_docs_help_and_help_uri(project: Path, schema: dict) -> None:
    document = json.loads(run_cli("check", "--isolated", "--output-format", "sarif", "pkg/ok.py",
                                  cwd=project).stdout)
    validate(document, schema)
    run = document["runs"][0]
    assert run["results"] == []
    by_id = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    rule = by_id["CCY201"]
    assert rule["shortDescription"]["text"] == ALL_RULES["CCY201"].summary.en
    assert rule["fullDescription"]["text"] == ALL_RULES["CCY201"].what.en
    assert ALL_RULES["CCY201"].why.en.split()[0] in rule["help"]["text"]
    assert "```python" in rule["help"]["markdown"]
    assert rule["helpUri"] == HELP_URI.format(code="CCY201")
    assert rule["helpUri"] == "https://concurlint.readthedocs.io/en/latest/rules/CCY201.html"
    off = [code for code, r in ALL_RULES.items() if not r.default_on]
    for code in off:
        assert by_id[code]["defaultConfiguration"]["enabled"] is False


def test_sarif_handles_fixes_with_several_edits_and_odd_text(schema: dict, tmp_path: Path) -> None:
    path = str(tmp_path / "a.py")
    fix = Fix(Text("two edits"), False, (
        Edit(Position(1, 1), Position(1, 1), "import asyncio\n"),
        Edit(Position(3, 5), Position(3, 18), "await asyncio.sleep(1)  # \"quoted\" \x00"),
    ))
    finding = Finding(path, "CCY201", Text("odd \"message\" with\nnewline and \x1b escape"),
                      Position(3, 5), Position(3, 18), fix)
    tool = Finding(path, "CCY001", Text("syntax error"), Position(2, 1), Position(2, 1))
    report = Report([tool, finding], 1, extra={"root": str(tmp_path)})
    document = json.loads(REPORTERS["sarif"](report))
    validate(document, schema)
    results = document["runs"][0]["results"]
    assert results[0]["level"] == "error" and results[0]["ruleId"] == "CCY001"
    fixes = results[1]["fixes"][0]
    assert fixes["properties"]["applicability"] == "unsafe"
    assert len(fixes["artifactChanges"][0]["replacements"]) == 2


def test_sarif_file_outside_the_root_uses_an_absolute_uri(schema: dict, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text(BLOCKING)
    root = tmp_path / "root"
    root.mkdir()
    finding = Finding(str(outside), "CCY201", Text("m"), Position(6, 5), Position(6, 18))
    document = json.loads(REPORTERS["sarif"](Report([finding], 1, extra={"root": str(root)})))
    validate(document, schema)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": outside.as_uri()}


# ---------------------------------------------------------------------- github
ANNOTATION = re.compile(
    r"^::(?P<command>error|warning|notice) file=(?P<file>[^,]*),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<endLine>\d+),endColumn=(?P<endColumn>\d+),title=(?P<title>[^,:]*)::(?P<message>.*)$")


def test_github_annotations(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "github", ".", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("Found 2 problems in 2 files (4 files checked).")
    matches = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(matches), lines
    by_file = {m.group("file"): m for m in matches}
    assert set(by_file) == {"pkg/service.py", "odd dir/we&ird <näme>%2C 100%25.py"}
    m = by_file["pkg/service.py"]
    assert (m.group("line"), m.group("col"), m.group("endLine"), m.group("endColumn")) == ("6", "5", "6", "18")
    assert m.group("title") == "CCY201 blocking-sleep"
    assert m.group("command") == "warning"  # suspicious
    assert "time.sleep()" in m.group("message")


@pytest.mark.parametrize("code, command, level", [
    ("CCY101", "error", "error"),      # correctness
    ("CCY201", "warning", "warning"),  # suspicious
    ("CCY402", "notice", "note"),      # advice
    ("CCY001", "error", "error"),      # the tool could not parse the file
])
def test_severity_follows_the_rule_group(code: str, command: str, level: str, schema: dict) -> None:
    finding = Finding("x.py", code, Text("m"), Position(1, 2), Position(1, 3))
    assert REPORTERS["github"](Report([finding], 1)).startswith(f"::{command} file=x.py,")
    document = json.loads(REPORTERS["sarif"](Report([finding], 1)))
    validate(document, schema)
    assert document["runs"][0]["results"][0]["level"] == level
    rule = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}[code]
    assert rule["defaultConfiguration"]["level"] == level
    assert rule["defaultConfiguration"]["enabled"] is (ALL_RULES[code].group != "advice")
    item = json.loads(REPORTERS["json"](Report([finding], 1)))["findings"][0]
    assert (item["group"], item["severity"]) == (ALL_RULES[code].group, level)


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    finding = Finding("x.py", "CCY201", Text("50% of\nlines: bad, really"), Position(1, 2), Position(1, 3))
    out = REPORTERS["github"](Report([finding], 1)).splitlines()[0]
    assert out == ("::warning file=x.py,line=1,col=2,endLine=1,endColumn=3,"
                   "title=CCY201 blocking-sleep::50%25 of%0Alines: bad, really")


# ---------------------------------------------------------------------- junit
def test_junit_one_testcase_per_checked_file(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-format", "junit", ".", cwd=project)
    assert result.returncode == 1
    root = ET.fromstring(result.stdout.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "2"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"pkg/__init__.py", "pkg/ok.py", "pkg/service.py", ODD_NAME}
    assert cases["pkg/ok.py"].findall("failure") == []
    failure = cases["pkg/service.py"].find("failure")
    assert failure is not None and failure.get("type") == "CCY201"
    assert failure.text.startswith("pkg/service.py:6:5: CCY201 ")
    assert len(cases[ODD_NAME].findall("failure")) == 1


def test_junit_is_well_formed_for_hostile_messages_and_paths() -> None:
    nasty = "ctl \x00\x01\x1b ]]> <tag> & \"q\" 'a' \ud800 end"
    findings = [
        Finding("dir/<a&b>\x07.py", "CCY201", Text(nasty), Position(1, 1), Position(1, 2)),
        Finding("dir/<a&b>\x07.py", "CCY202", Text("second\nline"), Position(2, 1), Position(2, 2)),
    ]
    output = REPORTERS["junit"](Report(findings, 2, extra={"files": ["dir/<a&b>\x07.py", "clean.py"]}))
    output.encode("utf-8")  # no lone surrogates left
    root = ET.fromstring(output.encode("utf-8"))
    cases = root.find("testsuite").findall("testcase")
    assert [c.get("name") for c in cases] == ["dir/<a&b>\ufffd.py", "clean.py"]
    failures = cases[0].findall("failure")
    assert len(failures) == 1  # one failure per test case, listing both findings
    assert failures[0].get("type") == "CCY201,CCY202"
    assert "]]> <tag> & \"q\" 'a'" in failures[0].get("message")
    assert failures[0].get("message").endswith(" (and 1 more)")
    assert len(failures[0].text.splitlines()) == 3  # the second message spans two lines
    assert root.get("tests") == "2" and root.get("failures") == "1"


# ---------------------------------------------------------------------- --output-file
def test_output_file_gets_the_report_and_terminal_the_summary(project: Path, schema: dict) -> None:
    plain = run_cli("check", "--isolated", "--output-format", "sarif", ".", cwd=project)
    (project / "out").mkdir()
    result = run_cli("check", "--isolated", "--output-format", "sarif", "--output-file",
                     "out/report.sarif", ".", cwd=project)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("Found 2 problems in 2 files (4 files checked).")
    written = (project / "out" / "report.sarif").read_text(encoding="utf-8")
    assert json.loads(written) == json.loads(plain.stdout)
    validate(json.loads(written), schema)
    assert os.listdir(project / "out") == ["report.sarif"]  # no temporary file left


def test_output_file_in_a_missing_directory_is_a_one_line_error(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-file", "missing/dir/report.json",
                     "--output-format", "json", ".", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concurlint: error: cannot write output file")
    assert not (project / "missing").exists()


def test_output_file_failed_write_leaves_the_old_file_intact(project: Path, monkeypatch) -> None:
    target = project / "report.json"
    target.write_text("old report\n")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", failing_replace)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli.main, ["check", "--isolated", "--output-format", "json",
                                           "--output-file", str(target), "pkg/service.py"])
    assert result.exit_code == 2
    assert "cannot write output file" in result.output and "No space left" in result.output
    assert target.read_text() == "old report\n"
    assert [n for n in os.listdir(project) if n.startswith(".concurlint-")] == []  # no temp file


def test_output_file_that_is_a_directory_is_a_one_line_error(project: Path) -> None:
    result = run_cli("check", "--isolated", "--output-file", "pkg", ".", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "concurlint: error: cannot write output file 'pkg': it is a directory"
    assert result.stdout == ""
