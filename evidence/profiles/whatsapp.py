"""WhatsApp "Export chat" text files (Android and iOS layouts) and the zip WhatsApp makes.

Layouts seen in real exports (one message header per line, continuation lines follow):
  Android: "02/11/2026, 10:15 - Иван Петров: текст"   "11/2/26, 10:15 AM - John: text"
           "02.11.2026, 10:15 - ..." (Russian locale)  media: "IMG-20261102-WA0003.jpg (file
           attached)" or "<Media omitted>" / "<Без медиафайлов>"
  iOS:     "[02.11.26, 10:15:33] Иван Петров: текст"  "[11/2/26, 10:15:33 AM] John: text"
           media: "<attached: 00000012-PHOTO-2026-11-02-10-15-33.jpg>", often after U+200E
The export has no time-zone and the date order follows the phone's locale, so the order is
inferred from every signal in the file (evidence.profiles.whatsapp_lines.DateOrder) and stated
in the profile with the reason. First and last message times count messages only, not notices.
"""

from __future__ import annotations

import pathlib
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Any

from evidence.profiles.archive import hash_member, open_zip, unsafe_name
from evidence.profiles.chat import LOCAL_TIME_UNKNOWN_ZONE, Attachment, ChatSummary, chat_profile
from evidence.profiles.limits import Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import TextEncoding, detect_encoding, looks_binary, text_stream
from evidence.profiles.readlog import ReadLog
from evidence.profiles.textscan import IdentifierScanner
from evidence.profiles.whatsapp_lines import (
    ANDROID_ATTACH,
    ANDROID_HEADER,
    ENCRYPTION_NOTICE,
    GROUP_EVENT,
    IOS_ATTACH,
    IOS_HEADER,
    MEDIA_OMITTED,
    DateOrder,
    Header,
    header_fields,
    parse_header,
)

__all__ = ["ANDROID_HEADER", "IOS_HEADER", "chat_member", "profile_text", "profile_zip"]

_MAX_SENDER = 120  # longer "names" before ": " are system lines quoting a colon
_TIMEZONE = LOCAL_TIME_UNKNOWN_ZONE


@dataclass
class WhatsAppParse:
    """State of one streamed parse; the caller turns it into a profile."""

    limits: Limits
    chat: ChatSummary = field(init=False)
    scanner: IdentifierScanner = field(init=False)
    layouts: dict[str, int] = field(default_factory=lambda: {"android": 0, "ios": 0})
    order: DateOrder = field(default_factory=DateOrder)
    clock_12h: bool = False
    first: Header | None = None  # first header line of any kind
    first_message: Header | None = None  # first and last lines that are messages
    last_message: Header | None = None
    current: Header | None = None  # the header the following continuation lines belong to
    notice_senders: set[str] = field(default_factory=set)
    preamble_lines: int = 0
    bytes_read: int = 0
    lines: int = 0
    stopped: str | None = None
    log: ReadLog = field(init=False)
    encoding: TextEncoding = field(init=False)

    def __post_init__(self) -> None:
        self.chat = ChatSummary(self.limits.max_list)
        self.scanner = IdentifierScanner(self.limits.max_list)
        self.log = ReadLog("messages", self.limits.max_list)

    def feed(self, line: str) -> None:
        """Take one line of the export."""
        match = ANDROID_HEADER.match(line)
        layout = "android"
        if match is None:
            match = IOS_HEADER.match(line)
            layout = "ios"
        header = parse_header(match) if match is not None else None
        if match is None or header is None:
            if self.first is None:
                # belongs to no message: named as not read, its identifiers still listed
                self.preamble_lines += 1
                self.scanner.where = f"line {self.lines + 1}"
                self.scanner.scan(line)
                if line.strip():
                    self.log.miss(f"line {self.lines + 1}", "before the first message header")
            else:
                self._body(line)
            return
        self._header(header, match.group("date"))
        self.layouts[layout] += 1
        rest = match.group("rest").lstrip("\u200e\u200f")
        colon = rest.find(": ")
        if not 0 < colon <= _MAX_SENDER:
            self._system(rest)
            return
        sender = rest[:colon].strip("\u200e\u200f\u202a\u202b\u202c ")
        body = rest[colon + 2 :]
        if self._is_notice(layout, sender, body):
            self.notice_senders.add(sender)
            self._system(body)
            return
        self.chat.message_count += 1
        self.chat.count_sender(sender)
        if self.first_message is None:
            self.first_message = header
        self.last_message = header
        if sender[:1] in "+0123456789":
            self.scanner.add_phone(sender, "WhatsApp sender")
        self._body(body)

    def _is_notice(self, layout: str, sender: str, body: str) -> bool:
        # iOS writes a group's notices under the group's name with a leading U+200E (media
        # lines carry it too); the encryption notice is recognised in any layout and language;
        # once a name has carried a notice, group events under it are notices as well.
        marked = layout == "ios" and body.startswith("\u200e")
        if MEDIA_OMITTED.match(body) or IOS_ATTACH.search(body[:300]) or ANDROID_ATTACH.match(body):
            return False
        if marked or ENCRYPTION_NOTICE.match(body[:300]):
            return True
        return sender in self.notice_senders and GROUP_EVENT.search(body[:300]) is not None

    def _system(self, text: str) -> None:
        self.chat.system_message_count += 1
        self.scanner.scan(text)

    def _header(self, header: Header, raw_date: str) -> None:
        self.order.add(header, raw_date)
        if header.ampm:
            self.clock_12h = True
        if self.first is None:
            self.first = header
        self.current = header

    def _body(self, text: str) -> None:
        if MEDIA_OMITTED.match(text):
            self.chat.media_omitted_count += 1
            return
        attach = ANDROID_ATTACH.match(text)
        names = [attach.group("name")] if attach else []
        names += [m.group("name").strip() for m in IOS_ATTACH.finditer(text)]
        for name in names:
            self.chat.attachments.add(Attachment(name))
            if self.current is not None:
                self.order.attachment(self.current, name)
        self.scanner.scan(text)

    def date_order(self) -> tuple[str, str]:
        """How dates were read (day-first, month-first, year-first or an assumption) and why."""
        return self.order.decide()

    def local_time(self, header: Header | None) -> str | None:
        """Naive ISO time of a header under the decided date order, None if impossible."""
        if header is None:
            return None
        month_first = self.date_order()[0] == "month-first"
        try:
            moment = datetime(*header_fields(header, month_first))
        except ValueError:
            return None
        return moment.isoformat(timespec="seconds")


def parse_stream(
    stream: IO[bytes], limits: Limits, deadline: Deadline, encoding: TextEncoding
) -> WhatsAppParse:
    """Stream an export's lines through a parser, within the size, line and time bounds
    (sizes counted in characters once decoded)."""
    state = WhatsAppParse(limits)
    state.encoding = encoding
    text = text_stream(stream, encoding)
    first = True
    while True:
        # readline with a size: a file without newlines is read in bounded pieces
        raw = text.readline(limits.max_line_bytes)
        if not raw:
            break
        # the bound is in bytes of the file: the byte stream's position (the decoder reads
        # ahead by a few KiB at most), or characters where the stream cannot tell
        state.bytes_read = _position(stream, state.bytes_read + len(raw))
        if state.bytes_read > limits.max_text_bytes:
            state.stopped = f"stopped after {limits.max_text_bytes} bytes (size limit)"
            break
        line = raw.rstrip("\r\n")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        state.feed(line)
        state.lines += 1
        if state.lines % 4096 == 0 and deadline.expired():
            state.stopped = "stopped at the time limit"
            break
    return state


def _position(stream: IO[bytes], fallback: int) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return fallback


def check_text_head(head: bytes) -> None:
    """Refuse a file whose first bytes show it is not text."""
    if looks_binary(head):
        raise ProfileFailure("binary content, not a WhatsApp text export")


def _finish(state: WhatsAppParse, extra: dict[str, Any]) -> dict[str, Any]:
    if state.first is None:
        raise ProfileFailure("no WhatsApp message lines recognised")
    state.chat.local.add(state.local_time(state.first_message))
    state.chat.local.add(state.local_time(state.last_message))
    layout = max(state.layouts, key=lambda k: state.layouts[k])
    order, reason = state.date_order()
    info: dict[str, Any] = {
        "layout": layout,
        "date_order": order,
        "date_order_reason": reason,
        "clock": "12-hour" if state.clock_12h else "24-hour",
        "unrecognised_leading_lines": state.preamble_lines,
    }
    state.log.ok(state.chat.message_count + state.chat.system_message_count)
    if state.stopped:
        info["stopped"] = state.stopped
        info["truncated"] = True
        state.log.stop(state.stopped)
    info.update(state.encoding.to_json())
    info.update(state.log.to_json())
    info.update(extra)
    return chat_profile("whatsapp-chat", "WhatsApp", _TIMEZONE, state.chat, state.scanner, info)


def profile_text(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a plain WhatsApp .txt export (attachments' presence cannot be known)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(limits.sniff_bytes)
            check_text_head(head)
            stream.seek(0)
            state = parse_stream(stream, limits, deadline, detect_encoding(head))
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
                head = stream.read(limits.sniff_bytes)
                check_text_head(head)
            with archive.open(chat_info) as stream:
                # the member's declared size bounds what we inflate: a bomb stops there
                bound = min(limits.max_text_bytes, chat_info.file_size)
                state = parse_stream(
                    stream, replace(limits, max_text_bytes=bound), deadline, detect_encoding(head)
                )
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
