"""Reporters turn a run's findings into text. Each format is one function in REPORTERS.

A reporter receives a ``Report`` (findings, files checked, language, a way to get
source lines) and returns the whole output as one string, so callers can write
it to the terminal or, atomically, to a file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence

from ..findings import Finding

LineSource = Callable[[str], List[str]]


@dataclass
class Report:
    findings: Sequence[Finding]
    files_checked: int
    lang: str = "en"
    lines: LineSource = field(default=lambda path: [])
    color: bool = False
    extra: Dict[str, object] = field(default_factory=dict)  # format-specific context


Reporter = Callable[[Report], str]
REPORTERS: Dict[str, Reporter] = {}


def reporter(name: str) -> Callable[[Reporter], Reporter]:
    def register(function: Reporter) -> Reporter:
        REPORTERS[name] = function
        return function
    return register


from . import text, json_format, sarif, github, junit  # noqa: E402,F401  (registration side effects)

__all__ = ["REPORTERS", "Report", "reporter"]
