"""Every rule code with its name and group, without loading the rules.

The rule classes (``concurlint.rules``) need libcst; configuration, discovery, the
cache and the reporters only need these facts, so a run answered from the cache
never imports libcst. ``tests/test_catalog.py`` keeps this table equal to the rules.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from .findings import Text

# Rule groups (catalog revision 2) and the severity each one reports with.
# correctness: the code is wrong whenever the pattern matches; suspicious: almost always
# a bug; advice: best practice, often intended in library code (opt in).
GROUPS: Dict[str, str] = {"correctness": "error", "suspicious": "warning", "advice": "note"}
DEFAULT_GROUPS = frozenset({"correctness", "suspicious"})

# code -> (name, group)
CODES: Dict[str, Tuple[str, str]] = {
    "CCY001": ("syntax-error", "correctness"),
    "CCY002": ("unreadable-file", "correctness"),
    "CCY003": ("internal-error", "correctness"),
    "CCY004": ("file-skipped", "suspicious"),
    "CCY101": ("unawaited-coroutine", "correctness"),
    "CCY102": ("coroutine-function-not-called", "correctness"),
    "CCY103": ("dangling-task", "suspicious"),
    "CCY104": ("coroutine-in-boolean-context", "correctness"),
    "CCY105": ("nested-event-loop", "correctness"),
    "CCY106": ("wrong-with-kind", "correctness"),
    "CCY107": ("get-event-loop-in-coroutine", "advice"),
    "CCY108": ("legacy-event-loop-management", "advice"),
    "CCY109": ("sequential-awaits-in-loop", "advice"),
    "CCY110": ("busy-loop-without-await", "suspicious"),
    "CCY201": ("blocking-sleep", "suspicious"),
    "CCY202": ("blocking-http-call", "suspicious"),
    "CCY203": ("blocking-subprocess", "suspicious"),
    "CCY204": ("blocking-file-io", "advice"),
    "CCY205": ("blocking-sync-primitive", "suspicious"),
    "CCY206": ("blocking-input", "suspicious"),
    "CCY207": ("blocking-network-call", "suspicious"),
    "CCY208": ("blocking-database-call", "suspicious"),
    "CCY209": ("configured-blocking-call", "suspicious"),
    "CCY210": ("await-while-holding-thread-lock", "suspicious"),
    "CCY301": ("unprotected-shared-mutation", "advice"),
    "CCY302": ("callable-called-instead-of-passed", "correctness"),
    "CCY303": ("thread-run-instead-of-start", "correctness"),
    "CCY304": ("daemon-thread-not-joined", "advice"),
    "CCY305": ("lock-acquire-without-release", "advice"),
    "CCY306": ("read-modify-write-across-await", "advice"),
    "CCY307": ("queue-join-without-task-done", "suspicious"),
    "CCY308": ("process-start-without-main-guard", "suspicious"),
    "CCY309": ("unpicklable-process-callable", "correctness"),
    "CCY310": ("asyncio-call-from-thread", "correctness"),
    "CCY401": ("unbounded-queue", "advice"),
    "CCY402": ("unbounded-fan-out", "advice"),
    "CCY403": ("unbounded-queue-fed-by-input", "suspicious"),
    "CCY501": ("network-call-without-timeout", "advice"),
    "CCY502": ("client-session-without-timeout", "advice"),
    "CCY503": ("subprocess-without-timeout", "advice"),
    "CCY504": ("wait-without-timeout", "advice"),
    "CCY601": ("gather-exceptions-swallowed", "suspicious"),
    "CCY602": ("cancellation-swallowed", "suspicious"),
    "CCY603": ("task-exception-never-retrieved", "suspicious"),
    "CCY604": ("executor-future-discarded", "suspicious"),
    "CCY701": ("unclosed-client", "suspicious"),
    "CCY702": ("client-per-request", "suspicious"),
    "CCY703": ("executor-not-shut-down", "suspicious"),
    "CCY704": ("event-loop-not-closed", "suspicious"),
}

FAMILY_TITLES: Dict[str, Text] = {
    "CCY0": Text("the tool itself"),
    "CCY1": Text("coroutines and tasks"),
    "CCY2": Text("blocking the event loop"),
    "CCY3": Text("threads, processes and shared state"),
    "CCY4": Text("backpressure and fan-out"),
    "CCY5": Text("timeouts"),
    "CCY6": Text("exceptions and cancellation"),
    "CCY7": Text("resource lifecycle"),
}
FAMILIES: Dict[str, str] = {family: title.message for family, title in FAMILY_TITLES.items()}  # English


def rule_name(code: str) -> str:
    entry = CODES.get(code)
    return entry[0] if entry is not None else code


# Rules whose default form is not reported in test code (``is_test_path``): the claim
# holds there, but a maintainer would not change the code. Correctness rules (a
# forgotten await makes a test pass vacuously) and thread-safety mistakes stay.
# ``--preset strict`` and ``learn`` report them everywhere. Each rule class says the
# same with ``quiet_in_tests``.
QUIET_IN_TESTS: FrozenSet[str] = frozenset({
    # blocking the loop: a test's event loop runs the test and nothing else
    "CCY201", "CCY202", "CCY203", "CCY204", "CCY205", "CCY206", "CCY207", "CCY208", "CCY209",
    # robustness of long-running code (lost errors, leaks, hangs, growth): tests are short
    # and often provoke these on purpose (a test of cancellation catches CancelledError)
    "CCY103", "CCY403", "CCY601", "CCY602", "CCY603", "CCY604",
    "CCY701", "CCY702", "CCY703", "CCY704",
})

_TEST_DIRS = frozenset({"test", "tests", "testing", "_tests", "unittests"})


def is_test_path(rel: str) -> bool:
    """A test module by the usual conventions: under a ``tests``/``test``/``testing``
    folder, or named ``test_*.py``, ``*_test.py``, ``*_tests.py``, ``tests.py`` or
    ``conftest.py`` (``rel``: the path relative to the project, with ``/``)."""
    *folders, name = rel.split("/")
    if any(part in _TEST_DIRS for part in folders):
        return True
    return (name.startswith("test_") or name.endswith(("_test.py", "_tests.py"))
            or name in ("tests.py", "test.py", "conftest.py"))


def group_of(code: str) -> str:
    entry = CODES.get(code)
    return entry[1] if entry is not None else "suspicious"


def severity_of(code: str) -> str:
    return GROUPS[group_of(code)]


def default_codes() -> FrozenSet[str]:
    return frozenset(code for code, (_name, group) in CODES.items() if group in DEFAULT_GROUPS)
