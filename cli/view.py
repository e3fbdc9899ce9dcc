"""How records read for people: terminal width, human sizes, actor labels."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata

DEFAULT_WIDTH = 100  # when there is no terminal to ask (a pipe, a file, a test)


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


_MAYBE_WIDE = re.compile(r"[\u1100-\U0010ffff]")


def display_width(text: str) -> int:
    """Terminal columns text takes: East Asian wide characters count two (Latin and Cyrillic
    are decided without looking at each character)."""
    if text.isascii():
        return len(text)
    wide = _MAYBE_WIDE.findall(text)
    return len(text) + sum(1 for c in wide if unicodedata.east_asian_width(c) in ("W", "F"))
