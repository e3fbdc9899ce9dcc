"""`custody event --from FILE.csv`: one event per row, every row checked before the passphrase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import CASE, Shell, _ingest

from .test_selection import _actions
from .test_small_ones import many_problems


@pytest.fixture
def three(sh: Shell, tmp_path: Path) -> list[str]:
    """Three chat exports held in the case: their item ids."""
    for n in (1, 2, 3):
        (tmp_path / f"chat-{n}.txt").write_text(f"VK chat export {n}\n", encoding="utf-8")
    _ingest(sh, *(tmp_path / f"chat-{n}.txt" for n in (1, 2, 3)))
    return [i["item_id"] for i in json.loads(sh("item", "list", "--case", CASE, "--json").stdout)]


def _file(tmp_path: Path, *lines: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rows_are_recorded_in_file_order(sh: Shell, three: list[str], tmp_path: Path) -> None:
    a, b, c = three
    csv_file = _file(
        tmp_path,
        "item,action,seal,note,location",
        f"{a[:6]},sealed,0042117,bagged,Room 3",
        f'{b},accessed,,"looked, briefly",',
        f"{a},unsealed,0042117,,",
        f"{a},analysed,,EXIF,",
    )
    out = sh(
        "event", "--from", str(csv_file), "--as", "Evidence Room", "--location", "Lab", "--json"
    )
    events = [e["event"] for e in json.loads(out.stdout)]
    assert [(e["item_id"], e["action"]) for e in events] == [
        (a, "sealed"),
        (b, "accessed"),
        (a, "unsealed"),
        (a, "analysed"),
    ]
    assert [e["location"] for e in events] == ["Room 3", "Lab", "Lab", "Lab"]
    assert events[0]["details"] == {"seal": "0042117"} and events[1]["note"] == "looked, briefly"
    assert _actions(sh, a) == ["ingested", "profiled", "sealed", "unsealed", "analysed"]
    assert _actions(sh, c) == ["ingested", "profiled"]
    sh("audit")


def test_a_later_row_sees_an_earlier_seal(sh: Shell, three: list[str], tmp_path: Path) -> None:
    a = three[0]
    csv_file = _file(tmp_path, "item,action,seal", f"{a},sealed,7", f"{a},accessed,")
    result = sh("event", "--from", str(csv_file), "--as", "Evidence Room", "--quiet")
    assert f"item {a} is under seal 7: this accessed event" in result.stderr


def test_every_bad_row_is_named_and_nothing_written(
    sh: Shell, three: list[str], tmp_path: Path
) -> None:
    a, b, _ = three
    csv_file = _file(
        tmp_path,
        "item,action,seal,note",
        f"{a},accessed,,fine",
        "ffffffffffff,accessed,,",
        f"{b},sealed,,",
        f"{b},accessed,9,",
        f"{a},exported,,",
        f"{a},accessed,,{'x' * 10_001}",
        "ab,accessed,,",
    )
    result = many_problems(
        sh,
        "event",
        "--from",
        str(csv_file),
        "--as",
        "Evidence Room",
    )
    assert "6 row(s) cannot be recorded; nothing was written" in result.stderr
    for what in (
        "line 3: unknown item 'ffffffffffff'",
        "line 4: sealed needs a seal number",
        "line 5: a seal number goes only with sealed or unsealed",
        "line 6: action 'exported' is not one of",
        "line 7: note: ",
        "line 8: item id 'ab' is too short",
    ):
        assert what in result.stderr
    assert "line 2" not in result.stderr
    assert _actions(sh, a) == ["ingested", "profiled"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"item,when\nabcd,now\n", "the header must name the columns item, action"),
        (b"item,action,item\n", "each once"),
        (b"item,action\n", "no events in the file"),
        (b"item,action\nabcd\n", "line 2: 1 cells, the header names 2"),
        (b"item,action\n\xff\xfe,accessed\n", "not UTF-8 text"),
        (b'item,action\n"abcd,accessed\n', "not valid CSV"),
    ],
)
def test_a_file_that_is_not_an_event_list_is_refused(
    sh: Shell, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = sh("event", "--from", str(path), "--as", "Evidence Room", code=3)
    assert f"{path}" in result.stderr and message in result.stderr


def test_from_goes_alone(sh: Shell, three: list[str], tmp_path: Path) -> None:
    csv_file = _file(tmp_path, "item,action", f"{three[0]},accessed")
    args = ("event", three[1], "--from", str(csv_file), "--as", "Evidence Room")
    result = sh(*args, code=2)
    assert "--from FILE.csv goes without ITEMS" in result.stderr
    missing = sh("event", three[1], "--as", "Evidence Room", code=2)
    assert "missing option '--action'" in missing.stderr
