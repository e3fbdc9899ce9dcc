"""The export formats of parser version 3 read as their apps and sites write them: what each one
must find, and what it must never report."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.profiles import build_profile
from evidence.profiles.textscan import luhn_ok
from tests.profiles.accuracy_support import fixture_path
from tests.profiles.profile_support import DATA, assert_json_types, profile_of, values

TRON_OWN = "TQ4Kjuyg5hDvi11KqxiqgQPCAKPLWvUPGm"
TRON_LOOKALIKE = "TQ4Kjuyg5hDvi11KqxiqgQPCAKPLWvUPGA"  # same start and end, bad checksum


def by_currency(p: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    return {
        t["currency"]: (t["incoming"], t["outgoing"], t.get("direction_unknown"))
        for t in p["totals_by_currency"]
    }


def test_tron_lookalike_with_bad_checksum_is_kept_and_marked() -> None:
    p = profile_of(DATA / "explorers" / "tronscan_trc20_transfers.csv")
    verdicts = {(i["value"], i["valid"]) for i in p["identifiers"] if i["kind"] == "tron-address"}
    assert (TRON_OWN, True) in verdicts
    assert (TRON_LOOKALIKE, False) in verdicts
    bad = next(i for i in p["identifiers"] if i["value"] == TRON_LOOKALIKE)
    assert "checksum failed" in bad["detail"]
    assert len(values(p, "txid")) == 9  # headerless: the 64-hex cell beside the addresses


def test_etherscan_values_and_failed_row() -> None:
    p = profile_of(DATA / "explorers" / "etherscan_transactions.csv")
    assert p["layout"] == "Etherscan transactions"
    # "2,000" is two thousand; the Error(0) row is listed, never totalled
    assert by_currency(p) == {"ETH": ("8036.75", "6.0", None)}
    assert [(r["row"], r["status"]) for r in p["failed_rows"]] == [(9, "Error(0)")]
    erc20 = profile_of(DATA / "explorers" / "etherscan_erc20.csv")
    # the export does not say whose address it is: the one address in every row is, and the
    # profile says why; each transfer is in or out relative to it
    assert erc20["own_address"] == {
        "address": "0x19a47e1e70bcc9515adfa480fc2f8bf33bd00683",
        "reason": "the only address on one side of every row (6 rows)",
    }
    assert by_currency(erc20) == {"USDT": ("6300", "337.75", None)}


def test_russian_statement_title_lines_plus_sign_iban_and_counterparty() -> None:
    p = profile_of(DATA / "exchanges" / "russian_exchange_statement_cp1251.csv")
    assert (p["encoding"], p["delimiter"], p["header_row"]) == ("cp1251", ";", 4)
    assert p["notices"][0].startswith("3 line(s) before the header row")
    assert by_currency(p)["USDT"] == ("400.00", "150.50", None)  # "+400,00" is money in
    # "Адрес / реквизиты" is the counterparty: each TRON address has its own total
    tron = {i["value"] for i in p["identifiers"] if i["kind"] == "tron-address"}
    assert len(tron) == 2 and tron <= {t["counterparty"] for t in p["totals"]}
    ibans = {(i["value"], i["valid"]) for i in p["identifiers"] if i["kind"] == "iban"}
    assert ibans == {("BY20OLMP31350000001000000933", True), ("KZ86125KZT5004100100", True)}
    assert p["card_like_numbers_omitted"] == 0  # the masked card stays masked


def test_exchange_ids_are_never_card_like() -> None:
    for name in ("bybit_spot_trade_history.csv", "okx_trading_history.csv"):
        p = profile_of(DATA / "exchanges" / name)
        assert (p["card_like_numbers_omitted"], p["identifiers"]) == (0, [])
    bybit = profile_of(DATA / "exchanges" / "bybit_spot_trade_history.csv")
    assert by_currency(bybit)["TRX"] == ("0", "1500", None)  # SELL of TRXUSDT: TRX went out


def test_meta_mojibake_repaired_and_platforms_told_apart() -> None:
    insta = profile_of(DATA / "meta" / "instagram_message_1.json")
    assert insta["platform"] == "Instagram" and insta["mojibake_repaired"] > 0
    assert insta["listed_participants"] == ["Дмитрий Крипто", "Анна Л."]
    assert insta["name"] == "Дмитрий Крипто"
    assert (insta["call_count"], insta["reaction_count"], insta["share_count"]) == (1, 1, 1)
    assert insta["attachments"][0]["name"].endswith("_n.jpg")
    messenger = profile_of(DATA / "meta" / "messenger_message_1.json")
    assert messenger["platform"] == "Facebook Messenger"
    assert (messenger["message_count"], messenger["system_message_count"]) == (3, 1)
    assert "https://facebook.com/profile.php?id=100087654321098" in values(messenger, "url")


def test_discord_ids_are_accounts_and_cdn_links_are_not_identifiers() -> None:
    p = profile_of(DATA / "discord" / "dm_cryptoking.json")
    assert values(p, "account") == {"discord:1056789012345678901", "discord:987654321098765432"}
    assert not any("discordapp" in v or "jsdelivr" in v for v in values(p, "url"))
    assert p["card_like_numbers_omitted"] == 0
    assert (p["message_count"], p["system_message_count"]) == (3, 1)  # the call is no message
    assert p["attachments"][0]["name"] == "IMG_1043.png"


def test_discord_mention_of_a_luhn_valid_id_is_an_account_not_a_card(tmp_path: Path) -> None:
    snowflake = "123456789012345002"
    assert luhn_ok(snowflake)  # the case the issue met: a Discord id that passes Luhn
    path = tmp_path / "dm.csv"
    path.write_text(
        '"AuthorID","Author","Date","Content","Attachments","Reactions"\n'
        f'"1056789012345678901","a","2026-11-05T10:00:00+03:00","ask <@{snowflake}>","",""\n',
        encoding="utf-8",
    )
    p = profile_of(path)
    assert p["card_like_numbers_omitted"] == 0
    assert f"discord:{snowflake}" in values(p, "account")


def test_attachment_name_digits_are_never_a_card(tmp_path: Path) -> None:
    assert luhn_ok("20261102101502")
    path = tmp_path / "_chat.txt"
    path.write_text(
        "[02.11.26, 10:15:02] Иван: \u200e<attached: 00000012-PHOTO-2026-11-02-10-15-02.jpg>\n"
        "[02.11.26, 10:16:00] Иван: IMG-20261102-WA0003.jpg\n",
        encoding="utf-8",
    )
    p = profile_of(path)
    assert p["kind"] == "whatsapp-chat" and p["card_like_numbers_omitted"] == 0
    assert values(p, "phone") == set()


def test_telegram_export_zip_reads_every_page_and_checks_attachments(tmp_path: Path) -> None:
    p = profile_of(fixture_path("telegram/ChatExport_2026-11-05.zip", tmp_path))
    assert p["pages"] == [
        "ChatExport_2026-11-05/messages.html",
        "ChatExport_2026-11-05/messages2.html",
    ]
    assert (p["forwarded_count"], p["reply_count"], p["joined_count"]) == (1, 1, 2)
    assert (p["system_message_count"], p["date_separator_count"]) == (3, 2)
    assert [(a["name"], a["present"]) for a in p["attachments"]] == [
        ("photos/photo_1@02-11-2026_10-18-40.jpg", True),
        ("реквизиты.pdf (not exported)", False),
    ]
    assert p["first_message_utc"] == "2026-11-02T07:15:00Z"
    assert p["local_time_offsets"] == [{"offset": "+03:00", "messages": 7}]
    assert p["notices"] == []  # the zip holds the page messages.html links to


def test_telegram_zip_with_unsafe_member_names_is_read_without_following_them(
    tmp_path: Path,
) -> None:
    source = DATA / "telegram" / "ChatExport_2026-11-05" / "messages.html"
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(source, "ChatExport_x/messages.html")
        archive.writestr("../../photos/photo_1@02-11-2026_10-18-40.jpg", b"x")
    p = profile_of(path)
    assert p["kind"] == "telegram-chat" and p["message_count"] == 4
    assert p["attachments"][0]["present"] is False  # the "../" member is not the photo


def test_utf16_big_endian_and_koi8r_are_read(tmp_path: Path) -> None:
    text = (DATA / "whatsapp" / "android_24h_dayfirst.txt").read_text(encoding="utf-8")
    path = tmp_path / "chat.txt"
    path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    p = profile_of(path)
    assert (p["encoding"], p["encoding_reason"]) == ("utf-16", "UTF-16BE byte order mark")
    assert p["message_count"] == 7 and "+375297654321" in values(p, "phone")
    note = profile_of(DATA / "wallet" / "notes_koi8r.txt")
    assert note["encoding"] == "koi8-r" and "charset-normalizer" in note["encoding_reason"]


def test_jsonrpc_block_lists_transactions_not_block_hashes() -> None:
    p = profile_of(DATA / "explorers" / "eth_getBlockByNumber.json")
    block = json.loads((DATA / "explorers" / "eth_getBlockByNumber.json").read_text())
    txids = values(p, "txid")
    assert txids == {t["hash"] for t in block["result"]["transactions"]}
    assert block["result"]["hash"] not in txids and block["result"]["parentHash"] not in txids


_JUNK = st.text(alphabet=st.sampled_from('<>/="divclassmesgtxjoined 0123456789.:-_@'), max_size=400)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_JUNK)
def test_hostile_telegram_html_never_raises(tmp_path: Path, body: str) -> None:
    page = (
        '<div class="page_header"><div class="text bold">x</div></div>'
        f'<div class="message default clearfix" id="message1">{body}'
    )
    path = tmp_path / "messages.html"
    path.write_text(page, encoding="utf-8")
    p = build_profile(path, "chat-export", original_name="messages.html", media_type="",
                      metadata={})  # fmt: skip
    assert_json_types(p)
    assert "records" in p or "error" in p


def test_malformed_entries_are_named_not_dropped(tmp_path: Path) -> None:
    discord = {"guild": {}, "channel": {}, "messages": [7, {"type": "Default", "content": "hi",
               "author": {"id": "1056789012345678901", "name": "a"}}]}  # fmt: skip
    path = tmp_path / "d.json"
    path.write_text(json.dumps(discord), encoding="utf-8")
    p = profile_of(path)
    listed = {(e["where"], e["reason"]) for e in p["records"]["not_read_list"]}
    assert ("messages[0]", "not a message object (int)") in listed
    assert ("messages[1]", "no readable timestamp") in listed
    meta = {"participants": [], "messages": ["x", {"sender_name": "a", "timestamp_ms": "?"}]}
    path = tmp_path / "message_1.json"
    path.write_text(json.dumps(meta), encoding="utf-8")
    p = profile_of(path, "chat-export")
    assert p["records"]["not_read"] == 2 and p["records"]["complete"] is False


_NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                 min_size=1, max_size=20).map(str.strip).filter(bool)  # fmt: skip
_BODIES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messages=st.lists(st.tuples(_NAMES, _BODIES, st.booleans()), min_size=1, max_size=12))
def test_telegram_html_round_trip(tmp_path: Path, messages: list[tuple[str, str, bool]]) -> None:
    """Any senders and texts, escaped as Telegram Desktop escapes them, give back the count,
    the senders (a joined message is its predecessor's) and no unread entry."""
    from html import escape

    parts = ['<div class="page_header"><div class="content"><div class="text bold">c</div>'
             '</div></div><div class="history">']  # fmt: skip
    senders: dict[str, int] = {}
    last = None
    for n, (name, body, joined) in enumerate(messages):
        joined = joined and last is not None
        sender = last if joined else " ".join(name.split())
        assert sender is not None
        senders[sender] = senders.get(sender, 0) + 1
        last = sender
        head = "" if joined else f'<div class="from_name">{escape(name)}</div>'
        parts.append(
            f'<div class="message default clearfix{" joined" if joined else ""}" id="message{n}">'
            f'<div class="body"><div class="pull_right date details" title="02.11.2026 10:'
            f'{n:02d}:00 UTC+03:00">10:{n:02d}</div>{head}<div class="text">{escape(body)}'
            "</div></div></div>"
        )
    path = tmp_path / "messages.html"
    path.write_text("".join(parts) + "</div>", encoding="utf-8")
    p = profile_of(path, "chat-export")
    assert p["message_count"] == len(messages)
    assert {x["name"]: x["messages"] for x in p["participants"]} == senders
    assert p["records"]["complete"] is True
    assert p["last_message_utc"] == f"2026-11-02T07:{len(messages) - 1:02d}:00Z"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_NAMES, _BODIES), min_size=1, max_size=12))
def test_discord_csv_round_trip(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    """Any authors and contents written by a CSV writer come back one message a row."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"])
    for n, (name, body) in enumerate(rows):
        writer.writerow(["1056789012345678901", name, f"2026-11-05T10:{n:02d}:00+03:00", body,
                         "", ""])  # fmt: skip
    path = tmp_path / "dm.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    p = profile_of(path, "chat-export")
    assert p["message_count"] == len(rows) and p["records"]["complete"] is True
    assert "discord:1056789012345678901" in values(p, "account")
