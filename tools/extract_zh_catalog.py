"""Move inline Chinese translations out of the code into the gettext catalog.

This is the one-off migration tool of issue 20, kept because it is re-runnable: it
finds every inline pair ``Text("English", "中文")`` under ``src/concurlint``, rewrites
the call to the English only (``Text("English")``, which Babel extracts as a marked
string) and merges the Chinese into ``locale/zh_CN/LC_MESSAGES/concurlint.po``
(msgid = English, msgstr = Chinese), then compiles the ``.mo``. Existing catalog
entries are kept; the output is sorted, so running it twice changes nothing, and
running it on a tree with new inline pairs moves just those.

f-string pairs become named placeholders: ``Text(f"a {x.name}", f"甲 {x.name}")`` turns
into ``Text("a {name}").format(name=x.name)`` with the msgstr ``"甲 {name}"``.

A pair is left inline (and listed on standard error) when it cannot be moved without
changing what the user sees: the same English with two different translations, an
f-string expression that has no obvious name, or arguments that are not string literals
(helpers that pass ``en``/``zh`` variables through).

Usage (from the repository root, with Babel installed: ``pip install -e ".[test]"``)::

    python tools/extract_zh_catalog.py            # rewrite the code, update .po and .mo
    python tools/extract_zh_catalog.py --check    # exit 1 if anything is left to move
"""
from __future__ import annotations

import argparse
import ast
import datetime
import io
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "concurlint"
LOCALE = SOURCE / "locale"
DOMAIN = "concurlint"
POT = LOCALE / f"{DOMAIN}.pot"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
# A fixed date keeps the catalog header (and so the files) identical between runs.
CREATED = datetime.datetime(2026, 12, 4, tzinfo=datetime.timezone.utc)

StringNode = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class Unmovable(Exception):
    """This pair stays inline; the message says why."""


def _parts(node: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(node, cst.ConcatenatedString):
        return _parts(node.left) + _parts(node.right)
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        return [node]
    raise Unmovable("not a string literal")


def placeholders(template: str) -> Set[str]:
    """The names of the replacement fields of a str.format template."""
    return {field.split("!")[0].split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _text_value(code: str, expression: cst.BaseExpression, language: str) -> Optional[cst.BaseExpression]:
    """``advice`` for ``advice.en`` on the English side, ``advice.zh`` on the Chinese one."""
    if isinstance(expression, cst.Attribute) and expression.attr.value == language:
        return expression.value
    if (language == "zh" and isinstance(expression, cst.BooleanOperation)
            and isinstance(expression.operator, cst.Or)
            and isinstance(expression.left, cst.Attribute) and expression.left.attr.value == "zh"
            and isinstance(expression.right, cst.Attribute) and expression.right.attr.value == "en"
            and expression.left.value.deep_equals(expression.right.value)):
        return expression.left.value
    return None


def _placeholder_name(code: str, expression: cst.BaseExpression) -> str:
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        return expression.attr.value
    raise Unmovable(f"no obvious placeholder name for {{{code}}}")


class _Template:
    """One side of a pair as a str.format template plus the expressions it needs."""

    def __init__(self, module: cst.Module, node: cst.BaseExpression, names: Dict[str, str]) -> None:
        self.module = module
        self.names = names  # expression source -> placeholder name, shared by both sides
        self.parts = _parts(node)
        self.has_fields = any(isinstance(p, cst.FormattedString) and any(
            isinstance(q, cst.FormattedStringExpression) for q in p.parts) for p in self.parts)

    def fields(self) -> List[Tuple[str, cst.BaseExpression]]:
        found = []
        for part in self.parts:
            if isinstance(part, cst.FormattedString):
                for piece in part.parts:
                    if isinstance(piece, cst.FormattedStringExpression):
                        found.append((self.module.code_for_node(piece.expression), piece.expression))
        return found

    def part_source(self, part: cst.BaseExpression, escape: bool) -> str:
        """The part as a plain string literal's source (a template when ``escape``)."""
        if isinstance(part, cst.SimpleString):
            if not escape or ("{" not in part.evaluated_value and "}" not in part.evaluated_value):
                return part.value
            # re-quote the value with braces doubled so str.format keeps them literal
            return _literal(part.evaluated_value.replace("{", "{{").replace("}", "}}"))
        assert isinstance(part, cst.FormattedString)
        prefix = part.prefix.replace("f", "").replace("F", "")
        text = ""
        for piece in part.parts:
            if isinstance(piece, cst.FormattedStringText):
                text += piece.value
                continue
            assert isinstance(piece, cst.FormattedStringExpression)
            if piece.whitespace_before_expression.value or piece.whitespace_after_expression.value:
                raise Unmovable("whitespace inside an f-string field")
            if piece.equal is not None:
                raise Unmovable("self-documenting f-string field")
            field = self.names[self.module.code_for_node(piece.expression)]
            if piece.conversion:
                field += "!" + piece.conversion
            if piece.format_spec:
                spec = ""
                for bit in piece.format_spec:
                    if not isinstance(bit, cst.FormattedStringText):
                        raise Unmovable("nested field in a format spec")
                    spec += bit.value
                field += ":" + spec
            text += "{" + field + "}"
        return prefix + part.start[len(part.prefix):] + text + part.end

    def value(self, escape: bool) -> str:
        return "".join(ast.literal_eval(self.part_source(p, escape)) for p in self.parts)

    def rewritten(self, node: cst.BaseExpression, escape: bool) -> cst.BaseExpression:
        """The English node with each part turned into a plain literal (keeps the layout)."""
        if isinstance(node, cst.ConcatenatedString):
            return node.with_changes(left=self.rewritten(node.left, escape),
                                     right=self.rewritten(node.right, escape))
        return cst.SimpleString(self.part_source(node, escape))


def _literal(value: str) -> str:
    body = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    # keep non-ASCII readable: unicode_escape turned it into \\uXXXX; undo that part
    body = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), body)
    return '"' + body + '"'


class Pair:
    def __init__(self, path: Path, line: int, english: str, chinese: str) -> None:
        self.path, self.line, self.english, self.chinese = path, line, english, chinese


def _is_inline_pair(call: cst.Call) -> bool:
    return (isinstance(call.func, cst.Name) and call.func.value == "Text" and len(call.args) == 2
            and all(a.keyword is None and a.star == "" for a in call.args))


def _convert(module: cst.Module, call: cst.Call) -> Tuple[cst.BaseExpression, str, str]:
    """(the new expression, English msgid, Chinese msgstr) for one inline pair."""
    en_node, zh_node = call.args[0].value, call.args[1].value
    names: Dict[str, str] = {}
    sides = [_Template(module, en_node, names), _Template(module, zh_node, names)]
    expressions: Dict[str, cst.BaseExpression] = {}  # placeholder name -> its value
    for language, side in zip(("en", "zh"), sides):
        for code, expression in side.fields():
            # `{advice.en}` / `{advice.zh}` (or `{advice.zh or advice.en}`) insert a Text
            # in that language: one placeholder {advice}, Text.format picks the language
            value = _text_value(code, expression, language) or expression
            name = _placeholder_name(module.code_for_node(value), value)
            if name in expressions and not expressions[name].deep_equals(value):
                raise Unmovable(f"two different expressions would both be called {{{name}}}")
            expressions[name] = value
            names[code] = name
    escape = bool(expressions)
    english, chinese = sides[0].value(escape), sides[1].value(escape)
    if not english:
        raise Unmovable("empty English text")
    if placeholders(english) != placeholders(chinese):
        raise Unmovable("the translation does not use the same placeholders")
    new: cst.BaseExpression = call.with_changes(args=[cst.Arg(sides[0].rewritten(en_node, escape))])
    if expressions:
        no_space = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        args = [cst.Arg(keyword=cst.Name(name), value=expression, equal=no_space)
                for name, expression in expressions.items()]
        one_line = sum(len(name) + len(module.code_for_node(e)) + 3 for name, e in expressions.items())
        # long argument lists go one per line, indented from the statement
        newline = cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(" " * 8))
        wrap = one_line > 48 or isinstance(en_node, cst.ConcatenatedString)
        if wrap:
            args = [a.with_changes(comma=cst.Comma(whitespace_after=newline)) for a in args[:-1]] + args[-1:]
        new = cst.Call(func=cst.Attribute(value=new, attr=cst.Name("format")), args=args,
                       whitespace_before_args=newline if wrap else cst.SimpleWhitespace(""))
    return new, english, chinese


class _Mover(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, path: Path, module: cst.Module, known: Dict[str, str], skip: Set[str]) -> None:
        super().__init__()
        self.path, self.module, self.known, self.skip = path, module, known, skip
        self.moved: List[Pair] = []
        self.left: List[str] = []

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not _is_inline_pair(original):
            return updated
        line = self.get_metadata(cst.metadata.PositionProvider, original).start.line
        where = f"{self.path.relative_to(ROOT)}:{line}"
        if not updated.deep_equals(original):  # a pair nested inside a pair's f-string: move the outer later
            self.left.append(f"{where}: contains another inline pair; run again")
            return updated
        try:
            new, english, chinese = _convert(self.module, original)
            if english in self.skip:
                raise Unmovable("the same English has different translations elsewhere")
            if self.known.get(english, chinese) != chinese:
                raise Unmovable("the catalog already translates this English differently")
        except Unmovable as why:
            self.left.append(f"{where}: left inline: {why}")
            return updated
        self.known[english] = chinese
        self.moved.append(Pair(self.path, line, english, chinese))
        return new


def _files() -> List[Path]:
    return sorted(SOURCE.rglob("*.py"))


def _conflicts(known: Dict[str, str]) -> Set[str]:
    """English texts that inline pairs (or the catalog) translate in more than one way."""
    seen: Dict[str, Set[str]] = {}
    for english, chinese in known.items():
        seen.setdefault(english, set()).add(chinese)
    for path in _files():
        module = cst.parse_module(path.read_text(encoding="utf-8"))

        class Collect(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                if _is_inline_pair(call):
                    try:
                        _, english, chinese = _convert(module, call)
                    except Unmovable:
                        return
                    seen.setdefault(english, set()).add(chinese)

        module.visit(Collect())
    return {english for english, translations in seen.items() if len(translations) > 1}


def read_catalog() -> Catalog:
    if PO.exists():
        with PO.open("rb") as handle:
            return read_po(handle, locale="zh_CN", domain=DOMAIN)
    return Catalog(locale="zh_CN", domain=DOMAIN, project="concurlint", creation_date=CREATED,
                   revision_date=CREATED, language_team="zh_CN", fuzzy=False)


def catalog_bytes(catalog: Catalog) -> Tuple[bytes, bytes]:
    """(.po, .mo) contents: sorted, without source locations, so they are stable."""
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, sort_output=True, omit_header=False, no_location=True, width=0)
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue()


def _message_ids(path: Path) -> Set[str]:
    with path.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def refresh_template() -> bool:
    """Re-extract the .pot with Babel (the command of babel.cfg) when its message ids changed.

    Only on a change, because the template records the time it was extracted.
    """
    fresh = POT.with_suffix(".pot.new")
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "Text:1,1t", "-k", "Plural:1,2", "--no-default-keywords", "--no-location", "--sort-output",
                    "--width", "0", "--project", "concurlint", "-o", str(fresh), "src/concurlint"],
                   cwd=ROOT, check=True, capture_output=True)
    if POT.exists() and _message_ids(POT) == _message_ids(fresh):
        fresh.unlink()
        return False
    fresh.replace(POT)
    return True


def _write_if_changed(path: Path, content: bytes) -> bool:
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a pair would move")
    args = parser.parse_args(argv)
    catalog = read_catalog()
    known = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}
    skip = _conflicts(known)
    moved: List[Pair] = []
    left: List[str] = []
    for path in _files():
        before = path.read_text(encoding="utf-8")
        wrapper = cst.MetadataWrapper(cst.parse_module(before))
        mover = _Mover(path, wrapper.module, known, skip)
        after = wrapper.visit(mover).code
        moved += mover.moved
        left += mover.left
        if after != before and not args.check:
            path.write_text(after, encoding="utf-8")
    for pair in moved:
        if pair.english not in catalog:
            catalog.add(pair.english, pair.chinese)
    for line in left:
        print(line, file=sys.stderr)
    if args.check:
        for pair in moved:
            print(f"{pair.path.relative_to(ROOT)}:{pair.line}: inline pair to move: {pair.english[:60]!r}")
        return 1 if moved else 0
    po, mo = catalog_bytes(catalog)
    changed = [str(p.relative_to(ROOT)) for p, c in ((PO, po), (MO, mo)) if _write_if_changed(p, c)]
    if refresh_template():
        changed.append(str(POT.relative_to(ROOT)))
    print(f"moved {len(moved)} inline pairs; left {len(left)} inline; "
          f"catalog {'updated: ' + ', '.join(changed) if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
