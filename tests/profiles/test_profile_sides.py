"""What the independent layouts taught the parsers: the own address of an explorer export,
exchange deposit/withdrawal histories, DiscordChatExporter's real CSV and JSON, labels and
links a txid hides behind."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.profiles import DEFAULT_LIMITS, build_profile, build_profile_with_limits
from evidence.profiles.textscan import IdentifierScanner
from tests.profiles.profile_support import DATA, assert_json_types, profile_of, values

IND = DATA / "independent"
OWN = "0x4a006be1d90224207e56720befe445e52291c32c"
B = "0x7fc169e5bf49195d1c5a7421404b71d904a7ec17"
C = "0x52b729a2648c4d8956f7e36c4bcb71e828f5e970"
HEADER = '"Transaction Hash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
HEADER += '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"\n'


def by_currency(p: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    return {
        t["currency"]: (t["incoming"], t["outgoing"], t.get("direction_unknown"))
        for t in p["totals_by_currency"]
    }


def erc20(tmp_path: Path, name: str, pairs: list[tuple[str, str, str]]) -> dict[str, Any]:
    rows = "".join(
        f'"0x{i:064x}","1","1","2026-11-05 10:0{i}:00","{a}","{b}","{v}","","0x{"d" * 40}",'
        '"Tether USD","USDT"\n'
        for i, (a, b, v) in enumerate(pairs)
    )
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return profile_of(path)


def test_the_address_in_every_row_is_the_exports_own() -> None:
    p = profile_of(IND / "etherscan" / f"export-tokentxns-{OWN}.csv")
    assert p["own_address"] == {
        "address": OWN,
        "reason": "the only address on one side of every row (3 rows)",
    }
    assert by_currency(p) == {"USDT": ("12500", "12499.99", None)}
    parties = {t["counterparty"]: (t["incoming"], t["outgoing"]) for t in p["totals"]}
    assert parties[B] == ("0", "7000") and parties[C] == ("0", "5499.99")


def test_old_erc20_header_without_an_address_in_its_name() -> None:
    p = profile_of(IND / "etherscan" / "export-token-transfers-old-layout.csv")
    assert p["own_address"]["address"] == B  # in every row, on either side
    assert by_currency(p) == {"USDT": ("300", "1330.5", None)}


def test_two_addresses_in_every_row_the_file_name_decides(tmp_path: Path) -> None:
    pairs = [(OWN, B, "10"), (B, OWN, "4")]
    unnamed = erc20(tmp_path, "transfers.csv", pairs)
    assert unnamed["own_address"] == {
        "address": None,
        "reason": "2 addresses are in every row and the file name names none of them: no "
        "direction is given",
    }
    assert by_currency(unnamed) == {"USDT": ("0", "0", "14")}
    assert unnamed["notices"] == [
        "2 transfer(s) left direction_unknown: 2 addresses are in every row and the file name "
        "names none of them: no direction is given"
    ]
    named = erc20(tmp_path, f"export-{B.upper().replace('0X', '0x')}.csv", pairs)
    assert named["own_address"] == {
        "address": B,
        "reason": "2 addresses are in every row; the file name names this one",
    }
    assert by_currency(named) == {"USDT": ("10", "4", None)}


def test_no_address_in_every_row_leaves_directions_unknown_and_says_why(tmp_path: Path) -> None:
    p = erc20(tmp_path, "t.csv", [(OWN, B, "1"), (C, B, "2"), (C, OWN, "3")])
    assert p["own_address"]["address"] is None
    assert by_currency(p) == {"USDT": ("0", "0", "6")}
    # the file name may still name it: rows without it stay unknown
    q = erc20(tmp_path, f"export-{OWN}.csv", [(OWN, B, "1"), (C, B, "2"), (C, OWN, "3")])
    assert q["own_address"]["address"] == OWN
    assert by_currency(q) == {"USDT": ("3", "1", "2")}


def test_the_waiting_list_is_bounded(tmp_path: Path) -> None:
    pairs = [(OWN, f"0x{i:040x}", "1") for i in range(30)]
    rows = "".join(
        f'"0x{i:064x}","1","1","2026-11-05 10:00:00","{a}","{b}","{v}","","","T","USDT"\n'
        for i, (a, b, v) in enumerate(pairs)
    )
    path = tmp_path / "t.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    p = build_profile_with_limits(
        path,
        "wallet-record",
        original_name="t.csv",
        media_type="",
        metadata={},
        limits=replace(DEFAULT_LIMITS, max_list=2),  # 20 address pairs may wait
    )
    total = p["totals_by_currency"][0]
    assert (total["count"], total["outgoing"], total["direction_unknown"]) == (30, "20", "10")
    assert "10 transfer(s) left direction_unknown" in p["notices"][-1]


def test_binance_deposit_and_withdrawal_files() -> None:
    dep = profile_of(IND / "binance" / "deposit_history.csv")
    assert dep["layout"] == "Binance deposit history"
    assert by_currency(dep) == {"ETH": ("0.85", "0", None), "USDT": ("1500", "0", None)}
    assert dep["networks"] == [{"network": "ETH", "rows": 1}, {"network": "TRX", "rows": 1}]
    assert dep["time_range"] == {"first": "2026-11-03T10:15:22", "last": "2026-11-04T08:02:51"}
    out = profile_of(IND / "binance" / "withdrawal_history.csv")
    assert out["layout"] == "Binance withdrawal history"
    assert by_currency(out) == {"USDT": ("0", "1200", None)}  # the cancelled BTC: not moved
    assert [r["status"] for r in out["failed_rows"]] == ["Cancelled"]
    old = profile_of(IND / "binance" / "Binance-Withdrawal-History-2026.csv")
    assert old["notices"] == [
        "every row is one of the account's withdrawals (money out): its file name says so"
    ]
    assert by_currency(old) == {"ETH": ("0", "0.3", None), "USDT": ("0", "250", None)}


def test_the_old_binance_file_with_a_neutral_name_says_it_cannot_tell(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    shutil.copy(IND / "binance" / "Binance-Withdrawal-History-2026.csv", path)
    p = profile_of(path)
    assert p["notices"] == [
        "Binance deposit/withdrawal history: neither the rows nor the file name say deposit "
        "or withdrawal; amounts are direction_unknown"
    ]
    assert by_currency(p)["USDT"] == ("0", "0", "250")


def test_bybit_and_okx_funding_histories() -> None:
    bybit = profile_of(IND / "bybit" / "Bybit_deposit_withdrawal_history.csv")
    assert bybit["layout"] == "Bybit deposits/withdrawals"
    assert by_currency(bybit) == {"USDT": ("2000", "1950.5", None)}
    okx = profile_of(IND / "okx" / "OKX_funding_account_history.csv")
    assert okx["layout"] == "OKX funding history"
    assert by_currency(okx) == {"USDT": ("3000", "2990", None)}  # Symbol is the coin
    assert (okx["identifiers"], okx["card_like_numbers_omitted"]) == ([], 0)  # ids are ids


def test_an_explorer_contract_call_of_no_value_is_read() -> None:
    p = profile_of(IND / "etherscan" / f"export-{OWN}.csv")
    assert p["records"]["complete"] and p["rows"] == 4
    assert by_currency(p) == {"ETH": ("2.5", "1.2", None)}
    assert [r["status"] for r in p["failed_rows"]] == ["Error(0)"]


def test_discord_csv_system_entries_and_mentions() -> None:
    p = profile_of(IND / "discord" / "usdt-otc - deals [1302211190446407751].csv")
    assert (p["message_count"], p["system_message_count"]) == (3, 1)  # "Pinned a message."
    assert p["last_message_at"] == "2026-11-06T09:20:12"  # a system entry is no message time
    assert values(p, "url") == set()  # "@Pavel" is a Discord mention, not t.me/pavel
    assert values(p, "txid") == {
        "0x74c13e21450ee12a90a14aaee269495444853fb97eaf6af3f02134350a9c8e4c"  # "tx:\n0x..."
    }


def test_discord_json_reaction_users_and_explorer_links() -> None:
    p = profile_of(IND / "discord" / "USDT OTC - Deals - deals [1302211190446407751].json")
    assert "discord:1011223344556677889" in values(p, "account")  # she reacted, and wrote
    assert values(p, "url") == {"https://t.me/usdt_otc_desk"}  # no tronscan.org page URL
    assert (p["message_count"], p["system_message_count"]) == (3, 2)


def test_telegram_word_makes_an_at_name_a_telegram_handle(tmp_path: Path) -> None:
    path = tmp_path / "dm.csv"
    path.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        '"1056789012345678901","a","2026-11-05T10:00:00.0000000+03:00",'
        '"my telegram @fast_profit_bot, ask @Pavel","",""\n',
        encoding="utf-8",
    )
    assert values(profile_of(path), "url") == {"https://t.me/fast_profit_bot", "https://t.me/pavel"}


def test_hash_labels_name_txids_but_never_block_hashes() -> None:
    h = "ab" * 32
    scanner = IdentifierScanner(10)
    scanner.scan(f"block hash 0x{h}; parent hash: 0x{'cd' * 32}")
    assert not [i for i in scanner.found if i.kind == "txid"]
    scanner.scan(f"hash 0x{h}, tx:\n{'ef' * 32}")
    assert {i.value for i in scanner.found if i.kind == "txid"} == {f"0x{h}", "ef" * 32}


def test_telegram_sender_via_bot_is_the_sender() -> None:
    page = IND / "telegram" / "ChatExport_2020-07-12" / "messages.html"
    p = profile_of(page)
    assert p["participants"] == [
        {"name": "Олег Ч.", "messages": 3},
        {"name": "Марина К.", "messages": 1},
        {"name": "Я", "messages": 1},
    ]
    assert (p["forwarded_count"], p["joined_count"], p["system_message_count"]) == (1, 1, 2)
    assert p["first_message_at"] == "2020-07-12T12:45:02"  # a title without UTC offset


def test_messenger_sticker_and_voice_clip_are_attachments() -> None:
    p = profile_of(IND / "meta" / "message_1.json")
    names = [a["name"] for a in p["attachments"]]
    assert (
        len(names) == 3
        and names[0].startswith("audioclip")
        and names[1].endswith("_n_369239263222822.png")
    )
    assert (p["platform"], p["message_count"], p["participants"][0]["name"]) == (
        "Facebook Messenger",
        7,
        "Ковалёв Дмитрий",
    )


CELL = st.one_of(
    st.sampled_from(["", OWN, B, C, OWN.upper(), "0", "-5", "1,250.5", "n/a", '"', "26-11-03 1"]),
    st.text(max_size=12),
)
HEADERS = [
    HEADER.strip(),
    "Date(UTC+0),Coin,Network,Amount,Fee,Address,TXID,Status",
    "Date(UTC),Coin,Network,Amount,TransactionFee,Address,TXID,SourceAddress,PaymentID,Status",
    "Date & Time(UTC),Coin,QTY,Type,Account Balance,Description",
    "id,Time,Type,Amount,Before Balance,After Balance,Fee,Symbol",
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(HEADERS),
    rows=st.lists(st.lists(CELL, max_size=12), max_size=12),
    name=st.sampled_from(["t.csv", f"export-{OWN}.csv", "withdrawals.csv", "deposit_withdraw.csv"]),
)
def test_hostile_rows_of_sided_and_exchange_layouts(
    tmp_path: Path, header: str, rows: list[list[str]], name: str
) -> None:
    path = tmp_path / name
    body = "\n".join(",".join(f'"{c}"' if "," in c else c for c in row) for row in rows)
    path.write_text(header + "\n" + body, encoding="utf-8")
    p = build_profile(path, "wallet-record", original_name=name, media_type="", metadata={})
    assert_json_types(p)
    assert "internal parser failure" not in p.get("error", "")
    if "records" in p:  # every row is read or named with its reason
        read, missed = p["records"]["read"], p["records"]["not_read"]
        assert read + missed == p.get("rows", read + missed)


def test_headerless_transfer_lists_are_statements_with_directions() -> None:
    tronscan = profile_of(DATA / "explorers" / "tronscan_trc20_transfers.csv")
    assert tronscan["layout"] == "transfers list without a header row"
    assert tronscan["own_address"]["address"] == "TQ4Kjuyg5hDvi11KqxiqgQPCAKPLWvUPGm"
    assert by_currency(tronscan) == {"USDT": ("197", "7201.5", None)}
    # the poisoning look-alike is a counterparty of its own, never the own address
    lookalike = "TQ4Kjuyg5hDvi11KqxiqgQPCAKPLWvUPGA"
    assert lookalike in {t["counterparty"] for t in tronscan["totals"]}
    own = "TW3r7V7LE1mZSp2HoEJv5Ups1MgQRM9qZk"
    downloader = profile_of(IND / "tron" / f"{own}.csv")
    assert downloader["notices"] == [
        "no header row: the rows' shape names the columns (1 txid, 2 date, 5 from, 6 to, "
        "7 amount, 8 currency); read as a transfers list"
    ]
    assert by_currency(downloader) == {
        "BTT": ("1000.000000", "0", None),
        "TRX": ("15.710000", "150.000000", None),  # the reward withdrawal has no sender
        "USDT": ("3000.000000", "2500.000000", None),
    }


def test_rows_of_no_transfer_shape_stay_a_generic_scan(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        f"{'ab' * 32},{OWN},hello\n{'cd' * 32},{B},world\n", encoding="utf-8"
    )  # one address a row: no from/to pair
    p = profile_of(path)
    assert p["layout"] is None and "generic CSV scan" in p["notices"][0]


HEADERLESS_CELL = st.one_of(
    st.sampled_from(
        [
            "ab" * 32,
            "0x" + "cd" * 32,
            OWN,
            B,
            "TQ4Kjuyg5hDvi11KqxiqgQPCAKPLWvUPGm",
            "",
            "100",
            "-1,5",
            "2026-11-05 00:12:00",
            "1793800000000 [Thu Nov 05 2026 10:15:22 GMT+0300]",
            "USDT",
            "TRC20",
        ]
    ),
    st.text(max_size=10),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(HEADERLESS_CELL, min_size=1, max_size=11), min_size=1, max_size=14))
def test_hostile_headerless_rows_never_raise_and_lose_nothing(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    path = tmp_path / "transfers.csv"
    path.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in rows), encoding="utf-8")
    p = build_profile(path, "wallet-record", original_name=path.name, media_type="", metadata={})
    assert_json_types(p)
    assert "internal parser failure" not in p.get("error", "")
    if "records" in p:
        assert p["records"]["read"] + p["records"]["not_read"] == p.get("rows")


def test_instagram_like_notices_are_system_entries_and_raw_mojibake_is_repaired() -> None:
    p = profile_of(IND / "instagram" / "message_1.json")
    assert (p["platform"], p["message_count"], p["system_message_count"]) == ("Instagram", 5, 1)
    assert p["last_message_at"] == "2026-11-12T16:19:20"  # the like is no message time
    assert {"name": "~Лена~", "messages": 2} in p["participants"]  # re-saved raw, repaired
