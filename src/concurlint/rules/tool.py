"""CCY0: findings about the tool itself (reported by the engine, not by visiting code)."""
from __future__ import annotations

from ..findings import Text
from .base import Rule


class SyntaxErrorRule(Rule):
    code = "CCY001"

    group = "correctness"
    group_reason = Text(
        "The file could not be checked at all.",
        "文件完全无法检查。")
    name = "syntax-error"
    summary = Text("The file could not be parsed", "文件无法解析")
    what = Text(
        "Reports a file that is not valid Python, with the parser's line, column and reason. "
        "The other files are still checked.",
        "报告不是合法 Python 的文件,给出解析器的行、列和原因。其他文件照常检查。",
    )
    why = Text(
        "A file that does not parse cannot be checked for any pitfall; silently skipping it "
        "would hide every problem in it.",
        "无法解析的文件无法检查任何陷阱;静默跳过会把其中所有问题都藏起来。",
    )
    example = "async def main(:\n    pass\n"
    use_instead = "async def main():\n    pass\n"


class UnreadableFileRule(Rule):
    code = "CCY002"

    group = "correctness"
    group_reason = Text(
        "The file could not be checked at all.",
        "文件完全无法检查。")
    name = "unreadable-file"
    summary = Text("The file could not be read or decoded", "文件无法读取或解码")
    what = Text(
        "Reports a file that cannot be read (permission, a directory, a broken link) or "
        "decoded (an unknown codec in its PEP 263 coding cookie, bytes invalid in its encoding, "
        "NUL bytes).",
        "报告无法读取(权限、目录、失效链接)或无法解码(PEP 263 编码声明中的未知编码、"
        "与编码不符的字节、NUL 字节)的文件。",
    )
    why = Text(
        "Python itself would refuse to import such a file; the linter says so instead of "
        "skipping it silently.",
        "Python 本身也会拒绝导入这样的文件;linter 明确报告,而不是静默跳过。",
    )
    example = "# -*- coding: klingon -*-\nprint('hi')\n"
    use_instead = "# -*- coding: utf-8 -*-\nprint('hi')\n"


class InternalErrorRule(Rule):
    code = "CCY003"

    group = "correctness"
    group_reason = Text(
        "A failure of concurlint itself, reported so that it is never silent.",
        "concurlint 自身的故障,报告出来以免悄无声息。")
    name = "internal-error"
    summary = Text("concurlint failed on this file (please report a bug)", "concurlint 在此文件上出错(请向开发者报告)")
    what = Text(
        "Reports that a rule or the engine raised an exception on this file. The message names "
        "the rule; `--show-traceback` prints the traceback. Other rules and files still run.",
        "报告某条规则或引擎在此文件上抛出了异常。消息会指出是哪条规则;"
        "`--show-traceback` 打印完整回溯。其他规则和文件照常运行。",
    )
    why = Text(
        "A crash must never hide findings in other files or pass a CI gate silently.",
        "一次崩溃不应隐藏其他文件中的问题,也不应让 CI 静默通过。",
    )


class FileSkippedRule(Rule):
    code = "CCY004"

    group = "suspicious"
    group_reason = Text(
        "The file was not analysed; the run goes on.",
        "文件未被分析;检查继续进行。")
    name = "file-skipped"
    summary = Text("The file was too large or too slow to analyse", "文件过大或分析超时,已跳过")
    what = Text(
        "Reports a file that was not analysed because it exceeds `max-file-size` (default 10 MB) "
        "or took longer than `file-timeout` seconds (default 30).",
        "报告因超过 `max-file-size`(默认 10 MB)或分析时间超过 `file-timeout` 秒(默认 30)"
        "而未被分析的文件。",
    )
    why = Text(
        "libcst's parser is super-linear on long flat expressions and memory-hungry on huge "
        "generated files; a CI gate must bound both and say so instead of hanging.",
        "libcst 的解析器在超长扁平表达式上是超线性的,在巨大的生成文件上非常耗内存;"
        "CI 必须限制两者并明确报告,而不是挂起。",
    )
    options = Text("`max-file-size` (bytes), `file-timeout` (seconds).", "`max-file-size`(字节)、`file-timeout`(秒)。")


RULES = [SyntaxErrorRule, UnreadableFileRule, InternalErrorRule, FileSkippedRule]
