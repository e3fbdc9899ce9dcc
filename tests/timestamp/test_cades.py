"""A token on a CMS signature (CAdES-T): added after signing, checked here and by openssl."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import cms

from evidence.bundle.cms import sign_detached
from evidence.timestamp import load_trust
from evidence.timestamp.cades import (
    add_signature_timestamp,
    check_signature_timestamp,
    signature_token,
)
from tests.conftest import TsaFixture
from tests.helpers import World, openssl_ts_verify

CONTENT = b'{"schema":"evidence-manifest/1"}'


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def test_stamped_signature_still_verifies_and_its_token_too(
    world: World, local_tsa: TsaFixture, tmp_path: Path
) -> None:
    p7s = sign_detached(world.investigator, CONTENT)
    stamped = add_signature_timestamp(p7s, local_tsa.url)
    assert signature_token(p7s)[0] is None
    token, value = signature_token(stamped)
    assert token is not None and value == signature_token(p7s)[1]

    (tmp_path / "m.json").write_bytes(CONTENT)
    (tmp_path / "m.p7s").write_bytes(stamped)
    (tmp_path / "signer.pem").write_bytes(world.investigator.record.certificate_pem.encode())
    result = _openssl(
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "m.p7s"),
        "-content",
        str(tmp_path / "m.json"),
        "-CAfile",
        str(tmp_path / "signer.pem"),
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    )
    assert result.returncode == 0, result.stderr
    # What VERIFY.txt tells a recipient: the token's imprint is over the signature value.
    ts = openssl_ts_verify(token, value, local_tsa.ca, tmp_path)
    assert ts.returncode == 0, ts.stderr

    check = check_signature_timestamp(stamped, load_trust(local_tsa.ca), datetime.now(UTC))
    assert check.ok, check.findings


def test_missing_misplaced_or_late_token_is_a_finding(world: World, local_tsa: TsaFixture) -> None:
    trust = load_trust(local_tsa.ca)
    p7s = sign_detached(world.investigator, CONTENT)
    assert [f.message for f in check_signature_timestamp(p7s, trust, None).findings] == [
        "signature carries no timestamp"
    ]
    # A token lifted from another signature onto this one covers the wrong bytes.
    other = add_signature_timestamp(sign_detached(world.expert, CONTENT), local_tsa.url)
    lifted = add_signature_timestamp(p7s, local_tsa.url)
    swapped = _with_token_of(p7s, other)
    messages = [f.message for f in check_signature_timestamp(swapped, trust, None).findings]
    assert messages == ["token's message imprint is not the digest of what it should time-stamp"]
    # A manifest claiming to be signed days before its token could have been backdated.
    late = check_signature_timestamp(lifted, trust, datetime.now(UTC) - timedelta(days=2))
    assert "after the claimed time" in late.findings[0].message
    assert (
        check_signature_timestamp(b"junk", trust, None)
        .findings[0]
        .message.startswith("manifest.json.p7s: not a CMS signature")
    )


def _with_token_of(p7s: bytes, donor: bytes) -> bytes:
    """p7s carrying donor's signatureTimeStampToken, as an attacker would graft it."""
    info = cms.ContentInfo.load(p7s)
    donor_attrs = cms.ContentInfo.load(donor)["content"]["signer_infos"][0]["unsigned_attrs"]
    info["content"]["signer_infos"][0]["unsigned_attrs"] = cms.CMSAttributes(list(donor_attrs))
    out: bytes = info.dump()
    return out
