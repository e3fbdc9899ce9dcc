"""Key primitives: signers, fingerprints, signature verification, identities in certificates.

ECDSA P-256 with SHA-256 throughout. An actor is identified by the SHA-256 fingerprint of its
certificate; the key id (a prefix of the SHA-256 of the public key) stays the same when an
agency CA issues a new certificate. No storage here: the workspace's keys (encrypted private
keys and their ledger rows) are `keystore.KeyStore`; enrolment by the trust root is `trust/`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from .countries import check_country
from .errors import InputRejected, UsageError, UsageProblems

# One algorithm object for every sign and verify (building one per call costs ~4 µs in audits).
ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
ROLES = ("investigator", "expert", "custodian", "prosecutor", "authority", "auditor")
MIN_PASSPHRASE = 8
CERT_YEARS = 5


@dataclass(frozen=True)
class KeyRecord:
    """Public facts about an actor's key and its current certificate."""

    key_id: str
    name: str
    organisation: str
    country: str
    role: str
    created_at: str
    fingerprint: str
    certificate_pem: str

    def to_json(self) -> dict[str, str]:
        """Plain dict for --json output."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "organisation": self.organisation,
            "country": self.country,
            "role": self.role,
            "created_at": self.created_at,
            "fingerprint": self.fingerprint,
        }

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed current certificate."""
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())


@dataclass(frozen=True)
class Signer:
    """A key unlocked for signing, with the certificate that identifies it."""

    record: KeyRecord
    private_key: ec.EllipticCurvePrivateKey

    def sign(self, data: bytes) -> str:
        """Base64 DER ECDSA-P256-SHA256 signature over data."""
        der = self.private_key.sign(data, ECDSA_SHA256)
        return base64.b64encode(der).decode()

    @property
    def actor(self) -> dict[str, str]:
        """The actor object events carry: name and certificate fingerprint."""
        return {"name": self.record.name, "fingerprint": self.record.fingerprint}


def common_name(cert: x509.Certificate) -> str | None:
    """The certificate subject's CN: the actor name events must carry."""
    return subject_attribute(cert, NameOID.COMMON_NAME)


def subject_attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    """One attribute of the certificate's subject (the first), or None."""
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def name_text(name: x509.Name) -> str:
    """RFC 4514 text of a name, with the role (title) attribute named rather than numbered."""
    return name.rfc4514_string({NameOID.TITLE: "title"})


def fingerprint(cert: x509.Certificate) -> str:
    """Hex SHA-256 of the certificate's DER encoding."""
    return cert.fingerprint(hashes.SHA256()).hex()


def key_id_of(public_key: CertificatePublicKeyTypes) -> str:
    """Stable key id: first 16 hex digits of the SHA-256 of the SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()[:16]


def verify_der(public_key: object, data: bytes, der: bytes) -> bool:
    """True if der is a valid DER ECDSA-P256-SHA256 signature of data by public_key."""
    if (
        not isinstance(public_key, ec.EllipticCurvePublicKey)
        or public_key.curve.name != "secp256r1"
    ):
        return False
    try:
        public_key.verify(der, data, ECDSA_SHA256)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_b64(public_key: object, data: bytes, signature_b64: str) -> bool:
    """True if signature_b64 (base64 DER) is a valid ECDSA-P256-SHA256 signature of data."""
    try:
        der = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    return verify_der(public_key, data, der)


def verify_signature(cert: x509.Certificate, data: bytes, signature_b64: str) -> bool:
    """True if signature_b64 is a valid ECDSA-P256-SHA256 signature of data by cert's key."""
    return verify_b64(cert.public_key(), data, signature_b64)


def subject_name(name: str, organisation: str, country: str, role: str) -> x509.Name:
    """The X.509 subject of a key's certificate and CSR: CN, O, C and the role as title."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.TITLE, role),
        ]
    )


def load_certificate(data: bytes, source: str) -> x509.Certificate:
    """One X.509 certificate, PEM or DER; anything else is refused naming source."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise InputRejected(f"{source}: not an X.509 certificate (PEM or DER)") from None


def check_passphrase(passphrase: str) -> None:
    """Refuse passphrases too short to protect a signing key, or not text at all."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"passphrase too short: at least {MIN_PASSPHRASE} characters are needed")
    try:
        passphrase.encode()
    except UnicodeEncodeError:
        raise UsageError("passphrase is not valid text (check the terminal's encoding)") from None


UNSPECIFIED_COUNTRY = "ZZ"


def identity_problems(name: str, organisation: str, country: str, role: str) -> list[str]:
    """Everything wrong with a new key's identity (checked before a passphrase is asked for)."""
    problems = []
    if not name.strip() or "\n" in name:
        problems.append(f"key name {name!r} must be one non-empty line")
    if not organisation.strip():
        problems.append("--org must not be empty")
    # ZZ is ISO 3166's "unknown or unspecified": allowed only for a workspace authority made
    # without --country, never for a person who signs custody events.
    try:
        if not (role == "authority" and country == UNSPECIFIED_COUNTRY):
            check_country(country, "--country")
    except UsageError as exc:
        problems.append(exc.diagnostics())
    if role not in ROLES:
        problems.append(f"role {role!r} is not one of {', '.join(ROLES)}")
    return problems


@dataclass(frozen=True)
class Identity:
    """A new key's identity, checked once, when it is made: every problem at once (exit 2)."""

    name: str
    organisation: str
    country: str
    role: str

    def __post_init__(self) -> None:
        problems = identity_problems(self.name, self.organisation, self.country, self.role)
        if len(problems) == 1:
            raise UsageError(problems[0])
        if problems:
            raise UsageProblems(problems)


class NewPassphrase(str):
    """A new key's passphrase, checked once, when it is made (long enough, valid text)."""

    __slots__ = ()

    def __new__(cls, text: str) -> NewPassphrase:
        """Refuse a passphrase too short to protect a signing key, or not text at all."""
        check_passphrase(text)
        return super().__new__(cls, text)

    def __repr__(self) -> str:
        return "NewPassphrase(...)"  # never in a traceback or a log line


def validate_identity(name: str, organisation: str, country: str, role: str) -> None:
    """Refuse an empty or multi-line name, a bad country code or an unknown role."""
    problems = identity_problems(name, organisation, country, role)
    if problems:
        raise UsageError(problems[0])
