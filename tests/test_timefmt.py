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
