"""WhatsApp exports in every layout the apps write: loose and zipped, both platforms, several
locales and clocks, notices under a group's name, media left out, date order with its reason."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.profiles import build_profile, detect_evidence_type
from tests.profiles.profile_support import DATA, profile_of, values

WA = DATA / "whatsapp"


def test_loose_ios_chat_txt_starting_with_bracket_is_a_chat() -> None:
    path = WA / "ios_loose_group_chat.txt"
    assert path.read_bytes()[:1] == b"["  # the first byte JSON detection used to take
    assert detect_evidence_type(path, "_chat.txt", "text/plain") == "chat-export"
    p = profile_of(path)
    assert p["kind"] == "whatsapp-chat" and p["layout"] == "ios" and "error" not in p
    # three notices under the group's name, and Ольга leaving: none is a message
    assert p["system_message_count"] == 4 and p["message_count"] == 8
    names = {x["name"] for x in p["participants"]}
    assert names == {"Иван Петров", "~\u202fОльга"}  # the group's name is no participant
    assert p["first_message_at"] == "2026-11-02T10:16:02"
    assert p["last_message_at"] == "2026-11-14T21:05:17"
    assert p["media_omitted_count"] == 2
    assert [a["name"] for a in p["attachments"]] == ["00000012-PHOTO-2026-11-02-10-21-12.jpg"]
    assert values(p, "bitcoin-address") == {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}
    assert values(p, "phone") == {"+375297654321"}
    assert values(p, "email") == {"shop.minsk@mail.ru"}
    assert p["date_order"] == "day-first" and "above 12" in p["date_order_reason"]


def test_same_bytes_with_type_given_and_inside_a_zip_agree(tmp_path: Path) -> None:
    raw = (WA / "ios_loose_group_chat.txt").read_bytes()
    loose = profile_of(WA / "ios_loose_group_chat.txt", "chat-export")
    zipped = tmp_path / "WhatsApp Chat - Покупки Минск.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", raw)
    inside = profile_of(zipped)
    for key in ("message_count", "system_message_count", "participants", "first_message_at",
                "last_message_at", "identifiers", "date_order"):  # fmt: skip
        assert loose[key] == inside[key], key


def test_us_ios_12h_narrow_space_date_order_from_attachment_names() -> None:
    p = profile_of(WA / "ios_us_12h.txt")
    assert (p["layout"], p["clock"], p["date_order"]) == ("ios", "12-hour", "month-first")
    assert "attachment name" in p["date_order_reason"]
    assert p["first_message_at"] == "2026-11-03T09:16:02"  # the notice at 9:15:33 is not
    assert p["last_message_at"] == "2026-12-04T10:00:00"
    assert p["message_count"] == 5 and p["system_message_count"] == 1
    assert p["media_omitted_count"] == 1
    assert values(p, "phone") == {"+12125550147"}


def test_us_android_12h_all_fields_below_13_read_month_first() -> None:
    # the case: 11/3/26 was read as 11 March although IMG-20261103 says 3 November
    p = profile_of(WA / "android_us_12h_attachments.txt")
    assert (p["layout"], p["date_order"]) == ("android", "month-first")
    assert p["first_message_at"] == "2026-11-03T10:16:00"
    assert p["last_message_at"] == "2026-12-01T20:03:00"
    assert p["media_omitted_count"] == 1 and p["system_message_count"] == 1


def test_spanish_a_m_p_m_clock_with_bom_is_day_first() -> None:
    p = profile_of(WA / "android_es_ampm.txt")
    assert (p["clock"], p["date_order"]) == ("12-hour", "day-first")
    assert "a. m." in p["date_order_reason"]
    assert p["system_message_count"] == 3 and p["message_count"] == 3
    assert p["first_message_at"] == "2026-11-03T09:10:00"
    assert p["last_message_at"] == "2026-11-04T11:30:00"
    assert p["media_omitted_count"] == 1
    assert values(p, "email") == {"maria.lopez@gmail.com"}


def test_german_dotted_24h_media_lines_and_phone_senders() -> None:
    p = profile_of(WA / "android_de.txt")
    assert (p["date_order"], p["clock"]) == ("day-first", "24-hour")
    assert p["media_omitted_count"] == 2 and p["system_message_count"] == 1
    assert p["first_message_at"] == "2026-11-02T10:16:00"
    assert values(p, "phone") == {"+4915123456789"}
    assert values(p, "ethereum-address") == {"0x52908400098527886E0F7030069857D2E4169EE7"}


def test_ukrainian_notices_under_the_group_name_without_marks() -> None:
    p = profile_of(WA / "android_uk_group_notices.txt")
    assert p["system_message_count"] == 3 and p["message_count"] == 3
    assert {x["name"] for x in p["participants"]} == {"Андрій", "+380 67 123 4567"}
    assert p["first_message_at"] == "2026-01-05T09:05:00"
    assert p["media_omitted_count"] == 2


def test_member_mentioning_encryption_is_still_a_message(tmp_path: Path) -> None:
    path = tmp_path / "_chat.txt"
    path.write_text(
        "[02.11.26, 10:00:00] Иван: не бойся, тут всё защищено сквозным шифрованием\n"
        "[02.11.26, 10:01:00] Ivan: relax, calls here are end-to-end encrypted\n"
        "[02.11.26, 10:02:00] Ivan: I added you to the list\n",
        encoding="utf-8",
    )
    p = profile_of(path)
    assert (p["message_count"], p["system_message_count"]) == (3, 0)


def test_date_order_from_chronology_when_nothing_else_tells() -> None:
    p = profile_of(WA / "android_chronology.txt")
    assert p["date_order"] == "day-first"
    assert "backwards" in p["date_order_reason"]
    assert p["last_message_at"] == "2026-03-09T12:00:00"


def test_contradicting_fields_are_reported_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("13/01/26, 10:00 - A: x\n01/13/26, 10:01 - B: y\n", encoding="utf-8")
    p = profile_of(path)
    assert p["date_order"] == "inconsistent (read as day-first)"
    assert "13/01/26" in p["date_order_reason"] and "01/13/26" in p["date_order_reason"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("[2026-11-02, 10:15:33] A: x", "2026-11-02T10:15:33"),
        ("2026-11-02 10:15 - A: x", "2026-11-02T10:15:00"),
        ("\u200e[02.11.2026, 10:15] A: x", "2026-11-02T10:15:00"),
        ("02/11/2026 10:15 - A: x", "2026-11-02T10:15:00"),
        ("\ufeff02-11-2026, 10:15 - A: x", "2026-11-02T10:15:00"),
        ("[13/11/26, 9:05:01\u202fp.\u202fm.] A: x", "2026-11-13T21:05:01"),
        ("13.11.26, 12:05 ПП - A: x", "2026-11-13T12:05:00"),
        ("13.11.26, 12:05 AM - A: x", "2026-11-13T00:05:00"),
    ],
)
def test_header_spellings(tmp_path: Path, header: str, expected: str) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(header + "\n", encoding="utf-8")
    p = profile_of(path, "chat-export")
    assert p["message_count"] == 1 and p["first_message_at"] == expected, p


_LINE = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda d, m, y, h, mi, sep, br, rest: (
            f"[{d}{sep}{m}{sep}{y}, {h}:{mi:02d}] {rest}" if br else f"{d}{sep}{m}{sep}{y}, "
            f"{h}:{mi:02d} - {rest}"
        ),
        st.integers(0, 40), st.integers(0, 40), st.integers(0, 3000), st.integers(0, 30),
        st.integers(0, 70), st.sampled_from("./-"), st.booleans(), st.text(max_size=40),
    ),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=12))
def test_parser_never_raises(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("wa") / "_chat.txt"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    for kind in ("chat-export", detect_evidence_type(path, path.name, "")):
        p = build_profile(path, kind, original_name=path.name, media_type="", metadata={})
        assert isinstance(p, dict) and "kind" in p
        if "error" in p:
            assert "internal parser failure" not in p["error"], p["error"]


def test_zip_of_android_export_named_like_the_app(tmp_path: Path) -> None:
    zpath = tmp_path / "WhatsApp Chat with Kate Brown.zip"
    with zipfile.ZipFile(zpath, "w") as archive:
        archive.writestr("WhatsApp Chat with Kate Brown.txt",
                         (WA / "android_us_12h_attachments.txt").read_bytes())  # fmt: skip
        archive.writestr("IMG-20261103-WA0001.jpg", b"\xff\xd8\xff\xe0jpeg")
    p = profile_of(zpath)
    present = {a["name"]: a["present"] for a in p["attachments"]}
    assert present == {"IMG-20261103-WA0001.jpg": True, "IMG-20261201-WA0005.jpg": False}
    assert p["date_order"] == "month-first"
