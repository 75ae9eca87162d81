"""The ecosystem check: concurlint on pinned real projects, scored against a ledger of
reviewed findings.

    python benchmarks/ecosystem/ecosystem.py fetch              # download and unpack the projects
    python benchmarks/ecosystem/ecosystem.py check              # findings per rule and project, precision
    python benchmarks/ecosystem/ecosystem.py check --unreviewed # ... and list what the ledger lacks
    python benchmarks/ecosystem/ecosystem.py diff --base HEAD~3 # what a change adds and removes
    python benchmarks/ecosystem/ecosystem.py export --code CCY602 --sample 60 --out review.jsonl
    python benchmarks/ecosystem/ecosystem.py record verdicts.jsonl   # merge reviewed verdicts
    python benchmarks/ecosystem/ecosystem.py check --write-docs docs/precision.md

The projects (``projects.toml``) are released wheels fetched with ``pip download --no-deps``
into ``.cache/`` beside this file (ignored by git; never needed by ``.ci/run``).
Every run checks each project twice: with every rule (``--preset all``, the alias of
``strict`` that every revision knows) and with the default preset. A finding belongs to
the default set when the default run reports it too (a rule's default form may leave
test or command-line code out).

The ledger (``ledger.jsonl``) holds one reviewed finding per line: project, version, path,
line, column, code, ``hash`` (of the flagged source line, so a verdict follows its line
when the project's version moves), ``verdict`` (``real``: the message's claim holds and
a maintainer would change the code; ``wrong``: the claim is false for that code;
``intended``: the claim holds but the code is deliberate or harmless) and ``reason``.

A revision other than the working tree (``--rev``, ``--base``) is checked out with
``git worktree`` into a temporary folder and run from there; results are cached by
the content of the revision's ``src/concurlint`` and the project, so re-running a
comparison only checks what changed.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - concurlint depends on tomli there
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = HERE / ".cache"
PROJECTS_FILE = HERE / "projects.toml"
LEDGER_FILE = HERE / "ledger.jsonl"
VERDICTS = ("real", "wrong", "intended")
# Admission bar of the default set (catalog revision 2).
MAX_WRONG = 0.05
MIN_REAL = 0.75
MIN_SAMPLE = 20


class EcosystemError(Exception):
    """A problem to report in one line (exit 2)."""


# --------------------------------------------------------------------------- projects
@dataclass(frozen=True)
class Project:
    name: str
    version: str

    @property
    def key(self) -> str:
        return self.name

    @property
    def source_dir(self) -> Path:
        return CACHE / "src" / f"{self.name}-{self.version}"


def load_projects(only: Optional[Sequence[str]] = None) -> List[Project]:
    with open(PROJECTS_FILE, "rb") as handle:
        data = tomllib.load(handle)
    projects = [Project(str(p["name"]), str(p["version"])) for p in data.get("project", [])]
    if only:
        known = {p.name for p in projects}
        unknown = sorted(set(only) - known)
        if unknown:
            raise EcosystemError(f"unknown project(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        projects = [p for p in projects if p.name in only]
    return projects


def fetch(project: Project, quiet: bool = False) -> Path:
    """Download the project's wheel (or sdist) and unpack its Python files once."""
    target = project.source_dir
    if (target / ".complete").exists():
        return target
    downloads = CACHE / "dist" / f"{project.name}-{project.version}"
    downloads.mkdir(parents=True, exist_ok=True)
    if not any(downloads.iterdir()):
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--disable-pip-version-check", "--dest", str(downloads),
                   f"{project.name}=={project.version}"]
        if not quiet:
            print(f"fetching {project.name} {project.version}", file=sys.stderr)
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            shutil.rmtree(downloads, ignore_errors=True)
            last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise EcosystemError(f"cannot download {project.name}=={project.version}: {last}")
    archives = sorted(downloads.iterdir())
    if not archives:
        raise EcosystemError(f"nothing downloaded for {project.name}=={project.version}")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _unpack(archives[0], partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    (target / ".complete").write_text(archives[0].name + "\n", encoding="utf-8")
    return target


def _unpack(archive: Path, target: Path) -> None:
    """Only the ``.py`` files; sdists lose their top folder so paths match the wheel's."""
    def wanted(name: str) -> bool:
        return name.endswith(".py") and ".dist-info/" not in name and ".egg-info/" not in name

    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if wanted(info.filename) and not _unsafe(info.filename):
                    zipped.extract(info, target)
        return
    with tarfile.open(archive) as tarred:
        for member in tarred.getmembers():
            name = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if member.isfile() and wanted(name) and not _unsafe(name):
                out = target / name
                out.parent.mkdir(parents=True, exist_ok=True)
                extracted = tarred.extractfile(member)
                if extracted is not None:
                    out.write_bytes(extracted.read())


def _unsafe(name: str) -> bool:
    return name.startswith("/") or ".." in Path(name).parts


# --------------------------------------------------------------------------- revisions
class Revision:
    """Where the concurlint under test lives: the working tree or a git revision."""

    def __init__(self, rev: Optional[str]):
        self.rev = rev
        self._tmp: Optional[str] = None
        if rev is None:
            self.src = REPO / "src"
            self.label = "working tree"
        else:
            commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}").strip()
            self._tmp = tempfile.mkdtemp(prefix="concurlint-eco-")
            _git("worktree", "add", "--detach", "--force", self._tmp, commit)
            self.src = Path(self._tmp) / "src"
            self.label = f"{rev} ({commit[:10]})"
        self.fingerprint = _tree_fingerprint(self.src / "concurlint")

    def close(self) -> None:
        if self._tmp is not None:
            _git("worktree", "remove", "--force", self._tmp)
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "Revision":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def command(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "concurlint", *args]

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.src) + os.pathsep + env.get("PYTHONPATH", "")
        env.pop("CONCURLINT_LANG", None)
        env["LC_ALL"] = env["LANG"] = "C.UTF-8"
        return env

    def rules(self) -> List[dict]:
        done = subprocess.run(self.command("rules", "--output-format", "json"), env=self.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise EcosystemError(f"'concurlint rules' failed at {self.label}: {done.stderr.strip()[-300:]}")
        return json.loads(done.stdout)

    def check(self, project: Project, jobs: Optional[int], preset: str = "all") -> List[dict]:
        """The findings of ``preset`` on one project (cached by revision content)."""
        cached = CACHE / "results" / self.fingerprint / f"{project.name}-{project.version}-{preset}.json"
        if cached.exists():
            return json.loads(cached.read_text(encoding="utf-8"))
        source = fetch(project)
        args = ["check", "--isolated", "--no-cache", "--exit-zero", "--preset", preset,
                "--output-format", "json"]
        if jobs:
            args += ["--jobs", str(jobs)]
        done = subprocess.run(self.command(*args, "."), cwd=source, env=self.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise EcosystemError(f"concurlint failed on {project.name} at {self.label} "
                                 f"(exit {done.returncode}): {done.stderr.strip()[-500:]}")
        findings = [_finding(project, source, item) for item in json.loads(done.stdout)["findings"]]
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(findings), encoding="utf-8")
        tmp.replace(cached)
        return findings


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise EcosystemError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _tree_fingerprint(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def line_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:10]


_LINES: Dict[Path, List[str]] = {}


def source_lines(path: Path) -> List[str]:
    lines = _LINES.get(path)
    if lines is None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        _LINES[path] = lines
    return lines


def _finding(project: Project, source: Path, item: dict) -> dict:
    path = item["path"].replace(os.sep, "/")
    if path.startswith("./"):
        path = path[2:]
    lines = source_lines(source / path)
    line = int(item.get("line") or 0)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return {"project": project.name, "version": project.version, "path": path, "line": line,
            "column": int(item.get("column") or 0), "code": item["code"],
            "hash": line_hash(text), "message": item.get("message", "")}


# --------------------------------------------------------------------------- ledger
def load_ledger(path: Optional[Path] = None) -> List[dict]:
    path = path or LEDGER_FILE
    if not path.exists():
        return []
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as error:
            raise EcosystemError(f"{path.name}:{number}: not JSON ({error.msg})") from None
        problem = _ledger_problem(entry)
        if problem:
            raise EcosystemError(f"{path.name}:{number}: {problem}")
        entries.append(entry)
    return entries


_LEDGER_FIELDS = ("project", "version", "path", "line", "column", "code", "hash", "verdict", "reason")


def _ledger_problem(entry: object) -> Optional[str]:
    if not isinstance(entry, dict):
        return "each line must be a JSON object"
    missing = [f for f in _LEDGER_FIELDS if f not in entry]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    if entry["verdict"] not in VERDICTS:
        return f"verdict must be one of {', '.join(VERDICTS)}, not {entry['verdict']!r}"
    if not str(entry["reason"]).strip():
        return "every verdict needs a one-line reason"
    return None


def _entry_key(entry: dict) -> Tuple[str, str, str, str]:
    return (entry["project"], entry["path"], entry["code"], entry["hash"])


class Ledger:
    """Matches findings to reviewed entries: same project, file, code and line text;
    the nearest line wins when the text occurs more than once."""

    def __init__(self, entries: Sequence[dict]):
        self.entries = list(entries)
        self._by_key: Dict[Tuple[str, str, str, str], List[dict]] = collections.defaultdict(list)
        for entry in self.entries:
            self._by_key[_entry_key(entry)].append(entry)

    def match(self, findings: Sequence[dict]) -> List[Optional[dict]]:
        used: set = set()
        result: List[Optional[dict]] = []
        for finding in findings:
            candidates = [e for e in self._by_key.get(_entry_key(finding), ()) if id(e) not in used]
            if not candidates:
                result.append(None)
                continue
            best = min(candidates, key=lambda e: (abs(int(e["line"]) - finding["line"]),
                                                  abs(int(e["column"]) - finding["column"])))
            used.add(id(best))
            result.append(best)
        return result


def write_ledger(entries: Sequence[dict], path: Optional[Path] = None) -> None:
    path = path or LEDGER_FILE
    ordered = sorted(entries, key=lambda e: (e["project"], e["path"], int(e["line"]), int(e["column"]), e["code"]))
    text = "".join(json.dumps({k: e[k] for k in _LEDGER_FIELDS}, ensure_ascii=False) + "\n" for e in ordered)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------- running
def run_all(revision: Revision, projects: Sequence[Project], jobs: Optional[int],
            quiet: bool = False) -> List[dict]:
    findings: List[dict] = []
    for project in projects:
        if not quiet:
            print(f"  {revision.label}: {project.name} {project.version}", file=sys.stderr)
        default = collections.Counter(_place(f) for f in revision.check(project, jobs, "default"))
        for finding in revision.check(project, jobs):
            finding["default"] = default[_place(finding)] > 0
            default[_place(finding)] -= 1
            findings.append(finding)
    return findings


def _place(finding: dict) -> Tuple:
    return (finding["project"], finding["path"], finding["line"], finding["column"], finding["code"])


@dataclass
class RuleScore:
    code: str
    findings: int = 0
    real: int = 0
    wrong: int = 0
    intended: int = 0

    @property
    def reviewed(self) -> int:
        return self.real + self.wrong + self.intended

    @property
    def unreviewed(self) -> int:
        return self.findings - self.reviewed

    def share(self, count: int) -> Optional[float]:
        return count / self.reviewed if self.reviewed else None

    @property
    def admitted(self) -> Optional[bool]:
        """The admission bar; None when nothing reviewed."""
        if not self.reviewed:
            return None
        return (self.wrong <= MAX_WRONG * self.reviewed) and (self.real >= MIN_REAL * self.reviewed)

    def add(self, other: "RuleScore") -> None:
        for name in ("findings", "real", "wrong", "intended"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Scores:
    """Per rule: what the default preset reports (its default form), and every finding."""
    default: Dict[str, RuleScore]
    strict: Dict[str, RuleScore]

    def total(self, which: str) -> RuleScore:
        total = RuleScore("all")
        for rule in getattr(self, which).values():
            total.add(rule)
        return total


def score(findings: Sequence[dict], verdicts: Sequence[Optional[dict]]) -> Scores:
    scores = Scores({}, {})
    for finding, verdict in zip(findings, verdicts):
        tables = [scores.strict] + ([scores.default] if finding["default"] else [])
        for table in tables:
            entry = table.setdefault(finding["code"], RuleScore(finding["code"]))
            entry.findings += 1
            if verdict is not None:
                setattr(entry, verdict["verdict"], getattr(entry, verdict["verdict"]) + 1)
    return scores


def _percent(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def print_projects(findings: Sequence[dict], projects: Sequence[Project]) -> None:
    per: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    per_default: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for finding in findings:
        per[finding["project"]][finding["code"]] += 1
        if finding["default"]:
            per_default[finding["project"]][finding["code"]] += 1
    print("Findings per project (default set | every rule; the rules not in the default set in brackets):")
    for project in projects:
        counts = per_default[project.name]
        others = per[project.name] - counts
        detail = ", ".join(f"{code}x{n}" for code, n in sorted(counts.items())) or "-"
        if others:
            detail += " (" + ", ".join(f"{code}x{n}" for code, n in sorted(others.items())) + ")"
        print(f"  {project.name:<15} {project.version:<10} {sum(counts.values()):>4} | "
              f"{sum(per[project.name].values()):>4}   {detail}")
    total_default = sum(sum(c.values()) for c in per_default.values())
    print(f"  {'total':<26} {total_default:>4} | {len(findings):>4}")


def print_scores(scores: Scores, rules: Sequence[dict]) -> None:
    print()
    print("Per rule (verdicts from the ledger). Default set: what the default preset reports, "
          "judged by the admission bar; every rule: --preset strict.")
    print(f"  {'rule':<7} {'group':<11} | {'found':>5} {'reviewed':>8} {'real':>4} {'wrong':>5} "
          f"{'intended':>8} {'real %':>6} {'wrong %':>7} {'admission':<9} | {'found':>5} {'reviewed':>8} "
          f"{'real %':>6} {'wrong %':>7}")
    for rule in rules:
        code = rule["code"]
        if code.startswith("CCY0"):
            continue
        d = scores.default.get(code, RuleScore(code))
        s = scores.strict.get(code, RuleScore(code))
        if not s.findings:
            continue
        admission = {None: "-", True: "pass", False: "FAIL"}[d.admitted] if rule.get("default_on") else ""
        print(f"  {code:<7} {rule.get('group', '?'):<11} | {d.findings:>5} {d.reviewed:>8} {d.real:>4} "
              f"{d.wrong:>5} {d.intended:>8} {_percent(d.share(d.real)):>6} {_percent(d.share(d.wrong)):>7} "
              f"{admission:<9} | {s.findings:>5} {s.reviewed:>8} {_percent(s.share(s.real)):>6} "
              f"{_percent(s.share(s.wrong)):>7}")
    for which, title in (("default", "default set"), ("strict", "every rule")):
        total = scores.total(which)
        print(f"  {title}: {total.findings} findings, {total.reviewed} reviewed: "
              f"{_percent(total.share(total.real))} real, {_percent(total.share(total.wrong))} wrong")


def _describe(finding: dict, verdict: Optional[dict] = None) -> str:
    text = f"{finding['project']}/{finding['path']}:{finding['line']}:{finding['column']}: {finding['code']} {finding['message']}"
    if verdict is not None:
        text += f"  [{verdict['verdict']}: {verdict['reason']}]"
    return text


# --------------------------------------------------------------------------- commands
def cmd_fetch(args: argparse.Namespace) -> int:
    for project in load_projects(args.projects):
        path = fetch(project)
        count = sum(1 for _ in path.rglob("*.py"))
        print(f"{project.name:<15} {project.version:<10} {count:>5} files  {path}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    projects = load_projects(args.projects)
    ledger = Ledger(load_ledger())
    with Revision(args.rev) as revision:
        findings = run_all(revision, projects, args.jobs, args.quiet)
        rules = revision.rules()
    verdicts = ledger.match(findings)
    scores = score(findings, verdicts)
    print(f"concurlint at {revision.label} on {len(projects)} projects")
    print_projects(findings, projects)
    print_scores(scores, rules)
    matched = {id(v) for v in verdicts if v is not None}
    pinned = {(p.name, p.version) for p in projects}
    lost = [e for e in ledger.entries if e["verdict"] == "real" and id(e) not in matched
            and (e["project"], e["version"]) in pinned]
    lines = {(f["project"], f["path"], f["line"]): f["code"] for f in findings}
    moved = [e for e in lost if (e["project"], e["path"], e["line"]) in lines]
    lost = [e for e in lost if e not in moved]
    print(f"\nReal pitfalls of the ledger reported on the same line by another rule now: {len(moved)}")
    for entry in moved:
        now = lines[(entry["project"], entry["path"], entry["line"])]
        print(f"  {entry['project']}/{entry['path']}:{entry['line']}: {entry['code']} -> {now}")
    print(f"Real pitfalls of the ledger no longer reported by any rule (--preset strict): {len(lost)}")
    for entry in lost:
        print(f"  {entry['project']}/{entry['path']}:{entry['line']}: {entry['code']}  [{entry['reason']}]")
    missing = [(f, v) for f, v in zip(findings, verdicts) if v is None and (f["default"] or args.strict)]
    print(f"\nNot yet reviewed ({'every rule' if args.strict else 'default set'}): {len(missing)}")
    if args.unreviewed:
        for finding, _ in missing:
            print("  " + _describe(finding))
    if args.write_docs:
        write_docs(Path(args.write_docs), projects, rules, scores, len(ledger.entries))
        print(f"\nwrote {args.write_docs}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    projects = load_projects(args.projects)
    ledger = Ledger(load_ledger())
    with Revision(args.base) as base:
        before = run_all(base, projects, args.jobs, args.quiet)
    with Revision(args.head) as head:
        after = run_all(head, projects, args.jobs, args.quiet)
    key = _place
    old = collections.Counter(key(f) for f in before)
    new = collections.Counter(key(f) for f in after)
    removed = [f for f in before if _take(old, new, key(f))]
    old = collections.Counter(key(f) for f in before)
    new = collections.Counter(key(f) for f in after)
    added = [f for f in after if _take(new, old, key(f))]
    scope = "every rule" if args.strict else "default set"
    def in_scope(f: dict) -> bool:
        return args.strict or f["default"]
    # a finding that only moves between the sets is a change too
    moved_in = [f for f in after if f["default"] and not args.strict
                and any(key(b) == key(f) and not b["default"] for b in before)]
    moved_out = [f for f in before if f["default"] and not args.strict
                 and any(key(a) == key(f) and not a["default"] for a in after)]
    print(f"{base.label} -> {head.label}, {len(projects)} projects, {scope}")
    for title, items in (("removed", [f for f in removed if in_scope(f)] + moved_out),
                         ("added", [f for f in added if in_scope(f)] + moved_in)):
        verdicts = ledger.match(items)
        per_rule: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for finding, verdict in zip(items, verdicts):
            per_rule[finding["code"]][verdict["verdict"] if verdict else "unreviewed"] += 1
        print(f"\n{title}: {len(items)}")
        for code, counts in sorted(per_rule.items()):
            detail = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
            print(f"  {code}: {sum(counts.values())} ({detail})")
        if not args.summary:
            for finding, verdict in zip(items, verdicts):
                print("    " + _describe(finding, verdict))
    return 0


def _take(mine: collections.Counter, other: collections.Counter, key: Tuple) -> bool:
    """True for the copies of ``key`` that ``other`` does not have."""
    if other[key] > 0:
        other[key] -= 1
        return False
    return True


def cmd_export(args: argparse.Namespace) -> int:
    projects = load_projects(args.projects)
    ledger = Ledger(load_ledger())
    with Revision(args.rev) as revision:
        findings = run_all(revision, projects, args.jobs, quiet=True)
    codes = set(args.code or ())
    chosen = [f for f in findings if (not codes or f["code"] in codes)]
    if not args.all:
        chosen = [f for f, v in zip(chosen, ledger.match(chosen)) if v is None]
    chosen.sort(key=lambda f: (f["code"], f["project"], f["path"], f["line"], f["column"]))
    if args.sample and len(chosen) > args.sample:
        chosen = sorted(random.Random(args.seed).sample(chosen, args.sample),
                        key=lambda f: (f["code"], f["project"], f["path"], f["line"]))
    project_dirs = {p.name: p.source_dir for p in projects}
    out: List[str] = []
    for finding in chosen:
        source = project_dirs[finding["project"]]
        lines = source_lines(source / finding["path"])
        start, end = max(1, finding["line"] - args.context), min(len(lines), finding["line"] + args.context)
        item = dict(finding)
        item["file"] = str(source / finding["path"])
        item["project_dir"] = str(source)
        item["context"] = "\n".join(f"{n:>5}{'>' if n == finding['line'] else ' '} {lines[n - 1]}"
                                    for n in range(start, end + 1))
        out.append(json.dumps(item, ensure_ascii=False))
    text = "".join(line + "\n" for line in out)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(out)} findings to {args.out}", file=sys.stderr)
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    entries = load_ledger()
    index = {(_entry_key(e), int(e["line"]), int(e["column"])): e for e in entries}
    added = replaced = 0
    for name in args.files:
        for number, raw in enumerate(Path(name).read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError as error:
                raise EcosystemError(f"{name}:{number}: not JSON ({error.msg})") from None
            problem = _ledger_problem(entry)
            if problem:
                raise EcosystemError(f"{name}:{number}: {problem}")
            entry = {k: entry[k] for k in _LEDGER_FIELDS}
            entry["reason"] = " ".join(str(entry["reason"]).split())
            key = (_entry_key(entry), int(entry["line"]), int(entry["column"]))
            if key in index:
                replaced += 1
            else:
                added += 1
            index[key] = entry
    write_ledger(list(index.values()))
    print(f"ledger: {added} added, {replaced} replaced, {len(index)} in all")
    return 0


# --------------------------------------------------------------------------- docs
def write_docs(path: Path, projects: Sequence[Project], rules: Sequence[dict], scores: Scores,
               ledger_size: int) -> None:
    """The published precision page, from one run and the ledger."""
    from textwrap import dedent
    rows = []
    for rule in rules:
        code = rule["code"]
        if code.startswith("CCY0"):
            continue
        d = scores.default.get(code, RuleScore(code))
        s = scores.strict.get(code, RuleScore(code))
        group = rule.get("group", "on" if rule.get("default_on") else "off")
        if rule.get("default_on"):
            bar = {None: "no findings", True: "passes", False: "fails"}[d.admitted]
            default_cells = (f"{d.findings} | {d.reviewed} | {d.real} | {d.wrong} | {d.intended} | "
                             f"{_percent(d.share(d.real))} | {_percent(d.share(d.wrong))} | {bar}")
        else:
            default_cells = "— | — | — | — | — | — | — | not in the default set"
        rows.append(f"| [{code}](rules/{code}.md) | {rule['name']} | {group} | {default_cells} | "
                    f"{s.findings} | {s.reviewed} | {s.real} | {s.wrong} | {s.intended} | "
                    f"{_percent(s.share(s.real))} | {_percent(s.share(s.wrong))} |")
    default, strict = scores.total("default"), scores.total("strict")
    project_list = ", ".join(f"{p.name} {p.version}" for p in projects)
    text = dedent(f"""\
        # Precision on real code

        <!-- generated by `python benchmarks/ecosystem/ecosystem.py check --write-docs docs/precision.md`; do not edit -->

        How often is a finding right? This page answers per rule, measured on released open-source
        projects rather than on our own examples. Every rule ran over the {len(projects)} projects
        below; each finding was then reviewed the way a skeptical maintainer of that project
        would: **real** (the message's claim holds and the maintainer would change the code),
        **wrong** (the claim is false for that code) or **intended** (true, but deliberate or
        harmless there). The verdicts, each with a one-line reason, are the ledger
        `benchmarks/ecosystem/ledger.jsonl` ({ledger_size} reviewed findings, including those of
        earlier revisions of the rules that no longer report them).

        A rule belongs to the default set (groups `correctness` and `suspicious`) only when, over
        the reviewed findings of its default form, at most {MAX_WRONG:.0%} are wrong and at least
        {MIN_REAL:.0%} are real; the rest is `advice`, enabled by `--preset strict` or `--preset learn`.
        A default form may be narrower than the rule: the blocking-call and robustness rules leave
        test code out, CCY103 leaves out tasks running the project's own coroutines, CCY602
        catch-alls, CCY403 thread producers; `strict` and `learn` report every finding.

        **Default set: {default.findings} findings on these projects, {default.reviewed} reviewed,
        {_percent(default.share(default.real))} real, {_percent(default.share(default.wrong))} wrong.**
        Every rule (`--preset strict`): {strict.findings} findings, {strict.reviewed} reviewed,
        {_percent(strict.share(strict.real))} real, {_percent(strict.share(strict.wrong))} wrong.

        | rule | name | group | default: findings | reviewed | real | wrong | intended | real % | wrong % | admission | strict: findings | reviewed | real | wrong | intended | real % | wrong % |
        |---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|
        """) + "\n".join(rows) + dedent(f"""

        A rule with no findings on these projects has no measured precision: it stays in its
        group on the strength of what it matches (for `correctness`, code that fails whenever
        the pattern runs), and each rule's page says why it is in its group. Before a rule's
        group was settled, its default findings were also reviewed out of sample, on the
        standard library and the packages installed beside it: that review moved CCY305 and
        CCY501 to `advice` (3 of 13 and 2 of 47 real there) and narrowed CCY602, CCY403, CCY309
        and CCY310; those verdicts are not in the ledger, whose projects are the list below.

        ## Projects

        {project_list}.

        ## Re-running the check

        ```console
        python benchmarks/ecosystem/ecosystem.py fetch           # download the pinned wheels once
        python benchmarks/ecosystem/ecosystem.py check           # findings per project and rule, precision
        python benchmarks/ecosystem/ecosystem.py check --strict --unreviewed
        python benchmarks/ecosystem/ecosystem.py diff --base origin/main   # what a change adds and removes
        ```

        A change to a rule shows its added and removed findings with `diff` before it lands; a
        finding the ledger does not know yet is listed by `check --unreviewed`, reviewed, and
        recorded with `ecosystem.py record`.
        """)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------- main
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--projects", type=lambda s: [x for x in s.split(",") if x],
                       help="comma-separated project names (default: all)")
        p.add_argument("--jobs", type=int, help="--jobs for concurlint")
        p.add_argument("--quiet", action="store_true", help="no progress on stderr")

    p = sub.add_parser("fetch", help="download and unpack the pinned projects")
    common(p)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("check", help="run, print findings per project and rule, score against the ledger")
    common(p)
    p.add_argument("--rev", help="a git revision to check (default: the working tree)")
    p.add_argument("--unreviewed", action="store_true", help="list the findings the ledger lacks")
    p.add_argument("--strict", action="store_true", help="count unreviewed findings of every rule")
    p.add_argument("--write-docs", metavar="FILE", help="write the precision page")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("diff", help="what a change adds and removes on the projects")
    common(p)
    p.add_argument("--base", required=True, help="the revision to compare against")
    p.add_argument("--head", help="the new revision (default: the working tree)")
    p.add_argument("--strict", action="store_true", help="every rule, not only the default set")
    p.add_argument("--summary", action="store_true", help="counts only")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("export", help="findings with context, for review")
    common(p)
    p.add_argument("--rev")
    p.add_argument("--code", action="append", help="only this rule (repeatable)")
    p.add_argument("--all", action="store_true", help="reviewed findings too")
    p.add_argument("--sample", type=int, help="a random sample of this size")
    p.add_argument("--seed", type=int, default=20261204)
    p.add_argument("--context", type=int, default=12, help="lines of context each side")
    p.add_argument("--out", default="-")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("record", help="merge reviewed verdicts (JSON lines) into the ledger")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_record)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except EcosystemError as error:
        print(f"ecosystem: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
