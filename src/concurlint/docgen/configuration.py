"""The configuration page (one entry per key of ``config.KEYS``: type, description, example,
default, command-line flag) and the suppression page.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Tuple

from ..findings import Text
from ..rules import ALL_RULES
from .common import GENERATED, _cell

# Labels shown inside f-strings (Babel cannot see a Text call inside one).
_CHOICES = Text("Choices")
_COMMAND_LINE = Text("Command line")
_DEFAULT = Text("Default")
_TYPE = Text("Type")


CONFIG_DOCS: Dict[str, Tuple[Text, Text, str]] = {
    "select": (
        Text("list of codes or prefixes"),
        Text("Enable only these rules (replaces the preset). A prefix selects a family: "
             "`CCY2` is every blocking-call rule; `ALL` is every rule."),
        'select = ["CCY2", "CCY101"]',
    ),
    "extend-select": (
        Text("list of codes or prefixes"),
        Text("Enable these rules in addition to the preset (e.g. opt-in rules that are off by default)."),
        'extend-select = ["CCY2"]',
    ),
    "ignore": (
        Text("list of codes or prefixes"),
        Text("Disable these rules. When a code matches both a selector (`select`, "
             "`extend-select`) and an ignore, the longer, more specific one decides, as in flake8 "
             "and ruff: `select = [\"CCY602\"]` with `ignore = [\"CCY6\"]` keeps CCY602; at equal "
             "length the ignore wins. `--ignore` replaces this list."),
        'ignore = ["CCY201"]',
    ),
    "extend-ignore": (
        Text("list of codes or prefixes"),
        Text("Disable these rules in addition to `ignore` (so `--extend-ignore` on the command line "
             "keeps the configured list, where `--ignore` replaces it)."),
        'extend-ignore = ["CCY601"]',
    ),
    "per-file-ignores": (
        Text("table: glob → list of codes"),
        Text("Disable rules for files matching a glob (relative to the configuration file). "
             "On the command line and in flake8 style: `'glob:CODE,CODE other:CODE'`."),
        '[tool.concurlint.per-file-ignores]\n"tests/*" = ["CCY201"]',
    ),
    "exclude": (
        Text("list of globs"),
        Text("Files and directories skipped when a directory is walked; replaces the default list "
             "(version control, virtual environments, `site-packages`, build output, tool caches). "
             "A directory holding `pyvenv.cfg` (a virtual environment of any name) is always "
             "skipped. Globs are relative to the configuration file; a file named on the command "
             "line is checked anyway unless `force-exclude` is on."),
        'exclude = [".git", "generated"]',
    ),
    "extend-exclude": (
        Text("list of globs"),
        Text("Files and directories excluded in addition to the defaults."),
        'extend-exclude = ["migrations", "vendor/*"]',
    ),
    "preset": (
        Text("`default`, `strict`, `learn` or `all`"),
        Text("`default`: the `correctness` and `suspicious` groups (the rules precise enough to "
             "gate a pull request). `strict`: every rule, `advice` included (`all` is its older "
             "name). `learn`: every rule, with a short explanation printed under the first "
             "finding of each rule (for auditing exercise code)."),
        'preset = "strict"',
    ),
    "blocking-calls": (
        Text("list of qualified names"),
        Text("Your own blocking functions, reported by CCY209 inside async functions: "
             "`pkg.func` matches exactly, `pkg.*` matches everything under `pkg`."),
        'blocking-calls = ["legacy_db.query", "vendor_sdk.*"]',
    ),
    "lock-name-pattern": (
        Text("regular expression"),
        Text("Names that count as locks for CCY301 (matched against the last part of the name)."),
        r'lock-name-pattern = "(?i)(^|_)(r?lock|mutex|guard)$"',
    ),
    "output-format": (
        Text("report format"),
        Text("The format of `concurlint check` output."),
        'output-format = "concise"',
    ),
    "cache-dir": (
        Text("path"),
        Text("Directory of the per-file result cache."),
        'cache-dir = ".concurlint_cache"',
    ),
    "max-file-size": (
        Text("integer (bytes)"),
        Text("Larger files are skipped and reported as CCY004."),
        "max-file-size = 2_000_000",
    ),
    "file-timeout": (
        Text("number (seconds)"),
        Text("A file whose analysis takes longer is abandoned and reported as CCY004."),
        "file-timeout = 10",
    ),
    "async-backend": (
        Text("`auto`, `asyncio`, `trio` or `anyio`"),
        Text("The async library of modules whose own imports and package do not say which one "
             "they use. Messages and fixes name that library's API (`trio.to_thread.run_sync`, "
             "`anyio.get_cancelled_exc_class()`...). A module's imports in any form decide first "
             "(`import trio.lowlevel`, `from anyio import ...`), then the other modules of its "
             "package; `auto` leaves the rest unknown, and a fix that depends on the library is "
             "then not applied as safe."),
        'async-backend = "trio"',
    ),
    "respect-gitignore": (
        Text("boolean"),
        Text("Skip, in directory walks, the files ignored by `.gitignore` and `.ignore` files "
             "(in the walked directories and above them up to the top of the git work tree) and by "
             "`.git/info/exclude`, with git's matching rules (the `pathspec` library). "
             "`--show-files` lists what remains."),
        "respect-gitignore = false",
    ),
    "force-exclude": (
        Text("boolean"),
        Text("Apply `exclude`, `extend-exclude` to files named on the command line too. "
             "pre-commit names every staged file, so its hooks pass `--force-exclude`."),
        "force-exclude = true",
    ),
    "python-path": (
        Text("list of paths"),
        Text("Where the checked code's libraries are installed: `site-packages` directories or "
             "virtual environments. Their stubs (`types-*`, `*-stubs`) and sources are read, never "
             "imported, for the coroutine functions and factory return types of the modules the code "
             "imports (`asyncpg`, `redis.asyncio`, `motor`, SQLAlchemy's `AsyncSession`...), and "
             "cached per distribution and version. Unset: the active virtual environment "
             "(`VIRTUAL_ENV`), else the site-packages of the interpreter running concurlint."),
        'python-path = [".venv"]',
    ),
    "baseline": (
        Text("path"),
        Text("A baseline file of known findings: only findings not in it are reported."),
        'baseline = "concurlint-baseline.json"',
    ),
    "fixable": (
        Text("list of codes or prefixes"),
        Text("Only these rules' fixes are offered and applied (default: every rule's). The "
             "findings of the other rules are still reported, without a fix."),
        'fixable = ["CCY201", "CCY107"]',
    ),
    "extend-fixable": (
        Text("list of codes or prefixes"),
        Text("Rules whose fixes are offered in addition to `fixable`."),
        'extend-fixable = ["CCY106"]',
    ),
    "unfixable": (
        Text("list of codes or prefixes"),
        Text("Rules whose fixes are never offered nor applied, whatever `fixable` says: a team "
             "keeps the rule's findings but fixes them by hand."),
        'unfixable = ["CCY102"]',
    ),
}


def _default(key: str) -> str:
    from .. import config

    spec = config.KEYS.get(key)
    if spec is None:
        return ""
    fields = {f.name: f for f in dataclasses.fields(config.Settings)}
    field = fields.get(spec[0])
    if field is None:
        return ""
    if field.default is not dataclasses.MISSING:
        value: Any = field.default
    elif field.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = field.default_factory()  # type: ignore[misc]
    else:
        return ""
    if key == "exclude" and value is None:
        return "`" + ", ".join(config.DEFAULT_EXCLUDES) + "`"
    if value is None or value == () or value == "":
        return "—"
    if isinstance(value, bool):  # as TOML spells it
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        value = ", ".join(map(str, value))
    return f"`{value}`"


def _cli_flags() -> Dict[str, str]:
    """Option name of `concurlint check` for each configuration key, when there is one."""
    try:
        from ..cli import main
    except Exception:  # pragma: no cover - the CLI always imports in a working install
        return {}
    command = main.commands.get("check")  # type: ignore[attr-defined]
    flags: Dict[str, str] = {}
    for param in getattr(command, "params", []):
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                flags[opt[2:]] = opt
    return flags


def configuration_page(lang: str) -> str:
    from .. import config

    flags = _cli_flags()
    out: List[str] = [
        GENERATED, "",
        "# " + Text("Configuration").get(lang), "",
        Text("Each file is checked with its closest configuration file, as in ruff: the first of "
             "`.concurlint.toml`, `concurlint.toml` or a `pyproject.toml` with a `[tool.concurlint]` "
             "table found in the file's directory or above it (in `.concurlint.toml` and "
             "`concurlint.toml` the keys stand at the top level, without the table header). A file "
             "outside every configured tree takes the configuration found from the current directory, "
             "else the defaults; so `concurlint check svc_a svc_b` and `concurlint check svc_b svc_a` "
             "give the same findings. Paths in a configuration file (`exclude`, `per-file-ignores`, "
             "`baseline`) are relative to it. Nothing is inherited: a nested file replaces the outer "
             "one. `--config FILE` uses one file for every path, `--isolated` ignores configuration "
             "files. Command-line options override the file. `concurlint check --show-settings FILE` "
             "prints the settings that apply to FILE and where each comes from. Unknown keys and "
             "unknown rule codes are an error that lists the valid ones (exit code 2). Keys may also "
             "be spelled with underscores.").get(lang), "",
        "```toml",
        "[tool.concurlint]",
        'preset = "default"',
        'extend-select = ["CCY2"]',
        'ignore = ["CCY201"]',
        'blocking-calls = ["legacy_db.query"]',
        "```", "",
        "| " + " | ".join(header.get(lang) for header in (
            Text("Key"), Text("Type"), Text("Default"), Text("Command line"))) + " |",
        "|---|---|---|---|",
    ]
    for key in config.KEYS:
        doc = CONFIG_DOCS.get(key)
        kind = doc[0].get(lang) if doc else Text("(undocumented)").get(lang)
        flag = f"`{flags[key]}`" if key in flags else "—"
        out.append(f"| [`{key}`](#{key}) | {_cell(kind)} | {_cell(_default(key))} | {flag} |")
    out.append("")
    for key in config.KEYS:
        doc = CONFIG_DOCS.get(key)
        out += [f"## `{key}` {{#{key}}}", ""]
        if doc is None:
            out += [Text("*Not documented yet.*").get(lang), ""]
            continue
        kind, description, example = doc
        out += [description.get(lang), "",
                f"- {_TYPE.get(lang)}: {kind.get(lang)}",
                f"- {_DEFAULT.get(lang)}: {_default(key)}"]
        if key == "output-format":
            from ..reporters import REPORTERS

            out.append(f"- {_CHOICES.get(lang)}: "
                       + ", ".join(f"`{name}`" for name in sorted(REPORTERS)))
        if key in flags:
            out.append(f"- {_COMMAND_LINE.get(lang)}: `{flags[key]}`")
        out += ["", "```toml", example if example.startswith("[") else "[tool.concurlint]\n" + example,
                "```", ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------- suppression
def suppression_page(lang: str) -> str:
    from ..suppression import PEER_CODES

    rows = []
    for peer, codes in sorted(PEER_CODES.items()):
        tool = Text("ruff").get(lang) if peer in ("RUF006", "S113") else "flake8-async, ruff"
        if peer in ("ASYNC103", "ASYNC211", "ASYNC231", "ASYNC232", "ASYNC913", "ASYNC200", "ASYNC300"):
            tool = "flake8-async"
        links = ", ".join(f"[{code}](rules/{code}.md) `{ALL_RULES[code].name}`" for code in codes)
        rows.append(f"| `{peer}` | {tool} | {links} |")
    out: List[str] = [
        GENERATED, "",
        "# " + Text("Suppressing findings").get(lang), "",
        Text("A finding that is deliberate takes a comment, best with the reason next to it.").get(lang), "",
        "## " + Text("On the reported line").get(lang), "",
        "```python",
        "time.sleep(0.01)  # noqa: CCY201 - " + Text("startup, before the loop serves requests").get(lang),
        "```", "",
        Text("The syntax is flake8's: a bare `# noqa` hides every finding of the line, "
             "`# noqa: CCY201,CCY5` hides those codes and families. The word `noqa` may be in any "
             "case; the codes are case-sensitive upper case, as flake8 reads them (`# noqa: ccy201` "
           "hides nothing), and the comment is spelled `# noqa` with one space, as flake8 requires "
             "(flake8 ignores `#noqa`, so the CLI does too). A statement continued by a backslash "
             "or a multi-line string takes the comment on its last line, which covers all its "
             "lines, as in flake8. The CLI and the flake8 plugin give the same answer.").get(lang), "",
        "## " + Text("Codes of other linters").get(lang), "",
        Text("A line already silenced for flake8-async or ruff need not say so twice: their code "
             "for the same pitfall suppresses the concurlint finding too, in the CLI and in flake8 "
             "mode (`time.sleep(1)  # noqa: ASYNC251` hides CCY201). A peer code only covers its "
             "own pitfall: `# noqa: S113` hides the missing timeout (CCY501), not the blocking call "
             "(CCY202) on the same line.").get(lang), "",
        "| " + " | ".join(header.get(lang) for header in (
            Text("Peer code"), Text("Linter"), Text("concurlint rule"))) + " |",
        "|---|---|---|",
        *rows, "",
        "## " + Text("A whole file").get(lang), "",
        "```python",
        "# concurlint: noqa",
        "# concurlint: noqa: CCY204,CCY501",
        "```", "",
        Text("On a line of its own (by convention at the top of the file), `# concurlint: noqa` "
             "hides every concurlint finding of the file, and `# concurlint: noqa: CODES` those "
             "codes. flake8's `# flake8: noqa` hides the whole file in both modes, and so does "
             "`# flake8: noqa: CODES`: flake8 skips such a file whole, whatever follows `noqa`, so "
             "the CLI does too (write `# concurlint: noqa: CODES` to hide only some codes). "
             "For folders, use `per-file-ignores` in the configuration.").get(lang), "",
        "## " + Text("Adding comments to every finding").get(lang), "",
        "```console",
        "$ concurlint check --add-noqa src/",
        Text("Added 41 noqa comments covering 52 findings in 17 files.").get(lang),
        "```", "",
        Text("To adopt concurlint on a large codebase without a [baseline](baseline.md) file, "
           "`--add-noqa` writes `# noqa: CODE` where each current finding is read from (its line, "
             "or the last line of a statement continued by a backslash or a multi-line string), "
           "adds the code to an existing `# noqa: CODES` list instead of writing a second one, "
             "keeps any other comment, and says how many comments it added. The findings are those "
             "the run reports (after `--select`, `--ignore`, a baseline or `--diff-base`); files that "
             "could not be checked (CCY001-CCY004) are left alone. Each file is replaced atomically "
             "in its own encoding and newline style, so a failed write leaves it unchanged (exit "
             "code 1 with the reason); otherwise the exit code is 0. Running it again adds nothing. "
             "It cannot be combined with `--fix`, `--diff`, `--write-baseline` or standard input.").get(lang), "",
    ]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------ checklist
