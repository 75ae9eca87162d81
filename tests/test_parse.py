"""Parsing: libcst's tree without its per-node re-validation, and only during the parse."""
from __future__ import annotations

import libcst as cst
import pytest

from concurlint.parse import ParseFailure, parse


def test_parse_returns_the_same_tree_as_libcst() -> None:
    text = "import asyncio\n\nasync def f(x: int = (1)) -> None:\n    await asyncio.sleep(x)  # nap\n"
    module = parse(text)
    assert isinstance(module, cst.Module)
    assert module.code == text
    assert module.deep_equals(cst.parse_module(text))


@pytest.mark.parametrize("text", ["x = 1\n", "def f(:\n"])
def test_validation_of_new_nodes_is_back_on_after_a_parse(text: str) -> None:
    parse(text)
    # a Name is not a valid identifier: libcst's validation must reject it
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")
    # an unbalanced parenthesised expression too
    with pytest.raises(cst.CSTValidationError):
        cst.Name("x", lpar=[cst.LeftParen()])


def test_syntax_errors_are_still_failures() -> None:
    failure = parse("def f(:\n    pass\n")
    assert isinstance(failure, ParseFailure)
    assert failure.line == 1 and not failure.python_accepts
