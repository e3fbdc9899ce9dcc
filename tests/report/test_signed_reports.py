"""Reports a clerk can read and a court accepts as signed: --lang/--tz, the signature and stamp
block, per-item details, PAdES signatures read back by pyhanko and by poppler's pdfsig."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.report import collect_custody_report, render_custody_report
from evidence.report.custody import irregular
from evidence.report.locale import make_locale
from evidence.report.pades import read_signatures
from evidence.timestamp import load_trust
from tests.conftest import TsaFixture

from .conftest import (
    CASE,
    EXPERT,
    CaseWorld,
    misspell_last_location,
    page_count,
    pdftotext,
    run_cli,
)

IMEI = "356938035643809"
# A time as the ledger stores it (2026-12-03T19:04:29.884313Z), any hour of the day.
STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def pdfsig(path: Path) -> str:
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def ru_pdf(case_ws: CaseWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ru") / "отчёт.pdf"
    args = ["report", CASE, "-o", str(out), "--lang", "ru", "--tz", "Europe/Minsk"]
    res = run_cli(*args, "--as", EXPERT, workspace=case_ws.ws.root)
    assert res.code == 0, res.stderr
    assert f"signed by {EXPERT}" in res.stderr
    return out


def test_russian_report_with_minsk_times_and_utc_beside(ru_pdf: Path, case_ws: CaseWorld) -> None:
    first = pdftotext(ru_pdf, "-f", "1", "-l", "1")
    assert "ОТЧЁТ О ЦЕПОЧКЕ ХРАНЕНИЯ ДОКАЗАТЕЛЬСТВ" in first
    assert "ПОДТВЕРЖДЕНО" in first and "VERIFIED" not in first
    assert f"стр. 1 из {page_count(ru_pdf.read_bytes())}" in first
    text = pdftotext(ru_pdf)
    assert "+03:00" in text and "UTC)" in text
    assert "передано" in text and "принято" in text  # actions in Russian
    # To the second, in the reader's clock: no stored RFC 3339 time printed anywhere, not in a
    # check's detail either ("checkpoint #1 (2026-…T19:04:29.884313Z) matches the ledger"
    # reached the Russian report until check details carried their times as Moments).
    assert not STORED_TIME.search(text), STORED_TIME.search(text)


def test_english_report_prints_times_to_the_second_too(case_ws: CaseWorld, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    args = ["report", CASE, "-o", str(out), "--lang", "en", "--tz", "Europe/Minsk"]
    res = run_cli(*args, "--as", EXPERT, workspace=case_ws.ws.root)
    assert res.code == 0, res.stderr
    text = pdftotext(out)
    assert "matches the ledger" in text and "+03:00" in text
    assert not STORED_TIME.search(text), STORED_TIME.search(text)


def test_signature_and_stamp_block_on_the_last_page(ru_pdf: Path) -> None:
    total = page_count(ru_pdf.read_bytes())
    last = pdftotext(ru_pdf, "-f", str(total), "-l", str(total))
    for label in ("Составил", "Должность", "Организация", "Дата", "Подпись", "Печать"):
        assert label in last, label
    assert EXPERT in last and "ГКСЭ Республики Беларусь" in last
    assert "подписан (PAdES)" in last
    # Kept with the last section: the signers table and the end line share its page.
    assert "Подписанты" in last and "Конец отчёта" in last


def test_every_item_shows_sha512_and_acquisition_method(ru_pdf: Path, case_ws: CaseWorld) -> None:
    raw = "".join(pdftotext(ru_pdf, "-raw").split())
    for item in case_ws.items:
        assert item.digests.sha512 in raw
    assert "Способизъятия" in raw and "Признакиредактирования" in raw


def test_pdf_signature_valid_for_pyhanko_and_pdfsig(ru_pdf: Path, case_ws: CaseWorld) -> None:
    (sig,) = read_signatures(ru_pdf.read_bytes())
    assert sig.ok and sig.timestamp is None  # PAdES B-B: no TSA was given
    assert EXPERT in sig.signer
    out = pdfsig(ru_pdf)
    assert "Signature is Valid" in out and EXPERT in out
    assert "Total document signed" in out


def test_one_changed_byte_breaks_the_signature(ru_pdf: Path, tmp_path: Path) -> None:
    data = bytearray(ru_pdf.read_bytes())
    spot = data.index(b"/Producer")  # inside the signed range, in the document info
    data[spot + 1] = ord("Q")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    (sig,) = read_signatures(bytes(data))
    assert not sig.intact and not sig.ok
    assert "Signature is Invalid" in pdfsig(tampered) or "Digest Mismatch" in pdfsig(tampered)


def test_signed_with_a_timestamp_is_pades_b_t(
    case_ws: CaseWorld, local_tsa: TsaFixture, tmp_path: Path
) -> None:
    out = tmp_path / "r.pdf"
    res = run_cli(
        "report",
        CASE,
        "-o",
        str(out),
        "--as",
        EXPERT,
        "--tsa",
        local_tsa.url,
        workspace=case_ws.ws.root,
    )
    assert res.code == 0, res.stderr
    (sig,) = read_signatures(out.read_bytes(), load_trust(local_tsa.ca))
    assert sig.ok and sig.timestamp is not None
    assert "Signature is Valid" in pdfsig(out)


def test_unreachable_tsa_or_unknown_zone_writes_nothing(case_ws: CaseWorld, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    args = ("report", CASE, "-o", str(out), "--as", EXPERT)
    res = run_cli(*args, "--tsa", "http://127.0.0.1:9/tsr", workspace=case_ws.ws.root)
    assert res.code == 3 and "is unreachable" in res.stderr and not out.exists()
    res = run_cli(*args, "--tz", "Mars/Olympus", workspace=case_ws.ws.root)
    assert res.code == 2 and "time zone 'Mars/Olympus' is unknown" in res.stderr
    assert not out.exists()


def test_strict_exits_1_only_when_failed(fresh_ws: CaseWorld, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert run_cli("report", CASE, "-o", str(out), "--strict", workspace=fresh_ws.ws.root).code == 0
    misspell_last_location(fresh_ws)
    res = run_cli("report", CASE, "-o", str(out), "--strict", workspace=fresh_ws.ws.root)
    assert res.code == 1 and "verdict FAILED (--strict)" in res.stderr
    assert "FAILED" in pdftotext(out)  # written all the same: it lists the findings
    assert run_cli("report", CASE, "-o", str(out), workspace=fresh_ws.ws.root).code == 0


def test_identifiers_types_and_imei_are_never_cut(case_ws: CaseWorld) -> None:
    data = collect_custody_report(case_ws.ws, CASE, None, None, generated_by="x")
    items = tuple(
        replace(
            t,
            item=replace(
                t.item,
                evidence_type="wallet-record",
                source=f"Samsung Galaxy A51 (SM-A515F/DSN), IMEI {IMEI}, изъят 02.11.2026",
            ),
        )
        for t in data.items
    )
    text = pdftotext(render_custody_report(replace(data, items=items)), "-raw")
    words = text.split()
    assert words.count(f"{IMEI},") == len(items)
    assert words.count("wallet-record") == len(items)
    for t in items:
        assert t.item.item_id in words


def test_exports_by_the_exporter_are_not_irregular(case_ws: CaseWorld) -> None:
    data = collect_custody_report(case_ws.ws, CASE, None, None, generated_by="x")
    t = data.items[0]
    last = t.events[-1]
    exported = replace(last, action="exported", by_custodian=False, seq=last.seq + 1)
    other = replace(last, action="accessed", by_custodian=False, seq=last.seq + 2)
    assert not irregular(exported) and irregular(other)
    pdf = render_custody_report(replace(data, items=(replace(t, events=(exported, other)),)))
    assert pdftotext(pdf).count("not holder") == 1


def test_locale_times() -> None:
    minsk = make_locale("ru", "Europe/Minsk")
    assert (
        minsk.when("2026-11-02T14:30:00.999999Z", " ")
        == "2026-11-02 17:30:00 +03:00 (14:30:00 UTC)"
    )
    assert make_locale("en", "-05:00").when("2026-01-01T02:00:00Z", " ") == (
        "2025-12-31 21:00:00 -05:00 (02:00:00 UTC)"
    )
    assert make_locale("en", "UTC").when("2026-01-01T02:00:00Z") == "2026-01-01 02:00:00 UTC"
    assert make_locale("en", "UTC").when("garbage") == "garbage"


@pytest.mark.parametrize("zone", ["Europe/Minsk", "UTC", "-09:30"])
def test_time_cells_fit_their_columns(zone: str) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from evidence.report.custody import EVENT_COLS, ITEM_COLS, PAD, _time
    from evidence.report.fonts import SANS
    from evidence.report.layout import CELL_SIZE, register_fonts

    register_fonts()
    cell = _time(make_locale("ru", zone), "2026-12-31T23:59:59.999999Z")
    lines = cell.split("\n")
    assert lines[0] in ("2026-12-31", "2027-01-01") and "UTC" in lines[-1]
    for width in (ITEM_COLS[4], EVENT_COLS[1]):
        assert all(stringWidth(line, SANS, CELL_SIZE) <= width - 2 * PAD for line in lines), lines


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_item_fact_labels_fit_their_column(case_ws: CaseWorld, lang: str) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from evidence.report.fonts import SANS
    from evidence.report.itemfacts import DETAIL_LABEL, item_facts
    from evidence.report.layout import CELL_SIZE, PAD

    table = item_facts(case_ws.items[0], make_locale(lang, "UTC"))
    labels = [row[0] for row in table.rows]
    assert len(labels) == 4
    for label in labels:
        for line in str(label).split("\n"):
            assert stringWidth(line, SANS, CELL_SIZE) <= DETAIL_LABEL - 2 * PAD, line
