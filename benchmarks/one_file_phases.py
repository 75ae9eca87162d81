"""Where the CPU time of one cold ``concurlint check FILE`` goes, phase by phase.

    python benchmarks/one_file_phases.py /tmp/ha/src/homeassistant/core.py --runs 5

Each run is a fresh process that imports the command line, then libcst, then the
engine and the rules, and runs ``cli.main`` on FILE with ``--no-cache --isolated``
while timing (``time.process_time``) the project index, the library index, the parse
and the walk around the real calls. Prints the median of each phase over ``--runs``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Dict, List

_ONE_RUN = r"""
import json, sys, time
phases = {}
start = time.process_time()
import concurlint.cli as cli
phases["import the command line (click, config, runner, cache)"] = time.process_time() - start
mark = time.process_time()
import libcst
phases["import libcst"] = time.process_time() - mark
mark = time.process_time()
import concurlint.engine as engine
phases["import the engine and the rules"] = time.process_time() - mark
import concurlint.runner as runner


def timed(owner, name, label):
    real = getattr(owner, name)

    def wrapper(*args, **kwargs):
        began = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.process_time() - began
    setattr(owner, name, wrapper)


timed(runner, "_project_index", "project index")
timed(runner.ProjectIndex, "use_library", "library index")
timed(engine, "parse", "parse (libcst)")
timed(engine, "walk", "walk (every rule)")
sys.argv = ["concurlint", "check", "--isolated", "--no-cache", "--output-format", "concise", sys.argv[1]]
mark = time.process_time()
try:
    cli.main()
except SystemExit:
    pass
main = time.process_time() - mark
phases["rest of the run (settings, discovery, pre-check, report)"] = main - sum(
    phases.get(k, 0.0) for k in ("project index", "library index", "parse (libcst)", "walk (every rule)"))
phases["process, after the interpreter started"] = time.process_time()
print(json.dumps(phases), file=sys.stderr)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    samples: Dict[str, List[float]] = {}
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", _ONE_RUN, os.path.abspath(args.file)],
                              cwd=os.path.dirname(os.path.abspath(args.file)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        for label, seconds in json.loads(done.stderr.strip().splitlines()[-1]).items():
            samples.setdefault(label, []).append(seconds)
    for label, values in samples.items():
        print(f"{statistics.median(values):7.3f} s  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
