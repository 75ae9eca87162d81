"""The most specific selector wins (as in flake8 and ruff); at equal length, ignore wins."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from test_cli import run_cli
from test_integrations_flake8 import flake8, reported

SOURCE = textwrap.dedent("""\
    import asyncio


    async def fetch():
        await asyncio.sleep(0)


    async def worker(queue):
        try:
            await queue.get()
        except asyncio.CancelledError:
            print("stopping")


    async def main():
        results = await asyncio.gather(fetch(), fetch(), return_exceptions=True)
        return len(results)
""")


def codes(result) -> list:
    assert result.returncode in (0, 1), result.stderr
    return [line.split()[1] for line in result.stdout.splitlines() if line.startswith("w.py:")]


@pytest.mark.parametrize("options, expected", [
    (["--select", "CCY602", "--ignore", "CCY6"], ["CCY602"]),
    (["--select", "CCY6", "--ignore", "CCY602"], ["CCY601"]),
    (["--select", "CCY6", "--ignore", "CCY6"], []),
    (["--select", "CCY6,CCY602", "--ignore", "CCY60"], ["CCY602"]),
])
def test_more_specific_selector_wins_like_flake8(tmp_path: Path, options: list, expected: list) -> None:
    (tmp_path / "w.py").write_text(SOURCE)
    ours = codes(run_cli("check", "--isolated", "--output-format", "concise", *options, "w.py", cwd=tmp_path))
    theirs = [code for *_, code in reported(flake8("--isolated", *options, "w.py", cwd=tmp_path, stdin=""))]
    assert ours == theirs == expected


def test_command_line_extend_select_beats_a_broader_ignore_in_config(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_text(SOURCE)
    (tmp_path / "concurlint.toml").write_text('ignore = ["CCY6"]\n')
    assert codes(run_cli("check", "--output-format", "concise", "w.py", cwd=tmp_path)) == []
    chosen = run_cli("check", "--output-format", "concise", "--extend-select", "CCY602", "w.py", cwd=tmp_path)
    assert codes(chosen) == ["CCY602"]
