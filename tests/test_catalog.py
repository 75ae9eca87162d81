"""The light rule catalog (used without loading libcst) matches the rule classes."""
import pytest

from concurlint import catalog
from concurlint.rules import ALL_RULES, FAMILIES


def test_catalog_matches_the_rules() -> None:
    assert catalog.CODES == {code: (rule.name, rule.group) for code, rule in ALL_RULES.items()}
    assert catalog.FAMILIES == FAMILIES


def test_quiet_in_tests_matches_the_rules() -> None:
    assert catalog.QUIET_IN_TESTS == {code for code, rule in ALL_RULES.items() if rule.quiet_in_tests}


@pytest.mark.parametrize("path, expected", [
    ("tests/test_app.py", True),
    ("pkg/tests/helpers.py", True),
    ("pkg/_tests/module.py", True),
    ("test_service.py", True),
    ("service_test.py", True),
    ("pkg/conftest.py", True),
    ("app/tests.py", True),
    ("app/service.py", False),
    ("app/testing_utils.py", False),
    ("latest/contest.py", False),
    ("app/attestation.py", False),
])
def test_test_paths(path: str, expected: bool) -> None:
    assert catalog.is_test_path(path) is expected


def test_the_default_form_leaves_test_code_out_and_a_chosen_rule_does_not(tmp_path) -> None:
    from concurlint.config import load_settings
    from concurlint.engine import check_source
    from concurlint.source import SourceFile

    text = "import time\n\n\nasync def test_poll():\n    time.sleep(0.1)\n"

    def codes(path: str, **overrides) -> list:
        settings = load_settings(search_from=[str(tmp_path)], overrides=overrides)
        source = SourceFile(path=str(tmp_path / path), text=text, newline="\n")
        return [f.code for f in check_source(source, settings).findings]

    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n")
    assert codes("service.py") == ["CCY201"]
    assert codes("tests/test_service.py") == []          # default preset: not in tests
    assert codes("tests/test_service.py", preset="strict") == ["CCY201"]
    assert codes("tests/test_service.py", preset="learn") == ["CCY201"]
    assert codes("tests/test_service.py", select=["CCY201"]) == ["CCY201"]  # chosen by code
    assert codes("tests/test_service.py", **{"extend-select": ["CCY2"]}) == ["CCY201"]


def test_every_rule_says_why_it_is_in_its_group() -> None:
    for code, rule in ALL_RULES.items():
        assert rule.group_reason.en.strip() and rule.group_reason.zh.strip(), code
