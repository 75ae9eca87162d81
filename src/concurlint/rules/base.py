"""The rule base class: a rule is a small class carrying its metadata, its docs
(English ``Text``, translated through the gettext catalog), its valid/invalid examples
and its visit methods.

Visit methods are named like libcst's (``visit_Call``, ``leave_FunctionDef``) and
receive the node; everything else comes from ``self.ctx`` (the shared facts).
"""
from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from ..catalog import DEFAULT_GROUPS, GROUPS
from ..findings import Fix, Text
from ..semantics.context import Context

EMPTY = Text("")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    # correctness | suspicious | advice (catalog revision 2): the severity, and whether
    # the default preset holds the rule (``default_on``, derived).
    group: ClassVar[str] = "suspicious"
    default_on: ClassVar[bool] = True
    # Why the rule is in its group: the measured precision on real projects (docs/precision.md)
    group_reason: ClassVar[Text] = EMPTY
    # True: the default preset does not report the rule in test code (catalog.QUIET_IN_TESTS)
    quiet_in_tests: ClassVar[bool] = False
    fix: ClassVar[str] = "-"  # "safe", "unsafe", "safe/unsafe" or "-" (message only)
    summary: ClassVar[Text] = EMPTY
    what: ClassVar[Text] = EMPTY  # What it does
    why: ClassVar[Text] = EMPTY  # Why is this bad
    example: ClassVar[str] = ""  # code showing the pitfall
    use_instead: ClassVar[str] = ""  # the corrected code
    fix_safety: ClassVar[Text] = EMPTY
    options: ClassVar[Text] = EMPTY  # configuration that affects the rule
    # Fixit-style examples: every `invalid` snippet yields this code, no `valid` one does.
    valid: ClassVar[Sequence[str]] = ()
    invalid: ClassVar[Sequence[str]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.group not in GROUPS:  # pragma: no cover - a programming error
            raise TypeError(f"{cls.__name__}: unknown rule group {cls.group!r}")
        cls.default_on = cls.group in DEFAULT_GROUPS

    @classmethod
    def severity(cls) -> str:
        return GROUPS[cls.group]

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def report(self, node: cst.CSTNode, message: Text, fix: Optional[Fix] = None) -> None:
        self.ctx.report(node, self.code, message, fix)

    @classmethod
    def family(cls) -> str:
        return cls.code[:4]
