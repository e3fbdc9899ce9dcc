"""A file name or digest wider than its table cell is broken at chosen points with a visible
continuation mark, and read back whole (pdftotext, joined at the mark): nothing is cut at the
cell edge without a sign."""

from __future__ import annotations

import io

from reportlab.platypus import Paragraph, SimpleDocTemplate

from evidence.report.cover import render_cover
from evidence.report.layout import CONTINUED, styles

from .readback import joined, pdftotext, problems

LONG_NAMES = [
    "data/1eeb09c1d42d/" + "WhatsApp_Chat_with_Marina_Kovaleva_" * 3 + "2026-11-02.txt",
    "data/3f2a9c81d0e4/" + "IMG20261102WA0001" * 5 + ".jpg",
]
DIGEST = "3f2a9c81d0e4b7a6" * 4


def _cover() -> bytes:
    items = [
        {"path": path, "size": 1000, "digests": {"sha256": DIGEST}, "item_id": "x"}
        for path in LONG_NAMES
    ]
    return render_cover({"request": {"kind": "MLA"}, "items": items}, "a" * 64, "b" * 64)


def test_long_file_names_are_broken_with_the_mark_and_read_whole() -> None:
    pdf = _cover()
    raw = pdftotext(pdf, "-raw")
    for name in LONG_NAMES:
        assert name not in raw  # wider than its cell: broken...
        assert name in joined(raw)  # ...and whole again at the marks
    marked = [line for line in raw.splitlines() if line.rstrip().endswith(CONTINUED)]
    assert len(marked) >= 4
    assert problems({"cover": pdf}, "en", set()) == []


def test_a_mark_that_goes_nowhere_is_reported() -> None:
    buf = io.BytesIO()
    SimpleDocTemplate(buf).build([Paragraph(f"IMG20261102WA0001{CONTINUED}", styles().body)])
    found = problems({"made-up": buf.getvalue()}, "en", set())
    assert found == ["made-up, page 1 of 1: a value marked as going on does not go on"]
