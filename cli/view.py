"""How records read for people: terminal width, human sizes, actor labels."""

from __future__ import annotations

import os
import re
import shutil
import sys
import unicodedata
from functools import cache

DEFAULT_WIDTH = 100  # when there is no terminal to ask (a pipe, a file, a test)


def terminal_width() -> int:
    """Columns available: $COLUMNS, else the terminal's width, else DEFAULT_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def table_width(wide: bool) -> int | None:
    """How wide a table may be: None (full lines) with --wide or when stdout is no terminal and
    $COLUMNS is unset (a pipe, a script that greps), else the terminal's width."""
    if wide:
        return None
    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return terminal_width()
    return None


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


@cache
def _maybe_wide() -> re.Pattern[str]:
    # Compiled when first needed: this class costs ~5 ms to compile written as the range
    # U+1100-U+10FFFF, and every command that prints loads this module. Written as its
    # complement, the same characters.
    return re.compile("[^\x00-\u10ff]")


def display_width(text: str) -> int:
    """Terminal columns text takes: East Asian wide characters count two (Latin and Cyrillic
    are decided without looking at each character)."""
    if text.isascii():
        return len(text)
    wide = _maybe_wide().findall(text)
    return len(text) + sum(1 for c in wide if unicodedata.east_asian_width(c) in ("W", "F"))


def wrap_columns(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Text wrapped at spaces into lines no wider than width terminal columns (display_width,
    so that a line of Chinese fits as a line of Latin does); a word too long is cut."""
    if display_width(first + text) <= width:
        return [first + text]
    lines: list[str] = []
    line = first
    for word in text.split(" "):
        candidate = f"{line} {word}" if line.strip() else line + word
        if display_width(candidate) <= width:
            line = candidate
            continue
        if line.strip():
            lines.append(line)
            line = rest
        while display_width(line + word) > width:  # a word longer than a whole line
            room = width - display_width(line)
            cut = max(1, _fitting(word, room))
            lines.append(line + word[:cut])
            line, word = rest, word[cut:]
        line += word
    if line.strip():
        lines.append(line)
    return lines


def _fitting(word: str, columns: int) -> int:
    used = 0
    for n, char in enumerate(word):
        used += display_width(char)
        if used > columns:
            return n
    return len(word)
