"""The terminal formats: ``concise`` (one line each) and ``full`` (with source and caret)."""
from __future__ import annotations

from collections import Counter
from typing import List

import click

from . import Report, reporter
from ..findings import FILES, PROBLEMS, Finding, Text


def location(finding: Finding) -> str:
    return finding.location


def summary_line(report: Report) -> str:
    count = len(report.findings)
    files = len({f.path for f in report.findings})
    checked = report.files_checked
    fixable = sum(1 for f in report.findings if f.fix is not None and f.fix.safe)
    if not count:
        return _PASSED.format(checked=FILES.format(count=checked)).get(report.lang)
    line = _FOUND.format(problems=PROBLEMS.format(count=count), files=FILES.format(count=files),
                         checked=FILES.format(count=checked)).get(report.lang)
    if fixable:
        line += " " + _FIXABLE.format(count=fixable).get(report.lang)
    return line


_PASSED = Text("All checks passed! ({checked} checked)")
_FOUND = Text("Found {problems} in {files} ({checked} checked).")
_FIXABLE = Text("{count} fixable with `--fix`.")
_FIX_AVAILABLE = Text("fix available")
_UNSAFE_FIX_AVAILABLE = Text("fix available (unsafe)")


def _style(text: str, report: Report, **kwargs: object) -> str:
    return click.style(text, **kwargs) if report.color else text  # type: ignore[arg-type]


def concise_line(finding: Finding, report: Report) -> str:
    return (f"{_style(location(finding), report, bold=True)}: "
            f"{_style(finding.code, report, fg='red', bold=True)} {finding.message.get(report.lang)}")


@reporter("concise")
def concise(report: Report) -> str:
    out: List[str] = []
    explanation = report.extra.get("explain")
    for finding in report.findings:
        out.append(concise_line(finding, report))
        text = explanation(finding) if callable(explanation) else ""
        if text:
            out.append(text)
    return _with_summary(out, report)


@reporter("full")
def full(report: Report) -> str:
    out: List[str] = []
    for finding in report.findings:
        out.append(concise_line(finding, report))
        out.extend(_excerpt(finding, report))
        if finding.fix is not None:
            label = _FIX_AVAILABLE if finding.fix.safe else _UNSAFE_FIX_AVAILABLE
            out.append(f"  = {label.get(report.lang)}: {finding.fix.title.get(report.lang)}")
        explanation = report.extra.get("explain")
        if callable(explanation):
            text = explanation(finding)
            if text:
                out.append(text)
        out.append("")
    return _with_summary(out, report)


def _with_summary(out: List[str], report: Report) -> str:
    if report.extra.get("quiet"):  # -q: the findings only
        while out and not out[-1]:
            out.pop()
        return "".join(line + "\n" for line in out)
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def _excerpt(finding: Finding, report: Report) -> List[str]:
    lines = report.lines(finding.path)
    if finding.cell is not None:
        from ..notebook import cell_lines

        lines = cell_lines(lines, finding.cell)
    index = finding.start.line - 1
    if not 0 <= index < len(lines):
        return []
    source = lines[index].rstrip("\r\n").expandtabs(1)
    gutter = str(finding.start.line)
    pad = " " * len(gutter)
    start = max(finding.start.column - 1, 0)
    if finding.end.line == finding.start.line:
        width = max(finding.end.column - finding.start.column, 1)
    else:
        width = max(len(source) - start, 1)
    caret = " " * start + "^" * width
    return [
        f"{pad} |",
        f"{gutter} | {source}",
        f"{pad} | {_style(caret, report, fg='red', bold=True)}",
    ]


def statistics(findings: List[Finding]) -> str:
    from ..catalog import rule_name

    counts = Counter(f.code for f in findings)
    width = max((len(str(n)) for n in counts.values()), default=1)
    rows = [f"{n:>{width}}  {code}  {rule_name(code)}" for code, n in sorted(counts.items())]
    return "\n".join(rows) + ("\n" if rows else "")
