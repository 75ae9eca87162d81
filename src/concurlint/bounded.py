"""One call under a time and memory limit, in a forked child, for the places with
no worker pool: the flake8 plugin, the editor server and one-file CLI runs of risky
input. ``bounded_check`` applies the same size limit and pre-screen as a run's workers.
"""
from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable, List, Optional

from .config import Settings
from .findings import FileResult, Text, tool_finding
from .runner import _engine, _size, _size_skipped, _timeout_result
from .semantics.project import ProjectIndex


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
                "file skipped: the process analysing it stopped ({how}), most likely out of "
                "memory (limit {limit}); check it with 'concurlint check' instead").format(
                    how=how, limit=_size(BOUNDED_MEMORY))))
    else:
        findings, tracebacks = outcome.value
        result = FileResult(path, list(findings), list(tracebacks))
    result.source = source
    return result
