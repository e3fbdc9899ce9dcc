"""A ruled table of plain-text rows, laid out and drawn without reportlab's general Table.

A 1,000-item custody report has 1,000 timeline tables and 1,000 facts blocks, about 100,000
cells of text already wrapped into lines (layout.wrap_plain). reportlab's Table makes a style
object per cell, applies every style command to every cell, measures each cell again when a
table splits and draws each line of each cell as a text object of its own: most of the
report's time. This table does the same layout with less work: a row of plain strings is as
high as its tallest cell (lines x leading + padding, reportlab's own rule), the rows that fit
stay on the page and the heading rows repeat above the rest (rows never split), and the text
of all body cells is written in one text object, the rules in one path.

What a page shows is what reportlab's Table draws for the same cells and style commands (same
positions, fonts, colours, lines): the fills first, then the cells row by row, then the rules;
tests compare the pages' text and pixels with a LongTable's.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

BLACK = colors.black
Cell = Any  # a heading cell: a str, or a Flowable (a Paragraph)


@dataclass(frozen=True)
class Font:
    """A cell font: name, size and leading (points)."""

    name: str
    size: float
    leading: float


@dataclass(frozen=True)
class Region:
    """Cells (c0, r0) to (c1, r1), inclusive, in the whole table's rows (headings first)."""

    c0: int
    r0: int
    c1: int
    r1: int

    def has(self, col: int, row: int) -> bool:
        """Whether the cell at col, row is in the region."""
        return self.c0 <= col <= self.c1 and self.r0 <= row <= self.r1


@dataclass(frozen=True)
class Rules:
    """How a table is ruled: "grid" (a box and every inner line, as reportlab's GRID) or
    "below" (a line under every row, as LINEBELOW), in this width and colour."""

    kind: str
    width: float
    colour: Color


@dataclass(frozen=True)
class Padding:
    """Cell padding (points)."""

    left: float
    right: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Look:
    """Everything about a table but its cells: fonts, fills, colours, padding and rules."""

    font: Font
    padding: Padding
    rules: Rules
    fonts: tuple[tuple[Region, Font], ...] = ()  # later regions win, as later commands do
    colours: tuple[tuple[Region, Color], ...] = ()
    fills: tuple[tuple[Region, Color], ...] = ()  # heading rows only (same rows in every part)
    span_first: bool = False  # the first heading row is one cell across the table
    heading_font: Font | None = None  # of heading strings (else as body cells)


class RuledTable(Flowable):  # type: ignore[misc]
    """Heading rows (Paragraphs or strings, repeated on every page the table spans) above
    body rows of plain strings ("\\n" between lines), in columns of fixed widths."""

    def __init__(
        self,
        widths: Sequence[float],
        heading: Sequence[Sequence[Cell]],
        rows: Sequence[Sequence[str]],
        look: Look,
        *,
        first: int = 0,
        heights: Sequence[float] | None = None,
        hAlign: str = "CENTER",
    ) -> None:
        super().__init__()
        self.hAlign = hAlign  # as reportlab's Table: where it sits when not the frame's width
        self.widths = tuple(widths)
        self.heading = heading
        self.rows = rows  # shared by the parts of a split table
        self.look = look
        self.first = first  # index in rows of this part's first row
        self.positions = [0.0]
        for w in self.widths:
            self.positions.append(self.positions[-1] + w)
        self.width = self.positions[-1]
        self._heading_heights: list[float] | None = None
        self._body_heights: Sequence[float] = heights if heights is not None else self._measure()

    def _font(self, col: int, row: int) -> Font:
        font = self.look.font
        for region, f in self.look.fonts:
            if region.has(col, row):
                font = f
        return font

    def _measure(self) -> list[float]:
        """Each body row's height: its tallest cell's lines x leading, plus padding."""
        pad = self.look.padding.top + self.look.padding.bottom
        skip = len(self.heading)
        if not self.look.fonts:  # one leading: the row with the most lines decides
            leading = self.look.font.leading
            return [
                leading * (max(text.count("\n") for text in row) + 1) + pad if row else pad
                for row in self.rows
            ]
        out = []
        for r, row in enumerate(self.rows, start=skip):
            tallest = 0.0
            for c, text in enumerate(row):
                tallest = max(tallest, self._font(c, r).leading * (text.count("\n") + 1))
            out.append(tallest + pad)
        return out

    def _cell_width(self, col: int, row: int) -> float:
        if row == 0 and self.look.span_first:
            return self.width
        return self.widths[col]

    def _headings(self) -> list[float]:
        """Heights of the heading rows, their Paragraphs wrapped once to their cells."""
        if self._heading_heights is None:
            pad = self.look.padding
            canv = getattr(self, "canv", None)
            heights = []
            for r, row in enumerate(self.heading):
                tallest = 0.0
                for c, cell in enumerate(row):
                    if r == 0 and self.look.span_first and c > 0:
                        continue
                    if isinstance(cell, str):
                        h = self._font(c, r).leading * (cell.count("\n") + 1)
                    else:
                        inner = self._cell_width(c, r) - pad.left - pad.right
                        if getattr(cell, "width", None) != inner:  # a shared heading: once
                            cell.wrapOn(canv, inner, 72000 - pad.top - pad.bottom)
                        h = cell.height + cell.getSpaceBefore() + cell.getSpaceAfter()
                    tallest = max(tallest, h + pad.top + pad.bottom)
                heights.append(tallest)
            self._heading_heights = heights
        return self._heading_heights

    def _part_heights(self) -> list[float]:
        return [*self._headings(), *self._body_heights[self.first :]]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """The whole part's size (a caller splits it when it is taller than the room)."""
        self.height = sum(self._part_heights())
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """The rows that fit under the headings, and the rest under the same headings; none
        when not even one body row fits (reportlab's Table.split, by whole rows)."""
        used = sum(self._headings())
        fit = 0
        for h in self._body_heights[self.first :]:
            if used + h > availHeight:
                break
            used += h
            fit += 1
        if fit == 0:
            return []
        if self.first + fit == len(self.rows):
            return [self]
        head = RuledTable(
            self.widths,
            self.heading,
            self.rows[: self.first + fit],
            self.look,
            first=self.first,
            heights=self._body_heights[: self.first + fit],
            hAlign=self.hAlign,
        )
        rest = RuledTable(
            self.widths,
            self.heading,
            self.rows,
            self.look,
            first=self.first + fit,
            heights=self._body_heights,
            hAlign=self.hAlign,
        )
        return [head, rest]

    def draw(self) -> None:
        """Fills, then the cells row by row (the strings in as few text objects as the
        Paragraphs among them allow, so the content keeps reportlab's order), then the rules."""
        canv = self.canv
        heights = self._part_heights()
        tops = [sum(heights)]
        for h in heights:
            tops.append(tops[-1] - h)
        canv.saveState()
        look = self.look
        for region, colour in look.fills:
            r1 = min(region.r1, len(heights) - 1)
            if region.r0 > r1:
                continue
            x0, x1 = self.positions[region.c0], self.positions[min(region.c1 + 1, len(self.widths))]
            canv.setFillColor(colour)
            canv.rect(x0, tops[region.r0], x1 - x0, tops[r1 + 1] - tops[region.r0], 0, 1)
        pad = look.padding
        out = _Writer(canv)
        xs = [fp_str(x + pad.left) for x in self.positions[:-1]]
        for r, row in enumerate(self.heading):
            for c, cell in enumerate(row):
                if r == 0 and look.span_first and c > 0:
                    continue
                if isinstance(cell, str):
                    font = look.heading_font or self._font(c, r)
                    out.cell(cell, f"{xs[c]} {fp_str(tops[r] - pad.top - font.size)}", font, BLACK)
                    continue
                # A Paragraph draws its own text object; it was wrapped to this cell by
                # _headings (a shared heading row: by a table of the same widths).
                out.flush()
                inner = self._cell_width(c, r) - pad.left - pad.right
                if getattr(cell, "width", None) != inner:
                    cell.wrapOn(canv, inner, 72000 - pad.top - pad.bottom)
                cell.drawOn(canv, self.positions[c] + pad.left, tops[r] - pad.top - cell.height)
        nhead = len(self.heading)
        start = nhead + self.first  # this part's first body row, numbered in the whole table
        rows = self.rows[self.first :]
        end = start + len(rows) - 1
        colours = [(g, v) for g, v in look.colours if g.r0 <= end and g.r1 >= start]
        for i, row in enumerate(rows):
            r = start + i
            top = tops[nhead + i] - pad.top
            ys: dict[float, str] = {}  # the first baseline, per font size
            for c, cell in enumerate(row):
                if not cell:
                    continue
                colour = BLACK
                for region, value in colours:
                    if region.has(c, r):
                        colour = value
                font = self._font(c, r) if look.fonts else look.font
                y = ys.get(font.size)
                if y is None:
                    y = ys[font.size] = fp_str(top - font.size)
                out.cell(cell, f"{xs[c]} {y}", font, colour)
        out.flush()
        self._rules(tops)
        canv.restoreState()

    def _rules(self, tops: list[float]) -> None:
        canv = self.canv
        rules = self.look.rules
        canv.setLineCap(1)
        canv.setLineJoin(1)
        canv.setStrokeColor(rules.colour)
        canv.setLineWidth(rules.width)
        path = canv.beginPath()
        left, right = fp_str(self.positions[0]), fp_str(self.positions[-1])
        ys = [fp_str(y) for y in tops]
        lines = path._code  # one segment a line, as canvas.line draws it
        if rules.kind == "below":
            # A part continuing a split table has the split's rule above it too, as
            # reportlab turns the LINEBELOW there into a LINEABOVE of the next part.
            for y in ys if self.first else ys[1:]:
                lines.append(f"{left} {y} m {right} {y} l")
        else:
            for y in ys:
                lines.append(f"{left} {y} m {right} {y} l")
            bottom, top = ys[-1], ys[0]
            inner_top = ys[1] if self.look.span_first and len(ys) > 1 else top
            for i, x in enumerate(self.positions):
                edge = i in (0, len(self.positions) - 1)
                lines.append(f"{fp_str(x)} {bottom} m {fp_str(x)} {top if edge else inner_top} l")
        canv.drawPath(path, stroke=1, fill=0)


class _Writer:
    """Lines of text at given places, written into one PDF text object until flushed.

    Each line is what canvas.drawString writes for it (the same glyphs of the same font
    subsets at the same place); a line's operators are kept per document, since the same
    names, places and dates recur thousands of times in a report.
    """

    def __init__(self, canv: Any) -> None:
        self.canv = canv
        self.text: Any = None
        self.font: Font | None = None
        self.colour: Color | None = None
        self.doc = canv._doc
        self.lines = _LINES.setdefault(self.doc, {})
        self.face: Any = None
        self.tf = ""

    def flush(self) -> None:
        """Write the text object (if any) into the page."""
        if self.text is not None:
            self.canv.drawText(self.text)
            self.text = None

    def cell(self, cell: str, origin: str, font: Font, colour: Color) -> None:
        """A cell's lines, the first at origin ("x y" of its baseline), then one leading apart."""
        text = self.text
        if text is None:
            text = self.text = self.canv.beginText()
            self.font = self.colour = None  # the fills before may have left another colour
        if font is not self.font:
            text.setFont(font.name, font.size, font.leading)
            self.font = font
            self.face = pdfmetrics.getFont(font.name)
            self.tf = f"{fp_str(font.size)} Tf {fp_str(font.leading)} TL"
        if colour is not self.colour:
            text.setFillColor(colour)
            self.colour = colour
        code = text._code
        code.append(f"1 0 0 1 {origin} Tm")
        if not getattr(self.face, "_dynamicFont", False):
            for line in cell.split("\n"):
                text.textLine(line)
            return
        # TrueType: what textobject's textLine writes, the pieces of each line per font
        # subset kept (after one use the glyph codes are fixed in the document).
        for line in cell.split("\n"):
            key = (font.name, line)
            pieces = self.lines.get(key)
            if pieces is None:
                pieces = self.lines[key] = self._pieces(line)
            for subset, op in pieces:
                if subset != text._curSubset:
                    code.append(f"{self.face.getSubsetInternalName(subset, self.doc)} {self.tf}")
                    text._curSubset = subset
                code.append(op)
            code.append("T*")

    def _pieces(self, line: str) -> tuple[tuple[int, str], ...]:
        escape = self.canv._escape
        return tuple(
            (subset, f"({escape(chunk)}) Tj")
            for subset, chunk in self.face.splitString(line, self.doc)
        )


# Per document: each line's text operators (see _Writer).
_LINES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], tuple[tuple[int, str], ...]]] = (
    weakref.WeakKeyDictionary()
)
