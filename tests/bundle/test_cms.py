"""Detached CMS signatures: made by us or by openssl, checked step by step (RFC 5652)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from evidence.bundle.cms import MAX_P7S, sign_detached, verify_detached
from evidence.errors import VerificationError
from evidence.keys import Signer
from tests.helpers import PASSPHRASE, World

CONTENT = '{"schema":"evidence-manifest/1","Дело":"BY-2026-0042"}'.encode()


def rejected(p7s: bytes, content: bytes = CONTENT) -> str:
    with pytest.raises(VerificationError) as exc:
        verify_detached(p7s, content)
    assert exc.value.findings[0].check == "cms.signature"
    return exc.value.findings[0].message


def _build(
    signer: Signer, options: list[pkcs7.PKCS7Options], digest: hashes.HashAlgorithm
) -> bytes:
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CONTENT)
        .add_signer(signer.record.certificate, signer.private_key, digest)  # type: ignore[arg-type]
        .sign(serialization.Encoding.DER, options)
    )


def test_round_trip(world: World) -> None:
    signer = world.investigator
    before = datetime.now(UTC) - timedelta(seconds=2)
    result = verify_detached(sign_detached(signer, CONTENT), CONTENT)
    assert result.fingerprint == signer.record.fingerprint
    assert result.signing_time is not None and result.signing_time >= before.replace(microsecond=0)


def test_openssl_accepts_ours_and_we_accept_openssls(world: World, tmp_path: Path) -> None:
    signer = world.investigator
    (tmp_path / "m.json").write_bytes(CONTENT)
    (tmp_path / "m.json.p7s").write_bytes(sign_detached(signer, CONTENT))
    (tmp_path / "signer.pem").write_text(signer.record.certificate_pem)
    ours = subprocess.run(
        "openssl cms -verify -binary -inform DER -in m.json.p7s -content m.json"
        " -CAfile signer.pem -purpose any -out /dev/null",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ours.returncode == 0, ours.stderr
    key_file = world.ws.root / "keys" / f"{signer.record.key_id}.key.pem"
    theirs = subprocess.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-in",
            "m.json",
            "-signer",
            "signer.pem",
            "-inkey",
            str(key_file),
            "-passin",
            f"pass:{PASSPHRASE}",
            "-out",
            "openssl.p7s",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert theirs.returncode == 0, theirs.stderr
    result = verify_detached((tmp_path / "openssl.p7s").read_bytes(), CONTENT)
    assert result.fingerprint == signer.record.fingerprint


def test_other_content(world: World) -> None:
    p7s = sign_detached(world.investigator, CONTENT)
    assert "does not match the digest" in rejected(p7s, CONTENT + b" ")


def test_signature_value_flipped(world: World) -> None:
    p7s = bytearray(sign_detached(world.investigator, CONTENT))
    p7s[-10] ^= 0x01  # inside the ECDSA signature, the last field of the structure
    assert "does not verify" in rejected(bytes(p7s))


def test_certificate_of_another_key_inside(world: World) -> None:
    """The signer identifier names the investigator, but the expert's certificate is carried."""
    info = asn1_cms.ContentInfo.load(sign_detached(world.investigator, CONTENT))
    other = asn1_x509.Certificate.load(
        world.expert.record.certificate.public_bytes(serialization.Encoding.DER)
    )
    info["content"]["certificates"] = [asn1_cms.CertificateChoices(name="certificate", value=other)]
    assert "matches its signer identifier" in rejected(info.dump(force=True))


def test_attached_signature_is_not_detached(world: World) -> None:
    p7s = _build(world.investigator, [pkcs7.PKCS7Options.Binary], hashes.SHA256())
    assert "not detached" in rejected(p7s)


def test_no_signed_attributes(world: World) -> None:
    options = [
        pkcs7.PKCS7Options.DetachedSignature,
        pkcs7.PKCS7Options.Binary,
        pkcs7.PKCS7Options.NoAttributes,
    ]
    assert "no signed attributes" in rejected(_build(world.investigator, options, hashes.SHA256()))


def test_sha512_digest_is_refused(world: World) -> None:
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    assert "not SHA-256" in rejected(_build(world.investigator, options, hashes.SHA512()))


def test_two_signers(world: World) -> None:
    p7s = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CONTENT)
        .add_signer(
            world.investigator.record.certificate, world.investigator.private_key, hashes.SHA256()
        )
        .add_signer(world.expert.record.certificate, world.expert.private_key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )
    assert "exactly one" in rejected(p7s)


def test_not_signed_data(world: World) -> None:
    data = asn1_cms.ContentInfo({"content_type": "data", "content": b"x"}).dump()
    assert "not signed data" in rejected(data)


@pytest.mark.parametrize(
    "garbage", [b"", b"\x30", b"\x30\x80" + b"\x00" * 10, b"-----BEGIN PKCS7-----"]
)
def test_garbage(garbage: bytes) -> None:
    assert "not a well-formed" in rejected(garbage)


def test_oversized() -> None:
    assert "too large" in rejected(b"\x30" * (MAX_P7S + 1))
