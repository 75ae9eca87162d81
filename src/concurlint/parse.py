"""Parsing: one libcst parse per file, with errors turned into a position and a reason."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst


@dataclass(frozen=True)
class ParseFailure:
    line: int  # 1-based
    column: int  # 1-based
    reason: str
    # CPython compiles the file but libcst's grammar does not cover it (a parser limit)
    python_accepts: bool = False


_VALIDATE = cst.CSTNode.__post_init__


def _skip_validation(_node: cst.CSTNode) -> None:
    return None


def _parse_unvalidated(text: str) -> cst.Module:
    """``cst.parse_module`` without re-validating every node it builds.

    libcst's ``__post_init__`` validates each new node (balanced parentheses,
    legal whitespace...). That catches mistakes in hand-built trees; on the
    parser's own output it never fails (libcst's source says as much) and
    costs about 13 % of a parse. Validation stays on outside this call, for the
    nodes the fixes build. The switch is process-wide, so it is not reentrant
    across threads: concurlint parses in one thread per process.
    """
    cst.CSTNode.__post_init__ = _skip_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        cst.CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]


def parse(text: str) -> Union[cst.Module, ParseFailure]:
    """Parse ``text`` into a libcst Module, or describe why it is not valid Python."""
    try:
        return _parse_unvalidated(text)
    except cst.ParserSyntaxError as exc:
        reason = " ".join(str(exc.message).split()) or "invalid syntax"
        return _cpython_position(text) or ParseFailure(
            max(exc.raw_line, 1), max(exc.raw_column, 0) + 1, reason, python_accepts=True)
    except RecursionError:
        return ParseFailure(1, 1, "too deeply nested to parse")
    except (ValueError, SyntaxError) as exc:  # e.g. the native parser rejecting the text
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ParseFailure(1, 1, first)


def _cpython_position(text: str) -> Optional[ParseFailure]:
    """CPython's own message and position, which users know better than libcst's."""
    try:
        compile(text, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        return ParseFailure(max(line, 1), max(column, 1), exc.msg or "invalid syntax")
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return None


def node_text(module: cst.Module, node: cst.CSTNode) -> str:
    """Source text of ``node`` (without the whitespace it owns)."""
    return module.code_for_node(node)


__all__ = ["ParseFailure", "parse", "node_text", "Optional"]
