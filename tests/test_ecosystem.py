"""The ecosystem check's own machinery (benchmarks/ecosystem/ecosystem.py): the pinned
project list, the ledger of reviewed findings, scoring, unpacking, and a real run and
diff on a small local project (the real projects are downloaded on demand, never here)."""
from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import tarfile
import zipfile
from contextlib import redirect_stdout
from pathlib import Path
from typing import List

import pytest

from concurlint.catalog import CODES, group_of

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "ecosystem" / "ecosystem.py"


@pytest.fixture(scope="module")
def eco():
    spec = importlib.util.spec_from_file_location("ecosystem", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def entry(**overrides) -> dict:
    base = {"project": "demo", "version": "1.0", "path": "demo/app.py", "line": 10, "column": 5,
            "code": "CCY201", "hash": "abc", "verdict": "real", "reason": "blocks the loop"}
    base.update(overrides)
    return base


def finding(**overrides) -> dict:
    base = {"project": "demo", "version": "1.0", "path": "demo/app.py", "line": 10, "column": 5,
            "code": "CCY201", "hash": "abc", "message": "m", "default": True}
    base.update(overrides)
    return base


# ------------------------------------------------------------------ the committed data
def test_at_least_25_pinned_projects(eco) -> None:
    projects = eco.load_projects()
    assert len(projects) >= 25
    assert len({p.name for p in projects}) == len(projects)
    for project in projects:
        assert re.fullmatch(r"\d+(\.\d+)+", project.version), project


def test_the_committed_ledger_is_valid_and_refers_to_the_pinned_projects(eco) -> None:
    entries = eco.load_ledger()
    versions = {p.name: p.version for p in eco.load_projects()}
    assert entries, "the ledger is empty"
    keys = set()
    for item in entries:
        assert versions.get(item["project"]) == item["version"], item
        assert item["code"] in CODES, item
        key = (item["project"], item["path"], item["line"], item["column"], item["code"])
        assert key not in keys, f"reviewed twice: {key}"
        keys.add(key)


def test_the_precision_page_matches_the_catalog() -> None:
    page = (ROOT / "docs" / "precision.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[(CCY\d{3})\]\([^)]*\) \| [\w-]+ \| (\w+) \|", page, re.MULTILINE)
    assert rows, "no rule rows in docs/precision.md"
    for code, group in rows:
        assert group == group_of(code), f"{code}: regenerate docs/precision.md"
    assert {code for code, _ in rows} == {c for c in CODES if not c.startswith("CCY0")}


# ------------------------------------------------------------------ ledger and scores
def test_a_verdict_follows_its_line_when_the_line_moves(eco) -> None:
    ledger = eco.Ledger([entry(line=10), entry(line=40, verdict="wrong", reason="r")])
    matched = ledger.match([finding(line=12), finding(line=41), finding(line=90)])
    assert [m["verdict"] if m else None for m in matched] == ["real", "wrong", None]
    # another code, path or line text is another finding
    assert ledger.match([finding(code="CCY204")]) == [None]
    assert ledger.match([finding(hash="zzz")]) == [None]


def test_score_and_admission(eco) -> None:
    findings = [finding(line=n, hash=str(n)) for n in range(25)]
    findings.append(finding(line=99, hash="99", default=False))  # only under --preset strict
    entries = [entry(line=n, hash=str(n)) for n in range(20)]
    entries += [entry(line=n, hash=str(n), verdict="intended", reason="r") for n in range(20, 24)]
    entries += [entry(line=24, hash="24", verdict="wrong", reason="r")]
    entries += [entry(line=99, hash="99", verdict="wrong", reason="r")]
    scores = eco.score(findings, eco.Ledger(entries).match(findings))
    rule = scores.default["CCY201"]
    assert (rule.findings, rule.real, rule.intended, rule.wrong) == (25, 20, 4, 1)
    assert rule.admitted  # 80 % real, 4 % wrong: the strict-only finding does not count
    assert (scores.strict["CCY201"].findings, scores.strict["CCY201"].wrong) == (26, 2)
    assert scores.total("default").real == 20
    entries[0] = entry(line=0, hash="0", verdict="wrong", reason="r")
    rule = eco.score(findings, eco.Ledger(entries).match(findings)).default["CCY201"]
    assert not rule.admitted  # 8 % wrong


@pytest.mark.parametrize("bad, message", [
    ({"verdict": "maybe"}, "verdict must be one of real, wrong, intended"),
    ({"reason": "  "}, "needs a one-line reason"),
    ({"hash": None}, None),
])
def test_record_validates_and_merges(eco, tmp_path: Path, monkeypatch, bad: dict, message) -> None:
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setattr(eco, "LEDGER_FILE", ledger)
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(entry()) + "\n" + json.dumps(entry(line=3, hash="h3")) + "\n")
    with redirect_stdout(io.StringIO()):
        assert eco.main(["record", str(first)]) == 0
    assert [e["line"] for e in eco.load_ledger(ledger)] == [3, 10]  # sorted by place
    second = tmp_path / "second.jsonl"
    item = entry(verdict="wrong", reason="actually fine")
    if message is None:
        del item["hash"]
        message = "missing field"
    else:
        item.update(bad)
    second.write_text(json.dumps(item) + "\n")
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stderr", err)
        assert eco.main(["record", str(second)]) == 2
    assert message in err.getvalue()
    second.write_text(json.dumps(entry(verdict="wrong", reason="re-reviewed")) + "\n")
    out = io.StringIO()
    with redirect_stdout(out):
        assert eco.main(["record", str(second)]) == 0
    assert "0 added, 1 replaced, 2 in all" in out.getvalue()
    assert [e["verdict"] for e in eco.load_ledger(ledger)] == ["real", "wrong"]


# ------------------------------------------------------------------ unpacking
def test_unpack_keeps_python_files_only(eco, tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zipped:
        zipped.writestr("demo/__init__.py", "x = 1\n")
        zipped.writestr("demo/data.json", "{}")
        zipped.writestr("demo-1.0.dist-info/METADATA", "")
        zipped.writestr("../evil.py", "")
    eco._unpack(wheel, tmp_path / "w")
    assert sorted(str(p.relative_to(tmp_path / "w")) for p in (tmp_path / "w").rglob("*") if p.is_file()) == [
        "demo/__init__.py"]
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tarred:
        for name, text in (("demo-1.0/demo/core.py", b"y = 2\n"), ("demo-1.0/README", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tarred.addfile(info, io.BytesIO(text))
    eco._unpack(sdist, tmp_path / "s")
    assert (tmp_path / "s" / "demo" / "core.py").read_text() == "y = 2\n"
    assert not (tmp_path / "s" / "README").exists()


# ------------------------------------------------------------------ a real run
SERVICE = '''\
import asyncio
import time


async def poll():
    time.sleep(1)
    await asyncio.sleep(1)
'''


@pytest.fixture
def local_project(eco, tmp_path: Path, monkeypatch):
    """A pinned project that is already unpacked (no download) in a private cache."""
    monkeypatch.setattr(eco, "CACHE", tmp_path / "cache")
    projects = tmp_path / "projects.toml"
    projects.write_text('[[project]]\nname = "demo"\nversion = "1.0"\n')
    monkeypatch.setattr(eco, "PROJECTS_FILE", projects)
    monkeypatch.setattr(eco, "LEDGER_FILE", tmp_path / "ledger.jsonl")
    source = eco.Project("demo", "1.0").source_dir
    (source / "demo").mkdir(parents=True)
    (source / "demo" / "__init__.py").write_text("")
    (source / "demo" / "svc.py").write_text(SERVICE)
    (source / ".complete").write_text("local\n")
    return source


@pytest.mark.integration
def test_check_runs_concurlint_and_lists_unreviewed_findings(eco, local_project: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert eco.main(["check", "--quiet", "--unreviewed"]) == 0
    text = out.getvalue()
    assert re.search(r"demo\s+1\.0\s+1 \|\s+1\s+CCY201x1", text), text
    assert "Not yet reviewed (default set): 1" in text
    assert "demo/demo/svc.py:6:5: CCY201" in text


@pytest.mark.integration
def test_diff_against_the_committed_revision(eco, local_project: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert eco.main(["diff", "--base", "HEAD", "--quiet", "--strict"]) == 0
    lines: List[str] = out.getvalue().splitlines()
    assert lines[0].startswith("HEAD (") and "-> working tree, 1 projects, every rule" in lines[0]
    assert "removed: 0" in lines and "added: 0" in lines, lines
