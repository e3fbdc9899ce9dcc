"""Plain regression tests for every crash the verify fuzzing found (each once made
`verify_bundle` raise instead of returning a verdict)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from evidence.bundle.cms import sign_detached
from evidence.bundle.verify import VerifyResult
from evidence.canonical import canonical_bytes
from evidence.keys import Signer, fingerprint
from tests.bundle.fuzz_support import Original, certificate_der, check_bag, verdict

# -- regressions: each crash the fuzzing found, minimised --------------------------------------


def failures(result: VerifyResult | None) -> list[str]:
    """'check: message' of every failed check."""
    assert result is not None
    return [f"{c.name}: {c.message}" for c in result.checks if c.status == "failed"]


def test_forged_central_directory_offset(original: Original, example: Callable[[], Path]) -> None:
    # One more than the real offset made zipfile place the first local header at -1; the
    # central directory then no longer ends where the end record begins.
    data = bytearray(original.zip_bytes)
    eocd = data.rfind(b"PK\x05\x06")
    offset = int.from_bytes(data[eocd + 16 : eocd + 20], "little")
    data[eocd + 16 : eocd + 20] = (offset + 1).to_bytes(4, "little")
    archive = example() / "bundle.zip"
    archive.write_bytes(bytes(data))
    found = failures(verdict(original, archive, must_fail=True))
    assert any("hidden bytes" in f for f in found), found


def test_entry_name_longer_than_a_path_may_be(
    original: Original, example: Callable[[], Path]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for rel, content in sorted(original.files.items()):
            zf.writestr(f"{original.top}/{rel}", content)
        zf.writestr(f"{original.top}/{'d/' * 2100}deep.txt", b"x")
    archive = example() / "bundle.zip"
    archive.write_bytes(buffer.getvalue())
    found = failures(verdict(original, archive, must_fail=True))
    assert any("path is longer than 1024 bytes" in f for f in found), found


def resigned(original: Original, edit: Callable[[dict[str, Any]], None]) -> dict[str, bytes]:
    """The bundle's files with manifest.json edited and signed again by the real prosecutor."""
    manifest = json.loads(original.files["manifest.json"])
    edit(manifest)
    data = canonical_bytes(manifest)
    return {
        **original.files,
        "manifest.json": data,
        "manifest.json.p7s": sign_detached(original.prosecutor, data),
    }


@pytest.mark.parametrize("where", [0, -1])
@pytest.mark.parametrize("details", ["size", 5, ["a"]])
def test_event_details_not_an_object(
    original: Original, example: Callable[[], Path], where: int, details: Any
) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["items"][0]["custody"][where]["event"]["details"] = details

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("details" in f and "is not of type 'object'" in f for f in found), found


def test_transfer_to_not_a_party(original: Original, example: Callable[[], Path]) -> None:
    def edit(manifest: dict[str, Any]) -> None:
        custody = manifest["items"][0]["custody"]
        transfer = next(r for r in custody if r["event"]["action"] == "transferred")
        transfer["event"]["to"] = "x"

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=True, must_fail=True)
    assert any("to: 'x' is not of type" in f for f in failures(result))
    assert result is not None and result.items[0].last_custodian is None


def _cms_with_signing_time(signer: Signer, content: bytes, der_time: bytes) -> bytes:
    """A valid detached CMS SignedData whose signed signing-time is the raw DER given."""
    attrs = asn1_cms.CMSAttributes(
        [
            asn1_cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            asn1_cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            asn1_cms.CMSAttribute(
                {"type": "signing_time", "values": [asn1_cms.Time.load(der_time)]}
            ),
        ]
    )
    cert = asn1_x509.Certificate.load(certificate_der(signer))
    signer_info = asn1_cms.SignerInfo(
        {
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signer.private_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256())),
        }
    )
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    return bytes(
        asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    )


def test_signing_time_in_year_zero(original: Original, example: Callable[[], Path]) -> None:
    # GeneralizedTime 0000-01-01: asn1crypto returns a datetime look-alike no comparison takes.
    manifest = original.files["manifest.json"]
    files = dict(original.files)
    files["manifest.json.p7s"] = _cms_with_signing_time(
        original.prosecutor, manifest, b"\x18\x0f00000101000000Z"
    )
    result = check_bag(original, example(), files, fixup="retag", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("signing-time attribute" in f and "is not a real date" in f for f in found), found


def test_a_sound_signing_time_still_verifies(
    original: Original, example: Callable[[], Path]
) -> None:
    # The hand-made CMS above is valid: with an ordinary time the bundle verifies.
    files = dict(original.files)
    when = original.prosecutor.record.certificate.not_valid_before_utc + timedelta(minutes=1)
    files["manifest.json.p7s"] = _cms_with_signing_time(
        original.prosecutor, files["manifest.json"], asn1_cms.Time({"utc_time": when}).dump()
    )
    result = check_bag(
        original,
        example(),
        files,
        fixup="retag",
        as_folder=False,
        must_fail=False,
        tag_signer=original.prosecutor,
    )
    assert result is not None and result.status == "verified", failures(result)


def test_signer_certificate_with_a_damaged_subject(
    original: Original, example: Callable[[], Path]
) -> None:
    # The CMS names its signer by issuer and serial; the subject is not covered by anything.
    p7s = bytearray(original.files["manifest.json.p7s"])
    cert = certificate_der(original.prosecutor)
    subject = original.prosecutor.record.certificate.subject.public_bytes()
    common_name = b"\x06\x03\x55\x04\x03\x0c"  # OID 2.5.4.3, then a UTF8String tag
    at = bytes(p7s).find(cert) + cert.rfind(subject)
    at += subject.find(common_name) + len(common_name) - 1
    p7s[at] = 0x0D  # the name is now a RELATIVE-OID: read only when the subject is asked for
    files = {**original.files, "manifest.json.p7s": bytes(p7s)}
    result = check_bag(original, example(), files, fixup="retag", as_folder=False, must_fail=True)
    found = failures(result)
    assert any("signer certificate in the signature is damaged" in f for f in found), found


def test_manifest_certificate_with_a_damaged_key(
    original: Original, example: Callable[[], Path]
) -> None:
    # Filed under its own fingerprint, so only its key is wrong: a point not on the curve.
    expert = json.loads(original.files["manifest.json"])["items"][0]["custody"][0]["signer"]

    def edit(manifest: dict[str, Any]) -> None:
        pem = manifest["certificates"].pop(expert)
        cert = x509.load_pem_x509_certificate(pem.encode())
        der = bytearray(cert.public_bytes(Encoding.DER))
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        der[bytes(der).find(spki) + len(spki) - 1] ^= 0x01
        damaged = x509.load_der_x509_certificate(bytes(der))
        manifest["certificates"][fingerprint(damaged)] = damaged.public_bytes(Encoding.PEM).decode()

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=False, must_fail=True)
    assert any("unusable key" in f for f in failures(result)), failures(result)


@pytest.mark.parametrize("version", [["evidence-manifest/2"], {"v": 2}, 2, None])
def test_schema_field_of_another_type(
    original: Original, example: Callable[[], Path], version: Any
) -> None:
    # A list as "schema" once crashed the version look-up (unhashable): found by the fuzzing.
    def edit(manifest: dict[str, Any]) -> None:
        manifest["schema"] = version

    files = resigned(original, edit)
    result = check_bag(original, example(), files, fixup="refresh", as_folder=True, must_fail=True)
    assert any("unknown schema version" in f for f in failures(result))
