"""Every attack of issue 9, as someone with write access to the workspace but no key: each is
a finding, and `custody audit` exits 1 naming it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.custody import append_events, receive, transfer
from evidence.errors import VerificationError
from evidence.events import item_events
from evidence.items import list_items
from evidence.ledger import SQLiteLedger
from tests.helpers import CASE, World
from tests.trust.trust_support import (
    attacker,
    audit_cli,
    expect,
    expect_exit_1,
    forged_key,
    insert_certificate,
    signer_for,
)


def test_clean_workspace_passes_with_the_pinned_anchor(busy: World) -> None:
    anchor = audit(busy.ws).anchor
    assert anchor is not None
    code, out = audit_cli(busy.ws.root, "--fixity", "--anchor", anchor.upper())
    assert code == 0, out
    assert f"root authority {anchor[:16]} (pinned)" in out


def test_forged_actor_without_touching_the_triggers(busy: World, tmp_path: Path) -> None:
    """The issue's attack: a certificate row naming the real custodian, filed under the real
    custodian's key id with an old date, for the attacker's own key; then a transfer, its
    receipt and a `destroyed`, signed by that key, appended with plain INSERTs."""
    real = busy.custodian.record
    key, cert = forged_key(real.name)
    conn = attacker(busy.ws.ledger.path, drop_triggers=False)
    insert_certificate(conn, cert, real.key_id, "2026-01-01T00:00:00.000000Z")
    conn.close()
    fake = signer_for(key, cert, real.name, real.key_id)
    # Only INSERTs, as sqlite3 would do them.
    ledger = SQLiteLedger.open(Path(busy.ws.ledger.location))
    items = list_items(ledger, CASE)[2:3]
    head = len(item_events(ledger, items[0].item_id))
    transfer(ledger, busy.investigator, items, fake.record)  # the real investigator hands over
    receive(ledger, fake, items)
    append_events(ledger, fake, items, "destroyed", note="destroyed per order")
    ledger.close()
    result = audit(busy.ws, fixity=True)
    expect(result, "trust", "signer is not established by the trust root")
    expect(result, "certificates", "row differs from the certificate: key_id")
    forged = [f for f in result.findings if f.check == "trust"]
    # The receipt and the `destroyed` (the transfer by the real investigator stays valid).
    assert {f.subject.split()[-1] for f in forged} == {f"#{head + 2}", f"#{head + 3}"}
    assert not [f for f in result.findings if f.check == "ledger"]  # triggers untouched
    expect_exit_1(busy.ws.root, "signer is not established by the trust root")
    # ...and `custody bundle` refuses to sign the forged events into a bundle for abroad.
    from evidence.bundle.build import build_bundle
    from evidence.bundle.manifest import MlaRequest

    request = MlaRequest("No. 1", "Minsk Convention 1993", "PGO BY", "RU", "PGO RU", "2026-11-25")
    with pytest.raises(VerificationError):
        build_bundle(busy.ws, busy.investigator, CASE, tmp_path / "b.zip", request)
    assert not (tmp_path / "b.zip").exists()


def test_forged_actor_with_its_own_keys_row(busy: World) -> None:
    key, cert = forged_key("Evidence Room")
    fake = signer_for(key, cert, "Evidence Room")
    conn = attacker(busy.ws.ledger.path, drop_triggers=False)
    conn.execute(
        "INSERT INTO keys VALUES (?, 'Evidence Room', 'Investigative Committee', 'BY', "
        "'custodian', '2026-01-01T00:00:00.000000Z')",
        (fake.record.key_id,),
    )
    insert_certificate(conn, cert, fake.record.key_id, "2026-01-01T00:00:00.000000Z")
    conn.close()
    ledger = SQLiteLedger.open(Path(busy.ws.ledger.location))
    append_events(ledger, fake, list_items(ledger, CASE)[:1], "destroyed")
    ledger.close()
    expect(audit(busy.ws), "trust", "no valid enrolment by the authority")
    expect_exit_1(busy.ws.root, "no valid enrolment by the authority")


def test_forged_enrolment_record(busy: World) -> None:
    """The attacker writes an enrolment for their key, naming the authority, signed by
    themselves (they have no authority key)."""
    from evidence.trust.store import append_record

    key, cert = forged_key("Evidence Room")
    fake = signer_for(key, cert, "Evidence Room")
    conn = attacker(busy.ws.ledger.path, drop_triggers=False)
    insert_certificate(conn, cert, fake.record.key_id, "2026-01-01T00:00:00.000000Z")
    conn.close()
    anchor = audit(busy.ws).anchor
    assert anchor is not None
    # The record claims the authority in `by`, but the signature is the attacker's.
    impostor = signer_for(key, cert, "Test authority")
    object.__setattr__(impostor.record, "fingerprint", anchor)
    ledger = SQLiteLedger.open(Path(busy.ws.ledger.location))
    with ledger.atomic():
        append_record(ledger, impostor, "enrolment", cert)
    append_events(ledger, fake, list_items(ledger, CASE)[:1], "destroyed")
    ledger.close()
    result = audit(busy.ws)
    expect(result, "trust", "its signature does not verify")
    expect(result, "trust", "signer is not established")
    expect_exit_1(busy.ws.root, "its signature does not verify")


def test_trust_root_replaced(busy: World, tmp_path: Path) -> None:
    """The attacker swaps in their own authority as the root: the pinned anchor and the
    checkpoint (signed by a real key over the old root) both say so."""
    anchor = audit(busy.ws).anchor
    assert anchor is not None
    key, cert = forged_key("Test authority", role="authority")
    conn = attacker(busy.ws.ledger.path)
    conn.execute("DELETE FROM trust_anchor")
    from evidence.trust.records import certificate_pem

    conn.execute(
        "INSERT INTO trust_anchor VALUES (?, 'authority', ?, '2026-01-01T00:00:00.000000Z')",
        (signer_for(key, cert, "x").record.fingerprint, certificate_pem(cert)),
    )
    conn.close()
    result = audit(busy.ws)
    expect(result, "checkpoint", "the trust root differs from the one this checkpoint names")
    expect_exit_1(busy.ws.root, "is not the pinned", "--anchor", anchor)


def test_triggers_dropped(busy: World) -> None:
    attacker(busy.ws.ledger.path).close()
    expect(audit(busy.ws), "ledger", "append-only trigger events_no_update is missing")
    expect_exit_1(busy.ws.root, "trust_records_no_delete is missing")


def test_trigger_rewritten_to_do_nothing(busy: World) -> None:
    conn = attacker(busy.ws.ledger.path, drop_triggers=False)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END")
    conn.close()
    expect(audit(busy.ws), "ledger", "trigger events_no_update is not the append-only one")
    expect_exit_1(busy.ws.root, "is not the append-only one")


def test_keys_row_renamed(busy: World) -> None:
    attacker(busy.ws.ledger.path).execute("UPDATE keys SET name = 'Prosecutor General'")
    expect(audit(busy.ws), "certificates", "row differs from its certificate: name")
    expect_exit_1(busy.ws.root, "row differs from its certificate: name")


def test_certificate_key_id_pointed_at_another_key(busy: World) -> None:
    conn = attacker(busy.ws.ledger.path)
    conn.execute(
        "UPDATE certificates SET key_id = ? WHERE key_id = ?",
        (busy.investigator.record.key_id, busy.expert.record.key_id),
    )
    conn.close()
    expect(audit(busy.ws), "certificates", "row differs from the certificate: key_id")
    expect_exit_1(busy.ws.root, "key_id")


def test_key_created_at_and_certificate_added_at_backdated(busy: World) -> None:
    conn = attacker(busy.ws.ledger.path)
    conn.execute("UPDATE keys SET created_at = '2020-01-01T00:00:00.000000Z'")
    conn.execute("UPDATE certificates SET added_at = '2020-01-01T00:00:00.000000Z'")
    conn.close()
    result = audit(busy.ws)
    expect(result, "certificates", "created_at differs from the signed enrolment record")
    expect(result, "certificates", "added_at differs from the signed enrolment record")
    expect_exit_1(busy.ws.root, "differs from the signed enrolment record")


def test_item_ingested_at_edited(busy: World) -> None:
    attacker(busy.ws.ledger.path).execute(
        "UPDATE items SET ingested_at = '2026-10-01T09:00:00.000000Z'"
    )
    expect(audit(busy.ws), "chains", "ingested_at differs from the time of the signed ingest")
    expect_exit_1(busy.ws.root, "ingested_at differs")


def test_metadata_with_a_duplicate_json_key(busy: World) -> None:
    """Python's json takes the last value, SQLite's json_extract the first: two readers, two
    stories. The rewritten text hashes like the signed one to Python, yet is refused."""
    item = list_items(busy.ws.ledger, CASE)[0]
    text = json.dumps(item.metadata, ensure_ascii=False, sort_keys=True)
    name = sorted(item.metadata)[0]
    forged = "{" + json.dumps(name) + ': "Forged", ' + text[1:]
    conn = attacker(busy.ws.ledger.path)
    conn.execute("UPDATE items SET metadata = ? WHERE item_id = ?", (forged, item.item_id))
    (extracted,) = conn.execute(
        "SELECT json_extract(metadata, '$.' || json_quote(?)) FROM items WHERE item_id = ?",
        (name, item.item_id),
    ).fetchone()
    conn.close()
    assert json.loads(forged) == item.metadata  # Python sees exactly what was signed...
    assert extracted != item.metadata[name]  # ...SQLite sees something else
    expect(audit(busy.ws), "chains", "metadata column holds duplicate keys")
    expect_exit_1(busy.ws.root, "holds duplicate keys")


def test_metadata_with_trailing_spaces(busy: World) -> None:
    item = list_items(busy.ws.ledger, CASE)[0]
    conn = attacker(busy.ws.ledger.path)
    conn.execute("UPDATE items SET metadata = metadata || '   ' WHERE item_id = ?", (item.item_id,))
    conn.close()
    expect(audit(busy.ws), "chains", "metadata column is not in the tool's exact serialisation")
    expect_exit_1(busy.ws.root, "exact serialisation")


def test_vault_folder_made_world_writable(busy: World) -> None:
    item = list_items(busy.ws.ledger, CASE)[0]
    os.chmod(busy.ws.vault.path_for(item.sha256).parent, 0o777)
    expect(audit(busy.ws), "files", "is writable by group or others (mode 0777)")
    expect_exit_1(busy.ws.root, "mode 0777")


def test_vault_file_replaced_by_symlink_to_a_copy_outside(busy: World, tmp_path: Path) -> None:
    item = max(list_items(busy.ws.ledger, CASE), key=lambda i: i.size)
    path = busy.ws.vault.path_for(item.sha256)
    outside = tmp_path / "copy-outside"
    shutil.copy(path, outside)  # identical bytes today, editable tomorrow
    path.unlink()
    path.symlink_to(outside)
    expect(audit(busy.ws, fixity=True), "fixity", "vault entry is a symlink")
    expect_exit_1(busy.ws.root, "is a symlink", "--fixity")


def test_vault_file_hard_linked_elsewhere(busy: World, tmp_path: Path) -> None:
    item = max(list_items(busy.ws.ledger, CASE), key=lambda i: i.size)
    os.link(busy.ws.vault.path_for(item.sha256), tmp_path / "second-name")
    expect(audit(busy.ws, fixity=True), "fixity", "vault file has 2 links")
    expect_exit_1(busy.ws.root, "has 2 links")


def test_workspace_opened_to_others(busy: World) -> None:
    os.chmod(busy.ws.root / "ledger.db", 0o644)
    expect(audit(busy.ws), "files", "is open to group or others (mode 0644; chmod go-rwx)")
    expect_exit_1(busy.ws.root, "mode 0644")


def test_trust_record_edited(busy: World) -> None:
    conn = attacker(busy.ws.ledger.path)
    (body,) = conn.execute("SELECT body FROM trust_records WHERE seq = 2").fetchone()
    conn.execute(
        "UPDATE trust_records SET body = ? WHERE seq = 2",
        (body.replace('"reason":""', '"reason":"x"'),),
    )
    conn.close()
    expect(audit(busy.ws), "trust", "row differs from its signed record: hash")
    expect_exit_1(busy.ws.root, "row differs from its signed record")


def test_trust_record_removed(busy: World) -> None:
    attacker(busy.ws.ledger.path).execute("DELETE FROM trust_records WHERE seq = 2")
    result = audit(busy.ws)
    expect(result, "trust", "sequence broken, expected #2")
    expect(result, "trust", "signer is not established")  # that key's enrolment is gone
    expect_exit_1(busy.ws.root, "sequence broken")


def test_certificate_removed_after_checkpoint(busy: World) -> None:
    """The last trust record and a certificate disappear: the checkpoint listed both."""
    conn = attacker(busy.ws.ledger.path)
    (last,) = conn.execute("SELECT MAX(seq) FROM trust_records").fetchone()
    conn.execute("DELETE FROM trust_records WHERE seq = ?", (last,))
    conn.execute("DELETE FROM certificates WHERE key_id = ?", (busy.expert.record.key_id,))
    conn.close()
    result = audit(busy.ws)
    expect(result, "checkpoint", f"trust record #{last} it names is gone or changed")
    expect(result, "checkpoint", "it lists is gone from the ledger")
    expect_exit_1(busy.ws.root, "it lists is gone from the ledger")


def test_certificate_slipped_in_before_checkpoint(busy: World) -> None:
    key, cert = forged_key("Evidence Room")
    conn = attacker(busy.ws.ledger.path, drop_triggers=False)
    insert_certificate(
        conn, cert, signer_for(key, cert, "x").record.key_id, "2026-01-01T00:00:00.000000Z"
    )
    conn.close()
    expect(audit(busy.ws), "checkpoint", "is dated before this checkpoint but not in it")
    expect_exit_1(busy.ws.root, "dated before this checkpoint")
