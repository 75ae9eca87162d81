"""The commands besides ``check``: ``rules`` (the rule list), ``rule`` (one rule's
explanation, or all), ``report`` (the HTML audit report) and ``server`` (the language
server, when its optional dependencies are installed).
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional, Tuple

import click

from .cli_check import _split
from .cli_outcome import _fail, _line_source, want_color
from .config import PRESETS, ConfigError, load_settings
from .findings import FILES, FINDINGS, Text
from .languages import detect_lang, names as language_names
from .reporters import Report
from .runner import run


@click.command("rules", short_help="List every rule: code, name, group, fix kind, summary.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
@click.option("--lang", type=click.Choice(language_names()), default=None, help="Language of summaries.")
def rules_command(output_format: str, lang: Optional[str]) -> None:
    """List every rule: code, name, group (severity), fix kind, summary."""
    from .rules import ALL_RULES, FAMILIES

    lang = detect_lang(lang)
    if output_format == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "group": r.group, "severity": r.severity(),
             "default_on": r.default_on, "fix": r.fix, "summary": r.summary.get(lang)}
            for r in ALL_RULES.values()
        ], indent=2, ensure_ascii=False))
        return
    family = None
    for rule in ALL_RULES.values():
        if rule.family() != family:
            family = rule.family()
            click.echo(f"\n{family}  {FAMILIES.get(family, '')}")
        fix = rule.fix if rule.fix != "-" else ""
        click.echo(f"  {rule.code}  {rule.name:<34} {rule.group:<11} {fix:<11} {rule.summary.get(lang)}")


@click.command("rule", short_help="Explain one rule (e.g. CCY201), or every rule with --all.")
@click.argument("code", required=False)
@click.option("--all", "every", is_flag=True, help="Explain every rule, one after the other.")
@click.option("--lang", type=click.Choice(language_names()), default=None, help="Language of the explanation.")
def rule_command(code: Optional[str], every: bool, lang: Optional[str]) -> None:
    """Print the explanation of one rule (e.g. 'concurlint rule CCY201'), or of every rule (--all)."""
    from .explain import explain
    from .rules import ALL_RULES

    language = detect_lang(lang)
    if every == (code is not None):
        raise _fail("give one rule code (e.g. 'concurlint rule CCY201') or --all, not both"
                    if every else "missing rule code; run 'concurlint rules' to list them, or use --all")
    color = want_color()
    if every:
        click.echo("\n".join(explain(rule, language, color=color) for rule in ALL_RULES.values()),
                   nl=False, color=color)
        return
    rule = ALL_RULES.get(code.upper())
    if rule is None:
        raise _fail(f"unknown rule code '{code}'; run 'concurlint rules' to list them")
    click.echo(explain(rule, language, color=color), nl=False, color=color)


@click.command("report", short_help="Check PATHS and write a self-contained HTML audit report.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False),
              help="Write a self-contained HTML audit report to this file.")
@click.option("--title", default=None, help="Title of the report (default: 'concurlint report').")
@click.option("--select", multiple=True, help="Enable only these codes or prefixes (comma-separated).")
@click.option("--extend-select", multiple=True, help="Enable these codes in addition to the preset.")
@click.option("--ignore", multiple=True, help="Disable these codes or prefixes.")
@click.option("--preset", type=click.Choice(PRESETS), default=None, help="Rule preset (default: 'default').")
@click.option("--exclude", multiple=True, help="Glob patterns to exclude (replaces the defaults).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to exclude in addition to the defaults.")
@click.option("--config", type=click.Path(), default=None, help="Read settings from this TOML file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--lang", type=click.Choice(language_names()), default=None, help="Language of the report.")
def report_command(paths: Tuple[str, ...], html_file: str, title: Optional[str], **options: Any) -> None:
    """Check PATHS and write an HTML audit report (exit 0 once it is written)."""
    from .fileio import atomic_write
    from .progress import for_stderr
    from .reporters.html import render_html

    paths = paths or (".",)
    if "-" in paths:
        raise _fail("'concurlint report' checks files and directories, not standard input ('-')")
    lang = detect_lang(options["lang"])
    overrides = {key.replace("_", "-"): _split(options[key])
                 for key in ("select", "extend_select", "ignore", "exclude", "extend_exclude")}
    overrides["preset"] = options["preset"]
    directory = os.path.dirname(os.path.abspath(html_file))
    if not os.path.isdir(directory):
        raise _fail(f"cannot write '{html_file}': directory '{directory}' does not exist")
    progress = for_stderr()
    try:
        settings = load_settings(paths, options["config"], options["isolated"], overrides)
        result = run(paths, settings, progress=progress)
    except ConfigError as exc:
        raise _fail(str(exc))
    finally:
        if progress is not None:
            progress.close()
    report = Report(result.findings, len(result.files), lang, _line_source(result))
    try:
        atomic_write(html_file, render_html(report, title, paths).encode("utf-8"))
    except OSError as exc:
        raise _fail(f"cannot write '{html_file}': {exc.strerror or exc}")
    click.echo(_WROTE_REPORT.format(path=html_file, findings=FINDINGS.format(count=len(report.findings)),
                                    files=FILES.format(count=len(result.files))).get(lang))


_WROTE_REPORT = Text("Wrote {path}: {findings} in {files} checked.")


_SERVER_NEEDS = Text("'concurlint server' needs {package}: pip install 'concurlint[server]'")


@click.command("server", short_help="Run the language server for editors (LSP over stdio).")
def server_command() -> None:
    """Run the language server (LSP over standard input/output) for editors."""
    try:
        from .server import serve
    except ImportError as exc:  # the optional dependencies, and only them
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise _fail(_SERVER_NEEDS.format(package=exc.name.split(".")[0]).get(detect_lang()))
    serve()
