"""What the library index (semantics/library.py) costs on a real tree, cold and warm.

    python benchmarks/library_index.py TREE --python-path SITE_PACKAGES [--cache-dir DIR]

Runs ``runner.run`` in this process (no workers) over TREE twice with a result cache in
a fresh directory, with the library index's own work timed around its real calls:

- ``cold``: empty cache: every library module a query needs is located and parsed;
- ``warm-library``: the result cache emptied but the library facts kept (a new tree or
  edited files in the same environment): modules come from the ``lib`` objects;
- ``warm``: nothing changed: every file is answered by the result cache.

For each pass: the run's CPU time, the time inside the index (building it from the
imported modules, queries, loading and parsing), modules parsed and loaded from the
cache, and the findings count. The timers wrap the index's public queries only at
their outermost call, so nested queries are not counted twice.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from concurlint import runner  # noqa: E402
from concurlint.config import load_settings  # noqa: E402
from concurlint.discovery import discover  # noqa: E402
from concurlint.semantics import library  # noqa: E402

_QUERIES = ("is_coroutine_function", "class_name", "returned_type", "enter_type", "attribute_type",
            "item_type")


class Meter:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0
        self.parsed = 0
        self.loaded = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return function(*args, **kwargs)
            self.depth += 1
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - start
                self.depth -= 1
        return timed


def install(meter: Meter) -> None:
    for name in _QUERIES:
        setattr(library.LibraryIndex, name, meter.wrap(getattr(library.LibraryIndex, name)))
    build = library.LibraryIndex.for_modules.__func__  # type: ignore[attr-defined]
    library.LibraryIndex.for_modules = classmethod(meter.wrap(build))  # type: ignore[assignment]
    read, cached = library._read_module, library.LibraryIndex._cached

    def counted_read(*args: Any) -> Any:
        meter.parsed += 1
        return read(*args)

    def counted_cached(self: Any, key: str, module: str) -> Any:
        found = cached(self, key, module)
        meter.loaded += found is not None
        return found

    library._read_module = counted_read  # type: ignore[assignment]
    library.LibraryIndex._cached = counted_cached  # type: ignore[assignment]


def one_pass(label: str, files: Any, settings: Any, cache_dir: str, meter: Meter) -> Dict[str, Any]:
    from concurlint.cache import Cache

    library._PROCESS_MEMO.clear()  # a new process: only the cache directory remembers
    meter.seconds, meter.parsed, meter.loaded = 0.0, 0, 0
    start = time.process_time()
    result = runner.run(files, settings, cache=Cache(cache_dir, settings))
    total = time.process_time() - start
    findings = sum(len(r.findings) for r in result.results)
    row = {"pass": label, "cpu_s": round(total, 2), "index_s": round(meter.seconds, 3),
           "parsed": meter.parsed, "loaded": meter.loaded, "findings": findings}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--python-path", action="append", required=True)
    parser.add_argument("--cache-dir", default=None)
    options = parser.parse_args()
    site = [os.path.abspath(p) for p in options.python_path]
    settings = load_settings([options.tree], isolated=True, overrides={"python-path": site})
    files = discover([options.tree], settings)
    cache_dir = options.cache_dir or tempfile.mkdtemp(prefix="concurlint-libindex-")
    meter = Meter()
    install(meter)
    print(f"{len(files)} files, python-path {options.python_path}", flush=True)
    one_pass("cold", files, settings, cache_dir, meter)
    for entry in os.listdir(cache_dir):  # keep only the library facts
        versioned = os.path.join(cache_dir, entry)
        if os.path.isdir(versioned):
            for bucket in os.listdir(versioned):
                if bucket != "library":
                    shutil.rmtree(os.path.join(versioned, bucket), ignore_errors=True)
    one_pass("warm-library", files, settings, cache_dir, meter)
    one_pass("warm", files, settings, cache_dir, meter)


if __name__ == "__main__":
    main()
