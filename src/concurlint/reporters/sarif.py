"""``sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run. The tool driver lists every rule concurlint knows (so ``ruleIndex`` is
stable across runs) with its summary, explanation, help text and help URI.
Each result carries the rule id and index, a level from the rule's group
(``error`` for correctness rules and tool failures, ``warning`` for suspicious
rules and skipped files, ``note`` for advice), the message, the location as a path relative to ``%SRCROOT%``
(the config root) with a region whose end column is exclusive, the fix as
artifact changes when there is one, and the baseline fingerprint as a partial
fingerprint so results can be tracked across commits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import quote

from . import Report, reporter
from .. import __version__
from ..baseline import FINGERPRINT_KEY, fingerprints, relative_path
from ..findings import Finding
from ..languages import tag

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://concurlint.readthedocs.io/en/latest/"
# The site is built with `use_directory_urls: false` (mkdocs.yml): a rule's page is
# rules/CCY201.html, not rules/CCY201/ (tests/test_docs.py builds the site and checks).
HELP_URI = INFORMATION_URI + "rules/{code}.html"
SRCROOT = "%SRCROOT%"
_URI_SAFE = "/!$&'()*+,;=:@-._~"


def help_uri(code: str) -> str:
    return HELP_URI.format(code=code)


def level_for(code: str) -> str:
    """SARIF levels are named like concurlint's severities: error, warning, note."""
    from ..catalog import severity_of

    return severity_of(code)


def _rule_descriptor(rule: Any, lang: str) -> Dict[str, Any]:
    from ..explain import explain

    summary = rule.summary.get(lang) or rule.name
    what = rule.what.get(lang) or summary
    help_text = explain(rule, lang)
    descriptor: Dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": what},
        "help": {"text": help_text, "markdown": _markdown_help(rule, lang)},
        "helpUri": help_uri(rule.code),
        "defaultConfiguration": {
            "enabled": bool(rule.default_on),
            "level": level_for(rule.code),
        },
        "properties": {
            "tags": ["concurrency", rule.group, rule.name],
            "group": rule.group,
            "fix": rule.fix,
        },
    }
    return descriptor


def _markdown_help(rule: Any, lang: str) -> str:
    from ..explain import labels

    h = labels(lang)
    headings = (h["what"], h["why"], h["example"], h["instead"], h["fix"])
    out: List[str] = [f"**{rule.code} {rule.name}**: {rule.summary.get(lang) or rule.name}", ""]
    what, why, example, instead, fix = headings
    for heading, body in ((what, rule.what.get(lang)), (why, rule.why.get(lang))):
        if body:
            out += [f"### {heading}", body, ""]
    for heading, code in ((example, rule.example), (instead, rule.use_instead)):
        if code:
            out += [f"### {heading}", "```python", code.rstrip("\n"), "```", ""]
    if rule.fix_safety.get(lang):
        out += [f"### {fix}", rule.fix_safety.get(lang), ""]
    out.append(f"[{help_uri(rule.code)}]({help_uri(rule.code)})")
    return "\n".join(out)


def _location(path: str, root: str) -> Dict[str, Any]:
    rel = relative_path(path, root)
    if rel.startswith("../") or rel == ".." or os.path.isabs(rel):
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(rel, safe=_URI_SAFE, errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(start: Any, end: Any) -> Dict[str, int]:
    end_line, end_column = end.line, end.column
    if (end_line, end_column) < (start.line, start.column):
        end_line, end_column = start.line, start.column
    return {"startLine": start.line, "startColumn": start.column,
            "endLine": end_line, "endColumn": end_column}


def _result(finding: Finding, fingerprint: str, report: Report, root: str,
            indexes: Dict[str, int], baseline_active: bool) -> Dict[str, Any]:
    location = _location(finding.path, root)
    result: Dict[str, Any] = {
        "ruleId": finding.code,
        "level": level_for(finding.code),
        "message": {"text": finding.message.get(report.lang)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": location,
                "region": _region(finding.start, finding.end),
            },
        }],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.code in indexes:
        result["ruleIndex"] = indexes[finding.code]
    if baseline_active:
        result["baselineState"] = "new"
    fix = finding.fix
    if fix is not None and fix.edits:
        result["fixes"] = [{
            "description": {"text": fix.title.get(report.lang) or "concurlint fix"},
            "artifactChanges": [{
                "artifactLocation": dict(location),
                "replacements": [
                    {"deletedRegion": _region(edit.start, edit.end),
                     "insertedContent": {"text": edit.content}}
                    for edit in fix.edits
                ],
            }],
            "properties": {"applicability": fix.applicability},
        }]
    return result


def sarif_document(report: Report) -> Dict[str, Any]:
    from ..rules import ALL_RULES

    root = str(report.extra.get("root") or os.getcwd())
    rules = [_rule_descriptor(rule, report.lang) for rule in ALL_RULES.values()]
    indexes = {rule["id"]: i for i, rule in enumerate(rules)}
    findings = list(report.findings)
    prints = fingerprints(findings, report.lines)
    baseline = report.extra.get("baseline")
    results = [
        _result(f, fp, report, root, indexes, baseline is not None)
        for f, fp in zip(findings, prints)
    ]
    run: Dict[str, Any] = {
        "tool": {"driver": {
            "name": "concurlint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": rules,
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "language": tag(report.lang),
    }
    properties: Dict[str, Any] = {"filesChecked": report.files_checked}
    if baseline is not None:
        properties["baseline"] = {
            "hidden": getattr(baseline, "hidden", 0), "fixed": getattr(baseline, "fixed", 0)}
    run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _directory_uri(root: str) -> str:
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


@reporter("sarif")
def sarif_report(report: Report) -> str:
    return json.dumps(sarif_document(report), indent=2, ensure_ascii=False) + "\n"
