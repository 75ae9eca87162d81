"""Reading a file's bytes and decoding them as Python does (PEP 263).

The decoded text keeps everything needed to write the file back unchanged:
its encoding, whether it started with a UTF-8 BOM, and its newline style.
"""
from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .findings import Text


class SourceError(Exception):
    """The file could not be read or decoded (reported as CCY002): ``str()`` is the
    reason in English, ``text`` the same reason, translatable."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class SourceFile:
    path: str  # as the user named it (used in reports)
    text: str
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    raw: Optional[bytes] = None

    def encode(self, text: str) -> bytes:
        """Bytes for ``text`` written back with this file's encoding and BOM."""
        data = text.encode(self.encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom else data


def detect_newline(text: str) -> str:
    """The first newline sequence of ``text`` ("\\n" when there is none)."""
    for index, char in enumerate(text):
        if char == "\n":
            return "\n"
        if char == "\r":
            return "\r\n" if text[index + 1 : index + 2] == "\n" else "\r"
    return "\n"


def decode_source(data: bytes, path: str = "<stdin>") -> SourceFile:
    """Decode ``data`` using its BOM or coding cookie, as the interpreter would
    (a Jupyter notebook: its code cells, see ``notebook.py``)."""
    if path.lower().endswith(".ipynb"):
        from .notebook import decode_notebook

        return decode_notebook(data, path)
    try:
        # tokenize splits lines on "\n" only; let it see a lone-CR file's cookie too
        probe = data if b"\n" in data else data.replace(b"\r", b"\n")
        encoding, _ = tokenize.detect_encoding(io.BytesIO(probe).readline)
    except SyntaxError as exc:  # unknown codec, BOM/cookie conflict, bad cookie
        if "invalid or missing encoding" in str(exc):  # no cookie, bytes that are not UTF-8
            _decode_or_raise(data, "utf-8")
        reason = _strip_period(str(exc))
        raise SourceError(Text("{encoding_error}").format(encoding_error=reason)) from None
    bom = encoding == "utf-8-sig"
    if bom:
        encoding = "utf-8"
        body = data[3:]
    else:
        body = data
    text = _decode_or_raise(body, encoding)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError(Text("file contains a NUL byte at line {line} (binary file?)").format(line=line))
    return SourceFile(
        path=path, text=text, encoding=encoding, bom=bom,
        newline=detect_newline(text), raw=data,
    )


def _decode_or_raise(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = f"{body[exc.start]:#04x}"
        raise SourceError(Text("cannot decode byte {byte} at line {line} as {encoding}").format(
            byte=byte, line=line, encoding=encoding)) from None
    except LookupError:
        raise SourceError(Text("unknown encoding {encoding}").format(encoding=repr(encoding))) from None


def read_source(path: str) -> SourceFile:
    """Read and decode the file at ``path``; raise SourceError with a clear reason."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SourceError(Text("is a directory, not a file")) from None
    except FileNotFoundError:
        raise SourceError(Text("no such file (or a broken symbolic link)")) from None
    except PermissionError:
        raise SourceError(Text("permission denied")) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SourceError(Text("{system_error}").format(system_error=reason)) from None
    return decode_source(data, path)


def _strip_period(message: str) -> str:
    return message.rstrip(".")
