"""``github``: GitHub Actions workflow commands, shown as annotations on the pull request.

    ::warning file=app/db.py,line=12,col=5,endLine=12,endColumn=18,title=CCY201 blocking-sleep::message

The command follows the rule's severity: ``error`` (correctness), ``warning``
(suspicious), ``notice`` (advice).

Values are escaped as the Actions runner expects: in the message ``%``, CR and
LF become ``%25``, ``%0D`` and ``%0A``; property values additionally escape
``:`` and ``,`` (``%3A``, ``%2C``). Paths are relative to the working
directory (the checkout, in a workflow) when the file is inside it. The last
line is the usual summary, which the runner prints as plain log output.
"""
from __future__ import annotations

import os

from . import Report, reporter
from .text import summary_line
from ..findings import Finding


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _path(path: str) -> str:
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, os.getcwd())
    except ValueError:  # another drive on Windows
        rel = absolute
    if rel == ".." or rel.startswith(".." + os.sep):
        rel = absolute
    return rel.replace(os.sep, "/")


# concurlint severity -> workflow command
COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def annotation(finding: Finding, lang: str = "en") -> str:
    from ..catalog import rule_name, severity_of

    name = rule_name(finding.code)
    title = f"{finding.code} {name}" if name != finding.code else finding.code
    end_line, end_column = finding.end.line, finding.end.column
    if (end_line, end_column) < (finding.start.line, finding.start.column):
        end_line, end_column = finding.start.line, finding.start.column
    properties = [
        ("file", _path(finding.path)),
        ("line", str(finding.start.line)),
        ("col", str(finding.start.column)),
        ("endLine", str(end_line)),
        ("endColumn", str(end_column)),
        ("title", title),
    ]
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    command = COMMANDS[severity_of(finding.code)]
    return f"::{command} {props}::{escape_data(finding.message.get(lang))}"


@reporter("github")
def github_report(report: Report) -> str:
    lines = [annotation(f, report.lang) for f in report.findings]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
