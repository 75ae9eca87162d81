"""The command's entry point, with a fast answer for a repeated ``concurlint check FILE...``.

A one-file run in a big tree (pre-commit, an editor's save hook) spends most of its
time starting up: click, the settings, the cache, the project index, the library
index. When nothing it depends on changed, its output is known in advance, so:

- a ``check`` of named files answered entirely by the result cache leaves a *replay
  record* in the cache directory (``v<schema>-<version>/replay/``, pruned like the
  entries): the command line, the working directory, the interpreter and its path,
  the environment variables and terminals the output depends on; the state of every
  file the output can depend on (the checked files by a hash of their bytes; by
  ``stat`` — size, mtime, ctime, inode, mode — the configuration files that could
  apply, the ``__init__`` files that give the module name, the project modules the
  index read, the installed libraries' directories, the baseline, concurlint's own
  files); and the bytes the run wrote to stdout and stderr, in order, with its exit
  code;
- the same command later reads that record (a few hundred ``stat`` calls and one hash
  per checked file, no import of click, libcst or the rest of concurlint) and, when
  every one of those still holds, writes the same bytes and exits with the same code.

Anything it cannot prove unchanged falls back to the normal path, which behaves
exactly as without this module: another command line, directory or relevant
variable, a changed probe, a missing or unreadable record. Runs whose output depends
on more than the above are never recorded: standard input, directories (new files
may appear), ``--fix``/``--diff``/``--add-noqa``/``--watch``, ``--output-file``,
``--write-baseline``, ``--diff-base``, ``--shard``, ``--verbose`` (it prints the time
taken), ``--cache-stats`` (its counts differ on a replay), ``--no-cache``, exit codes
other than 0 and 1, a progress line on the output, and a run that checked a file
(parsing may print a Python warning that a warm run does not print). The files named
on the command line are compared at the start and the end of the recorded run: one
that changed meanwhile leaves no record.

Only ``os``, ``sys``, ``marshal`` and ``_blake2`` (hashlib's BLAKE2, without hashlib's
OpenSSL start-up) are imported before the decision; the record is ``marshal`` data
written by this module (the result cache already holds pickles). Known limit, shared
with the result cache's stored project index: a project module that did not exist
when the index was built (an import that found nothing) is not looked for again.
"""
from __future__ import annotations

import marshal
import os
import sys

from . import __version__

# The result cache's layout version (``cache.py`` takes it from here, so the replay
# records live and are pruned with the entries of the same cache).
# 3: a Text is stored untranslated (its English and its values).
CACHE_SCHEMA = 3
_FORMAT = 1  # of a replay record
_DEFAULT_CACHE_DIR = ".concurlint_cache"
# Where ``config.py`` looks for settings (a test keeps them equal); only used to guess
# the cache directory, which the record's probes then prove right or wrong.
_CONFIG_NAMES = (".concurlint.toml", "concurlint.toml", "pyproject.toml")
# Environment variables the output can depend on (language, colour, progress line,
# library search path, ``~`` in python-path, the interpreter's own settings).
_ENV_NAMES = ("LANG", "LANGUAGE", "NO_COLOR", "FORCE_COLOR", "CI", "VIRTUAL_ENV", "HOME", "TERM",
              "COLUMNS")
_ENV_PREFIXES = ("CONCURLINT_", "LC_", "PYTHON")


def main(prog_name: "str | None" = None) -> int:
    """``concurlint``: replay a recorded ``check`` when it provably holds, else run it."""
    argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        code = replay(argv, prog_name)
        if code is not None:
            return code
        try:
            return _recorded(argv, prog_name)
        finally:
            # The process ends here: the objects left are never scanned for cycles again,
            # so the interpreter's last collection at exit does not walk a checked file's
            # tree and analysis (~0.04 s of a one-file run; the system reclaims the memory).
            import gc

            gc.freeze()
    from .cli import main as cli_main

    return cli_main(prog_name=prog_name)


# ---------------------------------------------------------------------- replaying
def replay(argv: "list[str]", prog_name: "str | None" = None) -> "int | None":
    """Write a recorded run's output and return its exit code; None when there is no
    record for this exact invocation or anything it depends on changed."""
    try:
        invocation = _invocation(argv, prog_name)
        path = _record_path(argv, invocation)
        if path is None:
            return None
        with open(path, "rb") as handle:
            record = marshal.loads(handle.read())
        if not isinstance(record, dict) or record.get("format") != _FORMAT \
                or record.get("invocation") != invocation:
            return None
        for kind, probe, expected in record["probes"]:
            if _signature(kind, probe) != expected:
                return None
        for checked, digest in record["hashes"]:
            if _content_digest(checked) != digest:
                return None
        output, code = record["output"], record["exit"]
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None  # no record, or one this version cannot read: the normal path
    streams = {1: sys.stdout, 2: sys.stderr}
    try:
        for fd, data in output:
            stream = streams[fd]
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
    except BrokenPipeError:  # the reader went away (`| head`): as quiet as the normal path
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


def _invocation(argv: "list[str]", prog_name: "str | None") -> tuple:
    """Everything outside the files that the output of a run depends on."""
    environment = tuple(sorted((name, value) for name, value in os.environ.items()
                               if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)))
    streams = tuple((_isatty(s), getattr(s, "encoding", None), getattr(s, "errors", None))
                    for s in (sys.stdout, sys.stderr))
    return (__version__, tuple(argv), prog_name, os.path.basename(sys.argv[0]), os.getcwd(), environment,
            streams, sys.version, sys.executable, tuple(sys.path), tuple(sys.flags))


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _digest(data: bytes) -> str:
    try:
        from _blake2 import blake2b  # what hashlib wraps; importing hashlib costs more
    except ImportError:  # pragma: no cover - another Python implementation
        from hashlib import blake2b
    return blake2b(data, digest_size=20).hexdigest()


def _content_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return _digest(handle.read())


def _signature(kind: str, path: str) -> "tuple | None":
    """What tells a change of ``path``: a write changes its ctime, which cannot be set back."""
    try:
        info = os.lstat(path) if kind == "l" else os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_mode)


def _record_path(argv: "list[str]", invocation: tuple) -> "str | None":
    directory = guess_cache_dir(argv)
    if directory is None:
        return None
    name = _digest(repr(invocation).encode("utf-8", "surrogateescape"))
    # one flat directory: the cache's pruning treats it as one more bucket of entries
    return os.path.join(directory, f"v{CACHE_SCHEMA}-{__version__}", "replay", name + ".bin")


def guess_cache_dir(argv: "list[str]") -> "str | None":
    """The cache directory the run would use, found without loading the settings:
    ``--cache-dir``, else ``cache-dir`` in the closest configuration file, relative to
    its directory (``--isolated``: the working directory). A wrong guess only means no
    record is found (the recorder writes none where it would not be found)."""
    options = _options(argv)
    if options is None:
        return None
    cwd = os.getcwd()
    config = None
    if "--isolated" in options:
        root = cwd
    elif "--config" in options:
        config = options["--config"]
        root = os.path.dirname(os.path.realpath(config))
    else:
        config = _closest_config([cwd, *options["paths"][:1]])
        root = os.path.dirname(os.path.realpath(config)) if config else cwd
    cache_dir = options.get("--cache-dir") or (_configured_cache_dir(config) if config else None)
    return os.path.join(root, cache_dir or _DEFAULT_CACHE_DIR)


def _options(argv: "list[str]") -> "dict | None":
    """The few options ``guess_cache_dir`` needs, and the paths (None on '-' or '--')."""
    found: dict = {"paths": []}
    items = iter(argv[1:])
    for item in items:
        if item in ("--config", "--cache-dir"):
            found[item] = next(items, "")
        elif item.startswith(("--config=", "--cache-dir=")):
            name, _, value = item.partition("=")
            found[name] = value
        elif item in ("--isolated", "-", "--"):
            found[item] = True
        elif not item.startswith("-"):
            found["paths"].append(item)  # or an option's value: only the first path is used
    return None if "-" in found or "--" in found else found


def _closest_config(starts: "list[str]") -> "str | None":
    for start in starts:
        directory = os.path.abspath(start)
        if not os.path.isdir(directory):
            directory = os.path.dirname(directory)
        while True:
            for name in _CONFIG_NAMES:
                candidate = os.path.join(directory, name)
                if os.path.isfile(candidate) and (name != "pyproject.toml" or _mentions_table(candidate)):
                    return candidate
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return None


def _mentions_table(pyproject: str) -> bool:
    try:
        with open(pyproject, "rb") as handle:
            return b"tool.concurlint" in handle.read()
    except OSError:
        return False


def _configured_cache_dir(config: str) -> "str | None":
    """``cache-dir = "..."`` as written in the file (a guess, see ``guess_cache_dir``)."""
    try:
        with open(config, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        if equals and key.strip() in ("cache-dir", "cache_dir"):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                return value[1:-1]
    return None


# ---------------------------------------------------------------------- recording
_NOTE: "dict | None" = None


def note_check(paths: "list[str]", settings: object, options: dict, result: object) -> None:
    """Called by the ``check`` command after its run: what a replay record needs, kept
    only for runs whose output depends on nothing but what the record checks."""
    global _NOTE
    unsafe = ("watch", "fix", "diff", "fix_only", "add_noqa", "write_baseline", "output_file", "diff_base",
              "shard", "verbose", "cache_stats", "no_cache", "show_files", "show_settings")
    if any(options.get(name) for name in unsafe) or "-" in paths or not all(os.path.isfile(p) for p in paths):
        return
    # Only a run answered by the cache: its output is what every later warm run prints (a
    # run that checked a file may also have printed what parsing printed: a Python warning).
    stats = getattr(result, "cache_stats", None)
    if stats is None or stats["hits"] != len(getattr(result, "files", ())) or getattr(result, "project", None) is None:
        return
    _NOTE = {"paths": list(paths), "settings": settings, "options": options, "result": result}


class _Tee:
    """A binary stream that writes through to ``target`` and remembers what it wrote."""

    def __init__(self, target: object, fd: int, chunks: list):
        self.target = target
        self.fd = fd
        self.chunks = chunks

    def write(self, data: bytes) -> int:
        written = self.target.write(data)  # type: ignore[attr-defined]
        self.chunks.append((self.fd, bytes(data)))
        return len(data) if written is None else written

    def __getattr__(self, name: str) -> object:  # isatty, fileno, flush...: the real stream's
        return getattr(self.target, name)


def _recorded(argv: "list[str]", prog_name: "str | None") -> int:
    """Run ``check`` normally, keeping a copy of its output; leave a replay record when
    the run allows one (``note_check``) and nothing it read changed meanwhile."""
    import io

    from .cli import main as cli_main

    options = _options(argv)
    if options is None or not options["paths"] or any(os.path.isdir(p) for p in options["paths"]):
        return cli_main(prog_name=prog_name)  # never recorded (see note_check): no copy of the output
    global _NOTE
    _NOTE = None
    invocation = _invocation(argv, prog_name)  # before the run: the run may not change it
    before = _static_probes(argv)
    chunks: list = []
    saved = sys.stdout, sys.stderr
    replaced = []
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            replaced.append(stream)
            continue
        replaced.append(io.TextIOWrapper(
            _Tee(buffer, fd, chunks), encoding=stream.encoding, errors=stream.errors,  # type: ignore[arg-type]
            line_buffering=stream.line_buffering, write_through=True))
    sys.stdout, sys.stderr = replaced
    code: object = 0
    try:
        cli_main(prog_name=prog_name)
    except SystemExit as stop:
        code = stop.code
    finally:
        for stream in replaced:
            try:
                stream.flush()
                if stream not in saved:
                    stream.detach()  # its buffer is the real stream's: never closed with the wrapper
            except (OSError, ValueError):
                pass
        sys.stdout, sys.stderr = saved
    if code is None:
        code = 0
    note, _NOTE = _NOTE, None
    if note is not None and code in (0, 1) and not any(s in saved for s in replaced):
        try:
            _write_record(argv, invocation, before, note, chunks, code)
        except Exception:  # noqa: BLE001 - a record is an optimisation: never fail the run for it
            pass
    if isinstance(code, int):
        return code
    raise SystemExit(code)


def _static_probes(argv: "list[str]") -> "dict":
    """Probes taken before the run, of what can be named from the command line alone:
    each argument that exists (as given and resolved), the configuration files that
    could apply to it and to the working directory, the ``__init__`` files above it,
    concurlint's own files."""
    names = _config_names()
    probes: dict = {}
    starts = [os.getcwd()]
    for item in argv[1:]:
        if item.startswith("-") or not os.path.exists(item):
            continue
        probes[("l", os.path.abspath(item))] = None
        probes[("s", os.path.abspath(item))] = None
        for where in (os.path.abspath(item), os.path.realpath(item)):
            starts.append(where if os.path.isdir(where) else os.path.dirname(where))
    for start in starts:
        directory = start
        while True:
            parent = os.path.dirname(directory)
            for name in names:
                probes[("s", os.path.join(directory, name))] = None
            if parent == directory:
                break
            directory = parent
    package = os.path.dirname(os.path.abspath(__file__))
    # and a translator's own catalogs (languages.LOCALE_DIR_VARIABLE, not imported: start-up)
    for top in filter(None, (package, os.environ.get("CONCURLINT_LOCALE_DIR"))):
        for directory, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                probes[("s", os.path.join(directory, name))] = None
    for key in probes:
        probes[key] = _signature(*key)
    return probes


def _config_names() -> "tuple[str, ...]":
    from .config import CONFIG_NAMES

    # every directory may also hold __init__ files: they decide the module name
    return tuple(CONFIG_NAMES) + ("__init__.py", "__init__.pyi")


def _write_record(argv: "list[str]", invocation: tuple, before: dict, note: dict, chunks: list,
                  code: int) -> None:
    from .cache import default_directory
    from .fileio import atomic_write

    settings, result = note["settings"], note["result"]
    directory = default_directory(settings)
    if os.path.abspath(directory) != os.path.abspath(guess_cache_dir(argv) or ""):
        return  # a replay would not look there
    if any(b"\r" in data for _fd, data in chunks):
        return  # a progress line was drawn: a quick replay would not draw it
    probes = dict(before)
    hashes = []
    for path in result.files:
        stamp = before.get(("s", os.path.abspath(path)))
        if stamp is None or _signature("s", path) != stamp:
            return  # changed while it was checked: which content the output describes is unknown
        hashes.append((path, _content_digest(path)))
    project = result.project
    for path, (mtime_ns, size) in project.followed.items():
        stamp = _signature("s", path)
        if stamp is None or (stamp[1], stamp[0]) != (mtime_ns, size):
            return  # changed since the index read it
        probes[("s", path)] = stamp
    for path in _library_paths(settings, project):
        probes[("s", path)] = _signature("s", path)
    baseline = note["options"].get("baseline_file") or (
        os.path.join(settings.root, settings.baseline) if settings.baseline else None)
    if baseline:
        probes[("s", os.path.abspath(baseline))] = _signature("s", baseline)
    for key, stamp in before.items():  # nothing named on the command line changed during the run
        if _signature(*key) != stamp:
            return
    record = {"format": _FORMAT, "invocation": invocation, "exit": code, "output": chunks,
              "probes": [(kind, path, stamp) for (kind, path), stamp in probes.items()],
              "hashes": hashes}
    target = _record_path(argv, invocation)
    if target is None or not os.path.isdir(os.path.join(directory, f"v{CACHE_SCHEMA}-{__version__}")):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    atomic_write(target, marshal.dumps(record), mode=0o600, durable=False)


def _library_paths(settings: object, project: object) -> "list[str]":
    """What the installed libraries' part of the cache key reads: the search path's
    directories (their listings) and each imported top-level package's entry files;
    and the directories of the packages concurlint runs on (an upgrade of libcst)."""
    from .semantics.library import search_path

    paths = list(search_path(settings.python_path, settings.root))  # type: ignore[attr-defined]
    library = project.library  # type: ignore[attr-defined]
    for roots, _key in (library.tops.values() if library is not None else ()):
        for root in roots:
            paths.extend((root, os.path.join(root, "__init__.pyi"), os.path.join(root, "__init__.py")))
    for name in ("libcst", "click"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            paths.append(os.path.dirname(os.path.dirname(os.path.abspath(module.__file__))))
    return paths
