"""Splitting a text item's exact bytes into records: the unit an excerpt discloses.

A rule maps a file's bytes to record boundaries; the records, joined, are the file byte for
byte, whatever the bytes are (a test says so for every layout, on arbitrary input). The rule
is chosen by the layout `profiles.detect` recognises, and its version is signed with the
commitment, so a later, better rule never changes what an old commitment meant:

  RULE_VERSION 1
  whatsapp-text   one message: its header line ("02.11.2026, 14:03 - Name: ..." or
                  "[02.11.26, 14:03:33] Name: ...") with the continuation lines that follow it;
                  lines before the first header are one record each
  telegram-json,  one element of each "messages" / "MessageList" array (with the separator
  skype-json,     after it); what comes before, between and after those arrays is one record
  meta-json,      each (the export's head, the chat's name...)
  discord-json
  statement-csv,  one row: a line, or more where a quoted field holds line breaks
  wallet-csv,
  discord-csv, csv
  anything else   one line (signal-jsonl: one message per line; telegram-html, vk-html, text,
                  json...: a message there may span several records)
A line ends after "\\n"; a last line without one is a record too. An empty file has no records.
Zips (whatsapp-zip, telegram-html-zip...), images and documents are not split: their bytes are
not text records.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from ..profiles.whatsapp_lines import ANDROID_HEADER, IOS_HEADER, parse_header

RULE_VERSION = 1
LINE, WHATSAPP, JSON_ARRAYS, CSV_ROWS = "line", "whatsapp", "json-messages", "csv-rows"
# layout (detect's format tag) -> splitting rule; layouts not named here are split by line
RULES = {
    "whatsapp-text": WHATSAPP,
    "telegram-json": JSON_ARRAYS,
    "skype-json": JSON_ARRAYS,
    "meta-json": JSON_ARRAYS,
    "discord-json": JSON_ARRAYS,
    "statement-csv": CSV_ROWS,
    "discord-csv": CSV_ROWS,
    "wallet-csv": CSV_ROWS,
    "csv": CSV_ROWS,
}
# layouts whose bytes are not text records
UNSPLIT = frozenset({"image", "document", "zip", "whatsapp-zip", "other"})
_MESSAGE_ARRAYS = (b'"messages"', b'"MessageList"')
# JSON strings (escapes included, an unterminated one not matched) and structural characters;
# scalars and white space between them are skipped.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.S)
_JSON_SPACE = re.compile(rb"[ \t\r\n]*")
# The header grammar of evidence.profiles.whatsapp_lines without the message text, tried at
# each line start of the decoded export ("^" there needs multi-line mode).
_REST = "(?P<rest>.*)$"
assert ANDROID_HEADER.pattern.endswith(_REST) and IOS_HEADER.pattern.endswith(_REST)
_NEWLINE = re.compile("\n")
_HEADERS = tuple(
    re.compile("(?m)" + rx.pattern.removesuffix(_REST), rx.flags)
    for rx in (ANDROID_HEADER, IOS_HEADER)
)


def rule_for(layout: str) -> str | None:
    """The splitting rule of a layout; None for layouts that are not text records."""
    if layout in UNSPLIT or layout.endswith("-zip"):
        return None
    return RULES.get(layout, LINE)


def boundaries(data: bytes, rule: str) -> list[int]:
    """Record start offsets, then len(data): record i is data[b[i]:b[i+1]]."""
    if not data:
        return [0]
    if rule == WHATSAPP:
        starts = _whatsapp(data)
    elif rule == JSON_ARRAYS:
        starts = _json_arrays(data)
    elif rule == CSV_ROWS:
        starts = _csv_rows(data)
    elif rule == LINE:
        starts = _lines(data)
    else:
        raise ValueError(f"unknown splitting rule {rule!r}")
    return [*starts, len(data)]


def records(data: bytes, rule: str) -> list[bytes]:
    """The records of data under a rule; b"".join(records(d, r)) == d."""
    cuts = boundaries(data, rule)
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def _line_starts(data: bytes) -> Iterator[int]:
    yield 0
    at = data.find(b"\n")
    while at != -1 and at + 1 < len(data):
        yield at + 1
        at = data.find(b"\n", at + 1)


def _lines(data: bytes) -> list[int]:
    return list(_line_starts(data))


def _whatsapp(data: bytes) -> list[int]:
    # surrogateescape: every byte that is not UTF-8 becomes one character and encodes back to
    # itself, so character offsets map to byte offsets exactly
    text = data.decode("utf-8", "surrogateescape")
    android, ios = (rx.match for rx in _HEADERS)
    found = []
    dates: dict[str, bool] = {}  # an export repeats a few hundred dates: judge each once
    for start in [0, *(m.end() for m in _NEWLINE.finditer(text))]:
        match = android(text, start) or ios(text, start)
        if match is None or "\n" in match.group():
            continue
        date = match.group("date")
        if date not in dates:
            dates[date] = parse_header(match) is not None
        if dates[date]:
            found.append(start)
    headers = []
    at_char = at_byte = 0
    for start in found:
        at_byte += len(text[at_char:start].encode("utf-8", "surrogateescape"))
        at_char = start
        headers.append(at_byte)
    first = headers[0] if headers else len(data)
    # the lines before the first header (a preamble, or no header at all) stand alone
    return [*itertools.takewhile(lambda s: s < first, _line_starts(data)), *headers]


def _csv_rows(data: bytes) -> list[int]:
    # A row ends at a line break outside quotes; "" inside quotes toggles twice (no effect).
    starts = [0]
    quoted = False
    at = 0
    while True:
        nl = data.find(b"\n", at)
        if nl == -1:
            break
        quoted ^= data.count(b'"', at, nl) % 2 == 1
        if not quoted and nl + 1 < len(data):
            starts.append(nl + 1)
        at = nl + 1
    return starts


def _json_arrays(data: bytes) -> list[int]:
    """Starts of every element of a "messages"/"MessageList" array, and of what follows one."""
    starts = [0]
    depth = 0  # nesting of [ and { outside strings
    inside: list[int] = []  # depths inside which message-array elements lie
    key = b""  # the string just before, if a "[" follows it: the array's key
    for token in _JSON_TOKEN.finditer(data):
        t = token.group()
        if t[:1] == b'"':
            key = t
            continue
        if t == b"[":
            depth += 1
            if key in _MESSAGE_ARRAYS:
                inside.append(depth)
                starts.append(_next_value(data, token.end()))
        elif t == b"{":
            depth += 1
        elif t in (b"]", b"}"):
            if inside and depth == inside[-1] and t == b"]":
                inside.pop()
                starts.append(token.start())  # what follows the array's last element
            depth -= 1
        elif t == b"," and inside and depth == inside[-1]:
            starts.append(_next_value(data, token.end()))
        key = b""
    return sorted({s for s in starts if s < len(data)})


def _next_value(data: bytes, at: int) -> int:
    # the first byte after at that is not JSON white space: where the next element begins
    match = _JSON_SPACE.match(data, at)
    return match.end() if match else at
