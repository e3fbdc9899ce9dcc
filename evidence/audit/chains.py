"""Chain audit: sequence and links of every item's events, and the item row against the facts
its actor signed at ingest (digests, size, names, source, acquisition, metadata, profile)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..canonical import no_duplicates
from ..cases import Case
from ..chain import Break, Fault, check_links, link_faults
from ..errors import EvidenceError, LedgerDamaged
from ..items import Item, ingest_facts, item_id_for
from ..ledger import Ledger, select_all
from ..message import Message
from ..timefmt import parse_rfc3339
from .events import EventFacts

Add = Callable[[str, str, Message], None]


def load_items(ledger: Ledger, case: str | None, add: Add) -> list[Item]:
    """The items to audit; a row that cannot even be read is a finding, not a crash."""
    sql = select_all("items") + ("" if case is None else " WHERE case_number = $1")
    items = []
    for row in ledger.rows(sql + " ORDER BY rowid", () if case is None else (case,)):
        for column in ("metadata", "profile"):
            problem = strict_json_problem(row.get(column))
            if problem is not None:
                add(
                    "chains",
                    Message("item {item_id}", item_id=row.get("item_id")),
                    Message("{column} column {problem}", column=column, problem=problem),
                )
        try:
            items.append(Item.from_row(row))
        except LedgerDamaged as exc:
            add(
                "chains",
                Message("item {item_id}", item_id=row.get("item_id")),
                Message("item row unreadable ({message})", message=exc.findings[0].message),
            )
    return items


def strict_json_problem(text: Any) -> str | None:
    """Why a stored JSON column is not exactly what the tool writes, or None.

    Read strictly: SQLite's json_extract takes the last of duplicate keys and Python the
    first, so two readers would see two values; and any text other than the tool's own
    serialisation (spaces added, keys reordered) is an edit, even if it parses the same.
    """
    if text is None or not isinstance(text, str):
        return None  # NULL where allowed; a wrong type is reported by type_problems
    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as exc:
        return "holds duplicate keys" if "duplicate" in str(exc) else "is not JSON"
    if json.dumps(value, ensure_ascii=False, sort_keys=True) != text:
        return "is not in the tool's exact serialisation (edited by hand?)"
    return None


def _same_ingest_time(row_at: str, event_at: str | None) -> bool:
    # Since trust roots the row and the event carry one time. Items ingested before took the
    # row's time some microseconds before the event's: accepted only within one second.
    if event_at is None:
        return False
    if row_at == event_at:
        return True
    try:
        row_t, event_t = parse_rfc3339(row_at), parse_rfc3339(event_at)
    except EvidenceError:
        return False
    return timedelta(0) < event_t - row_t < timedelta(seconds=1)


def _check_item_row(item: Item, case: Case | None, first: EventFacts, add: Add) -> None:
    subject = Message("item {item_id}", item_id=item.item_id)
    if item.item_id != item_id_for(item.case_number, item.sha256):
        add("chains", subject, Message("item id does not derive from its case and SHA-256"))
    if first.actor != item.ingested_by:
        add("chains", subject, Message("ingested_by differs from the actor who signed the ingest"))
    if not _same_ingest_time(item.ingested_at, first.at):
        add(
            "chains",
            subject,
            Message("ingested_at differs from the time of the signed ingest event"),
        )
    details = first.details or {}
    if case is None:
        add(
            "chains",
            subject,
            Message("case {case_number!r} is not in the ledger", case_number=item.case_number),
        )
        return
    try:
        # older ingest events also state the type and profile (profiles were not yet analyses)
        expected = ingest_facts(item, case, with_analysis="evidence_type" in details)
    except Exception as exc:  # metadata a canonicaliser refuses is itself a finding
        add("chains", subject, Message("item row metadata or profile unreadable ({exc})", exc=exc))
        return
    changed = sorted(k for k, v in expected.items() if details.get(k) != v)
    if changed:
        add(
            "chains",
            subject,
            Message(
                "item row differs from its signed ingest event: {changed}",
                changed=", ".join(changed),
            ),
        )


_ORDER = [Fault.SEQ, Fault.PREV, Fault.ITEM_SHA256, Fault.CASE]


def _message(broken: Break, ev: EventFacts, item: Item) -> Message:
    pos = broken.position
    if broken.fault is Fault.SEQ:
        return Message("sequence broken: expected #{seq} (events missing?)", seq=pos)
    if broken.fault is Fault.PREV:
        what = (
            Message("the item's SHA-256")
            if pos == 1
            else Message("hash of event #{seq}", seq=pos - 1)
        )
        return Message("prev link broken: does not match {what}", what=what)
    if broken.fault is Fault.ITEM_SHA256:
        return Message("item_sha256 differs from the item's recorded SHA-256")
    return Message(
        "case {case!r} differs from item's {recorded!r}", case=ev.case, recorded=item.case_number
    )


def check_chains(
    items: list[Item],
    cases: dict[str, Case],
    facts: list[EventFacts],
    all_items: bool,
    add: Add,
) -> None:
    """Every chain complete, in order and linked; every item and case row as signed at ingest."""
    by_item: dict[str, list[EventFacts]] = defaultdict(list)
    for f in facts:
        by_item[f.item_id].append(f)
    known = {i.item_id for i in items}
    if all_items:
        for item_id in sorted(set(by_item) - known):
            add(
                "chains",
                Message("item {item_id}", item_id=item_id),
                Message("events exist for an item the ledger does not list"),
            )
    for item in items:
        _check_held_chain(item, cases, by_item.get(item.item_id, []), add)


def _check_held_chain(
    item: Item, cases: dict[str, Case], events: list[EventFacts], add: Add
) -> None:
    chain = sorted(events, key=lambda f: f.seq)
    if not chain:
        add(
            "chains",
            Message("item {item_id}", item_id=item.item_id),
            Message("no custody events at all (chain deleted?)"),
        )
        return
    breaks = check_links(chain, None, item.case_number, item.sha256)
    _report(item, cases, [(b, chain[b.position - 1]) for b in breaks], chain[0], add)


def _report(
    item: Item,
    cases: dict[str, Case],
    breaks: list[tuple[Break, EventFacts]],
    first: EventFacts,
    add: Add,
) -> None:
    subject = Message("item {item_id}", item_id=item.item_id)
    for broken, ev in sorted(breaks, key=lambda b: (b[0].position, _ORDER.index(b[0].fault))):
        add(
            "chains",
            Message("{subject} event #{seq}", subject=subject, seq=ev.seq),
            _message(broken, ev, item),
        )
    if first.seq != 1 or first.action not in ("ingested", "acquired"):
        add(
            "chains",
            subject,
            Message(
                "first event is {action!r}, not the ingest", action=Message.word(str(first.action))
            ),
        )
    else:
        _check_item_row(item, cases.get(item.case_number), first, add)


@dataclass
class _Head:
    """What the chain check keeps of one item while its events stream by."""

    position: int = 0  # events seen so far: the place of the last one in the chain
    seq: int = 0  # the last one's seq (events must come in increasing seq to be streamed)
    hash: str = ""  # the last one's hash: what the next one's prev must be
    first: EventFacts | None = None
    breaks: list[tuple[Break, EventFacts]] = field(default_factory=list)


class ChainStream:
    """check_chains over events fed one by one in ledger order, holding a head per item.

    Appends take each item's lock, so a ledger lists an item's events in seq order and the
    stream's order is the chain's. An item whose events come out of order (a tampered
    ledger) is set aside: `finish` re-reads its events and checks it as check_chains does,
    so every finding is the same as with the whole ledger in memory.
    """

    def __init__(self, items: list[Item], all_items: bool) -> None:
        self.items = {i.item_id: i for i in items}
        self.all_items = all_items
        self.heads: dict[str, _Head] = {}
        self.unlisted: set[str] = set()
        self.out_of_order: set[str] = set()

    def feed(self, f: EventFacts) -> None:
        """One event, in ledger order."""
        item = self.items.get(f.item_id)
        if item is None:
            self.unlisted.add(f.item_id)
            return
        if f.item_id in self.out_of_order:
            return
        head = self.heads.get(f.item_id)
        if head is None:
            head = self.heads[f.item_id] = _Head(hash=item.sha256, first=f)
        elif f.seq <= head.seq:
            self.out_of_order.add(f.item_id)
            return
        head.position += 1
        head.seq = f.seq
        faults = link_faults(f, head.position, head.hash, None, item.case_number, item.sha256)
        head.breaks += [(Break(head.position, fault), f) for fault in faults]
        head.hash = f.hash

    def finish(self, cases: dict[str, Case], reread: list[EventFacts], add: Add) -> None:
        """The findings of check_chains; reread: every event of the items set aside."""
        if self.all_items:
            for item_id in sorted(self.unlisted):
                add(
                    "chains",
                    Message("item {item_id}", item_id=item_id),
                    Message("events exist for an item the ledger does not list"),
                )
        again: dict[str, list[EventFacts]] = defaultdict(list)
        for f in reread:
            again[f.item_id].append(f)
        for item in self.items.values():
            if item.item_id in self.out_of_order:
                _check_held_chain(item, cases, again[item.item_id], add)
                continue
            head = self.heads.get(item.item_id)
            if head is None or head.first is None:
                add(
                    "chains",
                    Message("item {item_id}", item_id=item.item_id),
                    Message("no custody events at all (chain deleted?)"),
                )
                continue
            _report(item, cases, head.breaks, head.first, add)
