"""[tool.concurlint] in pyproject.toml: discovery, validation, overrides, per-file-ignores."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from concurlint.config import ConfigError, load_settings

from test_cli import BLOCKING, run_cli


def write_config(directory: Path, body: str) -> None:
    (directory / "pyproject.toml").write_text("[tool.concurlint]\n" + textwrap.dedent(body))


def test_config_found_upward_from_cwd(tmp_path: Path) -> None:
    write_config(tmp_path, 'ignore = ["CCY201"]\n')
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "app.py").write_text(BLOCKING)
    assert run_cli("check", "app.py", cwd=sub).returncode == 0
    assert run_cli("check", "--isolated", "app.py", cwd=sub).returncode == 1


def test_config_found_from_first_path(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    write_config(project, 'ignore = ["CCY2"]\n')
    (project / "app.py").write_text(BLOCKING)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_cli("check", str(project / "app.py"), cwd=elsewhere).returncode == 0


def test_cli_overrides_config(tmp_path: Path) -> None:
    write_config(tmp_path, 'ignore = ["CCY201"]\n')
    (tmp_path / "app.py").write_text(BLOCKING)
    result = run_cli("check", "--select", "CCY201", "app.py", cwd=tmp_path)
    assert result.returncode == 0  # ignore from config still applies on top of select
    write_config(tmp_path, 'select = ["CCY1"]\n')
    assert run_cli("check", "--select", "CCY2", "app.py", cwd=tmp_path).returncode == 1


def test_explicit_config_file(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BLOCKING)
    (tmp_path / "lint.toml").write_text('ignore = ["CCY201"]\n')
    assert run_cli("check", "--config", "lint.toml", "app.py", cwd=tmp_path).returncode == 0
    missing = run_cli("check", "--config", "nope.toml", "app.py", cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("body, expected", [
    ("select = [", "invalid TOML"),
    ('colour = "red"\n', "unknown key 'colour'"),
    ('select = ["CCY999"]\n', "unknown rule code 'CCY999'"),
    ("select = 3\n", "'select' must be a list of strings"),
    ("max-file-size = -1\n", "'max-file-size' must be a positive integer"),
    ('file-timeout = "soon"\n', "'file-timeout' must be a positive number"),
    ('preset = "pedantic"\n', "'preset' must be one of default, strict, learn, all"),
    ('lock-name-pattern = "("\n', "not a valid regular expression"),
    ('blocking-calls = ["not a name"]\n', "must be a dotted name"),
    ('per-file-ignores = ["x"]\n', "must be a table"),
])
def test_bad_config_is_a_one_line_error(tmp_path: Path, body: str, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.concurlint]\n" + body)
    (tmp_path / "app.py").write_text(BLOCKING)
    result = run_cli("check", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_key_lists_valid_keys(tmp_path: Path) -> None:
    write_config(tmp_path, "colour = 1\n")
    with pytest.raises(ConfigError, match="valid keys are select, extend-select"):
        load_settings([str(tmp_path)], search_from=[str(tmp_path)])


def test_per_file_ignores(tmp_path: Path) -> None:
    write_config(tmp_path, '[tool.concurlint.per-file-ignores]\n"tests/*" = ["CCY201"]\n"legacy_*.py" = ["CCY2"]\n')
    (tmp_path / "tests").mkdir()
    for name in ("tests/test_app.py", "legacy_client.py", "app.py"):
        (tmp_path / name).write_text(BLOCKING)
    result = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    flagged = [line.split(":")[0] for line in result.stdout.splitlines()[:-1]]
    assert flagged == ["app.py"]


def test_exclude_and_default_excludes(tmp_path: Path) -> None:
    write_config(tmp_path, 'extend-exclude = ["generated"]\n')
    for name in ("generated/a.py", ".venv/lib/b.py", "build/c.py", "src/d.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BLOCKING)
    result = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["src/d.py"]
    # an explicitly named file is always checked
    assert run_cli("check", "generated/a.py", cwd=tmp_path).returncode == 1


def test_pyproject_without_our_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.other]\nx = 1\n')
    (tmp_path / "app.py").write_text(BLOCKING)
    assert run_cli("check", "app.py", cwd=tmp_path).returncode == 1
