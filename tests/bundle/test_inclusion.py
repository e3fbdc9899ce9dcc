"""Inclusion proofs in bundles: log.inclusion, and an insider sender's attacks on it (the
sender's own key re-signs the tampered bag, so only the log can tell)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from evidence.bundle.build import build_bundle
from evidence.bundle.cms import sign_detached
from evidence.bundle.logproofs import proof_name, trust_proof_name
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.canonical import canonical_bytes
from evidence.checkpoint import create_checkpoint, file_name
from evidence.custody import append_events
from evidence.events import new_body, sign_event, write_events
from evidence.items import list_items
from evidence.keys import Signer
from evidence.timefmt import format_utc, parse_rfc3339
from evidence.tlog.cosignature import CosignatureVerifier
from evidence.tlog.ledgerlog import ledger_tree, note_file, note_vkey, stored_note
from evidence.tlog.proofnote import TlogProof
from evidence.trust.authority import local_authority, revoke_key
from evidence.witness import WitnessStore, cosign_with
from evidence.workspace import Workspace
from tests.bundle.bundle_support import REQUEST, Built, invoke, run_custody, tampered
from tests.conftest import WitnessFixture
from tests.helpers import CASE, PASSPHRASE, World


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
    # Every event, the export each chain ends with included (recorded with the checkpoint).
    events = sum(len(entry["custody"]) for entry in manifest["items"])
    assert all(e["custody"][-1]["event"]["action"] == "exported" for e in manifest["items"])
    records = len(manifest["trust"]["records"])
    (line,) = _inclusion(result)
    assert line.startswith(f"log: {events} events and {records} trust records proved in ")
    proofs = sorted(p.name for p in (bag / "log" / "proofs").iterdir())
    assert len(proofs) == events + records
    assert len([p for p in proofs if p.startswith("trust-")]) == records
    checkpoint = json.loads((bag / "log" / "checkpoint.json").read_bytes())
    assert manifest["schema"] == "evidence-manifest/4"
    assert manifest["log"] == {
        "checkpoint": {"seq": 1, "hash": checkpoint["hash"]},
        "origin": checkpoint["checkpoint"]["log"]["origin"],
        "size": checkpoint["checkpoint"]["log"]["size"],
        "proofs": events + records,
    }


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

    trust_rows = ws.ledger.rows("SELECT idx, ref FROM log_leaves WHERE kind = 'trust'")

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
        for r in trust_rows:
            proof = TlogProof(r["idx"], tuple(tree.inclusion_proof(r["idx"], old.log.size)), note)
            (bag / trust_proof_name(int(r["ref"]))).write_bytes(proof.to_bytes())
        # ...and re-signs a manifest declaring it, so only the events' dates can tell.
        manifest = json.loads((bag / "manifest.json").read_bytes())
        manifest["log"].update(
            checkpoint={"seq": old.seq, "hash": old.hash},
            size=old.log.size,
            proofs=len(list((bag / "log" / "proofs").iterdir())),
        )
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(prosecutor, data))

    archive = tampered(built, tmp_path, downgrade, after=_resign(prosecutor))
    found = _inclusion(_verify(archive, built))
    # The late event, and every export event (each chain's last), are not covered.
    heads = dict(ws.ledger.tuples("SELECT item_id, MAX(seq) FROM events GROUP BY item_id"))
    assert found == [
        f"item {i.item_id} event #{seq}: not covered: it is dated after checkpoint #1 (the "
        "bundle's checkpoint is older than its events)"
        for i in items
        for seq in ([late["seq"]] if i == items[0] else []) + [heads[i.item_id]]
    ]


def test_stripped_log_is_caught_by_the_signed_manifest(
    built: Built, tmp_path: Path, local_witness: WitnessFixture
) -> None:
    # The sender strips log/ and re-signs the tag manifest: the manifest still declares it.
    archive = tampered(
        built, tmp_path, lambda bag: shutil.rmtree(bag / "log"), after=_resign(built.prosecutor)
    )
    result = _verify(archive, built)
    assert result.status == "failed"
    manifest = json.loads((tmp_path / "tamper-0" / "request-0042" / "manifest.json").read_bytes())
    proofs = manifest["log"]["proofs"]
    assert _inclusion(result) == [
        f"log: the signed manifest declares the log (checkpoint #1, {proofs} proofs) but the "
        "bundle carries no log/ (stripped?)"
    ]
    assert run_custody(_verify_args(archive, built)).returncode == 1


def test_stripped_log_without_the_key(built: Built, tmp_path: Path) -> None:
    # Anyone else re-zips the bag without log/: the signed tag manifest misses it too.
    archive = tampered(built, tmp_path, lambda bag: shutil.rmtree(bag / "log"), refresh=False)
    result = _verify(archive, built)
    assert result.status == "failed"
    assert any(c.name == "bag.complete" and c.status == "failed" for c in result.checks)
    assert any("carries no log/ (stripped?)" in m for m in _inclusion(result))


def test_one_proof_stripped(built: Built, tmp_path: Path) -> None:
    items = list_items(built.world.ws.ledger, CASE)
    name = proof_name(items[0].item_id, 2)
    archive = tampered(
        built, tmp_path, lambda bag: (bag / name).unlink(), after=_resign(built.prosecutor)
    )
    manifest = json.loads((tmp_path / "tamper-0" / "request-0042" / "manifest.json").read_bytes())
    proofs = manifest["log"]["proofs"]
    assert _inclusion(_verify(archive, built)) == [
        f"log/proofs: holds {proofs - 1} proofs, the signed manifest declares {proofs} "
        "(removed or added?)",
        f"item {items[0].item_id} event #2: has no inclusion proof",
    ]


def test_the_bundles_own_export_proof_stripped(built: Built, tmp_path: Path) -> None:
    # Before version 4 the export event had no proof; now its absence is a failure.
    items = list_items(built.world.ws.ledger, CASE)
    last = len(
        built.world.ws.ledger.rows("SELECT seq FROM events WHERE item_id = $1", (items[0].item_id,))
    )
    name = proof_name(items[0].item_id, last)
    archive = tampered(
        built, tmp_path, lambda bag: (bag / name).unlink(), after=_resign(built.prosecutor)
    )
    found = _inclusion(_verify(archive, built))
    assert f"item {items[0].item_id} event #{last}: has no inclusion proof" in found


def test_note_stripped(built: Built, tmp_path: Path) -> None:
    archive = tampered(
        built,
        tmp_path,
        lambda bag: (bag / "log" / "checkpoint.note").unlink(),
        after=_resign(built.prosecutor),
    )
    result = _verify(archive, built)
    assert result.status == "failed"
    assert _inclusion(result) == [
        "log: log/checkpoint.json or log/checkpoint.note is missing or too large"
    ]


def _verify_args(archive: Path, built: Built) -> list[str]:
    return ["verify", str(archive), "--fingerprint", built.prosecutor.record.fingerprint]


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


def test_event_appended_after_its_signers_revocation_but_backdated(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    """The expert, revoked, still holds the key: they sign an event dated before their
    revocation (after the event before it, so the chain rule holds) and slip it into the
    ledger. No checkpoint lies between, so the dates alone cannot tell; the log's order,
    proved in the bundle for the event and for the revocation record, does."""
    ws = seized.ws
    item = list_items(ws.ledger, CASE)[0]
    (head,) = ws.ledger.rows(
        "SELECT seq, hash, body FROM events WHERE item_id = $1 ORDER BY seq DESC LIMIT 1",
        (item.item_id,),
    )
    time.sleep(0.01)
    authority = local_authority(ws.keys)
    assert authority is not None
    revoke_key(ws.keys, ws.keys.unlock(authority, PASSPHRASE), seized.expert.record, "left")
    revoked_at = ws.ledger.rows("SELECT body FROM trust_records WHERE kind = 'revocation'")[0][
        "body"
    ]
    revoked = parse_rfc3339(json.loads(revoked_at)["at"])
    before = parse_rfc3339(json.loads(head["body"])["at"])
    backdated = format_utc(before + (revoked - before) / 2)
    body = new_body(
        seized.expert,
        item_id=item.item_id,
        case=CASE,
        seq=head["seq"] + 1,
        prev=head["hash"],
        item_sha256=item.sha256,
        action="analysed",
        purpose="second opinion",
        at=backdated,
    )
    with ws.ledger.atomic(lock=[item.item_id]):
        write_events(ws.ledger, [sign_event(seized.expert, body)])
    out = tmp_path / "request-0042.zip"
    build_bundle(ws, prosecutor, CASE, out, REQUEST)
    anchor = _anchor_of(ws)
    result = verify_bundle(out, fingerprints=[prosecutor.record.fingerprint], anchor=anchor)
    assert result.status == "failed"
    found = [
        (c.subject, c.message)
        for c in result.checks
        if c.name == "custody.trust" and c.status == "failed"
    ]
    assert len(found) == 1, found
    subject, message = found[0]
    assert subject == f"item {item.item_id} event #{head['seq'] + 1}"
    assert message.startswith("appended to the sender's log after its signer's revocation")
    assert f"though dated {backdated}, before the revocation at" in message
    assert message.endswith(": backdated")
    code, _ = invoke(
        ["verify", str(out), "--fingerprint", prosecutor.record.fingerprint, "--anchor", anchor]
    )
    assert code == 1
    # Without the proofs of the revocation record, the check could not run: a v4 bundle
    # declares them, so stripping one is caught (count and the record's missing proof).


def _anchor_of(ws: Workspace) -> str:
    return str(ws.ledger.rows("SELECT fingerprint FROM trust_anchor")[0]["fingerprint"])


def test_trust_record_proof_stripped(built: Built, tmp_path: Path) -> None:
    manifest_records = built.world.ws.ledger.rows("SELECT seq FROM trust_records ORDER BY seq")
    assert manifest_records
    bag_name = "request-0042"

    def strip_first(bag: Path) -> None:
        proofs = sorted((bag / "log" / "proofs").glob("trust-*.tlog-proof"))
        proofs[0].unlink()

    archive = tampered(built, tmp_path, strip_first, after=_resign(built.prosecutor))
    manifest = json.loads((tmp_path / "tamper-0" / bag_name / "manifest.json").read_bytes())
    first = min(r["record"]["seq"] for r in manifest["trust"]["records"])
    proofs = manifest["log"]["proofs"]
    assert _inclusion(_verify(archive, built)) == [
        f"log/proofs: holds {proofs - 1} proofs, the signed manifest declares {proofs} "
        "(removed or added?)",
        f"trust record #{first}: has no inclusion proof",
    ]
