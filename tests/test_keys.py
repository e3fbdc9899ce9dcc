"""Keys: encrypted at rest, certificates, CSR round trip through a real CA, resolution."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from evidence.errors import InputRejected, NotFoundError, PassphraseError, UsageError
from evidence.keys import verify_signature
from evidence.workspace import Workspace
from tests.helpers import PASSPHRASE, World, issue_certificate, make_ca


def test_private_key_is_encrypted_pkcs8_mode_0600(world: World) -> None:
    record = world.investigator.record
    path = world.ws.root / "keys" / f"{record.key_id}.key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, None)


def test_certificate_carries_identity(world: World) -> None:
    cert = world.investigator.record.certificate
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "А. Иванов"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BY"
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "investigator"
    assert world.investigator.record.fingerprint == cert.fingerprint(hashes.SHA256()).hex()


def test_wrong_passphrase_is_operational_error(world: World) -> None:
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        world.ws.keys.unlock(world.investigator.record, "not the passphrase")


def test_short_passphrase_refused(world: World) -> None:
    with pytest.raises(UsageError, match="too short"):
        world.ws.keys.create("X", "Org", "BY", "expert", "short")


@pytest.mark.parametrize(
    ("name", "country", "role", "message"),
    [
        ("", "BY", "expert", "non-empty"),
        ("X", "Belarus", "expert", "ISO 3166-1 alpha-2"),
        ("X", "BY", "boss", "role"),
    ],
)
def test_bad_identity_refused(
    world: World, name: str, country: str, role: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        world.ws.keys.create(name, "Org", country, role, PASSPHRASE)


def test_duplicate_name_refused(world: World) -> None:
    with pytest.raises(UsageError, match="exists already"):
        world.ws.keys.create("а. иванов", "Org", "BY", "expert", PASSPHRASE)


def test_resolve_by_name_id_and_fingerprint_prefix(world: World) -> None:
    record = world.custodian.record
    keys = world.ws.keys
    assert keys.resolve("evidence room").key_id == record.key_id
    assert keys.resolve(record.key_id).key_id == record.key_id
    assert keys.resolve(record.fingerprint[:10]).key_id == record.key_id
    with pytest.raises(NotFoundError):
        keys.resolve("nobody")


def test_signature_verifies_and_tamper_fails(world: World) -> None:
    sig = world.expert.sign(b"event bytes")
    cert = world.expert.record.certificate
    assert verify_signature(cert, b"event bytes", sig)
    assert not verify_signature(cert, b"event bytez", sig)
    assert not verify_signature(world.custodian.record.certificate, b"event bytes", sig)
    assert not verify_signature(cert, b"event bytes", "not base64!")


def test_csr_issued_certificate_import(world: World, tmp_path: Path) -> None:
    keys = world.ws.keys
    csr = keys.csr(world.investigator)
    ca_key, ca = make_ca()
    issued = issue_certificate(ca_key, ca, csr)
    old = world.investigator.record.fingerprint
    record = keys.import_certificate_for(issued, "issued.pem", None)
    assert record.key_id == world.investigator.record.key_id
    assert record.fingerprint != old
    assert record.certificate.issuer == ca.subject
    # Both certificates stay known, so events signed under the old one still verify.
    assert {old, record.fingerprint} <= set(keys.certificates())
    with pytest.raises(UsageError, match="already imported"):
        keys.import_certificate_for(issued, "issued.pem", None)


def test_import_of_certificate_for_another_key_refused(world: World) -> None:
    ca_key, ca = make_ca()
    stranger = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stranger")]))
        .sign(stranger, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    issued = issue_certificate(ca_key, ca, csr)
    with pytest.raises(InputRejected, match="matches none"):
        world.ws.keys.import_certificate_for(issued, "stranger.pem", None)
    with pytest.raises(InputRejected, match="does not match key"):
        world.ws.keys.import_certificate_for(issued, "stranger.pem", "Evidence Room")
    with pytest.raises(InputRejected, match=r"not an X\.509"):
        world.ws.keys.import_certificate_for(b"garbage", "junk.pem", None)


def test_keys_survive_reopen(world: World) -> None:
    root = world.ws.root
    again = Workspace.open(root)
    names = ["Test authority", "А. Иванов", "Evidence Room", "P. Sidorov"]
    assert [k.name for k in again.keys.list()] == names
    again.close()


def test_a_name_that_starts_another_is_a_new_key_and_wins_by_exact_match(world: World) -> None:
    keys = world.ws.keys
    keys.create("Evidence Room annex", "IC", "BY", "custodian", PASSPHRASE)
    # "Evidence Room" exists (world), and is the start of the new name: both stay reachable.
    assert keys.resolve("Evidence Room").name == "Evidence Room"
    assert keys.resolve("Evidence Room a").name == "Evidence Room annex"
    keys.create("P.", "IC", "BY", "expert", PASSPHRASE)  # the start of "P. Sidorov"
    assert keys.resolve("P.").name == "P."
    with pytest.raises(UsageError, match="exists already"):
        keys.create("p. sidorov", "IC", "BY", "expert", PASSPHRASE)
