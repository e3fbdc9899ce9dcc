"""Wallet records and e-wallet statements: addresses, txids, time range, Decimal totals."""

from __future__ import annotations

from pathlib import Path

from evidence.profiles.values import parse_amount, parse_time
from tests.profiles.profile_support import DATA, profile_of, values

WALLET = DATA / "wallet"


def test_qiwi_statement_cp1251_semicolon_decimal_comma() -> None:
    p = profile_of(WALLET / "qiwi_statement_cp1251.csv")
    assert p["kind"] == "e-wallet-statement"
    assert p["columns"][3] == "Кошелёк/Контрагент"  # decoded from windows-1251
    assert p["rows"] == 5 and p["rows_unparsed"] == 0
    assert p["time_range"] == {"first": "2026-11-02T10:15:33", "last": "2026-11-05T08:30:00"}
    totals = {(t["counterparty"], t["currency"]): t for t in p["totals"]}
    # "+7 916 123-45-67" and "79161234567" are one QIWI wallet
    qiwi = totals[("+79161234567", "RUB")]
    assert (qiwi["count"], qiwi["incoming"], qiwi["outgoing"], qiwi["net"]) == (
        2,
        "1500.00",
        "300.50",
        "1199.50",
    )
    # the payment card counterparty is masked (PCI): first six and last four only
    assert ("card 427638******5679", "RUB") in totals
    assert all("4276380012345679" not in str(t) for t in p["totals"])
    by_currency = {t["currency"]: t["net"] for t in p["totals_by_currency"]}
    assert by_currency == {"KZT": "50.00", "RUB": "2199.50"}
    assert values(p, "phone") == {"+79161234567", "+79257654321", "+77012345678"}


def test_webmoney_statement_purses_and_offsets() -> None:
    p = profile_of(WALLET / "webmoney_statement.csv")
    assert p["kind"] == "e-wallet-statement"
    totals = {(t["counterparty"], t["currency"]): t["net"] for t in p["totals"]}
    assert totals == {
        ("R111122223333", "WMR"): "3000.00",
        ("Z123456789012", "WMZ"): "1250.00",
        ("Z987654321098", "WMZ"): "-200.00",
    }
    assert p["time_range"]["first"] == "2026-11-01T05:00:00Z"  # +03:00 turned into UTC
    assert values(p, "e-wallet") == {"R111122223333", "Z123456789012", "Z987654321098"}


def test_electrum_history_is_wallet_record_with_txids() -> None:
    p = profile_of(WALLET / "electrum_history.csv")
    assert p["kind"] == "wallet-record"
    assert {a["value"] for a in p["addresses"]} == {
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "3LRW7jeCvQCRdPF8S3yUCfRAx4eqXFmdcr",
    }
    assert len(p["txids"]) == 3
    assert p["time_range"]["last"] == "2026-11-10T07:01:00"


def test_explorer_json_with_raw_segwit_transaction() -> None:
    p = profile_of(WALLET / "explorer_address.json")
    assert p["kind"] == "wallet-record" and p["format"] == "json"
    computed = [t for t in p["txids"] if t["detail"] == "computed from raw transaction"]
    assert [t["value"] for t in computed] == [
        "60f04167a0c94d6439102f7fde9ad77c08a8716419805e77ef66b286cc5c7f87"
    ]
    eth = {a["value"]: a["valid"] for a in p["addresses"] if a["kind"] == "ethereum-address"}
    assert eth == {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": True,
        "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359": None,  # lower case: no checksum to check
    }
    assert p["time_range"]["first"] == "2026-11-02T10:15:33Z"  # block_time unix seconds
    # the txid field and the "hash" of a transaction-shaped object (from/to) are txids
    assert {t["value"] for t in p["txids"]} == {
        "60f04167a0c94d6439102f7fde9ad77c08a8716419805e77ef66b286cc5c7f87",
        "a0ff943d3f644d8832b1fa74be4d0ad2577615dc28a7ef74ff8c271b603a082a",
        "0x" + "ab" * 32,
    }


def test_text_notes_mark_checksum_failures() -> None:
    p = profile_of(WALLET / "notes.txt")
    assert p["kind"] == "wallet-record" and p["format"] == "text"
    verdicts = {(a["value"], a["valid"]) for a in p["addresses"]}
    assert ("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", True) in verdicts
    assert ("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMX", False) in verdicts
    assert ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", False) in verdicts
    assert values(p, "e-wallet") == {"Z123456789012"}


def test_amounts_and_times() -> None:
    assert str(parse_amount("-1 234,50 ₽", comma_decimal=True)) == "-1234.50"
    assert str(parse_amount("1,500", comma_decimal=True)) == "1.500"
    assert str(parse_amount("1,500", comma_decimal=False)) == "1500"
    assert str(parse_amount("1.234.567,89", comma_decimal=False)) == "1234567.89"
    assert parse_amount("двести", comma_decimal=True) is None
    assert parse_time("31.02.2026 10:00") is None
    assert parse_time("2026-11-02T10:15:33+03:00") == "2026-11-02T07:15:33Z"


def test_large_statement_totals_bounded(tmp_path: Path) -> None:
    rows = ["Дата;Сумма;Кошелёк/Контрагент"]
    rows += [f"01.11.2026;10,00;+7916{i:07d}" for i in range(3000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert p["rows"] == 3000
    assert len(p["totals"]) == 1001  # 1000 counterparties + one shared overflow bucket
    assert p["truncated"] is True
    others = [t for t in p["totals"] if t["counterparty"] == "(other counterparties)"]
    assert others[0]["count"] == 2000
