"""Time audit: the time rules (timerules.py) over the events an audit verified.

An event dated before the event before it in its chain, or before a checkpoint that does not
cover it, or signed by a key whose revocation a checkpoint covers without covering the event,
is a `time` finding; so is a checkpoint dated before the one it follows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from ..message import Message
from ..timerules import CheckpointTime, Timed, TimeRules, checkpoint_order_problem
from .events import EventFacts

Add = Callable[[str, str, Message], None]
CHECK = "time"


def timed(f: EventFacts) -> Timed:
    """An audited event as the time rules see it."""
    return Timed(f.item_id, f.seq, f.at, f.actor)


def check_times(
    rules: TimeRules,
    facts: Sequence[EventFacts],
    add: Add,
    previous: Mapping[str, Timed] | None = None,
) -> None:
    """Every event against the time rules; `previous`: per item, the event before the first
    one given (an incremental audit starts a chain in the middle)."""
    by_item: dict[str, list[Timed]] = defaultdict(list)
    for f in facts:
        by_item[f.item_id].append(timed(f))
    for item_id in sorted(by_item):
        chain = sorted(by_item[item_id], key=lambda t: t.seq)
        before = None if previous is None else previous.get(item_id)
        for event, problem in rules.problems(chain, before):
            add(
                CHECK,
                Message("item {item_id} event #{seq}", item_id=item_id, seq=event.seq),
                problem,
            )
    check_checkpoint_order(rules, add)


def check_checkpoint_order(rules: TimeRules, add: Add) -> None:
    """No checkpoint dated before the one it follows."""
    order: CheckpointTime | None = None
    for cp in rules.checkpoints:
        backdated = checkpoint_order_problem(order, cp)
        if backdated is not None:
            add(CHECK, Message("checkpoint #{seq}", seq=cp.seq), backdated)
        order = cp


class TimeStream:
    """check_times over events fed one by one in ledger order, holding each item's last event.

    Items in `set_aside` (those the chain stream met out of seq order, shared with it) are
    checked at `finish` from their events re-read whole, so the findings, and their order, are
    those of check_times over every event at once.
    """

    def __init__(self, rules: TimeRules, set_aside: set[str]) -> None:
        self.rules = rules
        self.set_aside = set_aside
        self.last: dict[str, Timed] = {}
        self.found: list[tuple[str, int, Message]] = []  # (item, seq, problem), as met

    def feed(self, f: EventFacts) -> None:
        """One event, in ledger order (after the chain stream has seen it)."""
        if f.item_id in self.set_aside:
            return
        event = timed(f)
        for _, problem in self.rules.problems([event], self.last.get(f.item_id)):
            self.found.append((f.item_id, f.seq, problem))
        self.last[f.item_id] = event

    def finish(self, reread: Sequence[EventFacts], add: Add) -> None:
        """Add the findings: by item (sorted), each chain in order; then the checkpoints."""
        by_item: dict[str, list[tuple[int, Message]]] = defaultdict(list)
        for item_id, seq, problem in self.found:
            if item_id not in self.set_aside:
                by_item[item_id].append((seq, problem))
        again: dict[str, list[Timed]] = defaultdict(list)
        for f in reread:
            again[f.item_id].append(timed(f))
        for item_id in self.set_aside:
            chain = sorted(again[item_id], key=lambda t: t.seq)
            by_item[item_id] = [(e.seq, p) for e, p in self.rules.problems(chain)]
        for item_id in sorted(by_item):
            for seq, problem in by_item[item_id]:
                add(
                    CHECK, Message("item {item_id} event #{seq}", item_id=item_id, seq=seq), problem
                )
        check_checkpoint_order(self.rules, add)
