"""DiscordChatExporter exports (Tyrrrz/DiscordChatExporter), JSON and CSV.

JSON: {"guild": {"id", "name", "iconUrl"}, "channel": {"id", "type", "category", "name",
"topic"}, "dateRange", "exportedAt", "messages": [{"id", "type" ("Default", "Reply",
"RecipientAdd", "Call", "ChannelPinnedMessage", "GuildMemberJoin"...), "timestamp" (ISO 8601
with offset), "timestampEdited", "callEndedTimestamp", "isPinned", "content", "author": {"id",
"name", "discriminator", "nickname", "isBot", "roles", "avatarUrl"}, "attachments": [{"id",
"url", "fileName", "fileSizeBytes"}], "embeds", "stickers", "reactions": [{"emoji", "count",
"users"}], "mentions": [{"id", "name", ...}], "reference": {"messageId", "channelId",
"guildId"}}], "messageCount"}.
CSV: AuthorID,Author,Date,Content,Attachments,Reactions (the header unquoted, every value
quoted; Date in .NET's round-trip form "2026-11-06T09:14:05.1370000+03:00"; Author "name" or
"name#1234"; mentions written "@name", without the id; a system entry has no type, only its
fallback text, "Pinned a message.", "Started a call that lasted ..."), one message a row.

What a request to Discord needs is the user id (a 17-20 digit "snowflake"): authors and
mentioned users become `account` identifiers `discord:<id>`. Avatar, attachment and emoji links
point at Discord's CDN: they are attachments or nothing, never identifiers; `<@id>` mention
markup in a message is an account, never a card-like number.
"""

from __future__ import annotations

import csv
import pathlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evidence.identifiers import Identifier
from evidence.profiles.chat import Attachment, ChatSummary, chat_profile, naive_iso, utc_iso
from evidence.profiles.csv_rows import open_csv
from evidence.profiles.limits import Deadline, Limits, ProfileFailure
from evidence.profiles.reading import load_json
from evidence.profiles.textscan import IdentifierScanner

__all__ = ["is_discord_csv", "profile_discord_csv", "profile_discord_json"]

TIMEZONE = "*_utc from each message's ISO 8601 timestamp; *_at is that time as written"
_MESSAGE_TYPES = {"default", "reply"}
_SNOWFLAKE_RE = re.compile(r"^\d{15,21}$")
_MENTION_RE = re.compile(r"<(?:@!?|@&|#)(\d{15,21})>")
_TELEGRAM_WORD_RE = re.compile(r"(?i)telegram|телеграм|\btg\b|\bтг\b")
# the CSV has no message type: a system entry is written as its fallback text
# (DiscordChatExporter.Core/Exporting/PlainTextMessageExtensions.cs, GetFallbackContent)
_SYSTEM_TEXT_RE = re.compile(
    r"^(?:Added .{1,100} to the group\.|Added a recipient\.|Left the group\."
    r"|Removed .{1,100} from the group\.|Started a call that lasted .{1,80}"
    r"|Changed the channel name(?:: .{0,200}|\.)|Changed the channel icon\.|Pinned a message\."
    r"|Started a thread\.|Joined the server\.)$"
)


def is_discord_csv(cells: list[str]) -> bool:
    """True for the header row DiscordChatExporter writes to its CSV."""
    names = [c.strip().lstrip("\ufeff").lower() for c in cells]
    return names[:4] == ["authorid", "author", "date", "content"]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _account(scanner: IdentifierScanner, user_id: object, name: object, role: str) -> None:
    if isinstance(user_id, str) and _SNOWFLAKE_RE.match(user_id):
        label = f"Discord user id ({role}: {name})" if isinstance(name, str) else "Discord"
        scanner.add(Identifier("account", f"discord:{user_id}", None, label[:200]))


def _content(scanner: IdentifierScanner, text: str) -> None:
    """Scan message text; <@id> mentions are accounts and leave the text first. "@name" is a
    Discord mention as the exporter writes it, a Telegram handle only where the message
    speaks of Telegram ("my telegram @name")."""
    for match in _MENTION_RE.finditer(text):
        if text[match.start() + 1] == "@" and text[match.start() + 2] != "&":
            _account(scanner, match.group(1), None, "mentioned")
    scanner.telegram_mentions = _TELEGRAM_WORD_RE.search(text) is not None
    scanner.scan(_MENTION_RE.sub(" ", text))


def _time(chat: ChatSummary, value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    chat.local.add(naive_iso(moment))
    if moment.tzinfo is not None:
        chat.utc.add(utc_iso(moment))
    return True


def _json_message(chat: ChatSummary, scanner: IdentifierScanner, msg: object, i: int) -> None:
    if not isinstance(msg, Mapping):
        chat.log.miss(f"messages[{i}]", f"not a message object ({type(msg).__name__})")
        return
    kind = str(msg.get("type", "Default")).lower()
    author = _mapping(msg.get("author"))
    name = author.get("nickname") or author.get("name")
    _account(scanner, author.get("id"), author.get("name"), "author")
    if kind not in _MESSAGE_TYPES:
        chat.system_message_count += 1  # calls, joins, pins: counted, never a message time
        return
    chat.message_count += 1
    chat.count_sender(str(name)[:200] if name else "(unknown)")
    if not _time(chat, msg.get("timestamp")):
        chat.log.miss(f"messages[{i}]", "no readable timestamp")
    content = msg.get("content")
    if isinstance(content, str):
        scanner.where = f"JSON $.messages[{i}].content"
        _content(scanner, content[:1_000_000])
    for mention in msg.get("mentions") or []:
        if isinstance(mention, Mapping):
            _account(scanner, mention.get("id"), mention.get("name"), "mentioned")
    for reaction in msg.get("reactions") or []:
        for user in _mapping(reaction).get("users") or []:
            if isinstance(user, Mapping):
                _account(scanner, user.get("id"), user.get("name"), "reacted")
    forwarded = _mapping(msg.get("forwardedMessage")).get("content")
    if isinstance(forwarded, str):
        scanner.where = f"JSON $.messages[{i}].forwardedMessage.content"
        _content(scanner, forwarded[:1_000_000])
    for attachment in msg.get("attachments") or []:
        if isinstance(attachment, Mapping):
            label = attachment.get("fileName") or attachment.get("url") or "(unnamed)"
            chat.attachments.add(Attachment(str(label)[:255]))
    for embed in msg.get("embeds") or []:
        if isinstance(embed, Mapping) and isinstance(embed.get("url"), str):
            scanner.scan(embed["url"])


def profile_discord_json(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a DiscordChatExporter JSON export (one channel)."""
    data = load_json(path, limits)
    if not isinstance(data, Mapping) or not isinstance(data.get("messages"), list):
        raise ProfileFailure("JSON is not a DiscordChatExporter export (no messages list)")
    chat = ChatSummary(limits.max_list)
    scanner = IdentifierScanner(limits.max_list)
    channel, guild = _mapping(data.get("channel")), _mapping(data.get("guild"))
    chat.name = str(channel.get("name"))[:200] if channel.get("name") else None
    chat.chat_type = str(channel.get("type"))[:60] if channel.get("type") else None
    chat.chat_id = str(channel.get("id"))[:40] if channel.get("id") else None
    for i, msg in enumerate(data["messages"]):
        _json_message(chat, scanner, msg, i)
        if i % 4096 == 0 and deadline.expired():
            chat.log.stop(f"stopped at the time limit at message {i}")
            break
    declared = data.get("messageCount")
    extra: dict[str, Any] = {
        "format": "DiscordChatExporter JSON",
        "guild": {"id": guild.get("id"), "name": guild.get("name")},
        "exported_at": data.get("exportedAt") if isinstance(data.get("exportedAt"), str) else None,
    }
    if isinstance(declared, int) and declared != len(data["messages"]):
        chat.log.notice(f"messageCount says {declared}, the file holds {len(data['messages'])}")
    return chat_profile("discord-chat", "Discord", TIMEZONE, chat, scanner, extra)


def profile_discord_csv(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a DiscordChatExporter CSV export (one channel)."""
    table = open_csv(path, limits, is_discord_csv)
    if not table.header:
        table.close()
        raise ProfileFailure("no DiscordChatExporter CSV header (AuthorID, Author, Date...)")
    chat = ChatSummary(limits.max_list)
    scanner = IdentifierScanner(limits.max_list)
    try:
        for number, cells in table.data_rows():
            if number % 4096 == 0 and deadline.expired():
                chat.log.stop(f"stopped at the time limit at row {number}")
                break
            if len(cells) < 4:
                chat.log.miss(f"row {number}", f"{len(cells)} cells, not 6")
                scanner.scan(" ".join(cells))
                continue
            user_id, author, date, content = cells[:4]
            if _SYSTEM_TEXT_RE.match(content.strip()):
                chat.system_message_count += 1  # counted, never a message time
                _account(scanner, user_id, author, "author")
                continue
            chat.message_count += 1
            chat.count_sender(author[:200] or "(unknown)")
            _account(scanner, user_id, author, "author")
            if not _time(chat, date):
                chat.log.miss(f"row {number}", f"date {date[:40]!r} not read")
            scanner.where = f"row {number}, column 4"
            _content(scanner, content)
            for url in (cells[4] if len(cells) > 4 else "").split(","):
                if url.strip():
                    # the file's name, without the signature Discord's CDN adds since 2023
                    # ("receipt.jpg?ex=...&is=...&hm=...")
                    name = url.strip().split("?", 1)[0].rsplit("/", 1)[-1]
                    chat.attachments.add(Attachment(name[:255]))
    except csv.Error as exc:
        chat.log.stop(f"malformed CSV: {exc}; the rest of the file not read")
    finally:
        table.close()
    extra = {"format": "DiscordChatExporter CSV", **table.encoding.to_json()}
    return chat_profile("discord-chat", "Discord", TIMEZONE, chat, scanner, extra)
