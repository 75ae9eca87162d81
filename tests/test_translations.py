"""The gettext catalog: every marked message translated, placeholders kept, files fresh.

Messages are marked in the code as ``Text("English {name}")`` and translated in
src/concurlint/locale/zh_CN/LC_MESSAGES/concurlint.po (docs/translating.md).
"""
from __future__ import annotations

import ast
import io
import json
import pickle
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

babel = pytest.importorskip("babel")
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "concurlint"
POT = PACKAGE / "locale" / "concurlint.pot"
CATALOGS = sorted((PACKAGE / "locale").glob("*/LC_MESSAGES/concurlint.po"))
# The extraction command documented in babel.cfg and docs/translating.md.
EXTRACT = ["-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "Text:1,1t",
           "-k", "Plural:1,2",
           "--no-default-keywords", "--no-location", "--sort-output", "--width", "0",
           "--project", "concurlint"]
POSITIONAL = re.compile(r"\{\}|\{\d+[^}]*\}|%[-#0+]?\d*(?:\.\d+)?[sdifr]|%\([^)]*\)[sdifr]")


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _entries(path: Path) -> Dict[str, str]:
    return {m.id: m.string for m in _read(path) if m.id and not m.fuzzy}


def placeholders(template: str) -> Set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def problems(marked: Set[Any], translations: Dict[Any, Any]) -> List[str]:
    """What is wrong with a catalog for the marked messages (empty when it is right).

    A Plural("one", "many") message is a pair, translated by one form per plural of the
    language: every form keeps the placeholders of the English forms."""
    found = []
    for english in sorted(marked, key=str):
        forms = english if isinstance(english, tuple) else (english,)
        translated = translations.get(english)
        translated_forms = translated if isinstance(translated, tuple) else (translated,)
        if any(POSITIONAL.search(form) for form in forms):
            found.append(f"positional placeholder (name it): {english!r}")
        if not all(translated_forms):
            found.append(f"no translation: {english!r}")
        elif any(placeholders(form) != set().union(*map(placeholders, forms)) for form in translated_forms):
            found.append(f"placeholders differ: {english!r} -> {translated!r}")
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Set[str]:
    """The message ids Babel extracts from the code now."""
    pot = tmp_path_factory.mktemp("pot") / "concurlint.pot"
    subprocess.run([sys.executable, *EXTRACT, "-o", str(pot), "src/concurlint"],
                   cwd=ROOT, check=True, capture_output=True)
    return set(_entries(pot))


def test_there_is_a_catalog():
    assert "zh_CN" in [p.parent.parent.name for p in CATALOGS]


def test_the_committed_template_matches_the_code(extracted):
    assert extracted == set(_entries(POT)), "re-extract the .pot: see docs/translating.md"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_marked_message_is_translated_with_the_same_placeholders(po, extracted):
    assert problems(extracted, _entries(po)) == []


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_compiled_catalog_is_fresh(po):
    compiled = io.BytesIO()
    write_mo(compiled, _read(po))
    assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), "recompile: see docs/translating.md"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_catalog_passes_babels_own_checks(po):
    # What `pybabel compile` prints as errors. Babel flags a message python-format when its
    # text looks like %-formatting ("80 % real" reads as the conversion "% r"), then
    # rejects a translation that does not repeat it: keep such look-alikes out of messages.
    errors = [(message.id, str(error)) for message, message_errors in _read(po).check()
              for error in message_errors]
    assert errors == []


@pytest.mark.parametrize("english, chinese, expected", [
    ("cannot read {path}", "", "no translation"),
    ("cannot read {path}", "无法读取", "placeholders differ"),
    ("cannot read {path}", "无法读取 {path} {reason}", "placeholders differ"),
    ("cannot read {}", "无法读取 {}", "positional placeholder"),
    ("cannot read {0}", "无法读取 {0}", "positional placeholder"),
    ("cannot read %s", "无法读取 %s", "positional placeholder"),
])
def test_the_checks_catch_a_bad_catalog(english, chinese, expected):
    found = problems({english}, {english: chinese} if chinese else {})
    assert len(found) == 1 and found[0].startswith(expected)


def test_named_placeholders_with_format_spec_are_fine():
    assert problems({"{count:,} files"}, {"{count:,} files": "{count:,} 个文件"}) == []


def test_messages_come_from_the_catalog_through_the_cli(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import time\n\nasync def handler():\n    time.sleep(1)\n", encoding="utf-8")
    outputs = {}
    for lang in ("en", "zh"):
        run = subprocess.run([sys.executable, "-m", "concurlint", "check", "--no-cache", "--lang", lang,
                              "--output-format", "json", str(sample)], capture_output=True, text=True)
        assert run.returncode == 1, run.stderr
        outputs[lang] = run.stdout
    english = json.loads(outputs["en"])["findings"][0]["message"]
    chinese = json.loads(outputs["zh"])["findings"][0]["message"]
    assert "time.sleep" in english and "time.sleep" in chinese
    assert re.search(r"[\u4e00-\u9fff]", chinese) and not re.search(r"[\u4e00-\u9fff]", english)


def test_a_formatted_text_translates_first_and_pickles():
    from concurlint.findings import Text

    translations = _entries(CATALOGS[0])
    english = next(e for e, z in sorted(translations.items(), key=str)
                   if isinstance(e, str) and placeholders(e) == {"shown"})
    values = {"shown": "{x}"}  # a value with braces is inserted, not re-parsed
    message = Text(english).format(**values)
    assert message.get("en") == english.format(**values)
    assert message.get("zh") == translations[english].format(**values)
    assert pickle.loads(pickle.dumps(message)) == message


@pytest.mark.slow
def test_no_inline_translation_is_left_to_move():
    run = subprocess.run([sys.executable, "tools/extract_zh_catalog.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


# The rule side of the code (rules, API tables, semantics, generated docs) is English only:
# its Chinese lives in the catalog, so a translator never has to edit it.
RULE_SIDE = ["rules", "apis", "semantics", "docgen", "catalog.py", "precheck.py"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _rule_side_files() -> List[Path]:
    files: List[Path] = []
    for name in RULE_SIDE:
        path = PACKAGE / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def test_the_rule_side_holds_no_chinese_and_no_inline_pair():
    found = []
    for path in _rule_side_files():
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        found += [f"{where}:{number}: Chinese text" for number, line in enumerate(source.splitlines(), 1)
                  if CJK.search(line)]
        found += [f"{where}:{node.lineno}: Text() with an inline translation" for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Text"
                  and len(node.args) + len(node.keywords) > 1]
    assert found == []


def test_no_marked_message_hides_inside_an_f_string():
    """Babel reads an f-string as one string token: a ``Text("...")`` inside its braces
    is never extracted, so its translation silently drops out of the catalog."""
    import tokenize

    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
                if token.type == tokenize.STRING and "f" in prefix and re.search(r"\b(Text|Plural)\(", token.string):
                    hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert hidden == [], "move the Text(...) out of the f-string: " + ", ".join(hidden)
