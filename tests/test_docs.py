"""The documentation site: generated pages in sync with the code, every rule documented
in both languages, every configuration key described, and a strict MkDocs build."""
from __future__ import annotations

import filecmp
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from concurlint import config, docgen
from concurlint.rules import ALL_RULES, FAMILIES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
PEER_PAGES = ("ci.md", "output-formats.md", "baseline.md", "fixes.md", "flake8-mode.md")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_generated_pages_are_up_to_date(tmp_path: Path) -> None:
    changed = docgen.write(tmp_path)
    assert changed, "docgen wrote nothing"
    generated = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md"))
    stale = [rel for rel in generated
             if not (DOCS / rel).is_file() or not filecmp.cmp(tmp_path / rel, DOCS / rel, shallow=False)]
    stale += docgen.stale_rule_pages(DOCS, docgen.generate())
    assert not stale, ("generated docs are out of date; run `python -m concurlint.docgen docs/`: "
                       + ", ".join(stale))


def test_docgen_check_mode(tmp_path: Path) -> None:
    assert docgen.main(["--check", str(tmp_path)]) == 1  # empty directory: everything missing
    assert docgen.main([str(tmp_path)]) == 0
    assert docgen.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "rules" / "CCY999.md").write_text("old rule\n")  # a page no rule generates
    assert docgen.out_of_date(tmp_path) == ["rules/CCY999.md"]
    docgen.write(tmp_path)
    assert not (tmp_path / "rules" / "CCY999.md").exists()


@pytest.mark.parametrize("code", sorted(ALL_RULES))
def test_every_rule_has_an_english_and_a_chinese_page(code: str) -> None:
    rule = ALL_RULES[code]
    en = (DOCS / "rules" / f"{code}.md").read_text(encoding="utf-8")
    zh = (DOCS / "zh" / "rules" / f"{code}.md").read_text(encoding="utf-8")
    assert f"# {code} `{rule.name}`" in en and f"# {code} `{rule.name}`" in zh
    assert rule.summary.en in en and rule.summary.get("zh") in zh
    if rule.why.zh:
        assert rule.why.zh.strip() in zh
    for index in ("rules/index.md", "zh/rules/index.md"):
        assert f"]({code}.md)" in (DOCS / index).read_text(encoding="utf-8")


def test_rule_page_content() -> None:
    rule = ALL_RULES["CCY201"]
    page = docgen.rule_page(rule, "en")
    assert "## Why is this bad?" in page and "```python" in page
    assert "[中文](../zh/rules/CCY201.md)" in page
    zh = docgen.rule_page(rule, "zh")
    assert "## 为什么有问题?" in zh and "[English](../../rules/CCY201.md)" in zh


def test_table_cells_escape_pipes() -> None:
    assert docgen.common._cell("a | b\n c") == "a \\| b c"


@pytest.mark.parametrize("key", list(config.KEYS))
def test_every_configuration_key_is_documented(key: str) -> None:
    assert key in docgen.configuration.CONFIG_DOCS, f"config key {key!r} has no entry in docgen.configuration.CONFIG_DOCS"
    kind, description, example = docgen.configuration.CONFIG_DOCS[key]
    for text in (kind, description):
        assert text.en.strip() and text.zh.strip()
    # the example is valid TOML and valid configuration
    toml = example if example.startswith("[") else "[tool.concurlint]\n" + example
    table = tomllib.loads(toml)["tool"]["concurlint"]
    assert key in table
    config.parse_table(table, "example")
    for page in ("configuration.md", "zh/configuration.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f"## `{key}` {{#{key}}}" in text and example.splitlines()[-1] in text


def test_no_documented_key_is_unknown() -> None:
    assert set(docgen.configuration.CONFIG_DOCS) <= set(config.KEYS)


def test_configuration_defaults_come_from_settings() -> None:
    assert docgen.configuration._default("max-file-size") == f"`{config.Settings().max_file_size}`"
    assert ".venv" in docgen.configuration._default("exclude")


def test_checklist_covers_sections_14_and_10() -> None:
    sections = [item.section for _, items in docgen.checklist.CHECKLIST for item in items]
    for expected in ("14.1", "14.2", "14.3", "14.4", "14.5", "10.1", "10.2", "10.3", "10.4", "10.5"):
        assert expected in sections
    quotes = [item.quote for _, items in docgen.checklist.CHECKLIST for item in items]
    for item in ("线程改了共享变量但结果不对", "async 函数没执行", "程序卡住不退出", "并发越高越慢", "异常丢失"):
        assert item in quotes


def test_checklist_codes_are_rules_or_families() -> None:
    for code in docgen.checklist.checklist_codes():
        assert code in ALL_RULES or code in FAMILIES, f"checklist names unknown rule {code}"
    for page in ("checklist.md", "zh/checklist.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        for code in docgen.checklist.checklist_codes():
            if code in ALL_RULES:
                assert f"(rules/{code}.md)" in text


def _nav_targets() -> list:
    return re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", MKDOCS_YML.read_text(encoding="utf-8"),
                      re.MULTILINE)


def test_nav_targets_exist_and_peer_pages_are_linked() -> None:
    targets = _nav_targets()
    assert "index.md" in targets and "rules/index.md" in targets and "zh/rules/index.md" in targets
    missing = [t for t in targets if not (DOCS / t).is_file()]
    assert not missing, f"mkdocs.yml nav names missing pages: {missing}"
    unlinked = [p for p in PEER_PAGES if (DOCS / p).is_file() and p not in targets]
    assert not unlinked, f"pages not in the mkdocs.yml nav: {unlinked}"


@pytest.mark.integration
def test_site_builds_strictly(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (python -m pip install -e '.[docs]')")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(MKDOCS_YML), "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    for code in ALL_RULES:
        assert (site / "rules" / f"{code}.html").is_file()
        assert (site / "zh" / "rules" / f"{code}.html").is_file()
    assert (site / "checklist.html").is_file() and (site / "zh" / "checklist.html").is_file()
    # Every link the reports print (SARIF helpUri, the rules' help text) names a page
    # of this very site, as the server would resolve it (no directory-URL guessing).
    from concurlint.reporters.sarif import INFORMATION_URI, help_uri

    for code in ALL_RULES:
        uri = help_uri(code)
        assert uri.startswith(INFORMATION_URI)
        assert (site / uri[len(INFORMATION_URI):]).is_file(), uri


def test_readme_rules_table_shows_every_rule_with_its_group() -> None:
    from concurlint.rules import ALL_RULES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (CCY\d{3}) \| [\w-]+ \| (\w+) \|$", readme, re.MULTILINE))
    assert rows == {code: rule.group for code, rule in ALL_RULES.items()}
