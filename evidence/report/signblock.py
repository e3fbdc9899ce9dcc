"""The signature and stamp block on a report's last page: who prepared it, when, and room for
a hand signature and an official stamp (a printed copy is still signed and sealed in many
courts), with a line saying whether the PDF itself carries an electronic signature."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from .fonts import SANS
from .layout import GRID, WIDTH, hex_lines, para, styles
from .locale import Locale
from .model import Preparer

BOX_HEIGHT = 28 * mm  # room for a signature and a round 40 mm stamp at a slant


def signature_block(
    loc: Locale, preparer: Preparer | None, date: str, signed: bool
) -> list[Flowable]:
    """The block; with no preparer the name lines are left blank to fill in by hand."""
    st = styles()
    name = preparer.name if preparer else ""
    role = loc.role(preparer.role) if preparer else ""
    organisation = preparer.organisation if preparer else ""
    fields = [
        [para(loc.t("Name"), st.small), para(name, st.body)],
        [para(loc.t("Role"), st.small), para(role, st.body)],
        [para(loc.t("Organisation"), st.small), para(organisation, st.body)],
        [para(loc.t("Date"), st.small), para(loc.when(date, " "), st.body)],
    ]
    half = WIDTH / 2
    boxes = Table(
        [
            [para(loc.t("Signature (by hand)"), st.small), para(loc.t("Stamp"), st.small)],
            ["", ""],
        ],
        colWidths=[half, half],
        rowHeights=[None, BOX_HEIGHT],
    )
    boxes.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("BOX", (0, 1), (0, 1), 0.6, GRID),
                ("BOX", (1, 1), (1, 1), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    table = Table(fields, colWidths=[40 * mm, WIDTH - 40 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (1, 0), (1, -1), 0.4, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    if signed and preparer is not None:
        esig = loc.t(
            "This PDF is signed (PAdES) with the key of: {name}; certificate SHA-256: {fp}.",
            name=preparer.name,
            fp=hex_lines(preparer.fingerprint, 64, sep=" "),
        )
    else:
        esig = loc.t("This PDF carries no electronic signature.")
    return [
        Spacer(1, 6 * mm),
        KeepTogether(
            [
                para(loc.t("Prepared by"), st.h1),
                table,
                Spacer(1, 3 * mm),
                boxes,
                Spacer(1, 2 * mm),
                para(f"{loc.t('Electronic signature')}: {esig}", st.small),
            ]
        ),
    ]
