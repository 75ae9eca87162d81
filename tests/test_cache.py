"""The result cache: keys, corrupt entries, concurrent runs, pruning."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from concurlint.cache import Cache, content_hash
from concurlint.config import load_settings
from concurlint.findings import Edit, Finding, Fix, Position, Text
from concurlint.runner import run

CODE = "import time\n\nasync def handler():\n    time.sleep(1)\n"


def write_tree(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text)


def entries(directory: Path) -> List[Path]:
    return [p for p in directory.rglob("*.json")]


def keys(result) -> List[tuple]:
    return [(f.path, f.line, f.column, f.code, f.message.en, f.fix) for f in result.findings]


def test_findings_round_trip_with_fixes(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path / "c"), load_settings(isolated=True))
    fix = Fix(Text("Replace", "替换"), True, (Edit(Position(4, 5), Position(4, 18), "await asyncio.sleep(1)"),))
    finding = Finding("x.py", "CCY201", Text("blocks", "阻塞"), Position(4, 5), Position(4, 18), fix)
    key = cache.key("x.py", ("x", False), content_hash(b"abc"))
    cache.put(key, [finding], [])
    found = cache.get(key, "x.py")
    assert found is not None
    assert found[0] == [finding]
    assert found[0][0].fix.edits == fix.edits


def test_key_depends_on_content_config_path_and_project(tmp_path: Path) -> None:
    default = Cache(str(tmp_path / "c"), load_settings(isolated=True))
    other = Cache(str(tmp_path / "c"), load_settings(isolated=True, overrides={"select": ["CCY2"]}))
    base = default.key("a.py", ("a", False), content_hash(b"x"), "p1")
    assert base == default.key("a.py", ("a", False), content_hash(b"x"), "p1")
    assert base != default.key("a.py", ("a", False), content_hash(b"y"), "p1")
    assert base != default.key("b.py", ("b", False), content_hash(b"x"), "p1")
    assert base != default.key("a.py", ("a", False), content_hash(b"x"), "p2")
    assert base != other.key("a.py", ("a", False), content_hash(b"x"), "p1")


def test_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CODE)
    settings = load_settings(isolated=True)
    first = keys(run([str(tmp_path / "a.py")], settings, cache=Cache(str(tmp_path / "c"), settings)))
    [entry] = entries(tmp_path / "c")
    for garbage in (b"", b"{not json", b'{"key": "other", "findings": []}', b"\xff\xfe\x00",
                    b'{"key": "%s", "findings": [{"code": 1}]}' % entry.stem.encode()):
        entry.write_bytes(garbage)
        cache = Cache(str(tmp_path / "c"), settings)
        assert keys(run([str(tmp_path / "a.py")], settings, cache=cache)) == first
        assert cache.misses == 1 and cache.writes == 1
        again = Cache(str(tmp_path / "c"), settings)
        assert keys(run([str(tmp_path / "a.py")], settings, cache=again)) == first
        assert again.hits == 1


def test_changed_file_is_rechecked(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text(CODE)
    settings = load_settings(isolated=True)
    assert run([str(target)], settings, cache=Cache(str(tmp_path / "c"), settings)).findings
    target.write_text("x = 1\n")
    cache = Cache(str(tmp_path / "c"), settings)
    assert run([str(target)], settings, cache=cache).findings == []
    assert cache.hits == 0


def test_unwritable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CODE)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    settings = load_settings(isolated=True)
    cache = Cache(str(blocker / "cache"), settings)
    result = run([str(tmp_path / "a.py")], settings, cache=cache, jobs=1)
    assert [f.code for f in result.findings] == ["CCY201"]
    assert not cache.enabled


def test_concurrent_runs_share_the_cache(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    for i in range(30):
        (project / f"m{i}.py").write_text(CODE * (1 + i % 3))
    command = [sys.executable, "-m", "concurlint", "check", ".", "--isolated", "--output-format", "json",
               "--jobs", "2"]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 1 for r in runs), [o[1] for o in outputs]
    assert len({o[0] for o in outputs}) == 1
    assert not any(p.name.endswith(".tmp") for p in (project / ".concurlint_cache").rglob("*"))
    warm = subprocess.run(command, cwd=project, stdout=subprocess.PIPE, timeout=300)
    assert warm.stdout == outputs[0][0]


def test_prune_removes_old_versions_stale_and_excess_entries(tmp_path: Path) -> None:
    settings = load_settings(isolated=True)
    cache = Cache(str(tmp_path / "c"), settings)
    for i in range(10):
        cache.put(cache.key(f"{i}.py", (None, False), content_hash(b"%d" % i)), [])
    old_version = tmp_path / "c" / "v1-0.0.0-old"
    old_version.mkdir()
    (old_version / "x.json").write_text("{}")
    paths = sorted(entries(Path(cache.directory)))
    long_ago = time.time() - 90 * 86400
    os.utime(paths[0], (long_ago, long_ago))
    removed = cache.prune(force=True, max_entries=5)
    assert not old_version.exists()
    assert removed == 5
    assert len(entries(Path(cache.directory))) == 5
    assert not paths[0].exists()
    assert cache.prune() == 0  # pruned recently: nothing to do


def test_cache_directory_is_tagged_and_ignored_by_git(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path / "c"), load_settings(isolated=True))
    cache.put(cache.key("a.py", (None, False), "0"), [])
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (tmp_path / "c" / ".gitignore").read_text() == "*\n"


def test_edited_rules_do_not_reuse_cached_results(tmp_path, monkeypatch) -> None:
    from concurlint import cache as cache_module
    from concurlint.config import Settings

    settings = Settings(root=str(tmp_path))
    before = cache_module.Cache(str(tmp_path / "c"), settings).config_key
    monkeypatch.setattr(cache_module, "_CODE_FINGERPRINT", "a-different-build")
    after = cache_module.Cache(str(tmp_path / "c"), settings).config_key
    assert before != after


def test_a_run_answered_from_the_cache_does_not_load_libcst(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "app.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    command = [sys.executable, "-X", "importtime", "-m", "concurlint", "check", "--isolated",
               "--cache-dir", str(tmp_path / "cache"), "--output-format", "concise", "app.py"]
    cold = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    warm = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert cold.stdout == warm.stdout and "CCY201" in warm.stdout
    assert " libcst" in cold.stderr  # the cold run parsed the file
    assert " libcst" not in warm.stderr and "concurlint.rules" not in warm.stderr


# ---------------------------------------------------------------- per-file invalidation
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/api.py": "def fetch():\n    return 1\n",
    "pkg/const.py": "PLATFORMS = [1, 2]\n",
    "pkg/user.py": "from pkg import api\n\n\nasync def handler():\n    api.fetch()\n",
    # no async, no table word: skipped by the pre-check until fetch becomes a coroutine
    "pkg/sync_user.py": "from pkg import api\n\n\ndef later():\n    api.fetch()\n",
    "pkg/other.py": "import time\n\n\nasync def slow():\n    time.sleep(1)\n",
    "pkg/plain.py": "def add(a, b):\n    return a + b\n",
    "pkg/service.py": "import asyncio\n\n\nasync def serve(queue):\n    await queue.get()\n",
}


def _check(project: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "concurlint", "check", "pkg", "--isolated", "--output-format",
               "json", "--exit-zero", "--jobs", "1", "--extend-select", "CCY402", *extra]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)


def _reused_and_checked(stderr: str) -> tuple:
    line = [text for text in stderr.splitlines() if text.startswith("cache: ")][-1]
    words = line.split()
    return int(words[1]), int(words[4])


def test_an_edit_rechecks_only_the_files_that_can_see_it(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    assert _reused_and_checked(_check(tmp_path, "--cache-stats").stderr) == (0, 8)
    assert _reused_and_checked(_check(tmp_path, "--cache-stats").stderr) == (8, 0)
    edits = [
        # a new coroutine function that two files call: those two and api.py are re-checked
        ("pkg/api.py", "async def fetch():\n    return 1\n", 3),
        # an unrelated new async def: only api.py
        ("pkg/api.py", "async def fetch():\n    return 1\n\n\nasync def ping():\n    pass\n", 1),
        # back to a plain function: the findings go away again
        ("pkg/api.py", "def fetch():\n    return 1\n\n\nasync def ping():\n    pass\n", 3),
        # a file starts a fan-out over another module's constant: only that file
        ("pkg/service.py", "import asyncio\nfrom pkg.const import PLATFORMS\n\n\n"
                           "async def serve(client):\n"
                           "    await asyncio.gather(*(setup(client, p) for p in PLATFORMS))\n\n\n"
                           "async def setup(client, p):\n    await client.setup(p)\n", 1),
        # the constant grows past a known small size (CCY402 now reports): that file and const.py
        ("pkg/const.py", f"PLATFORMS = {list(range(200))}\n", 2),
    ]
    for name, text, checked in edits:
        (tmp_path / name).write_text(text)
        warm = _check(tmp_path, "--cache-stats")
        cold = _check(tmp_path, "--no-cache")
        assert warm.returncode == cold.returncode == 0, warm.stderr + cold.stderr
        assert warm.stdout == cold.stdout, name
        assert _reused_and_checked(warm.stderr) == (8 - checked, checked), (name, text, warm.stderr)
    assert "CCY101" not in cold.stdout and "CCY201" in cold.stdout and "CCY402" in cold.stdout


def test_cache_stats_in_chinese_and_without_a_cache(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(CODE)
    assert "缓存:0 个文件复用结果,1 个重新检查" in _check(tmp_path, "--cache-stats", "--lang", "zh").stderr
    assert "cache: off" in _check(tmp_path, "--cache-stats", "--no-cache").stderr


def test_one_file_run_sees_an_edit_of_a_module_it_imports(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    command = [sys.executable, "-m", "concurlint", "check", "pkg/user.py", "--isolated", "--output-format",
               "concise", "--exit-zero", "--cache-stats"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "CCY101" not in first.stdout and "1 checked" in first.stderr
    (tmp_path / "pkg/api.py").write_text("async def fetch():\n    return 1\n")  # user.py itself unchanged
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    cold = subprocess.run(command + ["--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "pkg/user.py:5:5: CCY101" in again.stdout and again.stdout == cold.stdout
    assert "1 because project facts they use changed" in again.stderr


def test_index_rebuilt_from_stored_scan_facts_equals_a_fresh_one(tmp_path: Path) -> None:
    from concurlint.semantics.project import ProjectIndex, ScanFacts

    write_tree(tmp_path, PROJECT)
    files = sorted(str(p) for p in (tmp_path / "pkg").glob("*.py"))
    first = ScanFacts()
    ProjectIndex.from_files(files, facts=first)
    (tmp_path / "pkg/api.py").write_text("async def fetch():\n    return 1\n\n\nclass Client:\n"
                                         "    async def get(self):\n        pass\n")
    second = ScanFacts(first.to_keep())
    rebuilt = ProjectIndex.from_files(files, facts=second)
    fresh = ProjectIndex.from_files(files)
    assert vars(rebuilt) == vars(fresh) and rebuilt.is_coroutine_function("pkg.api.Client.get")
    assert sum(key not in first.used for key in second.used) == 1  # only api.py was read again
    assert len(second.to_keep()) == len(files)  # the old facts of api.py were dropped


def test_prune_removes_project_indexes_unused_for_a_day(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path / "c"), load_settings(isolated=True))
    cache.put_object("index-old.pickle", {"a": 1})
    cache.put_object("index-new.pickle", {"b": 2})
    [old] = (tmp_path / "c").rglob("*index-old.pickle")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert cache.prune(force=True) == 1
    assert cache.get_object("index-old.pickle") is None and cache.get_object("index-new.pickle") == {"b": 2}


def test_the_first_async_def_of_a_module_rechecks_only_the_files_that_name_it(tmp_path: Path) -> None:
    """Before its first ``async def`` the scan does not read a module's functions; after it,
    they are known plain functions. The files that only call them are not checked again."""
    dt = "import datetime\n\n\ndef now():\n    return datetime.datetime.now()\n\n\ndef parse(text):\n    return text\n"
    files = {
        "pkg/__init__.py": "",
        "pkg/dt.py": dt,
        # calls dt's plain functions from async code: the rules ask whether they are coroutines
        "pkg/clock.py": "from pkg import dt\n\n\nasync def tick():\n    dt.now()\n    return dt.parse('x')\n",
        # skipped by the pre-check; names dt but not the new coroutine
        "pkg/sync_clock.py": "from pkg import dt\n\n\ndef later():\n    return dt.now()\n",
        # calls the coroutine before it exists: a CCY101 once it does
        "pkg/waiter.py": "from pkg import dt\n\n\nasync def wait():\n    dt.fetch()\n",
    }
    write_tree(tmp_path, files)
    _check(tmp_path)
    # the edit: dt.py and waiter.py are checked; its undo: waiter.py (dt.py's first entry is reused)
    for text, checked in ((dt + "\n\nasync def fetch():\n    return now()\n", 2), (dt, 1)):
        (tmp_path / "pkg" / "dt.py").write_text(text)
        warm = _check(tmp_path, "--cache-stats")
        assert warm.stdout == _check(tmp_path, "--no-cache").stdout
        found = [(f["path"].replace("\\", "/"), f["code"]) for f in json.loads(warm.stdout)["findings"]]
        assert found == ([("pkg/waiter.py", "CCY101")] if text != dt else []), found
        assert _reused_and_checked(warm.stderr) == (5 - checked, checked), warm.stderr


def test_a_new_coroutine_rewrites_only_the_entries_that_name_it(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/api.py": "async def fetch():\n    return 1\n",
        # no table word: checked because it names the coroutine and its module (a pair)
        "pkg/sync_user.py": "from pkg import api\n\n\ndef later():\n    return api.fetch\n",
        # skipped: names nothing of the project
        "pkg/plain.py": "def add(a, b):\n    return a + b\n",
        # skipped until `ping` becomes a coroutine of `api`
        "pkg/pinger.py": "from pkg import api\n\n\ndef later():\n    return api.ping()\n",
    }
    write_tree(tmp_path, files)
    _check(tmp_path)
    assert _reused_and_checked(_check(tmp_path, "--cache-stats").stderr) == (5, 0)
    before = {p: p.stat().st_mtime_ns for p in entries(tmp_path / ".concurlint_cache")}
    (tmp_path / "pkg" / "api.py").write_text(files["pkg/api.py"] + "\n\nasync def ping():\n    pass\n")
    warm = _check(tmp_path, "--cache-stats")
    assert warm.stdout == _check(tmp_path, "--no-cache").stdout
    # api.py (new content) and pinger.py (it names the new coroutine and its module)
    assert _reused_and_checked(warm.stderr) == (3, 2)
    after = {p: p.stat().st_mtime_ns for p in entries(tmp_path / ".concurlint_cache")}
    written = [p for p, mtime in after.items() if before.get(p) != mtime]
    assert len(written) == 2  # sync_user.py's and plain.py's entries are kept as they were
    # and the next run answers every file without screening or writing again
    assert _reused_and_checked(_check(tmp_path, "--cache-stats").stderr) == (5, 0)
    assert {p: p.stat().st_mtime_ns for p in entries(tmp_path / ".concurlint_cache")} == after


def test_advice_with_a_call_in_it_is_stored_and_read_back_in_both_languages(tmp_path: Path) -> None:
    """The to-thread advice that names the blocked call ('trio.to_thread.run_sync(self._worker.join)')
    goes through the cache's JSON like every other message."""
    (tmp_path / "a.py").write_text(
        "import threading\nimport trio\n\n\nclass Service:\n"
        "    def __init__(self):\n        self._worker = threading.Thread(target=print)\n\n"
        "    async def stop(self):\n        self._worker.join()\n")
    settings = load_settings(isolated=True)
    cold = run([str(tmp_path / "a.py")], settings, cache=Cache(str(tmp_path / "c"), settings))
    warm_cache = Cache(str(tmp_path / "c"), settings)
    warm = run([str(tmp_path / "a.py")], settings, cache=warm_cache)
    assert warm_cache.hits == 1
    [finding] = [f for f in warm.findings if f.code == "CCY205"]
    assert "'await trio.to_thread.run_sync(self._worker.join)'" in finding.message.get("en")
    assert "'await trio.to_thread.run_sync(self._worker.join)'" in finding.message.get("zh")
    assert [(f.code, f.message.get("en"), f.message.get("zh")) for f in warm.findings] == \
        [(f.code, f.message.get("en"), f.message.get("zh")) for f in cold.findings]
