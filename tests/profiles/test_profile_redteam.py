"""Fresh samples written as the apps (and the spreadsheets investigators open them in) write
them, in other encodings and locales: each finding of that exercise, and its fix, is a test.

- an Etherscan export saved again by a Russian-locale Excel (`;`, decimal commas): "0,750" was
  read as 750 ETH;
- a statement saved by Excel as "Unicode text" (UTF-16LE, tab-separated, a `.txt` name) was
  typed a plain document with no totals;
- a card number inside a counterparty cell ("Тинькофф, карта 4276 ...") was copied into the
  profile unmasked;
- a total line inside a statement's table ("Итого операций: 5") was an unread transaction,
  marking a fully read file incomplete;
- a Garantex-style statement (no public layout exists: see docs/formats.md) in KOI8-R, and
  Viber histories in UTF-16BE and KOI8-R, are read whole.
"""

from __future__ import annotations

from pathlib import Path

from evidence.excerpt import layout_of, records, rule_for
from evidence.excerpt.split import VIBER
from tests.profiles.profile_support import DATA, assert_json_types, profile_of

GARANTEX_STYLE = DATA / "exchanges" / "garantex_style_statement_koi8r.csv"
EXCEL_ETHERSCAN = DATA / "explorers" / "etherscan_saved_again_in_russian_excel.csv"
UNICODE_TEXT = DATA / "exchanges" / "bybit_funding_saved_as_unicode_text.txt"
VIBER_UTF16 = DATA / "viber" / "Viber Obmennik Sergei utf16be.csv"
VIBER_KOI8 = DATA / "viber" / "Olya-all koi8r.csv"


def _moved(profile: dict[str, object]) -> dict[str, tuple[str, str]]:
    totals = profile["totals_by_currency"]
    assert isinstance(totals, list)
    return {t["currency"]: (t["incoming"], t["outgoing"]) for t in totals}


def test_decimal_commas_of_a_semicolon_file_are_decimal_marks() -> None:
    profile = profile_of(EXCEL_ETHERSCAN)
    assert profile["layout"] == "Etherscan transactions" and profile["delimiter"] == ";"
    # "1,125" sent and "0,750" (failed) are 1.125 and 0.75 ETH, never 1125 and 750
    assert _moved(profile) == {"ETH": ("2.5", "1.125")}
    assert profile["failed_rows"][0]["amount"] == "0.750"
    own = {(f["paid_by"], f["total"]) for f in profile["fees_by_currency"]}
    assert own == {("other side", "0.000378"), ("own address", "0.000411")}


def test_a_statement_saved_as_unicode_text_is_typed_by_its_content(tmp_path: Path) -> None:
    profile = profile_of(UNICODE_TEXT)
    assert profile["detection"]["format"] == "statement-csv"
    assert (profile["encoding"], profile["delimiter"]) == ("utf-16", "\t")
    assert profile["layout"] == "Bybit deposits/withdrawals"
    assert profile["rows"] == 3 and profile["records"]["complete"] is True
    assert _moved(profile) == {"USDT": ("2000", "1950.5")}
    # the same bytes in UTF-16BE, and a tab-separated text of no statement: still text
    big = tmp_path / "funding.txt"
    text = UNICODE_TEXT.read_bytes()[2:].decode("utf-16-le")
    big.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert _moved(profile_of(big)) == {"USDT": ("2000", "1950.5")}
    notes = tmp_path / "notes.txt"
    notes.write_text("имя\tзаметка\nОля\tзвонить вечером\n", encoding="utf-8")
    assert profile_of(notes)["detection"]["format"] == "text"


def test_card_numbers_inside_counterparty_cells_are_masked() -> None:
    profile = profile_of(GARANTEX_STYLE)
    (cancelled,) = profile["failed_rows"]
    assert cancelled["counterparty"] == "Тинькофф, карта 427638******5679"
    text = repr(profile)
    assert "4276 3800 1234 5679" not in text and "4276380012345679" not in text
    assert profile["card_like_numbers_omitted"] == 1
    assert_json_types(profile)


def test_a_garantex_style_statement_is_read_whole() -> None:
    # title lines, ";", KOI8-R, "+1 500,00" in, "-96 350,50" out, a fee column, an address or
    # bank details column, a txid column, a cancelled row, a blank row and a total line
    profile = profile_of(GARANTEX_STYLE)
    assert (profile["encoding"], profile["delimiter"], profile["header_row"]) == (
        "koi8-r",
        ";",
        5,
    )
    assert (profile["rows"], profile["blank_rows"], profile["rows_unparsed"]) == (6, 1, 0)
    assert profile["records"]["complete"] is True
    assert profile["rows_failed"] == 1
    assert _moved(profile) == {
        "BTC": ("0", "0.0105"),
        "RUB": ("400.00", "0"),
        "USDT": ("1500.00", "1200.00"),
    }
    fees = {(f["currency"], f["total"], f.get("failed_total")) for f in profile["fees_by_currency"]}
    assert fees == {("BTC", "0.0002", None), ("RUB", "0", "150.00"), ("USDT", "1.00", None)}
    parties = {t["counterparty"] for t in profile["totals"]}
    assert "TNcARP1mhSQpKLEnL9KkejSDbVJ4ZZoddb" in parties
    assert "Сбербанк, счёт 40817810099910004312" in parties
    notices = " ".join(profile["notices"])
    assert "rows 1-4) are titles" in notices
    assert "1 row(s) hold one cell of text and no amount (rows 12)" in notices


def test_a_one_cell_row_with_a_date_is_still_an_unread_transaction(tmp_path: Path) -> None:
    # a row whose delimiters were lost is one cell too: it holds a date, so it is a
    # transaction that could not be read, named as such, not a title
    path = tmp_path / "statement.csv"
    path.write_text(
        "Дата;Сумма;Валюта\n01.11.2026;+100,00;RUB\n02.11.2026,-50,00,RUB\n", encoding="utf-8"
    )
    profile = profile_of(path)
    assert profile["rows_unparsed"] == 1 and profile["records"]["complete"] is False
    assert profile["records"]["not_read_list"][0]["where"] == "row 3"


def test_viber_histories_in_utf16be_and_koi8r() -> None:
    for path, messages, continued in ((VIBER_UTF16, 4, 1), (VIBER_KOI8, 3, 1)):
        profile = profile_of(path)
        assert profile["kind"] == "viber-chat" and profile["message_count"] == messages
        assert profile["records"] == {
            "unit": "messages",
            "read": messages,
            "not_read": 0,
            "not_read_list": [],
            "complete": True,
        }
        assert any(f"{continued} line(s) continue the message" in n for n in profile["notices"])
        # one excerpt record per message, in either encoding
        data = path.read_bytes()
        assert rule_for(layout_of(path, path.name, "")) == VIBER
        assert len(records(data, VIBER)) == messages
    names = {p["name"] for p in profile_of(VIBER_UTF16)["participants"]}
    assert names == {"Me", "Обменник Сергей"}


def test_discord_csv_attachment_names_leave_the_cdn_signature_out(tmp_path: Path) -> None:
    # DiscordChatExporter writes attachment URLs as Discord serves them: signed since 2023
    path = tmp_path / "usdt-otc - deals [1302211190446407751].csv"
    url = (
        "https://cdn.discordapp.com/attachments/1302211190446407751/1302211190446407752/"
        "receipt.jpg?ex=6744a1b2&is=67435032&hm=ab12cd34ef56"
    )
    path.write_text(
        "\ufeffAuthorID,Author,Date,Content,Attachments,Reactions\r\n"
        '"902213847560192837","Pavel#4412","2026-12-01T09:16:40.0000000+03:00",'
        f'"ok, sent","{url}",""\r\n',
        encoding="utf-8",
    )
    profile = profile_of(path)
    assert [a["name"] for a in profile["attachments"]] == ["receipt.jpg"]
    assert "hm=" not in repr(profile)
