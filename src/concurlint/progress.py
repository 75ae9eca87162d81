"""A progress line on stderr for long runs on a terminal.

Shown only when stderr is a TTY and the ``CI`` environment variable is not set, so
pipes, redirected output and CI logs never see it. It appears after a short delay
(quick runs stay silent), redraws at most a few times per second, and erases itself
when the run ends, leaving the terminal as the report expects it.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, Dict, Optional, TextIO

Clock = Callable[[], float]


def enabled(stream: Optional[TextIO] = None, environ: Optional[Dict[str, str]] = None) -> bool:
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if environ.get("CI"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressLine:
    """A ``runner.run(progress=...)`` callback: ``(files done, files total)``."""

    def __init__(self, stream: TextIO, delay: float = 0.5, interval: float = 0.1,
                 clock: Clock = time.monotonic, label: str = "checking"):
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.label = label
        self.started = clock()
        self.last_draw: Optional[float] = None
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if done >= total:
            self.close()
            return
        if now - self.started < self.delay:
            return
        if self.last_draw is not None and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        percent = 100 * done // total if total else 100
        text = f"concurlint: {self.label} {done}/{total} files ({percent}%)"
        pad = " " * max(self.width - len(text), 0)
        self.width = len(text)
        self._write(f"\r{text}{pad}")

    def close(self) -> None:
        """Erase the line (if one was drawn)."""
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must never break a run
            pass


def for_stderr(label: str = "checking") -> Optional[ProgressLine]:
    """The progress callback to use for this process, or None when it must stay silent."""
    if not enabled():
        return None
    return ProgressLine(sys.stderr, label=label)
