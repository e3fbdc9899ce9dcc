"""`custody report` through the real entry point: files written, formats, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import CASE, CHAT_NAME, EXPERT, CaseWorld, page_count, pdftotext, run_cli


@pytest.mark.parametrize("extra", [[], ["--fixity"]])
def test_writes_pdf_and_says_where(case_ws: CaseWorld, tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / "custody-report.pdf"
    res = run_cli("report", CASE, "-o", str(out), "--as", EXPERT, *extra, workspace=case_ws.ws.root)
    assert res.code == 0, res.stderr
    assert f"wrote {out}" in res.stderr and "verdict VERIFIED" in res.stderr
    assert res.stdout == b""
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = pdftotext(pdf)
    assert EXPERT in text and f"page 1 of {page_count(pdf)}" in text
    assert ("re-hashed (fixity)" in text) == bool(extra)


def test_csv_to_stdout(case_ws: CaseWorld) -> None:
    res = run_cli("report", CASE, "--format", "csv", "-o", "-", workspace=case_ws.ws.root)
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout.decode())))
    assert len(rows) == 5 * len(case_ws.items)  # profiled at ingest + 4


def test_format_from_suffix_and_item_selection(case_ws: CaseWorld, tmp_path: Path) -> None:
    chat = next(i for i in case_ws.items if i.original_name == CHAT_NAME)
    out = tmp_path / "part.json"
    res = run_cli(
        "report", CASE, "--items", chat.item_id[:8], "-o", str(out), workspace=case_ws.ws.root
    )
    assert res.code == 0, res.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [i["item_id"] for i in doc["items"]] == [chat.item_id]
    assert doc["selected_items"] is True


def test_unknown_case_is_operational_error(case_ws: CaseWorld, tmp_path: Path) -> None:
    res = run_cli("report", "NO-SUCH", "-o", str(tmp_path / "r.pdf"), workspace=case_ws.ws.root)
    assert res.code == 3
    assert "unknown case" in res.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_unwritable_target_is_operational_error(case_ws: CaseWorld, tmp_path: Path) -> None:
    res = run_cli(
        "report", CASE, "-o", str(tmp_path / "missing" / "r.pdf"), workspace=case_ws.ws.root
    )
    assert res.code == 3
    assert "cannot write report" in res.stderr


def test_bad_format_is_usage_error(case_ws: CaseWorld) -> None:
    res = run_cli("report", CASE, "--format", "docx", workspace=case_ws.ws.root)
    assert res.code == 2


def test_unknown_item_is_operational_error(case_ws: CaseWorld) -> None:
    res = run_cli("report", CASE, "--items", "zzzz", workspace=case_ws.ws.root)
    assert res.code == 3 and "unknown item" in res.stderr


def test_help_documents_the_command(case_ws: CaseWorld) -> None:
    res = run_cli("report", "--help", workspace=case_ws.ws.root)
    assert res.code == 0
    assert b"custody report BY-2026-0042 -o custody-report.pdf" in res.stdout
