"""verify_bundle as a library: result object, progress, temporary folder, folder input."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.checklist import ORDER
from evidence.bundle.verify import verify_bundle
from evidence.errors import NotFoundError
from evidence.keys import Signer
from evidence.trust.store import load_state
from tests.bundle.bundle_support import REQUEST, Built
from tests.helpers import CASE, World


class Recorder:
    """A Reporter that remembers what it was told."""

    def __init__(self) -> None:
        self.started: list[tuple[int, str]] = []
        self.done = 0
        self.finished = 0

    def start(self, total: int, label: str) -> None:
        self.started.append((total, label))

    def advance(self, done: int) -> None:
        self.done += done

    def finish(self) -> None:
        self.finished += 1


def test_every_check_is_listed_in_order(built: Built) -> None:
    anchor = load_state(built.world.ws.ledger).anchor
    assert anchor is not None
    result = verify_bundle(
        built.zip_path,
        fingerprints=[built.prosecutor.record.fingerprint],
        anchor=anchor.fingerprint,
    )
    assert result.status == "verified"
    assert [c.name for c in result.checks] == list(ORDER)
    # The expert analysed an item the evidence room held: the one irregularity, a warning.
    odd = ("custody.irregular", "log.timestamp")
    assert all(c.status == "ok" for c in result.checks if c.name not in odd)
    # The test ledger's checkpoints are made without a TSA: nothing to check, and it says so.
    (stamp,) = [c for c in result.checks if c.name == "log.timestamp"]
    assert stamp.status == "skipped" and "carries no RFC 3161 token" in stamp.message
    (irregular,) = [c for c in result.checks if c.name == "custody.irregular"]
    assert irregular.status == "warning"
    assert [(i.kind, i.seq) for i in result.irregularities] == [("not-holder", 5)]
    assert "analysed recorded by P. Sidorov, who did not hold the item" in (
        result.irregularities[0].message
    )
    assert result.to_json()["irregularities"][0]["kind"] == "not-holder"
    assert result.request_ref == REQUEST.reference
    assert result.manifest_sha256 == built.result.manifest_sha256
    holders = {v.last_custodian for v in result.items}
    assert holders == {"Evidence Room"}
    assert {v.events for v in result.items} >= {
        5
    }  # ingested, profiled, transferred, received, exported


def test_zip_and_folder_give_the_same_verdict(built: Built, bag: Path) -> None:
    a = verify_bundle(built.zip_path)
    b = verify_bundle(bag)
    assert a.status == b.status == "signer-unverified"
    assert a.items == b.items
    assert [c.name for c in a.checks if c.name != "zip"] == [c.name for c in b.checks]


def test_progress_reports_every_byte(built: Built) -> None:
    recorder = Recorder()
    verify_bundle(built.zip_path, reporter=recorder)
    assert recorder.started[0][1] == "verify"
    assert recorder.done == recorder.started[0][0] > sum(i.size for i in built.result.items)
    assert recorder.finished == 1


def test_build_reports_progress(seized: World, prosecutor: Signer, tmp_path: Path) -> None:
    recorder = Recorder()
    result = build_bundle(
        seized.ws, prosecutor, CASE, tmp_path / "p.zip", REQUEST, reporter=recorder
    )
    payload = sum(i.size for i in result.items)
    assert recorder.started == [(payload, "check vault"), (payload, "bundle")]
    assert recorder.done == 2 * payload and recorder.finished == 2


def test_temporary_folder_is_removed(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []
    real = tempfile.TemporaryDirectory

    def spy(*args: Any, **kwargs: Any) -> Any:
        handle = real(*args, **kwargs)
        made.append(Path(handle.name))
        return handle

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    verify_bundle(built.zip_path)
    assert len(made) == 1 and not made[0].exists()


def test_expired_certificate_is_a_warning_not_a_failure(built: Built) -> None:
    later = datetime.now(UTC) + timedelta(days=365 * 6)
    result = verify_bundle(
        built.zip_path, fingerprints=[built.prosecutor.record.fingerprint], now=later
    )
    validity = next(c for c in result.checks if c.name == "signer.validity")
    assert validity.status == "warning" and "expired" in validity.message
    assert result.status == "verified"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        verify_bundle(tmp_path / "nothing.zip")


def test_empty_folder_fails_cleanly(tmp_path: Path) -> None:
    result = verify_bundle(tmp_path)
    assert result.status == "failed"
    failed = {c.name for c in result.checks if c.status == "failed"}
    assert {"bag.structure", "cms.signature", "manifest.json"} <= failed


def test_symlink_inside_a_bag_folder_is_refused(bag: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the bundle")
    (bag / "data" / "link.txt").symlink_to(secret)
    result = verify_bundle(bag)
    assert any(
        c.name == "bag.structure" and "symbolic link" in c.message
        for c in result.checks
        if c.status == "failed"
    )
