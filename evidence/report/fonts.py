"""The report fonts: DejaVu Sans and Sans Mono, shipped in evidence/fonts and embedded in every PDF.

reportlab's built-in Helvetica has no Cyrillic glyphs (names, places and file names in our
cases are mostly Cyrillic), and a PDF that leans on a viewer's fonts prints black boxes
somewhere. DejaVu covers Latin, Cyrillic, Greek and more, and its licence lets us ship it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..errors import OperationalError

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"

_FILES = {SANS: "DejaVuSans.ttf", SANS_BOLD: "DejaVuSans-Bold.ttf", MONO: "DejaVuSansMono.ttf"}


@cache
def register_fonts() -> tuple[str, str, str]:
    """Register the shipped fonts with reportlab once; returns (sans, bold, mono) font names."""
    package = resources.files("evidence.fonts")
    for name, filename in _FILES.items():
        # as_file gives a real path even from a zipped install; TTFont reads the whole file
        # at once, so the temporary copy may vanish afterwards.
        with resources.as_file(package / filename) as path:
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except OSError as exc:
                raise OperationalError(
                    f"{path}: report font unreadable ({exc})", "reinstall evidence-custody"
                ) from None
    # <b> inside a Paragraph picks the bold face; there is no italic face, we use none.
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS)
    addMapping(SANS, 1, 1, SANS_BOLD)
    addMapping(MONO, 0, 0, MONO)
    addMapping(MONO, 1, 0, MONO)
    addMapping(MONO, 0, 1, MONO)
    addMapping(MONO, 1, 1, MONO)
    return SANS, SANS_BOLD, MONO
