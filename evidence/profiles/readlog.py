"""What a parser read and what it could not: the "nothing lost in silence" part of a profile.

Every profile of a text export says how many records (rows, messages, lines, transactions) it
read, which ones it could not read (where, and why), and which notices apply to the whole file
(a fallback to the generic scan, a limit that stopped the parser). `read_summary` turns that into
the one line `item show`, the report and `--json` readers see when a read was partial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evidence.profiles.limits import Capped

__all__ = ["ReadLog", "read_counts", "read_summary"]


@dataclass
class ReadLog:
    """Records read and not read by one parse, with the file-wide notices."""

    unit: str  # "rows", "messages", "lines", "transactions"...
    cap: int
    read: int = 0
    missed: Capped[dict[str, str]] = field(init=False)
    notices: list[str] = field(default_factory=list)
    stopped: str | None = None  # a limit ended the parse before the end of the file

    def __post_init__(self) -> None:
        self.missed = Capped(self.cap)

    def ok(self, count: int = 1) -> None:
        """count more records read."""
        self.read += count

    def miss(self, where: str, reason: str) -> None:
        """One record that could not be read: where it is (row 12, line 40) and why."""
        self.missed.add({"where": where[:120], "reason": " ".join(reason.split())[:300]})

    def notice(self, text: str) -> None:
        """A fact about the whole read (fallback taken, encoding guessed...)."""
        if text not in self.notices and len(self.notices) < 50:
            self.notices.append(text)

    def stop(self, reason: str) -> None:
        """A limit stopped the parse: the rest of the file was not read."""
        self.stopped = reason
        self.notice(reason)

    @property
    def complete(self) -> bool:
        """True when every record of the file was read."""
        return self.missed.total == 0 and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        """The `records` and `notices` keys of a profile."""
        return {
            "records": {
                "unit": self.unit,
                "read": self.read,
                "not_read": self.missed.total,
                "not_read_list": self.missed.items,
                "complete": self.complete,
            },
            "notices": list(self.notices),
        }


def read_summary(profile: Mapping[str, Any]) -> str | None:
    """One line saying a profile read less than its whole file, or that it took a fallback;
    None for a complete read (or a profile written before parsers kept this record)."""
    if not isinstance(profile, Mapping):
        return None
    if isinstance(profile.get("error"), str):
        return f"not read: {profile['error']}"
    records = profile.get("records")
    if not isinstance(records, Mapping):
        return None
    notices = profile.get("notices")
    notes = [n for n in notices if isinstance(n, str)] if isinstance(notices, list) else []
    if records.get("complete") is True and not notes:
        return None
    unit, read, missed = records.get("unit"), records.get("read"), records.get("not_read")
    parts = []
    if records.get("complete") is not True:
        parts.append(f"partial read: {read} {unit} read, {missed} not read")
        listed = records.get("not_read_list")
        for entry in (listed if isinstance(listed, list) else [])[:3]:
            if isinstance(entry, Mapping):
                parts.append(f"{entry.get('where')}: {entry.get('reason')}")
    else:
        parts.append(f"all {read} {unit} read")
    parts.extend(notes[:3])
    return "; ".join(str(p) for p in parts)


def read_counts(profile: Mapping[str, Any]) -> tuple[int, int] | None:
    """(records read, records not read) of a partial read; (0, 0) when the parser could not
    read the file at all; None for a complete read (or a profile without this record)."""
    if not isinstance(profile, Mapping):
        return None
    if isinstance(profile.get("error"), str):
        return 0, 0
    records = profile.get("records")
    if not isinstance(records, Mapping) or records.get("complete") is not False:
        return None
    read, missed = records.get("read"), records.get("not_read")
    return (read if isinstance(read, int) else 0), (missed if isinstance(missed, int) else 0)
