"""The key store of one workspace: encrypted private keys in keys/, public records in the ledger.

Keys are made, found, unlocked and given certificates here. Whether a key may sign is the trust
root's business (`trust/`): a new key is enrolled by `trust.keys.TrustedKeyStore`, which
workspaces use, in the same transaction that stores it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .errors import InputRejected, NotFoundError, OperationalError, PassphraseError, UsageError
from .keyfile import decrypt_private_key, encrypt_private_key
from .keys import (
    CERT_YEARS,
    Identity,
    KeyRecord,
    NewPassphrase,
    Signer,
    check_passphrase,
    fingerprint,
    key_id_of,
    load_certificate,
    subject_attribute,
    subject_name,
    validate_identity,
)
from .ledger import Ledger, column_list, select_all
from .privacy import write_private
from .timefmt import format_utc, utc_now

# Runs inside the transaction that stores a new key: the new key as a Signer, its certificate
# and the time its rows carry (trust/ enrols the key here).
Stored = Callable[[Signer, x509.Certificate, str], None]


class KeyStore:
    """Keys of one workspace: encrypted private keys in keys/, public records in the ledger."""

    def __init__(self, ledger: Ledger, directory: Path) -> None:
        self.ledger = ledger
        self.directory = directory

    def _key_path(self, key_id: str) -> Path:
        return self.directory / f"{key_id}.key.pem"

    def create_key(
        self, identity: Identity, passphrase: NewPassphrase, *, stored: Stored | None = None
    ) -> KeyRecord:
        """Generate a P-256 key and a self-signed certificate; store both.

        Identity and passphrase were checked when they were made; the name must be free.
        `stored` runs inside the storing transaction (enrolment: trust.keys.TrustedKeyStore).
        """
        self.require_free_name(identity.name)
        return self._generate(identity, passphrase, stored)

    def require_free_name(self, name: str) -> None:
        """Refuse a new key named as one the workspace has."""
        if self._find_by_name(name, exact=True):
            raise UsageError(f"a key named {name!r} exists already", "choose another --name")

    def _generate(
        self, identity: Identity, passphrase: NewPassphrase, stored: Stored | None
    ) -> KeyRecord:
        name, organisation, country, role = (
            identity.name,
            identity.organisation,
            identity.country,
            identity.role,
        )
        private_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC).replace(microsecond=0)
        subject = subject_name(name, organisation, country, role)
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
                if stored is not None:
                    itself = KeyRecord(
                        key_id, name, organisation, country, role, at, fingerprint(cert), ""
                    )
                    stored(Signer(itself, private_key), cert, at)
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
            "SELECT fingerprint, pem FROM certificates WHERE key_id = $1 "
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
        rows = self.ledger.rows(select_all("keys"))
        folded = [(unicodedata.normalize("NFC", r["name"]).casefold(), r) for r in rows]
        same = [r for n, r in folded if n == wanted]
        return same if exact or same else [r for n, r in folded if n.startswith(wanted)]

    def list(self) -> list[KeyRecord]:
        """Every key, oldest first."""
        rows = self.ledger.rows(select_all("keys") + " ORDER BY created_at, rowid")
        return [self._record(r) for r in rows]

    def get(self, key_id: str) -> KeyRecord:
        """The key with exactly this id."""
        rows = self.ledger.rows(select_all("keys") + " WHERE key_id = $1", (key_id,))
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
                f"SELECT DISTINCT {column_list('keys', 'k')} FROM keys k JOIN certificates c "
                f"ON c.key_id = k.key_id WHERE k.key_id {self.ledger.like} $1 || '%' "
                f"OR c.fingerprint {self.ledger.like} $1 || '%'",
                (prefix,),
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
            key = decrypt_private_key(pem, passphrase.encode())
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
            .subject_name(subject_name(r.name, r.organisation, r.country, r.role))
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
            rows = self.ledger.rows("SELECT key_id FROM keys WHERE key_id = $1", (cert_key_id,))
            if not rows:
                raise InputRejected(
                    f"{source}: certificate matches none of this workspace's keys",
                    "import the certificate issued for one of our CSRs",
                )
            record = self.get(rows[0]["key_id"])
        fp = fingerprint(cert)
        if self.ledger.rows("SELECT 1 FROM certificates WHERE fingerprint = $1", (fp,)):
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
            if self.ledger.rows("SELECT 1 FROM certificates WHERE fingerprint = $1", (fp,)):
                raise UsageError(f"{source}: certificate {fp[:16]} is already in this workspace")
            if not self.ledger.rows("SELECT 1 FROM keys WHERE key_id = $1", (key_id,)):
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
