"""Where the CPU time of one cold ``concurlint check FILE`` goes, phase by phase.

    python benchmarks/one_file_phases.py /tmp/ha/src/homeassistant/core.py --runs 5

Each run is a fresh process that imports the command line, then libcst, then the
engine and the rules, and runs ``cli.main`` on FILE with ``--no-cache --isolated``
while timing (``time.process_time``) the project index, the library index, the
pre-check, the parse and the walk around the real calls, and the garbage collector's
passes (``gc.callbacks``; they happen inside the other phases). Interleaved with these,
the installed ``concurlint check FILE --no-cache`` runs as users run it, and its
process CPU is measured (``RUSAGE_CHILDREN``): what the phases do not explain shows
there. Prints the median of each over ``--runs``. concurlint is byte-compiled first,
as pip does for an installed package (see ``bench._compile_concurlint``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import _compile_concurlint, _venv_tool  # noqa: E402

_ONE_RUN = r"""
import gc, json, sys, time
phases = {}
collecting = []


def collector(phase, info):
    if phase == "start":
        collecting.append(time.process_time())
    else:
        phases["of which: garbage collection"] = (
            phases.get("of which: garbage collection", 0.0) + time.process_time() - collecting.pop())


gc.callbacks.append(collector)
start = time.process_time()
import concurlint.cli as cli
phases["import the command line (click, config, runner, cache)"] = time.process_time() - start
# the real command imports these inside the check of its one file, where the collector
# is paused (runner.py): the same here
gc.disable()
mark = time.process_time()
import libcst
phases["import libcst"] = time.process_time() - mark
mark = time.process_time()
import concurlint.engine as engine
phases["import the engine and the rules"] = time.process_time() - mark
gc.enable()
import concurlint.precheck as precheck
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
timed(runner, "_safe_in_process", "pre-check (risk test, words, project pairs)")
timed(precheck.Screen, "reason", "pre-check (risk test, words, project pairs)")
sys.argv = ["concurlint", "check", "--isolated", "--no-cache", "--output-format", "concise", sys.argv[1]]
mark = time.process_time()
try:
    cli.main()
except SystemExit:
    pass
main = time.process_time() - mark
phases["rest of the run (settings, discovery, report)"] = main - sum(
    phases.get(k, 0.0) for k in ("project index", "library index", "parse (libcst)", "walk (every rule)",
                                 "pre-check (risk test, words, project pairs)"))
phases["process, after the interpreter started"] = time.process_time()
print(json.dumps(phases), file=sys.stderr)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _compile_concurlint()
    path = os.path.abspath(args.file)
    cwd = os.path.dirname(path)
    script = _venv_tool("concurlint")
    command = [*([script] if script else [sys.executable, "-m", "concurlint"]), "check", "--no-cache",
               os.path.basename(path)]
    real = f"the real command, process CPU ({' '.join(['concurlint', *command[-3:]])})"
    samples: Dict[str, List[float]] = {}
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", _ONE_RUN, path], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        for label, seconds in json.loads(done.stderr.strip().splitlines()[-1]).items():
            samples.setdefault(label, []).append(seconds)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.setdefault(real, []).append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    for label, values in samples.items():
        print(f"{statistics.median(values):7.3f} s  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
