"""The project index's known-size constants (``PLATFORMS = [...]`` read by the fan-out
rules), found without a parse: brackets inside strings and comments, mutations."""
from __future__ import annotations

from pathlib import Path

from concurlint.semantics.project import ProjectIndex

CONST = '''FIRST = ["at", "the", "very", "start"]
PLATFORMS = [Platform.A, "x]", 'y)', Platform.B]
ITEMS = (
    "a",  # a comment with ) and ] in it
    "b",
)
NAMES = {"a": 1, "b": '\\'}', "c": "\\"]"}
DOC = ["""triple ] quoted ) text""", \'\'\'and ( this\'\'\', 3]
GROWN = [1]
TWICE = [1]
TWICE = [1, 2]
STARRED = [*FIRST, 1]
EMPTY = []
LATER = set([1, 2])


def grow():
    GROWN.append(2)
'''


def test_sizes_of_the_constants_of_an_imported_module(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "const.py").write_text(CONST)
    (tmp_path / "pkg" / "main.py").write_text("from pkg import const\n")
    index = ProjectIndex.from_files([str(tmp_path / "pkg" / "main.py")], self_served=True)
    sizes = {name: index.constant_size(f"pkg.const.{name}") for name in
             ("FIRST", "PLATFORMS", "ITEMS", "NAMES", "DOC", "GROWN", "TWICE", "STARRED", "EMPTY", "LATER")}
    assert sizes == {"FIRST": 4, "PLATFORMS": 4, "ITEMS": 2, "NAMES": 3, "DOC": 3, "GROWN": None,
                     "TWICE": None, "STARRED": None, "EMPTY": None, "LATER": 2}


def test_an_unclosed_display_is_not_a_constant(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "const.py").write_text('OPEN = [1, "never closed\n' + "x = 1\n" * 10)
    (tmp_path / "pkg" / "main.py").write_text("from pkg import const\n")
    index = ProjectIndex.from_files([str(tmp_path / "pkg" / "main.py")], self_served=True)
    assert index.constant_size("pkg.const.OPEN") is None
