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
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..canonical import canonical_bytes, is_canonical
from ..errors import InputRejected
from ..keys import Signer, fingerprint, key_id_of
from ..timefmt import utc_now

TRUST_SCHEMA = "custody-trust/1"
KINDS = ("enrolment", "revocation")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
# Fields every body has (the shape agreed with the bundle side); workspace fields are optional.
_REQUIRED = ("schema", "kind", "certificate", "fingerprint", "at", "by", "reason")
_OPTIONAL = ("seq", "prev", "key_id", "key_created_at", "added_at")


def shape_problem(body: Any) -> str | None:
    """What is structurally wrong with a record body, or None when it is well formed."""
    if not isinstance(body, dict):
        return "record is not a JSON object"
    if body.get("schema") != TRUST_SCHEMA:
        return f"record is not {TRUST_SCHEMA}"
    missing = [k for k in _REQUIRED if k not in body]
    if missing:
        return f"record lacks {', '.join(missing)}"
    unknown = sorted(set(body) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        return f"record has unknown fields {', '.join(unknown)}"
    if body["kind"] not in KINDS:
        return f"record kind {body['kind']!r} is not one of {', '.join(KINDS)}"
    if not isinstance(body["fingerprint"], str) or not _HEX64.fullmatch(body["fingerprint"]):
        return "record fingerprint is not a SHA-256"
    for name in ("certificate", "reason"):
        if not isinstance(body[name], str):
            return f"record {name} is not text"
    for name in ("at", "key_created_at", "added_at"):
        if name in body and not (isinstance(body[name], str) and _UTC.fullmatch(body[name])):
            return f"record {name} is not a UTC time"
    by = body["by"]
    if (
        not isinstance(by, dict)
        or set(by) != {"name", "fingerprint"}
        or not isinstance(by["name"], str)
        or not isinstance(by["fingerprint"], str)
        or not _HEX64.fullmatch(by["fingerprint"])
    ):
        return "record 'by' is not {name, fingerprint}"
    seq = body.get("seq")
    if "seq" in body and (type(seq) is not int or seq < 1):
        return "record seq is not a positive number"
    prev = body.get("prev")
    if (
        "prev" in body
        and prev is not None
        and not (isinstance(prev, str) and _HEX64.fullmatch(prev))
    ):
        return "record prev is not a SHA-256"
    if "key_id" in body and not isinstance(body["key_id"], str):
        return "record key_id is not text"
    return None


@dataclass(frozen=True)
class TrustRecord:
    """A well-formed record body, its exact signed bytes and the authority's signature."""

    body: dict[str, Any]
    signature: str
    data: bytes

    @property
    def hash(self) -> str:
        """Hex SHA-256 of the signed bytes."""
        return hashlib.sha256(self.data).hexdigest()

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
        try:
            body = json.loads(data, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError) as exc:
            raise InputRejected(f"{source}: record is not JSON ({exc})") from None
        if not is_canonical(data):
            raise InputRejected(f"{source}: record is not canonical JSON (RFC 8785)")
        problem = shape_problem(body)
        if problem is not None:
            raise InputRejected(f"{source}: {problem}")
        if not isinstance(signature, str):
            raise InputRejected(f"{source}: record signature is not text")
        return cls(body, signature, data)

    @classmethod
    def from_json(cls, value: Any, source: str) -> TrustRecord:
        """From the bundle form; the body is canonicalised as it was signed."""
        if not isinstance(value, dict) or set(value) != {"record", "signature"}:
            raise InputRejected(f"{source}: not a {{record, signature}} object")
        problem = shape_problem(value["record"])
        if problem is not None:
            raise InputRejected(f"{source}: {problem}")
        try:
            data = canonical_bytes(value["record"])
        except Exception:
            raise InputRejected(f"{source}: record cannot be canonicalised") from None
        return cls.parse(data, value["signature"], source)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


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
        "kind": kind,
        "certificate": certificate_pem(cert),
        "fingerprint": fingerprint(cert),
        "at": at or utc_now(),
        "by": authority.actor,
        "reason": reason,
        **(workspace or {}),
    }
    problem = shape_problem(body)
    if problem is not None:
        raise ValueError(problem)  # a bug in the caller, not user input
    data = canonical_bytes(body)
    return TrustRecord(body, authority.sign(data), data)


def signature_bytes(record: TrustRecord) -> bytes | None:
    """The DER signature, or None if it is not base64."""
    try:
        return base64.b64decode(record.signature, validate=True)
    except ValueError:
        return None


def certificate_key_id(cert: x509.Certificate) -> str:
    """The key id a certificate's public key gives (what certificates.key_id must hold)."""
    return key_id_of(cert.public_key())
