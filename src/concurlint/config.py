"""Settings: ``[tool.concurlint]`` in pyproject.toml, overridden by the command line.

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
)


class ConfigError(Exception):
    """A bad setting: the message is shown as is, and the exit code is 2."""


@dataclass(frozen=True)
class Settings:
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
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
    # where the checked code's libraries are installed (site-packages or a virtualenv)
    python_path: Tuple[str, ...] = ()
    # where the config was found (per-file-ignores and excludes are relative to it)
    root: str = field(default_factory=os.getcwd)
    config_file: Optional[str] = None

    # ------------------------------------------------------------------ rules
    def enabled_codes(self) -> FrozenSet[str]:
        cached = _ENABLED_CACHE.get(self._selection_key())
        if cached is not None:
            return cached
        if self.select is not None:
            enabled = {c for c in CODES if _matches(c, self.select)}
        elif self.preset == "default":
            enabled = set(default_codes())
        else:
            enabled = set(CODES)
        enabled |= {c for c in CODES if _matches(c, self.extend_select)}
        enabled -= {c for c in CODES if _matches(c, self.ignore)}
        result = frozenset(enabled)
        _ENABLED_CACHE[self._selection_key()] = result
        return result

    def codes_for(self, path: str) -> FrozenSet[str]:
        """Enabled codes for one file, after ``per-file-ignores`` (and, in the default
        preset, without the rules whose default form skips test code)."""
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

    def _selection_key(self) -> Tuple[Any, ...]:
        return (self.select, self.extend_select, self.ignore, self.preset)

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


def find_config(starts: Sequence[str]) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.concurlint] table above the start dirs."""
    seen = set()
    for start in starts:
        directory = Path(start).resolve()
        if not directory.is_dir():
            directory = directory.parent
        for candidate_dir in [directory, *directory.parents]:
            if candidate_dir in seen:
                break
            seen.add(candidate_dir)
            candidate = candidate_dir / "pyproject.toml"
            if candidate.is_file():
                try:
                    data = load_toml(candidate)
                except ConfigError:
                    raise
                if table_of(data, explicit=False) is not None:
                    return candidate
    return None


def load_settings(paths: Sequence[str] = (), config_file: Optional[str] = None,
                  isolated: bool = False, overrides: Optional[Mapping[str, Any]] = None,
                  search_from: Optional[Sequence[str]] = None) -> Settings:
    """Settings from the config file (unless isolated) with ``overrides`` applied.

    ``overrides`` uses TOML key spelling (``extend-select``) and skips None values.
    """
    values: Dict[str, Any] = {}
    root = os.getcwd()
    found: Optional[Path] = None
    if config_file is not None:
        found = Path(config_file)
        if not found.is_file():
            raise ConfigError(f"config file '{config_file}' does not exist")
    elif not isolated:
        starts = list(search_from) if search_from is not None else [os.getcwd(), *paths[:1]]
        found = find_config([s for s in starts if s and s != "-"])
    if found is not None:
        data = load_toml(found)
        table = table_of(data, explicit=config_file is not None) or {}
        values.update(parse_table(table, str(found)))
        root = str(found.resolve().parent)
    for key, value in (overrides or {}).items():
        if value is None or value == ():
            continue
        values.update(parse_table({key: value}, "command line"))
    valid = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in values.items() if k in valid})
    return replace(settings, root=root, config_file=str(found) if found else None)
