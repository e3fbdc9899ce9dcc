"""`item list` and `item show` fit the terminal ($COLUMNS), as `log`, `audit` and `verify` do;
--wide prints full lines. Nothing is lost by fitting: every name and digest is still there."""

from __future__ import annotations

import json
from pathlib import Path

from evidence.cli.view import display_width

from tests.test_cli import CASE, Shell, _ingest, _item_id

LONG_NAME = "переписка ВКонтакте с подозреваемым за ноябрь 2026 года (полная выгрузка).txt"


def _widest(text: str) -> int:
    return max(display_width(line) for line in text.splitlines())


def _seized(sh: Shell, photo: Path, tmp_path: Path) -> str:
    folder = tmp_path / "seized-width"
    folder.mkdir()
    (folder / LONG_NAME).write_text("Андрей: скинь номер карты\n", encoding="utf-8")
    (folder / photo.name).write_bytes(photo.read_bytes())
    _ingest(sh, folder)
    item = _item_id(sh)
    sh(
        "item",
        "amend",
        item,
        "--source",
        "Samsung A51, IMEI 356938035643809, изъят при обыске по адресу: Минск, ул. Ленина, 1",
        "--reason",
        "серийный номер уточнён по протоколу изъятия № 17 от 2 ноября 2026 года",
        "--as",
        "A. Ivanov",
    )
    return item


def test_item_list_fits_and_wide_shows_full_lines(sh: Shell, photo: Path, tmp_path: Path) -> None:
    _seized(sh, photo, tmp_path)
    items = json.loads(sh("item", "list", "--json").stdout)
    for args in (("item", "list"), ("item", "list", "--case", CASE)):
        for columns in ("80", "60", "40"):
            out = sh(*args, env={"COLUMNS": columns}).stdout
            assert _widest(out) <= int(columns), (columns, out)
            flat = "".join(out.split())
            for i in items:
                assert i["item_id"] in flat and i["digests"]["sha256"][:16] in flat
                assert "".join(i["original_name"].split()) in flat
    with_case = sh("item", "list", "--case", CASE, env={"COLUMNS": "80"}).stdout
    assert with_case.splitlines()[0].split() == ["ITEM", "TYPE", "SIZE", "SHA-256", "NAME"]
    wide = sh("item", "list", "--wide", env={"COLUMNS": "40"}).stdout
    assert wide.splitlines()[0].split() == ["ITEM", "CASE", "TYPE", "SIZE", "SHA-256", "NAME"]
    assert any(LONG_NAME in line for line in wide.splitlines())


def test_item_show_fits_and_wide_shows_full_lines(sh: Shell, photo: Path, tmp_path: Path) -> None:
    item = _seized(sh, photo, tmp_path)
    shown = json.loads(sh("item", "show", item, "--json").stdout)
    for columns in ("80", "60"):
        out = sh("item", "show", item, env={"COLUMNS": columns}).stdout
        head = out.split("profile:")[0]  # the profile is JSON, printed as data
        assert _widest(head) <= int(columns), (columns, head)
        flat = "".join(head.split())
        assert shown["digests"]["sha512"] in flat  # a digest cut into lines, whole
        assert "изъятияNo17" not in flat and "протоколуизъятия№17" in flat  # the reason
    wide = sh("item", "show", item, "--wide", env={"COLUMNS": "60"}).stdout
    assert any(shown["digests"]["sha512"] in line for line in wide.splitlines())
    assert _widest(wide.split("profile:")[0]) > 100
