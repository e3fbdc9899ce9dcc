"""Locale.when formats times by hand (a report prints three an event): the same text as
strftime, for any instant, in UTC, a fixed offset, an offset with seconds and named zones with
their history (Minsk's local mean time, summer time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from evidence.report.locale import Locale

ZONES: list[tzinfo] = [
    UTC,
    timezone(timedelta(hours=3)),
    timezone(-timedelta(hours=9, minutes=30)),
    timezone(timedelta(hours=1, minutes=50, seconds=16)),
    ZoneInfo("Europe/Minsk"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
]


def by_strftime(at: str, zone: tzinfo, sep: str) -> str:
    """What Locale.when printed before it formatted by hand."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    utc = moment.astimezone(UTC)
    local = moment.astimezone(zone)
    if local.utcoffset() == timedelta(0):
        return utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    offset = local.strftime("%z")
    return (
        f"{local.strftime('%Y-%m-%d %H:%M:%S')} {offset[:3]}:{offset[3:]}"
        f"{sep}({utc.strftime('%H:%M:%S')} UTC)"
    )


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(ZONES),
    ),
    st.sampled_from(ZONES),
    st.sampled_from(["\n", " ", "|"]),
)
def test_when_equals_strftime(moment: datetime, zone: tzinfo, sep: str) -> None:
    at = moment.isoformat().replace("+00:00", "Z")
    assert Locale("en", zone).when(at, sep) == by_strftime(at, zone, sep)


def test_when_examples() -> None:
    minsk = Locale("ru", ZoneInfo("Europe/Minsk"))
    assert minsk.when("2026-11-02T10:00:00.123456Z") == "2026-11-02 13:00:00 +03:00\n(10:00:00 UTC)"
    assert Locale().when("2026-11-02T10:00:00Z") == "2026-11-02 10:00:00 UTC"
    assert minsk.when("0999-01-02T03:04:05Z", " ") == by_strftime(
        "0999-01-02T03:04:05Z", minsk.zone, " "
    )
