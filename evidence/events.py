"""Custody events: building, canonical serialisation, hashing, signing, appending to a chain.

An event's `prev` is the hash of the item's previous event (for the first event: the item's
SHA-256), so the events of one item form a hash chain; each is signed by its actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, TypedDict, cast

from .canonical import canonical_bytes
from .errors import LedgerDamaged, UsageError
from .keys import Signer
from .ledger import Ledger, marks, select_all, type_problems
from .message import Message
from .signed import Kind, Signed, digest, parse_body
from .timefmt import utc_now
from .tlog.ledgerlog import LeafKind, append_leaves


class Action(StrEnum):
    """What a custody event records (schemas/custody-event-2.schema.json `action`)."""

    ACQUIRED = "acquired"
    INGESTED = "ingested"
    TRANSFERRED = "transferred"
    RECEIVED = "received"
    ACCESSED = "accessed"
    ANALYSED = "analysed"
    COPIED = "copied"
    SEALED = "sealed"
    UNSEALED = "unsealed"
    EXPORTED = "exported"
    SENT = "sent"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    VERIFIED = "verified"
    NOTE = "note"
    PROFILED = "profiled"
    RETYPED = "retyped"
    AMENDED = "amended"
    DIGESTS_ADDED = "digests-added"
    EXCERPTED = "excerpted"  # custody-event/3


ACTIONS = tuple(a.value for a in Action)
# What `custody event` may record by hand; the rest come from the commands that do the thing.
MANUAL_ACTIONS = tuple(
    a.value
    for a in (
        Action.ACCESSED,
        Action.ANALYSED,
        Action.COPIED,
        Action.SEALED,
        Action.UNSEALED,
        Action.SENT,
        Action.RETURNED,
        Action.DESTROYED,
        Action.VERIFIED,
        Action.NOTE,
    )
)


# An actor, or the sender or receiver of a transfer: {"name", "fingerprint"}.
Party = dict[str, str]


# A custody-event/2 body (version 1 has the same fields and fewer actions). Functional form:
# `from` is a Python keyword.
EventBody = TypedDict(
    "EventBody",
    {
        "schema": str,
        "event_id": str,
        "item_id": str,
        "case": str,
        "seq": int,
        "action": str,
        "at": str,
        "actor": Party,
        "location": str,
        "purpose": str,
        "from": Party | None,
        "to": Party | None,
        "note": str,
        "item_sha256": str,
        "prev": str,
        "details": dict[str, Any],
    },
)
EVENT = Kind[EventBody]("custody-event", Message("event"))
# New events are written as version 2, except for actions version 2 cannot express: those are
# written in the version that adds them (not EVENT.current), so a bundle without them still
# verifies with tools that know only version 2.
EVENT_SCHEMA_ID = "custody-event/2"
NEWER_ACTIONS = {Action.EXCERPTED.value: "custody-event/3"}


class SignedEvent(Signed[EventBody]):
    """An event body with its hash and its actor's signature."""

    @property
    def signer(self) -> str:
        """Fingerprint of the certificate that signed it."""
        return str(self.body["actor"]["fingerprint"])

    @property
    def canonical(self) -> bytes:
        """The exact bytes that were hashed and signed."""
        return self.data

    def to_json(self) -> dict[str, Any]:
        """Form used in manifests and --json output."""
        return {"event": dict(self.body), "hash": self.hash, "signature": self.signature}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SignedEvent:
        """From a ledger row (body stored as canonical JSON text); a damaged row says so.

        Read, not judged: the audit judges the bytes (`EVENT.read`); commands that show a
        ledger must still show a damaged one.
        """
        what = f"event #{row.get('seq')} of item {row.get('item_id')}"
        wrong = type_problems("events", row)
        if wrong:
            raise LedgerDamaged(what, Message.joined("; ", wrong))
        data = str(row["body"]).encode()
        body = parse_body(data)
        if body is None:
            raise LedgerDamaged(what, Message("body is not JSON"))
        if not isinstance(body.get("actor"), dict):
            raise LedgerDamaged(what, Message("body is not a custody event"))
        return cls(cast(EventBody, body), row["hash"], row["signature"], data)


def sign_event(signer: Signer, body: dict[str, Any]) -> SignedEvent:
    """Validate, canonicalise, hash and sign an event body."""
    problems = EVENT.schema_problems(body)
    if problems:
        raise UsageError(f"event for item {body.get('item_id')} is not valid: {problems[0]}")
    data = canonical_bytes(body)
    return SignedEvent(cast(EventBody, body), digest(data), signer.sign(data), data)


class Actor(Protocol):
    """Whoever an event names as its actor: a Signer, or a stand-in before the key is unlocked."""

    @property
    def actor(self) -> dict[str, str]:
        """Name and certificate fingerprint."""


def new_body(
    signer: Actor,
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
    event_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned event body with every field the schema requires (a new event id and the
    time now unless given: a check of what a body will be passes stand-ins)."""
    if action not in ACTIONS:
        raise UsageError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    return {
        "schema": NEWER_ACTIONS.get(action, EVENT_SCHEMA_ID),
        "event_id": event_id or uuid.uuid4().hex,
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
    write_events(ledger, [event])


def event_row(event: SignedEvent) -> dict[str, object]:
    """A signed event's ledger row: what write_events inserts and an export journal keeps."""
    return {
        "event_id": event.body["event_id"],
        "item_id": event.body["item_id"],
        "seq": event.body["seq"],
        "hash": event.hash,
        "body": event.canonical.decode(),
        "signature": event.signature,
        "signer": event.signer,
    }


def write_events(ledger: Ledger, events: Sequence[SignedEvent]) -> None:
    """Insert signed events in one batch (one executemany, pipelined on PostgreSQL), in order;
    the caller holds `ledger.atomic()`, whose one commit makes the whole batch durable."""
    ledger.insert_many("events", [event_row(event) for event in events])
    append_leaves(ledger, LeafKind.EVENT, [(e.body["event_id"], e.canonical) for e in events])


def chain_head(ledger: Ledger, item_id: str) -> tuple[int, str] | None:
    """(seq, hash) of the item's latest event, or None for an item without events."""
    rows = ledger.rows(
        "SELECT seq, hash FROM events WHERE item_id = $1 ORDER BY seq DESC LIMIT 1", (item_id,)
    )
    return (rows[0]["seq"], rows[0]["hash"]) if rows else None


# Item ids per query: far below SQLite's and PostgreSQL's limits on bound parameters.
_PER_QUERY = 500


def chain_heads(ledger: Ledger, item_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """(seq, hash) of each item's latest event, in one query per 500 items (items without
    events are absent)."""
    rows = head_rows(ledger, item_ids, "e.hash")
    return {r["item_id"]: (r["seq"], r["hash"]) for r in rows}


def head_rows(ledger: Ledger, item_ids: Iterable[str], columns: str) -> list[dict[str, Any]]:
    """item_id, seq and `columns` (of events `e`) of each item's latest event, in one query per
    500 items (items without events are absent)."""
    ids = sorted(set(item_ids))
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), _PER_QUERY):
        chunk = tuple(ids[start : start + _PER_QUERY])
        out += ledger.rows(
            f"SELECT e.item_id, e.seq, {columns} FROM events e JOIN (SELECT item_id, MAX(seq)"
            f" AS seq FROM events WHERE item_id IN ({marks(len(chunk))}) GROUP BY item_id) h"
            " ON e.item_id = h.item_id AND e.seq = h.seq",
            chunk,
        )
    return out


def bodies_with_actions(
    ledger: Ledger, item_ids: Iterable[str], actions: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per item, in chain order, the bodies of its events with one of these actions: one query
    per 500 items, for replays that only those events change (seal states).

    Canonical JSON sorts the keys, and `action` sorts first among an event's (every version's
    schema allows no other key), so the body of such an event begins '{"action":"sealed",'.
    LIKE on that prefix only pre-selects (the action is checked on the parsed body) and, unlike
    a pattern that may match anywhere, lets the server stop after the first bytes of each body:
    every `custody event` asks this over its items' whole chains (on PostgreSQL the planner
    scans the table when the items hold much of it). A body that is not canonical JSON is passed
    over here: audit reports it.
    """
    ids = sorted(set(item_ids))
    out: dict[str, list[dict[str, Any]]] = {item_id: [] for item_id in ids}
    patterns = tuple(f'{{"action":"{action}",%' for action in actions)
    for start in range(0, len(ids), _PER_QUERY):
        chunk = tuple(ids[start : start + _PER_QUERY])
        like = " OR ".join(
            # LIKE, not ledger.like (ILIKE on PostgreSQL, twice as slow): canonical JSON writes
            # the key and the action in lower case; SQLite's LIKE ignores case anyway
            f"body LIKE ${n}"
            for n in range(len(chunk) + 1, len(chunk) + 1 + len(actions))
        )
        rows = ledger.rows(
            f"SELECT item_id, body FROM events WHERE item_id IN ({marks(len(chunk))}) AND ({like})"
            " ORDER BY item_id, seq",
            chunk + patterns,
        )
        for row in rows:
            body = parse_body(str(row["body"]).encode())
            if body is not None and body.get("action") in actions:
                out[row["item_id"]].append(body)
    return out


def events_by_item(ledger: Ledger, item_ids: Iterable[str]) -> dict[str, list[SignedEvent]]:
    """Every event of these items in chain order, by item: one query per 500 items instead of
    one per item (timelines of a whole case, the custody report)."""
    out: dict[str, list[SignedEvent]] = {}
    for chunk in events_in_chunks(ledger, sorted(set(item_ids))):
        out.update(chunk)
    return out


def events_in_chunks(
    ledger: Ledger, item_ids: Iterable[str], size: int = _PER_QUERY
) -> Iterator[dict[str, list[SignedEvent]]]:
    """The same, size items at a time in the order given (each chunk's dict in that order),
    so that a whole case is read in one pass with only one chunk's events in memory (when the
    caller lets go of each chunk before asking for the next)."""
    ids = list(dict.fromkeys(item_ids))
    for start in range(0, len(ids), size):
        chunk = tuple(ids[start : start + size])
        out: dict[str, list[SignedEvent]] = {item_id: [] for item_id in chunk}
        rows = ledger.rows(
            select_all("events") + f" WHERE item_id IN ({marks(len(chunk))}) ORDER BY item_id, seq",
            chunk,
        )
        for row in rows:
            out[row["item_id"]].append(SignedEvent.from_row(row))
        del rows
        yield out


def item_events(ledger: Ledger, item_id: str) -> list[SignedEvent]:
    """An item's events in chain order."""
    rows = ledger.rows(select_all("events") + " WHERE item_id = $1 ORDER BY seq", (item_id,))
    return [SignedEvent.from_row(r) for r in rows]
