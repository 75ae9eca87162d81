"""A rule's explanation as terminal text.

``explain`` is the long form printed by ``concurlint rule CODE``; ``brief`` is the
short form printed under a finding with ``--preset learn`` (once per rule per run,
see ``learn_hook``). Both read only the documentation carried by the rule class.
"""
from __future__ import annotations

import shutil
import textwrap
from typing import Callable, List, Optional, Set, Type

from .findings import Finding
from .rules.base import Rule

_HEADINGS = {
    "en": {
        "what": "What it does", "why": "Why is this bad?", "example": "Example",
        "instead": "Use instead", "fix": "Fix safety", "options": "Options",
        "correctness": "correctness (error) · in the default set: the code is wrong whenever this matches",
        "suspicious": "suspicious (warning) · in the default set: almost always a bug",
        "advice": "advice (note) · not in the default set: enable with --preset strict, "
                  "--preset learn or --extend-select",
        "autofix": "autofix", "nofix": "no autofix", "family": "family",
        "more": "Full explanation: concurlint rule {code}",
    },
    "zh": {
        "what": "规则作用", "why": "为什么有问题?", "example": "示例", "instead": "推荐写法",
        "fix": "修复安全性", "options": "配置项",
        "correctness": "correctness(错误)· 默认启用:只要匹配,代码就是错的",
        "suspicious": "suspicious(警告)· 默认启用:几乎总是 bug",
        "advice": "advice(提示)· 默认不启用:用 --preset strict、--preset learn 或 --extend-select 启用",
        "autofix": "自动修复", "nofix": "无自动修复", "family": "类别",
        "more": "完整说明:concurlint rule {code}",
    },
}

# Family titles in Simplified Chinese (English titles live in rules.FAMILIES).
FAMILIES_ZH = {
    "CCY0": "工具自身",
    "CCY1": "协程与 Task",
    "CCY2": "阻塞事件循环",
    "CCY3": "线程、进程与共享状态",
    "CCY4": "背压与扇出",
    "CCY5": "超时",
    "CCY6": "异常与取消",
    "CCY7": "资源生命周期",
}

FIX_KINDS = {
    "en": {"safe": "safe (applied by --fix)", "unsafe": "unsafe (only with --unsafe-fixes)",
           "safe/unsafe": "safe or unsafe depending on the context"},
    "zh": {"safe": "安全(--fix 会自动应用)", "unsafe": "不安全(仅在 --unsafe-fixes 时应用)",
           "safe/unsafe": "视上下文而定:安全或不安全"},
}


def labels(lang: str) -> dict:
    return _HEADINGS["zh" if lang == "zh" else "en"]


def family_title(family: str, lang: str = "en") -> str:
    from .rules import FAMILIES

    if lang == "zh":
        return FAMILIES_ZH.get(family, FAMILIES.get(family, ""))
    return FAMILIES.get(family, "")


def fix_kind(rule: Type[Rule], lang: str = "en") -> str:
    table = FIX_KINDS["zh" if lang == "zh" else "en"]
    if rule.fix == "-" or not rule.fix:
        return labels(lang)["nofix"]
    return table.get(rule.fix, rule.fix)


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((88, 24)).columns, 100)) - 2


def _paragraphs(body: str, lang: str, indent: str = "  ") -> List[str]:
    """Indent a prose block; English is wrapped to the terminal width, Chinese (whose
    characters are double width and carry no spaces) is left to the terminal."""
    out: List[str] = []
    for para in body.strip().split("\n"):
        if not para.strip():
            out.append("")
        elif lang == "zh":
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
