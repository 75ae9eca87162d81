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
