"""The languages concurlint speaks: English (in the code) plus one per compiled gettext
catalog (``locale/<locale>/LC_MESSAGES/concurlint.mo``), found at run time, so a new
language needs a catalog and no code. A language is named by its catalog's language
part when that part is unique (``zh`` for ``zh_CN``), else by the full locale name.
``CONCURLINT_LOCALE_DIR`` names one more directory of catalogs, searched before the
package's own: a translator can try a catalog without reinstalling concurlint.
"""
from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

DOMAIN = "concurlint"
PACKAGE_LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALE_DIR_VARIABLE = "CONCURLINT_LOCALE_DIR"


def _locale_dirs() -> Tuple[Path, ...]:
    extra = os.environ.get(LOCALE_DIR_VARIABLE)
    return (Path(extra), PACKAGE_LOCALE_DIR) if extra else (PACKAGE_LOCALE_DIR,)


def languages() -> Dict[str, Optional[Path]]:
    """Every language by its name: where its catalog's locale directory is (None for English)."""
    return _languages(_locale_dirs())


@lru_cache(maxsize=None)
def _languages(directories: Tuple[Path, ...]) -> Dict[str, Optional[Path]]:
    found: Dict[str, Path] = {}
    for directory in directories:
        try:
            catalogs = sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
        except OSError:  # a CONCURLINT_LOCALE_DIR that cannot be read offers nothing
            continue
        for mo in catalogs:
            found.setdefault(mo.parent.parent.name, directory)
    parts: Dict[str, int] = {}
    for locale in found:
        parts[_part(locale)] = parts.get(_part(locale), 0) + 1
    named: Dict[str, Optional[Path]] = {"en": None}
    for locale, directory in found.items():
        named.setdefault(_part(locale) if parts[_part(locale)] == 1 else locale, directory / locale)
    return named


def _part(locale: str) -> str:
    return locale.split("_")[0].split(".")[0].lower()


def resolve(value: str) -> Optional[str]:
    """The language a name, a locale (``zh_CN.UTF-8``) or a tag (``zh-CN``) stands for, or None."""
    known = languages()
    wanted = value.strip().split(".")[0].replace("-", "_")
    for candidate in (wanted, _part(wanted)):
        for name in known:
            if name.lower() == candidate.lower():
                return name
    return None


def detect_lang(option: Optional[str] = None) -> str:
    """--lang, else CONCURLINT_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else
    English; a language without a catalog counts as English."""
    for value in (option, os.environ.get("CONCURLINT_LANG")):
        if value:
            return resolve(value) or "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return resolve(value) or "en"
    return "en"


def names() -> List[str]:
    """The language names --lang accepts, English first."""
    return list(languages())


def tag(lang: str) -> str:
    """The language's BCP 47 tag for documents that declare one (HTML, SARIF)."""
    catalog_dir = languages().get(lang)
    return catalog_dir.name.replace("_", "-") if catalog_dir is not None else "en-US" if lang == "en" else lang


@lru_cache(maxsize=None)
def _translations(catalog_dir: Optional[Path]) -> "gettext.NullTranslations":
    if catalog_dir is None:
        return gettext.NullTranslations()
    with open(catalog_dir / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)


def catalog(lang: str) -> "gettext.NullTranslations":
    """The compiled catalog of ``lang`` (read once); an unknown language translates nothing."""
    return _catalog(lang, os.environ.get(LOCALE_DIR_VARIABLE, ""))


@lru_cache(maxsize=None)
def _catalog(lang: str, _locale_dir_variable: str) -> "gettext.NullTranslations":
    # keyed by the variable too: every Text shown asks, so the answer is one dict lookup
    try:
        return _translations(languages().get(lang))
    except OSError:
        return gettext.NullTranslations()
