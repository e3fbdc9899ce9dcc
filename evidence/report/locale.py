"""What language a document speaks and which clock it shows: words from the message catalogue
(evidence/messages, gettext), times in the reader's zone to the second with UTC beside.

Russian is the working language of the Minsk (1993) and Chisinau (2002) Conventions, so a
report that goes abroad with a request can be read by the clerk who receives it. Every word the
document itself prints comes from the catalogue; evidence content (names, notes, places) is
printed as recorded, never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import UsageError
from ..message import render
from ..messages import LANGUAGES, Words, translations

ROLES = frozenset(
    {"investigator", "expert", "custodian", "prosecutor", "authority", "analyst", "officer"}
)


@dataclass(frozen=True)
class Locale(Words):
    """A report's language (its words: t, n) and time zone."""

    zone: tzinfo = field(default=UTC)

    def say(self, text: str) -> str:
        """A program message (a finding's or a check's detail, evidence.message.Message) in
        this language: its template from the catalogue, its values put in; any other string
        (a file name, an identifier) as it is. English prints the message as the program
        wrote it. Recorded times among its values (Moments) are shown in this clock; command
        lines among them (Commands) are left out: a document holds no command line."""
        translate = _same if self.lang == "en" else translations(self.lang).gettext
        return render(text, translate, lambda at: self.when(at, " "), commands=False)

    def role(self, role: str) -> str:
        """A key holder's role: one of the roles `key new --role` offers, from the catalogue;
        any other role is the holder's own words, printed as recorded."""
        return self.t(role) if role in ROLES else role

    def size(self, n: int) -> str:
        """Bytes in full (the exact figure matters), with a readable unit beside when large."""
        exact = self.n("{size} byte", "{size} bytes", n, size=f"{n:,}".replace(",", " "))
        for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if n >= factor:
                return f"{exact} ({n / factor:.1f} {self.t(unit)})"
        return exact

    def when(self, at: str | None, sep: str = "\n") -> str:
        """An RFC 3339 time in the zone, to the second, with UTC beside (sep between)."""
        if not at:
            return "–"
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return at  # printed as recorded: a report never hides a malformed value
        if moment.tzinfo is None:
            return at
        utc = moment.astimezone(UTC)
        local = moment.astimezone(self.zone)
        offset = local.utcoffset()
        if not offset:
            return f"{_stamp(utc)} UTC"
        z = _offset(offset)
        return f"{_stamp(local)} {z[:3]}:{z[3:]}{sep}({_clock(utc)} UTC)"


# A custody report prints three times an event, 36,000 at 12,000 events: formatted by hand,
# as strftime("%Y-%m-%d %H:%M:%S") and ("%H:%M:%S") print them here (glibc: the year not
# padded), at a sixth of strftime's cost; tests compare the two.
def _stamp(moment: datetime) -> str:
    return (
        f"{moment.year}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}"
    )


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"


@lru_cache(maxsize=64)
def _offset(offset: timedelta) -> str:
    """An offset as strftime's %z prints it (+0300; seconds too when it has them)."""
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).strftime("%z")


def _same(text: str) -> str:
    return text


def make_locale(lang: str | None, tz: str | None) -> Locale:
    """A Locale from --lang and --tz (a zone name or an offset like +03:00; default: this
    computer's current offset)."""
    lang = lang or "en"
    if lang not in LANGUAGES:
        raise UsageError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return Locale(lang, _zone(tz))


def _zone(tz: str | None) -> tzinfo:
    if not tz:
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    if tz.upper() in ("UTC", "Z"):
        return UTC
    if tz[:1] in "+-" and len(tz) == 6 and tz[3] == ":":
        try:
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            sign = -1 if tz[0] == "-" else 1
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
        except ValueError:
            pass
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"time zone {tz!r} is unknown", "give a name like Europe/Minsk or an offset like +03:00"
        ) from None
