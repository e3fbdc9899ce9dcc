"""Nothing from evidence, a ledger or a bundle reaches a terminal raw: C0, C1 and bidi controls
are escaped in text, tables and JSON, and CSV cells cannot start a spreadsheet formula."""

from __future__ import annotations

import json

import pytest
from evidence.cli import output

from evidence.identifiers import IdentifierRow, identifiers_csv

OSC = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
CSI = "\x1b[2J\x1b[31mred"
C1_CSI = "\x9b2J"
BIDI = "photo\u202egpj.exe"
ISOLATE = "\u2067name\u2069"

PAYLOADS = [OSC, CSI, C1_CSI, BIDI, ISOLATE, "a\u200fb", "line\nbreak", "\x85next"]
UNSAFE = set(
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u061c", "\u200e", "\u200f"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_printable_escapes_every_control(payload: str) -> None:
    shown = output.printable(payload)
    assert not set(shown) & UNSAFE, repr(shown)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_tables_and_fields_escape(payload: str) -> None:
    text = output.table(["A"], [[payload]]) + output.fields([("k", payload)])
    assert not set(text.replace("\n", "")) & UNSAFE


@pytest.mark.parametrize("payload", PAYLOADS)
def test_json_escapes_yet_keeps_the_value(payload: str, capsys: pytest.CaptureFixture[str]) -> None:
    output.emit_json({"name": payload})
    out = capsys.readouterr().out
    assert not set(out.replace("\n", "")) & UNSAFE
    assert json.loads(out) == {"name": payload}


def test_csv_on_a_terminal_is_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    output.emit_csv(f"kind,value\r\nurl,{OSC}\r\n")
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_formula_guard(lead: str) -> None:
    row = IdentifierRow("url", f'{lead}HYPERLINK("http://evil")', None, ("a",), f"{lead}1+1")
    text = identifiers_csv([row])
    body = text.split("\r\n", 1)[1]
    assert f",'{lead}HYPERLINK" in body or f"\"'{lead}HYPERLINK" in body
