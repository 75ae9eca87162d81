"""Reporters turn a run's findings into text. Each format is one function in REPORTERS.

A reporter receives a ``Report`` (findings, files checked, language, a way to get
source lines) and returns the whole output as one string, so callers can write
it to the terminal or, atomically, to a file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import importlib
from typing import Callable, Dict, Iterator, List, Mapping, Sequence

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

# format -> the module that registers it; a module is imported when its format is
# first asked for (SARIF and JUnit pull in the baseline and XML code: ~80 ms that a
# plain terminal run, or a run answered from the cache, does not need).
_MODULES: Dict[str, str] = {
    "concise": "text", "full": "text", "json": "json_format", "github": "github",
    "junit": "junit", "sarif": "sarif", "gitlab": "gitlab",
}


class _Registry(Mapping[str, Reporter]):
    def __init__(self) -> None:
        self._loaded: Dict[str, Reporter] = {}

    def __getitem__(self, name: str) -> Reporter:
        if name not in self._loaded and name in _MODULES:
            importlib.import_module(f"{__name__}.{_MODULES[name]}")
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS = _Registry()


def reporter(name: str) -> Callable[[Reporter], Reporter]:
    def register(function: Reporter) -> Reporter:
        REPORTERS._loaded[name] = function  # noqa: SLF001 - the registry's own decorator
        return function
    return register

__all__ = ["REPORTERS", "Report", "reporter"]
