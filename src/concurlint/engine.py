"""The engine: source -> parse -> facts + one traversal -> findings -> suppression.

``check_source`` is the single entry point used by the CLI and the flake8 plugin,
so both report identical findings for identical input.
"""
from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import FrozenSet, List, Mapping, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .config import Settings
from .findings import Edit, Finding, Fix, Position, Text
from .parse import ParseFailure, parse
from .rules import ALL_RULES, visiting_rules
from .semantics.context import Context, Report
from .semantics.project import ProjectIndex
from .semantics.traversal import Dispatcher, walk
from .source import SourceError, SourceFile, read_source
from .suppression import apply_noqa

BUG_REPORT_HINT = "please report a bug to the concurlint developers with this file"


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    source: Optional[SourceFile] = None
    module: Optional[cst.Module] = None  # kept only when asked (fixes)


def module_name_for(path: str) -> Tuple[Optional[str], bool]:
    """Dotted module name of ``path`` from its package layout, and whether it is a package."""
    p = Path(path)
    if p.suffix not in (".py", ".pyi"):
        return None, False
    is_package = p.stem == "__init__"
    parts: List[str] = [] if is_package else [p.stem]
    directory = p.resolve().parent if p.is_absolute() or p.exists() else p.parent
    while (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file():
        parts.insert(0, directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    if not parts:
        return None, is_package
    name = ".".join(parts)
    return (name if all(part.isidentifier() for part in parts) else None), is_package


def tool_finding(path: str, code: str, message: Text, line: int = 1, column: int = 1) -> Finding:
    position = Position(line, column)
    return Finding(path, code, message, position, position)


def check_source(source: SourceFile, settings: Settings, project: Optional[ProjectIndex] = None,
                 codes: Optional[FrozenSet[str]] = None, module_name: Optional[str] = None,
                 is_package: Optional[bool] = None, keep_module: bool = False,
                 noqa: bool = True) -> FileResult:
    """Check one decoded file. Never raises: failures become CCY001/CCY003 findings."""
    path = source.path
    result = FileResult(path, source=source)
    enabled = codes if codes is not None else settings.codes_for(path)
    parsed = parse(source.text)
    if isinstance(parsed, ParseFailure):
        if "CCY001" in enabled:
            result.findings.append(tool_finding(
                path, "CCY001",
                Text(f"syntax error: {parsed.reason}", f"语法错误:{parsed.reason}"),
                parsed.line, parsed.column))
        return result
    module = parsed
    if keep_module:
        result.module = module
    if module_name is None and is_package is None:
        module_name, is_package = module_name_for(path)
    rule_classes = [r for r in visiting_rules() if r.code in enabled]
    if not rule_classes:
        return result
    ctx = Context(module, path, settings, module_name, bool(is_package), project, set(enabled))
    rules = [rule_class(ctx) for rule_class in rule_classes]
    failures: List[Tuple[str, BaseException, Optional[cst.CSTNode]]] = []
    try:
        walk(module, ctx, Dispatcher(rules), failures)
    except Exception as exc:  # the engine itself failed: report, keep other files going
        failures.append(("engine", exc, None))
    try:
        findings = _to_findings(module, path, ctx.reports, failures)
    except Exception as exc:
        failures.append(("engine", exc, None))
        findings = []
    for owner, exc, _node in failures:
        result.tracebacks.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        if "CCY003" in enabled:
            name = f"rule {owner} ({ALL_RULES[owner].name})" if owner in ALL_RULES else owner
            detail = f"{type(exc).__name__}: {exc}".strip()
            findings.append(tool_finding(path, "CCY003", Text(
                f"internal error in {name}: {detail}; {BUG_REPORT_HINT}",
                f"{name} 内部错误:{detail};请将此文件作为 bug 报告给 concurlint 开发者")))
    if noqa:
        findings = apply_noqa(findings, source.text.splitlines())
    result.findings = sorted(findings, key=Finding.sort_key)
    return result


def _to_findings(module: cst.Module, path: str, reports: Sequence[Report],
                 failures: List[Tuple[str, BaseException, Optional[cst.CSTNode]]]) -> List[Finding]:
    if not reports:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    findings = []
    for report in reports:
        span = positions.get(report.node)
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
        findings.append(Finding(
            path, report.code, report.message,
            Position(span.start.line, span.start.column + 1),
            Position(span.end.line, span.end.column + 1),
            fix,
        ))
    return findings


def _with_edits(module: cst.Module, fix: Fix, positions: Mapping[cst.CSTNode, CodeRange]) -> Fix:
    """Text edits for a fix's node replacements (for JSON/SARIF and ``--diff`` readers)."""
    edits = []
    for old, new in fix.replacements:
        if isinstance(old, cst.BaseExpression) and isinstance(new, cst.BaseExpression):
            # The span of an expression excludes its own parentheses: keep those in place.
            extra = len(new.lpar) - len(old.lpar)
            bare = new.with_changes(lpar=new.lpar[:max(extra, 0)], rpar=new.rpar[:max(extra, 0)])
            span = positions[old]
            edits.append(Edit(Position(span.start.line, span.start.column + 1),
                              Position(span.end.line, span.end.column + 1),
                              module.code_for_node(bare)))
        else:  # statements and flattened nodes: render the module and take the changed region
            edits.append(_region_edit(module.code, module.visit(_ReplaceOne(old, new)).code))
    return Fix(fix.title, fix.safe, tuple(edits), fix.replacements)


class _ReplaceOne(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: object):
        self.old, self.new = old, new

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node is not self.old

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        return self.new if original_node is self.old else updated_node


def _region_edit(before: str, after: str) -> Edit:
    """The one edit that turns ``before`` into ``after`` (common prefix/suffix removed)."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
        end_before -= 1
        end_after -= 1
    return Edit(_offset_position(before, start), _offset_position(before, end_before),
                after[start:end_after])


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _offset_position(text: str, offset: int) -> Position:
    line, line_start = 1, 0
    for match in _NEWLINE.finditer(text, 0, offset):
        line, line_start = line + 1, match.end()
    return Position(line, offset - line_start + 1)


def check_path(path: str, settings: Settings, project: Optional[ProjectIndex] = None,
               keep_module: bool = False) -> FileResult:
    """Read, decode and check one file; unreadable files become CCY002."""
    try:
        source = read_source(path)
    except SourceError as exc:
        result = FileResult(path)
        if "CCY002" in settings.codes_for(path):
            result.findings.append(tool_finding(
                path, "CCY002", Text(f"cannot read file: {exc}", f"无法读取文件:{exc}")))
        return result
    return check_source(source, settings, project, keep_module=keep_module)


def display_path(path: str) -> str:
    """Paths are reported as given, normalised (no leading './')."""
    normal = os.path.normpath(path)
    return normal.replace(os.sep, "/") if os.sep != "/" else normal
