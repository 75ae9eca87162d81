"""Fixit-style tests generated from every rule's own examples.

Each rule carries ``invalid`` snippets (each must yield the rule's code) and ``valid``
look-alikes (none may); its documented ``example`` must show the pitfall and its
``use_instead`` must be clean of it.
"""
from __future__ import annotations

import json
import re
from typing import List, Tuple

import pytest

from concurlint.config import load_settings
from concurlint.engine import check_source
from concurlint.rules import visiting_rules
from concurlint.source import decode_source

CASES: List[Tuple[str, str, int, str]] = []
for _rule in visiting_rules():
    CASES += [(_rule.code, "invalid", i, s) for i, s in enumerate(_rule.invalid)]
    CASES += [(_rule.code, "valid", i, s) for i, s in enumerate(_rule.valid)]


def codes_in(snippet: str, code: str) -> List[str]:
    overrides = {"select": [code]}
    # CCY209 flags only configured names; its docs say which (`# pyproject.toml: ... = [...]`)
    configured = re.search(r"blocking-calls = (\[.*\])", snippet)
    if configured:
        overrides["blocking-calls"] = json.loads(configured.group(1))
    settings = load_settings(isolated=True, overrides=overrides)
    result = check_source(decode_source(snippet.encode(), "example.py"), settings)
    assert not result.tracebacks, result.tracebacks
    return [f.code for f in result.findings]


@pytest.mark.parametrize("code, kind, index, snippet", CASES,
                         ids=[f"{c}-{k}-{i}" for c, k, i, _ in CASES])
def test_rule_example(code: str, kind: str, index: int, snippet: str) -> None:
    found = codes_in(snippet, code)
    assert "CCY001" not in found, "the example is not valid Python"
    assert (code in found) == (kind == "invalid"), snippet


DOCUMENTED = [r for r in visiting_rules() if r.example]


@pytest.mark.parametrize("rule", DOCUMENTED, ids=[r.code for r in DOCUMENTED])
def test_documented_example_and_fix(rule) -> None:
    assert rule.code in codes_in(rule.example, rule.code), rule.example
    if rule.use_instead:
        config = rule.example.splitlines()[0] if rule.example.startswith("# pyproject.toml") else ""
        assert rule.code not in codes_in(config + "\n" + rule.use_instead, rule.code), rule.use_instead
