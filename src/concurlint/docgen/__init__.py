"""Generate the documentation pages that come from the code.

    python -m concurlint.docgen docs/          # write the generated pages
    python -m concurlint.docgen --check docs/  # exit 1 if any page is out of date

Generated (English and Simplified Chinese): one page per registered rule
(``rules/CCY201.md``, ``zh/rules/CCY201.md``), the rule indexes, the configuration
page (every key of ``config.KEYS``), the pitfall checklist (the learning material's
sections 14 and 10 mapped to rules) and, in English, the CLI reference (click's own
help text). Everything else under ``docs/`` is written by hand.

The output depends only on the code: no dates, stable ordering, so a test can
regenerate into a temporary directory and compare.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..rules import ALL_RULES
from .checklist import checklist_page
from .cli_reference import cli_reference_page
from .common import LANGS, _prefix
from .configuration import configuration_page, suppression_page
from .rule_pages import rule_page, rules_index


def generate() -> Dict[str, str]:
    """Relative path (under docs/) -> content of every generated page."""
    pages: Dict[str, str] = {}
    for lang in LANGS:
        p = _prefix(lang)
        for rule in ALL_RULES.values():
            pages[f"{p}rules/{rule.code}.md"] = rule_page(rule, lang)
        pages[f"{p}rules/index.md"] = rules_index(lang)
        pages[f"{p}configuration.md"] = configuration_page(lang)
        pages[f"{p}suppression.md"] = suppression_page(lang)
        pages[f"{p}checklist.md"] = checklist_page(lang)
    pages["cli-reference.md"] = cli_reference_page()
    return dict(sorted(pages.items()))


def stale_rule_pages(docs: Path, pages: Dict[str, str]) -> List[str]:
    """Rule pages on disk that no registered rule generates any more."""
    stale = []
    for lang in LANGS:
        directory = docs / f"{_prefix(lang)}rules"
        if directory.is_dir():
            for path in sorted(directory.glob("CCY*.md")):
                rel = path.relative_to(docs).as_posix()
                if rel not in pages:
                    stale.append(rel)
    return stale


def out_of_date(docs: Path) -> List[str]:
    pages = generate()
    problems = []
    for rel, content in pages.items():
        path = docs / rel
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != content:
            problems.append(rel)
    return problems + stale_rule_pages(docs, pages)


def write(docs: Path) -> List[str]:
    from ..fileio import atomic_write

    pages = generate()
    changed = []
    for rel, content in pages.items():
        path = docs / rel
        try:
            current: Optional[str] = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(str(path), content.encode("utf-8"))
            changed.append(rel)
    for rel in stale_rule_pages(docs, pages):
        (docs / rel).unlink()
        changed.append(rel)
    return changed


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m concurlint.docgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", default="docs", help="the docs directory (default: docs)")
    parser.add_argument("--check", action="store_true", help="only report out-of-date pages (exit 1)")
    args = parser.parse_args(argv)
    docs = Path(args.docs)
    if args.check:
        problems = out_of_date(docs)
        for rel in problems:
            print(f"out of date: {docs / rel}", flush=True)
        if problems:
            print("run: python -m concurlint.docgen " + str(docs), file=sys.stderr)
        return 1 if problems else 0
    for rel in write(docs):
        print(f"wrote {docs / rel}" if (docs / rel).exists() else f"removed {docs / rel}")
    return 0
