"""Source positions of reported nodes, computed only for files that have findings.

libcst's ``PositionProvider`` tracks line and column on every token in Python and
builds a range object for every node (measured here: about 5x a plain code
generation, more than the parse itself on large files). We instead run one plain
code generation that counts characters, remember character offsets, and turn only
the offsets of the nodes we report into (line, column) pairs. Ranges are the same
"syntactic" ranges PositionProvider gives (whitespace and comments owned by a
node are excluded; a node's own parentheses are too).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Collection, Dict, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

from .findings import Position

_NEWLINE = re.compile(r"\r\n|\r|\n")
Span = Tuple[int, int]  # character offsets, end exclusive


@dataclass(frozen=False)
class _OffsetState(CodegenState):
    offset: int = 0
    syntactic: Dict[int, Span] = field(default_factory=dict)
    inclusive: Dict[int, Span] = field(default_factory=dict)
    wanted: Collection[int] = ()
    _starts: Dict[int, int] = field(default_factory=dict)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # only the end of the file moves; no reported node starts after it

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self._starts[id(node)] = self.offset

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            self.inclusive[key] = (self._starts.pop(key, self.offset), self.offset)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> "_Recording":
        # called for nearly every node: a small object is much cheaper than a
        # @contextmanager generator
        return _Recording(self, node, start_node, end_node)


class _Recording:
    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _OffsetState, node: cst.CSTNode, start_node: Optional[cst.CSTNode],
                 end_node: Optional[cst.CSTNode]):
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc: object) -> None:
        state = self.state
        start, end = self.start, state.offset
        if self.start_node is not None:
            start = state.syntactic.get(id(self.start_node), (start, end))[0]
        if self.end_node is not None:
            end = state.syntactic.get(id(self.end_node), (start, end))[1]
        state.syntactic[id(self.node)] = (start, end)


def _codegen_until_found(module: cst.Module, state: _OffsetState) -> None:
    """``Module._codegen`` that stops after the top-level statement where the last
    wanted node ends: offsets only depend on what comes before (findings in the
    first half of a file cost half a code generation)."""
    for line in module.header:
        line._codegen(state)
    wanted = len(state.wanted)
    for statement in module.body:
        statement._codegen(state)
        if len(state.inclusive) >= wanted:
            return
    for line in module.footer:
        line._codegen(state)


class Positions:
    """(line, column) ranges of selected nodes of one module (1-based, end exclusive)."""

    def __init__(self, module: cst.Module, nodes: Optional[Collection[cst.CSTNode]] = None,
                 text: Optional[str] = None):
        """Positions of ``nodes`` (None: of every node that has a syntactic range)."""
        self.module = module
        state = _OffsetState(default_indent=module.default_indent,
                             default_newline=module.default_newline,
                             wanted={id(n) for n in nodes} if nodes is not None else ())
        if nodes is None or id(module) in state.wanted:
            module._codegen(state)
        else:
            _codegen_until_found(module, state)
        if nodes is None:
            self._spans = state.syntactic
        else:
            self._spans = {k: v for k, v in state.syntactic.items() if k in state.wanted}
        self._inclusive = state.inclusive
        for key, span in state.inclusive.items():
            self._spans.setdefault(key, span)
        self.text = module.code if text is None else text
        self._line_starts: List[int] = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]

    def offsets(self, node: cst.CSTNode) -> Optional[Span]:
        return self._spans.get(id(node))

    def inclusive_offsets(self, node: cst.CSTNode) -> Optional[Span]:
        """The node's whole rendered text, with the whitespace and comments it owns."""
        return self._inclusive.get(id(node))

    def position(self, offset: int) -> Position:
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(index + 1, offset - self._line_starts[index] + 1)

    def range(self, node: cst.CSTNode) -> Optional[Tuple[Position, Position]]:
        span = self._spans.get(id(node))
        if span is None:
            return None
        return self.position(span[0]), self.position(span[1])
