"""Telegram Desktop JSON exports (result.json): a single chat, or the whole account.

Single chat: {"name", "type", "id", "messages": [...]}. Whole account: {"personal_information",
"contacts": {"list"}, "chats": {"list": [chat, ...]}, "left_chats": {"list"}, ...}.
A message: {"id", "type": "message" | "service", "date" (exporting PC's local time, no offset),
"date_unixtime" (string, absolute), "from", "from_id" ("user123" / "channel123"), "text" (a string,
or a list of strings and {"type", "text"[, "href"]} entities), "text_entities", "photo" / "file"
(relative path, or "(File not included. ...)")}.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Mapping
from typing import IO, Any

import ijson

from evidence.identifiers import Identifier
from evidence.profiles.chat import (
    Attachment,
    ChatSummary,
    account_profile,
    chat_profile,
    utc_from_unix,
    utc_iso,
)
from evidence.profiles.json_stream import stream_objects
from evidence.profiles.limits import Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.textscan import IdentifierScanner

TIMEZONE = (
    "*_utc from date_unixtime; *_at is the exporting computer's local time (no offset recorded)"
)
_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_NOT_INCLUDED = "(File not included"


def is_telegram_export(data: object) -> bool:
    """True for the top-level object of a Telegram Desktop result.json."""
    if not isinstance(data, Mapping):
        return False
    if isinstance(data.get("messages"), list) and "type" in data:
        return True
    chats = data.get("chats")
    return isinstance(chats, Mapping) and isinstance(chats.get("list"), list)


def _text_parts(value: object) -> tuple[list[str], list[Mapping[str, Any]]]:
    """Plain strings and entity dicts of a "text" field (string or list)."""
    if isinstance(value, str):
        return [value], []
    texts: list[str] = []
    entities: list[Mapping[str, Any]] = []
    if isinstance(value, list):
        for part in value:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping):
                entities.append(part)
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
    return texts, entities


def _entity(scanner: IdentifierScanner, entity: Mapping[str, Any]) -> None:
    kind, text = entity.get("type"), entity.get("text")
    if not isinstance(text, str):
        return
    if kind == "phone":
        scanner.add_phone(text)
    elif kind == "email":
        scanner.scan(text)
    elif kind == "link":
        scanner.add_url(text)
    elif kind == "text_link" and isinstance(entity.get("href"), str):
        scanner.add_url(entity["href"])
    elif kind == "mention" and text.startswith("@"):
        scanner.add_url("https://t.me/" + text[1:])
    elif kind == "mention_name" and isinstance(entity.get("user_id"), int):
        scanner.add(Identifier("account", f"telegram:user{entity['user_id']}", None, "Telegram"))


def _message(chat: ChatSummary, scanner: IdentifierScanner, msg: object, index: int) -> None:
    if not isinstance(msg, Mapping):
        chat.log.miss(f"messages[{index}]", f"not a message object ({type(msg).__name__})")
        return
    if msg.get("type") != "message":
        # service entries (joined, pinned, calls) are counted, and never set the first or last
        # message time (docs/formats.md)
        chat.system_message_count += 1
        return
    date = msg.get("date")
    if isinstance(date, str) and _LOCAL_RE.match(date):
        chat.local.add(date)
    utc = utc_from_unix(msg.get("date_unixtime"))
    if utc is not None:
        chat.utc.add(utc_iso(utc))
        if isinstance(date, str) and _LOCAL_RE.match(date):
            chat.add_offset(date, utc)
    chat.message_count += 1
    sender = msg.get("from")
    chat.count_sender(sender if isinstance(sender, str) and sender else "(unknown)")
    from_id = msg.get("from_id")
    if isinstance(from_id, str) and re.fullmatch(r"(user|channel|chat)\d{1,20}", from_id):
        scanner.add(Identifier("account", f"telegram:{from_id}", None, "Telegram"))
    texts, entities = _text_parts(msg.get("text"))
    for text in texts:
        scanner.scan(text)
    more = msg.get("text_entities")
    for entity in entities + (more if isinstance(more, list) else []):
        if isinstance(entity, Mapping):
            _entity(scanner, entity)
    for key in ("photo", "file"):
        ref = msg.get(key)
        if isinstance(ref, str) and ref:
            if ref.startswith(_NOT_INCLUDED):
                name = msg.get("file_name")
                label = name if isinstance(name, str) and name else f"{key} (not exported)"
                chat.attachments.add(Attachment(label, present=False))
            else:
                chat.attachments.add(Attachment(ref))


def _person(scanner: IdentifierScanner, person: object, detail: str) -> None:
    if not isinstance(person, Mapping):
        return
    phone = person.get("phone_number")
    if isinstance(phone, str):
        scanner.add_phone(phone, detail)
    username = person.get("username")
    if isinstance(username, str) and username.strip("@"):
        scanner.add_url("https://t.me/" + username.strip("@"))
    user_id = person.get("user_id")
    if isinstance(user_id, int) and not isinstance(user_id, bool) and user_id > 0:
        scanner.add(Identifier("account", f"telegram:user{user_id}", None, detail))


_SECTIONS = ("chats.list.item", "left_chats.list.item")
_OBJECTS = frozenset(
    {"messages.item", "personal_information", "contacts.list.item"}
    | {f"{section}.messages.item" for section in _SECTIONS}
)
_SCALARS = frozenset(
    {"name", "type", "id"} | {f"{s}.{key}" for s in _SECTIONS for key in ("name", "type", "id")}
)


class _Export:
    """The state of one streamed result.json: the chat being read, and what came before."""

    def __init__(self, limits: Limits, deadline: Deadline) -> None:
        self.limits, self.deadline = limits, deadline
        self.scanner = IdentifierScanner(limits.max_list)
        self.top = ChatSummary(limits.max_list)  # a single-chat export's one chat
        self.current: ChatSummary | None = None  # the account export's chat being read
        self.chats: Capped[ChatSummary] = Capped(limits.max_list)
        self.owner: Mapping[str, Any] | None = None
        self.contacts = 0
        self.single = False
        self.index = 0

    def take(self, path: str, kind: str, value: Any) -> None:
        """One event of the stream."""
        if kind in ("start", "end"):
            if kind == "start":
                self.current, self.index = ChatSummary(self.limits.max_list), 0
            elif self.current is not None:
                self.chats.add(self.current)
                self.current = None
            return
        chat = self.top if "." not in path or path == "messages.item" else self.current
        if path.endswith("messages.item") and chat is not None:
            self.single = self.single or chat is self.top
            _message(chat, self.scanner, value, self.index)
            self.index += 1
            if self.index % 4096 == 0 and self.deadline.expired():
                raise ProfileFailure("time limit reached while reading messages")
        elif path == "personal_information":
            self.owner = value if isinstance(value, Mapping) else None
            _person(self.scanner, value, "Telegram account owner")
        elif path == "contacts.list.item":
            self.contacts += 1
            _person(self.scanner, value, "Telegram contact")
        elif chat is not None:
            _chat_field(chat, path.rsplit(".", 1)[-1], value)


def _single_chat_head(handle: IO[bytes]) -> dict[str, Any] | None:
    """name, type and id of a single-chat export (Telegram writes them before "messages");
    None for a whole-account export."""
    head: dict[str, Any] = {}
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if prefix in ("name", "type", "id") and event in ("string", "number"):
            head[prefix] = value
        elif prefix == "messages" and event == "start_array":
            return head
        elif prefix in ("chats", "left_chats", "personal_information", "contacts"):
            return None
    return None


def _chat_field(chat: ChatSummary, key: str, value: Any) -> None:
    if key == "name" and isinstance(value, str):
        chat.name = value
    elif key == "type" and isinstance(value, str):
        chat.chat_type = value
    elif key == "id" and isinstance(value, int) and not isinstance(value, bool):
        chat.chat_id = str(value)


def profile_telegram(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a Telegram Desktop result.json (single chat or whole account), streamed."""
    export = _Export(limits, deadline)
    marks = frozenset(_SECTIONS)
    stopped = None
    try:
        if path.stat().st_size > limits.max_text_bytes:
            raise ProfileFailure(f"JSON over the {limits.max_text_bytes}-byte limit; not read")
        with path.open("rb") as handle:
            head = _single_chat_head(handle)
            handle.seek(0)
            if head is not None:
                # the common case, one chat: its messages built by ijson's C code
                for key, value in head.items():
                    export.take(key, "scalar", value)
                for message in ijson.items(handle, "messages.item", use_float=True):
                    export.take("messages.item", "object", message)
            else:
                for event in stream_objects(handle, _OBJECTS, _SCALARS, marks):
                    export.take(*event)
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    except ijson.JSONError as exc:
        stopped = f"malformed JSON ({str(exc)[:120]}); what follows it was not read"
    if export.current is not None:  # cut off inside a chat: keep what it held
        export.chats.add(export.current)
    if not export.single and export.chats.total == 0 and export.top.name is None:
        raise ProfileFailure(
            stopped or "JSON is not a Telegram Desktop export (no messages or chats.list)"
        )
    scanner = export.scanner
    if export.chats.total == 0:
        if stopped:
            export.top.log.stop(stopped)
        return chat_profile("telegram-chat", "Telegram", TIMEZONE, export.top, scanner)
    chats = export.chats
    if stopped:
        chats.items[-1].log.stop(stopped)
    extra: dict[str, Any] = {
        "message_count": sum(c.message_count for c in chats),
        "contact_count": export.contacts,
    }
    owner = export.owner
    if owner is not None:
        names = [owner.get("first_name"), owner.get("last_name")]
        extra["account_name"] = " ".join(n for n in names if isinstance(n, str) and n) or None
    return account_profile("telegram-chat", "Telegram", TIMEZONE, chats, scanner, extra)
