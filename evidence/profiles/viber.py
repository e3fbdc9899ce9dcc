"""Viber message history as its "Email message history" / "Send chat history" writes it.

Viber publishes no description of this file. The two layouts read here are the ones public
sources show (content of our fixtures invented, cells as shown there):

  tab-separated, each text cell protected from spreadsheets as ="...", the message quoted
  (adrz/analysis-viber-logs, issue #1, 2015):
      ="17/08/2014"<TAB>12:52:56<TAB>="Me"<TAB>="+194XXXXXXXXX"<TAB>"Hi"
  comma-separated, nothing quoted, the message running to the end of the line
  (adrz/analysis-viber-logs, main.R, read as date, time, sender, phone, message, %d%m%y):
      17/08/14,12:52:56,Sara,+33612345678,text, with commas

No header row; one message a row: date, time, sender (the account owner is "Me" in an English
interface), the sender's phone number, text. A line that does not begin like a row continues
the message above (the text held a line break): it is joined to it, counted, and scanned.
Dates are day-first in both sources; a first field above 12 confirms it, a second field above
12 (and none in the first) reads the file month-first. Times carry no zone.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from evidence.profiles.chat import LOCAL_TIME_UNKNOWN_ZONE, ChatSummary, chat_profile
from evidence.profiles.limits import Deadline, Limits, ProfileFailure
from evidence.profiles.reading import detect_encoding, looks_binary, read_head, text_stream
from evidence.profiles.textscan import IdentifierScanner

__all__ = ["looks_like_viber", "profile_viber"]

_DATE = r"(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})"
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_TAB_ROW = re.compile(
    rf'^="?{_DATE}"?\t(?:=")?{_TIME}"?\t="?([^\t]*?)"?\t="?([^\t]*?)"?\t(.*)$', re.S
)
_COMMA_ROW = re.compile(rf"^{_DATE},\s?{_TIME},([^,\t]*),([^,\t]*),(.*)$", re.S)
LAYOUTS = {"tab": _TAB_ROW, "comma": _COMMA_ROW}


def _layout_of(lines: list[str]) -> str | None:
    for name, pattern in LAYOUTS.items():
        hits = sum(1 for line in lines if pattern.match(line))
        if hits and hits * 2 >= len(lines):
            return name
    return None


def looks_like_viber(text: str) -> bool:
    """True when most of the first lines are Viber history rows (either layout)."""
    lines = [line for line in text.lstrip("\ufeff").splitlines()[:20] if line.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # a head may cut its last line short
    return bool(lines) and _layout_of(lines) is not None


def _unquote(cell: str) -> str:
    text = cell.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return text


class _Reader:
    """One pass over the rows: messages, participants, times, identifiers."""

    def __init__(self, limits: Limits, pattern: re.Pattern[str]) -> None:
        self.chat = ChatSummary(limits.max_list)
        self.scanner = IdentifierScanner(limits.max_list)
        self.pattern = pattern
        self.rows: list[tuple[int, int, int, str]] = []  # day/month fields kept for the order
        self.first_over_12 = self.second_over_12 = False
        self.continuations = 0
        self.owner_phone: str | None = None

    def row(self, number: int, line: str) -> bool:
        match = self.pattern.match(line)
        if match is None:
            return False
        a, b, year, hour, minute, second, sender, phone, text = match.groups()
        self.first_over_12 |= int(a) > 12
        self.second_over_12 |= int(b) > 12
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        clock = f"{int(hour):02d}:{minute}:{second or '00'}"
        if len(self.rows) < 200_000:  # the period is decided once the date order is known
            self.rows.append((int(a), int(b), full_year, clock))
        name = sender.strip()[:200] or "(unknown)"
        self.chat.message_count += 1
        self.chat.count_sender(name)
        self.scanner.where = f"line {number}"
        if phone.strip():
            self.scanner.add_phone(phone.strip(), f"Viber sender {name}"[:200])
            if name == "Me" and self.owner_phone is None:
                self.owner_phone = phone.strip()
        self.scanner.scan(_unquote(text) if self.pattern is _TAB_ROW else text)
        return True

    def period(self) -> str:
        """Fill the chat's time range in the date order the rows show; the reason."""
        month_first = self.second_over_12 and not self.first_over_12
        if self.first_over_12 and self.second_over_12:
            reason = "fields above 12 on both sides (read day-first)"
        elif month_first:
            reason = "a second field above 12: month-first"
        elif self.first_over_12:
            reason = "a first field above 12: day-first"
        else:
            reason = "no field above 12; read day-first, as both public layouts write it"
        for a, b, year, clock in self.rows:
            day, month = (b, a) if month_first else (a, b)
            if 1 <= month <= 12 and 1 <= day <= 31:
                self.chat.local.add(f"{year:04d}-{month:02d}-{day:02d}T{clock}")
        return reason


def profile_viber(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a Viber message history CSV (either public layout)."""
    head = read_head(path, limits.sniff_bytes)
    if looks_binary(head):
        raise ProfileFailure("binary content, not a Viber message history")
    encoding = detect_encoding(head)
    first = [line for line in head.decode(encoding.codec, "replace").splitlines()[:20] if line]
    layout = _layout_of(first[:-1] if len(first) > 1 else first)
    if layout is None:
        raise ProfileFailure("no Viber message history rows (date, time, sender, phone, text)")
    reader = _Reader(limits, LAYOUTS[layout])
    read = 0
    try:
        with text_stream(path.open("rb"), encoding) as text:
            number = 0
            while read < limits.max_text_bytes:
                raw = text.readline(limits.max_line_bytes)
                if not raw:
                    break
                number += 1
                read += len(raw)
                line = raw.rstrip("\r\n").lstrip("\ufeff")
                if number % 4096 == 0 and deadline.expired():
                    reader.chat.log.stop(f"stopped at the time limit at line {number}")
                    break
                if not line.strip() or reader.row(number, line):
                    continue
                if reader.chat.message_count == 0:
                    reader.chat.log.miss(f"line {number}", "not a Viber history row")
                else:
                    reader.continuations += 1  # the text of the message above goes on
                reader.scanner.where = f"line {number}"
                reader.scanner.scan(line)
            else:
                reader.chat.log.stop(f"stopped after {read} characters (text limit)")
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    reason = reader.period()
    if reader.continuations:
        reader.chat.log.notice(
            f"{reader.continuations} line(s) continue the message above them (a line break "
            "in its text): joined to it and scanned"
        )
    extra: dict[str, Any] = {
        "format": f"Viber message history ({layout}-separated)",
        "date_order": "month-first" if "month-first" in reason else "day-first",
        "date_order_reason": reason,
        "owner_phone_written": reader.owner_phone,
        **encoding.to_json(),
    }
    return chat_profile(
        "viber-chat", "Viber", LOCAL_TIME_UNKNOWN_ZONE, reader.chat, reader.scanner, extra
    )
