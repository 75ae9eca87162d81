"""What a check run ends with: fixes (``--fix``, ``--diff``), ``--add-noqa``, the
baseline and changed-lines filters, the report on the terminal or in ``--output-file``,
the summary lines and the exit code (0 no findings, 1 findings, 2 usage or config
error). Shared by every command: ``_fail`` (a usage error, one line on stderr) and the
colour choice.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

import click

from .config import ConfigError, Settings
from .findings import FILES, FINDINGS, PROBLEMS, Text
from .reporters import REPORTERS, Report
from .runner import RunResult, build_project_index

if TYPE_CHECKING:  # pragma: no cover
    from .fixes import FixRun

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"concurlint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_USAGE)


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


def _isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


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
        note = _WOULD_FIX.format(problems=PROBLEMS.format(count=count), files=FILES.format(count=files))
        click.echo((note if count else _NO_FIXES).get(lang), err=True)
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


_WOULD_FIX = Text("Would fix {problems} in {files}.")
_NO_FIXES = Text("No fixes available.")
_FIXED = Text("Fixed {problems}.")
_FIXED_WORD = Text("fixed")
_FIXED_REMAINING = Text("Fixed {problems} ({remaining} remaining).")
_MORE_UNSAFE = Text("{count} more fixable with `--fix --unsafe-fixes`.")


def _report_fixes(fixing: "FixRun", remaining: int, options: Dict[str, Any], lang: str, err: bool) -> None:
    """--show-fixes' list of what was fixed, then the one-line summary."""
    if options["show_fixes"]:
        click.echo(_fixed_list(fixing, lang), err=err, nl=False)
    if options["fix_only"]:
        click.echo(_FIXED.format(problems=PROBLEMS.format(count=fixing.fixed)).get(lang), err=err)
    else:
        click.echo(_fix_summary(fixing, remaining, options["unsafe_fixes"], lang), err=err)


def _fixed_list(fixing: "FixRun", lang: str) -> str:
    """One line per applied fix, file by file (positions are those of the file as it was)."""
    lines = []
    fixed_word = _FIXED_WORD.get(lang)
    for fixed in fixing.changed:
        for finding in sorted(fixed.applied, key=lambda f: (f.line, f.column)):
            title = finding.fix.title.get(lang) if finding.fix is not None else ""
            lines.append(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} "
                         f"{fixed_word}: {title}\n")
    return "".join(lines)


def _fix_summary(fixing: "FixRun", remaining: int, unsafe: bool, lang: str) -> str:
    fixed = fixing.fixed
    hidden = 0 if unsafe else sum(
        1 for f in fixing.result.findings if f.fix is not None and not f.fix.safe)
    line = _FIXED_REMAINING.format(problems=PROBLEMS.format(count=fixed), remaining=remaining).get(lang)
    if hidden:
        line += " " + _MORE_UNSAFE.format(count=hidden).get(lang)
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


def _integrations(result: RunResult, settings: Settings, options: Dict[str, Any],
                  lang: str) -> Dict[str, Any]:
    """Baseline and changed-lines filtering, applied to ``result`` in place.

    Returns extra reporter context; ``{"exit": 0}`` after --write-baseline.
    """
    extra: Dict[str, Any] = {"root": settings.root, "files": list(result.files)}
    lines = _line_source(result)
    if options["write_baseline"]:
        from . import baseline

        findings = result.findings
        baseline.write(options["write_baseline"], findings, lines,
                       _baseline_root(settings, options["write_baseline"]))
        click.echo(_WROTE_BASELINE.format(findings=FINDINGS.format(count=len(findings)),
                                          path=options["write_baseline"]).get(lang))
        extra["exit"] = EXIT_CLEAN
        return extra
    path = options["baseline_file"]
    if path is None and settings.baseline:
        path = os.path.join(settings.root, settings.baseline)
    if path:
        from . import baseline  # not imported by a run without one (a one-file run's start-up)

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


_WROTE_BASELINE = Text("Wrote {findings} to the baseline '{path}'.")


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
    from .reporters.text import summary_line

    outcome = report.extra.get("baseline")
    note = None
    if outcome is not None:
        from .baseline import summary as baseline_summary

        note = baseline_summary(outcome, report.lang)
    if report.extra.get("quiet"):  # -q/-s: no summary lines
        note = None
    if output_file:
        from .fileio import atomic_write

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
