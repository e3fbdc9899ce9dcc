"""Trust records: enrolments and revocations, each signed by an authority over RFC 8785 bytes.

A record body (`custody-trust/1`) names one certificate (PEM and SHA-256 fingerprint), what
happens to it (`enrolment`: the authority vouches that it belongs to the person it names;
`revocation`: from `at` on it may sign nothing), when, by which authority and why. In a
workspace the records also form a chain (`seq`, `prev`) and carry the bookkeeping columns of the
key and certificate rows they vouch for, so that those columns are signed too. The same
`{"record": body, "signature": ...}` objects travel in bundles (manifest `trust.records`).
"""

from __future__ import annotations

import base64
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..canonical import canonical_bytes
from ..errors import Malformed
from ..keys import Signer, fingerprint, key_id_of
from ..message import Message
from ..signed import Kind, Signed, digest
from ..timefmt import utc_now


class TrustKind(StrEnum):
    """What a trust record does to the certificate it names."""

    ENROLMENT = "enrolment"  # the authority vouches that it belongs to the person it names
    REVOCATION = "revocation"  # from `at` on it may sign nothing


class Authority(TypedDict):
    """Who made a record: the authority's name and certificate fingerprint."""

    name: str
    fingerprint: str


class TrustBody(TypedDict):
    """A custody-trust/1 body (schemas/custody-trust.schema.json)."""

    schema: str
    kind: str
    certificate: str
    fingerprint: str
    at: str
    by: Authority
    reason: str
    seq: NotRequired[int]
    prev: NotRequired[str | None]
    key_id: NotRequired[str]
    key_created_at: NotRequired[str]
    added_at: NotRequired[str]


TRUST = Kind[TrustBody]("custody-trust", Message("record"))
TRUST_SCHEMA = TRUST.current
KINDS = tuple(TrustKind)


class TrustRecord(Signed[TrustBody]):
    """A well-formed record body, its exact signed bytes and the authority's signature."""

    @property
    def kind(self) -> str:
        """enrolment or revocation."""
        return str(self.body["kind"])

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the certificate the record is about."""
        return str(self.body["fingerprint"])

    @property
    def at(self) -> str:
        """When the authority made the record (UTC)."""
        return str(self.body["at"])

    @property
    def by(self) -> str:
        """Fingerprint of the authority certificate that signed it."""
        return str(self.body["by"]["fingerprint"])

    def certificate(self) -> x509.Certificate | None:
        """The certificate the record names, if its PEM parses and matches the fingerprint."""
        try:
            cert = x509.load_pem_x509_certificate(self.body["certificate"].encode())
        except ValueError:
            return None
        return cert if fingerprint(cert) == self.fingerprint else None

    def to_json(self) -> dict[str, Any]:
        """The form bundles carry: {"record": body, "signature": base64 DER}."""
        return {"record": self.body, "signature": self.signature}

    @classmethod
    def parse(cls, data: bytes, signature: Any, source: str) -> TrustRecord:
        """From stored bytes, read strictly: canonical JSON, no duplicate keys, known shape."""
        body = TRUST.strict(data, source)
        if not isinstance(signature, str):
            raise Malformed(Message("{source}: record signature is not text", source=source))
        return cls(body, digest(data), signature, data)

    @classmethod
    def from_json(cls, value: Any, source: str) -> TrustRecord:
        """From the bundle form; the body is canonicalised as it was signed."""
        if not isinstance(value, dict) or set(value) != {"record", "signature"}:
            raise Malformed(Message("{source}: not a {{record, signature}} object", source=source))
        _, data = TRUST.body_of(value["record"], source)
        return cls.parse(data, value["signature"], source)


def certificate_pem(cert: x509.Certificate) -> str:
    """PEM text of a certificate, as records and rows store it."""
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def make_record(
    authority: Signer,
    kind: str,
    cert: x509.Certificate,
    *,
    reason: str = "",
    at: str | None = None,
    workspace: dict[str, Any] | None = None,
) -> TrustRecord:
    """Build and sign a record; `workspace` adds seq, prev and the rows' bookkeeping columns."""
    body: dict[str, Any] = {
        "schema": TRUST_SCHEMA,
        "kind": str(kind),
        "certificate": certificate_pem(cert),
        "fingerprint": fingerprint(cert),
        "at": at or utc_now(),
        "by": authority.actor,
        "reason": reason,
        **(workspace or {}),
    }
    errors = TRUST.schema_problems(body)
    if errors:
        raise ValueError(errors[0])  # a bug in the caller, not user input
    data = canonical_bytes(body)
    return TrustRecord(cast(TrustBody, body), digest(data), authority.sign(data), data)


def signature_bytes(record: TrustRecord) -> bytes | None:
    """The DER signature, or None if it is not base64."""
    try:
        return base64.b64decode(record.signature, validate=True)
    except ValueError:
        return None


def certificate_key_id(cert: x509.Certificate) -> str:
    """The key id a certificate's public key gives (what certificates.key_id must hold)."""
    return key_id_of(cert.public_key())
