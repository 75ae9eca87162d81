"""Time the steps of a replayed ``concurlint check`` (``fastpath.py``), each run in a
fresh interpreter, and whole replayed processes against pip's launcher and ruff.

    python benchmarks/replay_steps.py DIR --runs 40 -- check --isolated --cache-dir C core.py
    python benchmarks/replay_steps.py DIR --src /tmp/old/src --src /tmp/new/src -- check ...

``DIR`` is where the command runs. Each ``--src`` (for instance a ``git archive`` copy
of another version's ``src/``) is put first on ``PYTHONPATH``, and the versions run
interleaved; without one, the installed concurlint. The installed console script is
run twice per version first, so that its replay record exists. Then, per version:
the steps in the process (``perf_counter`` around the real functions: the import as
the console script does it, the invocation, the record's name, reading and
unmarshalling it, the checks of its stamps, writing the output to /dev/null) — for
a version without ``fastpath._holds`` (the first replay, before this script) only
the import and ``replay()`` as a whole; and whole processes (wall and CPU, medians):
the console script, a copy of it calling nothing, and ``ruff check`` of the last
argument with its cache warm when ruff is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

# One fresh process: the timings of its steps, as JSON on stdout.
_STEPS = r"""
import re, sys, time, os, json
P = time.perf_counter
script, argv = sys.argv[1], sys.argv[2:]
sys.path[0] = os.path.dirname(script)  # what the console script's sys.path starts with
sys.argv = [script, *argv]
marks = [P()]
from concurlint import fastpath as fp
import marshal
marks.append(P())
out = os.open(os.devnull, os.O_WRONLY)
saved = os.dup(1), os.dup(2)
os.dup2(out, 1); os.dup2(out, 2)
if hasattr(fp, "_holds"):
    invocation = fp._invocation(argv, None); marks.append(P())
    path = fp.record_path(argv, invocation); marks.append(P())
    with open(path, "rb") as handle:
        data = handle.read()
    marks.append(P())
    record = marshal.loads(data); marks.append(P())
    ok = record["invocation"] == invocation and fp._holds(record); marks.append(P())
    for fd, chunk in record["output"]:
        stream = {1: sys.stdout, 2: sys.stderr}[fd]
        stream.flush(); stream.buffer.write(chunk); stream.buffer.flush()
    marks.append(P())
    names = ["import", "invocation", "record name", "read", "unmarshal", "checks", "write"]
else:
    ok = fp.replay(argv, None) is not None; marks.append(P())
    names = ["import", "replay()"]
sys.stdout.flush(); sys.stderr.flush()
os.dup2(saved[0], 1); os.dup2(saved[1], 2)
print(json.dumps({"ok": ok, "steps": {n: b - a for n, a, b in zip(names, marks, marks[1:])}}))
"""


def _environment(src: Optional[str]) -> Dict[str, str]:
    environment = dict(os.environ)
    if src:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [src, environment.get("PYTHONPATH")]))
    return environment


def _process(command: List[str], cwd: str, environment: Dict[str, str]) -> Dict[str, float]:
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped above
    return {"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="where the command runs")
    parser.add_argument("--src", action="append", help="a source tree to run instead of the installed one")
    parser.add_argument("--runs", type=int, default=40)
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]  # check OPTIONS FILE...
    script = shutil.which("concurlint", path=os.path.dirname(sys.executable))
    if not command or script is None:
        parser.error("give the command after --, and run with the interpreter of a venv with concurlint installed")
    with open(script, "rb") as handle:
        first = handle.readline()
    # the record holds the interpreter: the one the script names (python and python3.11 differ)
    python = first[2:].strip().decode() if first.startswith(b"#!") else sys.executable
    versions = {src or "installed": _environment(src) for src in (args.src or [None])}
    for environment in versions.values():
        for _ in range(2):  # the first may check, the second leaves the record
            subprocess.run([script, *command], cwd=args.directory, env=environment, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="concurlint-replay-steps-") as work:
        idle = os.path.join(work, "idle_launcher.py")
        with open(script, encoding="utf-8") as handle:
            text = handle.read()
        with open(idle, "w", encoding="utf-8") as handle:
            handle.write(text.replace("from concurlint.fastpath import main", "def main():\n    return 0"))
        processes = {"pip's launcher calling nothing": ([python, idle], dict(os.environ))}
        for name, environment in versions.items():
            processes[f"replayed ({name})"] = ([script, *command], environment)
        ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
        if ruff:
            ruff_command = [ruff, "check", "--select", "ASYNC,RUF006", "--exit-zero", "--quiet", "--isolated",
                            "--cache-dir", os.path.join(work, "ruff.cache"), command[-1]]
            subprocess.run(ruff_command, cwd=args.directory, capture_output=True)
            processes["ruff check, its cache warm"] = (ruff_command, dict(os.environ))
        steps: Dict[str, Dict[str, List[float]]] = {name: {} for name in versions}
        failed: Dict[str, int] = {name: 0 for name in versions}
        whole: Dict[str, List[Dict[str, float]]] = {name: [] for name in processes}
        for _ in range(args.runs):
            for name, environment in versions.items():
                done = subprocess.run([python, "-c", _STEPS, script, *command], cwd=args.directory,
                                      env=environment, capture_output=True, text=True, check=True)
                found = json.loads(done.stdout)
                failed[name] += not found["ok"]
                for step, seconds in found["steps"].items():
                    steps[name].setdefault(step, []).append(seconds)
            for name, (process, environment) in processes.items():
                whole[name].append(_process(process, args.directory, environment))
    print(f"load average {os.getloadavg()[0]:.2f} at the end, {args.runs} runs interleaved; medians")
    for name, timed in steps.items():
        total = sum(statistics.median(v) for v in timed.values())
        print(f"\n{name}{'  (NOT REPLAYED in %d runs)' % failed[name] if failed[name] else ''}")
        for step, values in timed.items():
            print(f"  {step:<12} {1e6 * statistics.median(values):8.0f} us")
        print(f"  {'total':<12} {1e6 * total:8.0f} us")
    print()
    for name, samples in whole.items():
        wall = statistics.median(s["wall"] for s in samples)
        cpu = statistics.median(s["cpu"] for s in samples)
        print(f"{name:<40} wall {1e3 * wall:6.1f} ms  CPU {1e3 * cpu:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
