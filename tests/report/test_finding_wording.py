"""Findings' and checks' own detail lines in the documents: a Russian report prints each one in
Russian from the catalogue (values that are names, identifiers, file names and hashes as they
are), an English report prints the program's own words, byte for byte what `custody audit` and
`custody verify` print.

A workspace is damaged in many ways at once (an event edited, an event deleted, a row of the
items table rewritten, a trigger dropped, a vault file changed and opened to others, a double
seal), and a bundle is damaged (a payload byte changed, a file added, bag-info.txt edited); both
reports are read back with pdftotext and checked for Latin words by the documents' checker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import string
import zipfile
from pathlib import Path

from evidence.audit import audit
from evidence.bundle.build import build_bundle
from evidence.bundle.verify import verify_bundle
from evidence.custody import append_events
from evidence.items import list_items
from evidence.message import Message
from evidence.report.collect import collect_custody_report
from evidence.report.custody import render_custody_report
from evidence.report.layout import CONTINUED
from evidence.report.locale import Locale
from evidence.report.tables import custody_report_json
from evidence.report.verification import render_verification_report

from .conftest import CASE, LOCATION, CaseWorld, misspell_last_location, pdftotext, unwrapped
from .language_support import data_words, latin_words
from .test_one_language import _allowed, _Missing, missing  # noqa: F401 (a fixture)
from .test_verification_report import REQUEST


def _damage_ledger(world: CaseWorld) -> None:
    """Several attacks and custody irregularities, each making its own kind of finding."""
    items = list_items(world.ws.ledger, CASE)
    # A double seal: irregular custody, not tampering.
    for seal in ("0042117", "0042118"):
        append_events(
            world.ws.ledger,
            world.expert,
            items[2:3],
            "sealed",
            location=LOCATION,
            details={"seal": seal},
        )
    misspell_last_location(world)  # an event edited: hash and signature fail
    conn = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DELETE FROM events WHERE item_id = ? AND seq = 2", (items[0].item_id,))
    conn.execute("UPDATE items SET sha512 = ? WHERE item_id = ?", ("0" * 128, items[1].item_id))
    conn.close()
    vault = world.ws.vault.path_for(items[3].sha256)
    os.chmod(vault, 0o644)
    os.chmod(vault, 0o666)
    with open(vault, "ab") as fh:
        fh.write(b"!")


def test_russian_custody_report_words_every_finding(
    fresh_ws: CaseWorld,
    missing: _Missing,  # noqa: F811
) -> None:
    _damage_ledger(fresh_ws)
    result = audit(fresh_ws.ws, CASE, fixity=True, workers=1)
    checks = {f.check for f in result.findings}
    # The attacks above reach these checks (and so their many message shapes).
    assert {"chains", "hashes", "signatures", "ledger", "fixity", "files"} <= checks, checks
    english = collect_custody_report(fresh_ws.ws, CASE, None, result)
    russian = collect_custody_report(fresh_ws.ws, CASE, None, result, locale=Locale("ru"))
    # A value wider than its cell is broken with a continuation mark: joined as a reader does.
    text_en = unwrapped(pdftotext(render_custody_report(english)).replace(CONTINUED, ""))
    text_ru = pdftotext(render_custody_report(russian))
    # English: the program's own words, as the terminal and --json print them.
    for f in result.findings:
        for words in _wording(f.message):
            assert words in text_en, f.message
    # Russian: the catalogue's wording with the values put in, no Latin word left.
    assert "запись изменена после подписания" in text_ru
    assert "stored hash does not match" not in text_ru
    allowed = data_words([_recorded(custody_report_json(english))])
    left = [line for line in text_ru.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    assert missing.seen == set()


def _wording(message: str) -> list[str]:
    """The template's own words, line breaks removed (values, such as a long path, may break
    anywhere in a table cell, or interleave with the next column's text)."""
    assert isinstance(message, Message)
    template = message.template if message.parts is None else ""
    pieces = [literal for literal, _, _, _ in string.Formatter().parse(template)]
    return [unwrapped(p) for p in pieces if unwrapped(p)]


def _recorded(report: dict[str, object]) -> dict[str, object]:
    """The report's JSON twin without what the program says (verdict, irregularities): the
    recorded data only, whose words a Russian report prints as recorded."""
    kept = {k: v for k, v in report.items() if k not in ("verdict", "irregularities")}
    return json.loads(json.dumps(kept).replace('"irregularities"', '"_"'))


def _tampered_bundle(world: CaseWorld, tmp: Path) -> Path:
    out = tmp / "request-0042.zip"
    build_bundle(world.ws, world.investigator, CASE, out, REQUEST, cover=None)
    folder = tmp / "unpacked"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(folder)
    bag = folder / "request-0042"
    payload = sorted((bag / "data").rglob("*.csv"))[0]
    payload.write_bytes(payload.read_bytes() + b"1")
    shutil.copy(payload, payload.parent / "added.csv")
    info = bag / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8") + "Note: edited\n", encoding="utf-8")
    return folder


def test_russian_verification_report_words_every_check(
    fresh_ws: CaseWorld,
    tmp_path: Path,
    missing: _Missing,  # noqa: F811
) -> None:
    folder = _tampered_bundle(fresh_ws, tmp_path)
    result = verify_bundle(folder)
    failed = {c.name for c in result.checks if c.status == "failed"}
    assert {"bag.fixity", "bag.complete", "item.files", "item.coverage"} <= failed, failed
    digest = hashlib.sha256(b"folder").hexdigest()
    ru = render_verification_report(result, digest, verified_by="А. Смирнов", locale=Locale("ru"))
    en = render_verification_report(result, digest, verified_by="A. Smirnov")
    text_ru = pdftotext(ru)
    # English: the program's own words (the subject column may interleave with them).
    text_en = unwrapped(pdftotext(en).replace(CONTINUED, ""))
    for c in result.checks:
        if c.status == "failed":
            for words in _wording(c.message):
                assert words in text_en, c.message
    with zipfile.ZipFile(tmp_path / "request-0042.zip") as zf:
        manifest = json.loads(zf.read("request-0042/manifest.json"))
    allowed = _allowed(manifest)
    left = [line for line in text_ru.splitlines() if latin_words(line, allowed)]
    assert left == [], "\n".join(left)
    assert "не описан в подписанном манифесте" in " ".join(text_ru.split())
    assert missing.seen == set()
