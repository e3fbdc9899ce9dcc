"""Table cells break a too-long word with a hyphen where the Russian or English dictionary
allows, a file name at its punctuation, and never lose a character."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate

from evidence.report.fonts import SANS
from evidence.report.layout import CELL_SIZE, CONTINUED, styles, wrap_plain

from .conftest import pdftotext

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


def test_file_names_break_at_punctuation_with_a_continuation_mark() -> None:
    styles()
    name = "Screenshot_20261102_VK.png"
    lines = wrap_plain(name, 60.0).split("\n")
    assert len(lines) > 1 and "".join(lines).replace(CONTINUED, "") == name
    assert all(line.endswith(("." + CONTINUED, "_" + CONTINUED)) for line in lines[:-1]), lines
    assert all(stringWidth(line, SANS, CELL_SIZE) <= 60.0 for line in lines)


@pytest.mark.parametrize("width", [25.0, 40.0, 90.0])
def test_digests_and_names_without_punctuation_break_with_the_mark(width: float) -> None:
    """What no dictionary knows and has no punctuation (a digest, a name like
    IMG20261102WA0001) breaks at the cell edge with the mark: whole when joined at it."""
    styles()
    for value in ("3f2a9c81d0e4b7a6" * 4, "IMG20261102WA0001Kovaleva"):
        lines = wrap_plain(value, width).split("\n")
        assert len(lines) > 1
        assert all(line.endswith(CONTINUED) for line in lines[:-1]), lines
        assert CONTINUED not in lines[-1]
        assert "".join(line.removesuffix(CONTINUED) for line in lines) == value
        assert all(stringWidth(line, SANS, CELL_SIZE) <= width for line in lines)


TEXT = (
    "Проанализировано экспертно-криминалистической лабораторией компьютерно-технической "
    "экспертизы государственного комитета судебных экспертиз Республики Беларусь; "
    "examination of electronically stored information under internationalisation rules; "
    "файл Screenshot_20261102_VK.png передан на хранение, опечатано пломбой № 0042117. "
)


def _broken(text: str, source: str) -> list[str]:
    """Line ends that cut a word without a hyphen: the two pieces stand joined in source.

    Words only: a file name or identifier wider than its line (digits, dots, underscores)
    breaks where it must, at the line's edge; that nothing is lost is checked apart."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = []
    for line, after in itertools.pairwise(lines):
        head, tail = line.split()[-1], after.split()[0]
        if head.endswith("-") or head[-1] in "._/":
            continue
        if re.search(r"[0-9._/]", head + tail):
            continue
        if head + tail in source and f"{head} {tail}" not in source:
            found.append(f"{head}|{tail}")
    return found


@pytest.mark.parametrize("width", [110.0, 160.0, 240.0, 450.0])
def test_paragraphs_break_words_only_with_a_hyphen(width: float) -> None:
    """Body text and table cells (Paragraphs) break words at a syllable of the Russian or
    English dictionary with a hyphen, read back from the PDF with pdftotext."""
    source = TEXT * 4
    buf = io.BytesIO()
    margin = (A4[0] - width) / 2
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin)
    doc.build([Paragraph(source, styles().body), Paragraph(source, styles().cell)])
    text = pdftotext(buf.getvalue(), "-raw")
    assert "".join(text.split()).replace("-", "") == "".join((source * 2).split()).replace(
        "-", ""
    ), "a character was lost"
    assert _broken(text, source) == []
    assert any(line.rstrip().endswith("-") for line in text.splitlines()) or width > 400
