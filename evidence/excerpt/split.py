"""Splitting a text item's exact bytes into records: the unit an excerpt discloses.

A rule maps a file's bytes to record boundaries; the records, joined, are the file byte for
byte, whatever the bytes are (a test says so for every layout, on arbitrary input). The rule
is chosen by the layout `profiles.detect` recognises, and the version of that choice is signed
with the commitment, so a later, better choice never changes what an old commitment meant
(audit recomputes each commitment under the version it names):

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

  RULE_VERSION 2: as 1, and
  telegram-html,  one message element (html-messages): a <div> whose class names "message"
  vk-html         (Telegram Desktop's "message default clearfix [joined]" and "message service"
                  divs, VK's "message" div), from the start of its line (or of the wrapper
                  <div>s opened just before it on that line, VK's "item" divs) to where the
                  next one begins; the last one ends with the line its element closes on.
                  Lines before the first and after the last message are one record each; a page
                  with no message element is split by line
  whatsapp-zip,   the records of the chat text inside (the zip's _chat.txt or "WhatsApp Chat
  telegram-html-  ....txt"; the export's messages.html, messages2.html ... in page order, each
  zip             page split on its own), named in the commitment by SHA-256 (evidence.excerpt.
                  source): the zip itself is not text
  empty           an empty file: zero records (the empty tree's root), so that it is explicit

  RULE_VERSION 3: as 2, and
  viber-csv       one message (viber-rows): a line that begins like a Viber history row
                  (date, time, sender, phone: either public layout, evidence.profiles.viber)
                  with the lines after it that do not, which continue its text; lines before
                  the first row are one record each. Lines are read as UTF-16 after a UTF-16
                  byte order mark, else byte-transparently (UTF-8, cp1251, KOI8-R: the row
                  grammar is ASCII); the BOM belongs to the first record

A line ends after "\\n"; a last line without one is a record too. An empty file has no records.
Other zips, images and documents are not split: their bytes are not text records.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from ..profiles.viber import LAYOUTS as VIBER_ROWS
from ..profiles.whatsapp_lines import ANDROID_HEADER, IOS_HEADER, parse_header

RULE_VERSION = 3
LINE, WHATSAPP, JSON_ARRAYS, CSV_ROWS = "line", "whatsapp", "json-messages", "csv-rows"
HTML_MESSAGES, VIBER = "html-messages", "viber-rows"
EMPTY = "empty"  # the layout of a file of zero bytes (detect calls it "other")
# layout (detect's format tag) -> splitting rule, by rule version; layouts not named here are
# split by line. A rule's name always means the same cut: versions differ only in the choice.
RULES_1 = {
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
RULES_2 = RULES_1 | {
    "telegram-html": HTML_MESSAGES,
    "vk-html": HTML_MESSAGES,
    "telegram-html-zip": HTML_MESSAGES,
    "whatsapp-zip": WHATSAPP,
    EMPTY: LINE,
}
RULES = {1: RULES_1, 2: RULES_2, 3: RULES_2 | {"viber-csv": VIBER}}
# layouts whose bytes are not text records (zips other than the chat exports named above)
UNSPLIT = frozenset({"image", "document", "zip", "whatsapp-zip", "other"})
ZIPPED = frozenset({"whatsapp-zip", "telegram-html-zip"})  # records of the text inside
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


def rule_for(layout: str, version: int = RULE_VERSION) -> str | None:
    """The splitting rule of a layout under a rule version; None for layouts that are not
    text records then (and for versions this code does not know)."""
    rules = RULES.get(version)
    if rules is None:
        return None
    if layout in rules:
        return rules[layout]
    if layout in UNSPLIT or layout.endswith("-zip"):
        return None
    return LINE


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
    elif rule == HTML_MESSAGES:
        starts = _html_messages(data)
    elif rule == VIBER:
        starts = _viber(data)
    elif rule == LINE:
        starts = _lines(data)
    else:
        raise ValueError(f"unknown splitting rule {rule!r}")
    return [*starts, len(data)]


def records(data: bytes, rule: str) -> list[bytes]:
    """The records of data under a rule; b"".join(records(d, r)) == d."""
    cuts = boundaries(data, rule)
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def _line_starts(data: bytes, at: int = 0) -> Iterator[int]:
    # starts of the lines beginning at or after offset at (itself a line start)
    if at < len(data):
        yield at
    at = data.find(b"\n", at)
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


def _viber(data: bytes) -> list[int]:
    """Starts of each Viber message (a row line with its continuation lines) and of each line
    before the first one."""
    codec, skip, errors = "utf-8", 0, "surrogateescape"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        skip, errors = 2, "surrogatepass"
    # bytes that are not text in the codec become lone surrogates, which encode back to
    # themselves, so character offsets map to byte offsets exactly; an odd last byte of a
    # UTF-16 file stays with the last record
    text = data[skip : len(data) - (len(data) - skip) % 2 if skip else None].decode(codec, errors)
    starts = [0, *(m.end() for m in _NEWLINE.finditer(text) if m.end() < len(text))]
    lines = [text[a:b] for a, b in itertools.pairwise([*starts, len(text)])]
    if lines:
        lines[0] = lines[0].lstrip("\ufeff")
    # the layout the first lines follow, as the profile chooses it; else the one most lines do
    match = _viber_layout(lines)
    heads = [i for i, line in enumerate(lines) if match(line)]
    first = heads[0] if heads else len(lines)
    chosen = [*range(first), *heads]
    if skip == 0:
        # "\n" is one byte that is part of no other character in UTF-8 or a single-byte code
        # page: the text's lines are the bytes' lines
        byte_starts = list(_line_starts(data))
        return [byte_starts[i] for i in chosen]
    offsets = []
    at_char, at_byte = 0, skip
    for index in chosen:
        at_byte += len(text[at_char : starts[index]].encode(codec, errors))
        at_char = starts[index]
        offsets.append(at_byte if index else 0)
    return offsets


def _viber_layout(lines: list[str]) -> Callable[[str], object]:
    head = [line for line in lines[:21] if line.strip()][:20]
    head = head[:-1] if len(head) > 1 else head
    for pattern in VIBER_ROWS.values():
        hits = sum(1 for line in head if pattern.match(line))
        if hits and hits * 2 >= len(head):
            return pattern.match
    counts = {p: sum(1 for line in lines if p.match(line)) for p in VIBER_ROWS.values()}
    return max(counts, key=lambda p: counts[p]).match


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


# The tags that matter to the message split: <div ...> openings and </div> closings (markup is
# ASCII in every encoding these exports use, so the bytes are searched as they are). A tag is
# bounded in length: an unclosed "<div" must not make each match scan to the end of the file.
_DIV = re.compile(rb"<div\b[^<>]{0,4096}>|</div\s{0,64}>", re.I)
_CLASS = re.compile(rb"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _is_message(tag: bytes) -> bool:
    # the test evidence.profiles.telegram_html and .vk apply: a <div> whose classes include
    # "message" (Telegram: "message default clearfix", "message service"; VK: "message")
    found = _CLASS.search(tag)
    return found is not None and b"message" in (found.group(1) or found.group(2) or b"").split()


def _html_messages(data: bytes) -> list[int]:
    """Starts of each message element's record, with the page's other lines one a record."""
    messages: list[tuple[int, int]] = []  # (record start, end of the element's closing tag)
    depth = 0
    inside: int | None = None  # depth of the open message element
    wrappers: list[tuple[int, int]] = []  # <div>s opened since the last </div>: (start, end)
    for tag in _DIV.finditer(data):
        if tag.group()[1:2] == b"/":
            if inside is not None and depth == inside:
                messages[-1] = (messages[-1][0], tag.end())
                inside = None
            depth = max(depth - 1, 0)
            wrappers = []
            continue
        depth += 1
        if inside is None and _is_message(tag.group()):
            inside = depth
            messages.append((_record_start(data, tag.start(), wrappers), tag.end()))
        wrappers.append((tag.start(), tag.end()))
    if not messages:
        return _lines(data)
    first = messages[0][0]
    starts = [s for s in _line_starts(data) if s < first]
    starts += [start for start, _ in messages]
    # after the last element: the rest of its closing line, then a record per line
    line_end = data.find(b"\n", messages[-1][1])
    if line_end != -1:
        starts += _line_starts(data, line_end + 1)
    return starts


def _record_start(data: bytes, at: int, wrappers: list[tuple[int, int]]) -> int:
    """Where the record of a message whose opening tag starts at `at` begins: at the first of
    the <div>s opened right before it on its line (white space between at most), and at the
    line's start when only white space precedes that."""
    line = data.rfind(b"\n", 0, at) + 1
    for start, end in reversed(wrappers):
        if start < line or data[end:at].strip(b" \t"):
            break
        at = start
    return line if not data[line:at].strip(b" \t") else at
