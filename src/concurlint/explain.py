"""A rule's explanation as terminal text.

``explain`` is the long form printed by ``concurlint rule CODE``; ``brief`` is the
short form printed under a finding with ``--preset learn`` (once per rule per run,
see ``learn_hook``). Both read only the documentation carried by the rule class.
"""
from __future__ import annotations

import shutil
import textwrap
import unicodedata
from typing import Callable, Dict, List, Optional, Set, Type

from .catalog import FAMILY_TITLES
from .findings import Finding, Text
from .rules.base import Rule

_HEADINGS = {
    "what": Text("What it does"), "why": Text("Why is this bad?"), "example": Text("Example"),
    "instead": Text("Use instead"), "fix": Text("Fix safety"), "options": Text("Options"),
    "correctness": Text("correctness (error) · in the default set: the code is wrong whenever this matches"),
    "suspicious": Text("suspicious (warning) · in the default set: almost always a bug"),
    "advice": Text("advice (note) · not in the default set: enable with --preset strict, "
                   "--preset learn or --extend-select"),
    "autofix": Text("autofix"), "nofix": Text("no autofix"), "family": Text("family"),
    "more": Text("Full explanation: concurlint rule {code}"),
}

FIX_KINDS = {
    "safe": Text("safe (applied by --fix)"), "unsafe": Text("unsafe (only with --unsafe-fixes)"),
    "safe/unsafe": Text("safe or unsafe depending on the context"),
}


def labels(lang: str) -> Dict[str, str]:
    """The headings and labels of an explanation, in ``lang`` ("more" keeps its {code})."""
    return {key: text.get(lang) for key, text in _HEADINGS.items()}


def family_title(family: str, lang: str = "en") -> str:
    title = FAMILY_TITLES.get(family)
    return title.get(lang) if title is not None else ""


def fix_kind(rule: Type[Rule], lang: str = "en") -> str:
    if rule.fix == "-" or not rule.fix:
        return labels(lang)["nofix"]
    kind = FIX_KINDS.get(rule.fix)
    return kind.get(lang) if kind is not None else rule.fix


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((88, 24)).columns, 100)) - 2


def _paragraphs(body: str, lang: str, indent: str = "  ") -> List[str]:
    """Indent a prose block; text with spaces between words is wrapped to the terminal
    width, text in a script written without them (double-width characters: Chinese,
    Japanese) is left to the terminal."""
    out: List[str] = []
    for para in body.strip().split("\n"):
        if not para.strip():
            out.append("")
        elif lang != "en" and any(unicodedata.east_asian_width(c) in "WF" for c in para):
            out.append(indent + para)
        else:
            out.extend(textwrap.wrap(para, width=_width(), initial_indent=indent,
                                     subsequent_indent=indent, break_on_hyphens=False,
                                     break_long_words=False) or [indent])
    return out


def _code(code: str, indent: str = "    ") -> List[str]:
    return [indent + line if line.strip() else "" for line in code.rstrip("\n").split("\n")]


def _style(text: str, color: bool, **kwargs: object) -> str:
    if not color:
        return text
    import click

    return click.style(text, **kwargs)  # type: ignore[arg-type]


def explain(rule: Type[Rule], lang: str = "en", color: bool = False) -> str:
    """The whole explanation of a rule, for ``concurlint rule CODE``."""
    h = labels(lang)
    state = h[rule.group]
    family = rule.family()
    out: List[str] = [
        _style(f"{rule.code}  {rule.name}", color, bold=True, fg="cyan"),
        _style(rule.summary.get(lang), color, bold=True),
        state,
        *(_paragraphs(rule.group_reason.get(lang), lang, indent="") if rule.group_reason.get(lang) else []),
        f"{h['autofix']}: {fix_kind(rule, lang)} · {h['family']} {family} ({family_title(family, lang)})",
        "",
    ]
    sections = (
        (h["what"], rule.what.get(lang), False),
        (h["why"], rule.why.get(lang), False),
        (h["example"], rule.example, True),
        (h["instead"], rule.use_instead, True),
        (h["fix"], rule.fix_safety.get(lang), False),
        (h["options"], rule.options.get(lang), False),
    )
    for heading, body, is_code in sections:
        if not body or not body.strip():
            continue
        out.append(_style(heading, color, bold=True, fg="yellow"))
        out.extend(_code(body) if is_code else _paragraphs(body, lang))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def brief(rule: Type[Rule], lang: str = "en", color: bool = False) -> str:
    """The short explanation printed under a finding (``--preset learn``)."""
    h = labels(lang)
    bar = _style("  │ ", color, fg="blue")
    out: List[str] = []
    summary = rule.summary.get(lang)
    if summary.strip():
        out.append(bar + _style(summary, color, bold=True, fg="cyan"))
    why = rule.why.get(lang)
    if why.strip():
        out.append(bar + _style(h["why"], color, bold=True))
        out.extend(bar + line.lstrip(" ") if line else bar.rstrip()
                   for line in _paragraphs(why, lang, indent=""))
    if rule.use_instead.strip():
        out.append(bar + _style(h["instead"], color, bold=True))
        out.extend(bar + line if line else bar.rstrip() for line in _code(rule.use_instead, "  "))
    out.append(bar + _style(h["more"].format(code=rule.code), color, dim=True))
    return "\n".join(out)


def learn_hook(lang: str = "en", color: bool = False) -> Callable[[Finding], str]:
    """A ``Report.extra["explain"]`` callable: the brief explanation of a finding's rule,
    the first time that rule is seen in this run, and "" afterwards."""
    from .rules import ALL_RULES

    seen: Set[str] = set()

    def explain_finding(finding: Finding) -> str:
        if finding.code in seen:
            return ""
        seen.add(finding.code)
        rule: Optional[Type[Rule]] = ALL_RULES.get(finding.code)
        return brief(rule, lang, color) if rule is not None else ""

    return explain_finding
