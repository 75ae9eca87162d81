"""Parse less: leave out the bodies of the functions no rule can look into.

A file that passes the pre-check (``precheck.py``) is parsed whole, although in an
async-heavy module many functions mention none of the pre-check words. This module
builds a *reduced source*: the body of such a function is replaced by ``0`` on its
first line and spaces up to its last character (line ends kept), so the text has the
same length and every line and column outside the blanked bodies is unchanged, and
libcst parses less. After the parse, the stand-in body's statement tuple is sealed
(``Sealed``): any read of it while the check runs is noticed, and the engine then
checks the file again from the full parse. So the output is the full parse's output.

Which bodies are blanked (the condition; all of it must hold):

1. A ``def`` (never ``async def``) at module level, or directly in the body of a
   module-level class, whose body is an indented block starting on its own line.
2. Its whole text, decorators included, mentions in its code (``precheck.code_only``)
   none of the pre-check words of the enabled rules and no project coroutine (name
   and owner, ``precheck.project_pairs``). This is the pre-check's argument one level
   down: the rules' handlers report only on nodes where such a word (or ``async``,
   which rules out coroutines and ``await``) anchors the pattern, so the traversal,
   which no longer visits the body, misses no finding in it. The header (decorators,
   parameters, annotations) is still parsed and traversed, and the name stays bound:
   "is this local function a coroutine" only reads the header.
3. For a method: its body assigns no attribute of its first parameter (no
   ``self.x = ...``, also as a ``for``/``with`` target or augmented; checked on
   CPython's AST). Entering a class, the traversal collects the ``self.x``
   assignments of every method (``scopes.class_attribute_scan``); a blanked method
   would have added none, so the traversal leaves it out of that scan.
4. CPython compiles the def's text alone (wrapped in a class for a method) into
   exactly one ``def`` of that name: the scan below found the right lines, and the
   body has no syntax error the reduced source would hide. (Left: a body CPython
   accepts but libcst's grammar does not, which would hide that CCY001; and
   ``from __future__ import barry_as_FLUFL``.)

Every other reader of a body is caught by the seal instead of being proven harmless:
the analyses that follow a call to the ``def`` it names (``callees.definition_of``,
``Context.is_local_function``), module-wide scans (``walk_body(ctx.module)``), a
``visit_FunctionDef`` that looks inside, the thread analysis' scanner. A fix whose edit
touches a blanked line, and a libcst parse of the reduced source that fails or does not
show the stand-ins where expected, also fall back to the full parse.

The blanking depends on the project's coroutine names, which a cached result does not
record for a file that passes the pre-check on a table word; so results for the cache
(``RecordingIndex``) and the module kept for ``--fix`` come from the full parse.
"""
from __future__ import annotations

import ast
import re
from itertools import accumulate
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from .precheck import NOT_CODE, code_of, mentions

# ------------------------------------------------------------------ the seal


class _Reads:
    """Whether a sealed body was read while armed (one check at a time per process)."""
    armed = False
    seen = False


def _note() -> None:
    if _Reads.armed:
        _Reads.seen = True


class Sealed(tuple):  # type: ignore[type-arg]
    """The statements of a stand-in body: every way of reading them is noticed."""
    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        _note()
        return tuple.__iter__(self)

    def __len__(self) -> int:
        _note()
        return tuple.__len__(self)

    def __getitem__(self, item: Any) -> Any:
        _note()
        return tuple.__getitem__(self, item)

    def __reversed__(self) -> Iterator[Any]:
        _note()
        return tuple.__iter__(tuple(tuple.__iter__(self))[::-1])

    def __contains__(self, item: object) -> bool:
        _note()
        return tuple.__contains__(self, item)

    def __add__(self, other: Any) -> Any:
        _note()
        return tuple.__add__(self, other)

    def __radd__(self, other: Any) -> Any:
        _note()
        return tuple(other) + tuple(tuple.__iter__(self))

    def __eq__(self, other: object) -> bool:
        _note()
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        _note()
        return tuple.__ne__(self, other)

    __hash__ = tuple.__hash__


def is_blanked(node: object) -> bool:
    """Whether ``node`` is a ``def`` whose body was left out (reading nothing of it)."""
    return type(getattr(getattr(node, "body", None), "body", None)) is Sealed


class Watch:
    """Arms the seal for a stretch of the check: ``with watch: ...``, then ``watch.seen``."""

    def __enter__(self) -> "Watch":
        _Reads.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        _Reads.armed = False

    @property
    def seen(self) -> bool:
        return _Reads.seen

    @staticmethod
    def reset() -> None:
        _Reads.armed = _Reads.seen = False


# ------------------------------------------------------------------ the scan

_NEWLINES = "\r\n"
_DEF = re.compile(r"def\s+(\w+)")
_CLASS = re.compile(r"class\b")
_BLANK_CHARS = re.compile(r"[^\r\n]")
_NOT_SKELETON = re.compile(r"[^()\[\]{}\\\n]+")
_BRACKETS = str.maketrans("[{]}", "(())")
# line ends other than LF that Python also accepts or str.split would not see
_ODD_BREAK = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _mask(match: "re.Match[str]") -> str:
    """Comments become spaces; a string keeps its length, and one spanning lines
    becomes a bracket pair, so the lines inside it read as a continuation."""
    text = match.group(0)
    if text.startswith("#"):
        return " " * len(text)
    if "\n" in text or "\r" in text:
        inner = _BLANK_CHARS.sub("x", text[1:-1])
        return "(" + inner + ")"
    return "x" * len(text)


class _Logical:
    """One statement's lines: ``first``..``last`` (physical line indexes)."""
    __slots__ = ("first", "last", "indent", "head")

    def __init__(self, first: int, indent: str, head: str):
        self.first = self.last = first
        self.indent = indent
        self.head = head


def _statements(text: str) -> Tuple[List[int], List[_Logical]]:
    """Line start offsets, and the logical lines (statement starts) with their extent."""
    masked = NOT_CODE.sub(_mask, text)
    if "\r" in masked or _ODD_BREAK.search(masked):
        return [], []  # rare line ends (a lone CR, form feed...): blank nothing
    lines = masked.split("\n")
    # brackets and line-continuation backslashes only, one string per line
    skeleton = _NOT_SKELETON.sub("", masked).translate(_BRACKETS).split("\n")
    starts = [0, *accumulate(len(line) + 1 for line in lines)][:-1]
    found: List[_Logical] = []
    depth = 0
    continued = False
    current: Optional[_Logical] = None
    for index, brackets in enumerate(skeleton):
        if depth > 0 or continued:
            if current is not None:
                current.last = index
        else:
            line = lines[index]
            head = line.lstrip()
            if head:
                current = _Logical(index, line[: len(line) - len(head)], head)
                found.append(current)
        if brackets:
            depth += brackets.count("(") - brackets.count(")")
            if depth < 0:
                return starts, []  # not what we think: blank nothing
            continued = brackets.endswith("\\")
        else:
            continued = False
    return starts, found


class _Candidate:
    __slots__ = ("name", "start", "body", "end", "method")

    def __init__(self, name: str, start: int, body: _Logical, end: int, method: bool):
        self.name, self.start, self.body, self.end, self.method = name, start, body, end, method


def _defs(statements: Sequence[_Logical], lo: int, hi: int, indent: str, method: bool) -> Iterator[_Candidate]:
    """The ``def`` statements at ``indent`` among ``statements[lo:hi]``."""
    decorated: Optional[int] = None
    index = lo
    while index < hi:
        stmt = statements[index]
        if stmt.indent != indent:
            index += 1
            continue
        if stmt.head.startswith("@"):
            if decorated is None:
                decorated = stmt.first
            index += 1
            continue
        start = stmt.first if decorated is None else decorated
        decorated = None
        match = _DEF.match(stmt.head)
        following = index + 1
        while following < hi and len(statements[following].indent) > len(indent):
            following += 1
        if match is not None and following > index + 1:
            body = statements[index + 1]
            if body.indent.startswith(indent) and body.first > stmt.last:
                yield _Candidate(match.group(1), start, body, statements[following - 1].last, method)
        index = following


def _candidates(statements: List[_Logical]) -> Iterator[_Candidate]:
    """Module-level defs, and the defs directly in module-level classes."""
    hi = len(statements)
    yield from _defs(statements, 0, hi, "", False)
    for index, stmt in enumerate(statements):
        if stmt.indent or not _CLASS.match(stmt.head):
            continue
        end = index + 1
        while end < hi and statements[end].indent:
            end += 1
        if end > index + 1 and statements[index + 1].first > stmt.last:
            yield from _defs(statements, index + 1, end, statements[index + 1].indent, True)


def _compiles_alone(segment: str, name: str, method: bool) -> bool:
    """Condition 4, and condition 3 for a method."""
    source = "class _:\n" + segment if method else segment
    try:
        tree = compile(source, "<reduce>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    body = tree.body
    if method:
        if len(body) != 1 or not isinstance(body[0], ast.ClassDef):
            return False
        body = body[0].body
    if len(body) != 1 or type(body[0]) is not ast.FunctionDef or body[0].name != name:
        return False
    return not method or not _assigns_own_attribute(body[0], segment)


_TARGET_HOLDERS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)


def _assigns_own_attribute(func: ast.FunctionDef, segment: str) -> bool:
    """Whether a statement of ``func`` (nested ones included) assigns an attribute of its
    first parameter: a superset of what ``scopes.class_attribute_scan`` records."""
    args = [*func.args.posonlyargs, *func.args.args]
    if not args or f"{args[0].arg}." not in segment.replace(" ", ""):
        return False
    first = args[0].arg
    todo: List[ast.AST] = list(func.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, _TARGET_HOLDERS):
            if isinstance(stmt, ast.Assign):
                targets: List[ast.AST] = list(stmt.targets)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                targets = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
            else:
                targets = [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                            and node.value.id == first):
                        return True
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            todo.extend(getattr(stmt, field, ()))
    return False


class Reduction:
    """A reduced source: ``text``, the names of the blanked defs in source order and the
    blanked line ranges (0-based, inclusive)."""

    def __init__(self, text: str, names: List[str], lines: List[Tuple[int, int]]):
        self.text, self.names, self.lines = text, names, lines


def reduce_source(text: str, words: Sequence[str], pairs: Dict[str, FrozenSet[str]]) -> Optional[Reduction]:
    """The reduced source of ``text``, or None when no body qualifies."""
    starts, statements = _statements(text)
    if not statements:
        return None
    starts.append(len(text))
    pieces: List[str] = []
    names: List[str] = []
    lines: List[Tuple[int, int]] = []
    done = 0
    for found in sorted(_candidates(statements), key=lambda c: c.start):
        whole = text[starts[found.start]: starts[found.end + 1]]
        # Words are looked for in the code only; the raw text holds every word the code
        # does (code_of only removes comments and strings) except one glued from two
        # keywords around a string (``if"x"in``): no pre-check word or project name is.
        if mentions(whole, words, pairs) and mentions(code_of(whole), words, pairs):
            continue
        if not _compiles_alone(whole, found.name, found.method):
            continue
        first, last = found.body.first, found.end
        body_start = starts[first] + len(found.body.indent)
        pieces.append(text[done:body_start])
        pieces.append("0")
        pieces.append(_BLANK_CHARS.sub(" ", text[body_start + 1: starts[last + 1]]))
        done = starts[last + 1]
        names.append(found.name)
        lines.append((first, last))
    if not names:
        return None
    pieces.append(text[done:])
    return Reduction("".join(pieces), names, lines)


def seal(module: cst.Module, reduction: Reduction) -> bool:
    """Seal the stand-in bodies of ``module`` (parsed from ``reduction.text``); False when
    they are not exactly where the reduction put them (then use the full parse)."""
    found: List[Tuple[str, cst.IndentedBlock]] = []
    for stmt in module.body:
        _stand_in(stmt, found)
        if type(stmt) is cst.ClassDef and type(stmt.body) is cst.IndentedBlock:
            for inner in stmt.body.body:
                _stand_in(inner, found)
    if [name for name, _block in found] != reduction.names:
        return False
    for _name, block in found:
        object.__setattr__(block, "body", Sealed(block.body))
    return True


def _stand_in(stmt: cst.CSTNode, found: List[Tuple[str, cst.IndentedBlock]]) -> None:
    if type(stmt) is not cst.FunctionDef or type(stmt.body) is not cst.IndentedBlock:
        return
    body = stmt.body.body
    if len(body) != 1 or type(body[0]) is not cst.SimpleStatementLine or len(body[0].body) != 1:
        return
    expr = body[0].body[0]
    if type(expr) is cst.Expr and type(expr.value) is cst.Integer and expr.value.value == "0":
        found.append((stmt.name.value, stmt.body))
