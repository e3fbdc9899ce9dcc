"""Bounds that keep every profile parser finite on hostile input, and the capped list they fill.

Evidence comes from suspects and their devices, so a "chat export" may be a zip bomb, a 2 GB
single line, or JSON nested a million levels deep. Every parser takes a `Limits` and stops at the
first bound it meets, recording that it stopped, instead of trusting the file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# The version of the parsers: a profile names the one that wrote it, and `custody profile` re-runs
# the current one over evidence profiled by an older one. 2: WhatsApp date order from every
# signal, notices and media lines in six languages, context-only txids, spellings kept, secrets.
# 3: nothing lost in silence (records read / not read, notices, generic fallback), encodings
# from the bytes, detection with its reason, Telegram HTML, Instagram/Messenger, Discord,
# explorer and exchange layouts, IBAN, TRON look-alikes kept, CDN links left out.
# 4: layouts checked against independent sources (DiscordChatExporter's writers, BittyTax's
# importers, public Viber exports): Viber, exchange deposit/withdrawal histories, the own
# address of an explorer export (ERC-20 directions), Discord system entries in CSV.
# 5: fees totalled per currency and payer (`fees_by_currency`) where a layout has a fee column;
# HTX's Chinese-interface trade history; from fresh samples in other encodings and locales: a
# ";" file's commas are decimal marks, tab-separated UTF-16 text statements typed by their
# header, card numbers inside counterparty cells masked, one-cell total lines not transactions,
# Discord attachment names without the CDN's signature.
PROFILE_VERSION = 5
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one profile run; the defaults suit real exports on an investigator's PC."""

    max_text_bytes: int = 512 * MiB  # chat text streamed: bytes of the file (a line scan: chars)
    max_line_bytes: int = 1 * MiB  # a longer "line" is cut into pieces rather than buffered
    max_json_bytes: int = 64 * MiB  # JSON is loaded whole, so refuse bigger files
    max_csv_bytes: int = 256 * MiB
    max_list: int = 1000  # entries kept in any list of a profile
    max_zip_members: int = 10_000
    max_zip_total: int = 4096 * MiB  # declared uncompressed size of all members together
    max_zip_ratio: int = 200  # uncompressed / compressed, for members over 1 MiB
    max_seconds: float = 120.0  # wall-clock budget; a parser past it stops and says so
    sniff_bytes: int = 64 * 1024  # what detection reads from the head of a file


DEFAULT_LIMITS = Limits()


class ProfileFailure(Exception):
    """A parser gave up on its input; the message becomes the profile's one-line "error"."""


@dataclass
class Capped(Generic[T]):
    """A list that keeps the first `cap` items and counts the rest, so profiles stay bounded."""

    cap: int
    items: list[T] = field(default_factory=list)
    total: int = 0

    def add(self, item: T) -> None:
        """Append item unless the cap is reached; count it either way."""
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(item)

    @property
    def truncated(self) -> bool:
        """True when items were dropped because of the cap."""
        return self.total > len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


class Deadline:
    """Wall-clock budget checked by loops over untrusted input."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def expired(self) -> bool:
        """True once the budget is spent."""
        return time.monotonic() > self._end


def error_profile(kind: str, reason: str) -> dict[str, Any]:
    """The profile every parser returns when it cannot say anything reliable about the file."""
    one_line = " ".join(str(reason).split())[:500] or "unknown error"
    return {"kind": kind, "profile_version": PROFILE_VERSION, "error": one_line}
