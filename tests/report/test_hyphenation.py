"""Table cells break a too-long word with a hyphen where the Russian or English dictionary
allows, a file name at its punctuation, and never lose a character."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from evidence.report.fonts import SANS
from evidence.report.layout import CELL_SIZE, styles, wrap_plain

NARROW = 30.0  # points: narrower than each word below


@pytest.mark.parametrize(
    "word", ["проанализировано", "экспертно-криминалистической", "examination"]
)
def test_words_break_with_a_hyphen_at_a_syllable(word: str) -> None:
    styles()  # registers the fonts
    lines = wrap_plain(word, NARROW).split("\n")
    assert len(lines) > 1
    for line in lines:
        assert stringWidth(line, SANS, CELL_SIZE) <= NARROW, line
    for line in lines[:-1]:
        assert line.endswith("-"), lines
    # Nothing lost: the hyphens added are the only change (a word's own hyphen stays).
    joined = "".join(line[:-1] if line.endswith("-") else line for line in lines[:-1]) + lines[-1]
    assert joined.replace("-", "") == word.replace("-", "")


def test_file_names_break_at_punctuation_not_with_a_hyphen() -> None:
    styles()
    name = "Screenshot_20261102_VK.png"
    lines = wrap_plain(name, 60.0).split("\n")
    assert "".join(lines) == name
    assert all(line[-1] in "._" for line in lines[:-1]), lines
