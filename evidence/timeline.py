"""Timelines: an item's events as people read them, with signature and custodian status."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .corrections import facts_of
from .custody import custody_states, identities
from .entries import Entry as Entry
from .entries import Irregularity as Irregularity
from .entries import chain_entries, irregularities
from .events import SignedEvent, events_by_item
from .items import Item
from .keys import verify_signature
from .timeorder import workspace_rules
from .trust.store import load_state, workspace_view
from .workspace import Workspace


@dataclass(frozen=True)
class ItemTimeline:
    """An item (its facts as corrected), its custody log lines first event first, and where
    its custody stands now: what `custody log` prints and the custody report prints, so paper
    and screen agree."""

    item: Item
    events: tuple[Entry, ...]
    holder: str | None  # who holds it after the last event
    pending_to: str | None  # a transfer not yet received
    irregularities: tuple[Irregularity, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The same lines (the name the custody log code gave them before the report's
        timeline and this one became one)."""
        return self.events

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "item_id": self.item.item_id,
            "original_name": self.item.original_name,
            "holder": self.holder,
            "pending_to": self.pending_to,
            "events": [e.to_json() for e in self.events],
        }


def timelines(
    ws: Workspace,
    items: Sequence[Item],
    unverified: Collection[tuple[str, int]] | None = None,
    chains: Mapping[str, Sequence[SignedEvent]] | None = None,
) -> list[ItemTimeline]:
    """Timelines of items; a signature that does not verify is shown, never hidden.

    unverified: (item_id, seq) of events an audit just found badly signed; given it, the
    signatures are not verified a second time. chains: the items' events by item, when the
    caller has read them already (else they are read here).
    """
    certs = ws.keys.certificates()
    who = identities(ws.ledger)
    view = workspace_view(ws.ledger, certs)  # once: per event a lookup and a time compare
    rules = workspace_rules(ws.ledger, view, load_state(ws.ledger).records)
    out = []
    if chains is None:
        chains = events_by_item(ws.ledger, [item.item_id for item in items])
    for item in items:
        events = chains[item.item_id]

        def signature_ok(ev: SignedEvent, item_id: str = item.item_id) -> bool:
            if unverified is not None:
                return (item_id, ev.body["seq"]) not in unverified
            cert = certs.get(ev.signer)
            return cert is not None and verify_signature(cert, ev.canonical, ev.signature)

        entries = chain_entries(item.item_id, events, who, view, signature_ok, rules)
        states = list(custody_states(events, who))
        state = states[-1]
        out.append(
            ItemTimeline(
                facts_of(item, events).item,  # source, acquisition, digests as corrected
                tuple(entries),
                state.holder["name"] if state.holder else None,
                state.pending_to["name"] if state.pending_to else None,
                tuple(irregularities(entries, [e.body for e in events])),
            )
        )
    return out
