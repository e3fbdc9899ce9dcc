"""Audit catches every kind of tampering, each with a specific finding.

Each test plays an attacker with write access to the workspace: it drops the append-only
triggers with the real sqlite3 module, edits ledger.db or the vault, then audits.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.audit import AuditResult, audit
from evidence.canonical import canonical_bytes
from evidence.checkpoint import create_checkpoint, file_name
from evidence.custody import append_events, receive, transfer
from evidence.errors import VerificationError
from evidence.items import Item, list_items
from tests.helpers import CASE, World


@pytest.fixture
def busy(world: World, evidence_dir: Path) -> Iterator[World]:
    """Four items; one transferred and received, one analysed; a checkpoint at the end."""
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    transfer(
        world.ws.ledger, world.investigator, items[:2], world.custodian.record, location="Minsk"
    )
    receive(world.ws.ledger, world.custodian, items[:2], location="Evidence room 214")
    append_events(world.ws.ledger, world.expert, items[:1], "analysed", purpose="EXIF exam")
    create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)
    yield world


def _attacker(world: World) -> sqlite3.Connection:
    conn = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # an attacker's edits need no durability
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def _rewrite_event(
    world: World,
    seq: int,
    edit: Callable[[dict[str, Any]], None],
    *,
    fix_hash: bool = False,
    resign: ec.EllipticCurvePrivateKey | None = None,
) -> None:
    """Edit event #seq of the first item in ledger.db, as an attacker would."""
    item = _first_item(world)
    conn = _attacker(world)
    (body,) = conn.execute(
        "SELECT body FROM events WHERE item_id = ? AND seq = ?", (item.item_id, seq)
    ).fetchone()
    data = json.loads(body)
    edit(data)
    new = canonical_bytes(data)
    conn.execute(
        "UPDATE events SET body = ? WHERE item_id = ? AND seq = ?",
        (new.decode(), item.item_id, seq),
    )
    if fix_hash or resign is not None:
        conn.execute(
            "UPDATE events SET hash = ? WHERE item_id = ? AND seq = ?",
            (hashlib.sha256(new).hexdigest(), item.item_id, seq),
        )
    if resign is not None:
        sig = base64.b64encode(resign.sign(new, ec.ECDSA(hashes.SHA256()))).decode()
        conn.execute(
            "UPDATE events SET signature = ?, signer = ? WHERE item_id = ? AND seq = ?",
            (sig, data["actor"]["fingerprint"], item.item_id, seq),
        )


def _first_item(world: World) -> Item:
    return list_items(world.ws.ledger, CASE)[0]


def _findings(result: AuditResult) -> list[str]:
    return [str(f) for f in result.findings]


def _expect(result: AuditResult, check: str, fragment: str) -> None:
    assert not result.ok
    hits = [f for f in result.findings if f.check == check and fragment in f.message]
    assert hits, _findings(result)


def test_clean_workspace_passes_every_check(busy: World) -> None:
    result = audit(busy.ws, fixity=True)
    assert result.ok, _findings(result)
    assert result.events_checked == 4 * 2 + 2 + 2 + 1  # each item: ingested + profiled
    assert {c.name for c in result.checks} == {
        "trust",
        "ledger",
        "files",
        "schema",
        "hashes",
        "certificates",
        "signatures",
        "chains",
        "profiles",
        "corrections",
        "checkpoint",
        "log",
        "time",
        "fixity",
    }
    assert result.checkpoint_seq == 1


def test_single_process_audit_finds_the_same(busy: World) -> None:
    assert audit(busy.ws, workers=1).ok


@pytest.mark.parametrize(
    ("field", "value"),
    [("location", "Somewhere else"), ("at", "2020-01-01T00:00:00.000000Z")],
)
def test_event_field_edited(busy: World, field: str, value: str) -> None:
    _rewrite_event(busy, 2, lambda event: event.update({field: value}))
    result = audit(busy.ws)
    _expect(result, "hashes", "event edited?")
    _expect(result, "signatures", "not valid")


def test_actor_edited_with_hash_recomputed(busy: World) -> None:
    """A careful attacker also fixes the stored hash: the signature and the chain still fail."""
    _rewrite_event(
        busy, 2, lambda event: event["actor"].update(name="Somebody Else"), fix_hash=True
    )
    result = audit(busy.ws)
    _expect(result, "signatures", "not valid")
    _expect(result, "chains", "prev link broken")


def test_event_deleted(busy: World) -> None:
    item = _first_item(busy)
    _attacker(busy).execute("DELETE FROM events WHERE item_id = ? AND seq = 2", (item.item_id,))
    result = audit(busy.ws)
    _expect(result, "chains", "sequence broken")
    _expect(result, "chains", "prev link broken")


def test_last_event_deleted_is_caught_by_checkpoint(busy: World) -> None:
    item = _first_item(busy)
    _attacker(busy).execute("DELETE FROM events WHERE item_id = ? AND seq = 5", (item.item_id,))
    _expect(audit(busy.ws), "checkpoint", "is gone")


def test_two_events_swapped(busy: World) -> None:
    item = _first_item(busy)
    conn = _attacker(busy)
    conn.execute("UPDATE events SET seq = -2 WHERE item_id = ? AND seq = 2", (item.item_id,))
    conn.execute("UPDATE events SET seq = 2 WHERE item_id = ? AND seq = 3", (item.item_id,))
    conn.execute("UPDATE events SET seq = 3 WHERE item_id = ? AND seq = -2", (item.item_id,))
    result = audit(busy.ws)
    _expect(result, "chains", "item/sequence differ")
    _expect(result, "chains", "prev link broken")


def test_signature_replaced_by_valid_signature_of_another_event(busy: World) -> None:
    item = _first_item(busy)
    conn = _attacker(busy)
    (other,) = conn.execute(
        "SELECT signature FROM events WHERE item_id = ? AND seq = 1", (item.item_id,)
    ).fetchone()
    conn.execute(
        "UPDATE events SET signature = ? WHERE item_id = ? AND seq = 2", (other, item.item_id)
    )
    result = audit(busy.ws)
    _expect(result, "signatures", "not valid for this event")
    assert result.unverified == {(item.item_id, 2)}  # what reports mark as INVALID


def test_event_resigned_by_key_not_in_workspace(busy: World) -> None:
    rogue = ec.generate_private_key(ec.SECP256R1())
    _rewrite_event(
        busy, 3, lambda event: event["actor"].update(fingerprint="ab" * 32), resign=rogue
    )
    _expect(audit(busy.ws), "certificates", "is not a key of this workspace")


def test_item_row_digest_edited(busy: World) -> None:
    item = _first_item(busy)
    _attacker(busy).execute(
        "UPDATE items SET sha512 = ? WHERE item_id = ?", ("0" * 128, item.item_id)
    )
    _expect(audit(busy.ws), "chains", "differs from its signed ingest event: digests")


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("source", "planted by someone", "source"),
        ("acquired_at", "2020-01-01T00:00:00.000000Z", "acquired_at"),
        ("acquisition_method", "forged", "acquisition_method"),
        ("original_name", "other.jpg", "original_name"),
        ("metadata", '{"EXIF:Make": "Nokia"}', "metadata_sha256"),
    ],
)
def test_item_provenance_edited(busy: World, column: str, value: str, field: str) -> None:
    item = _first_item(busy)
    _attacker(busy).execute(
        f"UPDATE items SET {column} = ? WHERE item_id = ?", (value, item.item_id)
    )
    _expect(audit(busy.ws), "chains", f"differs from its signed ingest event: {field}")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("profile", '{"kind": "none"}', "item row's profile differs from its signed profiled"),
        ("evidence_type", "document", "item row's evidence type differs from its signed"),
    ],
)
def test_item_analysis_edited(busy: World, column: str, value: str, message: str) -> None:
    """Type and profile are signed by the `profiled` event: editing the row is caught there."""
    item = _first_item(busy)
    _attacker(busy).execute(
        f"UPDATE items SET {column} = ? WHERE item_id = ?", (value, item.item_id)
    )
    _expect(audit(busy.ws), "profiles", message)


def test_profile_in_event_not_matching_its_signed_hash(busy: World) -> None:
    """A signer who writes a profile that does not hash to the profile_sha256 it signs."""
    key = busy.investigator.private_key
    _rewrite_event(
        busy, 2, lambda event: event["details"]["profile"].update(kind="forged"), resign=key
    )
    result = audit(busy.ws)
    _expect(result, "profiles", "does not hash to the profile_sha256")


def test_profiled_event_deleted_and_chain_relinked(busy: World) -> None:
    """Without the `profiled` event right after the ingest, the row's profile is unsigned."""
    item = _first_item(busy)
    conn = _attacker(busy)
    conn.execute("DELETE FROM events WHERE item_id = ? AND seq = 2", (item.item_id,))
    result = audit(busy.ws)
    _expect(result, "profiles", "not followed by its signed `profiled` event")


def test_case_record_edited(busy: World) -> None:
    _attacker(busy).execute("UPDATE cases SET legal_basis = 'forged treaty, art. 99'")
    result = audit(busy.ws)
    _expect(result, "chains", "differs from its signed ingest event: case_sha256")


def test_item_row_unreadable_is_a_finding_not_a_crash(busy: World) -> None:
    item = _first_item(busy)
    _attacker(busy).execute(
        "UPDATE items SET metadata = 'not json' WHERE item_id = ?", (item.item_id,)
    )
    _expect(audit(busy.ws), "chains", "item row unreadable")


def test_signer_name_edited_in_keys_row(busy: World) -> None:
    """Identity comes from the certificate; a keys row renamed is itself a finding."""
    _attacker(busy).execute("UPDATE keys SET name = 'Prosecutor General', country = 'DE'")
    record = busy.ws.keys.get(busy.expert.record.key_id)
    assert record.name == "P. Sidorov" and record.country == "BY"
    _expect(audit(busy.ws), "certificates", "row differs from its certificate: country, name")


def test_actor_name_differing_from_certificate(busy: World) -> None:
    """A key holder signs an event under another name: the signature is valid, the name is not."""
    key = busy.custodian.private_key  # event #4 is the custodian's receipt
    _rewrite_event(
        busy, 4, lambda event: event["actor"].update(name="Prosecutor General"), resign=key
    )
    result = audit(busy.ws)
    _expect(result, "certificates", "is not the signer certificate's 'Evidence Room'")
    assert not [f for f in result.findings if f.check == "signatures"]


def test_item_row_sha256_edited(busy: World) -> None:
    item = _first_item(busy)
    _attacker(busy).execute(
        "UPDATE items SET sha256 = ? WHERE item_id = ?", ("1" * 64, item.item_id)
    )
    result = audit(busy.ws, fixity=True)
    _expect(result, "chains", "does not match the item's SHA-256")
    _expect(result, "fixity", "vault file missing")


def _vault_file(world: World) -> Path:
    biggest = max(list_items(world.ws.ledger, CASE), key=lambda i: i.size)
    path = world.ws.vault.path_for(biggest.sha256)
    os.chmod(path, 0o644)
    return path


def test_vault_file_altered_by_one_byte(busy: World) -> None:
    path = _vault_file(busy)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)
    assert audit(busy.ws).ok  # without --fixity the vault is not read
    _expect(audit(busy.ws, fixity=True), "fixity", "SHA-256 is")


def test_vault_file_made_writable(busy: World) -> None:
    _vault_file(busy)
    _expect(audit(busy.ws, fixity=True), "fixity", "writable")


def test_vault_file_deleted(busy: World) -> None:
    _vault_file(busy).unlink()
    _expect(audit(busy.ws, fixity=True), "fixity", "vault file missing")


def test_whole_item_deleted_after_checkpoint(busy: World) -> None:
    item = list_items(busy.ws.ledger, CASE)[-1]
    conn = _attacker(busy)
    conn.execute("DELETE FROM events WHERE item_id = ?", (item.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (item.item_id,))
    result = audit(busy.ws)
    _expect(result, "checkpoint", "item deleted since checkpoint #1")
    _expect(result, "ledger", "append-only trigger items_no_delete is missing")
    # The log still names the deleted events (their leaves stay), as its own check.
    _expect(result, "log", "which the ledger does not hold (deleted?)")
    others = [f.subject for f in result.findings if f.check not in ("ledger", "log")]
    assert others == [f"item {item.item_id}"]


def test_checkpoint_file_edited(busy: World) -> None:
    path = busy.ws.checkpoint_dir / file_name(1)
    data = json.loads(path.read_text())
    data["checkpoint"]["events"] += 1
    path.write_text(json.dumps(data))
    _expect(audit(busy.ws), "checkpoint", "differs from the ledger")


def test_checkpoint_row_deleted_with_its_items(busy: World) -> None:
    item = list_items(busy.ws.ledger, CASE)[-1]
    conn = _attacker(busy)
    conn.execute("DELETE FROM checkpoints")
    conn.execute("DELETE FROM events WHERE item_id = ?", (item.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (item.item_id,))
    result = audit(busy.ws)
    _expect(result, "checkpoint", "no checkpoint in the ledger")
    _expect(result, "checkpoint", "item deleted since checkpoint #1")


def test_external_checkpoint_copy_catches_everything_deleted(busy: World, tmp_path: Path) -> None:
    """The attacker deletes checkpoint rows and files; the copy kept elsewhere still tells."""
    copy = tmp_path / "offsite.json"
    copy.write_bytes((busy.ws.checkpoint_dir / file_name(1)).read_bytes())
    item = list_items(busy.ws.ledger, CASE)[-1]
    conn = _attacker(busy)
    conn.execute("DELETE FROM checkpoints")
    conn.execute("DELETE FROM events WHERE item_id = ?", (item.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (item.item_id,))
    (busy.ws.checkpoint_dir / file_name(1)).unlink()
    # Nothing left in the workspace to compare with, but the dropped triggers and the log's
    # leaves of the deleted events and checkpoint.
    assert {f.check for f in audit(busy.ws).findings} == {"ledger", "log"}
    result = audit(busy.ws, checkpoint_file=copy)
    _expect(result, "checkpoint", "item deleted since checkpoint #1")
    _expect(result, "checkpoint", "missing from the ledger")


def test_every_problem_is_listed_not_only_the_first(busy: World) -> None:
    items = list_items(busy.ws.ledger, CASE)
    conn = _attacker(busy)
    for item in items[:3]:
        conn.execute("UPDATE events SET body = body || ' ' WHERE item_id = ?", (item.item_id,))
    result = audit(busy.ws)
    broken = {f.subject.split(" event")[0] for f in result.findings if f.check == "hashes"}
    assert broken == {f"item {i.item_id}" for i in items[:3]}


def test_case_filter_audits_only_that_case(busy: World) -> None:
    result = audit(busy.ws, CASE)
    assert result.ok
    assert result.items_checked == 4


def test_checkpoint_after_a_deletion_is_refused_and_old_one_still_tells(busy: World) -> None:
    """A routine checkpoint by an honest actor must not launder a deletion."""
    item = list_items(busy.ws.ledger, CASE)[-1]
    conn = _attacker(busy)
    conn.execute("DELETE FROM events WHERE item_id = ?", (item.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (item.item_id,))
    with pytest.raises(VerificationError, match="refusing to checkpoint"):
        create_checkpoint(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir)
    assert not (busy.ws.checkpoint_dir / file_name(2)).exists()
    _expect(audit(busy.ws), "checkpoint", "item deleted since checkpoint #1")


def test_every_checkpoint_is_checked_not_only_the_latest(busy: World) -> None:
    """Even if a later checkpoint was made over the reduced ledger, checkpoint #1 still tells."""
    item = list_items(busy.ws.ledger, CASE)[-1]
    conn = _attacker(busy)
    conn.execute("DELETE FROM events WHERE item_id = ?", (item.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (item.item_id,))
    import evidence.checkpoint as checkpoint_module

    # Simulate an older tool that did not refuse: sign checkpoint #2 over what is left.
    original = checkpoint_module.missing_heads
    checkpoint_module.missing_heads = lambda ledger, cp: []  # type: ignore[assignment]
    try:
        create_checkpoint(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir)
    finally:
        checkpoint_module.missing_heads = original
    result = audit(busy.ws)
    _expect(result, "checkpoint", "item deleted since checkpoint #1")
    assert result.checkpoint_seq == 2


@pytest.mark.parametrize(
    "body",
    ["{", '{"schema": "custody-checkpoint/1", "seq": 1}', '"just a string"'],
)
def test_malformed_checkpoint_row_is_a_finding_not_a_crash(busy: World, body: str) -> None:
    _attacker(busy).execute("UPDATE checkpoints SET body = ? WHERE seq = 1", (body,))
    result = audit(busy.ws)
    assert not result.ok
    assert any(f.subject == "checkpoint #1" for f in result.findings), _findings(result)


def test_checkpoint_row_with_duplicate_key_is_caught(busy: World) -> None:
    """sqlite's json_extract reads the first of two keys, Python the last: refuse such bytes."""
    conn = _attacker(busy)
    (body,) = conn.execute("SELECT body FROM checkpoints WHERE seq = 1").fetchone()
    conn.execute("UPDATE checkpoints SET body = ? WHERE seq = 1", ('{"root":"00",' + body[1:],))
    result = audit(busy.ws)
    _expect(result, "checkpoint", "not canonical")
    _expect(result, "checkpoint", "hash does not match")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"checkpoint": {"seq": 9}}',
        '{"checkpoint": {"schema": "custody-checkpoint/1", "seq": 9, "root": "'
        + "a" * 64
        + '", "actor": "me", "heads": []}, "hash": "x", "signature": "y"}',
        '{"checkpoint": {"schema": "custody-checkpoint/1", "seq": 9, "root": "'
        + "a" * 64
        + '", "actor": {"fingerprint": "f"}, "heads": [[1, 2]]}, "hash": "x", "signature": "y"}',
    ],
)
def test_hostile_checkpoint_files_are_findings(busy: World, tmp_path: Path, content: str) -> None:
    (busy.ws.checkpoint_dir / file_name(9)).write_text(content)
    outside = tmp_path / "offsite.json"
    outside.write_text(content)
    result = audit(busy.ws, checkpoint_file=outside)
    subjects = {f.subject for f in result.findings}
    assert file_name(9) in subjects and str(outside) in subjects, _findings(result)


def test_checkpoint_file_lost_in_a_crash_is_written_back(busy: World) -> None:
    (busy.ws.checkpoint_dir / file_name(1)).unlink()
    _expect(audit(busy.ws), "checkpoint", "is missing")
    create_checkpoint(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir)
    assert (busy.ws.checkpoint_dir / file_name(1)).is_file()
    assert audit(busy.ws).ok


def test_workspace_path_with_uri_characters(
    tmp_path: Path, world: World, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir)
    odd = tmp_path / "case#1 ?100%"
    world.ws.close()
    world.ws.root.rename(odd)
    from evidence.workspace import Workspace

    ws = Workspace.open(odd)
    try:
        result = audit(ws)
        assert result.ok, _findings(result)
        assert result.events_checked == 8
    finally:
        ws.close()
