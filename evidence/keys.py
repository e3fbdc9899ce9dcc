"""Actors' keys: ECDSA P-256, private keys encrypted at rest, X.509 certificates, CSRs.

An actor is identified by the SHA-256 fingerprint of its certificate; the key id (a prefix of
the SHA-256 of the public key) stays the same when an agency CA issues a new certificate.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from .countries import check_country
from .errors import InputRejected, NotFoundError, OperationalError, PassphraseError, UsageError
from .keyfile import encrypt_private_key
from .ledger import Ledger
from .privacy import write_private
from .timefmt import format_utc, utc_now

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


def _subject(name: str, organisation: str, country: str, role: str) -> x509.Name:
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


def validate_identity(name: str, organisation: str, country: str, role: str) -> None:
    """Refuse an empty or multi-line name, a bad country code or an unknown role."""
    problems = identity_problems(name, organisation, country, role)
    if problems:
        raise UsageError(problems[0])


class KeyStore:
    """Keys of one workspace: encrypted private keys in keys/, public records in the ledger."""

    def __init__(self, ledger: Ledger, directory: Path) -> None:
        self.ledger = ledger
        self.directory = directory

    def _key_path(self, key_id: str) -> Path:
        return self.directory / f"{key_id}.key.pem"

    def create(
        self,
        name: str,
        organisation: str,
        country: str,
        role: str,
        passphrase: str,
        *,
        authority_passphrase: str | None = None,
        enrol: bool = True,
        anchor: bool = False,
    ) -> KeyRecord:
        """Generate a P-256 key and a self-signed certificate; store both.

        When the workspace's trust root is an authority key kept here, the authority enrols
        the new key in the same transaction (the solo path): it is unlocked with
        authority_passphrase, or else with the new key's own passphrase. enrol=False leaves
        the key unenrolled (`custody key enrol` later); anchor=True makes the key the
        workspace's authority root itself.
        """
        validate_identity(name, organisation, country, role)
        check_passphrase(passphrase)
        if self._find_by_name(name, exact=True):
            raise UsageError(f"a key named {name!r} exists already", "choose another --name")
        # Enrolment lives in trust/, which imports this module: imported here, not at the top.
        from .trust.authority import enrol_certificate, local_authority

        authority = None
        if enrol and not anchor:
            authority = local_authority(self)
        authority_signer = (
            None
            if authority is None
            else self.unlock(
                authority, passphrase if authority_passphrase is None else authority_passphrase
            )
        )
        private_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC).replace(microsecond=0)
        subject = _subject(name, organisation, country, role)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False
            )
            .sign(private_key, hashes.SHA256())
        )
        key_id = key_id_of(private_key.public_key())
        pem = encrypt_private_key(private_key, passphrase)
        # The key file goes into place first: a crash then leaves a harmless unused key file,
        # never a ledger row whose private key is missing.
        self.directory.mkdir(mode=0o700, exist_ok=True)
        path = self._key_path(key_id)
        write_private(path, pem)
        at = utc_now()
        try:
            # Exclusive: an enrolment made here is the next link of the one chain of records.
            with self.ledger.atomic(exclusive=True):
                self.ledger.insert(
                    "keys",
                    {
                        "key_id": key_id,
                        "name": name,
                        "organisation": organisation,
                        "country": country,
                        "role": role,
                        "created_at": at,
                    },
                )
                self._insert_certificate(key_id, cert, at)
                if anchor:
                    from .trust.store import set_anchor

                    set_anchor(self.ledger, "authority", cert, at)
                    # The root enrols itself too: its rows' dates are then signed like others'.
                    itself = KeyRecord(
                        key_id, name, organisation, country, role, at, fingerprint(cert), ""
                    )
                    enrol_certificate(self, Signer(itself, private_key), cert, at=at, reason="root")
                if authority_signer is not None:
                    enrol_certificate(self, authority_signer, cert, at=at)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return self.get(key_id)

    def has_private_key(self, key_id: str) -> bool:
        """True if this workspace keeps the key's (encrypted) private key."""
        return self._key_path(key_id).is_file()

    def _insert_certificate(self, key_id: str, cert: x509.Certificate, at: str) -> None:
        self.ledger.insert(
            "certificates",
            {
                "fingerprint": fingerprint(cert),
                "key_id": key_id,
                "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
                "not_before": format_utc(cert.not_valid_before_utc),
                "not_after": format_utc(cert.not_valid_after_utc),
                "added_at": at,
            },
        )

    def change_passphrase(self, record: KeyRecord, old: str, new: str) -> None:
        """Re-encrypt one private key under a new passphrase (and the current KDF)."""
        check_passphrase(new)
        signer = self.unlock(record, old)
        write_private(self._key_path(record.key_id), encrypt_private_key(signer.private_key, new))

    def _record(self, row: dict[str, str]) -> KeyRecord:
        cert_row = self.ledger.rows(
            "SELECT fingerprint, pem FROM certificates WHERE key_id = ? "
            "ORDER BY added_at DESC, rowid DESC LIMIT 1",
            (row["key_id"],),
        )[0]
        # Identity comes from the certificate, which its fingerprint binds; the keys row is only
        # the index --as looks names up in (an edited row must not change who signs).
        cert = x509.load_pem_x509_certificate(cert_row["pem"].encode())
        return KeyRecord(
            key_id=row["key_id"],
            name=subject_attribute(cert, NameOID.COMMON_NAME) or row["name"],
            organisation=subject_attribute(cert, NameOID.ORGANIZATION_NAME) or row["organisation"],
            country=subject_attribute(cert, NameOID.COUNTRY_NAME) or row["country"],
            role=subject_attribute(cert, NameOID.TITLE) or row["role"],
            created_at=row["created_at"],
            fingerprint=cert_row["fingerprint"],
            certificate_pem=cert_row["pem"],
        )

    def _find_by_name(self, name: str, *, exact: bool = False) -> list[dict[str, str]]:
        # casefold in Python: SQLite's lower() only folds ASCII, and names here are often
        # Cyrillic. An exact name wins; else a unique start of a name ("Петрова" for "Петрова Е.").
        # A new key's name clashes only with the same name: "Bench" beside "Bench authority".
        wanted = unicodedata.normalize("NFC", name).casefold()
        rows = self.ledger.rows("SELECT * FROM keys")
        folded = [(unicodedata.normalize("NFC", r["name"]).casefold(), r) for r in rows]
        same = [r for n, r in folded if n == wanted]
        return same if exact or same else [r for n, r in folded if n.startswith(wanted)]

    def list(self) -> list[KeyRecord]:
        """Every key, oldest first."""
        rows = self.ledger.rows("SELECT * FROM keys ORDER BY created_at, rowid")
        return [self._record(r) for r in rows]

    def get(self, key_id: str) -> KeyRecord:
        """The key with exactly this id."""
        rows = self.ledger.rows("SELECT * FROM keys WHERE key_id = ?", (key_id,))
        if not rows:
            raise NotFoundError(f"unknown key {key_id!r}", "see `custody key list`")
        return self._record(rows[0])

    def resolve(self, ref: str) -> KeyRecord:
        """A key by name, key id, or a unique prefix (6+ hex digits) of a fingerprint or id."""
        ref = ref.strip()
        if not ref:
            raise UsageError("no key given", "pass --as NAME|ID|FINGERPRINT or set CUSTODY_KEY")
        rows = self._find_by_name(ref)
        if not rows and re.fullmatch(r"[0-9a-fA-F:]{6,}", ref):
            prefix = ref.replace(":", "").lower()
            rows = self.ledger.rows(
                "SELECT DISTINCT k.* FROM keys k JOIN certificates c ON c.key_id = k.key_id "
                "WHERE k.key_id LIKE ? || '%' OR c.fingerprint LIKE ? || '%'",
                (prefix, prefix),
            )
        if not rows:
            raise NotFoundError(f"unknown key {ref!r}", "see `custody key list`")
        if len(rows) > 1:
            names = ", ".join(r["name"] for r in rows)
            raise UsageError(
                f"key {ref!r} is ambiguous ({names})", "give more of the name or digits"
            )
        return self._record(rows[0])

    def unlock(self, record: KeyRecord, passphrase: str) -> Signer:
        """Decrypt a private key; a wrong passphrase is an operational error, not a crash."""
        path = self._key_path(record.key_id)
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise OperationalError(
                f"{path}: private key of {record.name!r} unreadable ({exc.strerror})"
            ) from None
        try:
            key = serialization.load_pem_private_key(pem, passphrase.encode())
        except (ValueError, TypeError, UnicodeEncodeError):
            raise PassphraseError(
                f"{path}: wrong passphrase for key {record.name!r}",
                "check CUSTODY_PASSPHRASE or type it again",
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise OperationalError(f"{path}: not an ECDSA key")
        return Signer(record, key)

    def csr(self, signer: Signer) -> bytes:
        """A PEM certificate signing request for an agency CA, with the key's identity."""
        r = signer.record
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(_subject(r.name, r.organisation, r.country, r.role))
            .sign(signer.private_key, hashes.SHA256())
        )
        return request.public_bytes(serialization.Encoding.PEM)

    def import_certificate_for(self, data: bytes, source: str, key_ref: str | None) -> KeyRecord:
        """Attach a certificate issued for one of our keys (PEM or DER); it becomes current.

        The key is found by the certificate's public key, or named by key_ref, in which case
        the certificate must carry that key's public key.
        """
        cert = load_certificate(data, source)
        public_key = cert.public_key()
        cert_key_id = (
            key_id_of(public_key) if isinstance(public_key, ec.EllipticCurvePublicKey) else None
        )
        if key_ref is not None:
            record = self.resolve(key_ref)
            if cert_key_id != record.key_id:
                raise InputRejected(
                    f"{source}: certificate does not match key {record.name!r} ({record.key_id})",
                    "import the certificate issued for this key's CSR",
                )
        else:
            rows = self.ledger.rows("SELECT key_id FROM keys WHERE key_id = ?", (cert_key_id,))
            if not rows:
                raise InputRejected(
                    f"{source}: certificate matches none of this workspace's keys",
                    "import the certificate issued for one of our CSRs",
                )
            record = self.get(rows[0]["key_id"])
        fp = fingerprint(cert)
        if self.ledger.rows("SELECT 1 FROM certificates WHERE fingerprint = ?", (fp,)):
            raise UsageError(f"{source}: certificate {fp[:16]} is already imported")
        with self.ledger.atomic():
            self._insert_certificate(record.key_id, cert, utc_now())
        return self.get(record.key_id)

    def register(self, cert: x509.Certificate, source: str) -> KeyRecord:
        """File the certificate of a key kept on another workstation (no private key here).

        Identity comes from the certificate's subject, as for our own keys; the authority then
        enrols it explicitly.
        """
        public_key = cert.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != (
            "secp256r1"
        ):
            raise InputRejected(f"{source}: not an ECDSA P-256 certificate")
        oids = (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME, NameOID.TITLE)
        name, organisation, country, role = (subject_attribute(cert, o) or "" for o in oids)
        try:
            validate_identity(name, organisation, country, role)
        except UsageError as exc:
            raise InputRejected(f"{source}: certificate subject: {exc.message}") from None
        key_id, fp, at = key_id_of(public_key), fingerprint(cert), utc_now()
        with self.ledger.atomic():
            if self.ledger.rows("SELECT 1 FROM certificates WHERE fingerprint = ?", (fp,)):
                raise UsageError(f"{source}: certificate {fp[:16]} is already in this workspace")
            if not self.ledger.rows("SELECT 1 FROM keys WHERE key_id = ?", (key_id,)):
                if self._find_by_name(name):
                    raise UsageError(f"{source}: another key is named {name!r} already")
                row = {"key_id": key_id, "name": name, "organisation": organisation}
                self.ledger.insert(
                    "keys", {**row, "country": country, "role": role, "created_at": at}
                )
            self._insert_certificate(key_id, cert, at)
        return self.get(key_id)

    def certificates(self) -> dict[str, x509.Certificate]:
        """Every certificate ever attached to a key, by fingerprint (old ones verify old events)."""
        rows = self.ledger.rows("SELECT fingerprint, pem FROM certificates")
        return {r["fingerprint"]: x509.load_pem_x509_certificate(r["pem"].encode()) for r in rows}
