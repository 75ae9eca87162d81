"""The worker processes of a run and their supervisor.

``Supervisor`` keeps ``jobs`` forked workers fed with one file each, gives every
file a deadline of ``file-timeout``, kills and replaces a worker that passes it
or dies (the file is reported as CCY004 or CCY003), and retires a worker whose
memory grew past ``RECYCLE_RSS``. ``_worker_main`` is the loop a worker runs:
check a file, send its findings and the index answers it used, repeat.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import time
from collections import deque
from typing import Any, Deque, Dict, List, Optional

from .config import Settings
from .findings import FileResult, Finding, Text, tool_finding
from .interrupt import STOP_SIGNALS, Interrupted
from .precheck import Screen
from .runner import _died_result, _engine, _Run, _Task, _timeout_result, _with_source, check_file
from .semantics.project import ProjectIndex

# A worker whose resident memory exceeds this after a file is replaced.
RECYCLE_RSS = 300 * 1024 * 1024


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


def _worker_main(conn: Any, parent: int, settings: Settings, project: ProjectIndex,
                 use_screen: bool, recycle_rss: int) -> None:
    # ``parent`` comes from the parent: a child that reads getppid() itself after its
    # parent was already killed would get init's pid and never notice the death.
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
        "internal error in the engine: {detail}; please report a bug to the concurlint developers "
        "with this file").format(detail=detail))]


def _context() -> Any:
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")  # cheap: the index is inherited, not pickled
    return multiprocessing.get_context("spawn")


class Worker:
    def __init__(self, ctx: Any, run: _Run, recycle_rss: int):
        parent, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_worker_main, name="concurlint-worker", daemon=True,
            args=(child, os.getpid(), run.settings, run.project, run.screen is not None, recycle_rss))
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


class Supervisor:
    def __init__(self, run: _Run, jobs: int, recycle_rss: Optional[int] = None):
        self.run_ = run
        self.jobs = jobs
        self.recycle_rss = RECYCLE_RSS if recycle_rss is None else recycle_rss
        self.ctx = _context()
        self.workers: List[Worker] = []

    def _spawn(self) -> Worker:
        _engine()  # loaded once here, before the fork, and inherited by every worker
        worker = Worker(self.ctx, self.run_, self.recycle_rss)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: Worker, kill: bool) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        worker.stop(kill=kill)

    def run(self) -> None:
        from multiprocessing.connection import wait

        run = self.run_
        tasks = run._tasks()
        pending: Deque[_Task] = deque()
        exhausted = False
        idle: List[Worker] = []
        busy: Dict[Any, Worker] = {}
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

    def _collect(self, worker: Worker, busy: Dict[Any, Worker], idle: List[Worker]) -> None:
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
