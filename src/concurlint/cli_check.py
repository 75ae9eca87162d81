"""``concurlint check``: its options, the settings they make, and the run itself.

This module owns turning the command line into ``Settings`` and files to check:
standard input, ``--shard`` and ``--diff-base`` selection, ``--watch``, and the
commands that print and exit before checking (``--show-settings``, ``--show-files``).
``_check_once`` then hands the result to cli_outcome.py for fixes, baselines, the
report and the exit code.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from .cli_outcome import (
    EXIT_CLEAN, EXIT_FINDINGS, _add_noqa, _emit, _fail, _fix, _integrations, _line_source,
    _report_fixes, _validate_integrations, want_color,
)
from .config import ASYNC_BACKENDS, PRESETS, ConfigError, Settings, load_settings
from .fastpath import note_check
from .findings import Text
from .languages import detect_lang, names as language_names
from .reporters import REPORTERS, Report
from .reporters.text import statistics
from .runner import RunResult, build_project_index, run
from .source import SourceError, decode_source


def _split(values: Tuple[str, ...]) -> Optional[List[str]]:
    """Repeatable, comma-separated option values -> list (None when not given)."""
    if not values:
        return None
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items


def _settings_from_options(paths: Sequence[str], options: Dict[str, Any]) -> Settings:
    overrides = {
        "select": _split(options["select"]),
        "extend-select": _split(options["extend_select"]),
        "ignore": _split(options["ignore"]),
        "extend-ignore": _split(options["extend_ignore"]),
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
        "async-backend": options["async_backend"],
        "force-exclude": options["force_exclude"],
        "respect-gitignore": options["respect_gitignore"],
        "fixable": _split(options["fixable"]),
        "extend-fixable": _split(options["extend_fixable"]),
        "unfixable": _split(options["unfixable"]),
    }
    return load_settings(paths, options["config"], options["isolated"], overrides)


@click.command("check", short_help="Check files and directories for concurrency pitfalls.")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # unreadable: CCY002
@click.option("--select", multiple=True, help="Enable only these codes or prefixes (comma-separated).")
@click.option("--extend-select", multiple=True, help="Enable these codes in addition to the preset.")
@click.option("--ignore", multiple=True, help="Disable these codes or prefixes.")
@click.option("--extend-ignore", multiple=True, help="Disable these codes in addition to the configured 'ignore'.")
@click.option("--per-file-ignores", multiple=True, help="'glob:CODE,CODE' pairs.")
@click.option("--exclude", multiple=True, help="Glob patterns to exclude (replaces the defaults).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to exclude in addition to the defaults.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip the files ignored by .gitignore, .ignore and .git/info/exclude (default: on).")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply the excludes even to files named on the command line (pre-commit).")
@click.option("--preset", type=click.Choice(PRESETS), default=None, help="Rule preset (default: 'default').")
@click.option("--blocking-calls", multiple=True, help="Qualified names (or 'pkg.*') that block (CCY209).")
@click.option("--lock-name-pattern", default=None, help="Regex: names that count as locks (CCY301).")
@click.option("--output-format", type=click.Choice(sorted(REPORTERS)), default=None, help="Report format.")
@click.option("--cache-dir", default=None, help="Directory of the result cache.")
@click.option("--max-file-size", type=int, default=None, help="Skip files larger than this many bytes (CCY004).")
@click.option("--file-timeout", type=float, default=None, help="Seconds allowed per file (CCY004).")
@click.option("--async-backend", type=click.Choice(ASYNC_BACKENDS), default=None,
              help="Async library of modules whose imports and package do not say (default: auto).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core; 1 = one supervised worker).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-stats", is_flag=True,
              help="Print to stderr how many files the cache answered and how many were checked.")
@click.option("--config", type=click.Path(), default=None, help="Read settings from this TOML file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--stdin-filename", default=None, help="The name to report when reading from '-'.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files (rewritten atomically).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also apply the unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff instead; change no file.")
@click.option("--fix-only", is_flag=True,
              help="Apply the fixes and report nothing else (exit 0 unless a file cannot be written).")
@click.option("--show-fixes", is_flag=True, help="With --fix, list every problem that was fixed.")
@click.option("--fixable", multiple=True, help="Offer and apply only these codes' fixes (default: all).")
@click.option("--extend-fixable", multiple=True, help="Codes whose fixes are offered in addition to --fixable.")
@click.option("--unfixable", multiple=True, help="Codes whose fixes are never offered (findings stay).")
@click.option("--statistics", "show_statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--show-traceback", is_flag=True, help="Print tracebacks of internal errors (CCY003).")
@click.option("--lang", type=click.Choice(language_names()), default=None, help="Language of messages.")
@click.option("--color/--no-color", default=None, help="Force or disable colour (default: on a terminal).")
@click.option("--output-file", type=click.Path(), default=None, metavar="FILE",
              help="Write the report to this file (atomically); the terminal gets the summary.")
@click.option("--baseline", "baseline_file", type=click.Path(), default=None, metavar="FILE",
              help="Hide the findings recorded in this baseline file; report only new ones.")
@click.option("--write-baseline", type=click.Path(), default=None, metavar="FILE",
              help="Record the current findings in this baseline file and exit 0.")
@click.option("--diff-base", default=None, metavar="REV",
              help="Report only findings on lines changed since this git revision.")
@click.option("--shard", default=None, metavar="I/N",
              help="Check only the I-th of N deterministic parts of the files (CI matrices).")
@click.option("--add-noqa", is_flag=True,
              help="Add '# noqa: CODE' to the line of every current finding (rewritten atomically).")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary lines.")
@click.option("--silent", "-s", is_flag=True, help="Print nothing; the exit code tells the outcome.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also print the configuration files used, the files checked and the time taken.")
@click.option("--watch", is_flag=True, help="Check again whenever a Python or config file changes (Ctrl-C stops).")
@click.option("--show-files", is_flag=True, help="List the files that would be checked, then exit.")
@click.option("--show-settings", is_flag=True,
              help="Print the settings that apply to the one FILE given, and where each comes from.")
def check(paths: Tuple[str, ...], **options: Any) -> None:
    """Check PATHS (files or directories; '-' reads standard input; default '.')."""
    if options["watch"]:
        _watch(paths or (".",), options)
    else:
        _check_once(paths, options)


def _check_once(paths: Sequence[str], options: Dict[str, Any]) -> None:
    paths = paths or (".",)
    lang = detect_lang(options["lang"])
    started = time.monotonic()
    options["fix"] = options["fix"] or options["fix_only"]
    try:
        settings = _settings_from_options(paths, options)
        if options["show_settings"]:
            _show_settings(paths, settings, lang)
            return
        if options["show_files"]:
            from .discovery import discover, display_path

            for path in discover(paths, settings):
                click.echo(display_path(path))
            return
        _validate_integrations(paths, options)
        result = _run(paths, settings, options)
        note_check(paths, settings, options, result)  # a replay record may be kept (fastpath.py)
        fixing = _fix(paths, result, settings, options, lang)  # --fix / --diff
        if fixing is not None:
            result = fixing.result
        integration = _integrations(result, settings, options, lang)
    except ConfigError as exc:
        raise _fail(str(exc))
    if integration.get("exit") is not None:
        raise click.exceptions.Exit(integration["exit"])
    if options["add_noqa"]:
        _add_noqa(result, lang)
    findings = result.findings
    if options["verbose"] and not options["silent"]:
        _verbose(result, settings, time.monotonic() - started, lang)
    if not result.files and "-" not in paths and not (options["shard"] or options["diff_base"]):
        # an empty walk is most likely a wrong path or exclude, not a clean project
        if not options["silent"]:
            click.echo(_NO_FILES.get(lang).format(paths=", ".join(paths)), err=True)
        if settings.output_format in ("full", "concise") and not options["output_file"]:
            return
    if fixing is not None and options["fix_only"]:  # fixed; the rest is not this run's business
        if not options["silent"]:
            _report_fixes(fixing, len(findings), options, lang, err=False)
        raise click.exceptions.Exit(EXIT_FINDINGS if fixing.errors else EXIT_CLEAN)
    if options["show_traceback"]:
        for text in result.tracebacks:
            click.echo(text, err=True)
    color = want_color(options["color"])
    report = Report(findings, len(result.files), lang, _line_source(result), color)
    report.extra.update(integration)
    report.extra.update(quiet=options["quiet"] or options["silent"], silent=options["silent"])
    if settings.preset == "learn":  # the explanation under each finding, once per rule
        from .explain import learn_hook

        report.extra["explain"] = learn_hook(lang, report.color)
    output = REPORTERS[settings.output_format](report)
    _emit(output, report, settings.output_format, options["output_file"], color)
    if options["show_statistics"] and not options["silent"]:
        click.echo(statistics(findings), nl=False)
    if options["cache_stats"]:
        click.echo(_cache_stats(result, lang), err=True)
    if fixing is not None:
        if not report.extra["quiet"]:
            _report_fixes(fixing, len(findings), options, lang,
                          err=settings.output_format not in ("full", "concise") and not options["output_file"])
        if fixing.errors:  # a file could not be written: never a success
            raise click.exceptions.Exit(EXIT_FINDINGS)
    if findings and not options["exit_zero"]:
        raise click.exceptions.Exit(EXIT_FINDINGS)


_VERBOSE_TEXT = {
    "config": Text("concurlint: configuration {file}: {count} file(s)"),
    "defaults": Text("built-in defaults"),
    "done": Text("concurlint: checked {count} file(s) in {seconds:.2f} s"),
    "watching": Text("concurlint: watching for changes (Ctrl-C stops)..."),
    "changed": Text("concurlint: {count} file(s) changed, checking again"),
    "stdin": Text("--watch cannot read standard input ('-')"),
}


def _verbose(result: RunResult, settings: Settings, seconds: float, lang: str) -> None:
    """-v: which configuration each checked file took, and the time the check took."""
    used: Dict[str, int] = {}
    for path in result.files:
        config = settings.for_path(path).config_file or _VERBOSE_TEXT["defaults"].get(lang)
        used[config] = used.get(config, 0) + 1
    for config, count in sorted(used.items()):
        click.echo(_VERBOSE_TEXT["config"].get(lang).format(file=config, count=count), err=True)
    click.echo(_VERBOSE_TEXT["done"].get(lang).format(count=len(result.files), seconds=seconds), err=True)


def _watch(paths: Sequence[str], options: Dict[str, Any]) -> None:
    """--watch: check, then check again after each change to a Python, config or ignore file."""
    from watchfiles import DefaultFilter, watch

    from .config import clear_config_cache

    lang = detect_lang(options["lang"])
    if "-" in paths:
        raise _fail(_VERBOSE_TEXT["stdin"].get(lang))
    for path in paths:  # the watcher needs them before the first check says so
        if not os.path.lexists(path):
            raise _fail(f"path '{path}' does not exist")
    base_filter = DefaultFilter()
    watched = (".py", ".pyi", ".toml", ".gitignore", ".ignore")

    def relevant(change: Any, path: str) -> bool:
        return path.endswith(watched) and base_filter(change, path)

    def once() -> None:
        clear_config_cache()  # a config file may have changed
        try:
            _check_once(paths, dict(options))
        except click.exceptions.Exit:  # findings or a broken config: keep watching for the fix
            pass
        click.echo(_VERBOSE_TEXT["watching"].get(lang), err=True)

    # The watcher starts before the first check (its first, empty, answer says it is
    # running), so a change made while a check runs is seen on the next turn.
    changes_seen = watch(*paths, watch_filter=relevant, raise_interrupt=False,
                         yield_on_timeout=True, rust_timeout=1000)
    try:
        next(changes_seen, None)
        once()
        for changes in changes_seen:
            if changes:
                click.echo(_VERBOSE_TEXT["changed"].get(lang).format(count=len(changes)), err=True)
                once()
    except KeyboardInterrupt:  # Ctrl-C during a check: the usual way to stop watching
        pass


_NO_FILES = Text("concurlint: warning: no Python files found in {paths}; nothing was checked")
_SETTINGS_TEXT = {
    "header": Text("Settings for {path}"),
    "config": Text("Configuration file: {file}"),
    "none": Text("none (built-in defaults)"),
    "root": Text("Relative paths start at: {root}"),
    "default": Text("default"),
    "command line": Text("command line"),
    "enabled": Text("Rules enabled for this file ({count}): {codes}"),
    "one": Text("--show-settings takes exactly one file or directory"),
}


def _show_settings(paths: Sequence[str], settings: Settings, lang: str) -> None:
    """--show-settings: each setting of the closest configuration to one path, with its origin."""
    from .config import KEYS

    if len(paths) != 1 or paths[0] == "-":
        raise ConfigError(_SETTINGS_TEXT["one"].get(lang))
    path = paths[0]
    if not os.path.lexists(path):
        raise ConfigError(f"path '{path}' does not exist")
    local = settings.for_path(path)
    text = {key: message.get(lang) for key, message in _SETTINGS_TEXT.items()}
    sources = dict(local.sources)
    click.echo(text["header"].format(path=path))
    click.echo(text["config"].format(file=local.config_file or text["none"]))
    click.echo(text["root"].format(root=local.root))
    for key, (name, _parser) in KEYS.items():
        value = local.excludes() if key == "exclude" else getattr(local, name)
        if isinstance(value, tuple):
            value = list(value)
        origin = sources.get(key, "default")
        click.echo(f"  {key} = {json.dumps(value, ensure_ascii=False)}  # {text.get(origin, origin)}")
    codes = sorted(local.codes_for(path))
    click.echo(text["enabled"].format(count=len(codes), codes=", ".join(codes)))


def _cache_stats(result: RunResult, lang: str) -> str:
    stats = result.cache_stats
    if stats is None:
        return _CACHE_OFF.get(lang)
    return _CACHE_STATS.format(**stats).get(lang)


_CACHE_OFF = Text("cache: off")
_CACHE_STATS = Text("cache: {hits} files reused, {misses} checked ({stale} because project facts they use changed)")


def _run(paths: Sequence[str], settings: Settings, options: Dict[str, Any]) -> RunResult:
    if "-" in paths:
        if len(paths) > 1:
            raise ConfigError("'-' (standard input) cannot be combined with other paths")
        name = options["stdin_filename"] or "<stdin>"
        data = sys.stdin.buffer.read()
        try:
            source = decode_source(data, name)
        except SourceError as exc:
            from .findings import unreadable_result

            return RunResult([name], [unreadable_result(name, exc, "CCY002" in settings.codes_for(name))])
        project = build_project_index([name] if os.path.isfile(name) else [], settings)
        from .bounded import bounded_check  # size limit; risky input checked in a bounded child

        return RunResult([name], [bounded_check(source, settings, project)])
    from .progress import for_stderr

    progress = for_stderr()
    try:
        return _run_selected(paths, settings, options, progress)
    finally:
        if progress is not None:
            progress.close()


def _run_selected(paths: Sequence[str], settings: Settings, options: Dict[str, Any],
                  progress: Any) -> RunResult:
    """``run`` on the files of this shard / changed since --diff-base; the project
    index is still built over every discovered file (cross-module facts)."""
    if not options["shard"] and not options["diff_base"]:
        return run(paths, settings, progress=progress, **_run_options(options))
    from .discovery import discover, parse_shard, shard

    files = discover(paths, settings)
    selected = files
    if options["shard"]:
        selected = shard(selected, *parse_shard(options["shard"]), root=settings.root)
    if options["diff_base"]:
        from . import vcs

        first = paths[0] if paths else "."
        start = first if os.path.isdir(first) else (os.path.dirname(first) or ".")
        changes = vcs.changed_lines(options["diff_base"], start)
        options["diff_changes"] = changes
        selected = vcs.changed_files(changes, selected)
    if not selected:
        return RunResult([], [])
    return run(selected, settings, project=build_project_index(files), progress=progress,
               **_run_options(options))


def _run_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """--jobs and --no-cache as ``runner.run`` arguments (workers and the cache are on by default)."""
    from .runner import default_jobs

    jobs = options.get("jobs") or default_jobs()
    return {"jobs": jobs, "cache": not options.get("no_cache")}
