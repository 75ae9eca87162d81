"""The command's entry point, with a fast answer for a repeated ``concurlint check FILE...``.

A one-file run in a big tree (pre-commit, an editor's save hook) spends most of its
time starting up: click, the settings, the cache, the project index, the library
index. When nothing it depends on changed, its output is known in advance, so:

- a ``check`` of named files answered entirely by the result cache leaves a *replay
  record* in the cache directory (``v<schema>-<version>/replay/``, pruned like the
  entries; written by ``fastpath_record.py``): the command line, the working
  directory, the interpreter and its path, the environment variables and terminals
  the output depends on; the state of every file the output can depend on (by
  ``stat`` — size, mtime, ctime, inode, mode — the checked files, the configuration
  files that could apply, the ``__init__`` files that give the module name, the
  project modules the index read, the installed libraries' directories, the
  baseline, concurlint's own files and directories); and the bytes the run wrote to
  stdout and stderr, in order, with its exit code;
- the same command later reads that record (a couple of hundred ``stat`` calls, no
  import of click, libcst or the rest of concurlint) and, when every one of those
  still holds, writes the same bytes and exits with the same code (at once, without
  the interpreter's clean-up, when no exit handler or thread waits for it).

A changed file always gets a new ctime, the current time, which cannot be set back
(``utime`` sets the mtime, and the ctime to now). So an unchanged stamp proves
unchanged bytes when the stamp was older than the start of the recorded run by more
than the coarsest timestamp resolution (``RACY_NS``; git's rule for its index): a
later write could not have produced the same ctime. Where it was not that old, the
record says what else to compare: a checked file written just before the recorded
run is hashed; a directory above the files whose stamp is unchanged (and was old)
still lacks the configuration and ``__init__`` files it lacked (creating, removing
or renaming an entry changes a directory's mtime), otherwise each of those names is
looked up again. This takes the file system's clock for this machine's (a local disk;
a network file system whose server runs behind by more than ``RACY_NS`` would need the
hash that the record then skips).

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

Only ``os``, ``sys`` and ``marshal`` are imported before the decision (and
``_blake2``, hashlib's BLAKE2 without hashlib's OpenSSL start-up, for a file written
just before its record); the recording lives in ``fastpath_record.py`` so that this
module stays small to load. Known limit, shared with the result cache's stored
project index: a project module that did not exist when the index was built (an
import that found nothing) is not looked for again.
"""
import marshal
import os
import sys

from . import __version__

# The result cache's layout version (``cache.py`` takes it from here, so the replay
# records live and are pruned with the entries of the same cache).
# 3: a Text is stored untranslated (its English and its values).
CACHE_SCHEMA = 3
# Of a replay record. 2: probes grouped by directory, directory listings, hashes only
# of recently written files, pure-Python record names.
FORMAT = 2
# How much older than the recorded run a stamp must be to prove unchanged bytes: the
# coarsest file timestamps in use (FAT's two seconds) and the kernel's coarse clock.
RACY_NS = 3_000_000_000
_DEFAULT_CACHE_DIR = ".concurlint_cache"
# Where ``config.py`` looks for settings (a test keeps them equal); only used to guess
# the cache directory, which the record's probes then prove right or wrong.
_CONFIG_NAMES = (".concurlint.toml", "concurlint.toml", "pyproject.toml")
# Environment variables the output can depend on (language, colour, progress line,
# library search path, ``~`` in python-path, the interpreter's own settings).
_ENV_NAMES = ("LANG", "LANGUAGE", "NO_COLOR", "FORCE_COLOR", "CI", "VIRTUAL_ENV", "HOME", "TERM",
              "COLUMNS")
_ENV_PREFIXES = ("CONCURLINT_", "LC_", "PYTHON")
# A record's file name is its invocation modulo this prime (the largest below 2**128):
# a pure-Python digest, no hash module to load. Two invocations that share a name only
# replace each other's record: the record holds its invocation, compared in full.
_NAME_MODULUS = 2 ** 128 - 159


def main(prog_name: "str | None" = None) -> int:
    """``concurlint``: replay a recorded ``check`` when it provably holds, else run it."""
    argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        code = replay(argv, prog_name)
        if code is not None:
            _end_now(code)
            return code
        from .fastpath_record import recorded

        try:
            return recorded(argv, prog_name)
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
        path = record_path(argv, invocation)
        if path is None:
            return None
        with open(path, "rb") as handle:
            record = marshal.loads(handle.read())
        if not isinstance(record, dict) or record.get("format") != FORMAT \
                or record.get("invocation") != invocation or not _holds(record):
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


def _end_now(code: int) -> None:
    """End the process at once, without the interpreter's clean-up, when nothing needs
    it: the output is written and flushed, and no exit handler (coverage, a logging
    file, a sitecustomize's) or thread is there to run. That clean-up (the modules the
    launcher imported, ``re`` among them) costs more than the replay itself."""
    import atexit  # built in

    count = getattr(atexit, "_ncallbacks", None)
    if count is None or count() or sys.flags.inspect or "threading" in sys.modules:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # AttributeError: no stream (pythonw)
        return  # the interpreter's own clean-up reports it as it always does
    os._exit(code)


def _holds(record: dict) -> bool:
    """Whether every file the recorded output depends on is as it was."""
    join, exists = os.path.join, os.access
    for directory, entries in record["probes"]:
        prefix = join(directory, "")  # os.path.join per file costs as much as a stat here
        for name, kind, expected in entries:
            path = prefix + name
            if expected is None and kind == "s":
                if exists(path, os.F_OK):  # as stat() failing, without raising an exception
                    return False
            elif signature(kind, path) != expected:
                return False
    for directory, stamp, absent in record["listings"]:
        if stamp is None or signature("s", directory) != stamp:
            if any(exists(join(directory, name), os.F_OK) for name in absent):
                return False
    for checked, digest in record["hashes"]:
        if content_digest(checked) != digest:
            return False
    return True


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


def content_digest(path: str) -> str:
    try:
        from _blake2 import blake2b  # what hashlib wraps; importing hashlib costs more
    except ImportError:  # pragma: no cover - another Python implementation
        from hashlib import blake2b
    with open(path, "rb") as handle:
        return blake2b(handle.read(), digest_size=20).hexdigest()


def signature(kind: str, path: str) -> "tuple | None":
    """What tells a change of ``path``: a write changes its ctime, which cannot be set back."""
    try:
        info = os.lstat(path) if kind == "l" else os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_mode)


def record_path(argv: "list[str]", invocation: tuple) -> "str | None":
    directory = guess_cache_dir(argv)
    if directory is None:
        return None
    data = repr(invocation).encode("utf-8", "surrogateescape")
    name = format(int.from_bytes(data, "little") % _NAME_MODULUS, "032x")
    # one flat directory: the cache's pruning treats it as one more bucket of entries
    return os.path.join(directory, f"v{CACHE_SCHEMA}-{__version__}", "replay", name + ".bin")


def guess_cache_dir(argv: "list[str]") -> "str | None":
    """The cache directory the run would use, found without loading the settings:
    ``--cache-dir``, else ``cache-dir`` in the closest configuration file, relative to
    its directory (``--isolated``: the working directory). A wrong guess only means no
    record is found (the recorder writes none where it would not be found)."""
    options = command_options(argv)
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


def command_options(argv: "list[str]") -> "dict | None":
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


# ---------------------------------------------------------------------- noting a run
NOTE: "dict | None" = None


def note_check(paths: "list[str]", settings: object, options: dict, result: object) -> None:
    """Called by the ``check`` command after its run: what a replay record needs, kept
    only for runs whose output depends on nothing but what the record checks."""
    global NOTE
    unsafe = ("watch", "fix", "diff", "fix_only", "add_noqa", "write_baseline", "output_file", "diff_base",
              "shard", "verbose", "cache_stats", "no_cache", "show_files", "show_settings")
    if any(options.get(name) for name in unsafe) or "-" in paths or not all(os.path.isfile(p) for p in paths):
        return
    # Only a run answered by the cache: its output is what every later warm run prints (a
    # run that checked a file may also have printed what parsing printed: a Python warning).
    stats = getattr(result, "cache_stats", None)
    if stats is None or stats["hits"] != len(getattr(result, "files", ())) or getattr(result, "project", None) is None:
        return
    NOTE = {"paths": list(paths), "settings": settings, "options": options, "result": result}
