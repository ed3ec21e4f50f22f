"""Languages of the console: Simplified Chinese by default, English on request.

The source strings (in templates and code) are English; ``locales/zh_CN/LC_MESSAGES/
messages.po`` translates them. The ``.po`` files are compiled in memory when the console is
mounted: no binary catalogue is kept in the repository. Refresh the template of strings with
``pybabel extract -F gateway/console/babel.cfg -o gateway/console/locales/messages.pot
gateway/console`` and merge it with ``pybabel update``."""

import gettext
import io
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"zh": "zh_CN", "en": "en"}
LANGUAGE_COOKIE = "ew_lang"


def load_translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (``zh`` or ``en``); English is the source."""
    locale = LANGUAGES[language]
    po = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def choose_language(query: str | None, cookie: str | None, default: str) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return default


class Catalogues:
    """Every language's translations, compiled once."""

    def __init__(self) -> None:
        self._by_language = {lang: load_translations(lang) for lang in LANGUAGES}

    def get(self, language: str) -> gettext.NullTranslations:
        return self._by_language[language]

    def gettext(self, language: str) -> Any:
        return self._by_language[language].gettext
