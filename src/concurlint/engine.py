"""The engine: source -> parse -> facts + one traversal -> findings -> suppression.

``check_source`` is the single entry point used by the CLI and the flake8 plugin,
so both report identical findings for identical input.
"""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

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
        findings = _to_findings(module, path, ctx.reports)
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


def _to_findings(module: cst.Module, path: str, reports: Sequence[Report]) -> List[Finding]:
    if not reports:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    findings = []
    for report in reports:
        span = positions[report.node]
        fix = report.fix
        if fix is not None and fix.replacements and not fix.edits:
            fix = _with_edits(module, fix, positions)
        findings.append(Finding(
            path, report.code, report.message,
            Position(span.start.line, span.start.column + 1),
            Position(span.end.line, span.end.column + 1),
            fix,
        ))
    return findings


def _with_edits(module: cst.Module, fix: Fix, positions: Dict[cst.CSTNode, object]) -> Fix:
    edits = []
    for old, new in fix.replacements:
        span = positions[old]  # type: ignore[index]
        edits.append(Edit(
            Position(span.start.line, span.start.column + 1),  # type: ignore[attr-defined]
            Position(span.end.line, span.end.column + 1),  # type: ignore[attr-defined]
            module.code_for_node(new),
        ))
    return Fix(fix.title, fix.safe, tuple(edits), fix.replacements)


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
