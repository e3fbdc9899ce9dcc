"""A key decrypted in the background: work starts first, nothing is signed before it is ready."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from evidence.errors import PassphraseError
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.keys import Signer
from evidence.unlocking import failed_early, settled, unlock_in_background
from tests.helpers import CASE, PASSPHRASE, World


def test_background_unlock_gives_the_same_signer(world: World) -> None:
    record = world.investigator.record
    signer = settled(unlock_in_background(world.ws.keys, record, PASSPHRASE))
    assert signer.record == record
    assert signer.private_key.private_numbers() == world.investigator.private_key.private_numbers()


def test_wrong_passphrase_is_raised_early_and_when_awaited(world: World) -> None:
    pending = unlock_in_background(world.ws.keys, world.investigator.record, "not the one")
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        settled(pending)
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        failed_early(pending)
    failed_early(world.investigator)  # an unlocked signer never fails


class SignerAfterFirstBytes:
    """A reporter that hands over the signer only once ingest has hashed something."""

    def __init__(self, pending: Future[Signer], signer: Signer) -> None:
        self.pending, self.signer, self.hashed = pending, signer, 0

    def start(self, total: int, label: str) -> None:
        """Ignore."""

    def advance(self, done: int) -> None:
        """Bytes hashed: the key becomes ready only now."""
        self.hashed += done
        if not self.pending.done():
            self.pending.set_result(self.signer)

    def finish(self) -> None:
        """Ignore."""


def test_ingest_hashes_before_the_key_is_ready(world: World, evidence_dir: Path) -> None:
    pending: Future[Signer] = Future()
    # Were the signer awaited before any file is read, this guard would fail the ingest.
    guard = threading.Timer(30, lambda: pending.done() or pending.set_exception(TimeoutError()))
    guard.start()
    try:
        reporter = SignerAfterFirstBytes(pending, world.investigator)
        options = IngestOptions(case=CASE, source="seized phone")
        report = ingest(world.ws, pending, [evidence_dir], options, reporter)
    finally:
        guard.cancel()
    assert report.count("ingested") == 4 and reporter.hashed > 0
    assert {i.ingested_by for i in list_items(world.ws.ledger, CASE)} == {
        world.investigator.record.fingerprint
    }


def test_ingest_with_a_wrong_passphrase_writes_no_row(world: World, evidence_dir: Path) -> None:
    pending = unlock_in_background(world.ws.keys, world.investigator.record, "not the one")
    with pytest.raises(PassphraseError):
        world_ingest = IngestOptions(case=CASE, source="seized phone")
        ingest(world.ws, pending, [evidence_dir], world_ingest)
    assert list_items(world.ws.ledger, CASE) == []
