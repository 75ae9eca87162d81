"""Running a check over many files: discovery, the project index, then each file.

``run(paths, settings)`` checks the files in this process, one after the other
(the library default). ``run(..., jobs=N)`` checks them in ``N`` supervised
worker processes (the CLI default is one per core; ``--jobs 1`` is one worker):

- the parent reads each file, hashes it and looks it up in the result cache
  (``cache.py``); only misses are sent to a worker;
- a file larger than ``max-file-size`` is reported as CCY004 without being read;
- a worker gets one file at a time with a deadline of ``file-timeout``; past
  it, the worker is killed and replaced, the file reported as CCY004 and the
  run goes on (libcst's native parser cannot be interrupted inside a process,
  which is why even one job runs in a child process);
- a worker that dies (killed, out of memory, crashed) is replaced and its file
  reported (CCY004 when it was killed, CCY003 when it crashed);
- a worker whose memory grew past ``workers.RECYCLE_RSS`` after a big file retires and
  is replaced, so a worker's memory never depends on the number of files;
- results are stored by file position, so the output is the same whatever the
  number of jobs and the order in which workers finish.

Every path (in-process or not) applies the same pre-check (``precheck.py``):
a file that mentions nothing any rule looks at gets only a syntax check.

The worker processes and their supervisor are in ``workers.py``, the stop signals
in ``interrupt.py``, and the one-file bounded child (flake8, the editor) in
``bounded.py``.
"""
from __future__ import annotations

import gc
import hashlib
import itertools
import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

from .config import Settings
from .discovery import discover
from .cache import Cache
from .findings import FileResult, Finding, Text, tool_finding, unreadable_result
from .precheck import Screen, syntax_ok
from .semantics.project import ProjectIndex, RecordingIndex, ScanFacts, answers_hold, package_probe
from .source import SourceError, decode_source


@dataclass
class RunResult:
    files: List[str] = field(default_factory=list)
    results: List[FileResult] = field(default_factory=list)
    # with the result cache: files answered from it ("hits"), checked ("misses"), and
    # checked because project facts they used changed ("stale", part of the misses)
    cache_stats: Optional[Dict[str, int]] = None
    project: Optional[ProjectIndex] = None  # the index the run used (fastpath.py records what it read)

    @property
    def findings(self) -> List[Finding]:
        return sorted((f for r in self.results for f in r.findings), key=Finding.sort_key)

    @property
    def tracebacks(self) -> List[str]:
        return [t for r in self.results for t in r.tracebacks]


def build_project_index(files: Sequence[str], settings: Optional[Settings] = None) -> ProjectIndex:
    """The cross-module index of coroutine functions, built once per run (cheap scan).

    A one-file run reads only that file's project imports (its own definitions are
    answered by its scopes), exactly as the flake8 plugin does with ``for_file``.
    With ``settings``, the facts of the libraries the files import come along.
    """
    index = ProjectIndex.from_files(files, self_served=len(files) == 1)
    if settings is not None:
        index.use_library(settings.python_path, settings.root)
    return index


Progress = Callable[[int, int], None]  # (files done, files total)

_SKIP_HINT = Text(
    "raise '{option}' in [tool.concurlint] or pass --{option} to analyse it")


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run(paths: Sequence[str], settings: Settings, project: Optional[ProjectIndex] = None,
        progress: Optional[Progress] = None, jobs: Optional[int] = None,
        cache: Union[None, bool, Cache] = None, precheck: bool = True) -> RunResult:
    """Check ``paths``.

    ``jobs``: None checks in this process; a number checks in that many supervised
    worker processes. ``cache``: None/False for none, True for the default cache
    directory (next to the config), or a ``Cache``. ``precheck``: skip the parse
    of files that mention nothing the rules look at (same findings, faster).
    """
    files = discover(paths, settings)
    store = _open_cache(cache, settings)
    if project is None:
        project = _project_index(files, store)
    if project.library is None:
        project.use_library(settings.python_path, settings.root, store.directory if store is not None else None)
    screen = Screen(project) if precheck else None
    if jobs is None and store is None:
        results = []
        for done, path in enumerate(files, start=1):
            results.append(check_file(path, settings, project, screen))
            if progress is not None:
                progress(done, len(files))
        return RunResult(files, results)
    runner = _Run(files, settings, project, screen, store, progress)
    try:
        runner.execute(jobs)
    finally:
        if store is not None:
            try:
                store.prune()
            except OSError:  # pragma: no cover - pruning is best effort
                pass
    stats = None if store is None else {"hits": store.hits, "misses": store.misses, "stale": store.stale}
    return RunResult(files, runner.results, stats, project)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- one file
def _engine() -> Any:
    """The engine (and libcst), loaded only when some file must really be checked:
    a run answered entirely from the cache never pays for importing them."""
    from . import engine

    return engine


def check_file(path: str, settings: Settings, project: Optional[ProjectIndex] = None,
               screen: Optional[Screen] = None, data: Optional[bytes] = None,
               depends: Optional[Dict[str, Any]] = None) -> FileResult:
    """``check_path`` with the size limit and the pre-check (never raises).

    ``depends``: a dict that receives what the result used of the project index (the
    pre-check's view of it when that decided, the index's answers), for the cache."""
    settings = settings.for_path(path)
    if data is None:
        skipped = _too_big(path, settings)
        if skipped is not None:
            return skipped
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return _engine().check_path(path, settings, project)  # reports CCY002 with its reason
    try:
        source = decode_source(data, path)
    except SourceError as exc:
        return unreadable_result(path, exc, "CCY002" in settings.codes_for(path))
    if screen is not None:
        codes = settings.codes_for(path)
        reason = screen.reason(source.text, codes)
        if depends is not None and reason != "words":  # the decision depends on the index
            depends.update(screen=screen.pairs_digest, skipped=not reason)
        if not reason:
            if "CCY001" not in codes or syntax_ok(source.text, path):
                return FileResult(path, source=source)
    if depends is not None and project is not None:
        project = RecordingIndex(project)  # type: ignore[assignment]
        depends["uses"] = project.uses  # type: ignore[attr-defined] # filled by the check
    return _engine().check_source(source, settings, project)


def _too_big(path: str, settings: Settings) -> Optional[FileResult]:
    settings = settings.for_path(path)
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    if size <= settings.max_file_size:
        return None
    return _size_skipped(path, size, settings, FileResult(path))


def _size_skipped(path: str, size: int, settings: Settings, result: FileResult) -> FileResult:
    """``result`` with CCY004 for a file over ``max-file-size`` (not read or parsed)."""
    if "CCY004" in settings.codes_for(path):
        hint = _SKIP_HINT.format(option="max-file-size")
        result.findings.append(tool_finding(path, "CCY004", Text(
            "file skipped: it is {size}, larger than max-file-size ({limit}); {hint}").format(
                size=_size(size), limit=_size(settings.max_file_size), hint=hint)))
    return result


def _size(size: int) -> Text:
    if size >= 1024 * 1024:
        return Text("{amount} MB ({count} bytes)").format(amount=f"{size / (1024 * 1024):.1f}", count=size)
    if size >= 1024:
        return Text("{amount} kB ({count} bytes)").format(amount=f"{size / 1024:.1f}", count=size)
    return Text("{count} bytes").format(count=size)


def _timeout_result(path: str, settings: Settings) -> FileResult:
    settings = settings.for_path(path)
    result = FileResult(path)
    if "CCY004" in settings.codes_for(path):
        hint = _SKIP_HINT.format(option="file-timeout")
        limit = f"{settings.file_timeout:g} s"
        result.findings.append(tool_finding(path, "CCY004", Text(
            "file skipped: analysing it took longer than file-timeout ({limit}), so it was "
            "stopped; {hint}").format(
                limit=limit,
                hint=hint)))
    return result


def _died_result(path: str, settings: Settings, exitcode: Optional[int]) -> FileResult:
    result = FileResult(path)
    codes = settings.codes_for(path)
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    if exitcode == -getattr(signal, "SIGKILL", 9):
        if "CCY004" in codes:
            result.findings.append(tool_finding(path, "CCY004", Text(
                "file skipped: the worker process analysing it was killed ({how}), "
                "most likely because it ran out of memory; check it alone or split it").format(
                    how=how)))
    elif "CCY003" in codes:

        result.findings.append(tool_finding(path, "CCY003", Text(
            "internal error: the worker process analysing this file crashed ({how}); "
            "please report a bug to the concurlint developers with this file").format(how=how)))
    return result


# ---------------------------------------------------------------------- index
def _project_index(files: Sequence[str], store: Optional[Cache]) -> ProjectIndex:
    """``build_project_index`` for ``files``, cached by their paths, sizes and mtimes."""
    if store is None:
        return build_project_index(files)
    digest = hashlib.blake2b(digest_size=20)
    for path in files:
        try:
            info = os.stat(path)
            stamp = f"{os.path.abspath(path)}\0{info.st_size}\0{info.st_mtime_ns}\n"
        except OSError:
            stamp = f"{path}\0-\n"
        digest.update(stamp.encode("utf-8", "surrogateescape"))
    name = f"index-{digest.hexdigest()}.pickle"
    found = store.get_object(name)
    if isinstance(found, ProjectIndex) and not _changed(found.followed):
        return found
    facts = ScanFacts(store.get_object(_SCAN_FACTS))
    index = ProjectIndex.from_files(files, self_served=len(files) == 1, facts=facts)
    from .precheck import project_pairs

    project_pairs(index)  # stored with the index: a warm run does not recompute them
    store.put_object(name, index)
    store.put_object(_SCAN_FACTS, facts.to_keep())
    return index


_SCAN_FACTS = "scan-facts.pickle"


def _changed(stamps: Dict[str, Any]) -> bool:
    """Whether a file read by following imports changed since the index was stored."""
    for path, (mtime_ns, size) in stamps.items():
        try:
            info = os.stat(path)
        except OSError:
            return True
        if info.st_mtime_ns != mtime_ns or info.st_size != size:
            return True
    return False


def _open_cache(cache: Union[None, bool, Cache], settings: Settings) -> Optional[Cache]:
    if cache is None or cache is False:
        return None
    from .cache import Cache, default_directory

    if cache is True:
        return Cache(default_directory(settings), settings)
    return cache  # type: ignore[return-value]


# ---------------------------------------------------------------------- the run
@dataclass
class _Task:
    index: int
    path: str
    data: bytes
    key: Optional[str]
    depends: Optional[Dict[str, Any]] = None  # filled when the file is checked


class _Run:
    def __init__(self, files: Sequence[str], settings: Settings, project: ProjectIndex,
                 screen: Optional[Screen], store: Optional[Cache], progress: Optional[Progress]):
        self.files = list(files)
        self.settings = settings
        self.project = project
        self.screen = screen
        self.store = store
        self.progress = progress
        self.results: List[Optional[FileResult]] = [None] * len(self.files)
        self.done = 0
        self._packages: Dict[str, Any] = {}
        self._started: Optional[Iterator[_Task]] = None
        self.environment = repr(project.library) if project.library is not None else ""
        self.history = None if store is None or screen is None else _pairs_history(store, screen)

    def _finish(self, index: int, result: FileResult) -> None:
        self.results[index] = result
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.files))

    def _tasks(self) -> Iterator[_Task]:
        """The files that must be checked, read lazily (see ``execute``)."""
        started, self._started = self._started, None
        return started if started is not None else self._lookups()

    def _lookups(self) -> Iterator[_Task]:
        """Read, hash and look up each file; yield the ones that must be checked."""
        settings = self.settings
        for index, path in enumerate(self.files):
            skipped = _too_big(path, settings)
            if skipped is not None:
                self._finish(index, skipped)
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                self._finish(index, _engine().check_path(path, settings, self.project))
                continue
            key = None
            if self.store is not None:
                from .cache import content_hash

                key = self.store.key(path, self._package_of(path), content_hash(data),
                                     config=self._config_of(path), environment=self.environment)
                renewed: Dict[str, Any] = {}
                hit = self.store.get(key, path, lambda used: self._still_valid(path, data, used, renewed))
                if hit is not None:
                    findings, tracebacks = hit
                    if renewed:  # the same decision under new project names: remember them
                        self.store.put(key, findings, tracebacks, renewed)
                    self._finish(index, _with_source(FileResult(path, findings, tracebacks), data))
                    continue
            yield _Task(index, path, data, key)

    def _config_of(self, path: str) -> str:
        """What the findings of ``path`` depend on in a closer configuration file than
        the run's own (empty when it is the run's)."""
        closest = self.settings.for_path(path)
        return "" if closest is self.settings else repr((closest.cache_key(), closest.root))

    def _still_valid(self, path: str, data: bytes, depends: Dict[str, Any],
                     renewed: Dict[str, Any]) -> bool:
        """Whether a cached result still holds under this run's project index: the
        pre-check decides as before (skip or check), and the index gives the answers
        the check got."""
        digest = depends.get("screen")
        if digest is not None and (self.screen is None or digest != self.screen.pairs_digest):
            if self.screen is None:
                return False
            try:
                text = decode_source(data, path).text
            except SourceError:
                return False
            changed = self.history.changed_names(digest) if self.history is not None else None
            if changed is None or any(name in text for name in changed):  # else: the same decision
                skipped = not self.screen.reason(text, self.settings.for_path(path).codes_for(path))
                if skipped != bool(depends.get("skipped")):
                    return False
                renewed.update(depends, screen=self.screen.pairs_digest)
        uses = depends.get("uses")
        return not uses or answers_hold(self.project, uses)

    def _package_of(self, path: str) -> Any:
        """What the module name of ``path`` depends on besides its name: the package
        around its directory (memoised per directory; ``module_name_for`` resolves
        symbolic links, which costs a few system calls per path component)."""
        directory = os.path.dirname(os.path.abspath(path))
        found = self._packages.get(directory)
        if found is None:
            found = self._packages[directory] = package_probe(directory, self._packages)
        return (found, os.path.basename(path))

    def _store(self, task: _Task, result: FileResult) -> None:
        if self.store is not None and task.key is not None and not result.tracebacks:
            self.store.put(task.key, result.findings, result.tracebacks, task.depends)

    def execute(self, jobs: Optional[int]) -> None:
        if jobs is None:
            for task in self._tasks():
                task.depends = {}
                result = check_file(task.path, self.settings, self.project, self.screen, task.data,
                                    task.depends)
                self._store(task, result)
                self._finish(task.index, result)
            return
        tasks = self._lookups()
        first = next(tasks, None)
        if first is None:
            return  # everything answered by the cache: no worker to start
        if len(self.files) == 1 and _safe_in_process(first):
            first.depends = {}
            # No automatic garbage collection meanwhile (as in a worker): importing libcst,
            # parsing and the analysis allocate ~80,000 objects for core.py (94 kB), and
            # the collector ran about 150 times over them (0.12 s, 10 % of the run's CPU);
            # now the garbage is collected once, later. A safe file is small (``risky``).
            collecting = gc.isenabled()
            gc.disable()
            try:
                result = check_file(first.path, self.settings, self.project, self.screen, first.data,
                                    first.depends)
            finally:
                if collecting:
                    gc.enable()
            self._store(first, result)
            self._finish(first.index, result)
            return
        self._started = itertools.chain([first], tasks)
        if self.screen is not None:
            self.screen.pairs  # made once here (kept by the index), not again in each worker
        from .workers import Supervisor

        Supervisor(self, max(1, int(jobs))).run()


def _pairs_history(store: Cache, screen: Screen) -> Any:
    from .cache import PairsHistory

    return PairsHistory(store, screen.pairs, screen.pairs_digest)


def _safe_in_process(task: _Task) -> bool:
    """Whether a one-file run may check its file in this process: starting a worker is
    most of such a run (pre-commit, editors). Only files the pre-screen calls safe
    (``precheck.risky``, as in the flake8 plugin); a risky one keeps the bounded worker."""
    from .precheck import RISKY_BYTES, risky

    if len(task.data) > RISKY_BYTES:
        return False
    try:
        return not risky(decode_source(task.data, task.path).text)
    except SourceError:
        return True  # reported as unreadable, never parsed


def _with_source(result: FileResult, data: bytes) -> FileResult:
    """Attach the decoded text for the reporters (only files with findings need it)."""
    if result.findings and result.source is None:
        try:
            result.source = decode_source(data, result.path)
        except SourceError:
            pass
    return result
