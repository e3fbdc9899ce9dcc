"""RuledTable (the fast table of plain-string rows) prints what reportlab's LongTable prints.

Each case lays the same cells out both ways in a real PDF and compares what poppler reads
back: the text in pdftotext's three modes (reading order, layout, content order) and every
page's pixels (the only tolerance: anti-aliasing where two rules meet, a few grey levels).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from reportlab.platypus import Flowable, LongTable, Spacer, Table, TableStyle

from evidence.report.custody import EVENT_COLS, ITEM_COLS
from evidence.report.fonts import MONO, SANS
from evidence.report.itemfacts import DETAIL_LABEL, item_facts
from evidence.report.layout import (
    CELL_LEADING,
    CELL_SIZE,
    FAIL_COLOUR,
    GRID,
    MONO_SIZE,
    PAD,
    WIDTH,
    Furniture,
    build_pdf,
    grid_table,
    long_grid_table,
    mono_column,
    para,
    wrap_plain,
)
from evidence.report.locale import make_locale
from evidence.report.ruled import RuledTable

from .conftest import CaseWorld, pdftotext

HEADERS = ["#", "Time", "Action", "Actor", "From → to", "Location", "Purpose / note", "Signature"]
# Russian headings narrower than their words: Paragraphs, wrapped and hyphenated, beside
# headings that fit on one line (plain strings).
HEADERS_RU = [
    "№",
    "Время",
    "Действие",
    "Исполнитель",
    "От кого → кому",
    "Местонахождение",
    "Цель / примечание",
    "Подпись",
]
PLACES = ["Минск, ул. Сурганова 2, каб. 214", "Minsk", "Гродно, пр-т Космонавтов 9 (хранилище)"]
NOTES = ["", "упаковка не нарушена", "examination under order No. 12/34 " * 3, "—"]


def _events(n: int) -> list[tuple[str, ...]]:
    rows = []
    for i in range(n):
        inner = [w - 2 * PAD for w in EVENT_COLS]
        lines = 1 + i % 4
        rows.append(
            (
                str(i + 1),
                f"2026-11-{1 + i % 28:02d}\n12:{i % 60:02d}:07 +03:00\n09:{i % 60:02d}:07 UTC",
                wrap_plain(("transferred", "received", "analysed")[i % 3], inner[2]),
                wrap_plain("Б. Петрова" if i % 2 else "Evidence Room", inner[3])
                + f"\nsigner No. {1 + i % 2}",
                wrap_plain("А. Иванов → Б. Петрова" if i % 5 == 0 else "", inner[4]),
                wrap_plain(PLACES[i % 3], inner[5]),
                wrap_plain(NOTES[i % 4] * lines, inner[6]),
                "valid" if i % 7 else "valid\nnot holder",
            )
        )
    return rows


def _pdf(story: list[Flowable]) -> bytes:
    furniture = Furniture("Table test", "T-1", "2026-12-03T12:00:00Z", "footer")
    return build_pdf(story, furniture, title="t", author="test")


def _pages(pdf: bytes, folder: Path, name: str) -> list[Path]:
    (folder / f"{name}.pdf").write_bytes(pdf)
    prefix = folder / name
    subprocess.run(
        ["pdftoppm", "-r", "72", "-gray", str(folder / f"{name}.pdf"), str(prefix)], check=True
    )
    return sorted(folder.glob(f"{name}-*.pgm"))


def assert_same_print(ours: bytes, theirs: bytes, folder: Path) -> None:
    """Same text in every pdftotext mode, same pages, pixels equal but for anti-aliasing."""
    for mode in ((), ("-layout",), ("-raw",)):
        assert pdftotext(ours, *mode) == pdftotext(theirs, *mode), mode
    a, b = _pages(ours, folder, "ours"), _pages(theirs, folder, "theirs")
    assert len(a) == len(b)
    for page_a, page_b in zip(a, b, strict=True):
        diff = ImageChops.difference(Image.open(page_a), Image.open(page_b))
        assert diff.getextrema()[1] <= 16, page_a.name


def _both(build: Any, before: list[Flowable] | None = None) -> tuple[bytes, bytes]:
    ours, theirs = build(grid_table), build(long_grid_table)
    assert isinstance(ours, RuledTable) and isinstance(theirs, LongTable)
    return _pdf([*(before or []), ours]), _pdf([*(before or []), theirs])


@pytest.mark.parametrize("room", [0, 560, 690, 714])
def test_timeline_table_across_pages(tmp_path: Path, room: float) -> None:
    # A timeline of 150 events over several pages, starting lower and lower on the first
    # (at 714 pt not even one row fits under its headings there); irregular rows in red.
    rows = _events(150)
    bad = [("TEXTCOLOR", (7, i), (7, i), FAIL_COLOUR) for i in range(2, 152) if i % 7 == 2]

    def build(make: Any) -> Any:
        caption = "Custody timeline of item 3f2a9c01d4e7 — переписка_ВК_2026.txt"
        return make(HEADERS, rows, EVENT_COLS, extra=bad, caption=caption)

    ours, theirs = _both(build, [Spacer(1, room)] if room else [])
    assert_same_print(ours, theirs, tmp_path)


def test_wrapping_headings_and_caption(tmp_path: Path) -> None:
    # A caption too long for one line and Russian headings that wrap are Paragraphs; the
    # rest of the heading row stays plain, in the same order on the page.
    caption = "Хронология хранения объекта 3f2a9c01d4e7 — " + "очень_длинное_имя_файла_" * 6

    def build(make: Any) -> Any:
        return make(HEADERS_RU, _events(40), EVENT_COLS, caption=caption)

    ours, theirs = _both(build)
    assert_same_print(ours, theirs, tmp_path)


def test_items_table_with_monospace_column(tmp_path: Path) -> None:
    rows = [
        (
            f"{i:012x}",
            wrap_plain(f"скриншот_переписки_{i:05d}_очень_длинное_имя.png", ITEM_COLS[1] - 5),
            "screenshot",
            f"{1000 + i * 7919:,} bytes\n(1.2 KB)",
            "2026-11-02\n13:00:00 +03:00\n10:00:00 UTC",
            wrap_plain("iPhone 12, изъят у подозреваемого, Минск", ITEM_COLS[5] - 5),
        )
        for i in range(120)
    ]
    headers = ["Item", "Original name", "Type", "Size", "Acquired", "Source"]

    def build(make: Any) -> Any:
        return make(headers, rows, ITEM_COLS, extra=[mono_column(0)])

    ours, theirs = _both(build, [Spacer(1, 300)])
    assert_same_print(ours, theirs, tmp_path)


def test_any_other_cell_keeps_reportlabs_table() -> None:
    # A Paragraph among the cells, or a style command RuledTable does not draw: LongTable.
    headers = ["Check", "Result"]
    assert isinstance(grid_table(headers, [("a", para("b"))], (100, 100)), LongTable)
    boxed = [("BOX", (0, 0), (-1, -1), 1, GRID)]
    assert isinstance(grid_table(headers, [("a", "b")], (100, 100), extra=boxed), LongTable)
    assert isinstance(grid_table(headers, [("a", "b")], (100, 100)), RuledTable)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_item_facts_print_as_the_table_they_were(
    case_ws: CaseWorld, tmp_path: Path, lang: str
) -> None:
    # The facts block was a reportlab Table with these commands; it prints the same.
    loc = make_locale(lang, "UTC")
    blocks = [item_facts(item, loc) for item in case_ws.items for _ in range(30)]
    tables = []
    for block in blocks:
        table = Table(
            [list(row) for row in block.rows],
            colWidths=[DETAIL_LABEL, WIDTH - DETAIL_LABEL],
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (0, -1), SANS, CELL_SIZE, CELL_LEADING),
                    ("FONT", (1, 0), (1, 1), MONO, MONO_SIZE, CELL_LEADING),
                    ("FONT", (1, 2), (1, -1), SANS, CELL_SIZE, CELL_LEADING),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
                    ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        tables.append(table)
    ours = _pdf([x for b in blocks for x in (b, Spacer(1, 9))])
    theirs = _pdf([x for t in tables for x in (t, Spacer(1, 9))])
    assert_same_print(ours, theirs, tmp_path)
