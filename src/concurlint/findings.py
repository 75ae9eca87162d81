"""What a check produces: findings, their positions and optional fixes.

Findings are plain, picklable values so they can cross process boundaries and be
cached. A fix keeps two forms: text edits (serialisable, for JSON/SARIF and the
cache) and, while the parsed module is alive in this process, the libcst node
replacements it was built from (used by ``--fix``, which re-parses anyway).
"""
from __future__ import annotations

import gettext
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from .source import SourceFile


BUG_REPORT_HINT = "please report a bug to the concurlint developers with this file"


@lru_cache(maxsize=None)
def _catalog(lang: str) -> "gettext.NullTranslations":
    """The compiled gettext catalog of ``lang`` shipped in the package (locale/)."""
    locale_dir = Path(__file__).resolve().parent / "locale"
    return gettext.translation("concurlint", str(locale_dir), languages=[_LOCALES[lang]], fallback=True)


_LOCALES = {"zh": "zh_CN"}


@dataclass(frozen=True)
class Text:
    """A user-facing string: English, marked for translation (``Text("...")``).

    The Simplified Chinese comes from the gettext catalog
    (locale/zh_CN/LC_MESSAGES/concurlint.po) when the Text is made, so a Text stays a
    plain pair of strings: cheap to read, equal by value and picklable across worker
    processes and into the cache. ``Text(en, zh)`` (an inline translation) still works;
    tools/extract_zh_catalog.py moves such pairs into the catalog.
    """

    en: str
    zh: str = ""

    def __post_init__(self) -> None:
        if not self.zh and self.en:
            object.__setattr__(self, "zh", _catalog("zh").gettext(self.en))

    def get(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" and self.zh else self.en

    def format(self, **kwargs: Any) -> "Text":
        """Fill the named placeholders, after translation; a Text value is used in the same language."""
        return Text(self.en.format(**_in_language(kwargs, "en")),
                    (self.zh or self.en).format(**_in_language(kwargs, "zh")))


def _in_language(values: Dict[str, Any], lang: str) -> Dict[str, Any]:
    return {name: value.get(lang) if isinstance(value, Text) else value for name, value in values.items()}


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
        zh = getattr(reason, "zh", None) or reason
        if os.path.isdir(path):  # met in a directory walk: none of its files was checked
            message = Text(f"cannot read directory: {reason}; its files were not checked",
                           f"无法读取目录:{zh};其中的文件未被检查")
        else:
            message = Text(f"cannot read file: {reason}", f"无法读取文件:{zh}")
        result.findings.append(tool_finding(path, "CCY002", message))
    return result
