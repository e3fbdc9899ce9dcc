"""Timelines: an item's events as people read them, with signature and custodian status."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .corrections import facts_of
from .custody import custody_states, identities
from .events import events_by_item
from .items import Item
from .keys import verify_signature
from .seals import OPENING_ACTIONS, seal_number, seal_states
from .trust.store import workspace_view
from .workspace import Workspace


@dataclass(frozen=True)
class Entry:
    """One event line of a timeline."""

    item_id: str
    seq: int
    at: str
    action: str
    actor: str
    actor_fingerprint: str
    from_name: str | None
    to_name: str | None
    location: str
    purpose: str
    note: str
    signature_ok: bool
    by_custodian: bool
    hash: str  # ties the line to the ledger (and a printed report to the chain)
    seal: str | None = None  # the seal number a sealed/unsealed event names
    while_sealed: str | None = None  # the seal an access, analysis or copy happened under
    change: str = ""  # what a correction changed, in words
    # Why the trust root does not let this signer sign at the event's time, or None.
    signer_problem: str | None = None

    @property
    def out_of_custody(self) -> bool:
        """Recorded by someone who did not hold the item then (an export is made by whoever
        bundles, not by the holder: not out of custody)."""
        return not self.by_custodian and self.action != "exported"

    @property
    def irregular(self) -> bool:
        """What log and report mark: a bad signature, a signer the trust root does not
        establish at the event's time, or a non-holder acting."""
        return not self.signature_ok or self.signer_problem is not None or self.out_of_custody

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {**self.__dict__, "out_of_custody": self.out_of_custody}


@dataclass(frozen=True)
class ItemTimeline:
    """An item (its facts as corrected), its entries and where its custody stands now."""

    item: Item
    entries: list[Entry]
    holder: str | None
    pending_to: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "item_id": self.item.item_id,
            "original_name": self.item.original_name,
            "holder": self.holder,
            "pending_to": self.pending_to,
            "events": [e.to_json() for e in self.entries],
        }


def describe_change(body: Mapping[str, Any]) -> str:
    """What an `amended` or `digests-added` event changed, for people ("" for other events)."""
    details = body.get("details")
    if not isinstance(details, Mapping):
        return ""
    if body.get("action") == "amended" and isinstance(details.get("changes"), Mapping):
        return "; ".join(
            f"{name}: {_value(change.get('from'))} -> {_value(change.get('to'))}"
            for name, change in details["changes"].items()
            if isinstance(change, Mapping)
        )
    if body.get("action") == "digests-added" and isinstance(details.get("digests"), Mapping):
        return "added " + ", ".join(f"{k} {v}" for k, v in details["digests"].items())
    return ""


def _value(value: Any) -> str:
    # A stored time reads to the second ("2026-11-02T11:30:00Z"); the value stays as signed.
    text = str(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text):
        return text[:19] + "Z"
    return text


def timelines(
    ws: Workspace,
    items: Sequence[Item],
    unverified: Collection[tuple[str, int]] | None = None,
) -> list[ItemTimeline]:
    """Timelines of items; a signature that does not verify is shown, never hidden.

    unverified: (item_id, seq) of events an audit just found badly signed; given it, the
    signatures are not verified a second time.
    """
    certs = ws.keys.certificates()
    who = identities(ws.ledger)
    view = workspace_view(ws.ledger, certs)  # once: per event a lookup and a time compare
    out = []
    chains = events_by_item(ws.ledger, [item.item_id for item in items])
    for item in items:
        events = chains[item.item_id]
        entries = []
        states = list(custody_states(events, who))  # states[pos]: before event pos
        seals = list(seal_states(e.body for e in events))
        for pos, ev in enumerate(events):
            body = ev.body
            cert = certs.get(ev.signer)
            before = states[pos].holder
            by_custodian = (
                pos == 0
                or (
                    before is not None
                    and who.get(before["fingerprint"], before["fingerprint"])
                    == who.get(ev.signer, ev.signer)
                )
                or body["action"] == "received"
            )
            entries.append(
                Entry(
                    item_id=item.item_id,
                    seq=body["seq"],
                    at=body["at"],
                    action=body["action"],
                    actor=body["actor"]["name"],
                    actor_fingerprint=ev.signer,
                    from_name=(body.get("from") or {}).get("name"),
                    to_name=(body.get("to") or {}).get("name"),
                    location=body.get("location", ""),
                    purpose=body.get("purpose", ""),
                    note=body.get("note", ""),
                    signature_ok=(item.item_id, body["seq"]) not in unverified
                    if unverified is not None
                    else cert is not None and verify_signature(cert, ev.canonical, ev.signature),
                    by_custodian=by_custodian,
                    hash=ev.hash,
                    seal=seal_number(body),
                    while_sealed=seals[pos] if body["action"] in OPENING_ACTIONS else None,
                    change=describe_change(body),
                    signer_problem=None
                    if view is None
                    else view.verdict(ev.signer).problem_at(body.get("at")),
                )
            )
        state = states[-1]
        out.append(
            ItemTimeline(
                facts_of(item, events).item,  # source, acquisition, digests as corrected
                entries,
                state.holder["name"] if state.holder else None,
                state.pending_to["name"] if state.pending_to else None,
            )
        )
    return out
