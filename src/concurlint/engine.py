"""The engine: source -> parse -> facts + one traversal -> findings -> suppression.

``check_source`` is the single entry point used by the CLI and the flake8 plugin,
so both report identical findings for identical input.
"""
from __future__ import annotations

from dataclasses import replace
from typing import FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from .config import Settings
from .discovery import module_name_for
from .findings import (
    Edit, FileResult, Finding, Fix, Text, tool_finding, unreadable_result,
)
from .parse import ParseFailure, parse
from .positions import Positions
from .rules import ALL_RULES, visiting_rules
from .semantics.context import Context, Report
from .semantics.project import ProjectIndex
from .semantics.traversal import Dispatcher, walk
from .source import SourceError, SourceFile, read_source
from .suppression import apply_noqa



def check_source(source: SourceFile, settings: Settings, project: Optional[ProjectIndex] = None,
                 codes: Optional[FrozenSet[str]] = None, module_name: Optional[str] = None,
                 is_package: Optional[bool] = None, keep_module: bool = False,
                 noqa: bool = True) -> FileResult:
    """Check one decoded file. Never raises: failures become CCY001/CCY003 findings.

    ``noqa=False`` (flake8 mode): flake8 applies ``# noqa: CCY...`` itself; only the
    peer linters' codes and ``# concurlint: noqa`` are applied here."""
    path = source.path
    settings = settings.for_path(path)  # the closest configuration to this file
    result = FileResult(path, source=source)
    enabled = codes if codes is not None else settings.codes_for(path)
    parsed = parse(source.text)
    if isinstance(parsed, ParseFailure):
        if "CCY001" in enabled:
            if parsed.python_accepts:
                message = Text(
                    "cannot parse: Python accepts this file but concurlint's parser (libcst) "
                    "does not support it: {parser_reason}").format(parser_reason=parsed.reason)
            else:
                message = Text("syntax error: {python_reason}").format(python_reason=parsed.reason)
            result.findings.append(tool_finding(path, "CCY001", message, parsed.line, parsed.column))
            result.findings = _in_cells(source, result.findings)
        return result
    module = parsed
    if keep_module:
        result.module = module
    if module_name is None and is_package is None:
        module_name, is_package = module_name_for(path)
    rule_classes = [r for r in visiting_rules() if r.code in enabled]
    if not rule_classes:
        return result
    ctx = Context(module, path, settings, module_name, bool(is_package), project, set(enabled), source.text)
    rules = [rule_class(ctx) for rule_class in rule_classes]
    failures: List[Tuple[str, BaseException, Optional[cst.CSTNode]]] = []
    try:
        walk(module, ctx, Dispatcher(rules), failures)
    except Exception as exc:  # the engine itself failed: report, keep other files going
        failures.append(("engine", exc, None))
    try:
        findings = _to_findings(module, path, ctx.reports, source.text, failures)
    except Exception as exc:
        failures.append(("engine", exc, None))
        findings = []
    for owner, exc, _node in failures:
        import traceback  # only for a failure: not part of every run's start-up

        result.tracebacks.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        if "CCY003" in enabled:
            name = f"rule {owner} ({ALL_RULES[owner].name})" if owner in ALL_RULES else owner
            detail = f"{type(exc).__name__}: {exc}".strip()
            findings.append(tool_finding(path, "CCY003", Text(
                "internal error in {name}: {detail}; please report a bug to the concurlint developers "
                "with this file").format(name=name, detail=detail)))
    if findings:
        findings = apply_noqa(findings, source.text.splitlines(), source.text, peers_only=not noqa)
        findings = [f if f.fix is None or settings.fix_allowed(f.code) else replace(f, fix=None)
                    for f in findings]
    result.findings = sorted(_in_cells(source, findings), key=Finding.sort_key)
    return result


def _in_cells(source: SourceFile, findings: List[Finding]) -> List[Finding]:
    """A notebook's findings located in its cells (other files: unchanged)."""
    if not findings or getattr(source, "document", None) is None:
        return findings
    from .notebook import locate

    return locate(findings, source.text)


def _to_findings(module: cst.Module, path: str, reports: Sequence[Report], text: str,
                 failures: List[Tuple[str, BaseException, Optional[cst.CSTNode]]]) -> List[Finding]:
    if not reports:
        return []
    wanted: List[cst.CSTNode] = [r.node for r in reports]
    for report in reports:
        if report.fix is not None and report.fix.replacements and not report.fix.edits:
            wanted.extend(old for old, _new in report.fix.replacements)
            wanted.extend(module.body)  # the top-level statements, to locate statement edits
    positions = Positions(module, wanted, text)
    findings = []
    for report in reports:
        span = positions.range(report.node)
        if span is None:
            failures.append((report.code, LookupError("reported a node that is not in this module"), None))
            continue
        fix = report.fix
        if fix is not None and fix.replacements and not fix.edits:
            try:
                fix = _with_edits(module, fix, positions)
            except Exception as exc:  # a broken fix must not cost the finding
                failures.append((report.code, exc, None))
                fix = None
        findings.append(Finding(path, report.code, report.message, span[0], span[1], fix))
    return findings


def _with_edits(module: cst.Module, fix: Fix, positions: Positions) -> Fix:
    """Text edits for a fix's node replacements (for JSON/SARIF readers)."""
    edits = []
    for old, new in fix.replacements:
        span = positions.offsets(old)
        if span is None:
            raise LookupError("a fix replaces a node that is not in this module")
        if isinstance(old, cst.BaseExpression) and isinstance(new, cst.BaseExpression):
            # The span of an expression excludes its own parentheses: keep those in place.
            extra = max(len(new.lpar) - len(old.lpar), 0)
            bare = new.with_changes(lpar=new.lpar[:extra], rpar=new.rpar[:extra])
            edits.append(Edit(positions.position(span[0]), positions.position(span[1]),
                              module.code_for_node(bare)))
            continue
        # Statements and flattened nodes: render the top-level statement holding the old
        # node with the replacement made, and keep the region that changed.
        holder: cst.CSTNode = module
        base, limit = 0, len(positions.text)
        for statement in module.body:
            outer = positions.inclusive_offsets(statement)
            if outer is not None and outer[0] <= span[0] and span[1] <= outer[1]:
                holder, (base, limit) = statement, outer
                break
        before = positions.text[base:limit]
        replaced = holder.visit(_ReplaceOne(old, new))
        if isinstance(replaced, cst.Module):
            after = replaced.code
        elif isinstance(replaced, cst.FlattenSentinel):  # one statement became several
            after = "".join(module.code_for_node(n) for n in replaced.nodes)
        else:
            after = module.code_for_node(replaced)
        start, end, content = _region(before, after)
        edits.append(Edit(positions.position(base + start), positions.position(base + end), content))
    return Fix(fix.title, fix.safe, tuple(edits), fix.replacements)


class _ReplaceOne(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: object):
        self.old, self.new = old, new

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node is not self.old

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        return self.new if original_node is self.old else updated_node


def _region(before: str, after: str) -> Tuple[int, int, str]:
    """Offsets in ``before`` and the text that turn it into ``after`` (common ends removed)."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
        end_before -= 1
        end_after -= 1
    return start, end_before, after[start:end_after]


def check_path(path: str, settings: Settings, project: Optional[ProjectIndex] = None,
               keep_module: bool = False) -> FileResult:
    """Read, decode and check one file; unreadable files become CCY002."""
    try:
        source = read_source(path)
    except SourceError as exc:
        return unreadable_result(path, exc, "CCY002" in settings.codes_for(path))
    return check_source(source, settings, project, keep_module=keep_module)
