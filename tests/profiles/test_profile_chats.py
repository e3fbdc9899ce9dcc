"""Chat export profiles on sample exports of every supported layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.canonical import canonical_bytes
from evidence.profiles import PROFILE_VERSION
from tests.profiles.profile_support import DATA, assert_json_types, profile_of, values

TZ_UNKNOWN = "unknown (export carries device-local time without offset)"


def test_whatsapp_android_24h_day_first() -> None:
    p = profile_of(DATA / "whatsapp" / "android_24h_dayfirst.txt")
    assert p["kind"] == "whatsapp-chat" and p["profile_version"] == PROFILE_VERSION
    assert (p["layout"], p["date_order"], p["clock"]) == ("android", "day-first", "24-hour")
    assert p["message_count"] == 7 and p["system_message_count"] == 1
    assert p["participants"][0] == {"name": "Алесь Навумчык", "messages": 4}
    assert p["first_message_at"] == "2026-11-02T10:15:00"  # the 10:14 notice is no message
    assert p["last_message_at"] == "2026-11-13T21:05:00"
    assert p["timezone"] == TZ_UNKNOWN
    assert p["attachments"] == [
        {"name": "IMG-20261102-WA0003.jpg", "present": None, "sha256": None}
    ]
    assert p["media_omitted_count"] == 1
    assert values(p, "phone") == {"+375297654321", "+375441112233", "+79161234567"}
    assert values(p, "url") == {"https://vk.com/id987654321", "https://ok.ru/profile/570123456789"}
    # the card number in the last message is counted, never copied out
    assert p["card_like_numbers_omitted"] == 1
    assert "4276" not in canonical_bytes(p).decode()


def test_whatsapp_android_12h_month_first() -> None:
    p = profile_of(DATA / "whatsapp" / "android_12h_monthfirst.txt")
    assert (p["date_order"], p["clock"]) == ("month-first", "12-hour")
    assert p["first_message_at"] == "2026-11-02T09:05:00"  # 9:03 is the notice
    assert p["last_message_at"] == "2026-11-15T23:46:00"  # 11:46 PM
    assert p["message_count"] == 5
    assert values(p, "bitcoin-address") == {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}
    assert values(p, "email") == {"olga.smirnova@yandex.ru"}
    assert values(p, "account") == {"skype:live:olga.smirnova_1"}


def test_whatsapp_ios_bracketed() -> None:
    p = profile_of(DATA / "whatsapp" / "ios_bracketed.txt")
    assert (p["layout"], p["date_order"]) == ("ios", "day-first")
    assert p["message_count"] == 5 and p["system_message_count"] == 1
    assert p["first_message_at"] == "2026-11-02T10:15:40"  # 10:15:33 is the notice
    assert [a["name"] for a in p["attachments"]] == [
        "00000012-PHOTO-2026-11-02-10-21-12.jpg",
        "00000013-PHOTO-2026-11-02-10-22-40.jpg",
    ]
    assert all(a["present"] is None for a in p["attachments"])  # a bare .txt cannot tell
    assert values(p, "url") == {
        "https://instagram.com/shop_nice_store",
        "https://t.me/shop_nice_store",
    }


def test_whatsapp_zip_members_hashed_and_presence_known() -> None:
    p = profile_of(DATA / "whatsapp" / "whatsapp_chat_ios.zip")
    assert p["kind"] == "whatsapp-chat" and p["container"] == "zip"
    assert p["chat_file"] == "_chat.txt"
    photo_sha = "113a01f606e2508bda673503e1d62ea94e7fada9f92872880d69bc91f3d45ec8"
    assert {m["name"]: m["sha256"] for m in p["members"]}[
        "00000012-PHOTO-2026-11-02-10-21-12.jpg"
    ] == photo_sha
    present = {a["name"]: (a["present"], a["sha256"]) for a in p["attachments"]}
    assert present["00000012-PHOTO-2026-11-02-10-21-12.jpg"] == (True, photo_sha)
    assert present["00000013-PHOTO-2026-11-02-10-22-40.jpg"] == (False, None)
    assert p["unsafe_member_names"] == []


def test_telegram_single_chat() -> None:
    p = profile_of(DATA / "telegram" / "result_single_chat.json")
    assert p["kind"] == "telegram-chat" and p["scope"] == "chat"
    assert (p["name"], p["chat_type"], p["chat_id"]) == (
        "Алесь Навумчык",
        "personal_chat",
        "5123456789",
    )
    assert p["message_count"] == 5 and p["system_message_count"] == 1
    # the service entry (a call at 10:14) is no message: the first message is at 10:15
    assert p["first_message_at"] == "2026-11-02T10:15:00"
    assert p["first_message_utc"] == "2026-11-02T09:15:00Z"  # from date_unixtime
    assert values(p, "phone") == {"+375297654321"}
    assert values(p, "email") == {"marina.k@tut.by"}
    assert values(p, "url") == {"https://t.me/fake_ales_channel", "https://t.me/ales_helper_bot"}
    assert "telegram:user5123456789" in values(p, "account")
    not_exported = [a for a in p["attachments"] if a["present"] is False]
    assert [a["name"] for a in not_exported] == ["рэквізіты.pdf"]


def test_telegram_full_account() -> None:
    p = profile_of(DATA / "telegram" / "result_full_account.json")
    assert p["scope"] == "account" and p["chat_count"] == 2
    assert p["message_count"] == 6
    assert p["account_name"] == "Марына Ковалева" and p["contact_count"] == 2
    assert [c["name"] for c in p["chats"]] == ["Алесь Навумчык", "Барахолка Мінск"]
    assert p["first_message_at"] == "2026-10-30T19:00:00"
    # contacts' phones: Belarus domestic 8 029 ... becomes +375 29 ...
    assert {"+375297654321", "+375441112233", "+375295556677"} <= values(p, "phone")
    assert values(p, "bitcoin-address") == {"1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"}
    assert "telegram:user0" not in values(p, "account")


def test_skype_messages_json() -> None:
    p = profile_of(DATA / "skype" / "messages.json")
    assert p["kind"] == "skype-chat" and p["chat_count"] == 2
    assert p["message_count"] == 5
    assert p["first_message_utc"] == "2026-10-01T10:00:00Z"
    assert p["last_message_utc"] == "2026-11-15T21:00:00Z"
    first = p["chats"][0]
    assert first["system_message_count"] == 1  # Event/Call
    assert [a["name"] for a in first["attachments"]] == ["customs_invoice.jpg"]
    assert values(p, "phone") == {"+79167654321"}
    assert values(p, "e-wallet") == {"Z123456789012"}
    assert values(p, "ethereum-address") == {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}
    assert {"skype:live:olga.smirnova_1", "skype:anna.k"} <= values(p, "account")
    assert "https://vk.com/anna_k_1980" in values(p, "url")


def test_vk_page_windows_1251() -> None:
    path = DATA / "vk" / "messages0.html"
    assert "Алесь".encode("cp1251") in path.read_bytes()
    p = profile_of(path)
    assert p["kind"] == "vk-chat" and p["name"] == "Алесь Навумчык"
    assert p["message_count"] == 4
    assert p["participants"][0] == {"name": "Алесь Навумчык", "messages": 3}
    assert (p["first_message_at"], p["last_message_at"]) == (
        "2026-11-02T10:15:33",
        "2026-11-14T21:05:00",
    )
    assert values(p, "phone") == {"+375297654321", "+79161234567"}
    assert "https://vk.com/id987654321" in values(p, "url")
    assert (p["edited_count"], p["deleted_count"]) == (1, 0)  # message 1003 is "(ред.)"


def test_vk_deleted_message_counted(tmp_path: Path) -> None:
    page = (DATA / "vk" / "messages0.html").read_bytes().decode("cp1251")
    page = page.replace("<div>Хто гэта? Патэлефануй: 8 029 765-43-21", "<div>Сообщение удалено")
    path = tmp_path / "messages0.html"
    path.write_bytes(page.encode("cp1251"))
    p = profile_of(path)
    assert (p["message_count"], p["edited_count"], p["deleted_count"]) == (4, 1, 1)
    assert p["attachments"][0]["name"].startswith("https://sun9-1.userapi.com/")


SAMPLES = sorted(
    f for d in ("whatsapp", "telegram", "skype", "vk", "wallet") for f in (DATA / d).iterdir()
)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_profiles_are_canonical_json(path: Path) -> None:
    p = profile_of(path)
    assert "error" not in p, p.get("error")
    assert_json_types(p)
    canonical_bytes(p)
