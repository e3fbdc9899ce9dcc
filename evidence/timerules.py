"""Time rules: a key holder cannot make an event claim a time that the ledger's order denies.

A signer's clock is only a claim. What the ledger proves about order is weaker but cannot be
forged by one key holder: an event comes after the event before it in its chain, and after every
checkpoint that does not yet cover it (a checkpoint signs every chain head, so an event it does
not cover was recorded later). From that, pure functions that audit (full and incremental),
`custody log`, `custody bundle` and the bundle verifier all call:

1. chain rule: an event may not be dated before the event before it in its chain;
2. checkpoint rule: an event that a checkpoint does not cover may not be dated before that
   checkpoint's time, nor before its RFC 3161 genTime;
3. revocation rule: a revocation that a checkpoint covers applies to every event that
   checkpoint does not cover, whatever date the event gives itself (the order in the ledger,
   not the signer's clock, says the event came after the revocation);
4. clock rule (before signing): a clock earlier than the latest checkpoint or than the item's
   last event is refused, so an honest command never produces what rules 1 and 2 reject.

Times are compared as instants (any RFC 3339 offset); a time that does not parse is left to the
schema checks, which already report it. Imports nothing above the time format, so that every
layer (the append path in custody.py too) can call it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import EvidenceError
from .message import Message
from .timefmt import parse_rfc3339


def instant(text: Any) -> datetime | None:
    """An RFC 3339 time as an aware datetime, or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return parse_rfc3339(text)
    except EvidenceError:
        return None


@dataclass(frozen=True)
class Timed:
    """An event as the time rules see it."""

    item_id: str
    seq: int
    at: Any
    signer: str | None


@dataclass(frozen=True)
class CheckpointTime:
    """What the time rules need of one checkpoint: its times and what it covers."""

    seq: int
    created_at: Any
    gen_time: str | None
    heads: Mapping[str, int]  # item id -> last event number it covers
    records: int | None  # last trust record number it covers (None: none, or not committed)

    @property
    def moment(self) -> datetime | None:
        """The later of its signed time and its token's genTime: nothing it does not cover
        can have been recorded before either."""
        times = [t for t in (instant(self.created_at), instant(self.gen_time)) if t is not None]
        return max(times) if times else None

    def label(self) -> Message:
        """How findings name it: number and the time(s) that bind."""
        if self.gen_time is not None:
            return Message(
                "checkpoint #{seq} ({at}, RFC 3161 time {gen_time})",
                seq=self.seq,
                at=Message.moment(self.created_at),
                gen_time=Message.moment(self.gen_time),
            )
        return Message("checkpoint #{seq} ({at})", seq=self.seq, at=Message.moment(self.created_at))

    def covers(self, item_id: str, seq: int) -> bool:
        """Whether the checkpoint's chain heads include this event."""
        head = self.heads.get(item_id)
        return head is not None and seq <= head


@dataclass(frozen=True)
class Revocation:
    """A revocation record: whose key, its number in the trust record chain, its date."""

    fingerprint: str
    record_seq: int | None
    at: str


def chain_problem(previous: Timed | None, event: Timed) -> Message | None:
    """Rule 1: why event may not follow previous in its chain, or None."""
    if previous is None:
        return None
    before, now = instant(previous.at), instant(event.at)
    if before is None or now is None or now >= before:
        return None
    return Message(
        "dated {at}, before event #{seq} that precedes it in its chain ({before}): backdated",
        at=Message.moment(event.at),
        seq=previous.seq,
        before=Message.moment(previous.at),
    )


class TimeRules:
    """Rules 2 and 3 over a workspace's (or a bundle's) checkpoints and revocations."""

    def __init__(
        self, checkpoints: Iterable[CheckpointTime], revocations: Iterable[Revocation] = ()
    ) -> None:
        self.checkpoints = sorted(checkpoints, key=lambda c: c.seq)
        # Per item: checkpoints sorted by the head they record, with a running latest time, so
        # "the latest checkpoint not covering event #n" is one binary search.
        per_item: dict[str, list[tuple[int, CheckpointTime]]] = defaultdict(list)
        for cp in self.checkpoints:
            for item_id, head in cp.heads.items():
                per_item[item_id].append((head, cp))
        self._heads: dict[str, list[int]] = {}
        self._latest: dict[str, list[CheckpointTime | None]] = {}
        for item_id, pairs in per_item.items():
            pairs.sort(key=lambda p: p[0])
            self._heads[item_id] = [h for h, _ in pairs]
            self._latest[item_id] = _running_latest([cp for _, cp in pairs])
        # Checkpoints that do not name the item at all do not cover any of its events.
        self._blind: dict[str, CheckpointTime | None] = {}
        # Per revoked key: the first checkpoint covering its revocation record.
        self.revoked_in: dict[str, tuple[Revocation, CheckpointTime]] = {}
        for rv in revocations:
            if rv.record_seq is None:
                continue
            first = next(
                (
                    c
                    for c in self.checkpoints
                    if c.records is not None and c.records >= rv.record_seq
                ),
                None,
            )
            known = self.revoked_in.get(rv.fingerprint)
            if first is not None and (known is None or first.seq < known[1].seq):
                self.revoked_in[rv.fingerprint] = (rv, first)

    def _not_naming(self, item_id: str) -> CheckpointTime | None:
        if item_id not in self._blind:
            blind = [c for c in self.checkpoints if item_id not in c.heads]
            self._blind[item_id] = _latest_of(blind)
        return self._blind[item_id]

    def floor(self, item_id: str, seq: int) -> CheckpointTime | None:
        """The checkpoint with the latest time among those that do not cover the event."""
        heads = self._heads.get(item_id, [])
        n = bisect.bisect_left(heads, seq)  # heads[:n] are < seq: they do not cover it
        candidates = [self._not_naming(item_id)]
        if n:
            candidates.append(self._latest[item_id][n - 1])
        return _latest_of(c for c in candidates if c is not None)

    def checkpoint_problem(self, event: Timed) -> Message | None:
        """Rule 2: why the event's date is earlier than a checkpoint that does not cover it."""
        cp = self.floor(event.item_id, event.seq)
        at = instant(event.at)
        if cp is None or at is None:
            return None
        moment = cp.moment
        if moment is None or at >= moment:
            return None
        return Message(
            "dated {at}, before {checkpoint}, which does not cover it: "
            "recorded after that checkpoint, so backdated",
            at=Message.moment(event.at),
            checkpoint=cp.label(),
        )

    def revocation_problem(self, event: Timed) -> Message | None:
        """Rule 3: the event's signer was revoked by a record a checkpoint covers, and that
        checkpoint does not cover the event."""
        if event.signer is None or event.signer not in self.revoked_in:
            return None
        rv, cp = self.revoked_in[event.signer]
        if cp.covers(event.item_id, event.seq):
            return None
        return Message(
            "signed by a key revoked in trust record #{record} ({revoked_at}), which "
            "checkpoint #{checkpoint} covers; the event is not in that checkpoint, so it was "
            "recorded after the revocation, whatever date it claims ({at})",
            record=rv.record_seq,
            revoked_at=Message.moment(rv.at),
            checkpoint=cp.seq,
            at=Message.moment(event.at),
        )

    def problems(
        self, chain: Sequence[Timed], previous: Timed | None = None
    ) -> list[tuple[Timed, Message]]:
        """Every time rule broken by one item's events (in chain order); `previous` is the
        event before the first of them, when the chain is given from the middle."""
        out: list[tuple[Timed, Message]] = []
        before = previous
        for event in chain:
            for problem in (
                chain_problem(before, event),
                self.checkpoint_problem(event),
                self.revocation_problem(event),
            ):
                if problem is not None:
                    out.append((event, problem))
            before = event
        return out


def _running_latest(cps: Sequence[CheckpointTime]) -> list[CheckpointTime | None]:
    out: list[CheckpointTime | None] = []
    best: CheckpointTime | None = None
    for cp in cps:
        best = _latest_of([c for c in (best, cp) if c is not None])
        out.append(best)
    return out


def _latest_of(cps: Iterable[CheckpointTime]) -> CheckpointTime | None:
    best: CheckpointTime | None = None
    for cp in cps:
        moment = cp.moment
        if moment is None:
            continue
        if best is None or moment > best.moment:  # type: ignore[operator]
            best = cp
    return best


def checkpoint_order_problem(previous: CheckpointTime | None, cp: CheckpointTime) -> Message | None:
    """A checkpoint may not be dated before the checkpoint it follows (clock set back)."""
    if previous is None:
        return None
    before, now = previous.moment, instant(cp.created_at)
    if before is None or now is None or now >= before:
        return None
    return Message(
        "dated {at}, before {checkpoint} that precedes it: backdated",
        at=Message.moment(cp.created_at),
        checkpoint=previous.label(),
    )


def clock_problem(
    now: str, latest: CheckpointTime | None, last_events: Mapping[str, Timed]
) -> Message | None:
    """Rule 4: why a command may not sign at `now` (this machine's clock), or None.

    latest: the latest checkpoint; last_events: the last event of each item to be signed for.
    """
    moment = instant(now)
    if moment is None:
        return None
    if latest is not None and latest.moment is not None and moment < latest.moment:
        return Message(
            "this computer's clock ({now}) is earlier than the latest {checkpoint}",
            now=Message.moment(now),
            checkpoint=latest.label(),
        )
    for item_id, event in sorted(last_events.items()):
        at = instant(event.at)
        if at is not None and moment < at:
            return Message(
                "this computer's clock ({now}) is earlier than the last event of item "
                "{item_id} (#{seq}, {at})",
                now=Message.moment(now),
                item_id=item_id,
                seq=event.seq,
                at=Message.moment(event.at),
            )
    return None


def checkpoint_time(body: Mapping[str, Any], gen_time: str | None) -> CheckpointTime:
    """The rules' view of a well-formed checkpoint body (any version) and its token's genTime."""
    heads = {str(h[0]): int(h[1]) for h in body.get("heads", [])}
    trust = body.get("trust")
    records = None
    if isinstance(trust, Mapping) and isinstance(trust.get("records"), list):
        records = int(trust["records"][0])
    return CheckpointTime(int(body["seq"]), body.get("created_at"), gen_time, heads, records)
