"""The chain rule, written once: what makes one item's custody events a valid chain.

Both sides call it: the audit over a ledger (`audit.events.verify_slice` per event, in worker
processes; `audit.chains.check_chains` per item) and the bundle verifier over a manifest
(`bundle.manifest.check_chain`). Pure: no I/O; each side reads its own source, and words each
fault for its reader (a finding names the check it belongs to on each side).

For every event (`check_event`): its bytes are a valid custody event read strictly (JSON,
RFC 8785, its schema version), its recorded hash is the SHA-256 of those bytes, the signer the
record names is the event's actor, that signer's certificate is known, and the signature over
the bytes verifies with it. Along the chain (`check_links`): event N carries seq N, its `prev`
is the hash of event N-1 (the item's SHA-256 for the first), and each names the item, its case
and its SHA-256. Time along a chain (an event dated before the one it follows) and against
checkpoints is the time rules' business (`timerules.py`), which both sides call too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from cryptography import x509

from .events import EVENT, EventBody
from .keys import fingerprint, verify_b64
from .signed import Flaw, Problem, digest


class Fault(StrEnum):
    """One way an event or a chain breaks the rule."""

    NOT_JSON = "not-json"  # not a JSON object at all: nothing else can be checked
    SCHEMA = "schema"
    NOT_CANONICAL = "not-canonical"
    HASH = "hash"  # the recorded hash is not the SHA-256 of the bytes
    SIGNER = "signer"  # the record names another signer than the event's actor
    UNKNOWN_SIGNER = "unknown-signer"  # no certificate for the actor
    SIGNATURE = "signature"  # the signature does not verify with the actor's certificate
    SEQ = "seq"  # not numbered by its place in the chain
    PREV = "prev"  # does not link to the previous event (or the item, for the first)
    ITEM = "item"  # names another item
    CASE = "case"  # names another case
    ITEM_SHA256 = "item-sha256"  # records another SHA-256 for the item


@dataclass(frozen=True)
class EventCheck:
    """What check_event found: the body (None if not JSON), each fault, and the verdicts."""

    body: EventBody | None
    faults: tuple[tuple[Fault, str], ...]  # (fault, detail: the schema violation, the JSON error)
    hash: str  # SHA-256 of the bytes
    signature_ok: bool

    def has(self, fault: Fault) -> bool:
        """True if the event has this fault."""
        return any(f is fault for f, _ in self.faults)


_FLAWS = {Flaw.JSON: Fault.NOT_JSON, Flaw.SCHEMA: Fault.SCHEMA, Flaw.CANONICAL: Fault.NOT_CANONICAL}


def check_event(
    data: bytes,
    recorded_hash: str,
    signature: str,
    signer: str,
    keys: Mapping[str, object],
) -> EventCheck:
    """Every per-event check of the rule; `signer` is the fingerprint the record names,
    `keys` the public keys of the known certificates by fingerprint."""
    reading = EVENT.read(data)
    faults = [(_FLAWS[p.flaw], _detail(p)) for p in reading.problems]
    actual = digest(data)
    body = reading.body
    if body is None:
        return EventCheck(None, tuple(faults), actual, False)
    if actual != recorded_hash:
        faults.append((Fault.HASH, ""))
    actor = body.get("actor")
    actor_fp = actor.get("fingerprint") if isinstance(actor, dict) else None
    if actor_fp != signer:
        faults.append((Fault.SIGNER, ""))
    key = keys.get(actor_fp) if isinstance(actor_fp, str) else None
    signature_ok = key is not None and verify_b64(key, data, signature)
    if key is None:
        faults.append((Fault.UNKNOWN_SIGNER, actor_fp if isinstance(actor_fp, str) else ""))
    elif not signature_ok:
        faults.append((Fault.SIGNATURE, ""))
    return EventCheck(body, tuple(faults), actual, signature_ok)


def _detail(problem: Problem) -> str:
    return problem.detail if problem.flaw is Flaw.SCHEMA else problem.message


class Link(Protocol):
    """What the chain rule reads of one event."""

    @property
    def seq(self) -> Any: ...
    @property
    def hash(self) -> str: ...
    @property
    def prev(self) -> Any: ...
    @property
    def item_id(self) -> Any: ...
    @property
    def case(self) -> Any: ...
    @property
    def item_sha256(self) -> Any: ...


@dataclass(frozen=True)
class BodyLink:
    """A Link read from an event body, linked on by the given hash."""

    seq: Any
    hash: str
    prev: Any
    item_id: Any
    case: Any
    item_sha256: Any

    @classmethod
    def of(cls, body: Mapping[str, Any], hash_: str) -> BodyLink:
        """The link of a body (any JSON object: a missing field simply breaks the rule)."""
        return cls(
            body.get("seq"),
            hash_,
            body.get("prev"),
            body.get("item_id"),
            body.get("case"),
            body.get("item_sha256"),
        )


@dataclass(frozen=True)
class Break:
    """A fault of the chain at one place (1 = first event)."""

    position: int
    fault: Fault


def check_links(
    links: Sequence[Link | None], item_id: str | None, case: str, item_sha256: str
) -> list[Break]:
    """Every break of the chain: numbering, `prev` links, item, case and item digest.

    A None stands for an event that could not be read: its place counts, and the next event
    must still link to the last one read. item_id None: the caller grouped the events by item
    already (the audit, by the ledger row).
    """
    breaks = []
    expected_prev = item_sha256
    for pos, link in enumerate(links, start=1):
        if link is None:
            continue
        breaks += [
            Break(pos, f) for f in link_faults(link, pos, expected_prev, item_id, case, item_sha256)
        ]
        expected_prev = link.hash
    return breaks


def link_faults(
    link: Link,
    position: int,
    expected_prev: str,
    item_id: str | None,
    case: str,
    item_sha256: str,
) -> list[Fault]:
    """The faults of one event at `position` of its chain, after an event hashing to
    expected_prev (the item's SHA-256 for the first): check_links one event at a time, for
    readers that stream a chain instead of holding it (the audit)."""
    faults = []
    if link.seq != position:
        faults.append(Fault.SEQ)
    if link.prev != expected_prev:
        faults.append(Fault.PREV)
    if item_id is not None and link.item_id != item_id:
        faults.append(Fault.ITEM)
    if link.case != case:
        faults.append(Fault.CASE)
    if link.item_sha256 != item_sha256:
        faults.append(Fault.ITEM_SHA256)
    return faults


class CertificateFault(StrEnum):
    """Why a certificate filed under a fingerprint cannot be used."""

    NOT_PEM = "not-pem"
    FINGERPRINT = "fingerprint"  # it hashes to another fingerprint
    KEY = "key"  # its public key cannot be used


def load_certificates(
    pems: Iterable[tuple[str, str]],
) -> tuple[dict[str, x509.Certificate], list[tuple[str, CertificateFault, str]]]:
    """The certificates of (fingerprint, PEM) pairs by fingerprint, each hashing to the
    fingerprint it is filed under with a usable key; and (fingerprint, fault, detail) for
    each that is not."""
    certs: dict[str, x509.Certificate] = {}
    faults: list[tuple[str, CertificateFault, str]] = []
    for fp, pem in pems:
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            faults.append((fp, CertificateFault.NOT_PEM, ""))
            continue
        if fingerprint(cert) != fp:
            faults.append((fp, CertificateFault.FINGERPRINT, ""))
            continue
        try:
            cert.public_key()  # parsed lazily; every later check of a signature needs it
        except (ValueError, TypeError) as exc:
            faults.append((fp, CertificateFault.KEY, str(exc)))
            continue
        certs[fp] = cert
    return certs, faults
