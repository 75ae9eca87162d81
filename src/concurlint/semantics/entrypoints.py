"""Command-line code: where a program is started by a person at a terminal.

A call there runs once per invocation, in front of the user who started it; a hang is
seen and interrupted with Ctrl-C, unlike the same call in a service or library, where
it silently holds a worker. Some rules leave such code out of their default form
(``Settings.default_form``); ``strict`` and ``learn`` (the learners' presets) report it.

Command-line code is, lexically:
- the body of ``if __name__ == "__main__":`` and the whole of a ``__main__.py`` module;
- a module that imports a command-line parser (argparse, optparse, click, typer, ...);
- a Django management command (a class deriving from a ``BaseCommand``).
"""
from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from .context import Context
from .scopes import IMPORT

CLI_LIBRARIES = frozenset({
    "argparse", "optparse", "getopt", "click", "typer", "docopt", "fire", "configargparse",
    "cleo", "cliff", "plac",
})
COMMAND_BASES = frozenset({"BaseCommand", "LabelCommand", "AppCommand"})


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    sides = (test.left, target.comparator)
    return (isinstance(target.operator, cst.Equal)
            and any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides)
            and any(isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides))


def _base_name(base: cst.Arg) -> str:
    value = base.value
    if isinstance(value, cst.Attribute):
        return value.attr.value
    return value.value if isinstance(value, cst.Name) else ""


def _module_is_cli(ctx: Context) -> bool:
    found: Optional[bool] = ctx.memo.get("entrypoints.module_is_cli")
    if found is None:
        found = os.path.basename(ctx.path) == "__main__.py" or any(
            binding.kind == IMPORT and (binding.qualname or "").split(".")[0] in CLI_LIBRARIES
            for bindings in ctx.module_scope.bindings.values() for binding in bindings)
        ctx.memo["entrypoints.module_is_cli"] = found
    return found


def in_command_line_code(ctx: Context) -> bool:
    """Whether the node being visited is command-line code (see the module docstring)."""
    if _module_is_cli(ctx):
        return True
    for ancestor in ctx.ancestors:
        if isinstance(ancestor, cst.If) and _is_main_guard(ancestor.test):
            return True
        if isinstance(ancestor, cst.ClassDef) and any(
                _base_name(base) in COMMAND_BASES for base in ancestor.bases):
            return True
    return False
