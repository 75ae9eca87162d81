"""A repeated ``concurlint check FILE`` answered from its replay record (fastpath.py),
through the real command: the same bytes and exit code as a full run, and a full run
again as soon as anything the output depends on changed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from concurlint import config, fastpath

Outcome = Tuple[int, bytes, bytes]
SCRIPT = os.path.join(os.path.dirname(sys.executable), "concurlint")


def concurlint(args: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None,
               script: bool = False) -> Outcome:
    command = [SCRIPT] if script else [sys.executable, "-m", "concurlint"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CONCURLINT_", "LC_"))}
    environment.update({"LANG": "C.UTF-8", "NO_COLOR": ""}, **(env or {}))
    done = subprocess.run([*command, "check", *args], cwd=cwd, capture_output=True, env=environment,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr


def warm(args: Sequence[str], cwd: Path, script: bool = False, env: Optional[Dict[str, str]] = None) -> Outcome:
    """Two full runs: the first checks and fills the cache, the second is answered by it
    and leaves the replay record."""
    concurlint(args, cwd, env, script=script)
    return concurlint(args, cwd, env, script=script)


def replayed(args: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None,
             script: bool = False) -> Tuple[bool, Outcome]:
    """Run with ``-X importtime``: whether the command line module (and so the full path)
    was imported, and the outcome (stderr without the import lines)."""
    imports, outcome = with_imports(args, cwd, env, script)
    return b"concurlint.cli" not in imports, outcome


def with_imports(args: Sequence[str], cwd: Path, env: Optional[Dict[str, str]] = None,
                 script: bool = False) -> Tuple[bytes, Outcome]:
    """The ``-X importtime`` lines of a run, and its outcome without them."""
    command = [_script_interpreter(), "-X", "importtime", SCRIPT] if script else \
        [sys.executable, "-X", "importtime", "-m", "concurlint"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CONCURLINT_", "LC_"))}
    environment.update({"LANG": "C.UTF-8", "NO_COLOR": ""}, **(env or {}))
    done = subprocess.run([*command, "check", *args], cwd=cwd, capture_output=True, env=environment,
                          timeout=120)
    lines = done.stderr.splitlines(keepends=True)
    imports = b"".join(line for line in lines if line.startswith(b"import time:"))
    rest = b"".join(line for line in lines if not line.startswith(b"import time:"))
    return imports, (done.returncode, done.stdout, rest)


def _script_interpreter() -> str:
    """The interpreter the console script's own first line names: the record holds the
    interpreter, and ``python`` and ``python3.11`` are two names for one (pyenv)."""
    with open(SCRIPT, encoding="utf-8") as handle:
        first = handle.readline()
    return first[2:].strip() if first.startswith("#!") else sys.executable


def records(cache: Path) -> List[Path]:
    return sorted(cache.rglob("replay/*.bin"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "api.py").write_text("def fetch():\n    return 1\n")
    (tmp_path / "pkg" / "main.py").write_text(
        "import time\n\nfrom pkg import api\n\n\nasync def handler():\n    api.fetch()\n    time.sleep(1)\n")
    (tmp_path / "pkg" / "other.py").write_text("import threading\n\nthreading.Thread(target=print).run()\n")
    return tmp_path


OPTION_SETS = [
    [],
    ["--output-format", "concise"],
    ["--output-format", "json"],
    ["--output-format", "sarif"],
    ["--output-format", "junit"],
    ["--output-format", "github"],
    ["--statistics", "--exit-zero"],
    ["--lang", "zh", "--select", "CCY2"],
    ["-q", "--color"],
]


def edit_keeping_size_and_mtime(main: Path) -> None:
    """An edit of the same size with the old modification time put back."""
    stat = main.stat()
    main.write_text(main.read_text().replace("time.sleep(1)", "time.sleep(2)"))
    os.utime(main, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: " ".join(o) or "default")
def test_replay_writes_what_a_full_run_writes(project: Path, options: List[str]) -> None:
    files = ["pkg/main.py", "pkg/other.py"]
    reference = concurlint([*options, "--no-cache", *files], project)
    assert reference[0] == 1 or "--exit-zero" in options
    first = concurlint([*options, *files], project)  # the full path, checks the files
    assert first == reference and not records(project / ".concurlint_cache")
    second = concurlint([*options, *files], project)  # the full path, answered by the cache
    assert second == reference
    assert len(records(project / ".concurlint_cache")) == 1
    fast, third = replayed([*options, *files], project)
    assert fast, "the repeated run was not answered by its record"
    assert third == reference


def test_console_script_replays_too(project: Path) -> None:
    reference = concurlint(["--no-cache", "pkg/main.py"], project, script=True)
    assert warm(["pkg/main.py"], project, script=True) == reference
    fast, again = replayed(["pkg/main.py"], project, script=True)
    assert fast and again == reference


def test_edit_of_an_imported_module_is_checked_again(project: Path) -> None:
    args = ["--output-format", "concise", "pkg/main.py"]
    before = warm(args, project)
    assert b"CCY201" in before[1] and b"CCY101" not in before[1]
    assert replayed(args, project)[0]
    # fetch becomes a coroutine function: `api.fetch()` in main.py is now never awaited
    (project / "pkg" / "api.py").write_text("async def fetch():\n    return 1\n")
    fast, after = replayed(args, project)
    assert not fast
    assert after == concurlint([*args[:-1], "--no-cache", *args[-1:]], project)
    assert b"CCY101" in after[1]
    assert concurlint(args, project) == after  # answered by the cache: recorded again
    assert replayed(args, project) == (True, after)


def test_edit_of_the_checked_file_is_checked_again(project: Path) -> None:
    args = ["--output-format", "concise", "pkg/main.py"]
    warm(args, project)
    imports, _outcome = with_imports(args, project)
    # written just before the run that left the record: its bytes are compared (hashed)
    assert b"concurlint.cli" not in imports and b"_blake2" in imports
    edit_keeping_size_and_mtime(project / "pkg" / "main.py")  # only the bytes tell
    fast, after = replayed(args, project)
    assert not fast
    assert after == concurlint([*args[:-1], "--no-cache", *args[-1:]], project)


def test_new_configuration_file_is_seen(project: Path) -> None:
    args = ["--output-format", "concise", "pkg/main.py"]
    assert b"CCY201" in warm(args, project)[1]
    assert replayed(args, project)[0]
    (project / "pkg" / ".concurlint.toml").write_text('ignore = ["CCY201"]\n')
    fast, after = replayed(args, project)
    assert not fast and b"CCY201" not in after[1]
    assert after == concurlint([*args[:-1], "--no-cache", *args[-1:]], project)


def test_old_files_are_proven_unchanged_by_their_stamps(project: Path) -> None:
    """Once the project's files are older than a run's start by more than the
    timestamps' resolution, their stamps alone prove them unchanged: the checked file
    is not hashed, a directory above it is not searched for new configuration files
    while its own stamp holds. Every change is still seen."""
    time.sleep(fastpath.RACY_NS / 1e9 + 0.5)
    args = ["--output-format", "concise", "pkg/main.py"]
    reference = warm(args, project)
    imports, outcome = with_imports(args, project)
    assert b"concurlint.cli" not in imports and b"_blake2" not in imports and outcome == reference
    # a new file above the checked one: the configuration names are looked up one by one
    (project / "notes.txt").write_text("not a configuration file\n")
    assert replayed(args, project) == (True, reference)
    (project / "pkg" / "pyproject.toml").write_text('[tool.concurlint]\nignore = ["CCY201"]\n')
    fast, configured = replayed(args, project)
    assert not fast and b"CCY201" in reference[1] and b"CCY201" not in configured[1]
    assert configured == concurlint([*args[:-1], "--no-cache", *args[-1:]], project)
    (project / "pkg" / "pyproject.toml").unlink()
    assert concurlint(args, project) == reference  # answered by the cache: recorded again
    imports, outcome = with_imports(args, project)
    assert b"concurlint.cli" not in imports and b"_blake2" not in imports and outcome == reference
    edit_keeping_size_and_mtime(project / "pkg" / "main.py")  # only the ctime tells
    fast, after = replayed(args, project)
    assert not fast
    assert after == concurlint([*args[:-1], "--no-cache", *args[-1:]], project)


def test_new_catalog_in_the_translators_directory(project: Path) -> None:
    """A language that had no catalog was English; a catalog added for it (a new
    directory, no file changed) gets the full path, in that language."""
    catalogs = project / "catalogs"
    catalogs.mkdir()
    env = {"CONCURLINT_LOCALE_DIR": str(catalogs), "CONCURLINT_LANG": "xx"}
    args = ["pkg/main.py"]
    english = warm(args, project, env=env)
    assert replayed(args, project, env=env) == (True, english)
    target = catalogs / "xx" / "LC_MESSAGES"
    target.mkdir(parents=True)
    package_catalog = Path(fastpath.__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "concurlint.mo"
    shutil.copyfile(package_catalog, target / "concurlint.mo")
    fast, translated = replayed(args, project, env=env)
    assert not fast and translated != english
    assert translated[1] == concurlint(["--lang", "zh", "--no-cache", *args], project)[1]


def test_exit_handlers_of_the_environment_still_run(project: Path) -> None:
    """A replay ends its process without the interpreter's clean-up only when nothing
    waits for it: an exit handler that a sitecustomize registered (as coverage's
    subprocess support does) still runs, and the output is the same."""
    site = project / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import atexit, os\n\n"
        "atexit.register(lambda: open(os.environ['EXIT_MARKER'], 'a').write('exited\\n'))\n")
    marker = project / "exited.txt"
    env = {"PYTHONPATH": str(site), "EXIT_MARKER": str(marker)}
    args = ["pkg/main.py"]
    reference = warm(args, project, env=env)
    assert marker.read_text() == "exited\n" * 2
    marker.unlink()
    assert replayed(args, project, env=env) == (True, reference)
    assert marker.read_text() == "exited\n"


def test_configured_cache_directory(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.concurlint]\ncache-dir = "build/lint"\n')
    args = ["pkg/main.py"]
    reference = warm(args, project)
    assert records(project / "build" / "lint") and not (project / ".concurlint_cache").exists()
    assert replayed(args, project) == (True, reference)
    # from another directory, the configuration (and so the cache) found above the file
    assert warm(["main.py"], project / "pkg")[0] == reference[0]
    assert replayed(["main.py"], project / "pkg")[0]


def test_environment_that_changes_the_output(project: Path) -> None:
    args = ["pkg/main.py"]
    english = warm(args, project)
    assert replayed(args, project) == (True, english)
    fast, chinese = replayed(args, project, env={"CONCURLINT_LANG": "zh"})
    assert not fast and chinese != english
    assert chinese == concurlint(["--lang", "zh", "--no-cache", *args], project)


@pytest.mark.parametrize("options", [["--cache-stats"], ["--verbose"], ["--diff"], ["--no-cache"],
                                     ["--output-file", "report.txt"]], ids=lambda o: o[0])
def test_options_that_are_never_replayed(project: Path, options: List[str]) -> None:
    args = [*options, "pkg/main.py"]
    warm(args, project)
    assert not records(project / ".concurlint_cache")
    assert not replayed(args, project)[0]


def test_cache_stats_counts_a_real_lookup(project: Path) -> None:
    concurlint(["pkg/main.py"], project)
    code, _out, err = concurlint(["--cache-stats", "pkg/main.py"], project)
    assert b"cache: 1 files reused, 0 checked" in err and code == 1


def test_directories_and_standard_input_are_not_recorded(project: Path) -> None:
    warm(["pkg"], project)
    done = subprocess.run([sys.executable, "-m", "concurlint", "check", "-", "--stdin-filename", "x.py"],
                          cwd=project, input=b"import time\nasync def f():\n    time.sleep(1)\n",
                          capture_output=True, timeout=120)
    assert done.returncode == 1
    assert not records(project / ".concurlint_cache")


def test_unreadable_record_falls_back(project: Path) -> None:
    args = ["pkg/main.py"]
    reference = warm(args, project)
    [record] = records(project / ".concurlint_cache")
    for garbage in (b"", b"\x00\x01garbage", b"{}"):
        record.write_bytes(garbage)
        fast, outcome = replayed(args, project)
        assert not fast and outcome == reference


def test_guess_uses_the_configuration_file_names() -> None:
    assert fastpath._CONFIG_NAMES == config.CONFIG_NAMES
