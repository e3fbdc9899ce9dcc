"""What every chat profile says, whatever the messenger: the shared accumulator for parsers.

Times: chat exports mostly carry the device's local time with no offset, so times are written
as naive "YYYY-MM-DDTHH:MM:SS" and the profile says so in "timezone". Where an export carries
real instants (Telegram's date_unixtime, Skype's ...Z times) the UTC time is given as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evidence.profiles.limits import PROFILE_VERSION, Capped
from evidence.profiles.readlog import ReadLog
from evidence.profiles.textscan import IdentifierScanner

LOCAL_TIME_UNKNOWN_ZONE = "unknown (export carries device-local time without offset)"


def naive_iso(moment: datetime) -> str:
    """YYYY-MM-DDTHH:MM:SS without offset, seconds precision."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")


def utc_iso(moment: datetime) -> str:
    """YYYY-MM-DDTHH:MM:SSZ for an aware datetime."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def utc_from_unix(value: object) -> datetime | None:
    """Aware UTC datetime from a unix-time int or digit string, None if out of range."""
    try:
        seconds = int(str(value))
        if not 0 <= seconds < 253402300800:  # year 10000
            return None
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass
class TimeRange:
    """Earliest and latest of a stream of times (kept as ISO strings that sort correctly)."""

    first: str | None = None
    last: str | None = None

    def add(self, iso: str | None) -> None:
        """Widen the range to include iso."""
        if iso is None:
            return
        if self.first is None or iso < self.first:
            self.first = iso
        if self.last is None or iso > self.last:
            self.last = iso


@dataclass
class Attachment:
    """A file a message refers to, and whether the evidence holds it (None: cannot tell)."""

    name: str
    present: bool | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON object for the profile."""
        return {"name": self.name, "present": self.present, "sha256": self.sha256}


@dataclass
class ChatSummary:
    """Counts, participants, time range, attachments and identifiers of one chat."""

    cap: int
    name: str | None = None
    chat_type: str | None = None
    chat_id: str | None = None
    message_count: int = 0
    system_message_count: int = 0
    media_omitted_count: int = 0
    local: TimeRange = field(default_factory=TimeRange)
    utc: TimeRange = field(default_factory=TimeRange)
    senders: dict[str, int] = field(default_factory=dict)
    senders_dropped: int = 0
    # local time minus UTC, in minutes -> messages, where an export gives both (Telegram)
    offsets: dict[int, int] = field(default_factory=dict)
    attachments: Capped[Attachment] = field(init=False)
    log: ReadLog = field(init=False)  # messages and notices read; entries that could not be

    def __post_init__(self) -> None:
        self.attachments = Capped(self.cap)
        self.log = ReadLog("messages", self.cap)

    def count_sender(self, name: str) -> None:
        """One more message from name; beyond the cap new names are only counted."""
        if name in self.senders:
            self.senders[name] += 1
        elif len(self.senders) < self.cap:
            self.senders[name] = 1
        else:
            self.senders_dropped += 1

    def add_offset(self, local: str, utc: datetime) -> None:
        """Note how far a message's local time is from its UTC instant: the exporting
        device's time zone (several values: a zone or daylight-saving change)."""
        try:
            delta = datetime.fromisoformat(local) - utc.replace(tzinfo=None)
        except ValueError:
            return
        minutes = round(delta.total_seconds() / 60)
        if -14 * 60 <= minutes <= 14 * 60 and (minutes in self.offsets or len(self.offsets) < 50):
            self.offsets[minutes] = self.offsets.get(minutes, 0) + 1

    def to_json(self) -> dict[str, Any]:
        """Chat-level fields of a profile (no kind/identifiers: the caller adds those)."""
        participants = sorted(self.senders.items(), key=lambda kv: (-kv[1], kv[0]))
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.chat_type is not None:
            out["chat_type"] = self.chat_type
        if self.chat_id is not None:
            out["chat_id"] = self.chat_id
        out.update(
            {
                "participants": [{"name": n, "messages": c} for n, c in participants],
                "participants_truncated": self.senders_dropped > 0,
                "message_count": self.message_count,
                "system_message_count": self.system_message_count,
                "first_message_at": self.local.first,
                "last_message_at": self.local.last,
            }
        )
        if self.utc.first is not None:
            out["first_message_utc"] = self.utc.first
            out["last_message_utc"] = self.utc.last
        if self.offsets:
            out["local_time_offsets"] = [
                {"offset": _offset_text(m), "messages": n}
                for m, n in sorted(self.offsets.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        out["attachments"] = [a.to_json() for a in self.attachments]
        out["attachments_total"] = self.attachments.total
        out["media_omitted_count"] = self.media_omitted_count
        return out

    @property
    def truncated(self) -> bool:
        """True when a list of this chat was cut at the cap."""
        return self.senders_dropped > 0 or self.attachments.truncated


def chat_profile(
    kind: str,
    platform: str,
    timezone: str,
    chat: ChatSummary,
    scanner: IdentifierScanner,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the profile of a single-chat export."""
    out: dict[str, Any] = {"kind": kind, "profile_version": PROFILE_VERSION, "platform": platform}
    out["scope"] = "chat"
    out.update(chat.to_json())
    out["timezone"] = timezone
    out.update(scanner.to_json())
    chat.log.read = chat.message_count + chat.system_message_count
    out.update(chat.log.to_json())
    out.update(extra or {})
    out["truncated"] = bool(
        chat.truncated or scanner.found.truncated or out.get("truncated", False)
    )
    return out


def account_profile(
    kind: str,
    platform: str,
    timezone: str,
    chats: Capped[ChatSummary],
    scanner: IdentifierScanner,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the profile of a multi-chat (whole account) export, with totals over chats."""
    local, utc = TimeRange(), TimeRange()
    messages = 0
    for chat in chats:
        messages += chat.message_count
        for rng, src in ((local, chat.local), (utc, chat.utc)):
            rng.add(src.first)
            rng.add(src.last)
    out: dict[str, Any] = {"kind": kind, "profile_version": PROFILE_VERSION, "platform": platform}
    out["scope"] = "account"
    out["chat_count"] = chats.total
    out["message_count"] = messages
    out["first_message_at"] = local.first
    out["last_message_at"] = local.last
    if utc.first is not None:
        out["first_message_utc"] = utc.first
        out["last_message_utc"] = utc.last
    out["timezone"] = timezone
    out["chats"] = [chat.to_json() for chat in chats]
    out.update(scanner.to_json())
    log = ReadLog("messages", scanner.found.cap)
    for chat in chats:
        log.read += chat.message_count + chat.system_message_count
        for entry in chat.log.missed:
            log.miss(f"chat {chat.name or chat.chat_id or '?'}, {entry['where']}", entry["reason"])
        log.missed.total += chat.log.missed.total - len(chat.log.missed.items)
        for note in chat.log.notices:
            log.notice(note)
    out.update(log.to_json())
    out.update(extra or {})
    out["truncated"] = bool(
        chats.truncated
        or any(chat.truncated for chat in chats)
        or scanner.found.truncated
        or out.get("truncated", False)
    )
    return out
