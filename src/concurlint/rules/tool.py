"""CCY0: findings about the tool itself (reported by the engine, not by visiting code)."""
from __future__ import annotations

from ..findings import Text
from .base import Rule


class SyntaxErrorRule(Rule):
    code = "CCY001"

    group = "correctness"
    group_reason = Text(
        "The file could not be checked at all.")
    name = "syntax-error"
    summary = Text("The file could not be parsed")
    what = Text(
        "Reports a file that is not valid Python, with the parser's line, column and reason. "
        "The other files are still checked.")
    why = Text(
        "A file that does not parse cannot be checked for any pitfall; silently skipping it "
        "would hide every problem in it.")
    example = "async def main(:\n    pass\n"
    use_instead = "async def main():\n    pass\n"


class UnreadableFileRule(Rule):
    code = "CCY002"

    group = "correctness"
    group_reason = Text(
        "The file could not be checked at all.")
    name = "unreadable-file"
    summary = Text("The file could not be read or decoded")
    what = Text(
        "Reports a file that cannot be read (permission, a directory, a broken link) or "
        "decoded (an unknown codec in its PEP 263 coding cookie, bytes invalid in its encoding, "
        "NUL bytes).")
    why = Text(
        "Python itself would refuse to import such a file; the linter says so instead of "
        "skipping it silently.")
    example = "# -*- coding: klingon -*-\nprint('hi')\n"
    use_instead = "# -*- coding: utf-8 -*-\nprint('hi')\n"


class InternalErrorRule(Rule):
    code = "CCY003"

    group = "correctness"
    group_reason = Text(
        "A failure of concurlint itself, reported so that it is never silent.")
    name = "internal-error"
    summary = Text("concurlint failed on this file (please report a bug)")
    what = Text(
        "Reports that a rule or the engine raised an exception on this file. The message names "
        "the rule; `--show-traceback` prints the traceback. Other rules and files still run.")
    why = Text(
        "A crash must never hide findings in other files or pass a CI gate silently.")


class FileSkippedRule(Rule):
    code = "CCY004"

    group = "suspicious"
    group_reason = Text(
        "The file was not analysed; the run goes on.")
    name = "file-skipped"
    summary = Text("The file was too large or too slow to analyse")
    what = Text(
        "Reports a file that was not analysed because it exceeds `max-file-size` (default 10 MB) "
        "or took longer than `file-timeout` seconds (default 30).")
    why = Text(
        "libcst's parser is super-linear on long flat expressions and memory-hungry on huge "
        "generated files; a CI gate must bound both and say so instead of hanging.")
    options = Text("`max-file-size` (bytes), `file-timeout` (seconds).")


RULES = [SyntaxErrorRule, UnreadableFileRule, InternalErrorRule, FileSkippedRule]
