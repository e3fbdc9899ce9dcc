"""Issue 18 at the recipient's end: the sender chooses the manifest's label and the zip's
folder entries; neither may switch a check off."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from evidence.bundle.cms import sign_detached
from evidence.canonical import canonical_bytes
from evidence.timefmt import format_utc, parse_rfc3339
from tests.bundle.bundle_support import invoke
from tests.bundle.fuzz_support import Original, check_bag
from tests.bundle.hostile_zips import GOLDEN, GOLDEN_FINGERPRINT
from tests.helpers import make_ca

NO_TRUST = "the manifest carries no trust evidence (made before trust roots) (evidence-manifest/1)"


def test_v1_label_with_anchor_fails_custody_trust() -> None:
    """A bundle labelled evidence-manifest/1 carries no trust evidence: with --anchor pinned,
    its custodians are checked all the same, and nothing establishes them."""
    code, result = invoke(
        ["verify", str(GOLDEN), "--fingerprint", GOLDEN_FINGERPRINT, "--anchor", "ab" * 32]
    )
    assert code == 1, result.output
    assert "custody.trust" in result.output
    assert NO_TRUST in " ".join(result.output.split())


def test_v1_label_with_a_trusted_root_ca_fails_custody_trust(tmp_path: Path) -> None:
    _, ca = make_ca("Some agency CA")
    pem = tmp_path / "ca.pem"
    pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    code, result = invoke(
        ["verify", str(GOLDEN), "--fingerprint", GOLDEN_FINGERPRINT, "--trust", str(pem)]
    )
    assert code == 1, result.output
    assert NO_TRUST in " ".join(result.output.split())


def test_v1_golden_without_a_pinned_root_still_verifies() -> None:
    code, result = invoke(["verify", str(GOLDEN), "--fingerprint", GOLDEN_FINGERPRINT])
    assert code == 0, result.output


def test_folder_entry_outside_the_top_folder(tmp_path: Path) -> None:
    """An empty folder entry beside the bag: the zip holds something besides the bag."""
    forged = tmp_path / "request-v1.zip"
    shutil.copyfile(GOLDEN, forged)
    with zipfile.ZipFile(forged, "a") as zf:
        zf.writestr(zipfile.ZipInfo("elsewhere/"), b"")
    code, result = invoke(["verify", str(forged), "--fingerprint", GOLDEN_FINGERPRINT])
    assert code == 1, result.output
    assert "must hold exactly one top-level folder (the bag)" in result.output


def _failures_with_export_dated(
    original: Original, folder: Path, date: Callable[[datetime], datetime]
) -> tuple[str, list[tuple[str, str]]]:
    """The sender (key in hand) re-dates the first item's export event to date(the time of the
    event before it), signs it and the manifest again; the new date and verify's failures."""
    manifest = json.loads(original.files["manifest.json"])
    custody = manifest["items"][0]["custody"]
    export = dict(custody[-1]["event"])
    export["at"] = format_utc(date(parse_rfc3339(custody[-2]["event"]["at"])))
    data = canonical_bytes(export)
    custody[-1] = {
        **custody[-1],
        "event": export,
        "hash": hashlib.sha256(data).hexdigest(),
        "signature": original.prosecutor.sign(data),
    }
    signed = canonical_bytes(manifest)
    files = {
        **original.files,
        "manifest.json": signed,
        "manifest.json.p7s": sign_detached(original.prosecutor, signed),
    }
    result = check_bag(original, folder, files, fixup="refresh", as_folder=False, must_fail=True)
    assert result is not None
    return export["at"], [(c.name, c.message) for c in result.checks if c.status == "failed"]


def test_sender_backdates_the_export_before_the_event_it_follows(
    original: Original, example: Callable[[], Path]
) -> None:
    """The sender (key in hand) dates the export event an hour before the event before it,
    signs it and the manifest again: the chain rule names it abroad."""
    at, failed = _failures_with_export_dated(
        original, example(), lambda before: before - timedelta(hours=1)
    )
    n = len(json.loads(original.files["manifest.json"])["items"][0]["custody"])
    expected = f"dated {at}, before event #{n - 1} that precedes it in its chain"
    # (cms.tags fails too: the tag files' signed digest was not made again; not the point.)
    assert any(name == "item.chain" and expected in message for name, message in failed), failed


def test_sender_backdates_the_export_before_the_checkpoint_it_carries(
    original: Original, example: Callable[[], Path]
) -> None:
    """The sender (key in hand) dates the export event after the event before it (the chain
    rule holds) but before the checkpoint the bundle carries: the checkpoint covers the export
    event it recorded, and the re-signed one is not that event, so its inclusion proof fails."""
    checkpoint = json.loads(original.files["log/checkpoint.json"])["checkpoint"]
    made = parse_rfc3339(checkpoint["created_at"])

    def between(before: datetime) -> datetime:
        assert before < made  # the export follows the checkpoint; its predecessor precedes it
        return before + (made - before) / 2

    _, failed = _failures_with_export_dated(original, example(), between)
    assert any(
        name == "log.inclusion"
        and message.startswith("inclusion proof of leaf")
        and "does not lead to the root" in message
        for name, message in failed
    ), failed
    assert not any("precedes it in its chain" in message for _, message in failed), failed
