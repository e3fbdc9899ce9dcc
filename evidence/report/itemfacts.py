"""The facts block under each item's heading in the custody report: both digests in full,
how it was acquired, and what its image profile found that suggests editing."""

from __future__ import annotations

from reportlab.lib.units import mm

from ..items import Item
from ..profiles import read_counts
from .fonts import MONO, SANS
from .layout import CELL_LEADING, CELL_SIZE, GRID, MONO_SIZE, PAD, WIDTH, wrap_plain
from .locale import Locale
from .ruled import Font, Look, Padding, Region, RuledTable, Rules

DETAIL_LABEL = 36 * mm  # "Признаки редактирования" wraps to two lines, never over the value


def item_facts(it: Item, loc: Locale) -> RuledTable:
    """Digests, acquisition method and signs of editing under an item's heading.

    Plain-string cells in a RuledTable: a 1,000-item report has 1,000 of these blocks.
    """
    inner = WIDTH - DETAIL_LABEL - 2 * PAD
    rows = [
        ("SHA-256", it.sha256),
        ("SHA-512", f"{it.digests.sha512[:64]}\n{it.digests.sha512[64:]}"),
        (
            loc.t("Acquisition method"),
            wrap_plain(it.acquisition_method or loc.t("not recorded"), inner),
        ),
        (loc.t("Signs of editing"), wrap_plain(edit_signs(it, loc), inner)),
    ]
    partial = content_read(it, loc)
    if partial is not None:  # only a partial read earns a line: the file is not wholly read
        rows.append((loc.t("Content read"), wrap_plain(partial, inner)))
    cells = [(wrap_plain(label, DETAIL_LABEL - 2 * PAD), value) for label, value in rows]
    return RuledTable((DETAIL_LABEL, WIDTH - DETAIL_LABEL), (), cells, FACTS_LOOK, hAlign="LEFT")


# Labels in the sans face; both digests (the value column's first two rows) in monospace;
# a rule under every row. RIGHTPADDING 6 is reportlab's default, as this block always had.
FACTS_LOOK = Look(
    font=Font(SANS, CELL_SIZE, CELL_LEADING),
    padding=Padding(PAD, 6, 1, 1.5),
    rules=Rules("below", 0.3, GRID),
    fonts=((Region(1, 0, 1, 1), Font(MONO, MONO_SIZE, CELL_LEADING)),),
)


def edit_signs(item: Item, loc: Locale) -> str:
    """The image profile's signs of editing (only images have them)."""
    profile = item.profile or {}
    if profile.get("kind") != "image":
        return "–"
    signs = profile.get("edit_signs")
    if not isinstance(signs, list) or not signs:
        return loc.t("none found")
    return "; ".join(str(s) for s in signs)


def content_read(item: Item, loc: Locale) -> str | None:
    """What the profile could not read of the file, or None when it read all of it."""
    counts = read_counts(item.profile or {})
    if counts is None:
        return None
    read, missed = counts
    if read == 0 and missed == 0:
        return loc.t("not read: the file could not be parsed (see its profile)")
    return loc.n(
        "partially: {missed} of {n} record not read (see its profile)",
        "partially: {missed} of {n} records not read (see its profile)",
        read + missed,
        missed=missed,
    )
