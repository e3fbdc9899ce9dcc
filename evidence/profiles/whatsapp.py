"""WhatsApp "Export chat" text files (Android and iOS layouts) and the zip WhatsApp makes.

Layouts seen in real exports (one message header per line, continuation lines follow):
  Android: "02/11/2026, 10:15 - Иван Петров: текст"   "11/2/26, 10:15 AM - John: text"
           "02.11.2026, 10:15 - ..." (Russian locale)  media: "IMG-20261102-WA0003.jpg (file
           attached)" or "<Media omitted>" / "<Без медиафайлов>"
  iOS:     "[02.11.26, 10:15:33] Иван Петров: текст"  "[11/2/26, 10:15:33 AM] John: text"
           media: "<attached: 00000012-PHOTO-2026-11-02-10-15-33.jpg>", often after U+200E
The export has no time-zone and the date order follows the phone's locale, so the order is
inferred from the whole file (a first field over 12 means day-first, a second field over 12
month-first, dots mean day-first) and stated in the profile.
"""

from __future__ import annotations

import pathlib
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Any

from evidence.profiles.archive import hash_member, open_zip, unsafe_name
from evidence.profiles.chat import LOCAL_TIME_UNKNOWN_ZONE, Attachment, ChatSummary, chat_profile
from evidence.profiles.limits import Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import looks_binary
from evidence.profiles.textscan import IdentifierScanner

_DATE = r"(?P<date>\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
_AMPM = r"(?:[\s\u202f\u00a0]?(?P<ampm>[AaPp]\.?\s?[Mm]\.?|ДП|ПП|дп|пп))?"
ANDROID_HEADER = re.compile(rf"^\u200e?{_DATE},?\s{_TIME}{_AMPM}\s[-–]\s(?P<rest>.*)$", re.S)
IOS_HEADER = re.compile(rf"^[\u200e\u200f]?\[{_DATE},?\s{_TIME}{_AMPM}\]\s(?P<rest>.*)$", re.S)
_ANDROID_ATTACH = re.compile(
    r"^\u200e?(?P<name>[^\s<>:/\\][^<>:/\\]{0,250}?\.[A-Za-z0-9]{1,6})\s\("
    r"(?:file attached|файл добавлен|файл прикреплен|файл прикреплён|файл приложен)\)"
)
_IOS_ATTACH = re.compile(r"<(?:attached|прикреплено|вложение):\s?(?P<name>[^<>]{1,255})>")
_OMITTED = re.compile(
    r"(?i)^\u200e?(?:<media omitted>|<без медиафайлов>|<медиафайлы? (?:не включены|отсутству\w+)>"
    r"|(?:image|video|audio|sticker|gif|document|contact card) omitted"
    r"|(?:изображение|видео|аудио|стикер|gif|документ) (?:отсутствует|не включено|не включен))"
)
_MAX_SENDER = 120  # longer "names" before ": " are system lines quoting a colon
_TIMEZONE = LOCAL_TIME_UNKNOWN_ZONE


@dataclass
class _Header:
    parts: tuple[int, int, int]
    year_first: bool
    time: str
    ampm: str | None


@dataclass
class WhatsAppParse:
    """State of one streamed parse; the caller turns it into a profile."""

    limits: Limits
    chat: ChatSummary = field(init=False)
    scanner: IdentifierScanner = field(init=False)
    layouts: dict[str, int] = field(default_factory=lambda: {"android": 0, "ios": 0})
    day_first_votes: int = 0
    month_first_votes: int = 0
    clock_12h: bool = False
    first: _Header | None = None
    last: _Header | None = None
    preamble_lines: int = 0
    bytes_read: int = 0
    lines: int = 0
    stopped: str | None = None
    attachment_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chat = ChatSummary(self.limits.max_list)
        self.scanner = IdentifierScanner(self.limits.max_list)

    def feed(self, line: str) -> None:
        """Take one line of the export."""
        match = ANDROID_HEADER.match(line)
        layout = "android"
        if match is None:
            match = IOS_HEADER.match(line)
            layout = "ios"
        if match is None or not self._header(match):
            if self.first is None:
                self.preamble_lines += 1
            else:
                self._body(line)
            return
        self.layouts[layout] += 1
        rest = match.group("rest").lstrip("\u200e")
        colon = rest.find(": ")
        if 0 < colon <= _MAX_SENDER:
            sender = rest[:colon].strip("\u200e\u202a\u202c ")
            body = rest[colon + 2 :]
            # iOS writes system notices under the chat's name, marked by a leading U+200E
            ios_notice = layout == "ios" and body.startswith("\u200e") and "<" not in body[:3]
            if ios_notice and not _OMITTED.match(body):
                self.chat.system_message_count += 1
                return
            self.chat.message_count += 1
            self.chat.count_sender(sender)
            if sender[:1] in "+0123456789":
                self.scanner.add_phone(sender, "WhatsApp sender")
            self._body(body)
        else:
            self.chat.system_message_count += 1
            self.scanner.scan(rest)

    def _header(self, match: re.Match[str]) -> bool:
        pieces = re.split(r"[./\-]", match.group("date"))
        try:
            a, b, c = (int(p) for p in pieces)
        except ValueError:
            return False
        year_first = len(pieces[0]) == 4
        if not year_first:
            if a > 12:
                self.day_first_votes += 1
            elif b > 12:
                self.month_first_votes += 1
            elif "." in match.group("date"):
                self.day_first_votes += 1
        ampm = match.group("ampm")
        if ampm:
            self.clock_12h = True
        header = _Header((a, b, c), year_first, match.group("time"), ampm)
        if self.first is None:
            self.first = header
        self.last = header
        return True

    def _body(self, text: str) -> None:
        if _OMITTED.match(text):
            self.chat.media_omitted_count += 1
            return
        attach = _ANDROID_ATTACH.match(text)
        names = [attach.group("name")] if attach else []
        names += [m.group("name").strip() for m in _IOS_ATTACH.finditer(text)]
        for name in names:
            self.chat.attachments.add(Attachment(name))
            if len(self.attachment_names) < self.limits.max_list:
                self.attachment_names.append(name)
        self.scanner.scan(text)

    def date_order(self) -> str:
        """How dates were read: day-first, month-first, year-first, or an assumption."""
        if self.first is not None and self.first.year_first:
            return "year-first"
        if self.day_first_votes and self.month_first_votes:
            return "inconsistent (read as day-first)"
        if self.month_first_votes:
            return "month-first"
        if self.day_first_votes:
            return "day-first"
        return "ambiguous (read as day-first)"

    def local_time(self, header: _Header | None) -> str | None:
        """Naive ISO time of a header under the inferred date order, None if impossible."""
        if header is None:
            return None
        a, b, c = header.parts
        if header.year_first:
            year, month, day = a, b, c
        elif self.date_order() == "month-first":
            month, day, year = a, b, c
        else:
            day, month, year = a, b, c
        if year < 100:
            year += 2000
        hms = [int(x) for x in re.split(r"[:.]", header.time)] + [0]
        hour, minute, second = hms[0], hms[1], hms[2]
        if header.ampm:
            pm = header.ampm.lower().startswith(("p", "пп"))
            hour = hour % 12 + (12 if pm else 0)
        try:
            moment = datetime(year, month, day, hour, minute, second)
        except ValueError:
            return None
        return moment.isoformat(timespec="seconds")


def parse_stream(stream: IO[bytes], limits: Limits, deadline: Deadline) -> WhatsAppParse:
    """Stream an export's lines through a parser, within the byte, line and time bounds."""
    state = WhatsAppParse(limits)
    first = True
    while True:
        # readline with a size: a file without newlines is read in bounded pieces
        raw = stream.readline(limits.max_line_bytes)
        if not raw:
            break
        state.bytes_read += len(raw)
        if state.bytes_read > limits.max_text_bytes:
            state.stopped = f"stopped after {limits.max_text_bytes} bytes (size limit)"
            break
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        state.feed(line)
        state.lines += 1
        if state.lines % 4096 == 0 and deadline.expired():
            state.stopped = "stopped at the time limit"
            break
    return state


def check_text_head(head: bytes) -> None:
    """Refuse a file whose first bytes show it is not text."""
    if looks_binary(head):
        raise ProfileFailure("binary content, not a WhatsApp text export")


def _finish(state: WhatsAppParse, extra: dict[str, Any]) -> dict[str, Any]:
    if state.first is None:
        raise ProfileFailure("no WhatsApp message lines recognised")
    state.chat.local.add(state.local_time(state.first))
    state.chat.local.add(state.local_time(state.last))
    layout = max(state.layouts, key=lambda k: state.layouts[k])
    info: dict[str, Any] = {
        "layout": layout,
        "date_order": state.date_order(),
        "clock": "12-hour" if state.clock_12h else "24-hour",
        "unrecognised_leading_lines": state.preamble_lines,
    }
    if state.stopped:
        info["stopped"] = state.stopped
        info["truncated"] = True
    info.update(extra)
    return chat_profile("whatsapp-chat", "WhatsApp", _TIMEZONE, state.chat, state.scanner, info)


def profile_text(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a plain WhatsApp .txt export (attachments' presence cannot be known)."""
    try:
        with path.open("rb") as stream:
            check_text_head(stream.read(4096))
            stream.seek(0)
            state = parse_stream(stream, limits, deadline)
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    return _finish(state, {"container": "text"})


def chat_member(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    """The member holding the chat text: _chat.txt or "WhatsApp Chat ....txt", else any .txt."""
    texts = [i for i in infos if i.filename.lower().endswith(".txt") and not i.is_dir()]
    for info in texts:
        base = info.filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if base == "_chat.txt" or "whatsapp" in base or base.startswith("чат"):
            return info
    return texts[0] if texts else None


def profile_zip(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a WhatsApp export zip: the chat text plus every member hashed and listed."""
    with open_zip(path, limits) as archive:
        infos = archive.infolist()
        chat_info = chat_member(infos)
        if chat_info is None:
            raise ProfileFailure("zip holds no .txt chat file")
        if unsafe_name(chat_info.filename) is not None:
            raise ProfileFailure(f"chat member has an unsafe name: {chat_info.filename!r}")
        members: Capped[dict[str, object]] = Capped(limits.max_list)
        basenames: dict[str, str] = {}  # member base name -> sha256, for attachment presence
        unsafe: list[str] = []
        for info in infos:
            if info.is_dir():
                continue
            report = hash_member(archive, info, limits, deadline)
            members.add(report.to_json())
            if unsafe_name(info.filename) is not None:
                unsafe.append(info.filename)
            elif report.sha256 is not None:
                basenames[info.filename.replace("\\", "/").rsplit("/", 1)[-1]] = report.sha256
        try:
            with archive.open(chat_info) as stream:
                check_text_head(stream.read(4096))
            with archive.open(chat_info) as stream:
                # the member's declared size bounds what we inflate: a bomb stops there
                bound = min(limits.max_text_bytes, chat_info.file_size)
                state = parse_stream(stream, replace(limits, max_text_bytes=bound), deadline)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ProfileFailure(f"chat member unreadable: {exc}") from exc
    for attachment in state.chat.attachments:
        attachment.sha256 = basenames.get(attachment.name)
        attachment.present = attachment.sha256 is not None
    extra: dict[str, Any] = {
        "container": "zip",
        "chat_file": chat_info.filename,
        "members": members.items,
        "members_total": members.total,
        "unsafe_member_names": unsafe[: limits.max_list],
    }
    if members.truncated:
        extra["truncated"] = True
    return _finish(state, extra)
