"""The command line's entry point: the ``concurlint`` group (``concurlint.cli:main``,
also run by ``python -m concurlint``) and the stop signals around every command.

The commands live in their own modules: ``check`` and its options in cli_check.py,
what a check run ends with (the report, fixes, baselines, exit codes) in
cli_outcome.py, and ``rules``, ``rule``, ``report`` and ``server`` in cli_commands.py.
Exit codes: 0 no findings, 1 findings (or internal errors), 2 usage or config error.
Every expected failure is a one-line message on stderr, never a traceback.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import click

from . import __version__
from .cli_check import check
from .cli_commands import report_command, rule_command, rules_command, server_command
from .cli_outcome import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, want_color
from .findings import Text
from .languages import detect_lang

__all__ = ["main", "detect_lang", "want_color", "EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_USAGE"]


_STOPPED = Text("concurlint: stopped by {signal}; the workers were stopped and no report was written.")


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
            click.echo(_STOPPED.format(signal=stop.name).get(lang), err=True)
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


for _command in (check, rules_command, rule_command, report_command, server_command):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
