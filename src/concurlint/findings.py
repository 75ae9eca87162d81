"""What a check produces: findings, their positions and optional fixes.

Findings are plain, picklable values so they can cross process boundaries and be
cached. A fix keeps two forms: text edits (serialisable, for JSON/SARIF and the
cache) and, while the parsed module is alive in this process, the libcst node
replacements it was built from (used by ``--fix``, which re-parses anyway).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .languages import catalog

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from .source import SourceFile


@dataclass(frozen=True)
class Text:
    """A user-facing string: English, marked for translation (``Text("...")``).

    A Text keeps its English and its named values and translates when it is shown,
    ``get(lang)``, through the gettext catalog of ``lang`` (languages.py), so any
    language with a catalog works and one Text serves them all. It stays a small
    value: equal by value, picklable across worker processes and storable in the cache
    (values are texts, numbers or strings). ``Text(en, zh)`` (an inline Simplified
    Chinese translation) still works; tools/extract_zh_catalog.py moves such pairs
    into the catalog.
    """

    message: str
    inline_zh: str = ""
    values: Tuple[Tuple[str, Any], ...] = ()
    plural: str = ""  # the English plural of a Plural(...) text, chosen by its value "count"

    @property
    def en(self) -> str:
        return self.get("en")

    @property
    def zh(self) -> str:
        return self.get("zh")

    def get(self, lang: str = "en") -> str:
        template = self._translated(lang)
        if not self.values:
            return template
        values = {name: value.get(lang) if isinstance(value, Text) else value for name, value in self.values}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English still reads
            return self._translated("en").format(**values)

    def _translated(self, lang: str) -> str:
        if self.plural:  # each language has its own plural forms (the catalog's Plural-Forms)
            return catalog(lang).ngettext(self.message, self.plural, dict(self.values).get("count", 1))
        if lang == "en" or not self.message:  # gettext("") is the catalog's header
            return self.message
        if self.inline_zh and lang == "zh":
            return self.inline_zh
        return catalog(lang).gettext(self.message)

    def format(self, **kwargs: Any) -> "Text":
        """Fill the named placeholders; each language translates before it fills them,
        and a Text value is shown in the same language."""
        values = dict(self.values)
        values.update((name, _storable(value)) for name, value in kwargs.items())
        return Text(self.message, self.inline_zh, tuple(sorted(values.items())), self.plural)


def Plural(one: str, many: str) -> Text:  # noqa: N802 - a marker for Babel, like Text
    """A text with an English singular and plural, marked for translation
    (``Plural("{count} file", "{count} files").format(count=n)``): each language picks
    its own form for ``count``."""
    return Text(one, plural=many)


# Counted nouns that several summaries share.
PROBLEMS = Plural("{count} problem", "{count} problems")
FILES = Plural("{count} file", "{count} files")
FINDINGS = Plural("{count} finding", "{count} findings")


def _storable(value: Any) -> Any:
    """A value as a Text keeps it: texts, numbers and strings as they are, anything else
    as its string (what an unadorned ``{name}`` shows), so a Text pickles and caches."""
    if value is None or isinstance(value, (Text, str, int, float)):
        return value
    return str(value)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based, in characters


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` (inclusive) and ``end`` (exclusive)."""

    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    title: Text
    safe: bool
    edits: Tuple[Edit, ...] = ()
    # (old node, new node) pairs; only meaningful in the process that parsed the file.
    replacements: Tuple[Tuple[Any, Any], ...] = field(default=(), compare=False, repr=False)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["replacements"] = ()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def applicability(self) -> str:
        return "safe" if self.safe else "unsafe"


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    message: Text
    start: Position
    end: Position
    fix: Optional[Fix] = None
    cell: Optional[int] = None  # in a notebook: the cell (from 1); line and column are in it

    @property
    def line(self) -> int:
        return self.start.line

    @property
    def column(self) -> int:
        return self.start.column

    def sort_key(self) -> Tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.start.line, self.start.column, self.code)

    @property
    def location(self) -> str:
        """``path:line:column``, or ``path:cell N:line:column`` in a notebook."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.start.line}:{self.start.column}"

    def to_dict(self, lang: str = "en") -> Dict[str, Any]:
        from .catalog import group_of, rule_name, severity_of

        result: Dict[str, Any] = {
            "code": self.code,
            "name": rule_name(self.code),
            "group": group_of(self.code),
            "severity": severity_of(self.code),
            "message": self.message.get(lang),
            "path": self.path,
            "line": self.start.line,
            "column": self.start.column,
            "end_line": self.end.line,
            "end_column": self.end.column,
            "fix": None,
        }
        if self.cell is not None:  # notebooks only: lines and columns are within this cell
            result["cell"] = self.cell
        if self.fix is not None:
            result["fix"] = {
                "title": self.fix.title.get(lang),
                "applicability": self.fix.applicability,
                "edits": [
                    {
                        "line": e.start.line, "column": e.start.column,
                        "end_line": e.end.line, "end_column": e.end.column,
                        "content": e.content,
                    }
                    for e in self.fix.edits
                ],
            }
        return result


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    tracebacks: List[str] = field(default_factory=list)
    source: Optional["SourceFile"] = None
    module: Optional["cst.Module"] = None  # the parsed module, kept only when asked (fixes)


def tool_finding(path: str, code: str, message: Text, line: int = 1, column: int = 1) -> Finding:
    position = Position(line, column)
    return Finding(path, code, message, position, position)


def unreadable_result(path: str, reason: object, enabled: bool = True) -> FileResult:
    """The result for a file that cannot be read or decoded (CCY002 when enabled)."""
    result = FileResult(path)
    if enabled:
        reason = getattr(reason, "text", reason)  # a SourceError's reason is translatable
        if os.path.isdir(path):  # met in a directory walk: none of its files was checked
            message = Text("cannot read directory: {reason}; its files were not checked").format(reason=reason)
        else:
            message = Text("cannot read file: {reason}").format(reason=reason)
        result.findings.append(tool_finding(path, "CCY002", message))
    return result
