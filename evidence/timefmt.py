"""Timestamps: UTC, RFC 3339, one format everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import UsageError


def utc_now() -> str:
    """Now as RFC 3339 UTC with microseconds, e.g. 2026-11-25T19:36:33.123456Z."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    """An aware datetime as RFC 3339 UTC with microseconds and a Z suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
