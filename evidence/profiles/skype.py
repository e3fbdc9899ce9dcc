"""Skype "Export files and chat history" messages.json.

Layout: {"userId": "8:live:...", "exportDate", "conversations": [{"id", "displayName",
"MessageList": [{"id", "displayName", "originalarrivaltime" (UTC, ISO 8601 with Z),
"messagetype" ("RichText", "Text", "RichText/UriObject", "RichText/Media_*", "Event/Call",
"ThreadActivity/*" ...), "content" (HTML-ish), "from" ("8:live:name")}]}]}.
"""

from __future__ import annotations

import html
import pathlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evidence.identifiers import Identifier
from evidence.profiles.chat import Attachment, ChatSummary, account_profile, utc_iso
from evidence.profiles.limits import Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import load_json
from evidence.profiles.textscan import IdentifierScanner

TIMEZONE = "UTC (Skype originalarrivaltime); *_at are the same instants without the Z"
_TAG_RE = re.compile(r"<[^<>]{0,4000}>")
_ORIGINAL_NAME_RE = re.compile(r"<OriginalName\s+v=\"([^\"]{1,255})\"")
_USER_MESSAGE_TYPES = ("Text", "RichText")


def is_skype_export(data: object) -> bool:
    """True for the top-level object of a Skype messages.json."""
    return isinstance(data, Mapping) and isinstance(data.get("conversations"), list)


def skype_account(raw: object) -> Identifier | None:
    """Identifier of a Skype MRI such as "8:live:ivan.petrov" (bots and threads excluded)."""
    if not isinstance(raw, str) or not raw.startswith("8:") or len(raw) > 200:
        return None
    return Identifier("account", "skype:" + raw[2:], None, "Skype")


def _message(chat: ChatSummary, scanner: IdentifierScanner, msg: object) -> None:
    if not isinstance(msg, Mapping):
        return
    arrived = msg.get("originalarrivaltime")
    if isinstance(arrived, str) and len(arrived) < 64:
        try:
            moment = datetime.fromisoformat(arrived)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            chat.utc.add(utc_iso(moment))
            chat.local.add(utc_iso(moment)[:-1])
    mtype = msg.get("messagetype")
    mtype = mtype if isinstance(mtype, str) else ""
    content = msg.get("content")
    content = content if isinstance(content, str) else ""
    if not mtype.startswith(_USER_MESSAGE_TYPES):
        chat.system_message_count += 1
        return
    chat.message_count += 1
    sender = msg.get("from")
    label = msg.get("displayName")
    name = label if isinstance(label, str) and label else sender
    chat.count_sender(name if isinstance(name, str) and name else "(unknown)")
    scanner.add(skype_account(sender))
    if "/" in mtype:  # RichText/UriObject, RichText/Media_GenericFile ...: a shared file
        found = _ORIGINAL_NAME_RE.search(content)
        chat.attachments.add(Attachment(found.group(1) if found else mtype))
        return
    scanner.scan(html.unescape(_TAG_RE.sub(" ", content)))


def profile_skype(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a Skype messages.json export (all conversations of one account)."""
    data = load_json(path, limits)
    if not is_skype_export(data):
        raise ProfileFailure("JSON is not a Skype messages.json export (no conversations list)")
    scanner = IdentifierScanner(limits.max_list)
    scanner.add(skype_account(data.get("userId")))
    chats: Capped[ChatSummary] = Capped(limits.max_list)
    messages = 0
    for conversation in data["conversations"]:
        if not isinstance(conversation, Mapping):
            continue
        chat = ChatSummary(limits.max_list)
        name, ident = conversation.get("displayName"), conversation.get("id")
        chat.name = name if isinstance(name, str) else None
        chat.chat_id = ident if isinstance(ident, str) else None
        scanner.add(skype_account(ident))
        listed = conversation.get("MessageList")
        for i, msg in enumerate(listed if isinstance(listed, list) else []):
            _message(chat, scanner, msg)
            if i % 4096 == 0 and deadline.expired():
                raise ProfileFailure("time limit reached while reading messages")
        messages += chat.message_count
        chats.add(chat)
    user = data.get("userId")
    export_date = data.get("exportDate")
    extra: dict[str, Any] = {
        "message_count": messages,
        "account": user if isinstance(user, str) else None,
        "export_date": export_date if isinstance(export_date, str) else None,
    }
    return account_profile("skype-chat", "Skype", TIMEZONE, chats, scanner, extra)
