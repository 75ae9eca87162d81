"""A language needs a compiled catalog and no code: a throwaway French catalog, found
through CONCURLINT_LOCALE_DIR, is offered by --lang, CONCURLINT_LANG and the locale,
translates what it holds (with its own plural rule) and leaves the rest in English.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from concurlint.cache import _text_from, _text_to
from concurlint.findings import FILES, PROBLEMS, Text

babel = pytest.importorskip("babel")
from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402

SAMPLE = "import time\n\n\nasync def handler():\n    time.sleep(1)\n    time.sleep(2)\n"
FRENCH = {
    "Found {problems} in {files} ({checked} checked).": "{problems} trouvés dans {files} ({checked} vérifiés).",
    ("{count} problem", "{count} problems"): ("{count} problème", "{count} problèmes"),
    ("{count} file", "{count} files"): ("{count} fichier", "{count} fichiers"),
}


@pytest.fixture()
def french(tmp_path: Path) -> Path:
    """A locale directory holding only a small French catalog."""
    catalog = Catalog(locale="fr", domain="concurlint")
    for english, french_text in FRENCH.items():
        if isinstance(french_text, tuple):  # Babel's French has a third form, for millions
            french_text += (french_text[-1],) * (catalog.num_plurals - len(french_text))
        catalog.add(english, french_text)
    mo = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "concurlint.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    return tmp_path / "locale"


def concurlint(args: List[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("CONCURLINT_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "CONCURLINT_LOCALE_DIR")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "concurlint", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True)


def test_a_third_language_through_the_cli(french: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    check = ["check", "--no-cache", "--output-format", "concise", "app.py"]
    english = concurlint([*check, "--lang", "en"], tmp_path, CONCURLINT_LOCALE_DIR=str(french))
    run = concurlint([*check, "--lang", "fr"], tmp_path, CONCURLINT_LOCALE_DIR=str(french))
    assert run.returncode == 1, run.stderr
    # translated, with the catalog's own plural forms
    assert run.stdout.splitlines()[-1] == "2 problèmes trouvés dans 1 fichier (1 fichier vérifiés)."
    # the finding messages are not in this catalog: English, word for word
    assert english.stdout.splitlines()[-1] == "Found 2 problems in 1 file (1 file checked)."
    assert run.stdout.splitlines()[:-1] == english.stdout.splitlines()[:-1]
    assert "time.sleep" in run.stdout


@pytest.mark.parametrize("env", [{"CONCURLINT_LANG": "fr"}, {"LANG": "fr_FR.UTF-8"}, {"LC_ALL": "fr_CA"}])
def test_the_environment_picks_the_third_language(french: Path, tmp_path: Path, env: Dict[str, str]) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    run = concurlint(["check", "--no-cache", "app.py"], tmp_path, CONCURLINT_LOCALE_DIR=str(french), **env)
    assert "2 problèmes trouvés dans 1 fichier" in run.stdout, run.stderr


def test_every_format_and_command_takes_the_third_language(french: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    run = concurlint(["check", "--no-cache", "--output-format", "json", "--lang", "fr", "app.py"], tmp_path,
                     CONCURLINT_LOCALE_DIR=str(french))
    assert [f["code"] for f in json.loads(run.stdout)["findings"]] == ["CCY201", "CCY201"]
    for command in (["rules", "--lang", "fr"], ["rule", "CCY201", "--lang", "fr"]):
        run = concurlint(command, tmp_path, CONCURLINT_LOCALE_DIR=str(french))
        assert run.returncode == 0 and "CCY201" in run.stdout, run.stderr


@pytest.mark.parametrize("command", [["check", "."], ["rules"], ["rule", "CCY201"], ["report", "--html", "r.html"]])
def test_a_language_without_a_catalog_is_a_usage_error(tmp_path: Path, command: List[str]) -> None:
    run = concurlint([*command, "--lang", "fr"], tmp_path)
    assert run.returncode == 2
    assert "Invalid value for '--lang'" in run.stderr and "'fr'" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_language_without_a_catalog_in_the_environment_is_english(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SAMPLE)
    run = concurlint(["check", "--no-cache", "app.py"], tmp_path, CONCURLINT_LANG="fr")
    assert run.stdout.splitlines()[-1] == "Found 2 problems in 1 file (1 file checked)."


def test_a_text_keeps_english_and_values_and_survives_pickle_and_cache() -> None:
    message = Text("Found {problems} in {files} ({checked} checked).").format(
        problems=PROBLEMS.format(count=3), files=FILES.format(count=1), checked=FILES.format(count=2))
    assert message.get("en") == "Found 3 problems in 1 file (2 files checked)."
    assert message.get("zh") == "在 1 个文件中发现 3 个问题(检查了 2 个文件)。"
    assert pickle.loads(pickle.dumps(message)) == message
    stored = json.loads(json.dumps(_text_to(message)))
    assert _text_from(stored) == message and hash(_text_from(stored)) == hash(message)
    assert message == Text("Found {problems} in {files} ({checked} checked).").format(
        checked=FILES.format(count=2), files=FILES.format(count=1), problems=PROBLEMS.format(count=3))


def test_each_language_has_its_own_plural_rule(french: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCURLINT_LOCALE_DIR", str(french))
    assert [PROBLEMS.format(count=n).get("fr") for n in (0, 1, 2)] == ["0 problème", "1 problème", "2 problèmes"]
    assert [PROBLEMS.format(count=n).get("en") for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]
    assert [PROBLEMS.format(count=n).get("zh") for n in (0, 1, 2)] == ["0 个问题", "1 个问题", "2 个问题"]


def test_a_broken_translation_falls_back_to_english(french: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurlint import languages

    catalog = Catalog(locale="fr", domain="concurlint")
    catalog.add("Fixed {problems}.", "{problemes} corrigés.")  # a misspelt placeholder
    with (french / "fr" / "LC_MESSAGES" / "concurlint.mo").open("wb") as handle:
        write_mo(handle, catalog)
    monkeypatch.setenv("CONCURLINT_LOCALE_DIR", str(french))
    languages._translations.cache_clear()
    try:
        assert Text("Fixed {problems}.").format(problems="3").get("fr") == "Fixed 3."
    finally:
        languages._translations.cache_clear()


def test_the_editor_setting_takes_the_languages_with_a_catalog(french: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = pytest.importorskip("concurlint.server")
    from concurlint.config import ConfigError

    assert server.Options.parse({"lang": "zh_CN"}).lang == "zh"
    assert server.Options.parse({"lang": ""}).lang is None  # unset: the client's locale
    with pytest.raises(ConfigError, match=r"'lang' must be one of en, zh \(got 'fr'\)"):
        server.Options.parse({"lang": "fr"})
    monkeypatch.setenv("CONCURLINT_LOCALE_DIR", str(french))
    assert server.Options.parse({"lang": "fr"}).lang == "fr"


def test_languages_are_named_by_their_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurlint.languages import names, resolve

    for locale in ("pt_BR", "pt_PT", "ja"):
        mo = tmp_path / locale / "LC_MESSAGES" / "concurlint.mo"
        mo.parent.mkdir(parents=True)
        with mo.open("wb") as handle:
            write_mo(handle, Catalog(locale=locale, domain="concurlint"))
    monkeypatch.setenv("CONCURLINT_LOCALE_DIR", str(tmp_path))
    # a shared language part needs the full name; a unique one is enough alone
    assert names() == ["en", "ja", "pt_BR", "pt_PT", "zh"]
    assert [resolve(v) for v in ("ja_JP.UTF-8", "pt-BR", "pt", "zh_TW", "ZH-cn", "C", "en_GB")] == \
        ["ja", "pt_BR", None, "zh", "zh", None, "en"]
