"""Custody events as people read them, from the chain alone: who held the item, under which
seal, whether the signer was established; and the irregularities those marks add up to.

Pure (no ledger): the workspace's timelines (`custody log`, the custody report) and the bundle
verifier abroad build their lines with the same rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .custody import custody_states
from .errors import Finding
from .message import Message
from .seals import OPENING_ACTIONS, seal_number, seal_problems, seal_states
from .timerules import Timed, TimeRules

if TYPE_CHECKING:
    from .events import SignedEvent
    from .trust.establish import TrustView


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
    # Which time rule the event breaks (dated before its chain or a checkpoint), or None.
    time_problem: str | None = None

    @property
    def out_of_custody(self) -> bool:
        """Recorded by someone who did not hold the item then (an export is made by whoever
        bundles, not by the holder: not out of custody)."""
        return not self.by_custodian and self.action != "exported"

    @property
    def irregular(self) -> bool:
        """What log and report mark: a bad signature, a signer the trust root does not
        establish at the event's time, a time the ledger's order denies, or a non-holder."""
        return (
            not self.signature_ok
            or self.signer_problem is not None
            or self.time_problem is not None
            or self.out_of_custody
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {**self.__dict__, "out_of_custody": self.out_of_custody}


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


def chain_entries(
    item_id: str,
    events: Sequence[SignedEvent],
    who: Mapping[str, str],
    view: TrustView | None,
    signature_ok: Callable[[SignedEvent], bool],
    rules: TimeRules | None = None,
) -> list[Entry]:
    """One item's events as timeline lines: the one rule for custodian, seal and signer marks,
    used by the workspace's timelines and by the bundle verifier alike.

    who maps certificate fingerprints to key ids (one actor, several certificates); view is the
    trust root's (None: signers not judged); rules the time rules (None: times not judged).
    """
    times: dict[int, str] = {}
    if rules is not None:
        chain = [Timed(item_id, e.body["seq"], e.body.get("at"), e.signer) for e in events]
        for timed, problem in reversed(rules.problems(chain)):
            times[timed.seq] = problem  # the first rule an event breaks is the one shown
    entries = []
    states = list(custody_states(events, who))  # states[pos]: before event pos
    seals = list(seal_states(e.body for e in events))
    for pos, ev in enumerate(events):
        body = ev.body
        before = states[pos].holder
        by_custodian = (
            pos == 0
            or (
                before is not None
                and who.get(before["fingerprint"], before["fingerprint"])
                == who.get(ev.signer, ev.signer)
            )
            or body["action"] == "received"
            # A correction of the seizure facts by whoever seized the item (the first event's
            # signer) is a record about the seizure, not an act of custody.
            or (
                body["action"] == "amended"
                and who.get(events[0].signer, events[0].signer) == who.get(ev.signer, ev.signer)
            )
        )
        entries.append(
            Entry(
                item_id=item_id,
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
                signature_ok=signature_ok(ev),
                by_custodian=by_custodian,
                hash=ev.hash,
                seal=seal_number(body),
                while_sealed=seals[pos] if body["action"] in OPENING_ACTIONS else None,
                change=describe_change(body),
                signer_problem=None
                if view is None
                else view.verdict(ev.signer).problem_at(body.get("at")),
                time_problem=times.get(body["seq"]),
            )
        )
    return entries


@dataclass(frozen=True)
class Irregularity:
    """A custody fact a reader must see (not tampering: the chain that records it holds).

    kind: seal (inconsistent seal history), under-seal, not-holder, signer, signature,
    time-order (dated before what the ledger shows came first).
    text is an English message template (also the catalogue's msgid), values fill it.
    """

    item_id: str
    seq: int
    kind: str
    text: str
    values: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        """The English message."""
        return self.text.format(**dict(self.values))

    def finding(self) -> Finding:
        """As a finding line (check custody.<kind>), for verify and audit-shaped output."""
        return Finding(
            f"custody.{self.kind}",
            Message("item {item_id} event #{seq}", item_id=self.item_id, seq=self.seq),
            Message(self.text, **dict(self.values)),
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "item_id": self.item_id,
            "seq": self.seq,
            "kind": self.kind,
            "message": self.message,
        }


def irregularities(
    entries: Sequence[Entry], bodies: Sequence[Mapping[str, Any]]
) -> Iterator[Irregularity]:
    """Every irregular event of one chain, by the rules log and audit mark them with
    (Entry.irregular, Entry.while_sealed, seals.seal_problems), in chain order."""
    seal = dict(seal_problems(bodies))
    for e in entries:
        for kind, text, values in _marks(e, seal.get(e.seq)):
            yield Irregularity(e.item_id, e.seq, kind, text, tuple(values.items()))


def _marks(e: Entry, seal_problem: str | None) -> Iterator[tuple[str, str, dict[str, str]]]:
    if seal_problem is not None:
        yield "seal", "seal history: {problem}", {"problem": seal_problem}
    if e.while_sealed:
        yield (
            "under-seal",
            "{action} while under seal {seal}",
            {"action": e.action, "seal": e.while_sealed},
        )
    if not e.signature_ok:
        yield "signature", "the signature of {actor} does not verify", {"actor": e.actor}
    if e.signer_problem is not None:
        yield (
            "signer",
            "{actor}: signer not established ({problem})",
            {"actor": e.actor, "problem": e.signer_problem},
        )
    if e.time_problem is not None:
        yield "time-order", "dated out of order ({problem})", {"problem": e.time_problem}
    if e.out_of_custody:
        yield (
            "not-holder",
            "{action} recorded by {actor}, who did not hold the item",
            {"action": e.action, "actor": e.actor},
        )
