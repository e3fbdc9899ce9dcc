"""Time audit: the time rules (timerules.py) over the events an audit verified.

An event dated before the event before it in its chain, or before a checkpoint that does not
cover it, or signed by a key whose revocation a checkpoint covers without covering the event,
is a `time` finding; so is a checkpoint dated before the one it follows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from ..timerules import CheckpointTime, Timed, TimeRules, checkpoint_order_problem
from .events import EventFacts

Add = Callable[[str, str, str], None]
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
            add(CHECK, f"item {item_id} event #{event.seq}", problem)
    order: CheckpointTime | None = None
    for cp in rules.checkpoints:
        backdated = checkpoint_order_problem(order, cp)
        if backdated is not None:
            add(CHECK, f"checkpoint #{cp.seq}", backdated)
        order = cp
