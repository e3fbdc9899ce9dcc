"""Nothing lost in silence: every row of a CSV is read or named as not read, whatever its
layout; an unknown layout falls back to a generic scan that says so."""

from __future__ import annotations

from pathlib import Path

from evidence.profiles import build_profile, read_summary
from tests.profiles.profile_support import profile_of, values

BC1 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
TX = "9f2c0b7d4e1a6c3b8d5e2f7a4c1b6d3e8f5a2c7b4d1e6f3a8c5b2d7e4f1a6c3b"
ETH = "0x0B3cd253423daC920E43Cae7D15C5C2B012AE806"


def test_twelve_line_csv_of_unknown_layout_reads_the_address_in_its_last_row(
    tmp_path: Path,
) -> None:
    # the case: no statement header in the first 12 rows used to swallow all 12
    lines = ["when,what,where"] + [f"2026-11-{d:02d},meeting,office {d}" for d in range(1, 11)]
    lines.append(f"2026-11-11,paid to,{BC1}")
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert p["rows"] == 11
    assert values(p, "bitcoin-address") == {BC1}
    assert p["records"] == {
        "unit": "rows", "read": 11, "not_read": 0, "not_read_list": [], "complete": True
    }  # fmt: skip
    assert any("generic CSV scan" in n for n in p["notices"])
    assert p["time_range"] == {"first": "2026-11-01T00:00:00", "last": "2026-11-11T00:00:00"}


def test_headerless_csv_counts_every_row(tmp_path: Path) -> None:
    lines = [f"2026-11-{d:02d};{d}00;office {d}" for d in range(1, 12)] + [f"2026-11-12;1;{BC1}"]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert (p["rows"], p["header_row"], p["delimiter"]) == (12, None, ";")
    assert values(p, "bitcoin-address") == {BC1}
    assert any("no header row" in n for n in p["notices"])


def test_forty_one_rows_are_forty_one(tmp_path: Path) -> None:
    lines = ["id,memo"] + [f"{i},note {i}" for i in range(1, 42)]
    path = tmp_path / "memo.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert p["rows"] == 41 and p["records"]["read"] == 41


def test_thirty_row_explorer_export_gives_thirty_txids(tmp_path: Path) -> None:
    header = '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","Value"'
    rows = [
        f'"0x{i:02x}{TX[2:]}","{19000000 + i}","{1793600000 + i * 60}",'
        f'"2026-11-02 10:{i:02d}:00","{ETH}","0x{i:040x}","1"'
        for i in range(30)
    ]
    path = tmp_path / "export-0x0b3c.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    p = profile_of(path)
    assert p["rows"] == 30
    assert len(values(p, "txid")) == 30


def test_statement_row_without_amount_is_named_and_still_scanned(tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_text(
        "Дата;Сумма;Валюта;Контрагент\n"
        "02.11.2026;+400,00;RUB;Иванов\n"
        f"03.11.2026;не указано;RUB;{BC1}\n",
        encoding="cp1251",
    )
    p = profile_of(path, "wallet-record")
    assert p["records"]["not_read"] == 1
    assert p["records"]["not_read_list"][0]["where"] == "row 3"
    assert "не указано" in p["records"]["not_read_list"][0]["reason"]
    assert values(p, "bitcoin-address") == {BC1}
    summary = read_summary(p)
    assert summary is not None and summary.startswith("partial read: 1 rows read, 1 not read")
    assert "row 3" in summary
    # "+400,00" is money in, not "direction unknown"
    assert p["totals_by_currency"][0]["incoming"] == "400.00"


def test_complete_read_has_no_summary_and_error_has_one(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02" * 100)
    p = build_profile(path, "wallet-record", original_name="junk.csv", media_type="", metadata={})
    assert read_summary(p) == f"not read: {p['error']}" and "looks like other" in p["error"]
    assert read_summary({"kind": "image", "profile_version": 2}) is None


def test_chat_of_unknown_layout_falls_back_to_a_line_scan_naming_why(tmp_path: Path) -> None:
    # a messenger we do not parse, typed chat-export by the investigator: never an empty profile
    path = tmp_path / "viber.txt"
    path.write_text(
        "12.11.2026 10:15 Иван: кошелёк " + BC1 + "\n12.11.2026 10:16 Ольга: +375 29 765-43-21\n",
        encoding="utf-8",
    )
    p = profile_of(path, "chat-export")
    assert p["kind"] == "text-scan" and "error" not in p
    (notice,) = p["notices"]
    assert notice.startswith("not a recognised chat export (WhatsApp, Telegram JSON or HTML")
    assert notice.endswith("every line scanned for identifiers instead (generic text scan)")
    assert values(p, "bitcoin-address") == {BC1} and values(p, "phone") == {"+375297654321"}
    assert p["records"]["read"] == 2
    assert read_summary(p) == f"all 2 lines read; {p['notices'][0]}"
