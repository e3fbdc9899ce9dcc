"""The page template every report shares: A4, DejaVu fonts, header, "page X of Y" footer.

Page furniture (header and footer) is drawn when the document is saved, not while it is laid
out, because "of Y" is only known then; each page's drawing operations are kept until that
moment (reportlab's usual "numbered canvas"), which costs the size of the page content only.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    LongTable,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.paragraph import cleanBlockQuotedText

from .fonts import MONO, SANS, SANS_BOLD, register_fonts
from .locale import Locale
from .ruled import Font, Look, Padding, Region, RuledTable, Rules

PAGE = A4
MARGIN = 15 * mm
TOP = 20 * mm
BOTTOM = 20 * mm
WIDTH = PAGE[0] - 2 * MARGIN  # usable width, 510 pt on A4
FRAME_PAD = 6  # reportlab's Frame pads its content by 6 pt each side
LINE = WIDTH - 2 * FRAME_PAD  # a paragraph's line in the body frame
HEX_PER_LINE = 32  # a SHA-256 prints as two lines of 32, the same split everywhere
CELL_SIZE, CELL_LEADING = 7.0, 8.6  # table text
MONO_SIZE = 6.5  # 32 hex digits in 125 pt
PAD = 2.5  # cell padding left and right

OK_COLOUR = colors.HexColor("#1b5e20")
FAIL_COLOUR = colors.HexColor("#b71c1c")
NEUTRAL_COLOUR = colors.HexColor("#37474f")
GRID = colors.HexColor("#9e9e9e")
HEAD_FILL = colors.HexColor("#e8e8e8")
CAPTION_FILL = colors.HexColor("#d0d0d0")


@dataclass(frozen=True)
class Styles:
    """Paragraph styles of every report."""

    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    mono: ParagraphStyle
    digest: ParagraphStyle
    verdict: ParagraphStyle


@cache
def styles() -> Styles:
    """The shared styles (fonts registered on first use)."""
    register_fonts()
    # Paragraphs break words as table cells do (break_word): at a syllable boundary of the
    # Russian or English dictionary, with a hyphen (hyphenationLang: a callable choosing the
    # dictionary by the word's script); at a hyphen the word has (embeddedHyphenation); a
    # URL at its punctuation (uriWasteReduce). splitLongWords then only breaks what is no
    # word (a digest, a file name wider than its cell), at the cell edge instead of running
    # off the page.
    base = ParagraphStyle(
        "base",
        fontName=SANS,
        fontSize=9,
        leading=11.5,
        splitLongWords=1,
        hyphenationLang=syllables,
        # 2: also a word alone on its line, too wide for it (a compound in a narrow cell)
        embeddedHyphenation=2,
        uriWasteReduce=0.3,
    )
    cell = ParagraphStyle("cell", base, fontSize=CELL_SIZE, leading=CELL_LEADING)
    return Styles(
        title=ParagraphStyle("title", base, fontName=SANS_BOLD, fontSize=17, leading=21),
        h1=ParagraphStyle(
            "h1", base, fontName=SANS_BOLD, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        ),
        h2=ParagraphStyle(
            "h2", base, fontName=SANS_BOLD, fontSize=9.5, leading=12, spaceBefore=8, spaceAfter=3
        ),
        body=base,
        small=ParagraphStyle("small", base, fontSize=7.5, leading=9.5),
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", cell, fontName=SANS_BOLD),
        mono=ParagraphStyle("mono", cell, fontName=MONO, fontSize=MONO_SIZE, leading=CELL_LEADING),
        digest=ParagraphStyle("digest", base, fontName=MONO, fontSize=10, leading=12.5),
        verdict=ParagraphStyle(
            "verdict", base, fontName=SANS_BOLD, fontSize=22, leading=26, alignment=TA_CENTER
        ),
    )


@cache
def _glyphs(font: str) -> frozenset[int]:
    """Code points the font can draw; for SANS also those of its bold face (used for <b>)."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    have = frozenset(pdfmetrics.getFont(font).face.charWidths)
    return have & _glyphs(SANS_BOLD) if font == SANS else have


def safe_text(value: object, font: str = SANS) -> str:
    """Plain text with any character the font lacks replaced by [U+XXXX] (not XML-escaped).

    DejaVu covers Latin, Cyrillic and Greek; a Chinese name would otherwise print as empty
    boxes, silently. Writing the code point keeps the text exact and visibly so.
    """
    text = "" if value is None else str(value)
    have = _glyphs(font)
    if have.issuperset(map(ord, text)):  # the common case, decided in C
        return text
    return "".join(
        c if ord(c) in have else (f"[U+{ord(c):04X}]" if c.isprintable() else " ") for c in text
    )


def _fit(text: str, width: float, font: str, size: float) -> int:
    """Length of the longest prefix of text (at least 1) no wider than width."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid], font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def wrap_plain(value: object, width: float, font: str = SANS, size: float = CELL_SIZE) -> str:
    """Text broken into lines no wider than width, for a plain (non-Paragraph) table cell.

    Breaks at spaces where it can and inside a word only when the word alone is too wide
    (file names without spaces). Much cheaper than a Paragraph, which matters in a
    10,000-row timeline; the result keeps every character. Kept per text and width: the
    same names, places and purposes recur on thousands of rows.
    """
    return _wrapped("" if value is None else str(value), width, font, size)


@lru_cache(maxsize=8192)
def _wrapped(text: str, width: float, font: str, size: float) -> str:
    lines: list[str] = []
    for line in simpleSplit(safe_text(text, font), font, size, width):
        name = False
        while len(line) > 1 and stringWidth(line, font, size) > width:
            head, line = break_word(line, width, font, size, name=name)
            name = head.endswith(CONTINUED)
            lines.append(head)
        lines.append(line)
    return "\n".join(lines)


@cache
def _hyphenator(lang: str) -> Any:
    import pyphen  # the LibreOffice hyphenation patterns, Russian and English

    return pyphen.Pyphen(lang=lang)


_CYRILLIC = re.compile("[А-Яа-яЁё]")


def syllables(word: str) -> list[tuple[str, str]]:
    """Where a word of a language may break, longest head first, as pyphen gives it: the
    Russian dictionary for a Cyrillic word, the English one otherwise; none for anything that
    is not letters (identifiers, file names, numbers), which no dictionary knows."""
    if not word.replace("-", "").isalpha():
        return []
    lang = "ru_RU" if _CYRILLIC.search(word) else "en_GB"
    return list(_hyphenator(lang).iterate(word))


# Printed at the end of a line where a file name, digest or identifier too wide for its cell
# goes on: a hyphen would read as part of the name, and nothing at all would let a reader take
# the two pieces for two values. No name or digest holds it; readers join at it.
CONTINUED = "↵"


def break_word(
    word: str, width: float, font: str, size: float, *, name: bool = False
) -> tuple[str, str]:
    """The longest head of a word too wide for width that fits, and the rest.

    In this order: after a hyphen the word has (nothing added); at a syllable boundary of the
    Russian or English hyphenation dictionary, with a hyphen; then, for what no dictionary
    knows (file names, digests, identifiers), after a dot, underscore or slash, else at the
    last character that fits, with CONTINUED after the head. A word is never cut without a
    hyphen or that mark. name: word is the rest of a name already cut (no dictionary for it).
    """
    cut = _fit(word, width, font, size)
    dash = word.rfind("-", 0, cut)
    if dash > 0:
        return word[: dash + 1], word[dash + 1 :]
    for head, tail in [] if name else syllables(word):  # a language's words, not names
        shown = head if head.endswith("-") else head + "-"
        if stringWidth(shown, font, size) <= width:
            return shown, tail
    room = _fit(word, width - stringWidth(CONTINUED, font, size), font, size)
    for i in range(room, 0, -1):
        if word[i - 1] in "._/\\":
            return word[:i] + CONTINUED, word[i:]
    return word[:room] + CONTINUED, word[room:]


def printable(value: object, font: str = SANS) -> str:
    """Text safe inside a Paragraph: glyphs checked as in safe_text, then XML-escaped."""
    return escape(safe_text(value, font))


def para(value: object, style: ParagraphStyle | None = None, *, bold: bool = False) -> Paragraph:
    """A wrapping paragraph of plain text."""
    st = style or styles().cell
    text = printable(value)
    return paragraph(f"<b>{text}</b>" if bold else text, st)


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Paragraph(text, style); text with no tag or entity (most of a report's: headings,
    names, sentences) gets its one fragment from the style's, made once, instead of from
    reportlab's parser (a parser a paragraph, about a tenth of a millisecond: a 1,000-item
    report has thousands). The fragment is the one the parser makes (a test compares them)."""
    if "&" in text or "<" in text or ">" in text or style.textTransform:
        return Paragraph(text, style)
    text = cleanBlockQuotedText(text)
    if not text:
        return Paragraph(text, style)
    frag = _fragment(style).clone(text=text, link=[], us_lines=[])
    return Paragraph(text, style, frags=[frag])


@lru_cache(maxsize=64)
def _fragment(style: ParagraphStyle) -> Any:
    """The fragment reportlab's parser makes of a plain word in this style."""
    (frag,) = Paragraph("x", style).frags
    return frag


IDENTIFIER_SIZE = 5.5  # a check's identifier, small beside its worded name
IDENTIFIER_COLOUR = "#616161"


def check_para(loc: Locale, name: str, worded: Mapping[str, str]) -> Paragraph:
    """A check as a document names it: its worded name from the catalogue (worded maps each
    identifier to its English name); in English with the identifier the terminal and --json
    print small beside it, to look a line up by. A check with no worded name: the identifier."""
    st = styles().cell
    if name not in worded:
        return para(name, st)
    text = printable(loc.t(worded[name]))
    if loc.lang == "en":
        small = f'size="{IDENTIFIER_SIZE}" color="{IDENTIFIER_COLOUR}"'
        text += f" <font {small}>{printable(name)}</font>"
    return Paragraph(text, st)


def heading(value: object, style: ParagraphStyle, width: float = LINE) -> Paragraph:
    """A heading (or a caption) that may hold a recorded value (a case number, a file name):
    a word wider than the whole line (width) is such a value, no word of a language, and is
    broken as a name in a cell is (break_word: after . _ / else at the edge, CONTINUED at
    the line end), where reportlab would cut it at the edge with no mark. The pieces end in
    the mark, so reportlab's dictionary hyphenation leaves them alone."""
    font, size = style.fontName, style.fontSize
    words = []
    for word in safe_text(value, font).split(" "):
        pieces = []
        while len(word) > 1 and stringWidth(word, font, size) > width:
            head, word = break_word(word, width, font, size, name=True)
            pieces.append(head)
        words.append("<br/>".join(escape(piece) for piece in [*pieces, word]))
    return paragraph(" ".join(words), style)


def name_para(value: object, width: float, style: ParagraphStyle | None = None) -> Paragraph:
    """A file name or identifier in a cell of that inner width, broken as wrap_plain breaks it
    (at spaces, else with CONTINUED), never cut by reportlab at the cell edge without a mark."""
    st = style or styles().cell
    lines = wrap_plain(value, width, st.fontName, st.fontSize).split("\n")
    return Paragraph("<br/>".join(escape(line) for line in lines), st)


def markup(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of trusted mini-markup (<b>, <br/>, <font>) written by this package."""
    return paragraph(text, style or styles().body)


def hex_lines(value: str | None, per_line: int = HEX_PER_LINE, sep: str = "<br/>") -> str:
    """A long hex digest broken into fixed lines (no characters inserted), joined by sep."""
    if not value:
        return "–"
    parts = [escape(value[i : i + per_line]) for i in range(0, len(value), per_line)]
    return sep.join(parts)


def mono_column(column: int, first_row: int = 1) -> tuple[Any, ...]:
    """Table style command: plain cells of this column, from first_row on, in monospace."""
    return ("FONT", (column, first_row), (column, -1), MONO, MONO_SIZE, CELL_LEADING)


def hex_para(
    value: str | None, per_line: int = HEX_PER_LINE, style: ParagraphStyle | None = None
) -> Paragraph:
    """A digest or fingerprint in monospace, split into lines of per_line characters."""
    return Paragraph(hex_lines(value, per_line), style or styles().mono)


def grid_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    *,
    extra: Sequence[tuple[Any, ...]] = (),
    caption: str | None = None,
) -> Flowable:
    """A ruled table whose header row repeats on every page it spans.

    Cells are Paragraphs (anything that may need wrapping) or short plain strings, which
    reportlab draws without parsing: a 10,000-row timeline has many such cells and
    Paragraphs cost most of the layout time. Plain strings must come through safe_text.
    A table of plain strings only (extra: FONT and TEXTCOLOR commands) is a RuledTable,
    which lays out and draws what LongTable would, at a fraction of the cost; any other
    is a LongTable, which lays rows out in one pass.
    """
    body = [tuple(row) for row in rows]
    head = 1 if caption is None else 2
    look = _ruled_look(extra, caption is not None, head, len(widths), head + len(body))
    if look is not None and all(type(cell) is str for row in body for cell in row):
        heading: list[Sequence[Any]] = [_heading_row(tuple(headers), tuple(widths))]
        if caption is not None:
            cell = _heading_cell(caption, sum(widths), caption=True)
            heading.insert(0, [cell] + [""] * (len(headers) - 1))
        return RuledTable(widths, heading, body, look)
    return long_grid_table(headers, body, widths, extra=extra, caption=caption)


def long_grid_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    *,
    extra: Sequence[tuple[Any, ...]] = (),
    caption: str | None = None,
) -> LongTable:
    """grid_table as a reportlab LongTable, whatever its cells (and what a RuledTable must
    look like: the tests compare the two)."""
    st = styles()
    head = 1 if caption is None else 2
    data: list[list[Any]] = [[para(h, st.cell_bold) for h in headers]]
    spans: list[tuple[Any, ...]] = []
    if caption is not None:
        # A caption row repeats with the headings, so a page that continues a table
        # still says whose rows these are.
        cell = heading(caption, st.cell_bold, sum(widths) - 2 * PAD)
        data.insert(0, [cell] + [""] * (len(headers) - 1))
        spans = [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), CAPTION_FILL)]
    data.extend(list(row) for row in rows)
    table = LongTable(data, colWidths=list(widths), repeatRows=head, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, CELL_SIZE, CELL_LEADING),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, head - 1), HEAD_FILL),
                *spans,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                *extra,
            ]
        )
    )
    return table


@lru_cache(maxsize=64)
def _heading_row(headers: tuple[str, ...], widths: tuple[float, ...]) -> list[Paragraph | str]:
    """A grid table's column headings, made once: a 1,000-item report repeats the same
    timeline headings 1,000 times."""
    return [_heading_cell(h, w) for h, w in zip(headers, widths, strict=True)]


def _heading_cell(text: str, width: float, *, caption: bool = False) -> Paragraph | str:
    """A bold heading cell: the plain string when the Paragraph would set it as that one
    line (single spaces, narrower than the cell), else the Paragraph (wrapped, hyphenated;
    a caption, which may name a file, as a heading: a name wider than the cell marked)."""
    plain = safe_text(text)
    fits = stringWidth(plain, SANS_BOLD, CELL_SIZE) <= width - 2 * PAD - 0.01
    if plain and plain == " ".join(plain.split()) and fits:
        return plain
    if caption:
        return heading(text, styles().cell_bold, width - 2 * PAD)
    return para(text, styles().cell_bold)


def _ruled_look(
    extra: Sequence[tuple[Any, ...]], caption: bool, head: int, ncols: int, nrows: int
) -> Look | None:
    """grid_table's style as a RuledTable's Look; None when extra asks for more than fonts
    and text colours (the table is then a LongTable)."""

    def region(start: tuple[int, int], end: tuple[int, int]) -> Region:
        (c0, r0), (c1, r1) = start, end
        return Region(c0 % ncols, r0 % nrows, c1 % ncols, r1 % nrows)

    fonts: list[tuple[Region, Font]] = []
    colours: list[tuple[Region, Any]] = []
    for command in extra:
        if command[0] == "FONT" and len(command) == 6:
            fonts.append((region(command[1], command[2]), Font(*command[3:])))
        elif command[0] == "TEXTCOLOR" and len(command) == 4:
            colours.append((region(command[1], command[2]), colors.toColor(command[3])))
        else:
            return None
    fills = [(Region(0, 0, ncols - 1, head - 1), HEAD_FILL)]
    if caption:
        fills.append((Region(0, 0, ncols - 1, 0), CAPTION_FILL))
    return Look(
        font=Font(SANS, CELL_SIZE, CELL_LEADING),
        padding=Padding(PAD, PAD, 1.5, 2),
        rules=Rules("grid", 0.4, GRID),
        fonts=tuple(fonts),
        colours=tuple(colours),
        fills=tuple(fills),
        span_first=caption,
        heading_font=Font(SANS_BOLD, CELL_SIZE, CELL_LEADING),  # as styles().cell_bold
    )


def field_table(pairs: Sequence[tuple[str, Any]], label_width: float = 40 * mm) -> Table:
    """Label/value pairs as a two-column block (title blocks, signer details)."""
    st = styles()
    data = [
        [para(label, st.small), v if isinstance(v, Flowable) else para(v, st.body)]
        for label, v in pairs
    ]
    table = Table(data, colWidths=[label_width, WIDTH - label_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def field_name(value: object, label_width: float = 40 * mm) -> Paragraph:
    """A file name or path as a field_table value: broken as name_para breaks it (the mark at
    each cut), where the value column's paragraph would cut it at the edge with none."""
    st = styles()
    return name_para(value, WIDTH - label_width - 2 - 6, st.body)  # the cell's paddings


def verdict_box(word: str, state: bool | None, lines: Sequence[str]) -> Table:
    """The final verdict in words, in a thick frame: state True ok, False failed, None neither.

    The word carries the meaning (a photocopy loses the colour); the colour only helps.
    """
    st = styles()
    colour = NEUTRAL_COLOUR if state is None else (OK_COLOUR if state else FAIL_COLOUR)
    verdict = ParagraphStyle("v", st.verdict, textColor=colour)
    body = ParagraphStyle("vb", st.body, alignment=TA_CENTER)
    cells = [[Paragraph(escape(word), verdict)], *[[para(line, body)] for line in lines]]
    table = Table(cells, colWidths=[WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 9),
                ("BOX", (0, 0), (-1, -1), 2.5, colour),
                ("TOPPADDING", (0, 0), (-1, 0), 8),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    return table


@dataclass(frozen=True)
class Furniture:
    """What every page shows besides the content."""

    kind: str  # e.g. "Chain of custody report"
    case_number: str
    generated_at: str  # RFC 3339 UTC; also the PDF's creation date
    footer_note: str  # e.g. "ledger checkpoint #12 root 3f2a..." ties paper to data
    label: str = "case"  # what case_number names: a case, or a request reference
    locale: Locale = field(default_factory=Locale)


def _timestamp(rfc3339: str) -> TimeStamp:
    """reportlab's creation-date object set to our generation time, so output is reproducible."""
    stamp = TimeStamp(invariant=True)
    try:
        moment = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    seconds = moment.timestamp()
    stamp.t = seconds
    stamp.lt = time.gmtime(seconds)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    return stamp


def _canvas_class(furniture: Furniture) -> type[Canvas]:
    """A canvas that holds pages back until save, then draws furniture with the page total."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _timestamp(furniture.generated_at)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                _draw_furniture(self, furniture, number, total)
                Canvas.showPage(self)
            self._held = []
            Canvas.save(self)

    return NumberedCanvas


def _draw_furniture(canv: Canvas, f: Furniture, number: int, total: int) -> None:
    width, height = PAGE
    canv.saveState()
    canv.setStrokeColor(GRID)
    canv.setLineWidth(0.5)
    canv.setFillColor(colors.black)
    # Header: what the document is and which case, on every page, so a loose sheet is
    # still attributable.
    title, who, note = _furniture_text(f)
    page = f.locale.t("page {n} of {total}", n=number, total=total)
    room = WIDTH - stringWidth(page, SANS, 8) - 4 * mm  # beside "page X of Y"
    _fitted(canv, title, SANS_BOLD, 8.5, room)
    canv.drawString(MARGIN, height - 12 * mm, title)
    canv.setFont(SANS, 8)
    canv.drawRightString(width - MARGIN, height - 12 * mm, page)
    canv.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
    canv.line(MARGIN, 14 * mm, width - MARGIN, 14 * mm)
    shrunk = _fitted(canv, who, SANS, 7, WIDTH - stringWidth(page, SANS, 7) - 4 * mm)
    canv.drawString(MARGIN, 10.5 * mm, who)
    if shrunk:
        canv.setFont(SANS, 7)
    canv.drawRightString(width - MARGIN, 10.5 * mm, page)
    canv.setFont(MONO, 6.3)
    canv.drawString(MARGIN, 7 * mm, note)
    canv.restoreState()


@lru_cache(maxsize=8)
def _furniture_text(f: Furniture) -> tuple[str, str, str]:
    """The header title, the footer's case line and its note: the same on every page (a
    report of 500 pages would otherwise word them 500 times)."""
    label = f.locale.t(f.label)
    title = safe_text(f"{f.kind} — {label} {f.case_number}")
    generated = f.locale.t("generated {at}", at=f.locale.when(f.generated_at, " "))
    who = safe_text(f"{label.capitalize()} {f.case_number} · {generated}")
    return title, who, safe_text(f.footer_note, MONO)[:130]


def _fitted(canv: Canvas, text: str, font: str, size: float, room: float) -> bool:
    """Set font at size, or smaller when text (a header naming a 64-letter case number)
    would run past room: a header line is drawn whole, never cut at the page edge. Whether
    it was made smaller."""
    wide = float(stringWidth(text, font, size))
    canv.setFont(font, size if wide <= room else size * room / wide)
    return wide > room


def build_pdf(story: list[Flowable], furniture: Furniture, *, title: str, author: str) -> bytes:
    """Lay out story on A4 pages with the shared furniture; returns the PDF bytes."""
    register_fonts()
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=title,
        author=author,
        subject=f"{furniture.kind}, case {furniture.case_number}",
        creator="custody (evidence chain-of-custody toolkit)",
        # invariant: no random document id, so the same data gives the same bytes.
        invariant=1,
        # Without this reportlab writes a Helvetica font into every page's preamble.
        initialFontName=SANS,
    )
    frame = Frame(MARGIN, BOTTOM, WIDTH, PAGE[1] - TOP - BOTTOM, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_canvas_class(furniture))
    return out.getvalue()
