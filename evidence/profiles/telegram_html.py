"""Telegram Desktop's default export: HTML pages (messages.html, messages2.html, ...).

"Export chat history" in Telegram Desktop writes a folder ChatExport_<date>/ holding
messages.html, messages2.html ... (1,000 messages a page, linked by <a class="pagination">),
css/, js/, and photos/, files/, video_files/, voice_messages/ when media were exported. A page:
  <div class="page_header"><div class="content"><div class="text bold">Chat name</div>...
  <div class="history">
    <div class="message service" id="message-1"><div class="body details">2 November 2026
      </div></div>                                           (a date separator: negative id)
    <div class="message service" id="message5"><div class="body details">Марына invited
      Алесь</div></div>                                      (a service entry)
    <div class="message default clearfix" id="message6"> ... <div class="body">
      <div class="pull_right date details" title="02.11.2026 10:15:00 UTC+03:00">10:15</div>
      <div class="from_name">Алесь Навумчык</div>
      <div class="reply_to details">In reply to <a href="#go_to_message4" ...>this message</a>
      <div class="forwarded body"><div class="from_name">Original author <span class="date
        details" title="...">...</span></div><div class="text">...</div></div>
      <div class="media_wrap clearfix"><a class="photo_wrap clearfix pull_left"
        href="photos/photo_1@02-11-2026_10-16-00.jpg">  or, when media were not exported,
        <div class="media clearfix pull_left media_photo">...<div class="title bold">Photo
        </div><div class="status details">Not included, change data exporting settings to
        download.</div>
      <div class="text">message text, links as <a href="...">...</a></div>
    <div class="message default clearfix joined" id="message7">  (same sender as the one before:
      no from_name)
Older versions write the date title without "UTC+hh:mm"; then no UTC time can be given.
The standard library's html.parser reads it: the pages are machine-written, regular HTML, and a
tolerant tokenizer with no tree keeps memory flat on a 1,000-message page (no dependency on
lxml/BeautifulSoup for what a 150-line state machine does).
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from evidence.profiles.archive import iter_member_bytes, member_refusal, open_zip, unsafe_name
from evidence.profiles.chat import Attachment, ChatSummary, chat_profile, naive_iso, utc_iso
from evidence.profiles.limits import Deadline, Limits, ProfileFailure
from evidence.profiles.reading import decode_with, detect_encoding
from evidence.profiles.textscan import IdentifierScanner

__all__ = [
    "export_pages",
    "looks_like_telegram_html",
    "profile_telegram_html",
    "profile_telegram_zip",
]

_VIA_BOT_RE = re.compile(r" via @[A-Za-z0-9_]{3,64}$")

_TITLE_RE = re.compile(
    r"^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+\-])(\d{2}):(\d{2}))?"
)
_PAGE_RE = re.compile(r"(?:^|/)messages(\d*)\.html$")
_MESSAGE_ID_RE = re.compile(r"^message(-?\d+)$")
_NOT_INCLUDED = ("not included", "не включ")
TIMEZONE = (
    "*_at is the exporting computer's local time from each message's date title; *_utc "
    "where the title carries its UTC offset (Telegram Desktop 2.x and later)"
)


def looks_like_telegram_html(text: str) -> bool:
    """True if an HTML head carries Telegram Desktop export markup."""
    return 'class="page_header"' in text and (
        'class="message default' in text or 'class="message service' in text
    )


def page_number(name: str) -> int | None:
    """1 for messages.html, N for messagesN.html, None for another file name."""
    match = _PAGE_RE.search(name.replace("\\", "/"))
    if match is None:
        return None
    return int(match.group(1) or "1")


@dataclass
class _Message:
    ident: str
    classes: set[str]
    depth: int
    sender: str | None = None
    title: str | None = None
    forwarded_from: str | None = None


class TelegramPage(HTMLParser):
    """Feeds one page after another into one chat summary."""

    def __init__(self, chat: ChatSummary, scanner: IdentifierScanner) -> None:
        super().__init__(convert_charrefs=True)
        self.chat = chat
        self.scanner = scanner
        self.forwarded = self.replies = self.joined = self.date_separators = 0
        self.next_pages: list[str] = []
        self.last_sender: str | None = None
        self._stack: list[set[str]] = []
        self._msg: _Message | None = None
        self._capture: str | None = None  # what the text being read is: name, from, text...
        self._buffer: list[str] = []
        self._capture_depth = 0
        self._media_title: str | None = None
        self.page = "page"

    def start_page(self, name: str) -> None:
        """Begin a new page (its name goes into the locations of what it cannot read)."""
        self.page = name
        self.reset()
        self._stack, self._msg, self._capture = [], None, None

    def _inside(self, cls: str) -> bool:
        return any(cls in names for names in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        names = set(attr.get("class", "").split())
        if tag == "a":
            self._link(attr.get("href", ""), names)
            return
        if tag == "span" and "date" in names and self._capture == "forwarded":
            self._finish_capture()  # "Original author <span class=date ...>": the name ends
            return
        if tag != "div":
            return
        self._stack.append(names)
        depth = len(self._stack)
        match = _MESSAGE_ID_RE.match(attr.get("id", ""))
        if "message" in names and match is not None:
            self._msg = _Message(match.group(1), names, depth)
            return
        if self._capture is not None:
            return
        if "text" in names and "bold" in names and self._inside("page_header"):
            self._start_capture("chat name", depth)
        elif self._msg is None:
            return
        elif "date" in names and "title" in attr and not self._inside("forwarded"):
            self._msg.title = attr["title"]
        elif "from_name" in names:
            self._start_capture("forwarded" if self._inside("forwarded") else "from", depth)
        elif "text" in names or ("body" in names and "service" in self._msg.classes):
            self._start_capture("text", depth)
        elif "reply_to" in names:
            self.replies += 1
        elif "title" in names and self._inside("media"):
            self._start_capture("media title", depth)
        elif "status" in names and self._inside("media"):
            self._start_capture("media status", depth)

    def _start_capture(self, what: str, depth: int) -> None:
        self._capture, self._buffer, self._capture_depth = what, [], depth

    def _link(self, href: str, names: set[str]) -> None:
        if "pagination" in names:
            if page_number(href) is not None and href not in self.next_pages:
                self.next_pages.append(href)
            return
        if self._msg is None or not href or href.startswith(("#", "javascript:")):
            return
        if self._inside("media_wrap") and "://" not in href:
            self.chat.attachments.add(Attachment(href[:500]))
        elif href.startswith("tel:"):
            self.scanner.add_phone(href[4:])
        elif "://" in href or href.startswith("mailto:"):
            self.scanner.scan(href.removeprefix("mailto:"))

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self._stack:
            return
        depth = len(self._stack)
        self._stack.pop()
        if self._capture is not None and depth == self._capture_depth:
            self._finish_capture()
        if self._msg is not None and depth == self._msg.depth:
            self._finish_message(self._msg)
            self._msg = None

    def _finish_capture(self) -> None:
        what, text = self._capture, " ".join("".join(self._buffer).split())
        self._capture = None
        if what == "chat name":
            self.chat.name = self.chat.name or text[:200] or None
        elif self._msg is None:
            return
        elif what == "from":
            # "Name via @bot": the exporter appends the inline bot that sent it for the user
            self._msg.sender = _VIA_BOT_RE.sub("", text)[:200] or None
        elif what == "forwarded":
            self._msg.forwarded_from = text[:200] or "(unknown)"
        elif what == "text":
            self.scanner.where = f"{self.page}, message {self._msg.ident}"
            self.scanner.scan(text)
        elif what == "media title":
            self._media_title = text[:100]
        elif what == "media status" and text.lower().startswith(_NOT_INCLUDED):
            label = f"{self._media_title or 'media'} (not exported)"
            self.chat.attachments.add(Attachment(label, present=False))

    def _finish_message(self, msg: _Message) -> None:
        self._media_title = None
        if "service" in msg.classes:
            if msg.ident.startswith("-"):
                self.date_separators += 1  # "2 November 2026" between days: no entry at all
            else:
                self.chat.system_message_count += 1
            return
        if "joined" in msg.classes:
            self.joined += 1
            msg.sender = msg.sender or self.last_sender
        sender = msg.sender or "(unknown)"
        self.last_sender = sender
        self.chat.message_count += 1
        self.chat.count_sender(sender)
        if msg.forwarded_from is not None:
            self.forwarded += 1
        moment = _TITLE_RE.match(msg.title or "")
        if moment is None:
            self.chat.log.miss(f"{self.page}, message {msg.ident}", "no date title: time not read")
            return
        d, mo, y, h, mi, s, sign, oh, om = moment.groups()
        try:
            local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
        except ValueError:
            self.chat.log.miss(f"{self.page}, message {msg.ident}", f"bad date {msg.title!r}")
            return
        self.chat.local.add(naive_iso(local))
        if sign is not None:
            offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
            instant = local.replace(tzinfo=timezone(offset)).astimezone(UTC)
            self.chat.utc.add(utc_iso(instant))
            self.chat.add_offset(naive_iso(local), instant)


def profile_pages(
    pages: list[tuple[str, str]], limits: Limits, deadline: Deadline, extra: dict[str, Any]
) -> dict[str, Any]:
    """Profile of one export from its pages' (name, text), in page order."""
    chat = ChatSummary(limits.max_list)
    scanner = IdentifierScanner(limits.max_list)
    parser = TelegramPage(chat, scanner)
    for name, text in pages:
        if deadline.expired():
            chat.log.stop(f"stopped at the time limit before {name}")
            break
        parser.start_page(name)
        parser.feed(text)
        parser.close()
    if chat.message_count == 0 and chat.system_message_count == 0:
        raise ProfileFailure("no Telegram Desktop messages found in the HTML")
    info: dict[str, Any] = {
        "format": "telegram-desktop-html",
        "pages": [name for name, _ in pages],
        "forwarded_count": parser.forwarded,
        "reply_count": parser.replies,
        "joined_count": parser.joined,
        "date_separator_count": parser.date_separators,
    }
    read = {pathlib.PurePosixPath(name).name for name, _ in pages}
    missing = [p for p in parser.next_pages if pathlib.PurePosixPath(p).name not in read]
    if missing:
        chat.log.notice(
            "pages linked but not in this item (each page is its own file; ingest the "
            f"ChatExport folder as one zip to read them all): {', '.join(missing[:20])}"
        )
    info.update(extra)
    return chat_profile("telegram-chat", "Telegram", TIMEZONE, chat, scanner, info)


def profile_telegram_html(
    path: pathlib.Path, original_name: str, limits: Limits, deadline: Deadline
) -> dict[str, Any]:
    """Profile of one messages*.html page of a Telegram Desktop export."""
    try:
        if path.stat().st_size > limits.max_json_bytes:
            raise ProfileFailure("HTML page over the size limit; not parsed")
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    encoding = detect_encoding(data[: limits.sniff_bytes])
    name = pathlib.PurePath(original_name.replace("\\", "/")).name or "messages.html"
    return profile_pages([(name, decode_with(data, encoding))], limits, deadline,
                         {"container": "html", **encoding.to_json()})  # fmt: skip


def export_pages(names: list[str]) -> list[str]:
    """The message pages of one ChatExport folder in a zip, in page order (the first
    folder holding a messages.html, or the zip's root)."""
    pages = [(page_number(n), n) for n in names if page_number(n) is not None]
    if not pages:
        return []
    first = min(pages, key=lambda p: (p[1].count("/"), p[0] or 0))[1]
    folder = first.rsplit("/", 1)[0] + "/" if "/" in first else ""
    chosen = [(num or 0, n) for num, n in pages if n.rsplit("/", 1)[0] + "/" == folder
              or (not folder and "/" not in n)]  # fmt: skip
    return [n for _, n in sorted(chosen)]


def profile_telegram_zip(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a zipped ChatExport_* folder: every page, attachments checked in the zip."""
    with open_zip(path, limits) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        page_names = export_pages(names)
        if not page_names:
            raise ProfileFailure("zip holds no Telegram messages*.html page")
        pages = []
        for info in infos:
            if info.filename in page_names:
                refusal = member_refusal(info, limits)
                if refusal is not None or info.file_size > limits.max_json_bytes:
                    raise ProfileFailure(f"{info.filename}: {refusal or 'over the size limit'}")
                data = b"".join(iter_member_bytes(archive, info))
                pages.append((info.filename, decode_with(data, detect_encoding(data[:65536]))))
        pages.sort(key=lambda page: page_names.index(page[0]))
        folder = page_names[0].rsplit("/", 1)[0] + "/" if "/" in page_names[0] else ""
        profile = profile_pages(pages, limits, deadline,
                                {"container": "zip", "export_folder": folder or None})  # fmt: skip
        held = {n for n in names if unsafe_name(n) is None}
        for attachment in profile["attachments"]:
            if attachment["present"] is None:
                attachment["present"] = folder + attachment["name"] in held
        return profile
