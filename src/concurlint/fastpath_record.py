"""Writing the replay records that ``fastpath.py`` replays (see there for what a record
holds and why each part is sound). Imported only when a ``check`` is not replayed."""
from __future__ import annotations

import io
import marshal
import os
import sys
import time

from . import __version__, fastpath
from .fastpath import CACHE_SCHEMA, FORMAT, RACY_NS, command_options, content_digest, signature


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


def recorded(argv: "list[str]", prog_name: "str | None") -> int:
    """Run ``check`` normally, keeping a copy of its output; leave a replay record when
    the run allows one (``fastpath.note_check``) and nothing it read changed meanwhile."""
    from .cli import main as cli_main

    options = command_options(argv)
    if options is None or not options["paths"] or any(os.path.isdir(p) for p in options["paths"]):
        return cli_main(prog_name=prog_name)  # never recorded (see note_check): no copy of the output
    fastpath.NOTE = None
    invocation = fastpath._invocation(argv, prog_name)  # before the run: the run may not change it
    before = _Before(argv)
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
    note, fastpath.NOTE = fastpath.NOTE, None
    if note is not None and code in (0, 1) and not any(s in saved for s in replaced):
        try:
            _write_record(argv, invocation, before, note, chunks, code)
        except Exception:  # noqa: BLE001 - a record is an optimisation: never fail the run for it
            pass
    if isinstance(code, int):
        return code
    raise SystemExit(code)


class _Before:
    """What is taken before the run, from the command line alone: the stamps of each
    argument that exists (as given and resolved), of the configuration and
    ``__init__`` files that exist in the directories from the working directory and
    from each argument up to the root (and which names those directories lack, with
    the directories' own stamps), of concurlint's own files and directories; and the
    bytes of the named files."""

    def __init__(self, argv: "list[str]"):
        # the time first, then the stamps: a later write gets a ctime after this moment
        self.started = time.time_ns()
        self.probes: dict = {}
        self.listed: dict = {}  # directory above the files -> (its stamp, the names it lacks)
        self.digests: dict = {}
        names = _config_names()
        starts = [os.getcwd()]
        for item in argv[1:]:
            if item.startswith("-") or not os.path.exists(item):
                continue
            for kind in ("l", "s"):
                self.probes[(kind, os.path.abspath(item))] = signature(kind, item)
            if os.path.isfile(item):
                self.digests[os.path.abspath(item)] = content_digest(item)
            for where in (os.path.abspath(item), os.path.realpath(item)):
                starts.append(where if os.path.isdir(where) else os.path.dirname(where))
        for start in starts:
            directory = start
            while directory not in self.listed:
                stamp = signature("s", directory)  # before its entries: a later one changes it
                absent = []
                for name in names:
                    path = os.path.join(directory, name)
                    found = signature("s", path)
                    if found is None:
                        absent.append(name)
                    else:
                        self.probes[("s", path)] = found
                self.listed[directory] = (stamp, tuple(absent))
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
        package = os.path.dirname(os.path.abspath(__file__))
        # and a translator's own catalogs (languages.LOCALE_DIR_VARIABLE, not imported: start-up)
        for top in filter(None, (package, os.environ.get("CONCURLINT_LOCALE_DIR"))):
            for directory, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                # the directory too: a module added to it can be found (precheck lists apis/)
                for path in (directory, *(os.path.join(directory, name) for name in filenames)):
                    self.probes[("s", path)] = signature("s", path)

    def unchanged(self) -> bool:
        """Whether everything taken before still holds (a directory above the files may
        have changed: see ``listings``)."""
        return all(signature(*key) == stamp for key, stamp in self.probes.items()) \
            and all(signature("s", os.path.join(directory, name)) is None
                    for directory, (_stamp, absent) in self.listed.items() for name in absent) \
            and all(content_digest(path) == digest for path, digest in self.digests.items())

    def listings(self) -> list:
        """(directory, stamp, names it lacks) for the replay: the stamp only where it
        proves the names still lacking (old, and unchanged since), else None."""
        return [(directory, stamp if self.old(stamp) and signature("s", directory) == stamp else None, absent)
                for directory, (stamp, absent) in self.listed.items() if absent]

    def old(self, stamp: "tuple | None") -> bool:
        """Whether a stamp proves unchanged bytes later: taken before the run, and older
        than its start by more than the timestamps' resolution (``fastpath.RACY_NS``)."""
        return stamp is not None and max(stamp[1], stamp[2]) < self.started - RACY_NS


def _config_names() -> "tuple[str, ...]":
    from .config import CONFIG_NAMES

    # every directory may also hold __init__ files: they decide the module name
    return tuple(CONFIG_NAMES) + ("__init__.py", "__init__.pyi")


def _write_record(argv: "list[str]", invocation: tuple, before: _Before, note: dict, chunks: list,
                  code: int) -> None:
    from .cache import default_directory
    from .fileio import atomic_write

    settings, result = note["settings"], note["result"]
    directory = default_directory(settings)
    if os.path.abspath(directory) != os.path.abspath(fastpath.guess_cache_dir(argv) or ""):
        return  # a replay would not look there
    if any(b"\r" in data for _fd, data in chunks):
        return  # a progress line was drawn: a quick replay would not draw it
    probes = dict(before.probes)
    hashes = []
    for path in result.files:
        absolute = os.path.abspath(path)
        stamp = before.probes.get(("s", absolute))
        if stamp is None or absolute not in before.digests:
            return  # not named on the command line: which content the output describes is unknown
        if not before.old(stamp):  # written just before the run: its ctime proves nothing yet
            hashes.append((path, before.digests[absolute]))
    project = result.project
    for path, (mtime_ns, size) in project.followed.items():
        stamp = signature("s", path)
        if stamp is None or (stamp[1], stamp[0]) != (mtime_ns, size):
            return  # changed since the index read it
        probes[("s", path)] = stamp
    for path in _library_paths(settings, project):
        probes[("s", path)] = signature("s", path)
    baseline = note["options"].get("baseline_file") or (
        os.path.join(settings.root, settings.baseline) if settings.baseline else None)
    if baseline:
        probes[("s", os.path.abspath(baseline))] = signature("s", baseline)
    if not before.unchanged():  # nothing named on the command line changed during the run
        return
    grouped: dict = {}
    for (kind, path), stamp in probes.items():
        parent, name = os.path.split(path)
        grouped.setdefault(parent, []).append((name, kind, stamp))
    record = {"format": FORMAT, "invocation": invocation, "exit": code, "output": chunks,
              "probes": [(parent, tuple(entries)) for parent, entries in grouped.items()],
              "listings": before.listings(), "hashes": hashes}
    target = fastpath.record_path(argv, invocation)
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
