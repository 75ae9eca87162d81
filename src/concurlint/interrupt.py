"""Stopping a run cleanly: the stop signals become ``Interrupted`` in the main
thread, whose unwinding kills the workers before the CLI exits with 128 + the signal.
"""
from __future__ import annotations

import signal
from typing import Any, Dict


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
