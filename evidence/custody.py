"""Custody chains: appending events under the write lock, and who holds an item now.

Custody passes in two steps: the holder signs `transferred` naming the receiver; custody moves
only when the receiver signs `received`. Until then the transfer is pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import UsageError
from .events import SignedEvent, chain_head, item_events, new_body, sign_event, write_event
from .items import Item
from .keys import Signer
from .ledger import Ledger


@dataclass(frozen=True)
class Custody:
    """An item's custody state derived from its chain."""

    holder: dict[str, str] | None
    pending_to: dict[str, str] | None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {"holder": self.holder, "pending_to": self.pending_to}


def custody_state(events: Sequence[SignedEvent]) -> Custody:
    """Replay a chain: the ingesting actor holds the item until a transfer is received."""
    holder: dict[str, str] | None = None
    pending: dict[str, str] | None = None
    for ev in events:
        body = ev.body
        action = body["action"]
        if action in ("ingested", "acquired") and holder is None:
            holder = dict(body["actor"])
        elif action == "transferred":
            pending = dict(body["to"]) if body["to"] else None
        elif (
            action == "received"
            and pending is not None
            and body["actor"]["fingerprint"] == pending["fingerprint"]
        ):
            holder, pending = pending, None
    return Custody(holder, pending)


def is_custodian(events: Sequence[SignedEvent], fingerprint: str) -> bool:
    """True if the actor with this fingerprint holds the item after these events."""
    holder = custody_state(events).holder
    return holder is not None and holder["fingerprint"] == fingerprint


def append_events(
    ledger: Ledger,
    signer: Signer,
    items: Sequence[Item],
    action: str,
    *,
    location: str = "",
    purpose: str = "",
    note: str = "",
    from_party: dict[str, str] | None = None,
    to_party: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> list[SignedEvent]:
    """Append one signed event to each item's chain, all in one transaction.

    The write lock is taken before the chain heads are read, so concurrent writers serialise
    and a chain can never fork.
    """
    out: list[SignedEvent] = []
    with ledger.atomic():
        for item in items:
            head = chain_head(ledger, item.item_id)
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
                action=action,
                location=location,
                purpose=purpose,
                note=note,
                from_party=from_party,
                to_party=to_party,
                details=details,
            )
            event = sign_event(signer, body)
            write_event(ledger, event)
            out.append(event)
    return out


def chain_of(ledger: Ledger, item: Item) -> list[SignedEvent]:
    """The item's full chain, first event first."""
    return item_events(ledger, item.item_id)
