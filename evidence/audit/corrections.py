"""Audit of corrections and seals: every `amended`/`digests-added` event must follow from the
facts before it, and every item's seal history must be consistent.

Signatures and signers of these events are checked with every other event (audit/events.py);
here the content: an amendment whose "from" is not the value it replaces, a fact that cannot be
amended, a malformed digest. Seal inconsistencies are listed as notices: they are custody
facts a court must see, not tampering, and the chain that records them is intact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from ..corrections import replay
from ..errors import Finding
from ..message import Message
from ..seals import seal_problems
from .events import DETAILED, EventFacts

Add = Callable[[str, str, Message], None]


def _by_item(facts: Iterable[EventFacts]) -> dict[str, list[EventFacts]]:
    # Only the ingest and the events these checks read: a chain of 10,000 accesses costs a
    # comparison per event, not a replay.
    chains: dict[str, list[EventFacts]] = defaultdict(list)
    for f in facts:
        if f.seq == 1 or f.action in DETAILED:
            chains[f.item_id].append(f)
    for chain in chains.values():
        chain.sort(key=lambda f: f.seq)
    return {item_id: chain for item_id, chain in chains.items() if len(chain) > 1}


def _bodies(chain: list[EventFacts]) -> list[dict[str, object]]:
    return [{"action": f.action, "seq": f.seq, "details": f.details} for f in chain]


def check_corrections(facts: Iterable[EventFacts], add: Add) -> None:
    """Every correction applies to the facts as they stood (check name "corrections")."""
    for item_id, chain in _by_item(facts).items():
        if chain[0].seq != 1 or chain[0].details is None:
            continue  # the chain check reports a missing ingest
        for seq, problem in replay(chain[0].details, _bodies(chain)).problems:
            add(
                "corrections",
                Message("item {item_id} event #{seq}", item_id=item_id, seq=seq),
                problem,
            )


def seal_notices(facts: Iterable[EventFacts]) -> list[Finding]:
    """Items whose seal history is inconsistent, one notice per step that does not follow."""
    return [
        Finding("seals", Message("item {item_id} event #{seq}", item_id=item_id, seq=seq), problem)
        for item_id, chain in _by_item(facts).items()
        for seq, problem in seal_problems(_bodies(chain))
    ]
