"""Every registered rule carries its documentation, in English and Simplified Chinese.

One test per rule and field, so a failure names exactly what is missing. The CCY0
rules describe the tool itself: they need no valid/invalid snippets, and CCY003
(internal error) and CCY004 (file skipped) have no meaningful code example. CCY209
flags only names listed in the configuration, so it has `valid` snippets only.
"""
from __future__ import annotations

import re
from typing import List, Tuple

import pytest

from concurlint.findings import Text
from concurlint.rules import ALL_RULES

PROSE = ("summary", "what", "why")
NO_CODE_EXAMPLE = {"CCY003", "CCY004"}  # nothing in the checked code causes them
# Rules that report only what the user's configuration lists: with the rule selected
# and no configuration (how snippets run) nothing can be flagged, so no `invalid`.
CONFIG_ONLY = {"CCY209"}
CJK = re.compile(r"[\u4e00-\u9fff]")

RULES = sorted(ALL_RULES)


def _cases(fields) -> List[Tuple[str, str]]:
    return [(code, field) for code in RULES for field in fields]


def test_registry_is_not_empty() -> None:
    assert RULES, "no rule is registered"


@pytest.mark.parametrize("code, field", _cases(PROSE))
def test_prose_in_english_and_chinese(code: str, field: str) -> None:
    text = getattr(ALL_RULES[code], field)
    assert isinstance(text, Text), f"{code}.{field} must be a Text(en, zh)"
    assert text.en.strip(), f"{code}.{field} has no English text"
    assert text.zh.strip(), f"{code}.{field} has no Chinese text"
    assert CJK.search(text.zh), f"{code}.{field}.zh is not Chinese: {text.zh!r}"
    assert text.zh.strip() != text.en.strip(), f"{code}.{field}.zh is a copy of the English text"


@pytest.mark.parametrize("code, field", _cases(("example", "use_instead")))
def test_code_examples(code: str, field: str) -> None:
    value = getattr(ALL_RULES[code], field)
    assert isinstance(value, str), f"{code}.{field} must be a code string"
    if code in NO_CODE_EXAMPLE:
        return
    assert value.strip(), f"{code}.{field} is empty"
    if field == "use_instead":
        assert value.strip() != ALL_RULES[code].example.strip(), f"{code}: use_instead equals example"


@pytest.mark.parametrize("code", [c for c in RULES if not c.startswith("CCY0")])
def test_valid_and_invalid_snippets(code: str) -> None:
    rule = ALL_RULES[code]
    if code not in CONFIG_ONLY:
        assert list(rule.invalid), f"{code} has no invalid (flagged) example snippets"
    assert list(rule.valid), f"{code} has no valid (not flagged) example snippets"
    assert all(isinstance(s, str) and s.strip() for s in [*rule.invalid, *rule.valid]), \
        f"{code}: every snippet must be non-empty code"


@pytest.mark.parametrize("code, field", _cases(("fix_safety", "options")))
def test_optional_texts_are_bilingual_when_present(code: str, field: str) -> None:
    text = getattr(ALL_RULES[code], field)
    assert isinstance(text, Text), f"{code}.{field} must be a Text(en, zh)"
    if text.en.strip():
        assert text.zh.strip() and CJK.search(text.zh), f"{code}.{field} has English but no Chinese"


@pytest.mark.parametrize("code", [c for c in RULES if ALL_RULES[c].fix not in ("-", "")])
def test_fixable_rules_explain_their_fix_safety(code: str) -> None:
    assert ALL_RULES[code].fix_safety.en.strip(), f"{code} has an autofix but no fix_safety text"


def test_metadata_shape() -> None:
    for code, rule in ALL_RULES.items():
        assert re.fullmatch(r"CCY\d{3}", code) and rule.code == code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), f"{code}: name {rule.name!r}"
        assert rule.fix in ("safe", "unsafe", "safe/unsafe", "-"), f"{code}: fix {rule.fix!r}"
