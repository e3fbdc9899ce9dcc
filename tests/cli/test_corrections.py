"""Corrections are signed events, never edits: `item amend`, `item digests`, and what an
attacker with write access but no key can do to them (drop the triggers, insert rows)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path

from evidence.events import item_events, new_body, sign_event, write_event
from evidence.items import get_item
from evidence.keys import Signer
from evidence.workspace import Workspace
from tests.helpers import PASSPHRASE
from tests.test_cli import CASE, Shell, _ingest, _item_id

WRONG = "2027-11-02T14:30:00+03:00"
RIGHT = "2026-11-02T14:30:00+03:00"


def _show(sh: Shell, item: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(sh("item", "show", item, "--json").stdout)
    return data


def _audit(sh: Shell, code: int = 0) -> dict[str, object]:
    data: dict[str, object] = json.loads(sh("audit", "--json", code=code).stdout)
    return data


def test_amend_appends_a_signed_correction_and_show_gives_value_and_history(
    sh: Shell, photo: Path
) -> None:
    result = _ingest(sh, photo, options=("--acquired-at", WRONG, "--method", "UFED 7.6"))
    assert "in the future" in result.stderr
    item = _item_id(sh)
    sh(
        "item",
        "amend",
        item,
        "--acquired-at",
        RIGHT,
        "--source",
        "Samsung A51, IMEI 3569",
        "--reason",
        "year mistyped; seizure protocol No 17",
        "--as",
        "A. Ivanov",
    )
    shown = _show(sh, item)
    assert shown["acquired_at"] == "2026-11-02T11:30:00.000000Z"
    assert shown["acquired_offset"] == "+03:00"
    assert shown["source"] == "Samsung A51, IMEI 3569"
    history = shown["corrections"]
    assert isinstance(history, list)
    assert {(c["field"], c["old"], c["new"]) for c in history} == {
        ("acquired_at", "2027-11-02T11:30:00.000000Z", "2026-11-02T11:30:00.000000Z"),
        ("source", "Samsung A51", "Samsung A51, IMEI 3569"),
    }
    assert all(c["actor"] == "A. Ivanov" and "protocol No 17" in c["reason"] for c in history)
    (listed,) = json.loads(sh("item", "list", "--json").stdout)
    assert (listed["source"], listed["acquired_at"]) == (shown["source"], shown["acquired_at"])
    text = sh("item", "show", item).stdout
    # Shown in the offset it was given, with UTC beside; the history names who and why.
    assert "acquired at:   2026-11-02 14:30:00 +03:00 (11:30:00Z)" in text
    assert "A. Ivanov [" in text and "year mistyped" in text
    # The ledger row is untouched: what was signed at ingest stays as it was.
    conn = sqlite3.connect(sh.root / "ledger.db")
    (row,) = conn.execute("SELECT acquired_at, source FROM items").fetchall()
    assert row == ("2027-11-02T11:30:00.000000Z", "Samsung A51")
    assert _audit(sh)["ok"] is True
    # log and report print the correction's times in --tz, to the second, not as stored.
    log = sh("log", item, "--tz", "Europe/Minsk", "--wide").stdout
    assert "acquired_at: 2027-11-02 14:30:00 +03:00 -> 2026-11-02 14:30:00 +03:00" in log
    assert "11:30:00Z" not in log.split("acquired_at:")[1].split("\n")[0]
    report = sh.root / "r.pdf"
    sh("report", CASE, "-o", str(report), "--tz", "+03:00")
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(report), "-"], capture_output=True, text=True
        ).stdout.split()
    )
    assert "2027-11-02 14:30:00 +03:00 (11:30:00 UTC) -> 2026-11-02 14:30:00" in text
    assert "T11:30:00" not in text


def test_amend_refuses_no_change_a_time_after_ingest_and_an_empty_reason(
    sh: Shell, photo: Path
) -> None:
    _ingest(sh, photo, options=("--acquired-at", RIGHT))
    item = _item_id(sh)
    same = sh(
        "item", "amend", item, "--acquired-at", RIGHT, "--reason", "x", "--as", "A. Ivanov", code=2
    )
    assert "nothing to correct" in same.stderr
    late = sh(
        "item", "amend", item, "--acquired-at", WRONG, "--reason", "x", "--as", "A. Ivanov", code=2
    )
    assert "in the future" in late.stderr
    empty = sh("item", "amend", item, "--method", "m", "--reason", " ", "--as", "A. Ivanov", code=2)
    assert "--reason" in empty.stderr
    assert len(_show(sh, item)["corrections"]) == 0  # type: ignore[arg-type]


def test_reingest_with_other_details_says_so_and_points_to_amend(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo, options=("--acquired-at", WRONG))
    again = _ingest(sh, photo, options=("--acquired-at", RIGHT, "--method", "UFED"), env={})
    item = _item_id(sh)
    assert f"held already as item {item} with another source" not in again.stderr
    assert "acquired-at, method" in again.stderr and f"custody item amend {item}" in again.stderr
    same = _ingest(sh, photo, options=("--acquired-at", WRONG))
    assert "amend" not in same.stderr
    # The held item's type is shown, not an empty column.
    (line,) = [ln for ln in same.stdout.splitlines() if ln.startswith("existing")]
    assert line.split()[2] in ("screenshot", "photo", "document", "other"), line


def test_future_acquisition_warns_and_strict_refuses_before_anything_is_written(
    sh: Shell, photo: Path
) -> None:
    refused = _ingest(sh, photo, options=("--acquired-at", WRONG, "--strict"), code=2)
    assert "in the future" in refused.stderr
    assert json.loads(sh("item", "list", "--json").stdout) == []
    # Quiet prints only problems, and the warning is one.
    warned = _ingest(sh, photo, options=("--acquired-at", WRONG, "-q"))
    assert warned.stdout == "" and warned.stderr.startswith("warning: --acquired-at")


def _key_and_item(sh: Shell, photo: Path) -> tuple[Workspace, Signer, str]:
    _ingest(sh, photo)
    item = _item_id(sh)
    ws = Workspace.open(sh.root)
    signer = ws.keys.unlock(ws.keys.resolve("A. Ivanov"), PASSPHRASE)
    return ws, signer, item


def test_signed_amendment_that_misstates_the_old_value_is_an_audit_finding(
    sh: Shell, photo: Path
) -> None:
    # A tool (or a person with a key) signing a correction "from" a value the item never had.
    ws, signer, item_id = _key_and_item(sh, photo)
    item = get_item(ws.ledger, item_id)
    seq, prev = len(item_events(ws.ledger, item_id)), item_events(ws.ledger, item_id)[-1].hash
    changes = {"source": {"from": "iPhone 12", "to": "x"}, "digests": {"from": None, "to": "y"}}
    body = new_body(
        signer,
        item_id=item_id,
        case=CASE,
        seq=seq + 1,
        prev=prev,
        item_sha256=item.sha256,
        action="amended",
        purpose="forged",
        details={"changes": changes},
    )
    with ws.ledger.atomic():
        write_event(ws.ledger, sign_event(signer, body))
    ws.close()
    found = _audit(sh, code=1)["findings"]
    messages = [f["message"] for f in found if f["check"] == "corrections"]  # type: ignore[index, union-attr, attr-defined]
    assert any("amended from 'iPhone 12'" in m for m in messages), found
    assert any("'digests', which cannot be amended" in m for m in messages), found


def test_amendment_inserted_without_a_key_is_caught(sh: Shell, photo: Path) -> None:
    ws, signer, item_id = _key_and_item(sh, photo)
    item = get_item(ws.ledger, item_id)
    head = item_events(ws.ledger, item_id)[-1]
    body = new_body(
        signer,
        item_id=item_id,
        case=CASE,
        seq=3,
        prev=head.hash,
        item_sha256=item.sha256,
        action="amended",
        purpose="quiet fix",
        details={"changes": {"source": {"from": item.source, "to": "another phone"}}},
    )
    real = sign_event(signer, body)
    ws.close()
    # The attacker has the database, not the key: drops the triggers, inserts a row with a
    # signature copied from the ingest event.
    conn = sqlite3.connect(sh.root / "ledger.db", isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(
        "INSERT INTO events (event_id, item_id, seq, hash, body, signature, signer) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            body["event_id"],
            item_id,
            3,
            hashlib.sha256(real.canonical).hexdigest(),
            real.canonical.decode(),
            head.signature,
            head.signer,
        ),
    )
    conn.close()
    # item show would present the forged value, so the audit must not pass.
    assert _show(sh, item_id)["source"] == "another phone"
    checks = {c["check"]: c["status"] for c in _audit(sh, code=1)["checks"]}  # type: ignore[union-attr]
    assert checks["signatures"] == "failed"


def test_legacy_digests_are_added_signed_and_checked_against_the_vault(
    sh: Shell, photo: Path
) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    data = photo.read_bytes()
    sh("item", "digests", item, "--legacy", "--as", "A. Ivanov")
    digests = _show(sh, item)["digests"]
    assert digests == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
    }
    again = sh("item", "digests", item, "--legacy", "--as", "A. Ivanov", code=2)
    assert "already has MD5 and SHA-1" in again.stderr
    assert _audit(sh)["ok"] is True


def test_legacy_digests_refused_when_the_vault_copy_changed(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    vault_file = sh.root / "vault" / "sha256" / sha[:2] / sha[2:]
    vault_file.chmod(0o600)
    vault_file.write_bytes(b"x" + photo.read_bytes()[1:])
    result = sh("item", "digests", item, "--legacy", "--as", "A. Ivanov", code=3)
    assert "does not match its recorded digests" in result.stderr
    assert "md5" not in _show(sh, item)["digests"]  # type: ignore[operator]


def test_legacy_digests_for_a_whole_case(sh: Shell, photo: Path, tmp_path: Path) -> None:
    other = tmp_path / "chat.txt"
    other.write_text("02.11.2026, 14:03 - Андрей: Привет\n", encoding="utf-8")
    _ingest(sh, photo, other)
    out = sh("item", "digests", "--case", CASE, "--all", "--legacy", "--as", "A. Ivanov").stdout
    assert out.count("md5, sha1 added") == 2
