"""Signal messages as signal-cli writes them (`signal-cli -o json receive`, or its JSON-RPC
daemon): one JSON object a line.

  {"envelope": {"source": "+375...", "sourceNumber": "+375...", "sourceUuid": "...",
                "sourceName": "Ivan", "sourceDevice": 1, "timestamp": 1793614533000,
                "dataMessage": {"timestamp": ..., "message": "text", "attachments":
                                [{"contentType": "image/jpeg", "filename": "IMG_1.jpg", ...}],
                                "groupInfo": {"groupId": "...", "type": "DELIVER"}}},
   "account": "+375..."}
The daemon wraps the same object as {"jsonrpc": "2.0", "method": "receive", "params": {...}}.
Messages the account itself sent (from a linked device) come as
envelope.syncMessage.sentMessage {"destination", "timestamp", "message", "attachments"};
receipts, typing indicators and calls are counted as system entries. Timestamps are UTC
milliseconds, so the profile's times are real instants.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping
from typing import Any

from evidence.profiles.chat import Attachment, ChatSummary, chat_profile, utc_from_unix, utc_iso
from evidence.profiles.limits import Deadline, Limits, ProfileFailure
from evidence.profiles.textscan import IdentifierScanner

TIMEZONE = "UTC (signal-cli writes Unix milliseconds)"


def looks_like_signal(text: str) -> bool:
    """True for the head of a signal-cli JSON output."""
    first = text.lstrip()[:4096]
    return first.startswith("{") and '"envelope"' in first and '"timestamp"' in first


def _envelope(obj: Any) -> Mapping[str, Any] | None:
    if not isinstance(obj, Mapping):
        return None
    params = obj.get("params")
    if isinstance(params, Mapping):
        obj = params
    envelope = obj.get("envelope")
    return envelope if isinstance(envelope, Mapping) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class _Signal:
    def __init__(self, limits: Limits) -> None:
        self.chat = ChatSummary(limits.max_list)
        self.scanner = IdentifierScanner(limits.max_list)
        self.groups: set[str] = set()
        self.accounts: set[str] = set()
        self.unparsed = 0

    def line(self, raw: bytes, number: int) -> None:
        self.scanner.where = f"line {number}"
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            self.unparsed += 1
            self.chat.log.miss(f"line {number}", "not a JSON object (cut off or malformed)")
            self.scanner.scan(raw.decode("utf-8", errors="replace")[:1_000_000])
            return
        envelope = _envelope(obj)
        if envelope is None:
            self.unparsed += 1
            self.chat.log.miss(f"line {number}", "JSON without a signal-cli envelope")
            return
        params = obj.get("params")
        account = _text(
            params.get("account") if isinstance(params, Mapping) else obj.get("account")
        )
        if account and len(self.accounts) < 10:
            self.accounts.add(account)
            self.scanner.add_phone(account, "Signal account (the export's owner)")
        data = envelope.get("dataMessage")
        sync = envelope.get("syncMessage")
        sent = sync.get("sentMessage") if isinstance(sync, Mapping) else None
        if isinstance(data, Mapping):
            sender = _text(envelope.get("sourceName")) or _text(envelope.get("sourceNumber"))
            self.scanner.add_phone(_text(envelope.get("sourceNumber")), "Signal sender")
            self._message(data, sender or _text(envelope.get("source")) or "(unknown)", envelope)
        elif isinstance(sent, Mapping):
            self.scanner.add_phone(_text(sent.get("destination")), "Signal recipient")
            self._message(sent, account or "(this account)", envelope)
        else:
            self.chat.system_message_count += 1

    def _message(self, data: Mapping[str, Any], sender: str, envelope: Mapping[str, Any]) -> None:
        self.chat.message_count += 1
        self.chat.count_sender(sender[:200])
        stamp = data.get("timestamp", envelope.get("timestamp"))
        moment = utc_from_unix(stamp // 1000) if isinstance(stamp, int) else None
        if moment is not None:
            self.chat.utc.add(utc_iso(moment))
        group = data.get("groupInfo")
        if (
            isinstance(group, Mapping)
            and isinstance(group.get("groupId"), str)
            and len(self.groups) < 1000
        ):
            self.groups.add(group["groupId"])
        self.scanner.scan(_text(data.get("message"))[:1_000_000])
        attachments = data.get("attachments")
        for attachment in attachments if isinstance(attachments, list) else []:
            if isinstance(attachment, Mapping):
                name = _text(attachment.get("filename")) or _text(attachment.get("id"))
                self.chat.attachments.add(Attachment(name[:255] or "(unnamed)"))


def profile_signal(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a signal-cli JSON-lines output, streamed line by line within the bounds."""
    state = _Signal(limits)
    read = 0
    stopped = None
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(iter(lambda: handle.readline(limits.max_line_bytes), b""),
                                         start=1):  # fmt: skip
                read += len(raw)
                if read > limits.max_text_bytes:
                    stopped = f"stopped after {limits.max_text_bytes} bytes (size limit)"
                    break
                if number % 4096 == 0 and deadline.expired():
                    stopped = "stopped at the time limit"
                    break
                if raw.strip():
                    state.line(raw, number)
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    if state.chat.message_count == 0 and state.chat.system_message_count == 0:
        raise ProfileFailure("no signal-cli envelopes recognised")
    extra: dict[str, Any] = {
        "format": "signal-cli json",
        "group_count": len(state.groups),
        "unparsed_lines": state.unparsed,
    }
    if stopped:
        extra["stopped"] = stopped
        extra["truncated"] = True
    return chat_profile("signal-chat", "Signal", TIMEZONE, state.chat, state.scanner, extra)
