"""The demo's documents, every page, in both languages: built from the demo's own sample
evidence (demo/sample-evidence) through the code path `make demo` takes (ingest, custody,
bundle with the real cover sheet, verify, verification report, audited custody report), then
read back with pdftotext: no Latin word in Russian but names, identifiers, file names and
hashes; no word cut at a line end without a hyphen; no fingerprint cut short."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.checklist import ORDER
from evidence.bundle.verify import verify_bundle
from evidence.cases import create_case
from evidence.custody import append_events, receive, transfer
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.keys import Signer
from evidence.messages import message_ids
from evidence.report.custody import render_custody_report
from evidence.report.locale import make_locale
from evidence.report.produce import available_cover, custody_report
from evidence.report.verification import render_verification_report
from evidence.workspace import AuthoritySetup, Workspace

from .conftest import page_count, pdftotext
from .language_support import data_words, latin_words
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


def _known_words(texts: list[str]) -> set[str]:
    """Every whole word the documents and the catalogue hold: a line end that cuts one of
    these without a hyphen is a broken word."""
    words: set[str] = set()
    for text in [*texts, *message_ids("ru")]:
        words.update(re.findall(r"[A-Za-zА-Яа-яЁё]{4,}", text))
    return words


def _broken(text: str, known: set[str]) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = []
    for line, after in itertools.pairwise(lines):
        if re.search(r"[0-9._/]", line.split()[-1] + after.split()[0]):
            continue  # digests, file names, identifiers: printed in fixed lines, or cut at edge
        head = re.search(r"[A-Za-zА-Яа-яЁё]+$", line)
        tail = re.match(r"[a-zа-яё]+", after)
        # Cut: the two pieces make a word the documents hold, the head alone is none.
        if head and tail and head.group(0) + tail.group(0) in known and head.group(0) not in known:
            found.append(f"{head.group(0)}|{tail.group(0)}")
    return found


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
    texts = {name: pdftotext(pdf) for name, pdf in documents.items()}
    # A word is known if a document (or the catalogue) holds it whole somewhere.
    known = _known_words(list(texts.values()))
    # Recorded data prints as recorded: the manifest, and every key holder's name and
    # organisation (the custody report names signers the bundle does not carry).
    holders = [[k.name, k.organisation] for k in ws.keys.list()]
    allowed = data_words([manifest, holders]) | {w for name in ORDER for w in name.split(".")}
    for name, pdf in documents.items():
        pages = page_count(pdf)
        for page in range(1, pages + 1):
            text = pdftotext(pdf, "-f", str(page), "-l", str(page))
            where = (name, page)
            if lang == "ru":
                assert latin_words(text, allowed) == [], (*where, latin_words(text, allowed))
            assert _broken(text, known) == [], (*where, _broken(text, known))
            assert not re.search(r"[0-9a-f]{8,}…", text), where
            assert not re.search(r"[0-9a-f]{16}\.\.\.", text), where


def test_the_broken_word_check_can_fail() -> None:
    known = _known_words(["проанализировано компьютерно-технической экспертизы"])
    assert _broken("было проанализирова\nно экспертом", known) == ["проанализирова|но"]
    assert _broken("компьютерно-техниче\nской", known) == ["техниче|ской"]
    assert _broken("было проанализиро-\nвано", known) == []  # with a hyphen: fine
    assert _broken("SHA-256 3f2a9c\nab12ef", known) == []  # a digest in lines
