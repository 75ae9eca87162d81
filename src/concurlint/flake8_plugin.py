"""The flake8 plugin: the same engine on flake8's input, reported as ``CCYnnn``.

Settings come from the same configuration files as ``concurlint check`` (the closest
to each file; ``--concurlint-config`` names one for every file) and from
``--concurlint-*`` options in flake8's own config.
Messages are in English unless ``--concurlint-lang`` or ``CONCURLINT_LANG`` names another
language with a catalog; flake8 itself and its other plugins speak English, so the locale
alone does not switch them (unlike ``concurlint check``).
Codes selected explicitly through flake8 (``--select``/``--extend-select``) that
are off by default here are switched on, so ``flake8 --extend-select CCY108``
works; flake8 itself then applies its ignore lists and ``noqa``.
"""
from __future__ import annotations

import os
from typing import Any, ClassVar, Generator, List, Optional, Sequence, Tuple, Type

from . import __version__
from .config import ConfigError, Settings, load_settings
from .engine import check_source  # noqa: F401 - the engine entry point (re-exported)
from .bounded import bounded_check
from .languages import names as language_names, resolve as resolve_language
from .rules import ALL_RULES
from .source import SourceFile, detect_newline

_OPTIONS = (
    # (flake8 option, TOML key, help, takes a comma-separated list)
    ("--concurlint-select", "select", "concurlint codes to enable (replaces the preset)", True),
    ("--concurlint-extend-select", "extend-select", "concurlint codes to enable in addition", True),
    ("--concurlint-ignore", "ignore", "concurlint codes to disable", True),
    ("--concurlint-preset", "preset", "concurlint rule preset: default, strict, learn (all = strict)", False),
    ("--concurlint-blocking-calls", "blocking-calls", "qualified names that block (CCY209)", True),
    ("--concurlint-lock-name-pattern", "lock-name-pattern", "regex of names that count as locks", False),
    ("--concurlint-max-file-size", "max-file-size", "skip files larger than this many bytes", False),
    ("--concurlint-file-timeout", "file-timeout", "seconds allowed per file", False),
    ("--concurlint-async-backend", "async-backend",
     "async library where imports do not say: auto, asyncio, trio or anyio", False),
    ("--concurlint-config", None, "TOML file with concurlint settings", False),
    ("--concurlint-lang", None, "language of the messages (default: CONCURLINT_LANG, else English)", False),
)


class ConcurlintChecker:
    name = "concurlint"
    version = __version__
    settings: ClassVar[Optional[Settings]] = None
    config_error: ClassVar[Optional[str]] = None
    lang: ClassVar[str] = "en"

    def __init__(self, tree: Any, filename: str, lines: Sequence[str]):
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for flag, _key, help_text, is_list in _OPTIONS:
            manager.add_option(flag, parse_from_config=True, comma_separated_list=is_list,
                               default=None, help=f"{help_text} (concurlint)")

    @classmethod
    def parse_options(cls, options: Any) -> None:
        overrides = {}
        for flag, key, _help, _is_list in _OPTIONS:
            if key is None:
                continue
            value = getattr(options, flag[2:].replace("-", "_"), None)
            if value in (None, [], ""):
                continue
            if key == "max-file-size":
                value = int(value)
            elif key == "file-timeout":
                value = float(value)
            overrides[key] = value
        explicit = _explicitly_selected(options)
        if explicit:
            overrides["extend-select"] = list(overrides.get("extend-select") or []) + explicit
        option = getattr(options, "concurlint_lang", None)
        wanted = option or os.environ.get("CONCURLINT_LANG")
        lang = resolve_language(wanted) if wanted else None
        if option and lang is None:
            cls.settings = None
            cls.config_error = f"unknown --concurlint-lang {option!r}; known: {', '.join(language_names())}"
            return
        cls.lang = lang or "en"  # as in `concurlint check`: a CONCURLINT_LANG without a catalog is English
        try:
            cls.settings = load_settings(
                config_file=getattr(options, "concurlint_config", None),
                overrides=overrides, search_from=[os.getcwd()])
            cls.config_error = None
        except ConfigError as exc:
            cls.settings = None
            cls.config_error = str(exc)

    def run(self) -> Generator[Tuple[int, int, str, Type[Any]], None, None]:
        if self.settings is None:
            if self.config_error:
                yield 1, 0, f"CCY002 concurlint configuration error: {self.config_error}", type(self)
                return
            type(self).parse_options(_Defaults())
        assert self.settings is not None
        try:
            settings = self.settings.for_path(self.filename)  # the closest config to this file
        except ConfigError as exc:
            yield 1, 0, f"CCY002 concurlint configuration error: {exc}", type(self)
            return
        text = "".join(self.lines)
        source = SourceFile(path=self.filename, text=text, newline=detect_newline(text))
        project = None
        try:
            from .semantics.project import ProjectIndex

            for_file = getattr(ProjectIndex, "for_file", None)
            if for_file is not None and self.filename not in ("stdin", "-"):
                project = for_file(self.filename)
                project.use_library(settings.python_path, settings.root)
        except Exception:  # noqa: BLE001 - the index is an optimisation of recall only
            project = None
        # Bounded like a worker of the CLI: size limit, and risky files in a child
        # process with the file-timeout and a memory limit (CCY004 instead of a hang).
        result = bounded_check(source, settings, project, noqa=False)
        for finding in result.findings:
            yield (finding.start.line, finding.start.column - 1,
                   f"{finding.code} {finding.message.get(self.lang)}", type(self))


class _Defaults:
    """Options as flake8 would give them when nothing is set (plugin used directly)."""

    def __getattr__(self, name: str) -> None:
        return None


def _explicitly_selected(options: Any) -> List[str]:
    """CCY codes named more specifically than 'CCY' in flake8's select options."""
    chosen: List[str] = []
    for attr in ("select", "extend_select", "enable_extensions"):
        values = getattr(options, attr, None) or []
        if isinstance(values, str):
            values = [v.strip() for v in values.split(",")]
        for value in values:
            value = value.strip().upper()
            if value.startswith("CCY") and len(value) > 3 and any(c.startswith(value) for c in ALL_RULES):
                chosen.append(value)
    return chosen
