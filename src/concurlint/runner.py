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
- a worker whose memory grew past ``RECYCLE_RSS`` after a big file retires and
  is replaced, so a worker's memory never depends on the number of files;
- results are stored by file position, so the output is the same whatever the
  number of jobs and the order in which workers finish.

Every path (in-process or not) applies the same pre-check (``precheck.py``):
a file that mentions nothing any rule looks at gets only a syntax check.
"""
from __future__ import annotations

import gc
import hashlib
import itertools
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Sequence, Union

from .config import Settings
from .discovery import discover, module_name_for
from .cache import Cache
from .findings import BUG_REPORT_HINT, FileResult, Finding, Text, tool_finding, unreadable_result
from .precheck import Screen, syntax_ok
from .semantics.project import ProjectIndex, RecordingIndex, ScanFacts, answers_hold
from .source import SourceError, decode_source


@dataclass
class RunResult:
    files: List[str] = field(default_factory=list)
    results: List[FileResult] = field(default_factory=list)
    # with the result cache: files answered from it ("hits"), checked ("misses"), and
    # checked because project facts they used changed ("stale", part of the misses)
    cache_stats: Optional[Dict[str, int]] = None

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

# A worker whose resident memory exceeds this after a file is replaced.
RECYCLE_RSS = 300 * 1024 * 1024
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
    return RunResult(files, runner.results, stats)  # type: ignore[arg-type]


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
            f"file skipped: it is {_size(size)}, larger than max-file-size "
            f"({_size(settings.max_file_size)}); {hint.en}",
            f"文件已跳过:大小为 {_size(size, zh=True)},超过 max-file-size({_size(settings.max_file_size, zh=True)});"
            f"{hint.zh}")))
    return result


def _size(size: int, zh: bool = False) -> str:
    exact = f"{size} 字节" if zh else f"{size} bytes"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB ({exact})"
    if size >= 1024:
        return f"{size / 1024:.1f} kB ({exact})"
    return exact


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
            f"internal error: the worker process analysing this file crashed ({how}); "
            f"{BUG_REPORT_HINT}",
            f"内部错误:分析此文件的工作进程崩溃({how});请将此文件作为 bug 报告给 concurlint 开发者")))
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
            found = self._packages[directory] = module_name_for(os.path.join(directory, "__probe__.py"))
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
            result = check_file(first.path, self.settings, self.project, self.screen, first.data,
                                first.depends)
            self._store(first, result)
            self._finish(first.index, result)
            return
        self._started = itertools.chain([first], tasks)
        _Supervisor(self, max(1, int(jobs))).run()


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


# ---------------------------------------------------------------------- workers
def _rss() -> int:
    """Resident memory of this process in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        try:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return peak if sys.platform == "darwin" else peak * 1024
        except Exception:  # noqa: BLE001
            return 0


# How often an idle worker checks that its parent is still there (seconds).
PARENT_CHECK = 1.0


def _worker_main(conn: Any, settings: Settings, project: ProjectIndex, use_screen: bool,
                 recycle_rss: int) -> None:
    parent = os.getppid()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        for name in STOP_SIGNALS[1:]:  # a forked worker inherits the parent's stop handler
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        pass
    screen = Screen(project) if use_screen else None
    # A forked worker starts with the parent's pages (shared, copy-on-write): judge
    # its growth, so a big parent does not make every worker retire after one file.
    recycle_rss = max(recycle_rss, _rss() + recycle_rss // 3) if recycle_rss > 1 else recycle_rss
    # Garbage collection: once per file, after it, instead of every 700 allocations
    # during the parse (libcst builds ~10 nodes per source line, and the automatic
    # collector kept re-scanning the young tree). What the worker inherited or
    # imported for the first file is frozen: never garbage, never scanned again.
    gc.freeze()
    gc.disable()
    frozen_after_first = False
    while True:
        try:
            # A forked sibling holds this pipe's other end too, so the parent's death
            # (even SIGKILL) is no EOF here: an idle worker watches its parent instead.
            while not conn.poll(PARENT_CHECK):
                if os.getppid() != parent:
                    return
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, path, data = message
        depends: Dict[str, Any] = {}
        try:
            result = check_file(path, settings, project, screen, data, depends)
            payload = (index, result.findings, result.tracebacks, depends)
        except BaseException as exc:  # noqa: BLE001 - never lose the file
            import traceback

            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            payload = (index, _crash_findings(path, settings, exc), [text], None)
        gc.collect()
        if not frozen_after_first:
            gc.freeze()
            frozen_after_first = True
        retire = _rss() > recycle_rss
        try:
            conn.send(payload + (retire,))
        except (OSError, ValueError):
            return
        if retire:
            return


def _crash_findings(path: str, settings: Settings, exc: BaseException) -> List[Finding]:
    if "CCY003" not in settings.codes_for(path):
        return []

    detail = f"{type(exc).__name__}: {exc}".strip()
    return [tool_finding(path, "CCY003", Text(
        f"internal error in the engine: {detail}; {BUG_REPORT_HINT}",
        f"引擎内部错误:{detail};请将此文件作为 bug 报告给 concurlint 开发者"))]


def _context() -> Any:
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")  # cheap: the index is inherited, not pickled
    return multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, ctx: Any, run: _Run, recycle_rss: int):
        parent, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_worker_main, name="concurlint-worker", daemon=True,
            args=(child, run.settings, run.project, run.screen is not None, recycle_rss))
        self.process.start()
        child.close()
        self.conn = parent
        self.task: Optional[_Task] = None
        self.deadline = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.process.join(5)
        if self.process.is_alive():  # pragma: no cover - a stuck worker
            self.process.kill()
            self.process.join(5)
        try:
            self.conn.close()
        except OSError:  # pragma: no cover
            pass


class _Supervisor:
    def __init__(self, run: _Run, jobs: int, recycle_rss: Optional[int] = None):
        self.run_ = run
        self.jobs = jobs
        self.recycle_rss = RECYCLE_RSS if recycle_rss is None else recycle_rss
        self.ctx = _context()
        self.workers: List[_Worker] = []

    def _spawn(self) -> _Worker:
        _engine()  # loaded once here, before the fork, and inherited by every worker
        worker = _Worker(self.ctx, self.run_, self.recycle_rss)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, kill: bool) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        worker.stop(kill=kill)

    def run(self) -> None:
        from multiprocessing.connection import wait

        run = self.run_
        tasks = run._tasks()
        pending: Deque[_Task] = deque()
        exhausted = False
        idle: List[_Worker] = []
        busy: Dict[Any, _Worker] = {}
        try:
            while True:
                # Keep every worker fed; read files lazily (bounded memory).
                while not exhausted and len(pending) < self.jobs:
                    task = next(tasks, None)
                    if task is None:
                        exhausted = True
                    else:
                        pending.append(task)
                if not pending and not busy:
                    break
                while pending and len(busy) < self.jobs:
                    worker = idle.pop() if idle else self._spawn()
                    task = pending.popleft()
                    try:
                        worker.conn.send((task.index, task.path, task.data))
                    except (OSError, ValueError):
                        pending.appendleft(task)
                        self._retire(worker, kill=True)
                        continue
                    worker.task = task
                    worker.deadline = time.monotonic() + run.settings.for_path(task.path).file_timeout
                    busy[worker.conn] = worker
                if not busy:
                    continue
                left = min(w.deadline for w in busy.values()) - time.monotonic()
                waitables: List[Any] = list(busy)
                waitables += [w.process.sentinel for w in busy.values()]
                ready = wait(waitables, timeout=max(0.0, left))
                for worker in list(busy.values()):
                    if worker.conn not in ready and worker.process.sentinel not in ready:
                        continue
                    self._collect(worker, busy, idle)
                now = time.monotonic()
                for worker in list(busy.values()):
                    if now >= worker.deadline:
                        task = worker.task
                        assert task is not None
                        del busy[worker.conn]
                        self._retire(worker, kill=True)
                        run._finish(task.index, _timeout_result(task.path, run.settings))
        except Interrupted:
            for worker in list(self.workers):  # stopping now: no worker finishes its file
                self._retire(worker, kill=True)
            raise
        finally:
            for worker in list(self.workers):
                self._retire(worker, kill=bool(worker.task) and worker.conn in busy)

    def _collect(self, worker: _Worker, busy: Dict[Any, _Worker], idle: List[_Worker]) -> None:
        run = self.run_
        task = worker.task
        assert task is not None
        message = None
        try:
            if worker.conn.poll():
                message = worker.conn.recv()
        except (EOFError, OSError):
            message = None
        except Exception:  # noqa: BLE001 - an unpicklable result: treat as a crash
            message = None
        del busy[worker.conn]
        worker.task = None
        if message is None:  # the worker died while checking this file
            worker.process.join(5)
            exitcode = worker.process.exitcode
            self._retire(worker, kill=True)
            run._finish(task.index, _died_result(task.path, run.settings, exitcode))
            return
        _index, findings, tracebacks, task.depends, retire = message
        result = _with_source(FileResult(task.path, list(findings), list(tracebacks)), task.data)
        run._store(task, result)
        run._finish(task.index, result)
        if retire:
            self._retire(worker, kill=False)
        else:
            idle.append(worker)


# ---------------------------------------------------------------------- stopping a run
# The signals that stop a run (a cancelled CI job, a closed terminal, Ctrl-C).
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(BaseException):
    """Raised in the main thread when a stop signal arrives; unwinding it runs the
    supervisor's cleanup, which kills the workers. Exit status: 128 + the signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:  # pragma: no cover
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def install_stop_handlers() -> Dict[int, Any]:
    """Turn the stop signals into ``Interrupted`` (main thread only; elsewhere a no-op).

    The first signal wins: the handler then ignores the others, so a second Ctrl-C or a
    SIGTERM following a SIGHUP cannot cut the cleanup short (SIGKILL still can). Returns
    the handlers replaced, for ``restore_handlers`` (a program that embeds the CLI, such
    as a test runner, gets its own handlers back).
    """
    previous: Dict[int, Any] = {}
    def stop(signum: int, _frame: Any) -> None:
        for name in STOP_SIGNALS:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
        raise Interrupted(signum)

    for name in STOP_SIGNALS:
        if hasattr(signal, name):
            try:
                previous[getattr(signal, name)] = signal.signal(getattr(signal, name), stop)
            except (ValueError, OSError):  # not the main thread (an embedding program)
                break
    return previous


def restore_handlers(previous: Dict[int, Any]) -> None:
    for signum, handler in previous.items():
        try:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        except (ValueError, OSError):  # pragma: no cover
            pass


# ---------------------------------------------------------------------- one bounded call
# Memory allowed to a child that checks one risky file (flake8 mode).
BOUNDED_MEMORY = 2 * 1024 * 1024 * 1024


class Bounded:
    """The outcome of ``run_bounded``: a value, or why there is none."""

    def __init__(self, value: Any = None, timed_out: bool = False, exitcode: Optional[int] = None):
        self.value = value
        self.timed_out = timed_out
        self.exitcode = exitcode  # set when the child died without an answer

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.exitcode is None


def run_bounded(function: Callable[[], Any], timeout: float,
                memory: Optional[int] = BOUNDED_MEMORY) -> Bounded:
    """Call ``function`` in a forked child with a time and memory limit.

    Used where no worker pool exists (the flake8 plugin; flake8's own workers are
    daemonic and may not start ``multiprocessing`` children, hence a bare fork).
    Where ``fork`` is missing, ``function`` runs in this process, unbounded.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return Bounded(function())
    import pickle
    import select

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running any cleanup of the parent
        code = 0
        try:
            os.close(read_fd)
            if memory is not None:
                try:
                    import resource

                    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                    limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
                    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                except (ImportError, ValueError, OSError):
                    pass
            data = pickle.dumps(function(), protocol=4)
            with os.fdopen(write_fd, "wb") as handle:
                handle.write(data)
        except BaseException:  # noqa: BLE001 - the parent sees a child without an answer
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: List[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # pragma: no cover - already gone
                pass
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return Bounded(timed_out=True)
    if chunks:
        try:
            return Bounded(pickle.loads(b"".join(chunks)))
        except Exception:  # noqa: BLE001 - a truncated answer: the child died writing it
            pass
    if os.WIFSIGNALED(status):
        return Bounded(exitcode=-os.WTERMSIG(status))
    return Bounded(exitcode=os.WEXITSTATUS(status) or 70)


def bounded_check(source: Any, settings: Settings, project: Optional[ProjectIndex] = None,
                  **kwargs: Any) -> FileResult:
    """``check_source`` for one file with the same limits as a worker of ``run``.

    Files over ``max-file-size`` are CCY004 without parsing; files that the cheap
    pre-screen (``precheck.risky``) calls risky are checked in a child process
    bounded by ``file-timeout`` and ``BOUNDED_MEMORY``; the rest in this process.
    """
    from .precheck import risky

    path = source.path
    settings = settings.for_path(path)
    size = len(source.raw) if source.raw is not None else len(source.text.encode("utf-8", "surrogatepass"))
    if size > settings.max_file_size:
        return _size_skipped(path, size, settings, FileResult(path, source=source))
    if not risky(source.text):
        return _engine().check_source(source, settings, project, **kwargs)

    def work() -> Any:
        done = _engine().check_source(source, settings, project, **kwargs)
        return done.findings, done.tracebacks

    outcome = run_bounded(work, settings.file_timeout)
    if outcome.timed_out:
        result = _timeout_result(path, settings)
    elif outcome.exitcode is not None:
        result = FileResult(path)
        code = outcome.exitcode
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        if "CCY004" in settings.codes_for(path):
            result.findings.append(tool_finding(path, "CCY004", Text(
                f"file skipped: the process analysing it stopped ({how}), most likely out of "
                f"memory (limit {_size(BOUNDED_MEMORY)}); check it with 'concurlint check' instead",
                f"文件已跳过:分析它的进程退出({how}),很可能是内存不足"
                f"(上限 {_size(BOUNDED_MEMORY, zh=True)});请改用 'concurlint check' 检查")))
    else:
        findings, tracebacks = outcome.value
        result = FileResult(path, list(findings), list(tracebacks))
    result.source = source
    return result
