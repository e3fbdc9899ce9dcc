"""Custody passing between actors: transfers, receipts, and actors whose certificate changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.custody import receive, transfer
from evidence.errors import UsageError
from evidence.items import list_items
from evidence.timeline import timelines
from evidence.trust.authority import enrol_key, local_authority
from tests.helpers import CASE, PASSPHRASE, World, issue_certificate, make_ca


def test_receiver_with_a_new_certificate_still_receives_and_holds(
    world: World, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    ledger, keys = world.ws.ledger, world.ws.keys
    transfer(ledger, world.investigator, [item], world.custodian.record)
    # The agency CA issues the custodian a certificate between transfer and receipt.
    ca_key, ca = make_ca()
    keys.import_certificate_for(
        issue_certificate(ca_key, ca, keys.csr(world.custodian)), "issued.pem", None
    )
    renewed = keys.unlock(keys.get(world.custodian.record.key_id), PASSPHRASE)
    assert renewed.record.fingerprint != world.custodian.record.fingerprint
    receive(ledger, renewed, [item])
    (line,) = timelines(world.ws, [item])
    assert line.pending_to is None
    assert line.holder == "Evidence Room"
    assert all(e.by_custodian for e in line.entries)
    with pytest.raises(UsageError, match="no pending transfer"):
        receive(ledger, renewed, [item])
    transfer(ledger, renewed, [item], world.expert.record)  # the new holder can pass it on
    with pytest.raises(UsageError, match="not its custodian"):
        transfer(ledger, world.investigator, [item], world.expert.record)


def test_second_transfer_while_one_is_pending_is_refused(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    transfer(world.ws.ledger, world.investigator, [item], world.custodian.record)
    with pytest.raises(UsageError, match="pending"):
        transfer(world.ws.ledger, world.investigator, [item], world.expert.record)
    with pytest.raises(UsageError, match=r"no pending transfer to P\. Sidorov"):
        receive(world.ws.ledger, world.expert, [item])


def test_bundle_names_the_renewed_receiver_as_last_custodian(
    world: World, evidence_dir: Path, tmp_path: Path
) -> None:
    from evidence.bundle.build import build_bundle
    from evidence.bundle.manifest import MlaRequest
    from evidence.bundle.verify import verify_bundle

    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    ledger, keys = world.ws.ledger, world.ws.keys
    transfer(ledger, world.investigator, [item], world.custodian.record)
    ca_key, ca = make_ca()
    keys.import_certificate_for(issue_certificate(ca_key, ca, keys.csr(world.custodian)), "c", None)
    # The renewed certificate signs only once the authority has enrolled it.
    authority = local_authority(keys)
    assert authority is not None
    enrol_key(keys, keys.unlock(authority, PASSPHRASE), world.custodian.record)
    receive(ledger, keys.unlock(keys.get(world.custodian.record.key_id), PASSPHRASE), [item])
    request = MlaRequest("No. 1", "Minsk Convention 1993", "PGO BY", "RU", "PGO RU", "2026-11-25")
    out = tmp_path / "b.zip"
    build_bundle(world.ws, world.investigator, CASE, out, request)
    result = verify_bundle(out, fingerprints=[world.investigator.record.fingerprint])
    assert result.status == "verified"
    (verdict,) = result.items
    assert verdict.last_custodian == "Evidence Room"


def test_failed_bundle_is_recorded_in_the_chains(
    world: World, evidence_dir: Path, tmp_path: Path
) -> None:
    from evidence.bundle.build import build_bundle
    from evidence.bundle.manifest import MlaRequest
    from evidence.events import item_events

    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)

    def broken_cover(manifest: object, digest: str, fingerprint: str) -> bytes:
        raise OSError(28, "No space left on device")

    request = MlaRequest(
        "No. 2", "Budapest Convention 2001", "PGO BY", "LT", "PGO LT", "2026-11-25"
    )
    out = tmp_path / "b.zip"
    # Failing while the zip is written (the export and its checkpoint are recorded first, so
    # that the bundle proves its own export events): a note says why no bundle came of it.
    with pytest.raises(OSError, match="No space left"):
        build_bundle(world.ws, world.investigator, CASE, out, request, cover=broken_cover)
    assert not out.exists() and not list(tmp_path.glob(".b.zip.*"))
    events = item_events(world.ws.ledger, item.item_id)
    assert [e.body["action"] for e in events] == ["ingested", "profiled", "exported", "note"]
    assert "bundle b was not produced (OSError" in events[-1].body["note"]
    assert "No space left" in events[-1].body["note"]
    # Failing after it (the output appeared meanwhile): a note says no bundle came of it.
    import evidence.bundle.build as build

    real_place = build.place

    def racing_place(part: Path, output: Path) -> None:
        output.write_bytes(b"someone else's file")
        real_place(part, output)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "place", racing_place)
        with pytest.raises(UsageError, match="appeared while the bundle was written"):
            build_bundle(world.ws, world.investigator, CASE, out, request)
    assert not list(tmp_path.glob(".b.zip.*"))
    actions = [e.body["action"] for e in item_events(world.ws.ledger, item.item_id)]
    assert actions == ["ingested", "profiled", "exported", "note", "exported", "note"]
    last = item_events(world.ws.ledger, item.item_id)[-1].body
    assert "bundle b was not produced" in last["note"] and "appeared" in last["note"]
