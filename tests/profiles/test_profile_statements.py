"""Exchange, wallet and e-wallet statements as the services write them: currency, direction,
date and counterparty from the right columns; failed and cancelled rows listed, never totalled."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.profiles import build_profile, detect_evidence_type
from tests.profiles.profile_support import DATA, profile_of, values

ST = DATA / "statements"


def totals(p: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(counterparty, currency) -> (incoming, outgoing)."""
    return {(t["counterparty"], t["currency"]): (t["incoming"], t["outgoing"]) for t in p["totals"]}


def by_currency(p: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """currency -> (incoming, outgoing)."""
    return {t["currency"]: (t["incoming"], t["outgoing"]) for t in p["totals_by_currency"]}


def test_coinbase_preamble_asset_column_and_counterparty_from_notes() -> None:
    p = profile_of(ST / "coinbase_transactions.csv")
    assert (p["layout"], p["rows"]) == ("Coinbase", 4)
    # the amount is in Asset, not in "Price Currency" (EUR, the price's currency)
    assert by_currency(p) == {"BTC": ("0.02", "0.015"), "ETH": ("1.5", "0.5")}
    assert totals(p)[("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BTC")] == ("0", "0.015")
    assert p["time_range"] == {"first": "2026-11-02T10:15:33Z", "last": "2026-11-05T09:00:00Z"}


def test_coinbase_pro_never_adds_btc_and_eth() -> None:
    p = profile_of(ST / "coinbase_pro_account.csv")
    assert p["layout"] == "Coinbase Pro"
    assert by_currency(p) == {
        "BTC": ("0.5000000000000000", "0.2000000000000000"),
        "ETH": ("3.0000000000000000", "1.0000000000000000"),
    }


def test_bitstamp_market_sell_is_outgoing_and_dates_are_read() -> None:
    p = profile_of(ST / "bitstamp_transactions.csv")
    assert p["layout"] == "Bitstamp"
    # deposit 1 + buy 0.1 in; sell 0.5 + withdrawal 0.2 out; the trades' USD legs from Value
    assert by_currency(p) == {
        "BTC": ("1.10000000", "0.70000000"),
        "USD": ("18750.00", "3800.00"),
    }
    assert p["time_range"] == {"first": "2022-01-27T21:01:00", "last": "2022-02-01T10:00:00"}
    assert p["rows_unparsed"] == 0


def test_binance_signed_changes_per_coin() -> None:
    p = profile_of(ST / "binance_transaction_history.csv")
    assert p["layout"] == "Binance"
    assert by_currency(p) == {
        "BTC": ("0.00800000", "0.00750000"),
        "USDT": ("500.00000000", "496.00000000"),
    }


def test_binance_withdrawals_cancelled_row_listed_not_totalled() -> None:
    p = profile_of(ST / "binance_withdrawals.csv")
    assert p["rows_failed"] == 1
    assert p["failed_rows"][0]["status"] == "Cancelled" and p["failed_rows"][0]["amount"] == "0.5"
    # the rows name no direction; the file name does ("withdrawals"), and the profile says so
    total = p["totals_by_currency"][0]
    assert (total["incoming"], total["outgoing"], "direction_unknown" in total) == (
        "0",
        "0.0075",
        False,
    )
    assert p["notices"] == [
        "every row is one of the account's withdrawals (money out): its file name says so"
    ]
    assert values(p, "txid") == {"a0ff943d3f644d8832b1fa74be4d0ad2577615dc28a7ef74ff8c271b603a082a"}


def test_kraken_asset_codes_are_named() -> None:
    p = profile_of(ST / "kraken_ledgers.csv")
    assert p["layout"] == "Kraken"
    assert by_currency(p) == {
        "BTC": ("0.0100000000", "0.0095000000"),
        "EUR": ("1000.0000", "620.0000"),
    }
    assert values(p, "txid") == set()  # Kraken's ledger ids are not blockchain txids


def test_exodus_exchange_row_has_two_legs_and_gmt_offsets() -> None:
    p = profile_of(ST / "exodus_all_txs.csv")
    assert p["layout"] == "Exodus"
    assert by_currency(p) == {"BTC": ("0.05", "0.03"), "ETH": ("0.19", "0")}
    assert totals(p)[("3LRW7jeCvQCRdPF8S3yUCfRAx4eqXFmdcr", "BTC")] == ("0", "0.02")
    assert p["time_range"]["first"] == "2026-11-02T07:15:33Z"  # 10:15:33 GMT+0300


def test_trust_wallet_asset_from_to_and_failed_status() -> None:
    p = profile_of(ST / "trust_wallet_history.csv")
    assert totals(p) == {
        ("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", "USDT"): ("250.00", "0"),  # From, when received
        ("TN9RRaXkCFtTXRso2GdTZxSxxwufzxLQPP", "USDT"): ("0", "100.00"),  # To, when sent
    }
    assert [r["currency"] for r in p["failed_rows"]] == ["ETH"]


def test_qiwi_failed_and_cancelled_rows_excluded_from_totals() -> None:
    p = profile_of(ST / "qiwi_statement_with_error.csv")
    assert (p["kind"], p["layout"]) == ("e-wallet-statement", "QIWI")
    assert by_currency(p) == {"RUB": ("1500.00", "300.50")}
    assert [(r["row"], r["status"], r["amount"]) for r in p["failed_rows"]] == [
        (4, "Ошибка", "5000.00"),
        (5, "Отменён", "2000.00"),
    ]


def test_webmoney_own_purse_is_not_the_counterparty() -> None:
    p = profile_of(ST / "webmoney_operations.csv")
    assert p["layout"] == "WebMoney"
    assert totals(p) == {
        ("Z987654321098", "WMZ"): ("1250.00", "0"),
        ("Z555566667777", "WMZ"): ("0", "200.00"),
        ("R444455556666", "WMR"): ("3000.00", "0"),
    }


def test_yoomoney_rejected_payment_excluded() -> None:
    p = profile_of(ST / "yoomoney_history.csv")
    assert p["layout"] == "YooMoney"
    assert by_currency(p) == {"RUB": ("5000.00", "1200.00")}
    assert p["rows_failed"] == 1


@pytest.mark.parametrize("name", sorted(p.name for p in ST.iterdir()))
def test_every_statement_is_detected_as_a_wallet_record(name: str) -> None:
    assert detect_evidence_type(ST / name, name, "text/csv") == "wallet-record"


_CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["-1 234,50", "0.5 BTC", "Ошибка", "Sell", "Jan. 28, 2022, 12:13 AM", ""]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=8), max_size=8))
def test_statement_parser_never_raises(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    path = tmp_path_factory.mktemp("st") / "statement.csv"
    header = "Дата;Сумма;Валюта;Кошелек;Корреспондент;Статус;Тип\n"
    body = "\n".join(";".join(cells) for cells in rows)
    path.write_bytes((header + body).encode("utf-8", "surrogatepass"))
    p = build_profile(path, "wallet-record", original_name=path.name, media_type="", metadata={})
    assert "internal parser failure" not in p.get("error", "")
