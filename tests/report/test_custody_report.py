"""The custody report PDF, read back with poppler: content, Cyrillic, pages, fonts, wrapping."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.report import collect_custody_report, render_custody_report
from evidence.report.model import CustodyReportData

from .conftest import (
    CASE,
    CHAT_NAME,
    EXPERT,
    INVESTIGATOR,
    LOCATION,
    LONG_NAME,
    CaseWorld,
    misspell_last_location,
    page_count,
    pdffonts,
    pdftotext,
    unwrapped,
)

GENERATED_AT = "2026-11-25T19:36:33.123456Z"


@pytest.fixture(scope="module")
def data(case_ws: CaseWorld) -> CustodyReportData:
    result = audit(case_ws.ws, CASE, fixity=True, workers=1)
    return collect_custody_report(
        case_ws.ws, CASE, None, result, generated_by="auditor", generated_at=GENERATED_AT
    )


@pytest.fixture(scope="module")
def pdf(data: CustodyReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "custody-report.pdf"
    path.write_bytes(render_custody_report(data))
    return path


def test_title_block_and_verdict_up_front(pdf: Path, data: CustodyReportData) -> None:
    first = pdftotext(pdf, "-f", "1", "-l", "1")
    assert "CHAIN OF CUSTODY REPORT" in first
    assert "Мошенничество с криптовалютой" in first
    assert "2026-11-25 19:36:33 UTC" in first  # to the second; the zone is UTC here
    assert "auditor" in first
    assert f"version {data.tool_version}" in first
    assert "VERIFIED" in first
    assert "FAILED" not in first
    for check in ("schema", "signatures", "chains", "checkpoint", "fixity"):
        assert check in first
    assert "Vault files were re-hashed (fixity)" in first


def test_cyrillic_names_places_and_files_render_as_text(pdf: Path) -> None:
    # Cells wrap at spaces: compare with runs of white space made single spaces.
    text = " ".join(pdftotext(pdf, "-raw").split())
    for expected in (INVESTIGATOR, EXPERT, CHAT_NAME, LOCATION, "экспертиза по", "Zürich — ok"):
        assert expected in text, expected
    # Long names wrap: the name is there once line breaks from wrapping are removed.
    assert unwrapped(LONG_NAME) in unwrapped(pdftotext(pdf, "-raw"))


def test_every_page_numbered_and_carries_the_case(pdf: Path) -> None:
    total = page_count(pdf.read_bytes())
    assert total >= 2
    for page in range(1, total + 1):
        text = pdftotext(pdf, "-f", str(page), "-l", str(page))
        assert f"page {page} of {total}" in text
        assert CASE in text
        assert "ledger checkpoint #1 root SHA-256" in text


def test_full_digests_printed(pdf: Path, data: CustodyReportData, case_ws: CaseWorld) -> None:
    raw = unwrapped(pdftotext(pdf, "-raw"))
    for item in case_ws.items:
        assert item.sha256 in raw
    for signer in data.signers:
        assert signer.fingerprint in raw
    assert data.checkpoint_root is not None and data.checkpoint_root in raw


def test_every_event_is_listed(pdf: Path, data: CustodyReportData) -> None:
    text = pdftotext(pdf)
    assert data.event_count == 5 * len(data.items)  # profiled at ingest + 4
    assert text.count("transferred") >= len(data.items)
    assert text.count("received") >= len(data.items)
    assert f"items: {len(data.items)}; events: {data.event_count}; verdict: VERIFIED" in text


def test_only_embedded_dejavu_fonts(pdf: Path) -> None:
    fonts = pdffonts(pdf)
    assert fonts, "no fonts listed"
    names = {row[0].split("+")[-1] for row in fonts}
    assert names <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"}, names
    assert all(row[-5] == "yes" for row in fonts), "every font must be embedded"


def test_nothing_runs_off_the_page(pdf: Path) -> None:
    done = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True
    )
    right_edges = [
        float(part.split('"')[1])
        for line in done.stdout.splitlines()
        if line.lstrip().startswith("<word")
        for part in line.split()
        if part.startswith("xMax=")
    ]
    assert right_edges
    assert max(right_edges) <= 595.3 - 30, max(right_edges)  # A4 width minus 10.6 mm


def test_page_renders_as_png(pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    (png,) = tmp_path.glob("p*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_data_same_bytes(data: CustodyReportData) -> None:
    assert render_custody_report(data) == render_custody_report(data)


def test_not_audited_never_says_verified(case_ws: CaseWorld) -> None:
    data = collect_custody_report(case_ws.ws, CASE, None, None, generated_by="x")
    text = pdftotext(render_custody_report(data))
    assert "NOT AUDITED" in text
    assert "VERIFIED" not in text
    assert "No ledger audit was run" in text


def test_selected_items_only(case_ws: CaseWorld) -> None:
    chosen = [i for i in case_ws.items if i.original_name == CHAT_NAME]
    data = collect_custody_report(case_ws.ws, CASE, [chosen[0].item_id[:6]], None)
    assert [t.item.item_id for t in data.items] == [chosen[0].item_id]
    text = pdftotext(render_custody_report(data))
    assert "selected items of the case: 1" in text
    assert "wallet-00.csv" not in text


def test_tampered_ledger_prints_failed_with_findings(fresh_ws: CaseWorld) -> None:
    misspell_last_location(fresh_ws)
    result = audit(fresh_ws.ws, CASE, workers=1)
    assert not result.ok
    data = collect_custody_report(fresh_ws.ws, CASE, None, result)
    text = pdftotext(render_custody_report(data))
    assert "FAILED" in text
    assert "VERIFIED" not in text.replace("verdict FAILED", "")
    assert f"Findings ({len(result.findings)})" in text
    assert "INVALID" in text  # the edited event's signature column
    assert "Сурганава" in text  # what the ledger now says is shown, not hidden


def test_unknown_glyphs_are_spelled_out(data: CustodyReportData) -> None:
    case = replace(data.case, title="Дело 中文 case")
    text = pdftotext(render_custody_report(replace(data, case=case)))
    assert "Дело [U+4E2D][U+6587] case" in text
