"""Benchmark concurlint against the parse floor and its peers, on the same files.

    python benchmarks/bench.py                       # the standard library
    python benchmarks/bench.py ~/src/django --runs 3 # the stdlib and another tree
    python benchmarks/bench.py --no-stdlib DIR --skip-flake8 --markdown
    python benchmarks/bench.py --sample 5 --runs 1    # every 5th stdlib file, with the flake8 peers

For every corpus, in one run on the same list of files:

- ``floor``: ``libcst.parse_module`` of every file in one process (nothing else);
- ``index``: ``build_project_index`` alone (the cross-module pass), in one process;
- ``in-process`` (with ``--in-process``): ``runner.run(files, settings)`` (the library
  default: no workers, no cache);
- ``jobs=1 cold``, ``jobs=N cold``: ``concurlint check --no-cache`` with one worker / all cores;
- ``jobs=N cache cold`` then ``warm`` (1 and N jobs): a fresh cache directory, then nothing changed;
- peers when installed: ``ruff check --select ASYNC,RUF006 --no-cache``, ``flake8-async``
  (its own runner: flake8-async checks only) and ``flake8 --select ASYNC -j 1``
  (flake8 still runs every installed plugin, pyflakes and pycodestyle included).

Each measurement runs in a fresh child process; the table shows the median
wall time over ``--runs`` (``--peer-runs`` for the slow flake8 peers), files/s,
lines/s, CPU seconds (user+sys of the process tree), peak RSS of the largest
single process of the tree (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` measured by a
small wrapper process) and the ratio to the floor. Then the goals of issue 9.
The runs are interleaved (run 1 of every measurement, then run 2...), so a drift in
the machine's speed affects every measurement alike.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

PY = sys.executable

# Runs a command and prints its wall time, CPU time and the peak RSS of its tree.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": peak,
                  "rc": proc.returncode, "err": proc.stderr.decode("utf-8", "replace")[-2000:]}))
"""

_FLOOR = r"""
import sys, libcst
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        with open(path, "rb") as handle:
            libcst.parse_module(handle.read())
    except Exception:
        pass
"""

_INDEX = r"""
import sys
from concurlint.runner import build_project_index
build_project_index(open(sys.argv[1], encoding="utf-8").read().splitlines())
"""

_IN_PROCESS = r"""
import sys
from concurlint.config import load_settings
from concurlint.runner import run
run(open(sys.argv[1], encoding="utf-8").read().splitlines(), load_settings(isolated=True))
"""


def python_files(root: str) -> List[str]:
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__", ".git")
                             and not d.startswith(".concurlint_cache"))
        found.extend(os.path.join(directory, f) for f in sorted(filenames) if f.endswith(".py"))
    return found


def count_lines(files: Sequence[str]) -> int:
    total = 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                total += handle.read().count(b"\n")
        except OSError:
            pass
    return total


def measure(command: List[str], cwd: str) -> Dict[str, float]:
    out = subprocess.run([PY, "-c", _WRAPPER, *command], cwd=cwd, stdout=subprocess.PIPE, check=True)
    return json.loads(out.stdout)


def concurlint(files_arg: List[str], *extra: str) -> List[str]:
    return [PY, "-m", "concurlint", "check", "--isolated", "--exit-zero", "--output-format", "concise",
            *extra, *files_arg]


def jobs_all() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def bench_corpus(name: str, files: List[str], runs: int, peer_runs: int, skip_flake8: bool,
                 work: str, in_process: bool = False) -> Dict[str, object]:
    lines = count_lines(files)
    listing = os.path.join(work, f"{name}.files")
    with open(listing, "w", encoding="utf-8") as handle:
        handle.write("\n".join(files))
    cache_dir = os.path.join(work, f"{name}.cache")
    n = jobs_all()
    rows: List[Tuple[str, List[str], int, Optional[str]]] = [
        ("floor: libcst.parse_module, 1 process", [PY, "-c", _FLOOR, listing], runs, None),
        ("index: build_project_index", [PY, "-c", _INDEX, listing], runs, None),
    ]
    if in_process:
        rows.append(("concurlint in-process (API)", [PY, "-c", _IN_PROCESS, listing], runs, None))
    rows += [
        ("concurlint --jobs 1, cold", concurlint(files, "--jobs", "1", "--no-cache"), runs, None),
        (f"concurlint --jobs {n}, cold", concurlint(files, "--jobs", str(n), "--no-cache"), runs, None),
        (f"concurlint --jobs {n}, cache cold", concurlint(files, "--jobs", str(n), "--cache-dir", cache_dir), 1,
         "fresh-cache"),
        ("concurlint --jobs 1, cache warm", concurlint(files, "--jobs", "1", "--cache-dir", cache_dir), runs,
         None),
        (f"concurlint --jobs {n}, cache warm", concurlint(files, "--jobs", str(n), "--cache-dir", cache_dir),
         runs, None),
    ]
    ruff = shutil.which("ruff") or _venv_tool("ruff")
    if ruff:
        rows.append(("ruff check --select ASYNC,RUF006 --no-cache",
                     [ruff, "check", "--select", "ASYNC,RUF006", "--no-cache", "--exit-zero", "--quiet",
                      "--isolated", *files], runs, None))
    if not skip_flake8:
        standalone = _venv_tool("flake8-async")
        if standalone:
            rows.append(("flake8-async (standalone, 1 process)", [standalone, *files], peer_runs, None))
        flake8 = _venv_tool("flake8")
        if flake8:
            rows.append(("flake8 --select ASYNC -j 1 (all plugins run)",
                         [flake8, "--select", "ASYNC", "-j", "1", "--exit-zero", *files], peer_runs, None))
    # Round-robin: run 1 of every row, then run 2 of every row... A drift in the
    # machine's speed (a shared VM here drifts by up to 1.7x within minutes) then
    # lands on every row alike instead of on whichever row ran during it.
    samples: Dict[str, List[Dict[str, float]]] = {label: [] for label, _c, _n, _s in rows}
    for round_index in range(max(max(1, count) for _l, _c, count, _s in rows)):
        for label, command, count, special in rows:
            if round_index >= max(1, count):
                continue
            if special == "fresh-cache":
                shutil.rmtree(cache_dir, ignore_errors=True)
            sample = measure(command, work)
            samples[label].append(sample)
            print(f"  {label:<48} {sample['wall']:8.2f} s  (run {round_index + 1})", file=sys.stderr, flush=True)
    results: Dict[str, Dict[str, float]] = {}
    for label, taken in samples.items():
        failed = [s for s in taken if s["rc"] not in (0, 1)]
        wall = statistics.median(s["wall"] for s in taken)
        results[label] = {
            "wall": wall, "cpu": statistics.median(s["cpu"] for s in taken),
            "rss_mb": max(s["rss"] for s in taken) / 2 ** 20, "runs": len(taken),
            "files_s": len(files) / wall if wall else 0.0, "lines_s": lines / wall if wall else 0.0,
            "error": failed[0]["err"] if failed else "",
        }
    return {"corpus": name, "files": len(files), "lines": lines, "jobs": n, "results": results}


def _venv_tool(name: str) -> Optional[str]:
    candidate = os.path.join(os.path.dirname(PY), name)
    return candidate if os.path.exists(candidate) else shutil.which(name)


def report(data: Dict[str, object], markdown: bool) -> str:
    results: Dict[str, Dict[str, float]] = data["results"]  # type: ignore[assignment]
    floor = results["floor: libcst.parse_module, 1 process"]["wall"]
    out = []
    title = f"{data['corpus']}: {data['files']} files, {data['lines']} lines"
    if markdown:
        out.append(f"### {title}\n")
        out.append("| measurement | runs | median s | files/s | lines/s | CPU s | peak RSS MB | × floor |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    else:
        out.append(title)
        out.append(f"{'measurement':<50}{'runs':>5}{'median s':>10}{'files/s':>9}{'lines/s':>10}"
                   f"{'CPU s':>9}{'RSS MB':>8}{'×floor':>8}")
    for label, r in results.items():
        cells = (label, r["runs"], f"{r['wall']:.2f}", f"{r['files_s']:.0f}", f"{r['lines_s']:.0f}",
                 f"{r['cpu']:.1f}", f"{r['rss_mb']:.0f}", f"{r['wall'] / floor:.3f}")
        if markdown:
            out.append("| " + " | ".join(str(c) for c in cells) + " |")
        else:
            out.append(f"{cells[0]:<50}{cells[1]:>5}{cells[2]:>10}{cells[3]:>9}{cells[4]:>10}"
                       f"{cells[5]:>9}{cells[6]:>8}{cells[7]:>8}")
        if r.get("error"):
            out.append(f"    (failed: {str(r['error']).strip().splitlines()[-1] if r['error'] else ''})")
    out.append("")
    out.extend(goals(data, markdown))
    return "\n".join(out) + "\n"


def goals(data: Dict[str, object], markdown: bool) -> List[str]:
    r: Dict[str, Dict[str, float]] = data["results"]  # type: ignore[assignment]
    n = data["jobs"]
    floor = r["floor: libcst.parse_module, 1 process"]["wall"]
    one = r["concurlint --jobs 1, cold"]["wall"]
    allc = r[f"concurlint --jobs {n}, cold"]["wall"]
    warm = r["concurlint --jobs 1, cache warm"]["wall"]
    index = r["index: build_project_index"]["wall"]
    peak = max(v["rss_mb"] for k, v in r.items() if k.startswith("concurlint --jobs"))
    lines = []

    def goal(text: str, value: str, ok: bool) -> None:
        mark = "met" if ok else "NOT met"
        lines.append(f"- {text}: {value} — {mark}" if markdown else f"  [{mark:>7}] {text}: {value}")

    cpu_floor = r["floor: libcst.parse_module, 1 process"]["cpu"]
    cpu_one = r["concurlint --jobs 1, cold"]["cpu"]
    goal("one-job cold ≤ 1.0 × floor", f"{one / floor:.2f} × wall, {cpu_one / cpu_floor:.2f} × CPU",
         one <= floor)
    goal(f"all cores ({n}) ≤ 0.65 × one-job", f"{allc / one:.2f} ×", allc <= 0.65 * one)
    goal("warm cache ≤ 5 % of cold one-job", f"{100 * warm / one:.1f} %", warm <= 0.05 * one)
    goal("peak memory per process ≤ 300 MB", f"{peak:.0f} MB", peak <= 300)
    goal("project index ≤ 10 % of one-job cold (measured alone, incl. start-up)",
         f"{100 * index / one:.1f} %", index <= 0.10 * one)
    peers = [k for k in r if k.startswith("flake8-async")]
    if peers:
        fa = r[peers[0]]["wall"]
        goal("one-job cold ≥ 20 × faster than flake8-async", f"{fa / one:.1f} ×", fa >= 20 * one)
    ruff = [k for k in r if k.startswith("ruff")]
    if ruff:
        rw = r[ruff[0]]["wall"]
        goal("warm cache faster than ruff --no-cache", f"{warm:.2f} s vs {rw:.2f} s", warm < rw)
    return lines


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import libcst

        libcst_version = getattr(libcst, "__version__", "") or _dist_version("libcst")
    except ImportError:
        libcst_version = "?"
    try:
        load = "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = ""
    return (f"{platform.system()} {platform.release()}, {jobs_all()} cores ({cpu}), Python "
            f"{platform.python_version()}, libcst {libcst_version}, concurlint {_dist_version('concurlint')}; "
            f"{load} at start")


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


def _compile_concurlint() -> None:
    """Byte-compile concurlint as pip does for an installed package. libcst and the
    peers come with their .pyc files; an editable install under
    PYTHONDONTWRITEBYTECODE (set on our CI machines) would otherwise recompile
    concurlint's modules in every measured process (~0.1-0.3 s each)."""
    import compileall

    import concurlint

    compileall.compile_dir(os.path.dirname(concurlint.__file__), quiet=1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="more directories to benchmark")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--peer-runs", type=int, default=1, help="runs of the slow flake8 peers")
    parser.add_argument("--no-stdlib", action="store_true", help="skip the standard library corpus")
    parser.add_argument("--skip-flake8", action="store_true", help="skip the flake8 peers (slow)")
    parser.add_argument("--in-process", action="store_true",
                        help="also measure runner.run() in-process (no workers, no cache)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files of each corpus")
    parser.add_argument("--sample", type=int, default=1, metavar="K",
                        help="only every K-th file of each corpus (a spread-out sample, e.g. for "
                             "the slow flake8 peers on the whole stdlib)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--json", dest="json_file", help="also write the raw numbers here")
    parser.add_argument("--from-json", help="only print the report of a previous --json file")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as handle:
            saved = json.load(handle)
        print(f"Machine: {saved['machine']}\n")
        for data in saved["corpora"]:
            print(report(data, args.markdown))
        return 0
    _compile_concurlint()
    corpora = [] if args.no_stdlib else [("stdlib", sysconfig.get_paths()["stdlib"])]
    corpora += [(os.path.basename(os.path.abspath(p)) or p, p) for p in args.paths]
    print(f"Machine: {machine()}\n", flush=True)
    everything = []
    with tempfile.TemporaryDirectory(prefix="concurlint-bench-") as work:
        for name, root in corpora:
            files = [os.path.abspath(f) for f in python_files(root)]
            if args.sample > 1:
                files = files[:: args.sample]
                name = f"{name}, every {args.sample}th file"
            if args.limit:
                files = files[: args.limit]
            print(f"{name} ({root}): {len(files)} files", file=sys.stderr, flush=True)
            started = time.perf_counter()
            data = bench_corpus(name, files, args.runs, args.peer_runs, args.skip_flake8, work,
                                args.in_process)
            data["seconds"] = time.perf_counter() - started
            everything.append(data)
            print(report(data, args.markdown), flush=True)
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as handle:
            json.dump({"machine": machine(), "corpora": everything}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
