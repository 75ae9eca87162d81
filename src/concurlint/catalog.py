"""Every rule code with its name and default state, without loading the rules.

The rule classes (``concurlint.rules``) need libcst; configuration, discovery, the
cache and the reporters only need these facts, so a run answered from the cache
never imports libcst. ``tests/test_catalog.py`` keeps this table equal to the rules.
"""
from __future__ import annotations

from typing import Dict, Tuple

# code -> (name, on by default)
CODES: Dict[str, Tuple[str, bool]] = {
    "CCY001": ("syntax-error", True),
    "CCY002": ("unreadable-file", True),
    "CCY003": ("internal-error", True),
    "CCY004": ("file-skipped", True),
    "CCY101": ("unawaited-coroutine", True),
    "CCY102": ("coroutine-function-not-called", True),
    "CCY103": ("dangling-task", True),
    "CCY104": ("coroutine-in-boolean-context", True),
    "CCY105": ("nested-event-loop", True),
    "CCY106": ("wrong-with-kind", True),
    "CCY107": ("get-event-loop-in-coroutine", True),
    "CCY108": ("legacy-event-loop-management", False),
    "CCY109": ("sequential-awaits-in-loop", False),
    "CCY110": ("busy-loop-without-await", True),
    "CCY201": ("blocking-sleep", True),
    "CCY202": ("blocking-http-call", True),
    "CCY203": ("blocking-subprocess", True),
    "CCY204": ("blocking-file-io", True),
    "CCY205": ("blocking-sync-primitive", True),
    "CCY206": ("blocking-input", True),
    "CCY207": ("blocking-network-call", True),
    "CCY208": ("blocking-database-call", True),
    "CCY209": ("configured-blocking-call", True),
    "CCY301": ("unprotected-shared-mutation", True),
    "CCY302": ("callable-called-instead-of-passed", True),
    "CCY303": ("thread-run-instead-of-start", True),
    "CCY304": ("daemon-thread-not-joined", False),
    "CCY305": ("lock-acquire-without-release", True),
    "CCY306": ("read-modify-write-across-await", True),
    "CCY307": ("queue-join-without-task-done", True),
    "CCY308": ("process-start-without-main-guard", True),
    "CCY309": ("unpicklable-process-callable", True),
    "CCY310": ("asyncio-call-from-thread", True),
    "CCY401": ("unbounded-queue", True),
    "CCY402": ("unbounded-fan-out", True),
    "CCY501": ("network-call-without-timeout", True),
    "CCY502": ("client-session-without-timeout", False),
    "CCY503": ("subprocess-without-timeout", False),
    "CCY504": ("wait-without-timeout", False),
    "CCY601": ("gather-exceptions-swallowed", True),
    "CCY602": ("cancellation-swallowed", True),
    "CCY603": ("task-exception-never-retrieved", True),
    "CCY604": ("executor-future-discarded", True),
    "CCY701": ("unclosed-client", True),
    "CCY702": ("client-per-request", True),
    "CCY703": ("executor-not-shut-down", True),
    "CCY704": ("event-loop-not-closed", True),
}

FAMILIES: Dict[str, str] = {
    "CCY0": "the tool itself",
    "CCY1": "coroutines and tasks",
    "CCY2": "blocking the event loop",
    "CCY3": "threads, processes and shared state",
    "CCY4": "backpressure and fan-out",
    "CCY5": "timeouts",
    "CCY6": "exceptions and cancellation",
    "CCY7": "resource lifecycle",
}


def rule_name(code: str) -> str:
    entry = CODES.get(code)
    return entry[0] if entry is not None else code
