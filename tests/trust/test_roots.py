"""Trust roots: an authority key or an agency CA; enrolment, revocation, adoption by a
workspace made before trust roots; and the commands that do them."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidence.audit import audit
from evidence.cases import create_case
from evidence.custody import append_events
from evidence.errors import UsageError
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.keys import Signer
from evidence.ledger import TRUST_TABLES
from evidence.trust.authority import enrol_key, local_authority, revoke_key
from evidence.workspace import AuthoritySetup, Workspace
from tests.helpers import AUTHORITY, CASE, PASSPHRASE, World, issue_certificate, make_ca
from tests.trust.trust_support import NEW_IVANOV, attacker, audit_cli, expect, expect_exit_1


def _authority(world: World) -> Signer:
    record = local_authority(world.ws.keys)
    assert record is not None
    return world.ws.keys.unlock(record, PASSPHRASE)


def test_event_after_revocation_is_a_finding(busy: World) -> None:
    items = list_items(busy.ws.ledger, CASE)
    revoke_key(busy.ws.keys, _authority(busy), busy.expert.record, "left the unit")
    assert audit(busy.ws).ok  # what the expert signed before stays good
    append_events(busy.ws.ledger, busy.expert, items[:1], "analysed")
    result = audit(busy.ws)
    expect(result, "trust", "after the signer's revocation at")
    expect(result, "trust", "(left the unit)")
    expect_exit_1(busy.ws.root, "after the signer's revocation")


def test_revoked_key_may_not_sign_a_checkpoint(busy: World) -> None:
    from evidence.checkpoint import create_checkpoint

    revoke_key(busy.ws.keys, _authority(busy), busy.custodian.record, "left the unit")
    with pytest.raises(UsageError, match="after the signer's revocation"):
        create_checkpoint(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir)
    assert create_checkpoint(busy.ws.ledger, busy.investigator, busy.ws.checkpoint_dir).seq == 2


def test_revocation_needs_the_authority(busy: World) -> None:
    with pytest.raises(UsageError, match="is not the workspace's authority"):
        revoke_key(busy.ws.keys, busy.custodian, busy.expert.record, "no reason")
    with pytest.raises(UsageError, match="needs a --reason"):
        revoke_key(busy.ws.keys, _authority(busy), busy.expert.record, " ")


def test_key_made_without_enrolment_signs_nothing_until_enrolled(
    world: World, evidence_dir: Path
) -> None:
    record = world.ws.keys.create("Late Joiner", "IC", "BY", "expert", PASSPHRASE, enrol=False)
    late = world.ws.keys.unlock(record, PASSPHRASE)
    world.ingest(evidence_dir)
    append_events(world.ws.ledger, late, list_items(world.ws.ledger, CASE)[:1], "analysed")
    expect(audit(world.ws), "trust", "no valid enrolment by the authority")
    enrol_key(world.ws.keys, _authority(world), record, reason="order 17")
    # Enrolment vouches from its own time on: what the key signed before stays a finding.
    expect(audit(world.ws), "trust", "before the signer's enrolment at")
    append_events(world.ws.ledger, late, list_items(world.ws.ledger, CASE)[1:2], "analysed")
    assert [f.subject for f in audit(world.ws).findings if f.check == "trust"] == [
        f"item {list_items(world.ws.ledger, CASE)[0].item_id} event #3"
    ]
    with pytest.raises(UsageError, match="enrolled already"):
        enrol_key(world.ws.keys, _authority(world), record)


def _v1_workspace(tmp_path: Path, evidence_dir: Path) -> Path:
    """A workspace as made before trust roots: no trust tables, user_version 1."""
    ws = Workspace.init(tmp_path / "old")
    signer = ws.keys.unlock(
        ws.keys.create("Old Hand", "IC", "BY", "investigator", PASSPHRASE), PASSPHRASE
    )
    create_case(ws.ledger, CASE, "old case", "BY", "", "test")
    ingest(ws, signer, [evidence_dir], IngestOptions(case=CASE, source="old phone"))
    ws.close()
    conn = sqlite3.connect(tmp_path / "old" / "ledger.db", isolation_level=None)
    for table in TRUST_TABLES:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    return tmp_path / "old"


def test_workspace_before_trust_roots_opens_audits_as_unestablished_and_adopts(
    tmp_path: Path, evidence_dir: Path
) -> None:
    root = _v1_workspace(tmp_path, evidence_dir)
    ws = Workspace.open(root)
    assert ws.ledger.version == 1
    assert len(list_items(ws.ledger, CASE)) == 4  # still readable
    expect(audit(ws), "trust", "this workspace has no trust root")
    ws.close()
    expect_exit_1(root, "no trust root")
    runner = CliRunner()
    result = runner.invoke(
        __import__("evidence.cli.main", fromlist=["cli"]).cli,
        ["--workspace", str(root), "init", "--authority", "Evidence Office", "--country", "BY"],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE},
    )
    assert result.exit_code == 0, result.output
    assert "trust root adopted: 1 existing certificate(s) enrolled" in result.stdout
    code, out = audit_cli(root, "--fixity")
    assert code == 0, out
    ws = Workspace.open(root)
    with pytest.raises(UsageError, match="already has a trust root"):
        ws.adopt_authority(AuthoritySetup("Second", PASSPHRASE))
    ws.close()


def test_trust_tables_dropped_is_a_downgrade_not_a_pass(busy: World) -> None:
    """Dropping the trust tables and the schema number makes a 'v1' ledger: no root, exit 1."""
    conn = attacker(busy.ws.ledger.path)
    for table in TRUST_TABLES:
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    busy.ws.close()
    ws = Workspace.open(busy.ws.root)
    try:
        result = audit(ws)
    finally:
        ws.close()
    expect(result, "trust", "no trust root")
    expect(result, "checkpoint", "the trust root differs from the one this checkpoint names")


def test_ca_root_path_validated_at_each_event_time(tmp_path: Path, evidence_dir: Path) -> None:
    ca_key, ca = make_ca()
    ws = Workspace.init(tmp_path / "ws", trust_ca=ca)
    record = ws.keys.create("A. Ivanov", "IC", "BY", "investigator", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    create_case(ws.ledger, CASE, "ca case", "BY", "", "test")
    # Self-signed only: not vouched for by the CA.
    ingest(ws, signer, [evidence_dir / "empty.bin"], IngestOptions(case=CASE, source="x"))
    expect(audit(ws), "trust", "certificate is not issued by the trusted CA")
    # The CA issues the certificate: later events verify (the first stays unestablished).
    ws.keys.import_certificate_for(
        issue_certificate(ca_key, ca, ws.keys.csr(signer)), "c.pem", None
    )
    issued = ws.keys.unlock(ws.keys.get(record.key_id), PASSPHRASE)
    ingest(ws, issued, [evidence_dir / "phone"], IngestOptions(case=CASE, source="y"))
    result = audit(ws)
    bad = {f.subject for f in result.findings if f.check == "trust"}
    first = list_items(ws.ledger, CASE)[0].item_id
    # The ingest and its profiled event, both signed before the CA issued the certificate.
    assert bad == {f"item {first} event #1", f"item {first} event #2"}, [
        str(f) for f in result.findings
    ]
    ws.close()


def test_ca_root_refuses_a_certificate_of_another_ca(tmp_path: Path, evidence_dir: Path) -> None:
    _, ca = make_ca()
    other_key, other = make_ca("Other CA")
    ws = Workspace.init(tmp_path / "ws", trust_ca=ca)
    record = ws.keys.create("A. Ivanov", "IC", "BY", "investigator", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    ws.keys.import_certificate_for(
        issue_certificate(other_key, other, ws.keys.csr(signer)), "c.pem", None
    )
    signer = ws.keys.unlock(ws.keys.get(record.key_id), PASSPHRASE)
    create_case(ws.ledger, CASE, "ca case", "BY", "", "test")
    ingest(ws, signer, [evidence_dir / "empty.bin"], IngestOptions(case=CASE, source="x"))
    expect(audit(ws), "trust", "not issued by the trusted CA")
    ws.close()


def test_expired_certificate_under_a_ca(tmp_path: Path, evidence_dir: Path) -> None:
    """An event dated after the issued certificate expired is named."""
    ca_key, ca = make_ca()
    ws = Workspace.init(tmp_path / "ws", trust_ca=ca)
    record = ws.keys.create("A. Ivanov", "IC", "BY", "investigator", PASSPHRASE)
    signer = ws.keys.unlock(record, PASSPHRASE)
    expired = (timedelta(days=-2), timedelta(days=-1))
    short = issue_certificate(ca_key, ca, ws.keys.csr(signer), expired)
    ws.keys.import_certificate_for(short, "s.pem", None)
    signer = ws.keys.unlock(ws.keys.get(record.key_id), PASSPHRASE)
    create_case(ws.ledger, CASE, "ca case", "BY", "", "test")
    ingest(ws, signer, [evidence_dir / "empty.bin"], IngestOptions(case=CASE, source="x"))
    expect(audit(ws), "trust", "after the certificate expired")
    ws.close()


def test_init_refuses_a_non_ca_as_trust_ca(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "a", AUTHORITY)
    leaf = ws.keys.list()[0].certificate
    ws.close()
    with pytest.raises(UsageError, match="not a CA"):
        Workspace.init(tmp_path / "b", trust_ca=leaf)
    assert not (tmp_path / "b").exists()  # nothing half-made


def test_init_with_a_bad_authority_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        Workspace.init(tmp_path / "ws", AuthoritySetup("Evidence Room", "short"))
    assert not (tmp_path / "ws").exists()


def test_cli_solo_path_shows_anchor_and_enrolment(tmp_path: Path) -> None:
    from evidence.cli.main import cli

    runner = CliRunner()
    env = {"CUSTODY_PASSPHRASE": PASSPHRASE}
    ws = ["--workspace", str(tmp_path / "ws")]
    init = runner.invoke(cli, [*ws, "init", "--authority", "Evidence Room", "--json"], env=env)
    assert init.exit_code == 0, init.output
    anchor = json.loads(init.stdout)["anchor"]["fingerprint"]
    new = runner.invoke(
        cli,
        [*ws, *NEW_IVANOV],
        env=env,
    )
    assert new.exit_code == 0, new.output
    assert "enrolled by: Evidence Room" in new.stdout
    revoke = runner.invoke(
        cli, [*ws, "key", "revoke", "A. Ivanov", "--reason", "left the unit"], env=env
    )
    assert revoke.exit_code == 0, revoke.output
    assert revoke.stdout.startswith("revoked: A. Ivanov ")
    listed = json.loads(runner.invoke(cli, [*ws, "key", "list", "--json"], env=env).stdout)
    assert [k["trust"][:7] for k in listed] == ["root", "revoked"]
    again = runner.invoke(cli, [*ws, "key", "revoke", "A. Ivanov", "--reason", "x"], env=env)
    assert again.exit_code == 2 and "revoked already" in again.stderr
    code, out = audit_cli(tmp_path / "ws", "--anchor", anchor)
    assert code == 0, out
    code, out = audit_cli(tmp_path / "ws", "--anchor", "00" * 32)
    assert code == 1 and "is not the pinned" in out


def test_cli_enrol_needs_the_authority_passphrase(tmp_path: Path) -> None:
    from evidence.cli.main import cli

    runner = CliRunner()
    ws = ["--workspace", str(tmp_path / "ws")]
    assert runner.invoke(cli, [*ws, "init"], env={"CUSTODY_PASSPHRASE": PASSPHRASE}).exit_code == 0
    args = [*ws, "key", "new", "--name", "X Y", "--org", "O", "--country", "BY", "--role", "expert"]
    other = {
        "CUSTODY_PASSPHRASE": "another passphrase",
        "CUSTODY_AUTHORITY_PASSPHRASE": "wrong one!",
    }
    result = runner.invoke(cli, args, env=other)
    assert result.exit_code == 3 and "wrong passphrase" in result.stderr
    result = runner.invoke(cli, [*args, "--no-enrol"], env=other)
    assert result.exit_code == 0, result.output
    good = {"CUSTODY_PASSPHRASE": "another passphrase", "CUSTODY_AUTHORITY_PASSPHRASE": PASSPHRASE}
    result = runner.invoke(cli, [*ws, "key", "enrol", "X Y", "--reason", "order 5"], env=good)
    assert result.exit_code == 0, result.output
    assert "enrolled: X Y" in result.stdout


@pytest.mark.parametrize("version", [1, 2])
def test_checkpoint_written_before_trust_roots_still_verifies(
    world: World, evidence_dir: Path, version: int
) -> None:
    """A custody-checkpoint/1 (no trust commitment) or /2 (no token policy), as the previous
    versions wrote them."""
    import hashlib

    from evidence.canonical import canonical_bytes
    from evidence.checkpoint import current_heads, file_name, merkle_root, trust_commitment
    from evidence.timefmt import utc_now

    world.ingest(evidence_dir)
    heads = current_heads(world.ws.ledger)
    body: dict[str, Any] = {
        "schema": f"custody-checkpoint/{version}",
        "seq": 1,
        "created_at": utc_now(),
        "actor": world.custodian.actor,
        "tree_size": len(heads),
        "events": len(heads),
        "root": merkle_root(heads),
        "prev": None,
        "heads": [[h.item_id, h.seq, h.hash] for h in heads],
    }
    if version == 2:
        body["trust"] = trust_commitment(world.ws.ledger)
    data = canonical_bytes(body)
    digest, signature = hashlib.sha256(data).hexdigest(), world.custodian.sign(data)
    with world.ws.ledger.atomic():
        world.ws.ledger.insert(
            "checkpoints",
            {
                "seq": 1,
                "hash": digest,
                "body": data.decode(),
                "signature": signature,
                "signer": world.custodian.record.fingerprint,
            },
        )
    file = {"checkpoint": body, "hash": digest, "signature": signature}
    (world.ws.checkpoint_dir / file_name(1)).write_text(json.dumps(file))
    os.chmod(world.ws.checkpoint_dir / file_name(1), 0o600)
    result = audit(world.ws)
    assert result.ok, [str(f) for f in result.findings]
    assert result.checkpoint_seq == 1
    # A v3 checkpoint after it links to it, carries the trust commitment and its token policy.
    from evidence.checkpoint import create_checkpoint

    second = create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)
    assert second.body["schema"] == "custody-checkpoint/3" and second.body["prev"] == digest
    assert second.body["timestamp"] == {"policy": "none", "prev_token_sha256": None}
    assert audit(world.ws).ok
