"""Autofix: apply the fixes rules attach to findings, without ever breaking code.

A fix carries ``replacements``: (old node, new node) pairs that refer, by
identity, to nodes of the module the file was parsed into. Fixing a file is a
libcst transformation of that module (never text surgery):

1. check the file, keeping its module;
2. pick the applicable fixes (safe ones; unsafe ones too with ``unsafe=True``)
   that do not overlap (an old node inside another fix's old node overlaps);
3. swap the nodes, print the module, and verify the result: it must parse
   (and compile when the original did), be encodable in the file's encoding,
   remove the fixed findings and introduce no finding that was not there
   (compared as (code, message) multisets, not positions). A fix that fails
   is dropped and reported; the others are still applied;
4. repeat on the fixed text until no fix applies (bounded rounds).

Writing goes through :func:`concurlint.fileio.rewrite_file` and keeps the file's
encoding, BOM, newline style, permissions, owner, group and hard links; nothing is
written when nothing changed, or when the file changed on disk while it was being
fixed. (Discovery lists a file reached by two names once, so it is fixed and counted once.)
"""
from __future__ import annotations

import difflib
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from .config import Settings
from .discovery import module_name_for
from .engine import check_source
from .findings import FileResult
from .fileio import rewrite_file
from .fix_imports import drop_imports_left_unused
from .findings import Finding
from .semantics.project import ProjectIndex
from .source import SourceError, SourceFile, read_source

if TYPE_CHECKING:  # pragma: no cover
    from .runner import RunResult

DEFAULT_MAX_ROUNDS = 10

NewNode = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


# --------------------------------------------------------------------------- results
@dataclass
class FileFix:
    """What fixing one file did."""

    path: str
    source: Optional[SourceFile]  # the file as it was read (None: unreadable)
    text: Optional[str]  # the fixed text (equal to source.text when nothing changed)
    result: FileResult  # the findings that remain (a check of the fixed text)
    applied: List[Finding] = field(default_factory=list)  # findings whose fix was applied
    dropped: List[str] = field(default_factory=list)  # "fix for CCY201 at x.py:3:5 dropped: ..."
    error: Optional[str] = None  # why the fixed text could not be written

    @property
    def changed(self) -> bool:
        return self.source is not None and self.text is not None and self.text != self.source.text

    def encoded(self) -> bytes:
        """The fixed file's bytes: same encoding, BOM and newline style as the original."""
        assert self.source is not None and self.text is not None
        return self.source.encode(self.text)

    def diff(self) -> str:
        """A unified diff from the original to the fixed text ("" when unchanged)."""
        if not self.changed:
            return ""
        assert self.source is not None and self.text is not None
        return unified_diff(self.source.text, self.text, self.path)


def applicable(finding: Finding, unsafe: bool = False) -> bool:
    """Whether ``finding`` has a fix of a class the user asked for."""
    fix = finding.fix
    return fix is not None and (fix.safe or unsafe)


# --------------------------------------------------------------------------- fixing
def fix_source(source: SourceFile, settings: Settings, project: Optional[ProjectIndex] = None,
               unsafe: bool = False, max_rounds: int = DEFAULT_MAX_ROUNDS) -> FileFix:
    """Fix one decoded file in memory (nothing is written)."""
    module_name, is_package = module_name_for(source.path)
    lone_cr = "\r" in source.text and "\n" not in source.text
    # libcst drops the last line break of a file whose lines end in a lone CR:
    # work on LF lines and turn them back into CR at the end (Python reads both the same).
    work = replace(source, text=source.text.replace("\r", "\n"), newline="\n", raw=None) if lone_cr else source
    fixer = _Fixer(work, settings, project, unsafe, module_name, is_package)
    result = fixer.check(work.text)
    text = work.text
    if result.module is not None and any(applicable(f, unsafe) for f in result.findings):
        if result.module.code != work.text:
            fixer.dropped.append(f"cannot fix {source.path}: the parser does not reproduce this "
                                 "file exactly (unusual whitespace or line endings); left unchanged")
        else:
            text, result = fixer.run(result, max_rounds)
    if fixer.blocked:  # a fix that was tried and dropped is no longer offered
        result.findings = [replace(f, fix=None) if f.fix is not None and _fix_key(f) in fixer.blocked
                           else f for f in result.findings]
    if lone_cr:
        text = text.replace("\n", "\r")
    if text != source.text:
        result.source = replace(source, text=text, raw=None)
    else:
        result.source = source
    result.module = None
    return FileFix(source.path, source, text, result, fixer.applied, fixer.dropped)


class _Fixer:
    """The rounds of fixing for one file."""

    def __init__(self, work: SourceFile, settings: Settings, project: Optional[ProjectIndex],
                 unsafe: bool, module_name: Optional[str], is_package: bool):
        self.work = work
        self.settings = settings
        self.project = project
        self.unsafe = unsafe
        self.module_name = module_name
        self.is_package = is_package
        self.applied: List[Finding] = []
        self.dropped: List[str] = []
        self.blocked: Set[Tuple[Any, ...]] = set()
        self._compiles: Optional[bool] = None

    @property
    def compiles(self) -> bool:
        """Whether CPython compiles the original (then the fixed code must compile too)."""
        if self._compiles is None:
            self._compiles = _compile_error(self.work.text, self.work.path) is None
        return self._compiles

    def check(self, text: str) -> FileResult:
        source = self.work if text == self.work.text else replace(self.work, text=text, raw=None)
        return check_source(source, self.settings, self.project, module_name=self.module_name,
                            is_package=self.is_package, keep_module=True)

    def run(self, result: FileResult, max_rounds: int) -> Tuple[str, FileResult]:
        text = self.work.text
        rounds = 0
        idle = 0  # rounds that only dropped fixes (each blocks at least one; finite)
        while rounds < max_rounds and idle <= 100:
            candidates = [f for f in result.findings
                          if applicable(f, self.unsafe) and _fix_key(f) not in self.blocked]
            if not candidates:
                break
            outcome = self._round(text, result, candidates)
            if outcome is None:
                idle += 1
                continue
            text, result = outcome
            rounds += 1
        return text, result

    # ------------------------------------------------------------------ one round
    def _round(self, text: str, result: FileResult,
               candidates: List[Finding]) -> Optional[Tuple[str, FileResult]]:
        module = result.module
        assert module is not None
        usable: List[Finding] = []
        for finding in candidates:
            if not finding.fix or not finding.fix.replacements:  # e.g. text edits only
                self._drop(finding, "the fix has no node replacements")
            else:
                usable.append(finding)
        if not usable:
            return None
        survey = _Survey.of(module, [f.fix.replacements for f in usable])  # type: ignore[union-attr]
        selected: List[int] = []
        for index, finding in enumerate(usable):
            if index in survey.missing:
                self._drop(finding, "a node it replaces is not in the parsed module")
            elif index in survey.self_overlap:
                self._drop(finding, "its replacements overlap each other")
            elif not survey.conflicts.get(index, set()) & set(selected):
                selected.append(index)
        if not selected:
            return None
        chosen = [usable[i] for i in selected]
        outcome = self._try(text, result, survey, selected, chosen)
        if not isinstance(outcome, str):
            self.applied.extend(chosen)
            return outcome
        if len(selected) == 1:
            self._drop(chosen[0], outcome)
            return None
        # Together they fail: find the culprits one by one; keep the good ones.
        good: List[Tuple[int, Tuple[str, FileResult]]] = []
        for index in selected:
            single = self._try(text, result, survey, [index], [usable[index]])
            if isinstance(single, str):
                self._drop(usable[index], single)
            else:
                good.append((index, single))
        if not good:
            return None
        if len(good) > 1:
            indexes = [i for i, _ in good]
            together = self._try(text, result, survey, indexes, [usable[i] for i in indexes])
            if not isinstance(together, str):
                self.applied.extend(usable[i] for i in indexes)
                return together
        # They interact: apply the first one now; the others come back next round.
        self.applied.append(usable[good[0][0]])
        return good[0][1]

    def _try(self, text: str, result: FileResult, survey: "_Survey", indexes: List[int],
             findings: List[Finding]) -> Union[str, Tuple[str, FileResult]]:
        """Apply the fixes ``indexes`` together; the new (text, result) or why not."""
        module = result.module
        assert module is not None
        try:
            new_module = _Swap.apply(module, survey, indexes)
            new_text = new_module.code
            tidy = drop_imports_left_unused(module, new_module)
            if tidy is not new_module and _compile_error(tidy.code, self.work.path) is None:
                new_text = tidy.code
        except Exception as exc:  # a replacement libcst cannot put there
            detail = " ".join(str(exc).split())[:200]
            return f"its replacement is not valid at that place ({type(exc).__name__}: {detail})"
        if new_text == text:
            return "it changes nothing"
        try:
            self.work.encode(new_text)
        except UnicodeEncodeError:
            return f"the fixed code cannot be encoded as {self.work.encoding}"
        if self.compiles:
            error = _compile_error(new_text, self.work.path)
            if error is not None:
                return f"the fixed code is not valid Python ({error})"
        new_result = self.check(new_text)
        if new_result.module is None:
            return "the fixed code does not parse"
        if new_result.module.code != new_text:
            return "the fixed code does not print back the same"
        if len(new_result.tracebacks) > len(result.tracebacks):
            return "a rule fails on the fixed code"
        before = Counter(_finding_key(f) for f in result.findings)
        fixed = Counter(_finding_key(f) for f in findings)
        after = Counter(_finding_key(f) for f in new_result.findings)
        extra = after - (before - fixed)
        if extra:
            code, message = sorted(extra)[0]
            if before[(code, message)] < after[(code, message)]:
                return f"it would introduce {code}: {message}"
            return f"it does not remove the finding ({code})"
        return new_text, new_result

    def _drop(self, finding: Finding, reason: str) -> None:
        key = _fix_key(finding)
        if key in self.blocked:
            return
        self.blocked.add(key)
        self.dropped.append(
            f"fix for {finding.code} at {finding.path}:{finding.line}:{finding.column} dropped: {reason}")


_NUMBERS = re.compile(r"\b(lines?|col(?:umn)?s?)\s+\d+(?:\s*(?:-|to|and|,)\s*\d+)*")


def _finding_key(finding: Finding) -> Tuple[str, str]:
    """A finding without its position (messages that cite a line number are normalised)."""
    return finding.code, _NUMBERS.sub(r"\1 N", finding.message.en)


def _fix_key(finding: Finding) -> Tuple[Any, ...]:
    fix = finding.fix
    assert fix is not None
    return (_finding_key(finding), fix.title.en, tuple(edit.content for edit in fix.edits))


def _compile_error(text: str, path: str) -> Optional[str]:
    """CPython's verdict on ``text`` (libcst accepts e.g. 'await' outside async def)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg}, line {exc.lineno}"
    except (ValueError, MemoryError, RecursionError) as exc:
        return type(exc).__name__
    return None


# --------------------------------------------------------------------------- node swapping
class _Survey(cst.CSTVisitor):
    """One walk over the module: which old nodes are there, and which fixes overlap."""

    def __init__(self, fixes: Sequence[Sequence[Tuple[Any, Any]]]):
        self.owners: Dict[int, List[Tuple[int, Any, Any]]] = {}
        for index, pairs in enumerate(fixes):
            for old, new in pairs:
                entries = self.owners.setdefault(id(old), [])
                if not any(i == index and o is old for i, o, _ in entries):
                    entries.append((index, old, new))
        self.count = len(fixes)
        self.found: Set[Tuple[int, int]] = set()  # (fix index, id(old))
        self.conflicts: Dict[int, Set[int]] = {}
        # (fix index, id(outer old)) -> pairs of that fix inside it
        self.nested: Dict[Tuple[int, int], List[Tuple[Any, Any]]] = {}
        self.inner: Set[Tuple[int, int]] = set()  # (fix index, id(old)) nested in its own fix
        self.self_overlap: Set[int] = set()
        self.missing: Set[int] = set()
        self._stack: List[Tuple[int, int]] = []  # (fix index, id(old)) of the old nodes we are in
        self._pushed: Dict[int, int] = {}

    @classmethod
    def of(cls, module: cst.Module, fixes: Sequence[Sequence[Tuple[Any, Any]]]) -> "_Survey":
        survey = cls(fixes)
        module.visit(survey)
        wanted = {(i, key) for key, entries in survey.owners.items() for i, _, _ in entries}
        for index, key in wanted - survey.found:
            survey.missing.add(index)
        return survey

    def _conflict(self, a: int, b: int) -> None:
        self.conflicts.setdefault(a, set()).add(b)
        self.conflicts.setdefault(b, set()).add(a)

    def on_visit(self, node: cst.CSTNode) -> bool:
        entries = self.owners.get(id(node))
        if not entries:
            return True
        mine = [(i, new) for i, old, new in entries if old is node]
        if not mine:
            return True
        for index, new in mine:
            self.found.add((index, id(node)))
            outer = next(((i, k) for i, k in self._stack if i == index), None)
            if outer is not None:  # inside an old node of the same fix
                self.inner.add((index, id(node)))
                self.nested.setdefault(outer, []).append((node, new))
            for other, _ in self._stack:
                if other != index:
                    self._conflict(index, other)
        indexes = [i for i, _ in mine]
        for a in indexes:
            for b in indexes:
                if a != b:
                    self._conflict(a, b)
        self._stack.extend((i, id(node)) for i in indexes)
        self._pushed[id(node)] = len(indexes)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        count = self._pushed.pop(id(original_node), 0)
        if count:
            del self._stack[-count:]


class _Swap(cst.CSTTransformer):
    """Replace old nodes by their new nodes, by identity."""

    def __init__(self, table: Dict[int, Tuple[Any, Any, List[Tuple[Any, Any]]]]):
        self.table = table  # id(old) -> (old, new, pairs of the same fix nested inside old)
        self.done: Set[int] = set()

    @classmethod
    def apply(cls, module: cst.Module, survey: _Survey, indexes: Iterable[int]) -> cst.Module:
        table: Dict[int, Tuple[Any, Any, List[Tuple[Any, Any]]]] = {}
        for key, entries in survey.owners.items():
            for index, old, new in entries:
                if index in indexes and (index, key) not in survey.inner:
                    table[key] = (old, new, survey.nested.get((index, key), []))
        swap = cls(table)
        new_module = module.visit(swap)
        if swap.done != set(table):
            raise ValueError("a replaced node was not reached")
        if not isinstance(new_module, cst.Module):
            raise TypeError("the module itself was replaced by something else")
        return new_module

    def _match(self, node: cst.CSTNode) -> Optional[Tuple[Any, Any, List[Tuple[Any, Any]]]]:
        entry = self.table.get(id(node))
        return entry if entry is not None and entry[0] is node else None

    def on_visit(self, node: cst.CSTNode) -> bool:
        return self._match(node) is None  # an old node is replaced whole

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        entry = self._match(original_node)
        if entry is None:
            return updated_node
        _old, new, nested = entry
        if nested:  # the new node was built around other old nodes of the same fix
            new = _swap_inside(new, nested)
        self.done.add(id(original_node))
        return new


def _swap_inside(new: NewNode, pairs: List[Tuple[Any, Any]]) -> NewNode:
    table = {id(old): (old, replacement, []) for old, replacement in pairs}
    swap = _Swap(table)  # type: ignore[arg-type]
    if isinstance(new, cst.FlattenSentinel):
        result: NewNode = cst.FlattenSentinel([node.visit(swap) for node in new.nodes])
    elif isinstance(new, cst.CSTNode):
        result = new.visit(swap)  # type: ignore[assignment]
    else:
        result = new
    if swap.done != set(table):
        raise ValueError("the new node does not contain the nodes its own fix replaces inside it")
    return result


# --------------------------------------------------------------------------- runs
@dataclass
class FixRun:
    """Fixing every file of a run: what remains, and what happened per file."""

    result: "RunResult"  # the run with fixed files re-checked (what remains)
    files: List[FileFix] = field(default_factory=list)  # files that had applicable fixes

    @property
    def fixed(self) -> int:
        """Fixes applied (and, when writing, written)."""
        return sum(len(f.applied) for f in self.files if f.error is None and f.changed)

    @property
    def changed(self) -> List[FileFix]:
        return [f for f in self.files if f.changed and f.error is None]

    @property
    def errors(self) -> List[str]:
        return [f.error for f in self.files if f.error is not None]

    @property
    def dropped(self) -> List[str]:
        return [message for f in self.files for message in f.dropped]


def fix_run(run_result: "RunResult", settings: Settings, unsafe: bool = False, write: bool = True,
            stdin: bool = False, project: Optional[ProjectIndex] = None,
            max_rounds: int = DEFAULT_MAX_ROUNDS) -> FixRun:
    """Fix the files of a finished run that have applicable fixes.

    ``write=False`` computes the fixes only (``--diff``); ``stdin=True`` fixes the
    decoded standard input in memory. Files whose fixes are applied get their
    findings replaced by a check of the fixed text; a file that cannot be read
    or written keeps its original findings and gets an ``error``.
    """
    from .runner import RunResult, build_project_index

    if project is None:
        project = build_project_index([] if stdin else run_result.files, settings)
    results = list(run_result.results)
    files: List[FileFix] = []
    for index, original in enumerate(results):
        if not any(applicable(f, unsafe) for f in original.findings):
            continue
        if stdin:
            if original.source is None:
                continue
            fixed = fix_source(original.source, settings, project, unsafe, max_rounds)
        else:
            fixed = fix_file(original.path, settings, project, unsafe, write=write,
                             max_rounds=max_rounds)
        files.append(fixed)
        if fixed.error is None:
            results[index] = fixed.result
    return FixRun(RunResult(list(run_result.files), results), files)


# --------------------------------------------------------------------------- files
def fix_file(path: str, settings: Settings, project: Optional[ProjectIndex] = None,
             unsafe: bool = False, write: bool = True,
             max_rounds: int = DEFAULT_MAX_ROUNDS) -> FileFix:
    """Read, fix and (when ``write``) atomically rewrite one file."""
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileFix(path, None, None, FileResult(path), error=f"cannot read {path}: {exc}")
    fixed = fix_source(source, settings, project, unsafe, max_rounds)
    if write:
        write_fixed(fixed)
    return fixed


def write_fixed(fixed: FileFix) -> bool:
    """Write a changed file back; on failure set ``fixed.error`` and keep the original."""
    if not fixed.changed:
        return True
    assert fixed.source is not None
    path = fixed.path
    try:
        data = fixed.encoded()
        if fixed.source.raw is not None:
            with open(path, "rb") as handle:
                if handle.read() != fixed.source.raw:
                    raise _Changed()
        if not os.access(path, os.W_OK):
            raise PermissionError(13, "permission denied")
        rewrite_file(os.path.realpath(path), data)  # through a symbolic link, not over it
    except _Changed:
        fixed.error = f"cannot write {path}: the file changed while it was being fixed"
    except (OSError, UnicodeEncodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        fixed.error = f"cannot write {path}: {reason[:1].lower() + reason[1:]}"
    if fixed.error is not None:
        return False
    return True


class _Changed(Exception):
    pass


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff of two versions of ``path``, showing missing final newlines."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    out: List[str] = []
    for line in difflib.unified_diff(old, new, fromfile=f"a/{path}", tofile=f"b/{path}"):
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


__all__ = [
    "DEFAULT_MAX_ROUNDS", "FileFix", "FixRun", "applicable", "fix_file", "fix_run", "fix_source",
    "unified_diff", "write_fixed",
]
