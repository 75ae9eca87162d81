"""``gitlab``: GitLab Code Quality JSON (``artifacts: reports: codequality``).

A JSON array with one issue per finding, using the fields GitLab documents for its
Code Quality widget (https://docs.gitlab.com/ci/testing/code_quality/, "Code Quality
report format"): ``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location.path`` / ``location.lines.begin``. Paths are relative to the config root
(run concurlint from the repository root, as GitLab expects repository paths).

The fingerprint is the baseline fingerprint (the code and the text around the
finding, not its line number) joined with the path, so an issue keeps its identity
when lines above it move, and two issues never share one: GitLab shows only the
first issue of a fingerprint and compares branches by it.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict

from . import Report, reporter
from ..baseline import fingerprints, relative_path
from ..catalog import group_of

# concurlint group -> GitLab severity (info, minor, major, critical, blocker). A
# correctness finding is a real bug; a tool finding (a file that could not be checked)
# hides everything in that file, hence critical.
SEVERITY: Dict[str, str] = {"correctness": "major", "suspicious": "minor", "advice": "info"}
TOOL_SEVERITY = {"CCY001": "critical", "CCY002": "critical", "CCY003": "critical", "CCY004": "minor"}


def severity_for(code: str) -> str:
    return TOOL_SEVERITY.get(code) or SEVERITY[group_of(code)]


@reporter("gitlab")
def gitlab_report(report: Report) -> str:
    root = str(report.extra.get("root") or os.getcwd())
    findings = list(report.findings)
    issues = []
    for finding, fingerprint in zip(findings, fingerprints(findings, report.lines)):
        path = relative_path(finding.path, root)
        identity = f"{path}\0{finding.code}\0{fingerprint}".encode("utf-8", "surrogateescape")
        issue: Dict[str, Any] = {
            "description": f"{finding.code} {finding.message.get(report.lang)}",
            "check_name": finding.code,
            "fingerprint": hashlib.sha256(identity).hexdigest()[:32],
            "severity": severity_for(finding.code),
            "location": {"path": _text(path), "lines": {
                "begin": finding.start.line, "end": max(finding.end.line, finding.start.line)}},
        }
        issues.append(issue)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _text(path: str) -> str:
    """A path with undecodable bytes (surrogate escapes) as valid JSON text."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
