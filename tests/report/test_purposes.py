"""The purposes custody writes by itself are said in the report's language; a person's own
purpose is printed as recorded."""

from __future__ import annotations

import ast
from pathlib import Path

from evidence.messages import Words, message_ids
from evidence.report.custody import render_custody_report
from evidence.report.locale import Locale
from evidence.report.produce import custody_report
from evidence.report.purposes import FIXED, PATTERNS, tool_purpose

from .conftest import CASE, CaseWorld, pdftotext

ROOT = Path(__file__).resolve().parents[2]


def _written_purposes() -> list[ast.expr]:
    """Every purpose the library writes as a literal or an f-string (purpose=..., or the
    "purpose" key of an event's fields)."""
    found: list[ast.expr] = []
    for path in (ROOT / "evidence").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "purpose":
                found.append(node.value)
            elif isinstance(node, ast.Dict):
                found += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "purpose"
                ]
    return [v for v in found if isinstance(v, (ast.Constant, ast.JoinedStr))]


def _sample(value: ast.expr) -> str:
    if isinstance(value, ast.Constant):
        return str(value.value)
    assert isinstance(value, ast.JoinedStr)
    return "".join(
        str(part.value) if isinstance(part, ast.Constant) else "No.7/1-2026"
        for part in value.values
    )


def test_every_purpose_the_tool_writes_is_said_in_russian() -> None:
    written = [_sample(v) for v in _written_purposes()]
    assert len(written) >= 8, written
    for purpose in written:
        assert tool_purpose(Words("ru"), purpose) != purpose, purpose
    have = message_ids("ru")
    assert set(FIXED) | {msgid for msgid, _ in PATTERNS} <= have


def test_own_words_are_printed_as_recorded() -> None:
    for purpose in ("storage pending forensic examination", "sent with the courier", ""):
        assert tool_purpose(Words("ru"), purpose) == purpose
    assert tool_purpose(Words("en"), "ingest into the evidence vault") == (
        "ingest into the evidence vault"
    )


def test_russian_custody_report_says_the_tools_purposes_in_russian(fresh_ws: CaseWorld) -> None:
    text = " ".join(
        pdftotext(
            render_custody_report(custody_report(fresh_ws.ws, CASE, locale=Locale("ru")))
        ).split()
    )
    assert "помещение в хранилище доказательств" in text
    assert "ingest into the evidence vault" not in text
