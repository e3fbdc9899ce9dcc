"""The demo's documents, every page, in both languages: built from the demo's own sample
evidence (demo/sample-evidence) through the code path `make demo` takes (ingest, custody,
bundle with the real cover sheet, verify, verification report, audited custody report), then
read back with pdftotext: no Latin word in Russian but names, identifiers, file names and
hashes; no word cut at a line end without a hyphen; no fingerprint cut short."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.verify import verify_bundle
from evidence.cases import create_case
from evidence.custody import append_events, receive, transfer
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.keys import Signer
from evidence.report.custody import render_custody_report
from evidence.report.locale import make_locale
from evidence.report.produce import available_cover, custody_report
from evidence.report.verification import render_verification_report
from evidence.workspace import AuthoritySetup, Workspace

from .language_support import data_words
from .readback import broken_words, cut_fingerprints, known_words, problems, stored_times
from .test_verification_report import REQUEST

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "sample-evidence"
CASE = "BY-2026-0042"
PASSPHRASE = "correct horse battery"
ORG = "Investigative Committee of the Republic of Belarus"


def _key(ws: Workspace, name: str, org: str, role: str) -> Signer:
    return ws.keys.unlock(ws.keys.create(name, org, "BY", role, PASSPHRASE), PASSPHRASE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Signer, Path]]:
    root = tmp_path_factory.mktemp("demo-documents")
    ws = Workspace.init(root / "ws", AuthoritySetup("IC Head of Investigations", PASSPHRASE))
    ivanov = _key(ws, "A. Ivanov", ORG, "investigator")
    room = _key(ws, "Evidence Room", ORG, "custodian")
    expert = _key(ws, "П. Сидоров", "State Forensic Examination Committee", "expert")
    prosecutor = _key(ws, "Prosecutor", "Prosecutor General's Office of the Republic", "prosecutor")
    create_case(
        ws.ledger, CASE, "VK account takeover, card theft, QIWI cash-out", "BY", "Art. 212 CC", ""
    )
    options = IngestOptions(case=CASE, source="Samsung A51, IMEI 356938035643809")
    ingest(ws, ivanov, [SAMPLES], options)
    items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, ivanov, items, room.record, location="Minsk", purpose="storage")
    receive(ws.ledger, room, items, location="Minsk, IC evidence room")
    append_events(ws.ledger, room, items[:1], "sealed", details={"seal": "0042117"})
    append_events(ws.ledger, expert, items[1:2], "analysed", location="Минск, ГКСЭ")
    yield ws, prosecutor, root
    ws.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_demo_documents_read_back_whole(demo: tuple[Workspace, Signer, Path], lang: str) -> None:
    ws, prosecutor, root = demo
    out = root / f"request-0042-{lang}.zip"
    build_bundle(
        ws, prosecutor, CASE, out, REQUEST, cover=available_cover(lang, "request-0042"), lang=lang
    )
    with zipfile.ZipFile(out) as zf:
        top = zf.namelist()[0].split("/")[0]
        cover = zf.read(f"{top}/cover.pdf")
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
    result = verify_bundle(out, fingerprints=[prosecutor.record.fingerprint])
    assert result.status == "verified"
    locale = make_locale(lang, "Europe/Minsk")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    verification = render_verification_report(
        result, digest, verified_by="Прокурор А. Смирнов", locale=locale
    )
    audited = custody_report(ws, CASE, locale=locale)
    assert audited.verdict.audited
    custody = render_custody_report(audited)
    documents = {"cover": cover, "verification": verification, "custody": custody}
    # Recorded data prints as recorded: the manifest, and every key holder's name and
    # organisation (the custody report names signers the bundle does not carry).
    holders = [[k.name, k.organisation] for k in ws.keys.list()]
    assert problems(documents, lang, data_words([manifest, holders])) == []


def test_the_broken_word_check_can_fail() -> None:
    known = known_words(["проанализировано компьютерно-технической экспертизы"])
    assert broken_words("было проанализирова\nно экспертом", known) == ["проанализирова|но"]
    assert broken_words("компьютерно-техниче\nской", known) == ["техниче|ской"]
    assert broken_words("было проанализиро-\nвано", known) == []  # with a hyphen: fine
    assert broken_words("SHA-256 3f2a9c\nab12ef", known) == []  # a digest in lines


def test_the_cut_fingerprint_check_can_fail() -> None:
    assert cut_fingerprints("SHA-256 3f2a9c81d0e4b7a6… of") == ["3f2a9c81d0e4b7a6…"]
    assert cut_fingerprints("3f2a9c81d0e4b7a6...") == ["3f2a9c81d0e4b7a6..."]
    assert cut_fingerprints("3f2a9c81d0e4b7a6d0e4b7a63f2a9c81") == []


def test_the_stored_time_check_can_fail() -> None:
    line = "checkpoint #1 (2026-12-03T19:04:29.884313Z) matches the ledger"
    assert stored_times(line) == ["2026-12-03T19:04:29.884313Z"]
    assert stored_times("at 2026-12-03T04:05:06+03:00.") == ["2026-12-03T04:05:06+03:00"]
    assert stored_times("2026-12-03 22:04:29 +03:00 (19:04:29 UTC)") == []
    assert stored_times("EXIF 2002-07-19T13:28:10 as recorded") == []
