"""The light rule catalog (used without loading libcst) matches the rule classes."""
from concurlint import catalog
from concurlint.rules import ALL_RULES, FAMILIES


def test_catalog_matches_the_rules() -> None:
    assert catalog.CODES == {code: (rule.name, rule.group) for code, rule in ALL_RULES.items()}
    assert catalog.FAMILIES == FAMILIES
