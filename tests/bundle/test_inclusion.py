"""Inclusion proofs in bundles: log.inclusion, and an insider sender's attacks on it (the
sender's own key re-signs the tampered bag, so only the log can tell)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evidence.bundle.build import build_bundle
from evidence.bundle.cms import sign_detached
from evidence.bundle.logproofs import proof_name
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.checkpoint import create_checkpoint, file_name
from evidence.custody import append_events
from evidence.items import list_items
from evidence.keys import Signer
from evidence.tlog.cosignature import CosignatureVerifier
from evidence.tlog.ledgerlog import ledger_tree, note_file, note_vkey, stored_note
from evidence.tlog.proofnote import TlogProof
from evidence.witness import WitnessStore, cosign_with
from tests.bundle.bundle_support import REQUEST, Built, tampered
from tests.conftest import WitnessFixture
from tests.helpers import CASE, World


def _verify(archive: Path, built: Built, *keys: str) -> VerifyResult:
    return verify_bundle(
        archive,
        fingerprints=[built.prosecutor.record.fingerprint],
        cosigners=[CosignatureVerifier.from_vkey(k) for k in keys],
    )


def _inclusion(result: VerifyResult) -> list[str]:
    return [f"{c.subject}: {c.message}" for c in result.checks if c.name == "log.inclusion"]


def _resign(prosecutor: Signer):  # type: ignore[no-untyped-def]
    def sign(bag: Path) -> None:
        listing = (bag / "tagmanifest-sha256.txt").read_bytes()
        (bag / "tagmanifest-sha256.txt.p7s").write_bytes(sign_detached(prosecutor, listing))

    return sign


def test_every_event_is_proved(built: Built, bag: Path) -> None:
    result = _verify(built.zip_path, built)
    assert result.status == "verified"
    manifest = json.loads((bag / "manifest.json").read_bytes())
    # Every event but the export each chain ends with (signed at bundling, after the checkpoint).
    events = sum(len(entry["custody"]) - 1 for entry in manifest["items"])
    (line,) = _inclusion(result)
    assert line.startswith(f"log: {events} events proved in checkpoint #1")
    assert len(list((bag / "log" / "proofs").iterdir())) == events


def test_proofs_swapped_between_events(built: Built, tmp_path: Path) -> None:
    items = list_items(built.world.ws.ledger, CASE)
    a, b = proof_name(items[0].item_id, 1), proof_name(items[1].item_id, 1)

    def swap(bag: Path) -> None:
        da, db = (bag / a).read_bytes(), (bag / b).read_bytes()
        (bag / a).write_bytes(db)
        (bag / b).write_bytes(da)

    archive = tampered(built, tmp_path, swap, after=_resign(built.prosecutor))
    result = _verify(archive, built)
    assert result.status == "failed"
    found = _inclusion(result)
    assert any(f"item {items[0].item_id} event #1: inclusion proof of leaf" in m for m in found)
    assert any(f"item {items[1].item_id} event #1" in m for m in found)


def test_proof_for_another_tree(built: Built, tmp_path: Path) -> None:
    world = built.world
    items = list_items(world.ws.ledger, CASE)
    append_events(world.ws.ledger, world.custodian, items[:1], "accessed", purpose="look")
    later = create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)
    assert later.log is not None
    tree = ledger_tree(world.ws.ledger)
    (row,) = world.ws.ledger.rows(
        "SELECT l.idx FROM log_leaves l JOIN events e ON e.event_id = l.ref "
        "WHERE e.item_id = $1 AND e.seq = 1",
        (items[0].item_id,),
    )
    note = stored_note(world.ws.ledger, later.seq, later.log)
    assert note is not None
    other = TlogProof(row["idx"], tuple(tree.inclusion_proof(row["idx"], later.log.size)), note)
    name = proof_name(items[0].item_id, 1)
    archive = tampered(
        built,
        tmp_path,
        lambda bag: (bag / name).write_bytes(other.to_bytes()),
        after=_resign(built.prosecutor),
    )
    found = _inclusion(_verify(archive, built))
    assert found == [
        f"item {items[0].item_id} event #1: its proof is for another tree than the bundle's "
        "checkpoint"
    ]


def test_bundle_whose_checkpoint_is_older_than_its_events(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    ws = seized.ws
    old = create_checkpoint(ws.ledger, seized.custodian, ws.checkpoint_dir)
    assert old.log is not None
    items = list_items(ws.ledger, CASE)
    append_events(ws.ledger, seized.expert, items[:1], "analysed", purpose="second look")
    (late,) = ws.ledger.rows(
        "SELECT MAX(seq) AS seq FROM events WHERE item_id = $1", (items[0].item_id,)
    )
    out = tmp_path / "request-0042.zip"
    result = build_bundle(ws, prosecutor, CASE, out, REQUEST)
    built = Built(seized, prosecutor, out, result)
    assert ws.ledger.rows("SELECT MAX(seq) AS n FROM checkpoints")[0]["n"] == 2  # made anew
    # The insider puts the older checkpoint in the bundle, with the proofs it can give.
    note = stored_note(ws.ledger, old.seq, old.log)
    assert note is not None
    tree = ledger_tree(ws.ledger)
    rows = ws.ledger.rows(
        "SELECT l.idx, e.item_id, e.seq FROM log_leaves l JOIN events e ON e.event_id = l.ref"
    )

    def downgrade(bag: Path) -> None:
        shutil.rmtree(bag / "log")
        (bag / "log" / "proofs").mkdir(parents=True)
        (bag / "log" / "checkpoint.json").write_bytes(
            (ws.checkpoint_dir / file_name(old.seq)).read_bytes()
        )
        (bag / "log" / "checkpoint.note").write_bytes(note.to_bytes())
        for r in rows:
            if r["idx"] < old.log.size:
                proof = TlogProof(
                    r["idx"], tuple(tree.inclusion_proof(r["idx"], old.log.size)), note
                )
                (bag / proof_name(r["item_id"], r["seq"])).write_bytes(proof.to_bytes())

    archive = tampered(built, tmp_path, downgrade, after=_resign(prosecutor))
    found = _inclusion(_verify(archive, built))
    assert found == [
        f"item {items[0].item_id} event #{late['seq']}: not covered: it is dated after "
        "checkpoint #1 (the bundle's checkpoint is older than its events)"
    ]


def test_stripped_log_fails_only_when_a_witness_is_required(
    built: Built, tmp_path: Path, local_witness: WitnessFixture
) -> None:
    archive = tampered(
        built, tmp_path, lambda bag: shutil.rmtree(bag / "log"), after=_resign(built.prosecutor)
    )
    assert _verify(archive, built).status == "verified"  # as a bundle made before the log
    found = _inclusion(_verify(archive, built, local_witness.vkey))
    assert found == ["log: the bundle carries no log, so no witness cosigned it"]


def test_witnessed_bundle_and_a_foreign_witness_key(
    seized: World, prosecutor: Signer, tmp_path: Path, local_witness: WitnessFixture
) -> None:
    ws = seized.ws
    anchor = ws.ledger.rows("SELECT fingerprint FROM trust_anchor")[0]["fingerprint"]
    vkey = note_vkey(anchor, prosecutor.private_key.public_key())
    WitnessStore.open(local_witness.root).add_log(vkey)
    out = tmp_path / "request-0042.zip"
    result = build_bundle(
        ws, prosecutor, CASE, out, REQUEST, witness=cosign_with(ws.ledger, [local_witness.url])
    )
    built = Built(seized, prosecutor, out, result)
    ok = _verify(out, built, local_witness.vkey)
    assert ok.status == "verified", _inclusion(ok)
    assert "cosigned by witness.test.example/w1" in _inclusion(ok)[0]
    assert note_file(ws.checkpoint_dir, 1).is_file()
    foreign = WitnessStore.init(tmp_path / "foreign", "witness.test.example/w1", [])
    found = _inclusion(_verify(out, built, foreign.cosigner.vkey))
    assert found == ["log/checkpoint.note: not cosigned by witness witness.test.example/w1"]
