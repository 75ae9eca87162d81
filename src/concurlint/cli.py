"""The command line: a thin adapter over the engine (``concurlint check|rules|rule``).

Exit codes: 0 no findings, 1 findings (or internal errors), 2 usage or config error.
Every expected failure is a one-line message on stderr, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import click

from . import __version__
from .fastpath import note_check
from .findings import Text
from .config import ASYNC_BACKENDS, PRESETS, ConfigError, Settings, load_settings
from .reporters import REPORTERS, Report
from .reporters.text import statistics
from .runner import RunResult, build_project_index, run
from .source import SourceError, decode_source

if TYPE_CHECKING:  # pragma: no cover
    from .fixes import FixRun

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


class _StoppableGroup(click.Group):
    """Runs a command with the stop signals turned into a clean exit (issue 16, item 4):
    SIGTERM, SIGHUP or SIGINT stop the workers, print one line on stderr and exit with
    128 + the signal number, as a shell reports a process killed by it."""

    def invoke(self, ctx: click.Context) -> Any:
        from .interrupt import Interrupted, install_stop_handlers, restore_handlers

        previous = install_stop_handlers()
        try:
            return super().invoke(ctx)
        except Interrupted as stop:
            lang = detect_lang((ctx.params or {}).get("lang") or _lang_argument())
            click.echo(f"concurlint:已被 {stop.name} 中止,工作进程已停止,未生成报告。" if lang == "zh" else
                       f"concurlint: stopped by {stop.name}; the workers were stopped and no report "
                       "was written.", err=True)
            raise click.exceptions.Exit(stop.exit_code)
        finally:
            restore_handlers(previous)


def _lang_argument() -> Optional[str]:
    """--lang from the command line (the group does not parse its commands' options)."""
    args = sys.argv[1:]
    for position, arg in enumerate(args):
        if arg == "--lang" and position + 1 < len(args):
            return args[position + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


@click.group(cls=_StoppableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="concurlint")
def main() -> None:
    """concurlint: find Python concurrency pitfalls before they reach production."""


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


@main.command("check", short_help="Check files and directories for concurrency pitfalls.")
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
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of messages.")
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


def want_color(option: Optional[bool] = None) -> bool:
    """--color/--no-color, else NO_COLOR (no-color.org), else FORCE_COLOR
    (force-color.org), else whether stdout is a terminal. Both variables count when
    set to any non-empty value; NO_COLOR wins when both are set."""
    if option is not None:
        return option
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty()


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
        return "cache: off" if lang == "en" else "缓存:未启用"
    hits, misses, stale = stats["hits"], stats["misses"], stats["stale"]
    if lang == "zh":
        return f"缓存:{hits} 个文件复用结果,{misses} 个重新检查(其中 {stale} 个因其用到的项目信息有变)"
    return f"cache: {hits} files reused, {misses} checked ({stale} because project facts they use changed)"


def _isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


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


# ---------------------------------------------------------------- fixes
# --fix, --unsafe-fixes, --diff (the work is in fixes.py).
def _fix(paths: Sequence[str], result: RunResult, settings: Settings, options: Dict[str, Any],
         lang: str) -> Optional["FixRun"]:
    """Apply (or, with --diff, show) the fixes; None when neither option was given.

    --diff and --fix on standard input print their output here and exit.
    """
    if not (options["fix"] or options["diff"]):
        return None
    from .fixes import fix_run

    stdin = "-" in paths
    unsafe = options["unsafe_fixes"]
    project = None
    if not stdin and (options["shard"] or options["diff_base"]):  # the run's index covers every file
        from .discovery import discover

        project = build_project_index(discover(paths, settings), settings)
    fixing = fix_run(result, settings, unsafe=unsafe, write=not (options["diff"] or stdin), stdin=stdin,
                     project=project)
    for message in fixing.dropped:
        click.echo(f"concurlint: {message}", err=True)
    for message in fixing.errors:
        click.echo(f"concurlint: error: {message}", err=True)
    if options["diff"]:
        changed = fixing.changed
        click.echo("".join(f.diff() for f in changed), nl=False)
        count, files = fixing.fixed, len(changed)
        if lang == "zh":
            note = f"可修复 {files} 个文件中的 {count} 个问题。" if count else "没有可应用的修复。"
        else:
            note = (f"Would fix {count} problem{'s' if count != 1 else ''} in {files} "
                    f"file{'s' if files != 1 else ''}." if count else "No fixes available.")
        click.echo(note, err=True)
        raise click.exceptions.Exit(EXIT_FINDINGS if changed and not options["exit_zero"] else EXIT_CLEAN)
    if stdin:  # the (fixed) code on stdout, the report on stderr
        original = result.results[0] if result.results else None
        fixed = fixing.files[0] if fixing.files else None
        if fixed is not None and fixed.changed:
            data = fixed.encoded()
        else:
            data = original.source.raw if original is not None and original.source is not None else None
        if data is not None:
            sys.stdout.flush()
            stream = getattr(sys.stdout, "buffer", sys.stdout)  # the bytes, as they are
            stream.write(data)
            stream.flush()
        remaining = fixing.result.findings
        if not options["fix_only"]:
            report = Report(remaining, len(fixing.result.files), lang, _line_source(fixing.result), False)
            click.echo(REPORTERS[settings.output_format](report), nl=False, err=True)
        _report_fixes(fixing, len(remaining), options, lang, err=True)
        failed = remaining and not options["exit_zero"] and not options["fix_only"]
        raise click.exceptions.Exit(EXIT_FINDINGS if failed else EXIT_CLEAN)
    return fixing


def _report_fixes(fixing: "FixRun", remaining: int, options: Dict[str, Any], lang: str, err: bool) -> None:
    """--show-fixes' list of what was fixed, then the one-line summary."""
    if options["show_fixes"]:
        click.echo(_fixed_list(fixing, lang), err=err, nl=False)
    if options["fix_only"]:
        fixed = fixing.fixed
        click.echo(f"已修复 {fixed} 个问题。" if lang == "zh"
                   else f"Fixed {fixed} problem{'s' if fixed != 1 else ''}.", err=err)
    else:
        click.echo(_fix_summary(fixing, remaining, options["unsafe_fixes"], lang), err=err)


def _fixed_list(fixing: "FixRun", lang: str) -> str:
    """One line per applied fix, file by file (positions are those of the file as it was)."""
    lines = []
    for fixed in fixing.changed:
        for finding in sorted(fixed.applied, key=lambda f: (f.line, f.column)):
            title = finding.fix.title.get(lang) if finding.fix is not None else ""
            lines.append(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
                         f"{'已修复' if lang == 'zh' else 'fixed'}: {title}\n")
    return "".join(lines)


def _fix_summary(fixing: "FixRun", remaining: int, unsafe: bool, lang: str) -> str:
    fixed = fixing.fixed
    hidden = 0 if unsafe else sum(
        1 for f in fixing.result.findings if f.fix is not None and not f.fix.safe)
    if lang == "zh":
        line = f"已修复 {fixed} 个问题(剩余 {remaining} 个)。"
        if hidden:
            line += f" 另有 {hidden} 个可用 `--fix --unsafe-fixes` 修复。"
        return line
    line = f"Fixed {fixed} problem{'s' if fixed != 1 else ''} ({remaining} remaining)."
    if hidden:
        line += f" {hidden} more fixable with `--fix --unsafe-fixes`."
    return line


def _add_noqa(result: RunResult, lang: str) -> None:
    """--add-noqa: write the comments, say how many, exit 0 (1 when a file could not be written)."""
    from .add_noqa import add_noqa, summary

    outcome = add_noqa(result.results)
    for message in outcome.errors:
        click.echo(f"concurlint: error: {message}", err=True)
    click.echo(summary(outcome, lang))
    raise click.exceptions.Exit(EXIT_FINDINGS if outcome.errors else EXIT_CLEAN)


# ---------------------------------------------------------------- CI integrations
# --output-file, --baseline/--write-baseline, --diff-base and --shard.
def _validate_integrations(paths: Sequence[str], options: Dict[str, Any]) -> None:
    """Fail early (before a long run) on options that cannot work."""
    if options["shard"]:
        from .discovery import parse_shard

        parse_shard(options["shard"])
    if "-" in paths and (options["shard"] or options["diff_base"]):
        raise ConfigError("--shard and --diff-base cannot be used with '-' (standard input)")
    if options["add_noqa"] and ("-" in paths or options["fix"] or options["diff"] or options["write_baseline"]):
        raise ConfigError("--add-noqa edits the checked files; it cannot be combined with '-' "
                          "(standard input), --fix, --diff or --write-baseline")
    if options["write_baseline"] and (options["shard"] or options["diff_base"]):
        raise ConfigError("--write-baseline records the whole project; "
                          "it cannot be combined with --shard or --diff-base")
    for option, path in (("output file", options["output_file"]),
                         ("baseline", options["write_baseline"])):
        if path is None:
            continue
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise ConfigError(f"cannot write {option} '{path}': it is a directory")
        if not os.path.isdir(directory):
            raise ConfigError(f"cannot write {option} '{path}': directory '{directory}' does not exist")
        if not os.access(directory, os.W_OK):
            raise ConfigError(f"cannot write {option} '{path}': directory '{directory}' is not writable")


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


def _integrations(result: RunResult, settings: Settings, options: Dict[str, Any],
                  lang: str) -> Dict[str, Any]:
    """Baseline and changed-lines filtering, applied to ``result`` in place.

    Returns extra reporter context; ``{"exit": 0}`` after --write-baseline.
    """
    from . import baseline

    extra: Dict[str, Any] = {"root": settings.root, "files": list(result.files)}
    lines = _line_source(result)
    if options["write_baseline"]:
        findings = result.findings
        baseline.write(options["write_baseline"], findings, lines,
                       _baseline_root(settings, options["write_baseline"]))
        count = len(findings)
        click.echo(f"已将 {count} 个问题写入基线 '{options['write_baseline']}'。" if lang == "zh" else
                   f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline "
                   f"'{options['write_baseline']}'.")
        extra["exit"] = EXIT_CLEAN
        return extra
    path = options["baseline_file"]
    if path is None and settings.baseline:
        path = os.path.join(settings.root, settings.baseline)
    if path:
        outcome = baseline.apply(result.findings, baseline.load(path), lines,
                                 _baseline_root(settings, path), result.files)
        _keep(result, {id(f) for f in outcome.kept})
        extra["baseline"] = outcome
    changes = options.get("diff_changes")
    if changes is not None:
        from . import vcs

        _keep(result, {id(f) for f in result.findings
                       if f.code.startswith("CCY0")
                       # a notebook's lines are its cells' lines, not the JSON file's: whole file
                       or vcs.is_changed(changes, f.path, None if f.cell is not None else f.line)})
    return extra


def _baseline_root(settings: Settings, path: str) -> str:
    """Baseline paths are relative to the config root, or (no config) to the baseline's
    own directory: either way the baseline works from any working directory."""
    return settings.root if settings.config_file else os.path.dirname(os.path.abspath(path))


def _keep(result: RunResult, kept: Any) -> None:
    for file_result in result.results:
        file_result.findings[:] = [f for f in file_result.findings if id(f) in kept]


def _emit(output: str, report: Report, output_format: str, output_file: Optional[str],
          color: Optional[bool]) -> None:
    """The report to the terminal, or atomically to --output-file with the summary on the terminal."""
    from .baseline import summary as baseline_summary
    from .fileio import atomic_write
    from .reporters.text import summary_line

    outcome = report.extra.get("baseline")
    note = baseline_summary(outcome, report.lang) if outcome is not None else None
    if report.extra.get("quiet"):  # -q/-s: no summary lines
        note = None
    if output_file:
        try:
            atomic_write(output_file, output)
        except OSError as exc:
            raise _fail(f"cannot write output file '{output_file}': {exc.strerror or exc}")
        if not report.extra.get("quiet"):
            click.echo(summary_line(report))
        if note:
            click.echo(note)
        return
    if not report.extra.get("silent"):
        click.echo(output, nl=False, color=color)
    if note:  # keep machine-readable formats parseable: the note goes to stderr there
        click.echo(note, err=output_format not in ("full", "concise"))


def _line_source(result: RunResult):
    texts = {r.path: r.source.text for r in result.results if r.source is not None}

    def lines(path: str) -> List[str]:
        text = texts.get(path)
        if text is None:
            return []
        return text.splitlines()
    return lines


@main.command("rules", short_help="List every rule: code, name, group, fix kind, summary.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of summaries.")
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


@main.command("rule", short_help="Explain one rule (e.g. CCY201), or every rule with --all.")
@click.argument("code", required=False)
@click.option("--all", "every", is_flag=True, help="Explain every rule, one after the other.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the explanation.")
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


@main.command("report", short_help="Check PATHS and write a self-contained HTML audit report.")
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
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the report.")
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
    count = len(report.findings)
    if lang == "zh":
        click.echo(f"已写入 {html_file}:{count} 个问题,检查了 {len(result.files)} 个文件。")
    else:
        click.echo(f"Wrote {html_file}: {count} finding{'s' if count != 1 else ''} in "
                   f"{len(result.files)} file{'s' if len(result.files) != 1 else ''} checked.")


@main.command("server", short_help="Run the language server for editors (LSP over stdio).")
def server_command() -> None:
    """Run the language server (LSP over standard input/output) for editors."""
    try:
        from .server import serve
    except ImportError as exc:  # the optional dependencies, and only them
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise _fail(f"'concurlint server' needs {exc.name.split('.')[0]}: pip install 'concurlint[server]'"
                    if detect_lang() == "en" else
                    f"'concurlint server' 需要 {exc.name.split('.')[0]}:请运行 pip install 'concurlint[server]'")
    serve()


if __name__ == "__main__":  # pragma: no cover
    main()
