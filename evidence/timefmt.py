"""Timestamps: UTC, RFC 3339, one format everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import EvidenceError, UsageError
from .message import render


def utc_now() -> str:
    """Now as RFC 3339 UTC with microseconds, e.g. 2026-11-25T19:36:33.123456Z."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with microseconds and a Z suffix."""
    # isoformat (its "+00:00" made "Z"), not strftime: a fifth of the cost (every event signed
    # asks for the time), and the year always in four digits, as RFC 3339 writes it.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_rfc3339(text: str, what: str = "time") -> datetime:
    """Parse an RFC 3339 / ISO 8601 time that carries an offset (naive times are refused)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is not an RFC 3339 time", "write it like 2026-11-02T14:30:00+03:00"
        ) from None
    if moment.tzinfo is None:
        raise UsageError(
            f"{what} {text!r} has no UTC offset",
            "add Z or an offset such as +03:00: evidence times must be unambiguous",
        )
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise UsageError(f"{what} {text!r} is out of range") from None
    return moment


def parse_zone(text: str, what: str = "--tz") -> tzinfo:
    """A display time zone: an offset (+03:00), Z / UTC, or an IANA name (Europe/Minsk)."""
    value = text.strip()
    if value.upper() in ("Z", "UTC"):
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", value)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(hours=24):
            raise UsageError(f"{what} {text!r} is not a UTC offset", "e.g. +03:00")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(value)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: "Europe" is a folder
        raise UsageError(
            f"{what} {text!r} is not a time zone",
            "give an offset such as +03:00 or a name such as Europe/Minsk",
        ) from None


def format_local(at: str | None, zone: tzinfo | None, *, with_utc: bool = False) -> str:
    """A stored UTC time for people: to the second, in zone (UTC when None), UTC beside if asked.

    E.g. "2026-11-02 14:30:00 +03:00 (11:30:00Z)"; a stored value is never changed by this.
    """
    if not at:
        return ""
    moment = parse_rfc3339(at)
    if zone is None or moment.astimezone(zone).utcoffset() == timedelta(0):
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%d %H:%M:%S ") + _offset_text(local)
    if with_utc:
        text += moment.astimezone(UTC).strftime(" (%H:%M:%SZ)")
    return text


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def localise_times(text: str, render: Callable[[str], str]) -> str:
    """text with every RFC 3339 time in it (as a correction's from/to records one) shown by
    render, e.g. in the reader's zone to the second; the rest of text unchanged."""
    return _STORED_TIME.sub(lambda m: render(m.group(0)), text)


def local_text(text: str, zone: tzinfo | None) -> str:
    """A program message for people (a check's detail, a finding) with the recorded times among
    its values (evidence.message.Moment) in zone, to the second; the rest as the program wrote
    it. A recorded time that cannot be read is printed as recorded."""
    return render(text, _same, lambda at: local_or_raw(at, zone))


def _same(text: str) -> str:
    return text


def local_or_raw(at: object, zone: tzinfo | None, *, with_utc: bool = False) -> str:
    """A recorded time as format_local shows it; a value that is no time (a damaged row's)
    printed as recorded: a reader is never shown less than what is there."""
    try:
        return format_local(str(at), zone, with_utc=with_utc)
    except EvidenceError:
        return str(at)
