"""File discovery cost: the walk of a tree with and without the ignore files, and with
the per-file (hierarchical) configuration lookup, in this process (no checking).

    python benchmarks/discovery.py                 # the standard library
    python benchmarks/discovery.py ~/src/django --runs 21
"""
from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from typing import Dict, List, Optional, Sequence

from concurlint.config import clear_config_cache, load_settings
from concurlint.discovery import discover

VARIANTS: Dict[str, Dict[str, object]] = {
    # the excludes are those of the stdlib benchmark (bench.py), so the trees compare
    "isolated, no ignore files": {"isolated": True, "respect-gitignore": False},
    "isolated, ignore files": {"isolated": True},
    "hierarchical, ignore files": {},
}


def measure(path: str, runs: int) -> None:
    print(f"{path}")
    for name, variant in VARIANTS.items():
        overrides = {"exclude": ["site-packages"]}
        overrides.update({k: v for k, v in variant.items() if k != "isolated"})
        times: List[float] = []
        files: List[str] = []
        for _ in range(runs):
            clear_config_cache()  # each run looks the configuration files up again
            settings = load_settings(isolated=bool(variant.get("isolated")), overrides=overrides)
            started = time.perf_counter()
            files = discover([path], settings)
            times.append(time.perf_counter() - started)
        per_file = statistics.median(times) / max(1, len(files)) * 1e6
        print(f"  {name:28} {len(files):6} files  median {statistics.median(times) * 1000:7.1f} ms "
              f"(min {min(times) * 1000:.1f} ms, {per_file:.0f} µs per file)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="trees to walk (default: the standard library)")
    parser.add_argument("--runs", type=int, default=15, help="runs per variant (median)")
    args = parser.parse_args(argv)
    for path in args.paths or [sysconfig.get_paths()["stdlib"]]:
        measure(path, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
