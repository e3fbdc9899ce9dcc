"""Evidence damaged where the readers of hostile input refuse it (a checkpoint file edited, a
trust record tampered, a zip with a hostile entry, a manifest off its schema): the refusal is a
finding worded from the catalogue, so a Russian report holds no English for it (before, the
error's own English text went into the document as it was), and the English report prints
exactly what the terminal prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from cryptography import x509

from evidence.audit import audit
from evidence.bundle.build import build_bundle
from evidence.bundle.verify import verify_bundle
from evidence.items import list_items
from evidence.keys import fingerprint
from evidence.message import Message
from evidence.report.collect import collect_custody_report
from evidence.report.custody import render_custody_report
from evidence.report.layout import CONTINUED
from evidence.report.locale import Locale
from evidence.report.tables import custody_report_json
from evidence.report.verification import render_verification_report
from evidence.timestamp.checkpoints import create_stamped
from evidence.trust.establish import establish_export
from tests.conftest import TsaFixture
from tests.helpers import DATA, World

from .conftest import CASE, CaseWorld, pdftotext, unwrapped
from .language_support import data_words, latin_words
from .test_finding_wording import _recorded, _wording
from .test_one_language import _allowed, _Missing, missing  # noqa: F401 (a fixture)
from .test_verification_report import REQUEST

WHATSAPP_ZIP = DATA / "profiles" / "whatsapp" / "whatsapp_chat_ios.zip"


def _one_line(text: str) -> str:
    return " ".join(text.replace(CONTINUED, "").split())


def test_damaged_checkpoint_files_and_trust_record_in_russian(
    fresh_ws: CaseWorld,
    missing: _Missing,  # noqa: F811
) -> None:
    """A checkpoint file edited to garbage, a stray file that is no checkpoint, and a trust
    record edited in the ledger: each refusal is a finding in both languages."""
    ws = fresh_ws.ws
    (first,) = sorted(ws.checkpoint_dir.glob("*.json"))
    first.write_text("{ edited by hand", encoding="utf-8")
    stray = first.with_name("checkpoint-000099.json")
    stray.write_text(json.dumps({"note": "copied from elsewhere"}), encoding="utf-8")
    conn = sqlite3.connect(ws.ledger.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        conn.execute(f"DROP TRIGGER {name}")
    # A key sorted out of place: the record is no longer its canonical bytes.
    conn.execute(
        "UPDATE trust_records SET body = '{\"z\":1,' || substr(body, 2) "
        "WHERE seq = (SELECT MIN(seq) FROM trust_records)"
    )
    conn.close()
    result = audit(ws, CASE, workers=1)
    said = {str(f.message) for f in result.findings}
    assert f"{first}: not JSON" in said, said
    assert f"{stray}: not a checkpoint file" in said, said
    assert any("record is not canonical JSON (RFC 8785)" in m for m in said), said
    for f in result.findings:
        assert isinstance(f.message, Message) and f.message.template, f
    english = collect_custody_report(ws, CASE, None, result)
    russian = collect_custody_report(ws, CASE, None, result, locale=Locale("ru"))
    text_en = unwrapped(pdftotext(render_custody_report(english)).replace(CONTINUED, ""))
    text_ru = pdftotext(render_custody_report(russian))
    for f in result.findings:
        for words in _wording(f.message):
            assert words in text_en, f.message
    allowed = data_words([_recorded(custody_report_json(english))])
    left = [line for line in text_ru.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    flat = _one_line(text_ru)
    # (a long path wraps in its cell: its end is on the line of the Russian wording)
    assert "000001.json: не является JSON" in flat
    assert "000099.json: не является файлом контрольной точки" in flat
    assert "запись доверия № 1: запись не является каноническим JSON (RFC 8785)" in flat
    assert "not JSON" not in flat and "not a checkpoint file" not in flat
    assert missing.seen == set()


def _bundle(world: CaseWorld, tmp: Path) -> Path:
    out = tmp / "request-0042.zip"
    build_bundle(world.ws, world.investigator, CASE, out, REQUEST, cover=None)
    return out


def _manifest(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as zf:
        data: dict[str, Any] = json.loads(zf.read("request-0042/manifest.json"))
    return data


def _rezipped(bundle: Path, manifest: dict[str, Any], out: Path) -> Path:
    """The bundle with its manifest.json replaced (after signing: the signature fails too)."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "request-0042/manifest.json":
                data = json.dumps(manifest, ensure_ascii=False).encode()
            dst.writestr(info, data)
    return out


def _russian_report(
    world: CaseWorld, bundle: Path, allowed: set[str], anchor: str | None = None
) -> str:
    result = verify_bundle(bundle, anchor=anchor)
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    ru = render_verification_report(result, digest, verified_by="А. Смирнов", locale=Locale("ru"))
    en = render_verification_report(result, digest, verified_by="A. Smirnov")
    text_en = unwrapped(pdftotext(en).replace(CONTINUED, ""))
    for c in result.checks:
        if c.status == "failed":
            for words in _wording(c.message):
                assert words in text_en, c.message
    text_ru = pdftotext(ru)
    # A name cut with the mark is read whole, as the mark tells a reader to (a cut without it
    # leaves a piece on a line of its own, which is found).
    joined = text_ru.replace(CONTINUED + "\n", "")
    left = [line for line in joined.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    return _one_line(text_ru)


def test_zip_with_a_hostile_entry_in_russian(
    fresh_ws: CaseWorld,
    tmp_path: Path,
    missing: _Missing,  # noqa: F811
) -> None:
    """An entry that would leave the folder it is unzipped into: refused before anything is
    written, in the zip reader's words, now the catalogue's."""
    bundle = _bundle(fresh_ws, tmp_path)
    allowed = _allowed(_manifest(bundle))
    with zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr("request-0042/../../outside.txt", b"escape")
    result = verify_bundle(bundle)
    (zip_check,) = [c for c in result.checks if c.name == "zip"]
    assert zip_check.message == "zip entry 'request-0042/../../outside.txt': path contains '..'"
    flat = _russian_report(fresh_ws, bundle, allowed)
    assert "запись архива 'request-0042/../../outside.txt': путь содержит «..»" in flat
    assert missing.seen == set()


def test_manifest_off_its_schema_in_russian(
    fresh_ws: CaseWorld,
    tmp_path: Path,
    missing: _Missing,  # noqa: F811
) -> None:
    """A manifest edited after signing: a property the schema does not allow. jsonschema's
    explanation, worded from the catalogue."""
    bundle = _bundle(fresh_ws, tmp_path)
    manifest = _manifest(bundle)
    allowed = _allowed(manifest)
    manifest["note"] = "added after signing"
    edited = _rezipped(bundle, manifest, tmp_path / "edited.zip")
    result = verify_bundle(edited)
    schema = [c for c in result.checks if c.name == "manifest.schema" and c.status == "failed"]
    assert schema, [(c.name, c.status, c.message) for c in result.checks]
    assert any(
        "Additional properties are not allowed ('note' was unexpected)" in c.message for c in schema
    )
    flat = _russian_report(fresh_ws, edited, allowed | {"note"})
    assert "лишнее поле, не предусмотренное схемой: 'note'" in flat
    assert missing.seen == set()


def test_tampered_trust_record_in_russian(
    fresh_ws: CaseWorld,
    tmp_path: Path,
    missing: _Missing,  # noqa: F811
) -> None:
    """A trust record in the bundle edited to a kind no record has: the manifest's schema
    refuses it first (worded from the catalogue); the trust reader, which the recipient's
    check runs on the same object, refuses it in its own words, also from the catalogue."""
    bundle = _bundle(fresh_ws, tmp_path)
    manifest = _manifest(bundle)
    allowed = _allowed(manifest)
    pem = manifest["trust"]["anchor"]["certificate"]
    anchor = fingerprint(x509.load_pem_x509_certificate(pem.encode()))
    manifest["trust"]["records"][0]["record"]["kind"] = "promotion"
    edited = _rezipped(bundle, manifest, tmp_path / "edited.zip")
    result = verify_bundle(edited, anchor=anchor)
    schema = [c.message for c in result.checks if c.name == "manifest.schema"]
    assert schema == [
        "trust/records/0/record/kind: 'promotion' is not one of ['enrolment', 'revocation']"
    ]
    # The value found and the schema's own values are identifiers, printed as they are.
    identifiers = {"promotion", "enrolment", "revocation"}
    flat = _russian_report(fresh_ws, edited, allowed | identifiers, anchor=anchor)
    assert (
        "trust/records/0/record/kind: значение 'promotion' не входит в число допустимых: "
        "['enrolment', 'revocation']"
    ) in flat
    # The trust reader on the same object (what the custodians check calls).
    view = establish_export(manifest["trust"], {}, anchor_fingerprint=anchor)
    assert view.problems[0] == (
        "trust.records[0]: record is not a valid custody-trust: kind: 'promotion' is not one of "
        "['enrolment', 'revocation']"
    )
    assert Locale("ru").say(view.problems[0]) == (
        "trust.records[0]: запись не соответствует схеме custody-trust: kind: значение "
        "'promotion' не входит в число допустимых: ['enrolment', 'revocation']"
    )
    assert missing.seen == set()


def test_cut_timestamp_token_in_russian(
    fresh_ws: CaseWorld,
    local_tsa: TsaFixture,
    missing: _Missing,  # noqa: F811
) -> None:
    """A checkpoint's RFC 3161 token cut short in the ledger: the token reader refuses it
    (asn1crypto's own diagnostic stays on the terminal), worded in Russian."""
    ws = fresh_ws.ws
    create_stamped(ws.ledger, fresh_ws.investigator, ws.checkpoint_dir, local_tsa.url, False)
    conn = sqlite3.connect(ws.ledger.path, isolation_level=None)
    conn.execute("DROP TRIGGER timestamps_no_update")
    (seq, token) = conn.execute("SELECT checkpoint_seq, token FROM timestamps").fetchone()
    cut = base64.b64encode(base64.b64decode(token)[:-40]).decode()
    conn.execute("UPDATE timestamps SET token = ? WHERE checkpoint_seq = ?", (cut, seq))
    conn.close()
    result = audit(ws, CASE, workers=1)
    stamps = [f for f in result.findings if f.subject == f"checkpoint #{seq} token"]
    prefix = f"checkpoint #{seq} token: not an RFC 3161 timestamp token ("
    assert any(f.message.startswith(prefix) for f in stamps), stamps
    english = collect_custody_report(ws, CASE, None, result)
    russian = collect_custody_report(ws, CASE, None, result, locale=Locale("ru"))
    text_ru = pdftotext(render_custody_report(russian))
    allowed = data_words([_recorded(custody_report_json(english))])
    left = [line for line in text_ru.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    flat = _one_line(text_ru)
    assert f"штамп времени контрольной точки № {seq}: не является штампом времени RFC 3161" in flat
    assert "not an RFC 3161" not in flat and "Insufficient data" not in flat
    assert missing.seen == set()


def test_excerpt_source_changed_in_russian(
    world: World,
    tmp_path: Path,
    missing: _Missing,  # noqa: F811
) -> None:
    """The vault copy of a zipped WhatsApp export replaced by a zip without its chat text: the
    records its signed commitment covers cannot be read again, and the reason is worded."""
    seized = tmp_path / "seized"
    seized.mkdir()
    shutil.copy(WHATSAPP_ZIP, seized / WHATSAPP_ZIP.name)
    world.ingest(seized)
    (item,) = list_items(world.ws.ledger, CASE)
    vault = world.ws.vault.path_for(item.sha256)
    os.chmod(vault, 0o600)
    with zipfile.ZipFile(vault, "w") as zf:
        zf.writestr("IMG-0001.jpg", b"\xff\xd8\xff not a chat")
    os.chmod(vault, 0o400)
    result = audit(world.ws, CASE, fixity=True, workers=1)
    said = [f.message for f in result.findings if f.check == "fixity"]
    assert any(
        m.startswith("record commitment (")
        and m.endswith(
            "records: the chat text inside the zip cannot be read "
            "(the zip holds no chat text member)"
        )
        for m in said
    ), said
    english = collect_custody_report(world.ws, CASE, None, result)
    russian = collect_custody_report(world.ws, CASE, None, result, locale=Locale("ru"))
    text_ru = pdftotext(render_custody_report(russian))
    allowed = data_words([_recorded(custody_report_json(english))])
    left = [line for line in text_ru.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    assert (
        "не соответствует записям копии в хранилище: текст переписки в архиве не читается "
        "(в архиве нет файла с текстом переписки)"
    ) in _one_line(text_ru)
    assert missing.seen == set()
