"""How much could concurlint parse less by leaving out function bodies? (issue 18, item 3)

    python benchmarks/parse_less.py <directory> [--runs 3]

For the files that pass the pre-check (the ones that get a libcst tree), this measures
the share of their code (non-whitespace characters) in the bodies of sync ``def``s at
module level or directly in a module-level class, under two conditions for leaving a
body out of the parse:

- ``no word``: the def's text mentions in its code none of the pre-check words (the
  issue's suggestion), and a method assigns no attribute of its first parameter (the
  class attribute scan would miss it). NOT sound: a rule can report in such a body
  through a name typed elsewhere, e.g. ``self.session.get(url)`` where ``__init__`` set
  ``self.session = requests.Session()`` (CCY501, tests/fixtures/timeouts/).
- ``no outside name``: also, every name the body reads is bound in it, a parameter
  (not a method's first one) or a builtin, so nothing outside the body can give it a
  type. Sound for that path, but it leaves almost nothing out.

It also times libcst on the full files and on the files with the ``no word`` bodies
replaced by blank lines (same line count), and CPython's ``compile`` of the files (a
lower bound for finding the bodies and for proving a left-out body free of syntax
errors). CPU seconds, the minimum of ``--runs`` per file, runs interleaved.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import os
import sys
import time
from typing import Iterator, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import python_files  # noqa: E402

from concurlint.parse import parse  # noqa: E402
from concurlint.precheck import Screen, code_only  # noqa: E402

_BUILTINS = frozenset(dir(builtins))
Def = Tuple[ast.FunctionDef, bool]  # the def, and whether it is a method


def sync_defs(tree: ast.Module) -> Iterator[Def]:
    for stmt in tree.body:
        if type(stmt) is ast.FunctionDef:
            yield stmt, False
        elif type(stmt) is ast.ClassDef:
            yield from ((inner, True) for inner in stmt.body if type(inner) is ast.FunctionDef)


def _parameters(func: ast.FunctionDef) -> List[str]:
    args = func.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
            if a is not None]


def assigns_own_attribute(func: ast.FunctionDef) -> bool:
    positional = [*func.args.posonlyargs, *func.args.args]
    first = positional[0].arg if positional else None
    return any(isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
               and isinstance(node.value, ast.Name) and node.value.id == first for node in ast.walk(func))


def reads_outside_names(func: ast.FunctionDef, method: bool) -> bool:
    params = _parameters(func)
    bound = set(params[1:] if method else params)
    loaded = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not func:
            bound.add(node.name)
    return bool(loaded - bound - _BUILTINS)


def body_lines(func: ast.FunctionDef, lines: Sequence[str]) -> Optional[Tuple[int, int]]:
    """0-based first and last line of ``func``'s body when it starts on its own line."""
    first = func.body[0]
    if lines[first.lineno - 1][: first.col_offset].strip():
        return None  # `def f(): x`: the body shares the header's line
    return first.lineno - 1, (func.end_lineno or first.lineno) - 1


def _compile(text: str) -> object:
    return compile(text, "<measured>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)


def _solid(text: str) -> int:
    return len("".join(text.split()))


def measure(root: str, runs: int) -> None:
    screen = Screen()
    words = screen.words_for(None)
    total = in_defs = no_word = no_outside = 0
    full_texts: List[str] = []
    reduced_texts: List[str] = []
    for path in python_files(root):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        if not screen.may_have_findings(text):
            continue
        lines = text.splitlines(keepends=True)
        total += _solid(text)
        blank = []
        for func, method in sync_defs(tree):
            span = body_lines(func, lines)
            if span is None:
                continue
            start = min([func.lineno, *(d.lineno for d in func.decorator_list)]) - 1
            whole = "".join(lines[start: span[1] + 1])
            body = _solid("".join(lines[span[0]: span[1] + 1]))
            in_defs += body
            code = code_only(whole)
            if any(word in code for word in words) or (method and assigns_own_attribute(func)):
                continue
            no_word += body
            blank.append(span)
            if not reads_outside_names(func, method):
                no_outside += body
        reduced = list(lines)
        for first, last in blank:
            indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
            reduced[first] = indent + "0\n"
            for index in range(first + 1, last + 1):
                reduced[index] = "\n"
        full_texts.append(text)
        reduced_texts.append("".join(reduced))
    if not total:
        print(f"{root}: no Python file here passes the pre-check")
        return
    timing = {"libcst, full files": 0.0, "libcst, 'no word' bodies left out": 0.0, "CPython compile": 0.0}
    for full, reduced in zip(full_texts, reduced_texts):
        best = {label: float("inf") for label in timing}
        for _ in range(runs):
            for label, job, text in (("libcst, full files", parse, full),
                                     ("libcst, 'no word' bodies left out", parse, reduced),
                                     ("CPython compile", _compile, full)):
                started = time.process_time()
                job(text)
                best[label] = min(best[label], time.process_time() - started)
        for label in timing:
            timing[label] += best[label]
    print(f"{root}: {len(full_texts)} files pass the pre-check, {total} non-whitespace characters")
    print(f"  in sync def bodies (module level, module-level classes): {in_defs / total:6.1%}")
    print(f"  ... 'no word' (unsound):                                   {no_word / total:6.1%}")
    print(f"  ... 'no word' and 'no outside name':                       {no_outside / total:6.1%}")
    base = timing["libcst, full files"]
    for label, seconds in timing.items():
        print(f"  {label:<40} {seconds:7.3f} s CPU  {seconds / base:6.1%}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    missing = [root for root in args.paths if not os.path.isdir(root)]
    if missing:
        parser.error(f"not a directory: {', '.join(missing)}")
    for root in args.paths:
        measure(root, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
