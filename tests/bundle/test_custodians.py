"""Custodians established abroad: a recipient who pins the sender's trust root (--anchor) sees
every signer of the custody chains established, and a bundle whose trust evidence was forged
(re-signed by the real prosecutor, so the signature still holds) fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509

from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.keys import fingerprint
from tests.bundle.bundle_support import invoke
from tests.bundle.fuzz_support import Original, check_bag, write_bag
from tests.bundle.test_verify_regressions import resigned


def _anchor(original: Original) -> str:
    manifest = json.loads(original.files["manifest.json"])
    pem = manifest["trust"]["anchor"]["certificate"]
    return fingerprint(x509.load_pem_x509_certificate(pem.encode()))


def _custody(result: VerifyResult) -> list[tuple[str, str, str]]:
    return [(c.status, c.subject, c.message) for c in result.checks if c.name == "custody.trust"]


def _verify(original: Original, folder: Path, files: dict[str, bytes], anchor: str) -> VerifyResult:
    bag = write_bag(original, files, folder)
    return verify_bundle(bag, fingerprints=[original.fingerprint], anchor=anchor)


def _forged(
    original: Original, folder: Path, edit: Callable[[dict[str, Any]], None]
) -> VerifyResult:
    """manifest.json edited, re-signed by the real prosecutor, tag files refreshed and signed."""
    files = resigned(original, edit)
    result = check_bag(
        original,
        folder,
        files,
        fixup="refresh",
        as_folder=True,
        must_fail=False,
        tag_signer=original.prosecutor,
    )
    assert result is not None
    # The bundle itself holds: only the trust evidence can fail, and the inclusion proof of a
    # trust record (a log leaf) that the edit changed.
    assert not [
        c
        for c in result.checks
        if c.status == "failed"
        and c.name != "custody.trust"
        and not (c.name == "log.inclusion" and c.subject.startswith("trust record"))
    ]
    return verify_bundle(
        folder / original.top, fingerprints=[original.fingerprint], anchor=_anchor(original)
    )


def test_pinned_root_establishes_every_custodian(
    original: Original, example: Callable[[], Path]
) -> None:
    result = _verify(original, example(), original.files, _anchor(original))
    assert result.status == "verified"
    ((status, _, message),) = _custody(result)
    assert status == "ok" and "every custodian established" in message


def test_without_a_pin_custodians_are_a_warning_not_a_verdict(
    original: Original, example: Callable[[], Path]
) -> None:
    bag = write_bag(original, original.files, example())
    result = verify_bundle(bag, fingerprints=[original.fingerprint])
    assert result.status == "verified"
    ((status, _, message),) = _custody(result)
    assert status == "warning" and _anchor(original) in message


def test_another_root_pinned_fails_every_event(
    original: Original, example: Callable[[], Path]
) -> None:
    result = _verify(original, example(), original.files, "ab" * 32)
    assert result.status == "failed"
    failed = [c for c in _custody(result) if c[0] == "failed"]
    assert any("is not the pinned one" in m for _, _, m in failed)
    assert any(s.startswith("item ") for _, s, _ in failed)


def test_an_enrolment_removed_from_the_trust_evidence_is_caught(
    original: Original, example: Callable[[], Path]
) -> None:
    manifest = json.loads(original.files["manifest.json"])
    expert = next(
        r["event"]["actor"]["fingerprint"]
        for item in manifest["items"]
        for r in item["custody"]
        if r["event"]["action"] == "analysed"
    )

    def edit(m: dict[str, Any]) -> None:
        records = m["trust"]["records"]
        m["trust"]["records"] = [r for r in records if r["record"]["fingerprint"] != expert]

    result = _forged(original, example(), edit)
    failed = [c for c in _custody(result) if c[0] == "failed"]
    assert failed and all("not established" in m for _, _, m in failed), failed


def test_a_record_rewritten_without_the_authority_key_is_caught(
    original: Original, example: Callable[[], Path]
) -> None:
    def edit(m: dict[str, Any]) -> None:
        m["trust"]["records"][1]["record"]["reason"] = "rewritten"

    result = _forged(original, example(), edit)
    assert [c for c in _custody(result) if c[0] == "failed"]
    # The record is a leaf of the log the bundle proves: its proof no longer leads to the root.
    inclusion = [c for c in result.checks if c.name == "log.inclusion" and c.status == "failed"]
    assert inclusion and all(c.subject.startswith("trust record") for c in inclusion)


def test_an_anchor_swapped_for_the_intruders_fails_against_the_pin(
    original: Original, example: Callable[[], Path]
) -> None:
    def edit(m: dict[str, Any]) -> None:
        m["trust"]["anchor"]["certificate"] = original.intruder.record.certificate_pem

    result = _forged(original, example(), edit)
    assert any("is not the pinned one" in msg for _, _, msg in _custody(result))


def test_cli_anchor_option(original: Original, example: Callable[[], Path]) -> None:
    bag = write_bag(original, original.files, example())
    fp = original.fingerprint
    code, result = invoke(["verify", str(bag), "--fingerprint", fp, "--anchor", _anchor(original)])
    assert code == 0, result.output
    assert "every custodian established" in result.stdout
    code, result = invoke(["verify", str(bag), "--fingerprint", fp, "--anchor", "ab" * 32])
    assert code == 1
    code, result = invoke(["verify", str(bag), "--fingerprint", fp, "--anchor", "not hex"])
    assert code == 2 and "Traceback" not in result.output
