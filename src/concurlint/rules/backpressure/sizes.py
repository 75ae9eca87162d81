"""``_Sizes``: the mixin that decides whether a collection, a loop or a number of starts is
sized by the program (literals, constants, configured limits, registries of callables)
rather than by its input; shared by CCY401/CCY403 and CCY402.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Set

import libcst as cst

from ...apis.backpressure import DICT_VIEWS, MAX_KNOWN_FAN_OUT, SIZE_PRESERVING
from ...semantics.callees import last_name, number_value
from ...semantics.scopes import ASSIGN, IMPORT
from .common import _call_args, _COMPREHENSIONS, _SCOPE_BOUNDARIES, _CALLABLE_REGISTRY, _comp_fors

if TYPE_CHECKING:
    from ...semantics.context import Context


# ----------------------------------------------------------------------------- sizes


class _Sizes:
    """Known and unknown collection sizes (catalog: CCY402 "unknown size"), shared by both rules."""

    ctx: "Context"

    def _batch_names(self) -> Set[str]:
        """Names bound by enclosing ``for`` loops of this function (their items are batches)."""
        names: Set[str] = set()
        for ancestor in reversed(self.ctx.ancestors):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, cst.For) and isinstance(ancestor.target, cst.Name):
                names.add(ancestor.target.value)
        return names

    def _bounded(self, expr: cst.BaseExpression, depth: int) -> bool:
        """Is ``expr`` an iterable of known, small size (per the catalog)?"""
        if depth > 6:
            return False
        if _CALLABLE_REGISTRY.search(last_name(expr) or ""):
            return True  # registered receivers/handlers: sized by the program, not by its input
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(not isinstance(e, cst.StarredElement) or self._bounded(e.value, depth + 1)
                       for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(not isinstance(e, cst.StarredDictElement) for e in expr.elements)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
        if isinstance(expr, _COMPREHENSIONS):
            return all(f.asynchronous is None and self._bounded(f.iter, depth + 1)
                       for f in _comp_fors(expr))  # type: ignore[arg-type]
        if isinstance(expr, cst.Call):
            return self._bounded_call(expr, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
            for seq, times in ((expr.left, expr.right), (expr.right, expr.left)):
                count = number_value(times)
                if count is not None and isinstance(seq, (cst.List, cst.Tuple, cst.SimpleString)):
                    size = len(seq.elements) if isinstance(seq, (cst.List, cst.Tuple)) else 1
                    return size * count <= MAX_KNOWN_FAN_OUT
            return False
        if isinstance(expr, cst.Subscript):
            return self._bounded_slice(expr)
        if isinstance(expr, cst.Name):
            if expr.value in self._batch_names():
                return True
            bindings, owner = self.ctx.lookup(expr.value)
            if not bindings or owner is None or len(bindings) != 1:
                return False
            binding = bindings[0]
            if binding.kind == IMPORT and binding.qualname:
                return self._project_constant(binding.qualname)
            if binding.kind != ASSIGN or binding.with_item or not isinstance(binding.node, cst.BaseExpression):
                return False
            if owner is self.ctx.function:
                return self._bounded(binding.node, depth + 1)
            if owner is self.ctx.module_scope:  # a module constant: only a literal counts
                return isinstance(binding.node, (cst.List, cst.Tuple, cst.Set, cst.Dict)) and \
                    self._bounded(binding.node, depth + 1)
        if isinstance(expr, cst.Attribute) and expr.attr.value.isupper():
            qualname = self.ctx.resolve(expr)  # const.PLATFORMS
            return qualname is not None and self._project_constant(qualname)
        return False

    def _project_constant(self, qualname: str) -> bool:
        """An UPPER_CASE literal collection of another project module (``from .const import PLATFORMS``)."""
        project = self.ctx.project
        size = project.constant_size(qualname) if project is not None else None
        return size is not None and size <= MAX_KNOWN_FAN_OUT

    def _bounded_call(self, call: cst.Call, depth: int) -> bool:
        name = self.ctx.resolve(call.func)
        positional, _keywords, unknown = _call_args(call)
        if name == "builtins.range":
            if unknown or not positional:
                return False
            values = [number_value(a.value) for a in positional]
            if any(v is None for v in values):
                return True  # range(n): a worker count, not a collection
            ints = [int(v) for v in values]  # type: ignore[arg-type]
            try:
                return len(range(*ints)) <= MAX_KNOWN_FAN_OUT
            except (ValueError, TypeError, OverflowError):
                return False
        if name in SIZE_PRESERVING:
            index = SIZE_PRESERVING[name]
            return len(positional) > index and not unknown and self._bounded(positional[index].value, depth + 1)
        if name == "builtins.zip":
            return any(self._bounded(a.value, depth + 1) for a in positional)
        if name == "itertools.islice" and len(positional) >= 2:
            stop = number_value(positional[-2].value if len(positional) == 3 else positional[1].value)
            return stop is not None and stop <= MAX_KNOWN_FAN_OUT
        if (isinstance(call.func, cst.Attribute) and call.func.attr.value in DICT_VIEWS
                and not call.args):
            return self._bounded(call.func.value, depth + 1)
        return False

    def _bounded_slice(self, expr: cst.Subscript) -> bool:
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Slice):
            return False
        piece = expr.slice[0].slice
        lower = number_value(piece.lower) if piece.lower is not None else None
        upper = number_value(piece.upper) if piece.upper is not None else None
        if piece.upper is not None and upper is not None and upper >= 0:
            start = lower if (lower is not None and lower >= 0) else 0
            if piece.lower is None or lower is not None:
                return upper - start <= MAX_KNOWN_FAN_OUT
        if piece.upper is None and lower is not None and lower < 0:
            return -lower <= MAX_KNOWN_FAN_OUT
        if piece.lower is not None and piece.upper is not None and (lower is None or upper is None):
            return True  # xs[i:i + size]: one batch of a batching loop
        return False
