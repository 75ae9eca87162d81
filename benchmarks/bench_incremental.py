"""Benchmark what a team with a big repository feels: a re-run after a small edit,
one file at a time (pre-commit, editors), and the pace of a long cold run.

    python benchmarks/bench_incremental.py /tmp/ha/src/homeassistant --markdown
    python benchmarks/bench_incremental.py TREE --edit TREE/util/dt.py --file TREE/core.py

In one run, on the same files, with ruff and flake8-async side by side:

- ``tree``: a cold run with a fresh cache (through ``runner.run`` with all cores, so
  the wall time, the CPU of the parent and of every worker and the largest worker RSS of
  every block of 1,000 finished files are recorded; ``--pace-jobs N`` adds such a cold run
  with N workers), a warm run, then
  ``--edit`` gets one new ``async def`` appended and the tree is checked again, then
  the edit is undone and the tree is checked again, for each ``--edit`` (``concurlint check --cache-stats``:
  how many files the cache answered); ruff cold (``--no-cache``) and ruff after the
  same edit with its own cache. flake8-async is left out on a whole big tree (about
  four seconds per thousand lines here: hours).
- ``one file`` (``--file``, checked from the file's directory with the installed
  ``concurlint`` command): interpreter start-up alone (and with ``import re``, which pip's
  launcher does first; and a copy of pip's launcher for concurlint that calls nothing),
  the libcst parse of that file alone (CPU, in a process of its own), ``concurlint
  check FILE`` cold (``--no-cache``), warm (answered by its replay record,
  ``fastpath.py``: once with a record left more than ``fastpath.RACY_NS`` after the
  file was last written, once right after, when the file is hashed), warm through the
  full path (``cli.main``, no replay), and right after an edit of that file (the cache
  on: what pre-commit sees), ``ruff check FILE`` with and without its cache, and
  ``flake8-async FILE`` (three runs); medians of ``--runs``, interleaved.

The edited file is restored byte for byte at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import PY, _compile_concurlint, _venv_tool, count_lines, jobs_all, machine, measure, python_files  # noqa: E402

# A cold run through the API: at each block of 1,000 finished files, the wall time and the
# CPU of the whole run so far (wall time per block on a shared machine is mostly the other
# users' load; CPU is not): this process (it builds the index and reads the cache), the
# workers that retired (RUSAGE_CHILDREN counts a child once it has been waited for) and the
# live workers (utime + stime from /proc/<pid>/stat). The workers are forked children of
# this process, reaped by the supervisor in the thread that calls ``progress``, so each
# worker is counted exactly once at a mark. Worker RSS is sampled at most every 0.2 s.
_COLD_BLOCKS = r"""
import json, os, resource, sys, time
from concurlint.cache import Cache
from concurlint.config import load_settings
from concurlint.runner import run
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
ME = os.getpid()

def workers():
    pids = []
    for task in os.listdir(f"/proc/{ME}/task"):
        try:
            with open(f"/proc/{ME}/task/{task}/children") as handle:
                pids += handle.read().split()
        except OSError:
            pass
    return pids

def proc_fields(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            data = handle.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()  # fields from the 3rd (state) on

def cpu_now():
    own = resource.getrusage(resource.RUSAGE_SELF)
    retired = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for pid in workers():
        fields = proc_fields(pid)
        if fields is not None:
            live += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    parent = own.ru_utime + own.ru_stime
    return parent, parent + retired.ru_utime + retired.ru_stime + live

settings = load_settings(isolated=True)
marks = []
peak = [0, 0.0]  # largest worker RSS sampled in the current block, time of the last sample
first = []
start = time.perf_counter()
cpu_start = cpu_now()[1]

def sample():
    for pid in workers():
        fields = proc_fields(pid)
        if fields is not None:
            peak[0] = max(peak[0], int(fields[21]) * PAGE)  # rss (pages)
    peak[1] = time.perf_counter()

def progress(done, total):
    if not first:  # the set-up before it (index, library facts, first file) is in block 1
        first.append(cpu_now()[1] - cpu_start)
    if done % 1000 == 0 or done == total:
        sample()
        parent, cpu = cpu_now()
        marks.append({"done": done, "wall": time.perf_counter() - start, "cpu": cpu - cpu_start,
                      "parent_cpu": parent, "worker_rss_mb": peak[0] / 2 ** 20,
                      "parent_rss_mb": int(open("/proc/self/statm").read().split()[1]) * PAGE / 2 ** 20})
        peak[0] = 0
    elif time.perf_counter() - peak[1] > 0.2:
        sample()

result = run([sys.argv[1]], settings, jobs=int(sys.argv[3]), cache=Cache(sys.argv[2], settings),
             progress=progress)
with open(sys.argv[4], "w", encoding="utf-8") as handle:
    json.dump({"wall": time.perf_counter() - start, "cpu": cpu_now()[1] - cpu_start, "marks": marks,
               "first_file_cpu": first[0] if first else None, "findings": len(result.findings)}, handle)
"""

_PARSE_ONE = r"""
import sys, time, libcst
data = open(sys.argv[1], "rb").read()
start = time.process_time()  # CPU: the steadier measure on a shared machine
libcst.parse_module(data)
print(time.process_time() - start)
"""

PROBE = '\n\nasync def async_concurlint_bench_probe() -> None:\n    """Appended by bench_incremental.py."""\n'


def _median(samples: List[Dict[str, float]]) -> Dict[str, float]:
    return {"wall": statistics.median(s["wall"] for s in samples),
            "cpu": statistics.median(s["cpu"] for s in samples),
            "rss_mb": max(s["rss"] for s in samples) / 2 ** 20, "runs": len(samples),
            "error": next((s["err"] for s in samples if s["rc"] not in (0, 1)), "")}


def _check(targets: Sequence[str], *extra: str) -> List[str]:
    return [PY, "-m", "concurlint", "check", "--isolated", "--exit-zero", "--output-format", "concise",
            *extra, *targets]


def _stats(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("cache: ")]
    return lines[-1] if lines else ""


def bench_tree(tree: str, edits: Sequence[str], work: str, jobs: int) -> Dict[str, object]:
    files = [os.path.abspath(f) for f in python_files(tree)]
    cwd = os.path.dirname(tree)  # every run from here: the same configuration root, the same cache keys
    cache_dir = os.path.join(work, "tree.cache")
    ruff = _venv_tool("ruff")
    ruff_cache = os.path.join(work, "ruff.cache")
    ruff_cmd = [ruff, "check", "--select", "ASYNC,RUF006", "--exit-zero", "--quiet", "--isolated",
                "--cache-dir", ruff_cache, tree] if ruff else []
    rows: Dict[str, Dict[str, float]] = {}
    notes: Dict[str, str] = {}

    def row(label: str, command: List[str]) -> Dict[str, float]:
        sample = measure(command, cwd)
        rows[label] = _median([sample])
        print(f"  {label:<58} {sample['wall']:8.2f} s", file=sys.stderr, flush=True)
        return sample

    out, cold = _cold_blocks(tree, cache_dir, jobs, work)
    rows[f"concurlint --jobs {jobs}, cache cold"] = _median([out])
    stats = ["--cache-stats", "--cache-dir", cache_dir, "--jobs", str(jobs)]
    label = "concurlint, cache warm (nothing changed)"
    notes[label] = _stats(row(label, _check([tree], *stats))["err"])
    if ruff:
        row("ruff check --select ASYNC,RUF006 --no-cache", [*ruff_cmd, "--no-cache"])
        row("ruff check, its cache warm", ruff_cmd)
    for module in edits:
        where = os.path.relpath(module, tree)
        original = open(module, "rb").read()
        try:
            with open(module, "ab") as handle:
                handle.write(PROBE.encode())
            label = f"concurlint after one new async def in {where}"
            sample = row(label, _check([tree], *stats))
            notes[label] = _stats(sample["err"])
            if ruff:
                row(f"ruff check after the same edit, its cache ({where})", ruff_cmd)
        finally:
            with open(module, "wb") as handle:
                handle.write(original)
        label = f"concurlint after undoing the edit of {where}"
        sample = row(label, _check([tree], *stats))
        notes[label] = _stats(sample["err"])
    return {"files": len(files), "lines": count_lines(files), "rows": rows, "notes": notes,
            "blocks": cold["marks"], "first_file_cpu": cold["first_file_cpu"], "jobs": jobs}


def _cold_blocks(tree: str, cache_dir: str, jobs: int, work: str) -> Tuple[Dict[str, float], Dict[str, object]]:
    """A cold run (empty cache) of ``tree`` with ``jobs`` workers: the process's numbers and
    its marks per block of 1,000 finished files (see ``_COLD_BLOCKS``)."""
    blocks_file = os.path.join(work, f"blocks-{jobs}.json")
    out = measure([PY, "-c", _COLD_BLOCKS, tree, cache_dir, str(jobs), blocks_file], os.path.dirname(tree))
    with open(blocks_file, encoding="utf-8") as handle:
        cold = json.load(handle)
    print(f"  cold, --jobs {jobs}: {out['wall']:.2f} s, {cold['cpu']:.1f} s CPU", file=sys.stderr, flush=True)
    return out, cold


def bench_pace(tree: str, jobs: int, work: str) -> List[Dict[str, object]]:
    """Only the pace of a cold run (a cache of its own), for another number of workers;
    then again with the results removed from that cache but the project index, its scan
    facts and the library facts kept: what is left of a slow first block is then the
    files themselves (and the workers' own start), not the one-time set-up."""
    cache_dir = os.path.join(work, f"pace-{jobs}.cache")
    runs = []
    for label in ("", ", index and library facts kept"):
        if label:
            for entry in glob.glob(os.path.join(cache_dir, "*", "??", "*.json")):
                os.unlink(entry)
        out, cold = _cold_blocks(tree, cache_dir, jobs, work)
        runs.append({"jobs": jobs, "label": label, "wall": out["wall"], "cpu": cold["cpu"],
                     "rss_mb": out["rss"] / 2 ** 20, "blocks": cold["marks"],
                     "first_file_cpu": cold["first_file_cpu"]})
    return runs


def pace_lines(run: Dict[str, object]) -> List[str]:
    """Per full block of 1,000 files: wall and CPU seconds, the largest worker RSS sampled."""
    out: List[str] = []
    blocks = []
    previous = {"done": 0, "wall": 0.0, "cpu": 0.0}
    for mark in run["blocks"]:  # type: ignore[union-attr]
        files = mark["done"] - previous["done"]
        if files >= 1000:  # the last, partial block is left out
            blocks.append((1000 * (mark["wall"] - previous["wall"]) / files,
                           1000 * (mark["cpu"] - previous["cpu"]) / files, mark["worker_rss_mb"],
                           mark["parent_rss_mb"]))
        previous = mark
    if not blocks:
        return out
    first_file = run.get("first_file_cpu")
    out.append(f"- cold run, --jobs {run['jobs']}{run.get('label', '')}, by block of 1,000 files: wall s "
               + ", ".join(f"{b[0]:.1f}" for b in blocks) + "; CPU s "
               + ", ".join(f"{b[1]:.1f}" for b in blocks) + "; worker RSS MB (largest sampled) "
               + ", ".join(f"{b[2]:.0f}" for b in blocks) + "; parent RSS MB "
               + ", ".join(f"{b[3]:.0f}" for b in blocks))
    cpu = [b[1] for b in blocks]
    later = cpu[1:] or cpu
    out.append(f"  CPU spread {100 * (max(cpu) - min(cpu)) / statistics.median(cpu):.0f} % of the median "
               f"(first {cpu[0]:.1f} s, last {cpu[-1]:.1f} s: {100 * (cpu[-1] - cpu[0]) / cpu[0]:+.0f} %); "
               f"without the first block {100 * (max(later) - min(later)) / statistics.median(later):.0f} %"
               + (f"; CPU until the first file finished (index, set-up): {first_file:.1f} s" if first_file else ""))
    return out


_FULL_PATH = "import sys; from concurlint.cli import main; sys.argv[0] = 'concurlint'; main()"


def bench_file(path: str, runs: int, work: str) -> Dict[str, object]:
    """The one-file rows. ``concurlint`` is the installed command (what pre-commit and
    users run: pip's launcher, then ``concurlint.fastpath``); "full path" runs the same
    check through ``cli.main`` directly, which never replays (the path before the replay
    records existed, with the cache warm). The replayed row's record was left by a run
    more than ``fastpath.RACY_NS`` after the file was last written (the file is proven
    unchanged by its stamp); the "hashed" row's right after (the file is hashed)."""
    cwd = os.path.dirname(os.path.abspath(path))
    cache_dir = os.path.join(work, "one.cache")
    script = _venv_tool("concurlint")
    launcher = [script] if script else [PY, "-m", "concurlint"]
    options = ["--isolated", "--exit-zero", "--output-format", "concise"]
    warm = [*launcher, "check", *options, "--cache-dir", cache_dir, path]
    commands = {
        "python -c pass (interpreter start-up)": [PY, "-c", "pass"],
        "python -c 'import re' (start-up of pip's console-script launcher)": [PY, "-c", "import re"],
    }
    if script:
        commands["pip's console-script launcher calling nothing"] = [PY, _idle_launcher(script, work)]
    commands.update({
        "concurlint check FILE, no cache": [*launcher, "check", *options, "--no-cache", path],
        "concurlint check FILE, cache warm (replayed)": warm,
        "concurlint check FILE, cache warm, full path (no replay)": [
            PY, "-c", _FULL_PATH, "check", *options, "--cache-dir", cache_dir, path],
    })
    ruff = _venv_tool("ruff")
    if ruff:
        commands["ruff check FILE, no cache"] = [ruff, "check", "--select", "ASYNC,RUF006", "--exit-zero",
                                                 "--quiet", "--isolated", "--no-cache", path]
        commands["ruff check FILE, its cache warm"] = [ruff, "check", "--select", "ASYNC,RUF006", "--exit-zero",
                                                       "--quiet", "--isolated", "--cache-dir",
                                                       os.path.join(work, "ruff-one.cache"), path]
    standalone = _venv_tool("flake8-async")
    if standalone:
        commands["flake8-async FILE"] = [standalone, path]
    with open(path, "rb") as handle:
        original = handle.read()
    written = os.stat(path).st_ctime
    measure(warm, cwd)  # fill the cache
    _record_when_old(warm, cwd, cache_dir, written)
    if ruff:
        measure(commands["ruff check FILE, its cache warm"], cwd)
    edited_label = "concurlint check FILE, just edited (cache on)"
    hashed_label = "concurlint check FILE, cache warm (replayed, file written just before its record: hashed)"
    samples: Dict[str, List[Dict[str, float]]] = {label: [] for label in [*commands, edited_label, hashed_label]}
    parses: List[float] = []
    replays: List[bool] = []
    for round_index in range(runs):
        replays.append(_replays(warm, cwd))
        for label, command in commands.items():
            if label == "flake8-async FILE" and round_index >= 3:
                continue  # seconds per run: three are enough for its median
            samples[label].append(measure(command, cwd))
        # what pre-commit sees: the file changed, the project around it did not
        try:
            with open(path, "ab") as handle:
                handle.write(b"\n# edited %d\n" % round_index)
            samples[edited_label].append(measure(warm, cwd))
        finally:
            with open(path, "wb") as handle:
                handle.write(original)
            written = time.time()
        measure(warm, cwd)  # answered by the cache: recorded again, the file just written
        replays.append(_replays(warm, cwd))
        samples[hashed_label].append(measure(warm, cwd))
        parses.append(float(_run_stdout([PY, "-c", _PARSE_ONE, path], cwd)))
        _record_when_old(warm, cwd, cache_dir, written)  # for the next round's replayed row
        if ruff:  # the file was rewritten: ruff's cache entry too, or its next "warm" row re-lints
            measure(commands["ruff check FILE, its cache warm"], cwd)
        print(f"  one file: round {round_index + 1} of {runs}", file=sys.stderr, flush=True)
    rows = {label: _median(taken) for label, taken in samples.items()}
    with open(path, "rb") as handle:
        size = len(handle.read())
    return {"file": path, "bytes": size, "parse": statistics.median(parses), "rows": rows,
            "command": launcher[0], "replayed": all(replays)}


def _idle_launcher(script: str, work: str) -> str:
    """A copy of pip's console script for concurlint that calls nothing: what every
    installed Python command pays before its own code runs."""
    with open(script, encoding="utf-8") as handle:
        text = handle.read()
    idle = os.path.join(work, "idle_launcher.py")
    with open(idle, "w", encoding="utf-8") as handle:
        handle.write(text.replace("from concurlint.fastpath import main", "def main():\n    return 0"))
    return idle


def _record_when_old(warm: List[str], cwd: str, cache_dir: str, written: float) -> None:
    """Leave a replay record made more than RACY_NS after the file was written: wait,
    drop the records, run once (answered by the cache, it records)."""
    from concurlint.fastpath import RACY_NS

    time.sleep(max(0.0, written + RACY_NS / 1e9 + 0.5 - time.time()))
    for record in glob.glob(os.path.join(cache_dir, "v*", "replay", "*.bin")):
        os.remove(record)
    measure(warm, cwd)


def _replays(warm: List[str], cwd: str) -> bool:
    """Whether ``warm`` is answered by its record (the command line module not imported)."""
    import subprocess

    interpreter = PY
    with open(warm[0], "rb") as handle:
        first = handle.readline()
    if first.startswith(b"#!"):  # the record holds the interpreter: the one the script names
        interpreter = first[2:].strip().decode()
    done = subprocess.run([interpreter, "-X", "importtime", *warm], cwd=cwd, capture_output=True)
    return b"concurlint.cli" not in done.stderr


def _run_stdout(command: List[str], cwd: str) -> str:
    import subprocess

    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, check=True, text=True).stdout.strip()


def report(tree: Dict[str, object], one: Dict[str, object], markdown: bool) -> str:
    out: List[str] = []

    def table(title: str, rows: Dict[str, Dict[str, float]], base: Optional[str], base_label: str) -> None:
        out.append(f"### {title}\n" if markdown else title)
        reference = rows[base]["wall"] if base else 0.0
        if markdown:
            out.append(f"| measurement | median s | CPU s | peak RSS MB | × {base_label} |")
            out.append("|---|---:|---:|---:|---:|")
        for label, r in rows.items():
            ratio = f"{r['wall'] / reference:.3f}" if reference else ""
            cpu = f"{r['cpu']:.3f}" if r["cpu"] < 1 else f"{r['cpu']:.1f}"
            cells = [label, f"{r['wall']:.2f}" if r["wall"] >= 0.1 else f"{r['wall']:.3f}", cpu,
                     f"{r['rss_mb']:.0f}", ratio]
            out.append("| " + " | ".join(cells) + " |" if markdown else "  ".join(cells))
        out.append("")

    if tree:
        rows = tree["rows"]  # type: ignore[index]
        cold_label = f"concurlint --jobs {tree['jobs']}, cache cold"
        table(f"tree: {tree['files']} files, {tree['lines']} lines", rows, cold_label, "cold")  # type: ignore[arg-type]
        for label, note in tree["notes"].items():  # type: ignore[union-attr]
            out.append(f"- {label}: {note}")
        out.extend(pace_lines(tree))
        for extra in tree.get("pace", []):  # type: ignore[union-attr]
            out.extend(pace_lines(extra))
        for label, r in rows.items():  # type: ignore[union-attr]
            if label.startswith("concurlint after"):
                cold_row = rows[cold_label]  # type: ignore[index]
                out.append(f"- {label}: {100 * r['wall'] / cold_row['wall']:.1f} % of the cold run "
                           f"({100 * r['cpu'] / cold_row['cpu']:.1f} % in CPU)")
        out.append("")
    if one:
        rows = one["rows"]  # type: ignore[index]
        table(f"one file: {one['file']} ({one['bytes']} bytes; its libcst parse alone {one['parse']:.3f} s CPU)",
              rows, "ruff check FILE, its cache warm" if "ruff check FILE, its cache warm" in rows else None,  # type: ignore[operator]
              "ruff (cache warm)")
        cold = rows["concurlint check FILE, no cache"]  # type: ignore[index]
        parse = float(one["parse"])  # type: ignore[arg-type]
        out.append(f"- cold minus the file's parse: {cold['wall'] - parse:.2f} s wall, "
                   f"{cold['cpu'] - parse:.2f} s CPU (goal: at most 0.5 s)")
        if not one.get("replayed", True):
            out.append("- WARNING: a replayed row took the full path at least once (see _replays)")
        ruff_warm = rows.get("ruff check FILE, its cache warm")  # type: ignore[union-attr]
        if ruff_warm:
            for label in ("pip's console-script launcher calling nothing",
                          "concurlint check FILE, cache warm (replayed)",
                          "concurlint check FILE, cache warm (replayed, file written just before its record: hashed)",
                          "concurlint check FILE, cache warm, full path (no replay)"):
                if label not in rows:  # type: ignore[operator]
                    continue
                out.append(f"- {label}: {rows[label]['wall'] / ruff_warm['wall']:.2f} x ruff's warm run "  # type: ignore[index]
                           "(goal: at most 2 x)")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", help="a big tree (e.g. home-assistant's homeassistant package)")
    parser.add_argument("--edit", action="append",
                        help="a module that gets a new async def, one at a time (repeatable; default: "
                             "TREE/util/dt.py, which has none yet, and TREE/helpers/entity_platform.py)")
    parser.add_argument("--file", help="the file of the one-file rows (default: TREE/core.py)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each one-file measurement (median)")
    parser.add_argument("--jobs", type=int, default=jobs_all(), help="workers of the tree runs")
    parser.add_argument("--pace-jobs", type=int, action="append", default=[],
                        help="also the pace of a cold run with this many workers (repeatable)")
    parser.add_argument("--skip-tree", action="store_true", help="only the one-file rows")
    parser.add_argument("--skip-file", action="store_true", help="only the tree rows")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", dest="json_file", help="also write the raw numbers here")
    args = parser.parse_args(argv)
    tree = os.path.abspath(args.tree)
    edits = args.edit or [os.path.join(tree, "util", "dt.py"), os.path.join(tree, "helpers", "entity_platform.py")]
    one_file = args.file or os.path.join(tree, "core.py")
    _compile_concurlint()
    print(f"Machine: {machine()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="concurlint-bench-inc-") as work:
        tree_data = {} if args.skip_tree else bench_tree(tree, edits, work, args.jobs)
        if tree_data:
            tree_data["pace"] = [run for jobs in args.pace_jobs for run in bench_pace(tree, jobs, work)]
        one_data = {} if args.skip_file else bench_file(one_file, args.runs, work)
    print(report(tree_data, one_data, args.markdown), flush=True)
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as handle:
            json.dump({"machine": machine(), "tree": tree_data, "one_file": one_data}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
