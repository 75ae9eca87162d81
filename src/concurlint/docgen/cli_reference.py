"""The CLI reference page (English only), built from click's own help text.
"""
from __future__ import annotations

from typing import List

from .common import GENERATED


def cli_reference_page() -> str:
    import click

    from ..cli import main

    out: List[str] = [
        GENERATED, "",
        "# Command-line reference", "",
        "The help text of every `concurlint` command, as `concurlint COMMAND --help` prints it. "
        "See [Command line](cli.md) for a guided tour.", "",
    ]
    commands = getattr(main, "commands", {})
    # the group's context is the parent, as on the command line: it carries settings
    # such as `-h` for help (without it click renders, and caches, `--help` alone)
    group_ctx = click.Context(main, info_name="concurlint", terminal_width=88, max_content_width=88,
                              **getattr(main, "context_settings", {}))
    for name in sorted(commands):
        command = commands[name]
        if getattr(command, "hidden", False):
            continue
        ctx = click.Context(command, info_name=name, parent=group_ctx, terminal_width=88,
                            max_content_width=88)
        with ctx:
            text = command.get_help(ctx)
        out += [f"## `concurlint {name}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------ driver
