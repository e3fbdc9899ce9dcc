"""Meta's message exports: Instagram and Facebook Messenger "Download your information" JSON.

Each conversation is a folder (messages/inbox/<name>_<thread id>/) holding message_1.json,
message_2.json ...: {"participants": [{"name"}], "messages": [{"sender_name", "timestamp_ms",
"content", "photos"/"videos"/"audio_files"/"files": [{"uri", "creation_timestamp"}],
"share": {"link", "share_text", "original_content_owner"}, "reactions": [{"reaction",
"actor"}], "call_duration", "is_unsent", "type" (Messenger: "Generic", "Share", "Call",
"Subscribe", "Unsubscribe")}], "title", "is_still_participant", "thread_path" ("inbox/
ivan_1234567890"), "magic_words" (Instagram)}.

Meta writes every non-ASCII character as the \\u00XX escapes of its UTF-8 bytes ("Пётр" comes
out as "\\u00d0\\u009f\\u00d1\\u0091\\u00d1\\u0082\\u00d1\\u0080"): a string made only of
code points below 256 that decodes as UTF-8 from those bytes is repaired, and the profile says
how many were (`mojibake_repaired`).
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

from evidence.profiles.chat import Attachment, ChatSummary, chat_profile
from evidence.profiles.limits import Deadline, Limits, ProfileFailure
from evidence.profiles.reading import load_json
from evidence.profiles.textscan import IdentifierScanner
from evidence.profiles.values import parse_unix_time

__all__ = ["profile_meta", "repair_mojibake"]

TIMEZONE = "*_utc from timestamp_ms (UTC); *_at is the same instant without the Z"
_MEDIA_KEYS = ("photos", "videos", "audio_files", "files", "gifs")
_SYSTEM_TYPES = {"subscribe", "unsubscribe", "call"}
# older Instagram exports write a like as a message of its own, content "Liked a message"
# (English interface; other languages not seen yet): a reaction, not a message
_LIKE_TEXTS = {"liked a message"}


def repair_mojibake(text: str) -> tuple[str, bool]:
    """(text, repaired?): Meta's UTF-8-bytes-as-code-points undone where it applies."""
    if text.isascii() or any(ord(c) > 255 for c in text):
        return text, False
    try:
        return text.encode("latin-1").decode("utf-8"), True
    except UnicodeDecodeError:
        return text, False


class _Thread:
    def __init__(self, limits: Limits) -> None:
        self.chat = ChatSummary(limits.max_list)
        self.scanner = IdentifierScanner(limits.max_list)
        self.repaired = 0
        self.calls = 0
        self.reactions = 0
        self.shares = 0
        self.unsent = 0

    def text(self, value: object) -> str:
        if not isinstance(value, str):
            return ""
        fixed, repaired = repair_mojibake(value[:1_000_000])
        self.repaired += repaired
        return fixed

    def message(self, msg: object, index: int) -> None:
        chat = self.chat
        if not isinstance(msg, Mapping):
            chat.log.miss(f"messages[{index}]", f"not a message object ({type(msg).__name__})")
            return
        kind = self.text(msg.get("type")).lower()
        if "call_duration" in msg or kind == "call":
            self.calls += 1
        if kind in _SYSTEM_TYPES or self.text(msg.get("content")).strip().lower() in _LIKE_TEXTS:
            chat.system_message_count += 1
            return
        chat.message_count += 1
        chat.count_sender(self.text(msg.get("sender_name"))[:200] or "(unknown)")
        stamp = msg.get("timestamp_ms")
        when = parse_unix_time(stamp) if isinstance(stamp, int) else None
        if when is None:
            chat.log.miss(f"messages[{index}]", "no readable timestamp_ms")
        else:
            chat.utc.add(when)
            chat.local.add(when.removesuffix("Z"))
        if msg.get("is_unsent") is True:
            self.unsent += 1
        self.scanner.where = f"JSON $.messages[{index}]"
        self.scanner.scan(self.text(msg.get("content")))
        share = msg.get("share")
        if isinstance(share, Mapping):
            self.shares += 1
            self.scanner.scan(self.text(share.get("link")))
            self.scanner.scan(self.text(share.get("share_text")))
            owner = self.text(share.get("original_content_owner"))
            if owner and " " not in owner:
                self.scanner.add_url(f"https://instagram.com/{owner}")
        reactions = msg.get("reactions")
        self.reactions += len(reactions) if isinstance(reactions, list) else 0
        sticker = msg.get("sticker")  # one object, not a list
        items = [sticker] if isinstance(sticker, Mapping) else []
        for key in _MEDIA_KEYS:
            listed = msg.get(key)
            items.extend(listed if isinstance(listed, list) else [])
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("uri"), str):
                name = item["uri"].replace("\\", "/").rsplit("/", 1)[-1]
                self.chat.attachments.add(Attachment(name[:255] or "(unnamed)"))


def _platform(data: Mapping[str, Any], original_name: str) -> tuple[str, str]:
    where = original_name.lower().replace("\\", "/")
    listed = data.get("messages")
    messages: list[Any] = listed if isinstance(listed, list) else []
    if "instagram" in where or "magic_words" in data:
        return "Instagram", "magic_words key or an Instagram folder name"
    if "facebook" in where or "messenger" in where or "thread_type" in data:
        return "Facebook Messenger", "thread_type key or a Facebook folder name"
    if any(isinstance(m, Mapping) and "type" in m for m in messages[:50]):
        return "Facebook Messenger", "messages carry Messenger's type field"
    return "Instagram or Facebook Messenger", "Meta layout without a platform mark"


def profile_meta(
    path: pathlib.Path, original_name: str, limits: Limits, deadline: Deadline
) -> dict[str, Any]:
    """Profile of one Instagram or Messenger message_N.json."""
    data = load_json(path, limits)
    if not isinstance(data, Mapping) or not isinstance(data.get("messages"), list):
        raise ProfileFailure("JSON is not a Meta message export (no messages list)")
    thread = _Thread(limits)
    thread.chat.name = thread.text(data.get("title"))[:200] or None
    thread_path = thread.text(data.get("thread_path"))[:200] or None
    for i, msg in enumerate(data["messages"]):
        thread.message(msg, i)
        if i % 4096 == 0 and deadline.expired():
            thread.chat.log.stop(f"stopped at the time limit at message {i}")
            break
    participants = [
        thread.text(p.get("name"))[:200]
        for p in data.get("participants") or []
        if isinstance(p, Mapping)
    ]
    platform, why = _platform(data, original_name)
    extra: dict[str, Any] = {
        "format": "Meta message JSON",
        "platform_reason": why,
        "thread_path": thread_path,
        "listed_participants": participants[: limits.max_list],
        "call_count": thread.calls,
        "reaction_count": thread.reactions,
        "share_count": thread.shares,
        "unsent_count": thread.unsent,
        "mojibake_repaired": thread.repaired,
    }
    return chat_profile("meta-chat", platform, TIMEZONE, thread.chat, thread.scanner, extra)
