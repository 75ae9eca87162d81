"""One page per registered rule and the rule index (codes, names, groups and fixes by family).
"""
from __future__ import annotations

from typing import Dict, List, Type

from ..explain import family_title, fix_kind, labels
from ..findings import Text
from ..rules import ALL_RULES, FAMILIES
from ..rules.base import Rule
from .common import GENERATED, _cell, other_language_name

# Labels shown inside f-strings (Babel cannot see a Text call inside one).
_AUTOFIX = Text("Autofix")
_FAMILY = Text("Family")
_GROUP = Text("Group")
_MORE_EXAMPLES = Text("More examples")
_PRECISION_ON_REAL_CODE = Text("Precision on real code")
_TERMINAL = Text("Terminal")


def rule_page(rule: Type[Rule], lang: str) -> str:
    h = labels(lang)
    family = rule.family()
    other = ("../../rules/" if lang == "zh" else "../zh/rules/") + f"{rule.code}.md"
    group = _group_cell(rule.group, lang)
    out: List[str] = [
        GENERATED, "",
        f"# {rule.code} `{rule.name}`", "",
        f"[{other_language_name(lang)}]({other})", "",
        f"**{rule.summary.get(lang) or rule.name}**", "",
        "| | |", "|---|---|",
        f"| {_FAMILY.get(lang)} | [{family} — {_cell(family_title(family, lang))}]"
        f"(index.md#{family.lower()}) |",
        f"| {_GROUP.get(lang)} | {group} |",
        f"| {_AUTOFIX.get(lang)} | {_cell(fix_kind(rule, lang))} |",
        f"| {_TERMINAL.get(lang)} | `concurlint rule {rule.code}"
        f"{' --lang zh' if lang == 'zh' else ''}` |",
        "",
    ]
    reason = rule.group_reason.get(lang).strip()
    if reason:
        out += [f"**{_GROUP.get(lang)} `{rule.group}`.** {reason} "
                f"[{_PRECISION_ON_REAL_CODE.get(lang)}]"
                f"({'../../precision.md' if lang == 'zh' else '../precision.md'})", ""]
    prose = ((h["what"], rule.what.get(lang)), (h["why"], rule.why.get(lang)))
    for heading, body in prose:
        if body.strip():
            out += [f"## {heading}", "", body.strip(), ""]
    for heading, code in ((h["example"], rule.example), (h["instead"], rule.use_instead)):
        if code.strip():
            out += [f"## {heading}", "", "```python", code.strip("\n"), "```", ""]
    for heading, body in ((h["fix"], rule.fix_safety.get(lang)), (h["options"], rule.options.get(lang))):
        if body.strip():
            out += [f"## {heading}", "", body.strip(), ""]
    if rule.invalid or rule.valid:
        out += [f"## {_MORE_EXAMPLES.get(lang)}", "",
                Text("These snippets are run by the test suite on every change.").get(lang), ""]
        for title, snippets in ((Text("Flagged").get(lang), rule.invalid),
                                (Text("Not flagged").get(lang), rule.valid)):
            if snippets:
                out += [f"### {title}", ""]
                for snippet in snippets:
                    out += ["```python", snippet.strip("\n"), "```", ""]
    return "\n".join(out).rstrip() + "\n"


GROUP_DOCS = {
    "correctness": Text("the code is wrong whenever the pattern matches; in the default set; "
                        "reported as an error"),
    "suspicious": Text("almost always a bug; rare deliberate uses take a `# noqa` with a reason; "
                       "in the default set; reported as a warning"),
    "advice": Text("best practice, often intended in library code; enabled by `--preset strict`, "
                   "`--preset learn` or `extend-select`; reported as a note"),
}


def _group_cell(group: str, lang: str) -> str:
    from ..catalog import GROUPS

    return f"`{group}` ({GROUPS[group]}): {_cell(GROUP_DOCS[group].get(lang))}"


def rules_index(lang: str) -> str:
    out: List[str] = [
        GENERATED, "",
        "# " + Text("Rules").get(lang), "",
        Text("Every rule, by family. Each rule belongs to a group: the default set holds the "
             "`correctness` and `suspicious` groups, chosen by their measured precision on real "
             "projects ([precision](../precision.md)); `advice` rules are opt-in (`--preset strict`, "
             "`--preset learn` or `extend-select`). `concurlint rule CODE` prints the same "
             "explanation in the terminal.").get(lang), "",
        f"[{other_language_name(lang)}]({'../../rules/index.md' if lang == 'zh' else '../zh/rules/index.md'})",
        "",
    ]
    by_family: Dict[str, List[Type[Rule]]] = {}
    for rule in ALL_RULES.values():
        by_family.setdefault(rule.family(), []).append(rule)
    for family in sorted(set(FAMILIES) | set(by_family)):
        rules = by_family.get(family, [])
        out += [f"## {family} — {family_title(family, lang)} {{#{family.lower()}}}", ""]
        if not rules:
            out += [Text("No rules of this family are registered yet.").get(lang), ""]
            continue
        out += [
            "| " + " | ".join(header.get(lang) for header in (
                Text("Code"), Text("Name"), Text("Group"), Text("Fix"),
                Text("Summary"))) + " |",
            "|---|---|---|---|---|",
        ]
        for rule in rules:
            fix = rule.fix if rule.fix and rule.fix != "-" else "—"
            out.append(f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | `{rule.group}` | {fix} | "
                       f"{_cell(rule.summary.get(lang))} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------- configuration
# key -> (type, description, example TOML line). Every key of config.KEYS needs one:
# tests/test_docs.py fails on a key without a description, and checks each example
# with config.parse_table.
