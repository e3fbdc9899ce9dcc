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
from functools import cache
from importlib import resources

import polib

LANGUAGES = ("en", "ru")


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
