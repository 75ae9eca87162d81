"""Cheap checks before the expensive parse.

1. ``may_have_findings``: a file that mentions none of the words any rule looks
   at cannot produce a finding, so it needs no libcst tree. The words are:
   ``async``/``await`` (every async-only rule, and every coroutine defined in the
   file itself); the top-level modules of the API tables of the families that
   also flag synchronous code (``threading``, ``queue``, ``requests``...), and the
   distinctive method names in those tables (``run_in_executor``, ``submit``...);
   the names of the project's coroutine functions with their module or class
   (cross-module calls, see ``project_pairs``); and a
   few names the rules match without resolving a module. The tables of
   ``apis/blocking.py`` are left out on purpose: CCY2 only ever reports inside
   ``async def``, which the word ``async`` already covers; so are tables that
   only refine a pattern another table anchors (``_HELPER_TABLES``), and the
   tables of rules that are off for the file (``_TABLE_RULES``). The words are
   matched as substrings (``queue`` also matches ``queues``) of the code outside
   comments and plain string literals (``code_only``): a false hit only costs
   the parse that would have happened anyway.

   A skipped file still gets its syntax checked (``syntax_ok``, CPython's own
   parser, about ten times faster than libcst); when it fails, the file takes
   the normal path, so the CCY001 message and position are libcst's, exactly as
   without the pre-check. ``tests/test_precheck.py`` proves the findings over
   the whole standard library are the same with and without the pre-check.

2. ``risky``: whether parsing a file could take long or much memory (libcst's
   parser is super-linear on long chains of binary operators or attributes, and
   needs ~0.5 kB of memory per byte of source). The flake8 plugin uses it to
   decide when to parse in a supervised child process.
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import pkgutil
import re
from typing import Any, Dict, FrozenSet, Iterable, Iterator, Optional, Set, Tuple

# apis modules whose tables only matter inside `async def` (covered by "async").
_ASYNC_ONLY_TABLES = frozenset({"blocking", "types"})
# Tables that only refine a pattern anchored by another table's word: the
# factories a queue class may be passed to (the queue class is the anchor), the
# calls an exception handler may hand the exception to, the decorators that make
# an `async def` something else ("async" is the anchor), loop-variable names,
# builtins that bound a fan-out. Their words (``attr``, ``collections``,
# ``format_exc``...) would otherwise match most files.
_HELPER_TABLES = frozenset({
    ("backpressure", "QUEUE_FACTORY_TAKERS"), ("backpressure", "QUEUE_CALL_NAMES"),
    ("backpressure", "SIZE_PRESERVING"), ("backpressure", "SIZE_OF_SHORTEST"),
    ("backpressure", "DICT_VIEWS"), ("backpressure", "TEARDOWN_NAMES"),
    ("backpressure", "DRAINING_METHODS"),
    ("coroutines", "NORETURN_CALLS"), ("coroutines", "REPORTING_METHODS"),
    ("coroutines", "NOT_INSPECTING_CALLS"), ("coroutines", "COROUTINE_KEEPING_DECORATORS"),
    ("coroutines", "COROUTINE_KEEPING_DECORATOR_NAMES"), ("coroutines", "PROCESS_EXIT_EXCEPTIONS"),
    ("coroutines", "SELF_STOPPED_WAITS"), ("coroutines", "CLOSE_WAITS"),
    ("coroutines", "CORO_TASK_STARTERS"), ("coroutines", "FUNCTION_TASK_STARTERS"),
    ("coroutines", "SHIELDING_SCOPES"), ("coroutines", "TEARDOWN_METHODS"),
    ("coroutines", "FUTURE_FACTORIES"), ("coroutines", "FUTURE_FACTORY_METHODS"),
    ("resources", "RETRY_LOOP_NAMES"), ("resources", "NON_OWNING_CALLS"),
    ("threads", "NON_CALLABLE_RESULTS"), ("threads", "CALLABLE_FACTORIES"),
})
# Tables read only by rules that are off by default: their words count only when
# one of those rules is enabled (``subprocess`` alone would match 4 % of the stdlib).
_TABLE_RULES: Dict[Tuple[str, str], FrozenSet[str]] = {
    ("timeouts", "CLIENT_SESSION_TIMEOUT"): frozenset({"CCY502"}),
    ("timeouts", "CLIENT_TIMEOUT_LIMITS"): frozenset({"CCY502"}),
    ("timeouts", "SUBPROCESS_TIMEOUT"): frozenset({"CCY503"}),
    ("timeouts", "SYNC_WAIT_TIMEOUT"): frozenset({"CCY504"}),
    ("timeouts", "BLOCK_FLAG"): frozenset({"CCY504"}),
}
# Modules named in the tables only as helpers of a pattern anchored elsewhere
# (``functools.partial`` as a thread target needs ``threading``/an executor).
_HELPER_MODULES = frozenset({
    "functools", "operator", "contextvars", "io", "os", "sys", "time", "builtins", "typing",
    "codecs", "pathlib", "shutil", "glob",
})
# Always present: the keywords, and names rules match without an import.
_BASE_WORDS = (
    "async", "await",
    "Thread", "thread", "Process", "Pool", "Executor", "executor", "Queue", "queue",
    "acquire", "submit", "task_done", "run_in_executor", "call_soon", "create_task",
    "ensure_future", "gather", "run_until_complete", "run_forever", "set_result",
    "put_nowait", "to_thread", "event_loop", "Lock", "Semaphore", "Condition", "Timer",
)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")

_TABLE_WORDS: Dict[Optional[FrozenSet[str]], FrozenSet[str]] = {}


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth > 3:
        return
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, depth + 1)
            yield from _strings(item, depth + 1)
    elif isinstance(value, (set, frozenset, list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)


def table_words(codes: Optional[FrozenSet[str]] = None) -> FrozenSet[str]:
    """Words derived from the API tables of the families that flag sync code, for
    the rules ``codes`` (None: all rules)."""
    cached = _TABLE_WORDS.get(codes)
    if cached is not None:
        return cached
    from . import apis

    words: Set[str] = set(_BASE_WORDS)
    for info in pkgutil.iter_modules(apis.__path__):
        if info.name in _ASYNC_ONLY_TABLES:
            continue
        module = importlib.import_module(f"{apis.__name__}.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("__") or not isinstance(value, (dict, set, frozenset, list, tuple)):
                continue
            if (info.name, name) in _HELPER_TABLES:
                continue
            readers = _TABLE_RULES.get((info.name, name))
            if readers is not None and codes is not None and readers.isdisjoint(codes):
                continue
            for text in _strings(value):
                if _DOTTED.match(text):
                    top, rest = text.split(".", 1)
                    if top == "builtins":
                        continue  # builtins are anchored by another word of the same pattern
                    if top not in _HELPER_MODULES:
                        words.add(top)  # `rest` is only reachable through `top`
                elif _IDENTIFIER.match(text) and _distinctive(text):
                    words.add(text)
    _TABLE_WORDS[codes] = frozenset(words)
    return _TABLE_WORDS[codes]


def _distinctive(name: str) -> bool:
    """A method or class name rare enough to be a useful anchor (``run_in_executor``, ``Thread``)."""
    core = name.strip("_")
    return len(core) >= 4 and ("_" in core or core[:1].isupper())


def project_pairs(project: Any) -> Dict[str, FrozenSet[str]]:
    """Project coroutine functions as ``name -> {owners}``: a file can only call
    ``pkg.mod.fetch`` (or ``pkg.mod.Client.fetch``) if it mentions both ``fetch``
    and ``mod`` (or ``Client``, or a subclass inheriting the method, or the
    package that re-exports it) as words."""
    if project is None:
        return {}
    stored = getattr(project, "pairs", None)  # a ProjectIndex keeps them (and the cache stores them)
    if stored is not None:
        return stored
    pairs: Dict[str, Set[str]] = {}

    def add(qualname: str) -> None:
        owner, _, name = str(qualname).rpartition(".")
        if name:
            pairs.setdefault(name, set()).add(owner.rpartition(".")[2] or name)

    functions = getattr(project, "functions", None) or {}
    methods: Dict[str, Set[str]] = {}
    for qualname, is_coroutine in functions.items():
        if is_coroutine:
            add(qualname)
            owner, _, name = str(qualname).rpartition(".")
            methods.setdefault(owner, set()).add(name)
    check = getattr(project, "is_coroutine_function", None)
    for alias in getattr(project, "aliases", None) or {}:
        try:
            keep = check is None or check(alias) is True
        except Exception:  # noqa: BLE001 - be conservative: keep the name
            keep = True
        if keep:
            add(alias)
    classes = getattr(project, "classes", None) or {}
    canonical = getattr(project, "canonical", lambda name: name)
    for cls in classes:  # inherited coroutine methods are reachable through subclasses
        seen: Set[str] = set()
        todo = [(cls, 0)]
        while todo:
            current, depth = todo.pop()
            if current in seen or depth > 6:
                continue
            seen.add(current)
            for name in methods.get(current, ()):
                add(f"{cls}.{name}")
            for base in classes.get(current, ()):
                try:
                    todo.append((canonical(base), depth + 1))
                except Exception:  # noqa: BLE001
                    todo.append((base, depth + 1))
    found = {name: frozenset(owners) for name, owners in pairs.items()}
    if hasattr(project, "pairs"):
        project.pairs = found
    return found


class Screen:
    """The pre-check of one run: table words (substrings of the code, outside
    comments and plain string literals) and project names (whole words)."""

    def __init__(self, project: Any = None, extra: Iterable[str] = ()):
        self._extra = frozenset(extra)
        self._words: Dict[Optional[FrozenSet[str]], Tuple[str, ...]] = {}
        self.words: Tuple[str, ...] = self.words_for(None)
        self._project = project
        self._pairs: Optional[Dict[str, FrozenSet[str]]] = None
        self._pairs_digest: Optional[str] = None

    @property
    def pairs(self) -> Dict[str, FrozenSet[str]]:
        """The project's coroutine names and owners (``project_pairs``), made when first
        needed: a file that names a table word is checked whatever they are, and making
        them may read installed libraries (which aliases are their coroutines)."""
        if self._pairs is None:
            self._pairs = project_pairs(self._project)
        return self._pairs

    def words_for(self, codes: Optional[FrozenSet[str]]) -> Tuple[str, ...]:
        """The words for a set of enabled codes (None: every rule), keywords first:
        most files that hit, hit early."""
        words = self._words.get(codes)
        if words is None:
            found = set(table_words(codes)) | self._extra
            words = tuple(sorted(found, key=lambda w: (w not in _BASE_WORDS[:2], len(w), w)))
            self._words[codes] = words
        return words

    def may_have_findings(self, text: str, codes: Optional[FrozenSet[str]] = None) -> bool:
        """Whether ``text`` mentions, in its code, any word a rule of ``codes`` looks at."""
        return bool(self.reason(text, codes))

    def reason(self, text: str, codes: Optional[FrozenSet[str]] = None) -> str:
        """Why ``text`` needs a check: "words" (a table word: true whatever the project
        index holds), "pairs" (only a project coroutine's name and owner), or "" (skip).
        The result cache needs the difference: only the last two depend on the index."""
        words = self.words_for(codes)
        if not _mentions(text, words, {}) and not _mentions(text, (), self.pairs):
            return ""
        code = code_only(text)
        if _mentions(code, words, {}):
            return "words"
        return "pairs" if _mentions(code, (), self.pairs) else ""

    @property
    def pairs_digest(self) -> str:
        """A hash of the project names the pre-check matches (what a skip depends on)."""
        if self._pairs_digest is None:
            text = repr(sorted((name, sorted(owners)) for name, owners in self.pairs.items()))
            self._pairs_digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"),
                                                 digest_size=16).hexdigest()
        return self._pairs_digest


def _mentions(text: str, words: Tuple[str, ...], pairs: Dict[str, FrozenSet[str]]) -> bool:
    for word in words:
        if word in text:
            return True
    if pairs:
        mentioned = set(_WORD.findall(text))
        for name in mentioned.intersection(pairs):
            if not pairs[name].isdisjoint(mentioned):
                return True
    return False


# Comments and string literals, left to right as Python's tokenizer sees them.
# f-strings (and t-strings) are kept whole: their replacement fields are code.
# A string right after a name (``if"x"``) is still a string; a prefix must not be
# the tail of a name. Unterminated strings do not match: such a file fails
# ``syntax_ok`` and is parsed anyway. The loops are unrolled ("normal* (special
# normal*)*") and a look-ahead names the possible first characters, so the regex
# engine skips plain code quickly (6x faster than the naive form).
_QUOTED = "(?:" + "|".join((
    r"'''[^\\']*(?:(?:\\[\s\S]|'(?!''))[^\\']*)*'''",
    r'"""[^\\"]*(?:(?:\\[\s\S]|"(?!""))[^\\"]*)*"""',
    r"'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'",
    r'"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"',
)) + ")"
_NOT_CODE = re.compile(
    r"(?=[fFtTrRbBuU'\"#])(?:"
    r"(?P<keep>(?<!\w)(?:[fFtT][rR]?|[rR][fFtT])" + _QUOTED + r")"
    r"|(?:(?<!\w)(?:[rRbBuU]|[rR][bB]|[bB][rR]))?" + _QUOTED +
    r"|\#[^\n]*)"
)


def code_only(text: str) -> str:
    """``text`` without its comments and plain string literals (docstrings included)."""
    global _last_code
    if _last_code[0] is not text:  # the pre-check and the thread gate ask about the same file
        _last_code = (text, _NOT_CODE.sub(_kept, text))
    return _last_code[1]


def _kept(match: "re.Match[str]") -> str:
    return match.group("keep") or ""


_last_code: Tuple[Optional[str], str] = (None, "")


_WORD = re.compile(r"\w+")


def syntax_ok(text: str, path: str = "<unknown>") -> bool:
    """True when CPython's parser accepts ``text`` (no AST is kept)."""
    try:
        compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


# ------------------------------------------------------------------ risk
RISKY_BYTES = 256 * 1024
RISKY_LINE = 1500
RISKY_CHAIN = 600
_CHAIN_CHARS = ("+", "-", "*", "/", "%", "|", "&", "^", "@", ".", "<<", ">>")
# A continuation line ends with an operator, a backslash, a comma or an opening
# parenthesis, or starts with an operator or a closing one (tested with ``strip``, not a
# regular expression: the line scan runs on every file with many operators).
_CONTINUES_AFTER = frozenset("-+*/%|&^@.\\,(")
_CONTINUES_BEFORE = frozenset("-+*/%|&^@.)")
_NOT_OPERATORS = str.maketrans("", "", "".join(_CHAIN_CHARS[:10]))


def risky(text: str) -> bool:
    """Whether libcst could need long or much memory for ``text``.

    Big files, very long lines, and files whose operators could form one long
    chain (more than ``RISKY_CHAIN`` operator characters in a run of
    continuation lines) are risky. Cheap: a few ``str.count`` calls for most
    files; a line scan only for files with many operators.
    """
    if len(text) > RISKY_BYTES:
        return True
    operators = sum(text.count(c) for c in _CHAIN_CHARS[:10])
    if operators < RISKY_CHAIN:
        return False
    run = 0
    for line in text.splitlines():
        if len(line) > RISKY_LINE:
            return True
        ops = len(line) - len(line.translate(_NOT_OPERATORS))  # the single-character operators
        if line.rstrip()[-1:] in _CONTINUES_AFTER or line.lstrip()[:1] in _CONTINUES_BEFORE:
            run += ops
            if run > RISKY_CHAIN:
                return True
        else:
            run = ops
            if run > RISKY_CHAIN:
                return True
    return False


__all__ = ["Screen", "project_pairs", "risky", "syntax_ok", "table_words"]
