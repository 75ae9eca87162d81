"""Jupyter notebooks (``.ipynb``): their code cells checked as one Python module.

The notebook is read with the standard ``json`` module rather than ``nbformat``:
concurlint needs only ``cells[*].cell_type`` and ``source``, must write a fixed
notebook back changing nothing but the fixed cells' ``source`` (``nbformat.write``
re-validates and may upgrade the document, add cell ids or drop unknown fields),
and adds no dependency to a linter that most projects run without notebooks.

The code cells become one Python text (``NotebookSource.text``): each cell starts with a
marker comment ``# concurlint-cell: N`` (N counts every cell from 1, as a reader counts
them from the top); a cell magic cell (``%%time``...) is left out; a line magic, a shell
escape or a help line (``%timeit f()``, ``!pip install x``, ``files = !ls``, ``len?``)
becomes ``...`` with a ``# concurlint-magic: K`` comment, so blocks stay valid and the
line can be restored. Top-level ``await`` is legal in a cell and parses as it is.

Findings are located back in cells (``Finding.cell`` and the line within the cell); a
fix is written back by splitting the fixed text at the markers
(``NotebookSource.encode``), restoring magic lines, and replacing only the sources of
cells whose code changed. The JSON is written in Jupyter's own layout (the original
indentation, key order and ASCII escaping), so outputs and metadata stay as they were.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .findings import Edit, Finding, Position
from .findings import Text
from .source import SourceError, SourceFile

SUFFIX = ".ipynb"
CELL_MARK = "# concurlint-cell: "
_CELL = re.compile(r"^# concurlint-cell: (\d+)$")
_MAGIC = re.compile(r"^(?P<indent>[ \t]*)\.\.\.  # concurlint-magic: (?P<index>\d+)$")
# IPython syntax that is not Python: line magics, shell escapes, help, and their
# assignment forms ("x = !ls", "t = %timeit -o f()").
_IPYTHON_LINE = re.compile(r"^[ \t]*(?:[%!?]|[\w.]+\?\??[ \t]*$|[\w.,\t ()\[\]]+=[ \t]*[%!])")


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


@dataclass(frozen=True)
class NotebookSource(SourceFile):
    """A notebook as a ``SourceFile``: ``text`` is the code of its cells (see above)."""

    document: Any = None  # the parsed JSON
    magics: Tuple[str, ...] = ()  # original text of each replaced line, by K
    layout: Tuple[Any, bool, bool] = (1, False, True)  # indent, ensure_ascii, final newline

    def encode(self, text: str) -> bytes:
        """The notebook's bytes with the cells' code taken from ``text`` (a fixed text)."""
        document = json.loads(json.dumps(self.document))  # a copy: this source stays as read
        cells = document["cells"]
        for number, code in split_cells(text).items():
            if not 1 <= number <= len(cells):
                continue
            lines = [self._restore(line) for line in code.splitlines(keepends=True)]
            new = "".join(lines)
            cell = cells[number - 1]
            old = _joined(cell.get("source", ""))
            if not old.endswith("\n") and new.endswith("\n"):
                new = new[:-1]
            if new != old:
                cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
        indent, ascii_only, final_newline = self.layout
        data = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
        return (data + ("\n" if final_newline else "")).encode("utf-8")

    def _restore(self, line: str) -> str:
        body = line.rstrip("\r\n")
        match = _MAGIC.match(body)
        if match is None:
            return line
        return self.magics[int(match.group("index"))] + line[len(body):]


def _joined(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def split_cells(text: str) -> Dict[int, str]:
    """Cell number -> its code, from a (possibly fixed) notebook text. Lines a fix put
    above the first marker (an added import) belong to the first cell."""
    cells: Dict[int, List[str]] = {}
    head: List[str] = []
    current: Optional[List[str]] = None
    for line in text.splitlines(keepends=True):
        match = _CELL.match(line.rstrip("\r\n"))
        if match is not None:
            current = cells.setdefault(int(match.group(1)), [])
            if head:
                current.extend(head)
                head = []
            continue
        (head if current is None else current).append(line)
    return {number: "".join(lines) for number, lines in cells.items()}


def decode_notebook(data: bytes, path: str) -> NotebookSource:
    """Read a notebook's bytes; a file that is not a version 4 notebook is a SourceError."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        byte = f"{data[exc.start]:#04x}"
        raise SourceError(Text("not a notebook: cannot decode byte {byte} as UTF-8").format(byte=byte)) from None
    except ValueError as exc:
        raise SourceError(Text("not a notebook: invalid JSON ({error})").format(error=str(exc))) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        version = document.get("nbformat") if isinstance(document, dict) else None
        if isinstance(version, int) and version < 4:
            raise SourceError(Text("notebook format {version} is not supported; convert it with "
                                   "'jupyter nbconvert --to notebook --inplace'").format(version=version))
        raise SourceError(Text("not a notebook: no 'cells' list"))
    out: List[str] = []
    magics: List[str] = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code = _joined(cell.get("source", ""))
        if code.lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python
            continue
        out.append(f"{CELL_MARK}{number}\n")
        for line in code.splitlines():
            if _IPYTHON_LINE.match(line):
                indent = line[:len(line) - len(line.lstrip(" \t"))]
                out.append(f"{indent}...  # concurlint-magic: {len(magics)}\n")
                magics.append(line)
            else:
                out.append(line + "\n")
    return NotebookSource(path=path, text="".join(out), raw=data, document=document,
                          magics=tuple(magics), layout=_layout(data))


def _layout(data: bytes) -> Tuple[Any, bool, bool]:
    """How the file was written: indentation, ASCII escapes, final newline."""
    text = data.decode("utf-8-sig", "replace")
    match = re.search(r"\n( +)\S", text)
    indent: Any = len(match.group(1)) if match else (None if "\n" not in text.strip() else 1)
    return indent, bool(re.search(r"\\u[0-9a-fA-F]{4}", text)) and text.isascii(), text.endswith("\n")


# ---------------------------------------------------------------------- positions
def _cell_starts(text: str) -> List[Tuple[int, int]]:
    """(line number of a marker, cell number), in order."""
    return [(index, int(m.group(1))) for index, line in enumerate(text.splitlines(), start=1)
            for m in [_CELL.match(line)] if m is not None]


def cell_markers(text: str) -> Dict[int, int]:
    """Cell number -> the line number of its marker in ``text``."""
    return {number: marker for marker, number in _cell_starts(text)}


def locate(findings: Sequence[Finding], text: str) -> List[Finding]:
    """Findings (and their fix edits) moved from ``text`` lines to cell lines."""
    starts = _cell_starts(text)

    def where(position: Position) -> Tuple[Optional[int], Position]:
        cell, base = None, 0
        for marker, number in starts:
            if marker < position.line:
                cell, base = number, marker
        if cell is None:
            return (starts[0][1] if starts else None), Position(1, 1)
        return cell, Position(position.line - base, position.column)

    located = []
    for finding in findings:
        cell, start = where(finding.start)
        _cell, end = where(finding.end)
        fix = finding.fix
        if fix is not None and fix.edits:
            fix = replace(fix, edits=tuple(Edit(where(e.start)[1], where(e.end)[1], e.content)
                                           for e in fix.edits))
        located.append(replace(finding, start=start, end=end, fix=fix, cell=cell))
    return located


def cell_lines(lines: Sequence[str], cell: int) -> List[str]:
    """The lines of one cell, from the lines of a notebook's text (for the reporters)."""
    out: List[str] = []
    inside = False
    for line in lines:
        match = _CELL.match(line)
        if match is not None:
            if inside:
                break
            inside = int(match.group(1)) == cell
            continue
        if inside:
            out.append(line)
    return out
