"""``json``: a stable, documented schema (see docs/output-formats.md).

{
  "tool": "concurlint", "version": "0.1.0", "schema_version": 1,
  "files_checked": 3,
  "findings": [
    {"code": "CCY201", "name": "blocking-sleep", "group": "suspicious", "severity": "warning",
     "message": "...", "path": "app.py",
     "line": 6, "column": 5, "end_line": 6, "end_column": 18,
     "fix": null | {"title": "...", "applicability": "safe"|"unsafe",
                    "edits": [{"line", "column", "end_line", "end_column", "content"}]}}
  ]
}
Lines and columns are 1-based; columns count characters; the end is exclusive.
"""
from __future__ import annotations

import json

from . import Report, reporter
from .. import __version__

SCHEMA_VERSION = 1


@reporter("json")
def json_report(report: Report) -> str:
    document = {
        "tool": "concurlint",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "files_checked": report.files_checked,
        "findings": [f.to_dict(report.lang) for f in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
