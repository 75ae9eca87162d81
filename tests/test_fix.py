"""Autofix: the fix engine (with small test rules), every real fix (tests/fix_cases), the CLI."""
from __future__ import annotations

import os
import stat
from collections import Counter
from pathlib import Path
from typing import List, Optional, Tuple

import libcst as cst
import pytest
from click.testing import CliRunner

from concurlint import catalog, config, fileio, fixes, rules
from concurlint.cli import main
from concurlint.config import Settings, load_settings
from concurlint.engine import check_source
from concurlint.findings import Edit, Fix, Position, Text
from concurlint.fixes import fix_source
from concurlint.parse import ParseFailure, parse
from concurlint.rules.base import Rule
from concurlint.source import decode_source

CASES = Path(__file__).parent / "fix_cases"


# --------------------------------------------------------------------------- test rules
def _called_name(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
        return node.func.value
    return None


class FakeAwait(Rule):
    """`work()` as a statement in an async def: add 'await' (safe)."""

    code, name, fix = "CCY991", "fake-await", "safe"

    def visit_Expr(self, node: cst.Expr) -> None:
        if self.ctx.in_async_function and _called_name(node.value) == "work":
            self.report(node.value, Text("call 'work' is not awaited; add 'await'"),
                        fix=Fix(Text("add 'await'"), True,
                                replacements=((node.value, cst.Await(node.value)),)))


class FakeSleep(Rule):
    """`time.sleep(x)` in async def -> `await asyncio.sleep(x)`, importing asyncio when missing."""

    code, name, fix = "CCY992", "fake-sleep", "safe"

    def visit_Call(self, node: cst.Call) -> None:
        if not (self.ctx.in_async_function and self.ctx.resolve(node.func) == "time.sleep"):
            return
        pairs: List[Tuple[cst.CSTNode, cst.CSTNode]] = [
            (node, cst.Await(node.with_changes(func=cst.parse_expression("asyncio.sleep"))))]
        if self.ctx.lookup("asyncio")[0] is None:
            module = self.ctx.module
            pairs.append((module, module.with_changes(
                body=[cst.parse_statement("import asyncio")] + list(module.body))))
        self.report(node, Text("'time.sleep()' blocks the event loop"),
                    fix=Fix(Text("use 'await asyncio.sleep()'"), True, replacements=tuple(pairs)))


class FakeBroken(Rule):
    """`broken()` statement in a sync def: 'await' it (does not compile: must be dropped)."""

    code, name, fix = "CCY993", "fake-broken", "safe"

    def visit_Expr(self, node: cst.Expr) -> None:
        if _called_name(node.value) == "broken":
            self.report(node.value, Text("'broken' is broken"),
                        fix=Fix(Text("add 'await'"), True,
                                replacements=((node.value, cst.Await(node.value)),)))


class FakeIntroducer(Rule):
    """`swap_me()` -> `work()`: introduces a CCY991 finding (must be dropped)."""

    code, name, fix = "CCY994", "fake-introducer", "safe"

    def visit_Call(self, node: cst.Call) -> None:
        if _called_name(node) == "swap_me":
            self.report(node, Text("'swap_me' should be 'work'"),
                        fix=Fix(Text("call 'work'"), True,
                                replacements=((node.func, cst.Name("work")),)))


GHOST_EDIT = Edit(Position(1, 1), Position(1, 6), "spirit")  # edits given: the engine keeps them


class FakeGhost(Rule):
    """Its fix replaces a node that is not in the module (must be dropped)."""

    code, name, fix = "CCY995", "fake-ghost", "safe"

    def visit_Call(self, node: cst.Call) -> None:
        if _called_name(node) == "ghost":
            self.report(node, Text("'ghost' is haunted"),
                        fix=Fix(Text("exorcise"), True, edits=(GHOST_EDIT,),
                                replacements=((cst.Name("ghost"), cst.Name("spirit")),)))


class FakeUnsafe(Rule):
    """`t.run()` -> `t.start()`, unsafe."""

    code, name, fix = "CCY996", "fake-unsafe", "unsafe"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "run" and not node.args:
            self.report(node, Text("'run()' runs in this thread; call 'start()'"),
                        fix=Fix(Text("call 'start()'"), False,
                                replacements=((func.attr, cst.Name("start")),)))


class FakeOuter(Rule):
    """`outer(...)` -> `outer2(...)` (contains FakeInner's node: overlaps)."""

    code, name, fix = "CCY997", "fake-outer", "safe"

    def visit_Call(self, node: cst.Call) -> None:
        if _called_name(node) == "outer":
            self.report(node, Text("use 'outer2'"),
                        fix=Fix(Text("use 'outer2'"), True,
                                replacements=((node, node.with_changes(func=cst.Name("outer2"))),)))


class FakeInner(Rule):
    """`inner()` -> `inner2()`."""

    code, name, fix = "CCY998", "fake-inner", "safe"

    def visit_Call(self, node: cst.Call) -> None:
        if _called_name(node) == "inner":
            self.report(node, Text("use 'inner2'"),
                        fix=Fix(Text("use 'inner2'"), True,
                                replacements=((node, node.with_changes(func=cst.Name("inner2"))),)))


FAKE_RULES = [FakeAwait, FakeSleep, FakeBroken, FakeIntroducer, FakeGhost, FakeUnsafe,
              FakeOuter, FakeInner]


@pytest.fixture
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for rule in FAKE_RULES:
        monkeypatch.setitem(rules.ALL_RULES, rule.code, rule)
        monkeypatch.setitem(catalog.CODES, rule.code, (rule.name, rule.group))
    monkeypatch.setattr(config, "_ENABLED_CACHE", {})
    return Settings(select=("CCY99",))


def fix_text(text: str, settings: Settings, unsafe: bool = False, path: str = "example.py",
             encoding: str = "utf-8") -> fixes.FileFix:
    return fix_source(decode_source(text.encode(encoding), path), settings, unsafe=unsafe)


# --------------------------------------------------------------------------- engine
def test_safe_fix_is_applied_and_finding_is_gone(fake_rules: Settings) -> None:
    out = fix_text("async def main():\n    work()\n    work()  # twice\n", fake_rules)
    assert out.text == "async def main():\n    await work()\n    await work()  # twice\n"
    assert [f.code for f in out.applied] == ["CCY991", "CCY991"]
    assert out.result.findings == [] and out.dropped == []


def test_file_without_findings_is_unchanged(fake_rules: Settings) -> None:
    text = "def main():\n    work()\n"
    out = fix_text(text, fake_rules)
    assert not out.changed and out.text == text and out.applied == []


def test_nested_replacements_of_one_fix_compose(fake_rules: Settings) -> None:
    text = ('"""Doc."""\nimport time\n\n\nasync def poll():\n    time.sleep(1)\n'
            '    time.sleep(0.5)\n')
    out = fix_text(text, fake_rules)
    # (the engine then drops `import time`: the fixes replaced its last uses)
    assert out.text == ('import asyncio\n"""Doc."""\n\n\nasync def poll():\n'
                        '    await asyncio.sleep(1)\n    await asyncio.sleep(0.5)\n')
    assert len(out.applied) == 2 and out.result.findings == []


def test_fix_that_does_not_compile_is_dropped_and_reported(fake_rules: Settings) -> None:
    text = "def main():\n    broken()\n\n\nasync def go():\n    work()\n"
    out = fix_text(text, fake_rules, path="svc.py")
    assert out.text == "def main():\n    broken()\n\n\nasync def go():\n    await work()\n"
    assert len(out.dropped) == 1
    assert out.dropped[0].startswith("fix for CCY993 at svc.py:2:5 dropped: the fixed code is not valid Python")
    assert [f.code for f in out.result.findings] == ["CCY993"]


def test_fix_that_introduces_a_finding_is_dropped(fake_rules: Settings) -> None:
    text = "async def main():\n    swap_me()\n"
    out = fix_text(text, fake_rules)
    assert not out.changed
    assert out.dropped == ["fix for CCY994 at example.py:2:5 dropped: it would introduce CCY991: "
                           "call 'work' is not awaited; add 'await'"]
    assert [(f.code, f.fix) for f in out.result.findings] == [("CCY994", None)]  # no longer offered


def test_fix_replacing_a_node_not_in_the_module_is_dropped(fake_rules: Settings) -> None:
    out = fix_text("ghost()\n", fake_rules)
    assert not out.changed and "not in the parsed module" in out.dropped[0]


def test_unsafe_fix_needs_unsafe(fake_rules: Settings) -> None:
    text = "t.run()\n"
    assert not fix_text(text, fake_rules).changed
    out = fix_text(text, fake_rules, unsafe=True)
    assert out.text == "t.start()\n" and out.result.findings == []


def test_overlapping_fixes_are_applied_in_later_rounds(fake_rules: Settings) -> None:
    out = fix_text("x = outer(inner(), inner())\n", fake_rules)
    assert out.text == "x = outer2(inner2(), inner2())\n"
    assert len(out.applied) == 3


def test_rounds_are_bounded(fake_rules: Settings) -> None:
    text = "x = outer(inner())\n"
    out = fix_source(decode_source(text.encode(), "m.py"), fake_rules, max_rounds=1)
    assert out.text == "x = outer2(inner())\n"  # one round: the inner fix waits
    assert [f.code for f in out.result.findings] == ["CCY998"]


def test_second_run_is_a_no_op(fake_rules: Settings) -> None:
    text = "import time\nasync def f():\n    time.sleep(1)\n    work()\n    x = outer(inner())\n"
    first = fix_text(text, fake_rules)
    second = fix_text(first.text or "", fake_rules)
    assert first.changed and not second.changed


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_newline_style_is_kept(fake_rules: Settings, newline: str) -> None:
    lines = ["# service", "async def main():", "    work()", "    x = 1  # keep", ""]
    text = newline.join(lines)
    out = fix_text(text, fake_rules)
    assert out.text == text.replace("    work()", "    await work()")


def test_crlf_file_with_added_import_stays_crlf(fake_rules: Settings) -> None:
    text = "import time\r\n\r\nasync def f():\r\n    time.sleep(1)\r\n"
    out = fix_text(text, fake_rules)
    assert out.text == "import asyncio\r\n\r\nasync def f():\r\n    await asyncio.sleep(1)\r\n"


def test_bom_and_latin1_cookie_round_trip_bytes(fake_rules: Settings) -> None:
    bom = b"\xef\xbb\xbf# caf\xc3\xa9\r\nasync def main():\r\n    work()\r\n"
    fixed = fix_source(decode_source(bom, "a.py"), fake_rules)
    assert fixed.encoded() == bom.replace(b"    work()", b"    await work()")
    latin = (b"# -*- coding: latin-1 -*-\n# \xe9t\xe9\nasync def main():\n"
             b"    work()  # \xe0 faire\n    s = '\xff'\n")
    fixed = fix_source(decode_source(latin, "b.py"), fake_rules)
    assert fixed.encoded() == latin.replace(b"    work()", b"    await work()")


def test_fix_not_encodable_in_file_encoding_is_dropped(fake_rules: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    class NonAscii(Rule):
        code, name, fix = "CCY999", "fake-non-ascii", "safe"

        def visit_Call(self, node: cst.Call) -> None:
            if _called_name(node) == "rename":
                self.report(node, Text("rename"), fix=Fix(Text("rename"), True,
                                                          replacements=((node.func, cst.Name("réname")),)))
    monkeypatch.setitem(rules.ALL_RULES, "CCY999", NonAscii)
    monkeypatch.setitem(catalog.CODES, "CCY999", (NonAscii.name, "suspicious"))
    data = b"# -*- coding: ascii -*-\nrename()\n"
    out = fix_source(decode_source(data, "c.py"), fake_rules)
    assert not out.changed and "cannot be encoded as ascii" in out.dropped[0]


def test_file_with_syntax_error_is_not_touched(fake_rules: Settings) -> None:
    out = fix_text("async def main(:\n    work()\n", fake_rules)
    assert not out.changed and out.applied == []


def test_fixed_code_keeps_everything_outside_the_fixed_spans(fake_rules: Settings) -> None:
    text = ("# -*- coding: utf-8 -*-\n\n\nasync def main( a ,b ):  # odd spacing\n"
            "    work()\t# tab comment\n    return  ( a+b )\n\\\n\n")
    out = fix_text(text, fake_rules)
    assert out.text == text.replace("    work()", "    await work()")


# --------------------------------------------------------------------------- real rules
def _case_paths() -> List[Path]:
    return sorted(p for p in CASES.glob("*.py") if not p.name.endswith(".expected.py"))


def _case_settings(case: Path) -> Tuple[Settings, bool]:
    code = case.name.split("_", 1)[0]
    header = case.read_text(encoding="utf-8").splitlines()[:3]
    unsafe = any("fix-case: unsafe" in line for line in header)
    return load_settings(isolated=True, overrides={"select": [code]}), unsafe


@pytest.mark.parametrize("case", _case_paths(), ids=lambda p: p.stem)
def test_fix_case(case: Path) -> None:
    settings, unsafe = _case_settings(case)
    code = case.name.split("_", 1)[0]
    source = decode_source(case.read_bytes(), str(case))
    before = check_source(source, settings)
    assert any(f.code == code and f.fix is not None for f in before.findings), "no fixable finding"
    out = fix_source(source, settings, unsafe=unsafe)
    expected = case.with_name(case.stem + ".expected.py").read_bytes().decode("utf-8")
    assert out.dropped == []
    assert out.text == expected
    assert not isinstance(parse(out.text), ParseFailure)
    compile(out.text, str(case), "exec", dont_inherit=True)
    again = fix_source(decode_source(out.text.encode(), str(case)), settings, unsafe=unsafe)
    assert not again.changed
    assert not any(f.fix is not None and (f.fix.safe or unsafe) for f in again.result.findings)
    # No rule at all (not only the selected one) finds something new in the fixed code.
    everything = load_settings(isolated=True, overrides={"preset": "all"})
    old = Counter((f.code, f.message.en) for f in check_source(source, everything).findings)
    new = Counter((f.code, f.message.en) for f in check_source(
        decode_source(out.text.encode(), str(case)), everything).findings)
    assert not new - old


def test_every_fixable_rule_has_a_fix_case() -> None:
    fixable = {code for code, rule in rules.ALL_RULES.items() if rule.fix != "-"}
    covered = {p.name.split("_", 1)[0] for p in _case_paths()}
    assert fixable <= covered, f"rules without a fix case: {sorted(fixable - covered)}"


# --------------------------------------------------------------------------- CLI
def _write(directory: Path, name: str, data: bytes, mode: int = 0o644) -> Path:
    path = directory / name
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _cli(args: List[str], stdin: Optional[bytes] = None):
    return CliRunner().invoke(main, ["check", "--isolated", "--no-color", *args], input=stdin)


def test_cli_fix_writes_files_and_summarises(fake_rules: Settings, tmp_path: Path) -> None:
    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n\n\ndef sync():\n    broken()\n", 0o640)
    b = _write(tmp_path, "b.py", b"x = 1\n")
    before_b = b.stat().st_mtime_ns
    result = _cli(["--select", "CCY99", "--fix", "--output-format", "concise", str(tmp_path)])
    assert a.read_bytes() == b"async def main():\n    await work()\n\n\ndef sync():\n    broken()\n"
    assert stat.S_IMODE(a.stat().st_mode) == 0o640
    assert b.stat().st_mtime_ns == before_b
    assert "Fixed 1 problem (1 remaining)." in result.output
    assert "CCY993" in result.output and "CCY991" not in result.output
    assert result.exit_code == 1
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".concurlint-")]


def test_cli_fix_everything_exits_zero(fake_rules: Settings, tmp_path: Path) -> None:
    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n")
    result = _cli(["--select", "CCY99", "--fix", str(a)])
    assert result.exit_code == 0, result.output
    assert "Fixed 1 problem (0 remaining)." in result.output


def test_cli_unsafe_fixes(fake_rules: Settings, tmp_path: Path) -> None:
    data = b"import threading\nt.run()\n"  # (a word the pre-check looks for)
    a = _write(tmp_path, "a.py", data)
    result = _cli(["--select", "CCY99", "--fix", str(a)])
    assert a.read_bytes() == data and result.exit_code == 1
    assert "1 more fixable with `--fix --unsafe-fixes`" in result.output
    result = _cli(["--select", "CCY99", "--fix", "--unsafe-fixes", str(a)])
    assert a.read_bytes() == b"import threading\nt.start()\n" and result.exit_code == 0


def test_cli_diff_changes_nothing(fake_rules: Settings, tmp_path: Path) -> None:
    data = b"async def main():\r\n    work()\r\n"
    a = _write(tmp_path, "a.py", data)
    stamp = a.stat().st_mtime_ns
    result = _cli(["--select", "CCY99", "--diff", str(tmp_path)])
    assert result.exit_code == 1
    assert a.read_bytes() == data and a.stat().st_mtime_ns == stamp
    assert "-    work()" in result.stdout and "+    await work()" in result.stdout
    assert f"--- a/{a}" in result.stdout
    clean = _cli(["--select", "CCY99", "--diff", str(_write(tmp_path, "b.py", b"work()\n"))])
    assert clean.exit_code == 0 and clean.stdout == ""


def test_cli_fix_stdin_prints_fixed_code(fake_rules: Settings) -> None:
    data = b"\xef\xbb\xbfasync def main():\r\n    work()\r\n"
    result = _cli(["--select", "CCY99", "--fix", "-"], stdin=data)
    assert result.stdout_bytes == b"\xef\xbb\xbfasync def main():\r\n    await work()\r\n"
    assert result.exit_code == 0


def test_cli_unwritable_file_is_an_error_and_others_are_fixed(
        fake_rules: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n")
    b = _write(tmp_path, "b.py", b"async def main():\n    work()\n")
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        if os.path.basename(dst) == "a.py":
            raise PermissionError(13, "Permission denied", dst)
        real_replace(src, dst)
    monkeypatch.setattr(fileio.os, "replace", replace)
    result = _cli(["--select", "CCY99", "--fix", str(tmp_path)])
    assert result.exit_code == 1
    assert f"cannot write {a}: permission denied" in result.stderr
    assert "Traceback" not in result.output
    assert a.read_bytes() == b"async def main():\n    work()\n"
    assert b.read_bytes() == b"async def main():\n    await work()\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".concurlint-")]


def test_fault_between_write_and_rename_keeps_original(
        fake_rules: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"async def main():\n    work()\n"
    a = _write(tmp_path, "a.py", data)

    def fail(src: str, dst: str) -> None:
        assert Path(src).read_bytes() == b"async def main():\n    await work()\n"
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(fileio.os, "replace", fail)
    out = fixes.fix_file(str(a), fake_rules)
    assert out.error == f"cannot write {a}: no space left on device"
    assert a.read_bytes() == data
    assert os.listdir(tmp_path) == ["a.py"]


def test_file_changed_on_disk_meanwhile_is_not_overwritten(fake_rules: Settings, tmp_path: Path) -> None:
    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n")
    out = fixes.fix_file(str(a), fake_rules, write=False)
    a.write_bytes(b"# edited\n")
    assert not fixes.write_fixed(out)
    assert "changed while it was being fixed" in (out.error or "")
    assert a.read_bytes() == b"# edited\n"


def test_json_report_carries_the_edits(fake_rules: Settings, tmp_path: Path) -> None:
    import json

    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n")
    result = _cli(["--select", "CCY99", "--output-format", "json", str(a)])
    data = json.loads(result.stdout)
    items = data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    fix = items[0]["fix"]
    assert fix["applicability"] == "safe" and fix["title"] == "add 'await'"
    assert fix["edits"] == [{"line": 2, "column": 5, "end_line": 2, "end_column": 11,
                             "content": "await work()"}]
    assert a.read_bytes() == b"async def main():\n    work()\n"


def test_json_fix_summary_keeps_stdout_parseable(fake_rules: Settings, tmp_path: Path) -> None:
    import json

    a = _write(tmp_path, "a.py", b"async def main():\n    work()\n\n\ndef f():\n    broken()\n")
    result = _cli(["--select", "CCY99", "--fix", "--output-format", "json", str(a)])
    json.loads(result.stdout)
    assert "Fixed 1 problem (1 remaining)." in result.stderr


def test_real_rules_fix_that_would_add_a_finding_is_dropped() -> None:
    """`async with threading.Lock()` -> `with` around an await would hold the thread lock
    across it (CCY210): kept as is."""
    text = ("import asyncio\nimport threading\n\nstate_lock = threading.Lock()\n\n\n"
            "async def update():\n    async with state_lock:\n        await asyncio.sleep(0)\n"
            "    with asyncio.Lock():\n        pass\n")
    out = fix_source(decode_source(text.encode(), "svc.py"), load_settings(isolated=True))
    assert out.text == text.replace("    with asyncio.Lock()", "    async with asyncio.Lock()")
    assert len(out.dropped) == 1 and out.dropped[0].startswith(
        "fix for CCY106 at svc.py:8:16 dropped: it would introduce CCY210")


def test_symlinked_file_is_fixed_through_the_link(fake_rules: Settings, tmp_path: Path) -> None:
    target = _write(tmp_path, "real.py", b"async def main():\n    work()\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    out = fixes.fix_file(str(link), fake_rules)
    assert out.error is None and link.is_symlink()
    assert target.read_bytes() == b"async def main():\n    await work()\n"


def test_file_the_parser_cannot_reproduce_is_left_alone(fake_rules: Settings) -> None:
    text = "x = 1\n\x0casync def main():\n    work()\n"  # libcst drops a form feed
    out = fix_text(text, fake_rules, path="ff.py")
    assert not out.changed
    assert out.dropped == ["cannot fix ff.py: the parser does not reproduce this file exactly "
                           "(unusual whitespace or line endings); left unchanged"]
