"""Fees totalled per currency and payer, on the layouts taken from outside sources (Etherscan,
Binance, OKX, BittyTax's headers; HTX's Chinese trade history) and on hostile fee cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.profiles.statement_fees import fee_cell
from tests.profiles.profile_support import DATA, assert_json_types, profile_of

INDEPENDENT = DATA / "independent"
ETHERSCAN = INDEPENDENT / "etherscan" / "export-0x4a006be1d90224207e56720befe445e52291c32c.csv"


def _fees(profile: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["currency"], f["paid_by"]): f for f in profile["fees_by_currency"]}


def test_etherscan_fees_split_by_who_sent_the_transaction() -> None:
    profile = profile_of(ETHERSCAN)
    fees = _fees(profile)
    # the incoming 2.5 ETH paid its gas from the sender's address, not the export's own
    assert fees["ETH", "other side"] == {
        "currency": "ETH",
        "paid_by": "other side",
        "rows": 1,
        "total": "0.000378",
    }
    # two transfers and a contract call sent by the own address; the call that ran out of
    # gas (Error(0)) still paid 0.000402 ETH, kept apart from the others
    assert fees["ETH", "own address"] == {
        "currency": "ETH",
        "paid_by": "own address",
        "rows": 2,
        "total": "0.001513",
        "failed_rows": 1,
        "failed_total": "0.000402",
    }
    # fees are not what moved: the own address sent 1.2 ETH, the failed 0.75 not at all
    (eth,) = [t for t in profile["totals_by_currency"] if t["currency"] == "ETH"]
    assert (eth["incoming"], eth["outgoing"]) == ("2.5", "1.2")
    assert_json_types(profile)


def test_explorer_fees_wait_for_the_own_address(tmp_path: Path) -> None:
    # the same rows under a name that names no address, between two addresses only: nobody
    # can tell whose export it is, so nobody can tell who paid
    text = ETHERSCAN.read_text(encoding="utf-8").splitlines()
    two = [text[0], text[1], text[1].replace("0x1fc9", "0x2fc9")]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(two) + "\n", encoding="utf-8")
    fees = _fees(profile_of(path))
    assert list(fees) == [("ETH", "unknown")] and fees["ETH", "unknown"]["total"] == "0.000756"


def test_binance_withdrawal_fees_in_each_rows_coin() -> None:
    fees = _fees(profile_of(INDEPENDENT / "binance" / "withdrawal_history.csv"))
    assert fees["USDT", "account"]["total"] == "1"
    # the cancelled BTC withdrawal's fee is listed apart, never in the total
    btc = fees["BTC", "account"]
    assert (btc["rows"], btc["total"], btc["failed_rows"], btc["failed_total"]) == (
        0,
        "0",
        1,
        "0.0000071",
    )
    old = _fees(profile_of(INDEPENDENT / "binance" / "Binance-Withdrawal-History-2026.csv"))
    assert {k: v["total"] for k, v in old.items()} == {
        ("ETH", "account"): "0.0012",
        ("USDT", "account"): "1",
    }


def test_okx_funding_fee_in_its_symbol_and_deposits_without_fees() -> None:
    fees = _fees(profile_of(INDEPENDENT / "okx" / "OKX_funding_account_history.csv"))
    assert {k: (v["rows"], v["total"]) for k, v in fees.items()} == {("USDT", "account"): (1, "1")}
    # a layout without a fee column says nothing about fees (not "zero fees")
    assert "fees_by_currency" not in profile_of(INDEPENDENT / "binance" / "deposit_history.csv")


def test_fee_units_written_in_the_cell_win() -> None:
    # Bybit "0.00001BTC", OKX's "Fee Unit" column, Coinbase "€18.60", Bitstamp "46.88 USD"
    bybit = _fees(profile_of(DATA / "exchanges" / "bybit_spot_trade_history.csv"))
    assert bybit["BTC", "account"]["total"] == "0.00003"
    okx = _fees(profile_of(DATA / "exchanges" / "okx_trading_history.csv"))
    assert okx["BTC", "account"]["total"] == "0.00002"  # written -0.00001 each
    coinbase = _fees(profile_of(DATA / "statements" / "coinbase_transactions.csv"))
    assert list(coinbase) == [("EUR", "account")] and coinbase["EUR", "account"]["total"] == (
        "37.20"
    )
    bitstamp = _fees(profile_of(DATA / "statements" / "bitstamp_transactions.csv"))
    assert bitstamp["USD", "account"]["total"] == "56.38"


def test_a_trade_fee_without_a_unit_is_of_unknown_currency() -> None:
    # HTX's English trade history writes "0.002": of the base or the quote asset, the file
    # does not say, so it is not added to either
    fees = _fees(profile_of(DATA / "exchanges" / "htx_trade_history.csv"))
    assert list(fees) == [("unknown", "account")] and fees["unknown", "account"]["rows"] == 3


def test_unreadable_fee_cells_are_counted_and_named(tmp_path: Path) -> None:
    path = tmp_path / "withdrawal_history.csv"
    path.write_text(
        "Date(UTC+0),Coin,Network,Amount,Fee,Address,TXID,Status\n"
        "26-11-05 12:40:09,USDT,TRX,1200,1,TNcARP1mhSQpKLEnL9KkejSDbVJ4ZZoddb,,Completed\n"
        "26-11-05 12:41:09,USDT,TRX,100,n/a,TNcARP1mhSQpKLEnL9KkejSDbVJ4ZZoddb,,Completed\n",
        encoding="utf-8",
    )
    profile = profile_of(path)
    assert _fees(profile)["USDT", "account"]["rows"] == 1
    assert any(
        "1 fee cell(s) of column 'Fee' are no amount (rows 3)" in n for n in (profile["notices"])
    )
    assert profile["rows"] == 2 and profile["rows_unparsed"] == 0


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_fee_cell_is_an_amount_or_none(text: str) -> None:
    read = fee_cell(text, comma_decimal=True)
    if read is not None:
        amount, unit = read
        assert amount >= 0 and (unit is None or unit.isupper() or unit.isalnum())


def test_fee_cells_as_written() -> None:
    cases = {
        "€18.60": ("18.60", "EUR"),
        "1 500,50 ₽": ("1500.50", "RUB"),
        "0.00915201BTC1S": ("0.00915201", "BTC1S"),
        "-0.00001": ("0.00001", None),
        "46.88 USD": ("46.88", "USD"),
        "12 руб.": ("12", "RUB"),
        "": ("0", None),
    }
    for text, (amount, unit) in cases.items():
        read = fee_cell(text, comma_decimal=True)
        assert read is not None and (str(read[0]), read[1]) == (amount, unit), text
    for text in ("abc", "1.5e3", "$3 USD", "0x12ab"):
        assert fee_cell(text, comma_decimal=False) is None, text


def test_htx_chinese_trade_history_as_its_interface_writes_it() -> None:
    # layout of deb-sig/double-entry-generator's Huobi example: quoted Chinese header, rows
    # unquoted with a trailing comma, 买入/卖出, the fee's unit glued to it, no time zone
    profile = profile_of(INDEPENDENT / "htx" / "huobi-records.csv")
    assert profile["layout"] == "HTX trades (Chinese interface)"
    assert (profile["rows"], profile["rows_unparsed"], profile["records"]["complete"]) == (
        4,
        0,
        True,
    )
    moved = {t["currency"]: (t["incoming"], t["outgoing"]) for t in profile["totals_by_currency"]}
    assert moved == {
        "BTC": ("0.004300", "0"),  # 买入: bought
        "TRX": ("12000.00", "0"),
        "DOGE": ("0", "1500.00"),  # 卖出: sold
        "ETH": ("0", "0.2500"),
    }
    assert {k: v["total"] for k, v in _fees(profile).items()} == {
        ("BTC", "account"): "0.00000860",
        ("TRX", "account"): "24.00000000",
        ("USDT", "account"): "2.28351000",
    }
    assert any("UTC+8" in n for n in profile["notices"])
