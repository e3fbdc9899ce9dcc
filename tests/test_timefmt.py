"""The clock reading every signed record carries: one RFC 3339 form, wherever it is made."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from evidence.timefmt import format_utc, parse_rfc3339, utc_now
from evidence.validation import _utc_micro

UTC_MICRO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def test_now_is_written_as_format_utc_writes_it() -> None:
    before = datetime.now(UTC)
    for _ in range(200):
        now = utc_now()
        assert UTC_MICRO.fullmatch(now) and _utc_micro(now), now
        assert format_utc(parse_rfc3339(now)) == now
    after = parse_rfc3339(utc_now())
    assert before - timedelta(seconds=1) <= parse_rfc3339(now) <= after
    assert format_utc(datetime(2026, 12, 3, 22, 0, tzinfo=UTC)) == "2026-12-03T22:00:00.000000Z"


def test_the_year_has_four_digits() -> None:
    """RFC 3339 writes the year in four digits; strftime's %Y here printed 999 for 999."""
    early = format_utc(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert early == "0999-01-02T03:04:05.000006Z"
    assert _utc_micro(early) and format_utc(parse_rfc3339(early)) == early
