"""Custody chains: appending events under the write lock, and who holds an item now.

Custody passes in two steps: the holder signs `transferred` naming the receiver; custody moves
only when the receiver signs `received`. Until then the transfer is pending.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import EvidenceError, OperationalError, UsageError
from .events import (
    SignedEvent,
    chain_heads,
    head_rows,
    item_events,
    new_body,
    sign_event,
    write_events,
)
from .items import Item
from .keys import KeyRecord, Signer
from .ledger import Ledger
from .message import Message
from .timerules import Timed, clock_problem


@dataclass(frozen=True)
class Custody:
    """An item's custody state derived from its chain."""

    holder: dict[str, str] | None
    pending_to: dict[str, str] | None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {"holder": self.holder, "pending_to": self.pending_to}


def custody_states(
    events: Sequence[SignedEvent], identity: Mapping[str, str] | None = None
) -> Iterator[Custody]:
    """The custody state before each event, then after the last: one replay, not one per event.

    The ingesting actor holds the item until a transfer is received. identity maps certificate
    fingerprints to key ids, so that an actor whose agency CA issued a new certificate
    meanwhile is still the same actor; without it fingerprints must match.
    """
    who = identity or {}
    holder: dict[str, str] | None = None
    pending: dict[str, str] | None = None
    for ev in events:
        yield Custody(holder, pending)
        body = ev.body
        action = body["action"]
        if action in ("ingested", "acquired") and holder is None:
            holder = dict(body["actor"])
        elif action == "transferred":
            pending = dict(body["to"]) if body["to"] else None
        elif (
            action == "received"
            and pending is not None
            and who.get(body["actor"]["fingerprint"], body["actor"]["fingerprint"])
            == who.get(pending["fingerprint"], pending["fingerprint"])
        ):
            holder, pending = pending, None
    yield Custody(holder, pending)


def custody_state(
    events: Sequence[SignedEvent], identity: Mapping[str, str] | None = None
) -> Custody:
    """Where custody stands after events (see custody_states)."""
    *_, last = custody_states(events, identity)
    return last


CLOCK_HINT = "set this computer's clock right (UTC); a signature may not claim an earlier time"


def last_events(ledger: Ledger, item_ids: Sequence[str]) -> dict[str, Timed]:
    """The last event of each item, as the time rules see it (one query per 500 items)."""
    return _timed(head_rows(ledger, item_ids, "e.body, e.signer"))


def _timed(rows: Sequence[Mapping[str, Any]]) -> dict[str, Timed]:
    return {
        r["item_id"]: Timed(r["item_id"], r["seq"], _event_time(r["body"]), r["signer"])
        for r in rows
    }


def require_in_order(
    ledger: Ledger, events: Sequence[SignedEvent], before: dict[str, Timed] | None = None
) -> None:
    """Refuse (exit 3) events dated before the last event of their item: this computer's clock
    is behind the ledger (the CLI asks before the passphrase; the library refuses too).
    `before`: the last events as last_events gives them, if the caller has read them."""
    if before is None:
        before = last_events(ledger, [e.body["item_id"] for e in events])
    for event in events:
        item_id = str(event.body["item_id"])
        now = Timed(item_id, int(event.body["seq"]), event.body["at"], event.signer)
        problem = clock_problem(
            str(now.at), None, {item_id: before[item_id]} if item_id in before else {}
        )
        if problem is not None:
            raise OperationalError(
                Message("refusing to sign: {problem}", problem=problem), CLOCK_HINT
            )
        before[item_id] = now


def _event_time(body: Any) -> Any:
    try:
        value = json.loads(str(body))
    except ValueError:
        return None  # audit reports a body that is not an event
    return value.get("at") if isinstance(value, dict) else None


def identities(ledger: Ledger) -> dict[str, str]:
    """Certificate fingerprint -> key id, for every certificate the workspace knows."""
    rows = ledger.rows("SELECT fingerprint, key_id FROM certificates")
    return {r["fingerprint"]: r["key_id"] for r in rows}


# Events per transaction when one command records more (`custody event --from FILE.csv`): one
# commit (one fsync) per batch, and the write lock is never held for long.
BATCH_EVENTS = 1000


@dataclass(frozen=True)
class EventRequest:
    """One event to record: on which item, which action, and the body's other fields
    (location, purpose, note, from_party, to_party, details: see events.new_body)."""

    item: Item
    action: str
    fields: Mapping[str, Any]


def append_locked(
    ledger: Ledger, signer: Signer, item: Item, action: str, **fields: Any
) -> SignedEvent:
    """Append one signed event; the caller holds `ledger.atomic(lock=[item])`, so the head read
    here (and whatever the caller read to decide on the event) cannot change before the insert."""
    (event,) = append_all_locked(ledger, signer, [EventRequest(item, action, fields)])
    return event


def append_all_locked(
    ledger: Ledger, signer: Signer, requests: Sequence[EventRequest]
) -> list[SignedEvent]:
    """Append one signed event per request, in order, as one batch: the chain heads are read
    once (one query), each new event becomes its item's head for the next request on the same
    item, and the rows go in with one executemany. The caller holds `ledger.atomic()` locking
    every item, so no head read here can change before the commit."""
    # One query per 500 items for both what the chains continue from and the time rule.
    rows = head_rows(ledger, [r.item.item_id for r in requests], "e.hash, e.body, e.signer")
    heads = {r["item_id"]: (r["seq"], r["hash"]) for r in rows}
    events = [_sign_on(heads, signer, r) for r in requests]
    require_in_order(ledger, events, _timed(rows))
    write_events(ledger, events)
    return events


def _sign_on(
    heads: dict[str, tuple[int, str]], signer: Signer, request: EventRequest
) -> SignedEvent:
    """The signed event that follows heads[item] (not recorded); heads[item] becomes it."""
    item = request.item
    head = heads.get(item.item_id)
    if head is None:
        raise UsageError(f"item {item.item_id} has no chain to append to")
    seq, prev = head
    body = new_body(
        signer,
        item_id=item.item_id,
        case=item.case_number,
        seq=seq + 1,
        prev=prev,
        item_sha256=item.sha256,
        action=request.action,
        **request.fields,
    )
    event = sign_event(signer, body)
    heads[item.item_id] = (seq + 1, event.hash)
    return event


def prepare_events(
    ledger: Ledger,
    signer: Signer,
    items: Sequence[Item],
    action: str,
    *,
    purpose: str = "",
    note: str = "",
    details: dict[str, Any] | None = None,
) -> list[SignedEvent]:
    """One signed event per item on top of its chain head, NOT recorded: see commit_prepared.

    For an event recorded later, or only if something happens (an export's events, recorded
    with the checkpoint that proves them; the note saying its bundle was never produced).
    """
    fields = {"location": "", "purpose": purpose, "note": note, "details": details}
    heads = chain_heads(ledger, [i.item_id for i in items])
    events = [_sign_on(heads, signer, EventRequest(item, action, fields)) for item in items]
    require_in_order(ledger, events)
    return events


def commit_prepared(
    ledger: Ledger,
    events: Sequence[SignedEvent],
    guard: Callable[[Sequence[SignedEvent]], None] | None = None,
) -> None:
    """Record events from prepare_events in one transaction, if no chain has moved since.

    `guard` runs first inside the transaction and may refuse (a checkpoint made while the
    events were prepared: timeorder.require_prepared_after_checkpoints)."""
    with ledger.atomic(lock=[e.body["item_id"] for e in events]):
        commit_prepared_locked(ledger, events, guard)


def commit_prepared_locked(
    ledger: Ledger,
    events: Sequence[SignedEvent],
    guard: Callable[[Sequence[SignedEvent]], None] | None = None,
) -> None:
    """commit_prepared inside a transaction the caller holds (locking the events' items, or
    exclusive: a bundle records its export events in the checkpoint's transaction)."""
    # A checkpoint made while they were prepared would not cover events dated before it.
    if guard is not None:
        guard(events)
    heads = chain_heads(ledger, [e.body["item_id"] for e in events])
    expected: dict[str, tuple[int, str]] = {}
    for event in events:
        item_id = event.body["item_id"]
        if expected.get(item_id, heads.get(item_id)) != (
            event.body["seq"] - 1,
            event.body["prev"],
        ):
            raise OperationalError(
                f"item {item_id}: its chain changed while the events were"
                " prepared; nothing was recorded",
                "run the command again",
            )
        expected[item_id] = (event.body["seq"], event.hash)
    write_events(ledger, events)


def append_events(
    ledger: Ledger,
    signer: Signer,
    items: Sequence[Item],
    action: str,
    *,
    location: str = "",
    purpose: str = "",
    note: str = "",
    details: dict[str, Any] | None = None,
) -> list[SignedEvent]:
    """Append one signed event to each item's chain, all in one transaction.

    The items' append locks are taken before their chain heads are read, so concurrent writers
    serialise and a chain can never fork.
    """
    fields = {"location": location, "purpose": purpose, "note": note, "details": details}
    with ledger.atomic(lock=[i.item_id for i in items]):
        return append_all_locked(
            ledger, signer, [EventRequest(item, action, fields) for item in items]
        )


class PartlyRecorded(EvidenceError):
    """A batched recording failed after some batches were committed: says how many."""

    def __init__(self, recorded: int, total: int, cause: EvidenceError) -> None:
        super().__init__(
            f"{cause.message} (after {recorded} of {total} events were recorded: the first "
            f"{recorded}, in order; the others were not)",
            cause.hint,
        )
        self.exit_code = cause.exit_code
        self.recorded = recorded


def record_requests(
    ledger: Ledger,
    signer: Signer,
    requests: Sequence[EventRequest],
    *,
    batch: int = BATCH_EVENTS,
) -> list[SignedEvent]:
    """Record events in order, in transactions of `batch` events (group commit: one commit and
    one fsync per batch). A crash leaves whole batches or nothing; an error after the first
    batch raises PartlyRecorded, naming how many were recorded."""
    done: list[SignedEvent] = []
    for start in range(0, len(requests), batch):
        chunk = requests[start : start + batch]
        try:
            with ledger.atomic(lock=[r.item.item_id for r in chunk]):
                done += append_all_locked(ledger, signer, chunk)
        except EvidenceError as exc:
            if done:
                raise PartlyRecorded(len(done), len(requests), exc) from exc
            raise
    return done


def transfer(
    ledger: Ledger,
    signer: Signer,
    items: Sequence[Item],
    receiver: KeyRecord,
    *,
    location: str = "",
    purpose: str = "",
    note: str = "",
) -> list[SignedEvent]:
    """The holder hands items to receiver; custody moves only when the receiver signs receive."""
    to_party = {"name": receiver.name, "fingerprint": receiver.fingerprint}
    fields = {
        "location": location,
        "purpose": purpose,
        "note": note,
        "from_party": signer.actor,
        "to_party": to_party,
    }
    with ledger.atomic(lock=[i.item_id for i in items]):
        problems = transfer_problems(ledger, signer.record, items, receiver)
        if problems:
            raise problems[0]
        requests = [EventRequest(item, "transferred", fields) for item in items]
        return append_all_locked(ledger, signer, requests)


def receive(
    ledger: Ledger,
    signer: Signer,
    items: Sequence[Item],
    *,
    location: str = "",
    note: str = "",
) -> list[SignedEvent]:
    """The receiver acknowledges pending transfers; custody passes to them."""
    with ledger.atomic(lock=[i.item_id for i in items]):
        problems = receive_problems(ledger, signer.record, items)
        if problems:
            raise problems[0]
        requests = []
        for item in items:
            events = item_events(ledger, item.item_id)
            last_transfer = next(e for e in reversed(events) if e.body["action"] == "transferred")
            fields = {
                "location": location,
                "note": note,
                "purpose": "acknowledge receipt of custody",
                "from_party": last_transfer.body["from"],
                "to_party": signer.actor,
            }
            requests.append(EventRequest(item, "received", fields))
        return append_all_locked(ledger, signer, requests)


def transfer_problems(
    ledger: Ledger, giver: KeyRecord, items: Sequence[Item], receiver: KeyRecord
) -> list[UsageError]:
    """Why giver cannot hand items to receiver now (empty: it can); asked before a passphrase
    prompt, and again under the write lock by `transfer`."""
    if receiver.key_id == giver.key_id:
        return [UsageError(f"cannot transfer to oneself ({receiver.name})")]
    mine = _fingerprints(ledger, giver.key_id)
    problems = []
    for item, state in _states(ledger, items):
        if state.holder is None or state.holder["fingerprint"] not in mine:
            holder = state.holder["name"] if state.holder else "nobody"
            problems.append(
                UsageError(f"item {item.item_id}: {giver.name} is not its custodian ({holder} is)")
            )
        elif state.pending_to is not None:
            problems.append(
                UsageError(
                    f"item {item.item_id}: a transfer to {state.pending_to['name']} is pending",
                    "the receiver must run `custody receive` first",
                )
            )
    return problems


def receive_problems(ledger: Ledger, taker: KeyRecord, items: Sequence[Item]) -> list[UsageError]:
    """Why taker cannot receive items now (empty: every one has a transfer pending to them)."""
    mine = _fingerprints(ledger, taker.key_id)
    problems = []
    for item, state in _states(ledger, items):
        if state.pending_to is None or state.pending_to["fingerprint"] not in mine:
            problems.append(UsageError(f"item {item.item_id}: no pending transfer to {taker.name}"))
    return problems


def _states(ledger: Ledger, items: Sequence[Item]) -> list[tuple[Item, Custody]]:
    who = identities(ledger)
    return [(item, custody_state(item_events(ledger, item.item_id), who)) for item in items]


def _fingerprints(ledger: Ledger, key_id: str) -> set[str]:
    rows = ledger.rows("SELECT fingerprint FROM certificates WHERE key_id = $1", (key_id,))
    return {r["fingerprint"] for r in rows}


def chain_of(ledger: Ledger, item: Item) -> list[SignedEvent]:
    """The item's full chain, first event first."""
    return item_events(ledger, item.item_id)
