"""``junit``: JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One ``<testcase>`` per checked file (named by its path, passing when it has no
findings), inside one ``<testsuite name="concurlint">``. A failing file has one
``<failure>`` (JUnit allows one per test case, and ``failures`` counts failing test
cases): its ``type`` is the codes found, its ``message`` the first finding and the
count, its text every finding, one per line. Characters XML 1.0 cannot carry (control characters,
unpaired surrogates from undecodable file names) are replaced, so the document
is well-formed whatever the messages and paths contain.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import OrderedDict
from typing import Dict, List

from . import Report, reporter
from ..discovery import display_path
from ..findings import Finding, Text

_AND_MORE = Text("{first} (and {count} more)")

# Everything outside XML 1.0's Char production.
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _name(path: str) -> str:
    return clean(display_path(path))


@reporter("junit")
def junit_report(report: Report) -> str:
    files = report.extra.get("files")
    cases: "OrderedDict[str, List[Finding]]" = OrderedDict()
    for path in (files if isinstance(files, (list, tuple)) else []):
        cases.setdefault(_name(str(path)), [])
    for finding in report.findings:
        cases.setdefault(_name(finding.path), []).append(finding)
    failures = sum(1 for v in cases.values() if v)
    counts: Dict[str, str] = {
        "tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": "0",
        "time": "0",
    }
    suites = ET.Element("testsuites", {"name": "concurlint", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "concurlint", **counts})
    for path, findings in cases.items():
        case = ET.SubElement(suite, "testcase", {
            "classname": "concurlint", "name": path, "file": path, "time": "0"})
        if not findings:
            continue
        lines = [f"{path}:{f.start.line}:{f.start.column}: {f.code} {clean(f.message.get(report.lang))}"
                 for f in findings]
        first = f"{findings[0].code} {clean(findings[0].message.get(report.lang))}"
        if len(findings) > 1:
            first = _AND_MORE.format(first=first, count=len(findings) - 1).get(report.lang)
        codes = ",".join(dict.fromkeys(f.code for f in findings))
        failure = ET.SubElement(case, "failure", {"type": codes, "message": first})
        failure.text = "\n".join(lines)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
