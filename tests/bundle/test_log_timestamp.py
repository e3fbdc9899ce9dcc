"""The RFC 3161 token of the checkpoint a bundle carries (check log.timestamp): a sender with
the key re-signs every tampered bag, so only the token's own checks can tell."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.cms import sign_detached
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.checkpoint import file_name
from evidence.keys import Signer
from evidence.timestamp.checkpoints import create_stamped
from evidence.timestamp.client import request_token
from evidence.timestamp.localtsa import TsaIdentity
from evidence.timestamp.verify import load_trust
from tests.bundle.bundle_support import REQUEST, Built, invoke, tampered
from tests.conftest import TsaFixture
from tests.helpers import CASE, World

CHECKPOINT = "log/checkpoint.json"


@pytest.fixture
def stamped(seized: World, prosecutor: Signer, local_tsa: TsaFixture, tmp_path: Path) -> Built:
    out = tmp_path / "request-0042.zip"
    result = build_bundle(seized.ws, prosecutor, CASE, out, REQUEST, tsa=local_tsa.url)
    return Built(seized, prosecutor, out, result)


def _verify(archive: Path, built: Built, tsa_ca: Path | None = None) -> VerifyResult:
    return verify_bundle(
        archive,
        fingerprints=[built.prosecutor.record.fingerprint],
        tsa_trust=None if tsa_ca is None else load_trust(tsa_ca),
    )


def _log_time(result: VerifyResult) -> list[tuple[str, str]]:
    return [(c.status, c.message) for c in result.checks if c.name == "log.timestamp"]


def _edit_checkpoint(built: Built, tmp: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The sender rewrites log/checkpoint.json and re-signs the tag manifest."""

    def edit(bag: Path) -> None:
        value = json.loads((bag / CHECKPOINT).read_bytes())
        change(value)
        (bag / CHECKPOINT).write_text(json.dumps(value, indent=1))

    def resign(bag: Path) -> None:
        listing = (bag / "tagmanifest-sha256.txt").read_bytes()
        (bag / "tagmanifest-sha256.txt.p7s").write_bytes(sign_detached(built.prosecutor, listing))

    return tampered(built, tmp, edit, after=resign)


def test_genuine_token_is_reported(stamped: Built, local_tsa: TsaFixture) -> None:
    result = _verify(stamped.zip_path, stamped, local_tsa.ca)
    assert result.status == "verified"
    ((status, message),) = _log_time(result)
    assert status == "ok"
    assert message.startswith("RFC 3161 time ") and "over checkpoint #1's signature" in message
    assert message.endswith("(its TSA's certificate chains to --tsa-trust)")
    # Without --tsa-trust everything but the TSA's path is checked all the same.
    ((status, message),) = _log_time(_verify(stamped.zip_path, stamped))
    assert status == "ok" and message.endswith("(no --tsa-trust given)")
    # Human and --json output both name the check.
    fp = stamped.prosecutor.record.fingerprint
    code, out = invoke(["verify", str(stamped.zip_path), "--fingerprint", fp])
    assert code == 0 and "log.timestamp" in out.stdout
    code, out = invoke(["verify", str(stamped.zip_path), "--fingerprint", fp, "--json"])
    checks = {c["check"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["log.timestamp"]["status"] == "ok"


def test_token_with_a_wrong_imprint(stamped: Built, local_tsa: TsaFixture, tmp_path: Path) -> None:
    other = request_token(local_tsa.url, b"something else entirely")

    def swap(value: dict[str, Any]) -> None:
        value["timestamp"].update(
            token=base64.b64encode(other.der).decode(), gen_time=other.gen_time_utc
        )

    archive = _edit_checkpoint(stamped, tmp_path, swap)
    result = _verify(archive, stamped)
    assert result.status == "failed"
    assert _log_time(result) == [
        ("failed", "token's message imprint is not the digest of what it should time-stamp")
    ]
    fp = stamped.prosecutor.record.fingerprint
    assert invoke(["verify", str(archive), "--fingerprint", fp])[0] == 1


def test_token_from_another_checkpoint(
    stamped: Built, local_tsa: TsaFixture, tmp_path: Path
) -> None:
    ws = stamped.world.ws
    later = create_stamped(ws.ledger, stamped.prosecutor, ws.checkpoint_dir, local_tsa.url, False)
    entry = json.loads((ws.checkpoint_dir / file_name(later.checkpoint.seq)).read_bytes())
    archive = _edit_checkpoint(
        stamped, tmp_path, lambda value: value.update(timestamp=entry["timestamp"])
    )
    assert _log_time(_verify(archive, stamped)) == [
        ("failed", "token's message imprint is not the digest of what it should time-stamp")
    ]


def test_stripped_token_the_body_requires(stamped: Built, tmp_path: Path) -> None:
    archive = _edit_checkpoint(stamped, tmp_path, lambda value: value.pop("timestamp"))
    result = _verify(archive, stamped)
    assert result.status == "failed"
    assert _log_time(result) == [
        (
            "failed",
            "checkpoint #1's signed body required an RFC 3161 token and the file carries none "
            "(stripped?)",
        )
    ]


def test_gen_time_field_rewritten(stamped: Built, tmp_path: Path) -> None:
    def shift(value: dict[str, Any]) -> None:
        value["timestamp"]["gen_time"] = "2020-01-01T00:00:00.000000Z"

    assert _log_time(_verify(_edit_checkpoint(stamped, tmp_path, shift), stamped)) == [
        ("failed", "its gen_time '2020-01-01T00:00:00.000000Z' is not the token's genTime")
    ]


def test_token_of_an_untrusted_tsa(stamped: Built, tmp_path: Path) -> None:
    TsaIdentity.create("Other").write(tmp_path / "other")
    found = _log_time(_verify(stamped.zip_path, stamped, tmp_path / "other" / "tsa-ca.pem"))
    assert found and all(status == "failed" for status, _ in found)
    assert any("is not issued by a trusted root" in message for _, message in found)


def test_bundle_without_a_tsa_skips_the_check(built: Built) -> None:
    assert _log_time(_verify(built.zip_path, built)) == [
        ("skipped", "checkpoint #1 carries no RFC 3161 token (none)")
    ]
