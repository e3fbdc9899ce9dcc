"""Counts in Russian documents take gettext's plural forms from the catalogue's Plural-Forms
(1 файл, 2 файла, 5 файлов, 11 файлов, 21 файл...), never "файл(ов)"."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import polib
import pytest

from evidence.bundle.verifytext import log_steps, verify_text
from evidence.messages import Words

GOLDEN = Path(__file__).resolve().parent / "data" / "verify_txt"
# The standard Russian rule (GNU gettext manual, "Plural forms"): one, few, many.
RUSSIAN_RULE = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
FILES = {
    1: "1 файл",
    2: "2 файла",
    5: "5 файлов",
    11: "11 файлов",
    21: "21 файл",
    22: "22 файла",
    25: "25 файлов",
    111: "111 файлов",
}


def _catalogue() -> polib.POFile:
    text = resources.files("evidence.messages").joinpath("ru.po").read_text(encoding="utf-8")
    return polib.pofile(text)


def test_the_catalogue_declares_the_russian_rule() -> None:
    assert _catalogue().metadata["Plural-Forms"] == RUSSIAN_RULE


def test_every_plural_entry_has_three_forms() -> None:
    plural = [e for e in _catalogue() if e.msgid_plural]
    assert len(plural) >= 4
    for entry in plural:
        assert sorted(entry.msgstr_plural) == [0, 1, 2], entry.msgid
        assert all(entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize(("count", "expected"), FILES.items())
def test_russian_counts(count: int, expected: str) -> None:
    ru = Words("ru")
    assert ru.n("{n} file", "{n} files", count) == expected
    bytes_form = {1: "байт", 2: "байта", 5: "байт"}[{1: 1, 21: 1, 2: 2, 22: 2}.get(count, 5)]
    assert ru.n("{size} byte", "{size} bytes", count, size=count) == f"{count} {bytes_form}"
    assert ru.n("{n} evidence file", "{n} evidence files", count) == f"{expected} доказательств"
    assert ru.n("{n} other", "{n} others", count) == f"ещё {expected}"


@pytest.mark.parametrize("count", [1, 2, 5, 11, 21])
def test_english_counts(count: int) -> None:
    assert Words("en").n("{n} file", "{n} files", count) == (
        "1 file" if count == 1 else f"{count} files"
    )


def test_no_count_is_written_as_a_pseudo_plural() -> None:
    """No "файл(ов)" or "запис(ей)" in the Russian catalogue: a count picks a form. Where the
    English wording still says "problem(s)" (a msgid without msgid_plural), the Russian puts
    the count after a label ("выявлено нарушений: {n}"), never "{n} нарушений"."""
    for entry in _catalogue():
        texts = [entry.msgstr, *entry.msgstr_plural.values()]
        for text in texts:
            assert not re.search(r"[а-яё]\((?:ов|а|ы|и|ей|ий|ев|ь|я)\)", text), text
        if re.search(r"[a-z]\(s\)", entry.msgid):
            assert not re.search(r"\{\w+\} [а-яё]", entry.msgstr), entry.msgstr


@pytest.mark.parametrize("count", FILES)
def test_verify_txt_counts_in_russian(count: int) -> None:
    """VERIFY.txt's counts of files and bytes read as Russian numerals govern them."""
    manifest = json.loads((GOLDEN / "manifest.json").read_bytes())
    item = {**manifest["items"][0], "size": count}
    manifest = {**manifest, "items": [item] * count}
    text = verify_text("b", manifest, "a" * 64, "b" * 64, cover=True, lang="ru")
    russian = text.split("\n\n\nHOW TO VERIFY")[0]
    assert f"Доказательства:      {FILES[count]}, " in russian
    assert f"({FILES[count]} доказательств и ещё " in russian
    assert f"эти {FILES[count]}\n" in log_steps(count)
