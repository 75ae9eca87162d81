"""Settings: the closest ``[tool.concurlint]`` (pyproject.toml) or concurlint.toml to each
file, overridden by the command line.

Every problem here is a ``ConfigError`` with a one-line message (exit code 2).
"""
from __future__ import annotations

import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .catalog import CODES, QUIET_IN_TESTS, default_codes, is_test_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

# default: the correctness and suspicious groups; strict: every rule ("all" is its old
# name); learn: every rule, with the explanation under each finding.
PRESETS = ("default", "strict", "learn", "all")
ASYNC_BACKENDS = ("auto", "asyncio", "trio", "anyio")
DEFAULT_LOCK_NAME_PATTERN = r"(?i)(^|_)(r?lock|mutex)$"
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "build", "dist", ".tox", ".nox",
    "node_modules", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".concurlint_cache",
    # virtual environments, installed packages, tool caches and build output
    "env", ".env", ".direnv", ".pyenv", "site-packages", "__pypackages__", ".bzr", ".git-rewrite",
    ".ipynb_checkpoints", ".pants.d", ".pytype", "_build", "buck-out",
)


class ConfigError(Exception):
    """A bad setting: the message is shown as is, and the exit code is 2."""


@dataclass(frozen=True)
class Settings:
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    preset: str = "default"
    blocking_calls: Tuple[str, ...] = ()
    lock_name_pattern: str = DEFAULT_LOCK_NAME_PATTERN
    output_format: str = "full"
    cache_dir: Optional[str] = None
    max_file_size: int = 10 * 1024 * 1024
    file_timeout: float = 30.0
    baseline: Optional[str] = None
    # the async library of modules whose imports (and package) do not say (revision 2)
    async_backend: str = "auto"
    # which rules' fixes are offered and applied (ruff's keys): None = every rule
    fixable: Optional[Tuple[str, ...]] = None
    extend_fixable: Tuple[str, ...] = ()
    unfixable: Tuple[str, ...] = ()
    # where the checked code's libraries are installed (site-packages or a virtualenv)
    python_path: Tuple[str, ...] = ()
    # where the config was found (per-file-ignores and excludes are relative to it)
    root: str = field(default_factory=os.getcwd)
    config_file: Optional[str] = None
    # Hierarchical configuration: each file takes the closest config file above it
    # (``for_path``) with these command-line values on top; off with --config/--isolated.
    hierarchical: bool = False
    overrides: Tuple[Tuple[str, Any], ...] = ()
    respect_gitignore: bool = True
    # exclude even the files named on the command line (pre-commit names every file)
    force_exclude: bool = False
    # origin of each TOML key that was set: a config file path or "command line"
    sources: Tuple[Tuple[str, str], ...] = field(default=(), compare=False)

    def for_path(self, path: str) -> "Settings":
        """The settings that apply to ``path``: ``settings_for_path`` when this run is
        hierarchical, else these settings. The closest file's settings are rebuilt from
        that file and ``overrides``: a field changed with ``dataclasses.replace`` on a
        hierarchical Settings does not carry over (pass it in ``overrides`` instead, or
        set ``hierarchical=False``)."""
        if not self.hierarchical:
            return self
        # a file outside every configured tree takes the configuration of the working
        # directory, as ruff does, so the result never depends on the argument order
        found = closest_config(path) or closest_config(os.getcwd())
        if found == self.config_file:
            return self
        return _settings_from(found, self.overrides, os.getcwd())

    # ------------------------------------------------------------------ rules
    def enabled_codes(self) -> FrozenSet[str]:
        cached = _ENABLED_CACHE.get(self._selection_key())
        if cached is not None:
            return cached
        if self.select is not None:
            base: FrozenSet[str] = frozenset()
        elif self.preset == "default":
            base = frozenset(default_codes())
        else:
            base = frozenset(CODES)
        chosen = tuple(self.select or ()) + self.extend_select
        ignored = self.ignore + self.extend_ignore
        result = frozenset(c for c in CODES if _decide(c, base, chosen, ignored))
        _ENABLED_CACHE[self._selection_key()] = result
        return result

    def codes_for(self, path: str) -> FrozenSet[str]:
        """Enabled codes for one file, after ``per-file-ignores`` (and, in the default
        preset, without the rules whose default form skips test code)."""
        closest = self.for_path(path)
        if closest is not self:
            return closest.codes_for(path)
        enabled = self.enabled_codes()
        quiet = [c for c in QUIET_IN_TESTS if c in enabled and self.default_form(c)]
        if quiet:
            rel = _relative(path, self.root)
            if is_test_path("/".join(p for p in rel.split("/") if p not in ("", ".", ".."))):
                enabled = enabled.difference(quiet)
        if not self.per_file_ignores:
            return enabled
        rel = _relative(path, self.root)
        ignored: List[str] = []
        for pattern, codes in self.per_file_ignores:
            if _glob_match(rel, pattern):
                ignored.extend(codes)
        if not ignored:
            return enabled
        return frozenset(c for c in enabled if not _matches(c, ignored))

    def default_form(self, code: str) -> bool:
        """Whether ``code`` runs in its default (narrowed) form: it is enabled by the
        default preset alone. A rule selected by code (``select``, ``extend-select``), or
        any rule under ``strict``/``learn``, reports its full breadth."""
        return (self.preset == "default" and self.select is None
                and not _matches(code, self.extend_select))

    def fix_allowed(self, code: str) -> bool:
        """Whether ``code``'s fix may be offered (``fixable``/``extend-fixable`` minus
        ``unfixable``): a team can keep a rule's findings but not its fix."""
        fixable = self.fixable is None or _matches(code, self.fixable) or _matches(code, self.extend_fixable)
        return fixable and not _matches(code, self.unfixable)

    def _selection_key(self) -> Tuple[Any, ...]:
        return (self.select, self.extend_select, self.ignore, self.extend_ignore, self.preset)

    # ------------------------------------------------------------------ files
    def excludes(self) -> Tuple[str, ...]:
        base = DEFAULT_EXCLUDES if self.exclude is None else self.exclude
        return tuple(base) + tuple(self.extend_exclude)

    def is_excluded(self, path: str) -> bool:
        rel = _relative(path, self.root)
        parts = rel.split("/")
        for pattern in self.excludes():
            if any(fnmatch.fnmatchcase(part, pattern) for part in parts):
                return True
            if _glob_match(rel, pattern):
                return True
        return False

    def is_excluded_entry(self, path: str) -> bool:
        """``is_excluded`` for an entry met while walking a directory whose ancestors
        were already checked: the entry's own name, and the path-shaped patterns."""
        names, paths = _exclude_matchers(self.excludes())
        if names is not None and names.match(os.path.basename(path)):
            return True
        if paths:
            rel = _relative(path, self.root)
            return any(_glob_match(rel, pattern) for pattern in paths)
        return False

    def cache_key(self) -> Tuple[Any, ...]:
        """What the findings of a file depend on besides its content."""
        return (
            tuple(sorted(self.enabled_codes())), self.per_file_ignores, self.blocking_calls,
            self.lock_name_pattern, self.max_file_size,
            self.fixable, self.extend_fixable, self.unfixable,
        )


_ENABLED_CACHE: Dict[Tuple[Any, ...], FrozenSet[str]] = {}
_EXCLUDE_CACHE: Dict[Tuple[str, ...], Tuple[Optional["re.Pattern[str]"], Tuple[str, ...]]] = {}


def _exclude_matchers(patterns: Tuple[str, ...]) -> Tuple[Optional["re.Pattern[str]"], Tuple[str, ...]]:
    """One compiled regex for the name patterns, and the patterns that name a path."""
    found = _EXCLUDE_CACHE.get(patterns)
    if found is None:
        names = [p for p in patterns if "/" not in p.replace(os.sep, "/").rstrip("/")]
        paths = tuple(p for p in patterns if p not in names)
        regex = re.compile("|".join(fnmatch.translate(p) for p in names)) if names else None
        found = _EXCLUDE_CACHE[patterns] = (regex, paths)
    return found


def _decide(code: str, base: FrozenSet[str], chosen: Sequence[str], ignored: Sequence[str]) -> bool:
    """Whether ``code`` is on: the longest (most specific) selector that matches it
    decides, as in flake8 and ruff (``--select CCY602 --ignore CCY6`` keeps CCY602);
    at equal length ``ignore`` wins; the preset counts as the least specific."""
    on = max((len(s) for s in chosen if code.startswith(s)), default=-1)
    off = max((len(s) for s in ignored if code.startswith(s)), default=-1)
    if on < 0 and off < 0:
        return code in base
    return on > off


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(code.startswith(s) for s in selectors)


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # different drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.replace(os.sep, "/").rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern + "/*"):
        return True
    if "/" not in pattern:
        return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)
    return False


# ---------------------------------------------------------------------- loading
# key in TOML -> (Settings field, parser)
def _str_list(key: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a list of strings")
    return tuple(value)


def _codes(key: str, value: Any) -> Tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in _str_list(key, value))
    for code in codes:
        if code == "ALL":
            continue
        if not any(c.startswith(code) for c in CODES) or not code.startswith("CCY"):
            raise ConfigError(
                f"unknown rule code '{code}' in '{key}'; valid codes are {', '.join(CODES)} "
                "(or a prefix such as CCY2)"
            )
    return tuple("CCY" if c == "ALL" else c for c in codes)


def _per_file_ignores(key: str, value: Any) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    if isinstance(value, str):  # flake8 style: "glob:CODE,CODE glob2:CODE"
        table: Dict[str, Any] = {}
        for chunk in re.split(r"\s+(?=[^\s:]+:)", value.strip()):
            if not chunk:
                continue
            if ":" not in chunk:
                raise ConfigError(f"'{key}' entry '{chunk}' must look like 'glob:CODE,CODE'")
            pattern, codes = chunk.split(":", 1)
            table[pattern.strip()] = codes
        value = table
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{key}' must be a table of glob = [codes]")
    return tuple((str(pattern), _codes(f"{key}.{pattern}", codes)) for pattern, codes in value.items())


def _choice(options: Sequence[str]):
    def parse(key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise ConfigError(f"'{key}' must be one of {', '.join(options)} (got {value!r})")
        return value
    return parse


def _output_format(key: str, value: Any) -> str:
    from .reporters import REPORTERS

    return _choice(sorted(REPORTERS))(key, value)


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"'{key}' must be a positive integer (got {value!r})")
    return value


def _positive_number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"'{key}' must be a positive number (got {value!r})")
    return float(value)


def _regex(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"'{key}' must be a string (a regular expression)")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"'{key}' is not a valid regular expression: {exc}") from None
    return value


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{key}' must be a non-empty string")
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false (got {value!r})")
    return value


def _qualified_names(key: str, value: Any) -> Tuple[str, ...]:
    names = _str_list(key, value)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(\.\*)?", name):
            raise ConfigError(
                f"'{key}' entry {name!r} must be a dotted name like 'pkg.func' or 'pkg.*'"
            )
    return names


KEYS = {
    "select": ("select", _codes),
    "extend-select": ("extend_select", _codes),
    "ignore": ("ignore", _codes),
    "extend-ignore": ("extend_ignore", _codes),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _str_list),
    "extend-exclude": ("extend_exclude", _str_list),
    "preset": ("preset", _choice(PRESETS)),
    "blocking-calls": ("blocking_calls", _qualified_names),
    "lock-name-pattern": ("lock_name_pattern", _regex),
    "output-format": ("output_format", _output_format),
    "cache-dir": ("cache_dir", _string),
    "max-file-size": ("max_file_size", _positive_int),
    "file-timeout": ("file_timeout", _positive_number),
    "baseline": ("baseline", _string),
    "async-backend": ("async_backend", _choice(ASYNC_BACKENDS)),
    "respect-gitignore": ("respect_gitignore", _boolean),
    "force-exclude": ("force_exclude", _boolean),
    "fixable": ("fixable", _codes),
    "extend-fixable": ("extend_fixable", _codes),
    "unfixable": ("unfixable", _codes),
    "python-path": ("python_path", _str_list),
}


def parse_table(table: Mapping[str, Any], source: str) -> Dict[str, Any]:
    """Validate a ``[tool.concurlint]`` table into Settings field values."""
    values: Dict[str, Any] = {}
    for key, value in table.items():
        spec = KEYS.get(key) or KEYS.get(key.replace("_", "-"))
        if spec is None:
            raise ConfigError(
                f"{source}: unknown key '{key}' in [tool.concurlint]; valid keys are "
                + ", ".join(KEYS)
            )
        field_name, parser = spec
        try:
            values[field_name] = parser(key, value)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return values


def load_toml(path: Path) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def table_of(data: Mapping[str, Any], explicit: bool) -> Optional[Mapping[str, Any]]:
    tool = data.get("tool")
    if isinstance(tool, Mapping) and "concurlint" in tool:
        table = tool["concurlint"]
        if not isinstance(table, Mapping):
            raise ConfigError("[tool.concurlint] must be a table")
        return table
    return data if explicit else None


# The files that hold settings, by priority within one directory (as ruff: the
# dedicated files first). pyproject.toml counts only with a [tool.concurlint] table.
CONFIG_NAMES = (".concurlint.toml", "concurlint.toml", "pyproject.toml")
_CLOSEST: Dict[str, Optional[str]] = {}
_RESOLVED: Dict[Tuple[Any, ...], "Settings"] = {}


def config_in(directory: str) -> Optional[str]:
    """The configuration file of ``directory`` itself, if it has one."""
    for name in CONFIG_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):  # False, not an error, in an unreadable directory
            if name != "pyproject.toml" or table_of(load_toml(Path(candidate)), explicit=False) is not None:
                return candidate
    return None


def closest_config(path: str) -> Optional[str]:
    """The closest configuration file in ``path``'s directory or above it (memoised)."""
    directory = os.path.abspath(path)
    if directory in _CLOSEST:  # asked often for the same file (every rule code check)
        return _CLOSEST[directory]
    walked: List[str] = []
    if not os.path.isdir(directory):
        walked.append(directory)
        directory = os.path.dirname(directory)
    found: Optional[str] = None
    while True:
        if directory in _CLOSEST:
            found = _CLOSEST[directory]
            break
        walked.append(directory)
        found = config_in(directory)
        if found is not None:
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for directory in walked:
        _CLOSEST[directory] = found
    return found


def find_config(starts: Sequence[str]) -> Optional[Path]:
    """The closest configuration file above the first start dir that has one."""
    for start in starts:
        found = closest_config(start)
        if found is not None:
            return Path(found)
    return None


def settings_for_path(path: str, config_file: Optional[str] = None, isolated: bool = False,
                      overrides: Optional[Mapping[str, Any]] = None) -> "Settings":
    """The settings that apply to one file (or directory) ``path``.

    The closest of ``.concurlint.toml``, ``concurlint.toml`` or a ``pyproject.toml``
    with a ``[tool.concurlint]`` table in the directory of ``path`` or above it;
    when there is none, the one above the working directory; else the defaults.
    ``config_file`` (``--config``) replaces the search and ``isolated`` skips it.
    ``overrides`` are command-line values in TOML spelling (``{"extend-select":
    ["CCY108"]}``), applied on top. ``Settings.sources`` says where each set key came
    from. Results are memoised (call ``clear_config_cache()`` when a configuration file
    may have changed); raises ``ConfigError`` on a bad file or value.
    """
    if config_file is not None or isolated:
        return load_settings(config_file=config_file, isolated=isolated, overrides=overrides)
    found = closest_config(path) or closest_config(os.getcwd())
    return _settings_from(found, _frozen_overrides(overrides), os.getcwd())


def clear_config_cache() -> None:
    """Forget the memoised config lookups (for long-lived callers whose files change)."""
    _CLOSEST.clear()
    _RESOLVED.clear()


def _settings_from(found: Optional[str], overrides: Tuple[Tuple[str, Any], ...], cwd: str) -> "Settings":
    key = (found, overrides, cwd)
    settings = _RESOLVED.get(key)
    if settings is None:
        settings = _RESOLVED[key] = load_settings(
            config_file=found, isolated=found is None, overrides=dict(overrides), hierarchical=True)
    return settings


def _frozen_overrides(overrides: Optional[Mapping[str, Any]]) -> Tuple[Tuple[str, Any], ...]:
    """The given command-line values, hashable (lists become tuples)."""
    return tuple((key, tuple(value) if isinstance(value, list) else value)
                 for key, value in (overrides or {}).items() if value is not None and value != ())


def load_settings(paths: Sequence[str] = (), config_file: Optional[str] = None,
                  isolated: bool = False, overrides: Optional[Mapping[str, Any]] = None,
                  search_from: Optional[Sequence[str]] = None,
                  hierarchical: Optional[bool] = None) -> Settings:
    """Settings from the config file (unless isolated) with ``overrides`` applied.

    ``overrides`` uses TOML key spelling (``extend-select``) and skips None values.
    Without ``config_file`` and ``isolated`` the result is hierarchical: see
    ``Settings.for_path``.
    """
    values: Dict[str, Any] = {}
    sources: Dict[str, str] = {}
    root = os.getcwd()
    found: Optional[Path] = None
    if hierarchical is None:
        hierarchical = config_file is None and not isolated
    if config_file is not None:
        found = Path(config_file)
        if not found.is_file():
            raise ConfigError(f"config file '{config_file}' does not exist")
    elif not isolated:
        starts = list(search_from) if search_from is not None else [os.getcwd(), *paths[:1]]
        found = find_config([s for s in starts if s and s != "-"])
    if found is not None:
        data = load_toml(found)
        # a dedicated file (or --config FILE) may hold the keys at its top level
        explicit = (config_file is not None and not hierarchical) or found.name != "pyproject.toml"
        table = table_of(data, explicit=explicit) or {}
        values.update(parse_table(table, str(found)))
        sources.update((key, str(found)) for key in table)
        root = str(found.resolve().parent)
    kept = _frozen_overrides(overrides)
    for key, value in kept:
        values.update(parse_table({key: value}, "command line"))
        sources[key] = "command line"
    valid = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in values.items() if k in valid})
    return replace(settings, root=root, config_file=str(found) if found else None,
                   hierarchical=hierarchical, overrides=kept,
                   sources=tuple(sorted(sources.items())))
