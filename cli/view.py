"""How records read for people: tables fitted to the terminal, human sizes, actor labels."""

from __future__ import annotations

import os
import shutil
import textwrap
import unicodedata
from collections.abc import Collection, Sequence
from typing import Any

from .output import printable

DEFAULT_WIDTH = 100  # when there is no terminal to ask (a pipe, a file, a test)
GAP = "  "


def terminal_width() -> int:
    """Columns available: $COLUMNS, else the terminal's width, else DEFAULT_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def human_size(size: int) -> str:
    """1536 -> "1.5 KiB"; bytes below 1 KiB as they are."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def actor_label(name: str, fingerprint: str) -> str:
    """An actor as people know them, with enough of the fingerprint to tell namesakes apart."""
    return f"{name} [{fingerprint[:8]}]"


def _cell_width(text: str) -> int:
    # East Asian wide characters take two columns; combining marks none.
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width, break_long_words=True) or [""]
    return lines


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int | None,
    flexible: Collection[int],
) -> str:
    """An aligned table no wider than width: the flexible columns (indexes) are narrowed and
    their text wrapped onto more lines, widest first. width None: as wide as the content."""
    cells = [[("" if v is None else printable(str(v))) for v in row] for row in rows]
    widths = [_cell_width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], *(_cell_width(part) for part in v.split("\n")))
    if width is not None:
        excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
        floor = {i: max(6, _cell_width(headers[i])) for i in flexible}
        while excess > 0:
            candidates = [i for i in flexible if widths[i] > floor[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1

    def render(parts: Sequence[str]) -> list[str]:
        wrapped = [
            _wrap(p, widths[i]) if i in flexible else p.split("\n") for i, p in enumerate(parts)
        ]
        height = max(len(w) for w in wrapped)
        out = []
        for n in range(height):
            line = GAP.join(
                (w[n] if n < len(w) else "")
                + " " * (widths[i] - _cell_width(w[n] if n < len(w) else ""))
                for i, w in enumerate(wrapped)
            )
            out.append(line.rstrip())
        return out

    lines = render(headers)
    lines.append(GAP.join("-" * w for w in widths))
    for row in cells:
        lines += render(row)
    return "\n".join(lines)
