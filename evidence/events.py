"""Custody events: building, canonical serialisation, hashing, signing, appending to a chain.

An event's `prev` is the hash of the item's previous event (for the first event: the item's
SHA-256), so the events of one item form a hash chain; each is signed by its actor.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import canonical_bytes
from .errors import LedgerDamaged, UsageError
from .keys import Signer
from .ledger import Ledger, type_problems
from .timefmt import utc_now
from .validation import event_errors

EVENT_SCHEMA_ID = "custody-event/2"
# Actions version 2 cannot express, and the version that adds them. An event is written in the
# lowest version that holds its action, so a bundle without them still verifies with tools
# that know only version 2.
NEWER_ACTIONS = {"excerpted": "custody-event/3"}
ACTIONS = (
    "acquired",
    "ingested",
    "transferred",
    "received",
    "accessed",
    "analysed",
    "copied",
    "sealed",
    "unsealed",
    "exported",
    "sent",
    "returned",
    "destroyed",
    "verified",
    "note",
    "profiled",
    "retyped",
    "amended",
    "digests-added",
    "excerpted",
)
# What `custody event` may record by hand; the rest come from the commands that do the thing.
MANUAL_ACTIONS = (
    "accessed",
    "analysed",
    "copied",
    "sealed",
    "unsealed",
    "sent",
    "returned",
    "destroyed",
    "verified",
    "note",
)


@dataclass(frozen=True)
class SignedEvent:
    """An event body with its hash and its actor's signature."""

    body: Mapping[str, Any]
    hash: str
    signature: str
    # The exact bytes that were signed, when known (kept so they are not re-serialised).
    raw: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def signer(self) -> str:
        """Fingerprint of the certificate that signed it."""
        return str(self.body["actor"]["fingerprint"])

    @property
    def canonical(self) -> bytes:
        """The exact bytes that were hashed and signed."""
        return self.raw if self.raw is not None else canonical_bytes(dict(self.body))

    def to_json(self) -> dict[str, Any]:
        """Form used in manifests and --json output."""
        return {"event": dict(self.body), "hash": self.hash, "signature": self.signature}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SignedEvent:
        """From a ledger row (body stored as canonical JSON text); a damaged row says so."""
        what = f"event #{row.get('seq')} of item {row.get('item_id')}"
        wrong = type_problems("events", row)
        if wrong:
            raise LedgerDamaged(what, "; ".join(wrong))
        text: str = row["body"]
        try:
            body = json.loads(text)
        except ValueError:
            raise LedgerDamaged(what, "body is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("actor"), dict):
            raise LedgerDamaged(what, "body is not a custody event")
        return cls(body, row["hash"], row["signature"], text.encode())


def sign_event(signer: Signer, body: dict[str, Any]) -> SignedEvent:
    """Validate, canonicalise, hash and sign an event body."""
    problems = event_errors(body)
    if problems:
        raise UsageError(f"event for item {body.get('item_id')} is not valid: {problems[0]}")
    data = canonical_bytes(body)
    return SignedEvent(body, hashlib.sha256(data).hexdigest(), signer.sign(data), data)


def new_body(
    signer: Signer,
    *,
    item_id: str,
    case: str,
    seq: int,
    prev: str,
    item_sha256: str,
    action: str,
    location: str = "",
    purpose: str = "",
    note: str = "",
    from_party: dict[str, str] | None = None,
    to_party: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """An unsigned event body with every field the schema requires."""
    if action not in ACTIONS:
        raise UsageError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    return {
        "schema": NEWER_ACTIONS.get(action, EVENT_SCHEMA_ID),
        "event_id": uuid.uuid4().hex,
        "item_id": item_id,
        "case": case,
        "seq": seq,
        "action": action,
        "at": at or utc_now(),
        "actor": signer.actor,
        "location": location,
        "purpose": purpose,
        "from": from_party,
        "to": to_party,
        "note": note,
        "item_sha256": item_sha256,
        "prev": prev,
        "details": details or {},
    }


def write_event(ledger: Ledger, event: SignedEvent) -> None:
    """Insert a signed event; the caller holds `ledger.atomic()`."""
    ledger.insert(
        "events",
        {
            "event_id": event.body["event_id"],
            "item_id": event.body["item_id"],
            "seq": event.body["seq"],
            "hash": event.hash,
            "body": event.canonical.decode(),
            "signature": event.signature,
            "signer": event.signer,
        },
    )


def chain_head(ledger: Ledger, item_id: str) -> tuple[int, str] | None:
    """(seq, hash) of the item's latest event, or None for an item without events."""
    rows = ledger.rows(
        "SELECT seq, hash FROM events WHERE item_id = ? ORDER BY seq DESC LIMIT 1", (item_id,)
    )
    return (rows[0]["seq"], rows[0]["hash"]) if rows else None


def item_events(ledger: Ledger, item_id: str) -> list[SignedEvent]:
    """An item's events in chain order."""
    rows = ledger.rows("SELECT * FROM events WHERE item_id = ? ORDER BY seq", (item_id,))
    return [SignedEvent.from_row(r) for r in rows]
