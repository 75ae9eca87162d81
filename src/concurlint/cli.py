"""The command line: a thin adapter over the engine (``concurlint check|rules|rule``).

Exit codes: 0 no findings, 1 findings (or internal errors), 2 usage or config error.
Every expected failure is a one-line message on stderr, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from . import __version__
from .config import PRESETS, ConfigError, Settings, load_settings
from .engine import FileResult, check_source
from .findings import Finding
from .reporters import REPORTERS, Report
from .reporters.text import statistics
from .rules import ALL_RULES, FAMILIES
from .runner import RunResult, build_project_index, run
from .source import SourceError, decode_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def detect_lang(option: Optional[str] = None) -> str:
    """--lang, else CONCURLINT_LANG, else a zh locale, else English."""
    for value in (option, os.environ.get("CONCURLINT_LANG")):
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _split(values: Tuple[str, ...]) -> Optional[List[str]]:
    """Repeatable, comma-separated option values -> list (None when not given)."""
    if not values:
        return None
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"concurlint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="concurlint")
def main() -> None:
    """concurlint: find Python concurrency pitfalls before they reach production."""


def _settings_from_options(paths: Sequence[str], options: Dict[str, Any]) -> Settings:
    overrides = {
        "select": _split(options["select"]),
        "extend-select": _split(options["extend_select"]),
        "ignore": _split(options["ignore"]),
        "per-file-ignores": " ".join(options["per_file_ignores"]) or None,
        "exclude": _split(options["exclude"]),
        "extend-exclude": _split(options["extend_exclude"]),
        "preset": options["preset"],
        "blocking-calls": _split(options["blocking_calls"]),
        "lock-name-pattern": options["lock_name_pattern"],
        "output-format": options["output_format"],
        "cache-dir": options["cache_dir"],
        "max-file-size": options["max_file_size"],
        "file-timeout": options["file_timeout"],
    }
    return load_settings(paths, options["config"], options["isolated"], overrides)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Enable only these codes or prefixes (comma-separated).")
@click.option("--extend-select", multiple=True, help="Enable these codes in addition to the preset.")
@click.option("--ignore", multiple=True, help="Disable these codes or prefixes.")
@click.option("--per-file-ignores", multiple=True, help="'glob:CODE,CODE' pairs.")
@click.option("--exclude", multiple=True, help="Glob patterns to exclude (replaces the defaults).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to exclude in addition to the defaults.")
@click.option("--preset", type=click.Choice(PRESETS), default=None, help="Rule preset (default: 'default').")
@click.option("--blocking-calls", multiple=True, help="Qualified names (or 'pkg.*') that block (CCY209).")
@click.option("--lock-name-pattern", default=None, help="Regex: names that count as locks (CCY301).")
@click.option("--output-format", type=click.Choice(sorted(REPORTERS)), default=None, help="Report format.")
@click.option("--cache-dir", default=None, help="Directory of the result cache.")
@click.option("--max-file-size", type=int, default=None, help="Skip files larger than this many bytes (CCY004).")
@click.option("--file-timeout", type=float, default=None, help="Seconds allowed per file (CCY004).")
@click.option("--config", type=click.Path(), default=None, help="Read settings from this TOML file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--stdin-filename", default=None, help="The name to report when reading from '-'.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--statistics", "show_statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--show-traceback", is_flag=True, help="Print tracebacks of internal errors (CCY003).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of messages.")
@click.option("--color/--no-color", default=None, help="Force or disable colour (default: on a terminal).")
def check(paths: Tuple[str, ...], **options: Any) -> None:
    """Check PATHS (files or directories; '-' reads standard input; default '.')."""
    paths = paths or (".",)
    lang = detect_lang(options["lang"])
    try:
        settings = _settings_from_options(paths, options)
        result = _run(paths, settings, options)
    except ConfigError as exc:
        raise _fail(str(exc))
    findings = result.findings
    if options["show_traceback"]:
        for text in result.tracebacks:
            click.echo(text, err=True)
    color = options["color"] if options["color"] is not None else None
    report = Report(findings, len(result.files), lang, _line_source(result), bool(color) if color is not None else _isatty())
    if settings.preset == "learn":  # the explanation under each finding, once per rule
        from .explain import learn_hook

        report.extra["explain"] = learn_hook(lang, report.color)
    output = REPORTERS[settings.output_format](report)
    click.echo(output, nl=False, color=color)
    if options["show_statistics"]:
        click.echo(statistics(findings), nl=False)
    if findings and not options["exit_zero"]:
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _isatty() -> bool:
    try:
        return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    except (AttributeError, ValueError):
        return False


def _run(paths: Sequence[str], settings: Settings, options: Dict[str, Any]) -> RunResult:
    if "-" in paths:
        if len(paths) > 1:
            raise ConfigError("'-' (standard input) cannot be combined with other paths")
        name = options["stdin_filename"] or "<stdin>"
        data = click.get_binary_stream("stdin").read()
        try:
            source = decode_source(data, name)
        except SourceError as exc:
            from .engine import tool_finding
            from .findings import Text

            result = FileResult(name, [tool_finding(name, "CCY002", Text(
                f"cannot read file: {exc}", f"无法读取文件:{exc}"))])
            return RunResult([name], [result])
        project = build_project_index([name] if os.path.isfile(name) else [])
        return RunResult([name], [check_source(source, settings, project)])
    from .progress import for_stderr

    progress = for_stderr()
    try:
        return run(paths, settings, progress=progress)
    finally:
        if progress is not None:
            progress.close()


def _line_source(result: RunResult):
    texts = {r.path: r.source.text for r in result.results if r.source is not None}

    def lines(path: str) -> List[str]:
        text = texts.get(path)
        if text is None:
            return []
        return text.splitlines()
    return lines


@main.command("rules")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of summaries.")
def rules_command(output_format: str, lang: Optional[str]) -> None:
    """List every rule: code, name, on/off by default, fix kind, summary."""
    lang = detect_lang(lang)
    if output_format == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "default_on": r.default_on, "fix": r.fix,
             "summary": r.summary.get(lang)} for r in ALL_RULES.values()
        ], indent=2, ensure_ascii=False))
        return
    family = None
    for rule in ALL_RULES.values():
        if rule.family() != family:
            family = rule.family()
            click.echo(f"\n{family}  {FAMILIES.get(family, '')}")
        state = "on " if rule.default_on else "off"
        fix = rule.fix if rule.fix != "-" else ""
        click.echo(f"  {rule.code}  {rule.name:<34} {state} {fix:<11} {rule.summary.get(lang)}")


@main.command("rule")
@click.argument("code")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the explanation.")
def rule_command(code: str, lang: Optional[str]) -> None:
    """Print the explanation of one rule (e.g. 'concurlint rule CCY201')."""
    rule = ALL_RULES.get(code.upper())
    if rule is None:
        raise _fail(f"unknown rule code '{code}'; run 'concurlint rules' to list them")
    from .explain import explain

    click.echo(explain(rule, detect_lang(lang), color=_isatty()), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
