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
from typing import Any

from evidence.identifiers import Identifier
from evidence.profiles.chat import (
    Attachment,
    ChatSummary,
    account_profile,
    chat_profile,
    utc_from_unix,
    utc_iso,
)
from evidence.profiles.limits import Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import load_json
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


def _chat(
    data: Mapping[str, Any], limits: Limits, scanner: IdentifierScanner, deadline: Deadline
) -> ChatSummary:
    chat = ChatSummary(limits.max_list)
    name, kind, ident = data.get("name"), data.get("type"), data.get("id")
    chat.name = name if isinstance(name, str) else None
    chat.chat_type = kind if isinstance(kind, str) else None
    chat.chat_id = str(ident) if isinstance(ident, int) and not isinstance(ident, bool) else None
    messages = data.get("messages")
    if isinstance(messages, list):
        for i, msg in enumerate(messages):
            _message(chat, scanner, msg, i)
            if i % 4096 == 0 and deadline.expired():
                raise ProfileFailure("time limit reached while reading messages")
    return chat


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


def profile_telegram(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a Telegram Desktop result.json (single chat or whole account)."""
    data = load_json(path, limits)
    if not is_telegram_export(data):
        raise ProfileFailure("JSON is not a Telegram Desktop export (no messages or chats.list)")
    scanner = IdentifierScanner(limits.max_list)
    if isinstance(data.get("messages"), list):
        chat = _chat(data, limits, scanner, deadline)
        return chat_profile("telegram-chat", "Telegram", TIMEZONE, chat, scanner)
    _person(scanner, data.get("personal_information"), "Telegram account owner")
    contacts = data.get("contacts")
    contact_list = contacts.get("list") if isinstance(contacts, Mapping) else None
    contact_count = 0
    if isinstance(contact_list, list):
        for contact in contact_list:
            _person(scanner, contact, "Telegram contact")
            contact_count += 1
    chats: Capped[ChatSummary] = Capped(limits.max_list)
    messages = 0
    for section in ("chats", "left_chats"):
        holder = data.get(section)
        listed = holder.get("list") if isinstance(holder, Mapping) else None
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, Mapping):
                summary = _chat(entry, limits, scanner, deadline)
                messages += summary.message_count
                chats.add(summary)
    extra: dict[str, Any] = {"message_count": messages, "contact_count": contact_count}
    owner = data.get("personal_information")
    if isinstance(owner, Mapping):
        names = [owner.get("first_name"), owner.get("last_name")]
        extra["account_name"] = " ".join(n for n in names if isinstance(n, str) and n) or None
    return account_profile("telegram-chat", "Telegram", TIMEZONE, chats, scanner, extra)
