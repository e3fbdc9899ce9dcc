"""Viber message history in both public layouts: messages, participants, period, phones, and
hostile input that never raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.profiles import build_profile
from evidence.profiles.viber import looks_like_viber
from tests.profiles.profile_support import DATA, assert_json_types, profile_of, values

VIBER = DATA / "independent" / "viber"


def test_tab_layout_with_spreadsheet_guards() -> None:
    p = profile_of(VIBER / "Viber Andrei Obmen.csv")
    assert (p["kind"], p["platform"], p["detection"]["format"]) == (
        "viber-chat",
        "Viber",
        "viber-csv",
    )
    assert p["format"] == "Viber message history (tab-separated)"
    assert p["participants"] == [
        {"name": "Andrei Obmen", "messages": 3},
        {"name": "Me", "messages": 2},
    ]
    assert p["owner_phone_written"] == "+375291234567"  # the account owner is "Me"
    assert (p["first_message_at"], p["last_message_at"]) == (
        "2026-11-06T09:14:05",
        "2026-11-07T11:02:00",
    )
    # the quoted text held a line break: its second line is the same message, scanned
    assert p["records"]["complete"] and p["message_count"] == 5
    assert p["notices"] == [
        "1 line(s) continue the message above them (a line break in its text): joined to it "
        "and scanned"
    ]
    assert values(p, "txid") == {"1ca42913e57496bb2d39469be0bddf833c1e427b57c5e2fdfab7a2f959ddd20a"}
    assert values(p, "phone") == {"+375291234567", "+375447654321"}


def test_comma_layout_with_commas_in_the_text() -> None:
    p = profile_of(VIBER / "Marina-all.csv")
    assert p["format"] == "Viber message history (comma-separated)"
    assert (p["message_count"], p["date_order"]) == (4, "day-first")
    assert p["date_order_reason"] == "a first field above 12: day-first"
    # "8 (916) 123-45-67" in a message is the sender's own number, written the Russian way
    assert values(p, "phone") == {"+79161234567", "+79031112233"}
    assert "https://vk.com/id123456789" in values(p, "url")


def test_month_first_when_only_the_second_field_passes_12(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text(
        "11/13/26,18:02:11,Ann,+12025550143,hi\n11/14/26,09:00:00,Me,+12025550188,ok\n",
        encoding="utf-8",
    )
    p = profile_of(path)
    assert (p["date_order"], p["first_message_at"], p["last_message_at"]) == (
        "month-first",
        "2026-11-13T18:02:11",
        "2026-11-14T09:00:00",
    )


def test_a_line_before_the_first_row_is_named_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text(
        "exported for case 12/2026 TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs\n"
        + "".join(f"0{d}/11/2026,10:0{d}:00,Ann,+375291112233,m{d}\n" for d in range(1, 6)),
        encoding="utf-8",
    )
    p = profile_of(path, "chat-export")
    assert p["message_count"] == 5
    assert p["records"]["not_read_list"] == [
        {"where": "line 1", "reason": "not a Viber history row"}
    ]
    assert "TKT8HswRp524QkGrzuHSbULWmSCa7HEFKs" in values(p, "tron-address")


def test_a_viber_file_typed_as_a_wallet_record_is_still_read_whole() -> None:
    p = profile_of(VIBER / "Marina-all.csv", "wallet-record")
    assert p["rows"] == 4 and p["records"]["complete"]
    assert "TK982xib4ryh41U4JfGiwixgmv6Zvc93TE" in values(p, "tron-address")


def test_other_exports_are_not_taken_for_viber() -> None:
    assert not looks_like_viber("02/11/2026, 10:15 - Алесь: прывітанне\n" * 3)  # WhatsApp
    assert not looks_like_viber("Date,Amount,Currency\n02/11/2026,10,USD\n")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.builds(
                lambda d, m, t: f"{d:02d}/{m:02d}/26,10:00:00,A,+3752911122{d % 10}3,{t}",
                st.integers(0, 40),
                st.integers(0, 40),
                st.text(max_size=30),
            ),
        ),
        max_size=25,
    )
)
def test_hostile_viber_lines_never_raise(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "viber.csv"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    for kind in ("chat-export", "wallet-record"):
        p = build_profile(path, kind, original_name="viber.csv", media_type="", metadata={})
        assert_json_types(p)
        assert "profile_version" in p
