"""VK (VKontakte) data-archive message pages: Archive/messages/<peer id>/messages<N>.html.

VK's "data protection" archive writes windows-1251 HTML; each message is
  <div class="message" data-id="..."><div class="message__header"><a href="https://vk.com/id1">
  Иван Петров</a>, 2 ноя 2026 в 10:15:33</div><div>text<div class="kludges">
  <div class="attachment"><div class="attachment__description">Фотография</div>
  <a class="attachment__link" href="https://...">...</a></div></div></div></div>
and the page's last <div class="ui_crumb"> names the conversation. An edited message's header
ends "(ред.)" ("(edited)"); a deleted one's text is "Сообщение удалено" ("Message deleted"):
both are counted (`edited_count`, `deleted_count`), the deleted ones among the messages. The
archive holds no media (attachments are links to VK servers), and times are local without an
offset.
"""

from __future__ import annotations

import pathlib
import re
from html.parser import HTMLParser
from typing import Any

from evidence.profiles.chat import LOCAL_TIME_UNKNOWN_ZONE, Attachment, ChatSummary, chat_profile
from evidence.profiles.limits import Limits, ProfileFailure
from evidence.profiles.reading import decode_text
from evidence.profiles.textscan import IdentifierScanner

_MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8,
    "сен": 9, "окт": 10, "ноя": 11, "дек": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_HEADER_RE = re.compile(
    r"^(?P<name>.{1,200}?),\s+(?P<day>\d{1,2})\s+(?P<mon>[^\W\d_]{3,9})\.?\s+(?P<year>\d{4})"
    r"\s+(?:в|at)\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
)


_EDITED = ("(ред.)", "(edited)", "(рэд.)")
_DELETED = {
    "сообщение удалено",
    "message deleted",
    "паведамленне выдалена",
    "повідомлення видалено",
}


def looks_like_vk_messages(text: str) -> bool:
    """True if an HTML head carries VK archive message markup."""
    return 'class="message__header"' in text or (
        'class="message"' in text and "vk.com" in text and "ui_crumb" in text
    )


class _VkParser(HTMLParser):
    def __init__(self, chat: ChatSummary, scanner: IdentifierScanner) -> None:
        super().__init__(convert_charrefs=True)
        self.chat = chat
        self.scanner = scanner
        self.stack: list[str] = []  # classes of the open <div>s
        self.header: list[str] | None = None
        self.sender_url: str | None = None
        self.crumb: list[str] | None = None
        self.last_crumb: str | None = None
        self.headers_unparsed = 0
        self.edited = 0
        self.deleted = 0

    def _within(self, cls: str) -> bool:
        return any(cls in c.split() for c in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        cls = attr.get("class") or ""
        if tag == "div":
            self.stack.append(cls)
            names = cls.split()
            if "message__header" in names:
                self.header, self.sender_url = [], None
            elif "ui_crumb" in names:
                self.crumb = []
        elif tag == "a" and attr.get("href"):
            href = str(attr["href"])
            if self.header is not None:
                self.sender_url = href
            elif "attachment__link" in cls.split() or self._within("attachment"):
                self.chat.attachments.add(Attachment(href[:500]))
            elif self._within("message"):
                self.scanner.add_url(href)

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self.stack:
            return
        names = self.stack.pop().split()
        if "message__header" in names and self.header is not None:
            self._finish_header(" ".join("".join(self.header).split()))
            self.header = None
        elif "ui_crumb" in names and self.crumb is not None:
            self.last_crumb = " ".join("".join(self.crumb).split()) or self.last_crumb
            self.crumb = None

    def handle_data(self, data: str) -> None:
        if self.header is not None:
            self.header.append(data)
        elif self.crumb is not None:
            self.crumb.append(data)
        elif self._within("message") and not self._within("attachment"):
            if data.strip().lower() in _DELETED:
                self.deleted += 1
            self.scanner.scan(data)

    def _finish_header(self, text: str) -> None:
        match = _HEADER_RE.match(text)
        if match is None:
            self.headers_unparsed += 1
            self.chat.log.miss(f"message header {text[:60]!r}", "no sender, date and time read")
            return
        self.chat.message_count += 1
        if text.endswith(_EDITED):
            self.edited += 1
        self.chat.count_sender(match.group("name"))
        if self.sender_url:
            self.scanner.add_url(self.sender_url)
        month = _MONTHS.get(match.group("mon").lower()[:3])
        hms = (match.group("time") + ":00").split(":")[:3]
        if month is not None:
            self.chat.local.add(
                f"{int(match.group('year')):04d}-{month:02d}-{int(match.group('day')):02d}"
                f"T{int(hms[0]):02d}:{hms[1]}:{hms[2]}"
            )


def profile_vk(path: pathlib.Path, limits: Limits) -> dict[str, Any]:
    """Profile of one VK archive message page (HTML, windows-1251 or UTF-8)."""
    try:
        size = path.stat().st_size
        if size > limits.max_json_bytes:
            raise ProfileFailure(f"HTML page of {size} bytes is over the limit; not parsed")
        text = decode_text(path.read_bytes())
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    chat = ChatSummary(limits.max_list)
    scanner = IdentifierScanner(limits.max_list)
    parser = _VkParser(chat, scanner)
    parser.feed(text)
    parser.close()
    if chat.message_count == 0 and parser.headers_unparsed == 0:
        raise ProfileFailure("no VK message headers found")
    chat.name = parser.last_crumb
    extra = {
        "headers_unparsed": parser.headers_unparsed,
        "media_in_archive": False,
        "edited_count": parser.edited,
        "deleted_count": parser.deleted,
    }
    return chat_profile("vk-chat", "VK", LOCAL_TIME_UNKNOWN_ZONE, chat, scanner, extra)
