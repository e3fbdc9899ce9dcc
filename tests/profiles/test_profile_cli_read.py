"""A partial read is said where people look: `item show`, its --json, and the custody report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_cli import CASE, Shell, _ingest, _item_id

BC1 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def _statement(tmp_path: Path) -> Path:
    path = tmp_path / "выписка.csv"
    path.write_text(
        "Дата;Сумма;Валюта;Контрагент\n"
        "02.11.2026;+400,00;RUB;Иванов\n"
        f"03.11.2026;сумма скрыта;RUB;{BC1}\n",
        encoding="cp1251",
    )
    return path


def test_item_show_and_json_say_what_was_not_read(sh: Shell, tmp_path: Path) -> None:
    _ingest(sh, _statement(tmp_path))
    item = _item_id(sh)
    text = sh("item", "show", item).stdout
    assert "partial read: 1 rows read, 1 not read; row 3: no amount could be read" in text
    shown = json.loads(sh("item", "show", item, "--json").stdout)
    assert shown["read"].startswith("partial read: 1 rows read, 1 not read")
    assert shown["profile"]["records"]["not_read_list"][0]["where"] == "row 3"
    assert BC1 in {i["value"] for i in shown["profile"]["identifiers"]}


def test_custody_report_names_the_partial_read_in_both_languages(sh: Shell, tmp_path: Path) -> None:
    _ingest(sh, _statement(tmp_path))
    for lang, line in (
        ("en", "partially: 1 of 2 records not read"),
        ("ru", "частично: не прочитано записей — 1 из 2"),
    ):
        out = tmp_path / f"report-{lang}.pdf"
        sh("report", CASE, "-o", str(out), "--lang", lang)
        text = subprocess.run(
            ["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert line in " ".join(text.split())
