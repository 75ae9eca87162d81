"""A rule's long explanation as terminal text (``concurlint rule CODE``)."""
from __future__ import annotations

from typing import List, Type

from .rules.base import Rule

_HEADINGS = {
    "en": ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options"),
    "zh": ("规则作用", "为什么有问题?", "示例", "推荐写法", "修复安全性", "配置项"),
}


def explain(rule: Type[Rule], lang: str = "en") -> str:
    what, why, example, instead, fix, options = _HEADINGS["zh" if lang == "zh" else "en"]
    state = ("默认启用" if rule.default_on else "默认关闭") if lang == "zh" else (
        "on by default" if rule.default_on else "off by default")
    out: List[str] = [f"{rule.code} {rule.name} ({state})", "", rule.summary.get(lang), ""]
    for heading, body in ((what, rule.what.get(lang)), (why, rule.why.get(lang))):
        if body:
            out += [f"## {heading}", body, ""]
    for heading, code in ((example, rule.example), (instead, rule.use_instead)):
        if code:
            out += [f"## {heading}", "```python", code.rstrip("\n"), "```", ""]
    for heading, body in ((fix, rule.fix_safety.get(lang)), (options, rule.options.get(lang))):
        if body:
            out += [f"## {heading}", body, ""]
    return "\n".join(out).rstrip() + "\n"
