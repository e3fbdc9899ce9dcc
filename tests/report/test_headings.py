"""A heading holding one word wider than the page (a 200-character file name, a 64-letter
case number) is broken with the mark table cells use, or at a hyphen the word has, never
cut at the page edge without one: read back with pdftotext in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.cases import create_case
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.report import collect_custody_report, render_custody_report
from evidence.report.layout import CONTINUED
from evidence.report.locale import Locale

from .conftest import INVESTIGATOR, CaseWorld
from .readback import joined, pdftotext

NAME = "Screenshot__" + "0123456789abcdefghij" * 9 + "__VK.png"  # 200 characters, no space
NUMBER = "УД" + "Ж" * 62  # the longest case number allowed (64), 930 pt wide in a heading


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_word_wider_than_the_page_in_a_heading_breaks_with_a_mark(
    lang: str, fresh_ws: CaseWorld, tmp_path: Path
) -> None:
    assert len(NAME) == 200
    ws = fresh_ws.ws
    create_case(ws.ledger, NUMBER, "Hostile names", "BY", "", INVESTIGATOR)
    seized = tmp_path / "long"
    seized.mkdir()
    (seized / NAME).write_bytes(b"\x89PNG not really" * 10)
    ingest(ws, fresh_ws.investigator, [seized], IngestOptions(case=NUMBER, source="phone"))
    (item,) = list_items(ws.ledger, NUMBER)
    locale = Locale(lang)
    pdf = render_custody_report(collect_custody_report(ws, NUMBER, locale=locale))
    text = pdftotext(pdf, "-raw")
    whole = " ".join(joined(text).split())  # a line end at a space reads as that space
    # Each heading whole once its pieces are joined at the mark, as a reader joins them: an
    # unmarked cut leaves a line break inside the value, and these are not found.
    item_heading = locale.t("Item {id} — {name}", id=item.item_id, name=NAME)
    case_heading = locale.t("Case {number} — {title}", number=NUMBER, title="Hostile names")
    assert item_heading in whole, text
    assert case_heading in whole, text
    # Broken where it was too wide, with the visible mark at each line end.
    flat = " ".join(text.split())
    assert item_heading not in flat and case_heading not in flat
    assert all(line.endswith(CONTINUED) for line in text.splitlines() if CONTINUED in line)
    # The page header and footer name the case on every page, drawn smaller but whole.
    pages = text.count("\f")
    assert whole.count(f"{locale.t('case')} {NUMBER}") >= pages, text
    assert whole.count(f"{locale.t('Case')} {NUMBER} · ") == pages, text
