"""The message catalogue every document is written from: GNU gettext, one .po file per language.

The msgids are the English wording, so English needs no file; `ru.po` holds the Russian, with
gettext's plural rule for Russian (1 объект, 2 объекта, 5 объектов). The .po file is read with
polib at first use and compiled in memory to the .mo form Python's own `gettext` reads: nothing
is compiled at install time, so a fresh clone installs and runs as it is, and translators edit
a standard file any .po tool opens.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polib

LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Words:
    """One language's words: msgids rendered through its catalogue, {placeholders} filled."""

    lang: str = "en"

    def t(self, msgid: str, **values: object) -> str:
        """msgid in this language, {placeholders} filled."""
        text = translations(self.lang).gettext(msgid)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values: object) -> str:
        """A phrase about count things in the language's plural form (gettext's ngettext:
        Russian has three, 1 файл, 2 файла, 5 файлов); {n} is count."""
        text = translations(self.lang).ngettext(singular, plural, count)
        return text.format(n=count, **values)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of one language (English: the msgids themselves)."""
    if lang == "en":
        return gettext.NullTranslations()
    text = resources.files(__package__).joinpath(f"{lang}.po").read_text(encoding="utf-8")
    compiled = polib.pofile(text).to_binary()
    return gettext.GNUTranslations(io.BytesIO(compiled))


def message_ids(lang: str) -> frozenset[str]:
    """Every msgid the language's catalogue translates (for the completeness test)."""
    text = resources.files(__package__).joinpath(f"{lang}.po").read_text(encoding="utf-8")
    return frozenset(e.msgid for e in polib.pofile(text).translated_entries())
