"""Hierarchical configuration: every file takes the closest config file above it (as ruff)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from concurlint.config import settings_for_path

from test_cli import BLOCKING, run_cli
from test_integrations_flake8 import flake8, reported


@pytest.fixture
def services(tmp_path: Path) -> Path:
    """svc_a: no rule ignored, a generated folder excluded (concurlint.toml);
    svc_b: CCY201 ignored (pyproject.toml); both hold the same blocking call."""
    for name in ("svc_a", "svc_b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(BLOCKING)
    (tmp_path / "svc_a" / "gen").mkdir()
    (tmp_path / "svc_a" / "gen" / "schema.py").write_text(BLOCKING)
    (tmp_path / "svc_a" / "concurlint.toml").write_text('extend-exclude = ["gen"]\n')
    (tmp_path / "svc_b" / "pyproject.toml").write_text('[tool.concurlint]\nignore = ["CCY201"]\n')
    return tmp_path


def _paths(result) -> list:
    assert result.returncode in (0, 1), result.stderr
    return sorted((f["path"], f["code"]) for f in json.loads(result.stdout)["findings"])


def test_result_does_not_depend_on_argument_order(services: Path) -> None:
    forward = run_cli("check", "--output-format", "json", "svc_a", "svc_b", cwd=services)
    backward = run_cli("check", "--output-format", "json", "svc_b", "svc_a", cwd=services)
    assert _paths(forward) == _paths(backward) == [("svc_a/app.py", "CCY201")]
    # the same from inside one service, and with files named one by one
    inside = run_cli("check", "--output-format", "json", "../svc_a/app.py", "app.py",
                     cwd=services / "svc_b")
    assert [code for _, code in _paths(inside)] == ["CCY201"]


def test_closest_config_wins_and_config_option_overrides_all(services: Path) -> None:
    nested = services / "svc_b" / "legacy"
    nested.mkdir()
    (nested / "old.py").write_text(BLOCKING)
    (nested / ".concurlint.toml").write_text('select = ["CCY2"]\n')
    result = run_cli("check", "--output-format", "json", ".", cwd=services)
    assert _paths(result) == [("svc_a/app.py", "CCY201"), ("svc_b/legacy/old.py", "CCY201")]
    (services / "all.toml").write_text('select = ["CCY2"]\n')
    forced = run_cli("check", "--config", "all.toml", "--output-format", "json", ".", cwd=services)
    assert [p for p, _ in _paths(forced)] == [
        "svc_a/app.py", "svc_a/gen/schema.py", "svc_b/app.py", "svc_b/legacy/old.py"]


def test_bad_nested_config_is_a_usage_error(services: Path) -> None:
    (services / "svc_b" / "pyproject.toml").write_text('[tool.concurlint]\ncolour = "red"\n')
    result = run_cli("check", "svc_a", "svc_b", cwd=services)
    assert result.returncode == 2
    assert "unknown key 'colour'" in result.stderr and "Traceback" not in result.stderr


def test_show_settings_names_the_source_of_each_setting(services: Path) -> None:
    result = run_cli("check", "--show-settings", "--extend-select", "CCY108", "svc_b/app.py", cwd=services)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    config = str((services / "svc_b" / "pyproject.toml").resolve())
    assert f"Configuration file: {config}" in lines
    assert f'  ignore = ["CCY201"]  # {config}' in lines
    assert '  extend-select = ["CCY108"]  # command line' in lines
    assert '  preset = "default"  # default' in lines
    enabled = [line for line in lines if line.startswith("Rules enabled")][0]
    assert "CCY108" in enabled and "CCY201" not in enabled
    zh = run_cli("check", "--show-settings", "--lang", "zh", "svc_a/app.py", cwd=services)
    assert zh.stdout.splitlines()[0] == "svc_a/app.py 的设置"
    assert '  extend-exclude = ["gen"]  # ' + str((services / "svc_a" / "concurlint.toml").resolve()) in zh.stdout
    two = run_cli("check", "--show-settings", "svc_a", "svc_b", cwd=services)
    assert two.returncode == 2 and "exactly one" in two.stderr


def test_settings_for_path_api(services: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(services)
    b = settings_for_path(str(services / "svc_b" / "app.py"))
    assert b.config_file == str(services / "svc_b" / "pyproject.toml")
    assert "CCY201" not in b.codes_for(str(services / "svc_b" / "app.py"))
    a = settings_for_path("svc_a/app.py", overrides={"ignore": ["CCY1"]})
    assert a.root == str((services / "svc_a").resolve())
    assert dict(a.sources)["ignore"] == "command line"
    assert "CCY201" in a.codes_for("svc_a/app.py") and "CCY101" not in a.codes_for("svc_a/app.py")
    assert settings_for_path("svc_b/app.py", isolated=True).config_file is None


def test_flake8_uses_the_closest_config_per_file(services: Path) -> None:
    found = reported(flake8("--select", "CCY", "svc_b/app.py", "svc_a/app.py", cwd=services, stdin=""))
    assert [(os.path.normpath(path), code) for path, _, _, code in found] == [
        (os.path.join("svc_a", "app.py"), "CCY201")]


def test_force_exclude_applies_excludes_to_named_files(services: Path) -> None:
    named = ("svc_a/gen/schema.py", "svc_b/app.py")
    plain = run_cli("check", "--output-format", "json", *named, cwd=services)
    assert _paths(plain) == [("svc_a/gen/schema.py", "CCY201")]  # named: checked by default
    forced = run_cli("check", "--force-exclude", "--output-format", "json", *named, cwd=services)
    assert _paths(forced) == [] and json.loads(forced.stdout)["files_checked"] == 1
    (services / "svc_a" / "concurlint.toml").write_text('extend-exclude = ["gen"]\nforce-exclude = true\n')
    from_config = run_cli("check", "--output-format", "json", "svc_a/gen", cwd=services)
    assert json.loads(from_config.stdout)["files_checked"] == 0
    again = run_cli("check", "--no-force-exclude", "--output-format", "json", "svc_a/gen", cwd=services)
    assert _paths(again) == [("svc_a/gen/schema.py", "CCY201")]


def test_result_cache_follows_a_nested_config_change(services: Path) -> None:
    # the cache is on by default; a result stored under one nested config must not be reused
    # after that config changes
    first = run_cli("check", "--output-format", "json", ".", cwd=services)
    assert _paths(first) == [("svc_a/app.py", "CCY201")]
    (services / "svc_b" / "pyproject.toml").write_text('[tool.concurlint]\nignore = ["CCY1"]\n')
    second = run_cli("check", "--output-format", "json", ".", cwd=services)
    assert _paths(second) == [("svc_a/app.py", "CCY201"), ("svc_b/app.py", "CCY201")]
    assert (services / ".concurlint_cache").is_dir()
