"""Choosing the records to disclose, signing the `excerpted` event, and writing the excerpt.

The excerpt is made from the vault copy: its bytes are checked against the item's SHA-256, split
by the rule its current commitment names, salted with the vault's secret, and the root
recomputed must equal the signed one before anything is shown or signed. The `excerpted` event
restates that commitment (and names the event that signed it), the records by number, the
SHA-256 of their salted leaves and the reason: the one signed statement a recipient needs,
without the profile or anything else drawn from the records.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..custody import append_locked
from ..errors import Finding, UsageError, VerificationError
from ..events import SignedEvent, item_events
from ..items import ANALYSIS_ACTIONS, Item, get_item
from ..keys import Signer
from ..message import Message
from ..workspace import Workspace
from .commit import Commitment, Split, recommit
from .proof import build_proof, format_ranges, leaves_sha256, records_file
from .salts import read_secret, secret_id
from .source import SourceError
from .tree import multiproof

_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")
MAX_MATCH_RECORD = 1 << 20  # a regex runs over at most this many bytes of one record


def parse_ranges(text: str, count: int) -> list[int]:
    """ "120-180,212" -> sorted record numbers (1-based); UsageError on anything else."""
    if count == 0:
        raise UsageError("the item is empty: its commitment is to zero records, none to disclose")
    numbers: set[int] = set()
    for part in text.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise UsageError(
                f"--records {text!r}: {part.strip()!r} is not a number or a range",
                "write e.g. 120-180,212",
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= count:
            raise UsageError(f"--records {part.strip()}: the item has records 1 to {count}")
        numbers.update(range(low, high + 1))
    return sorted(numbers)


@dataclass(frozen=True)
class Excerpt:
    """Records of an item chosen for disclosure, proved against its signed commitment."""

    item: Item
    commitment: Commitment
    commitment_event: SignedEvent
    split: Split
    numbers: tuple[int, ...]  # 1-based

    @property
    def ranges(self) -> str:
        """The disclosed records as ranges ("120-180,212")."""
        return format_ranges(self.numbers)

    def records(self) -> list[bytes]:
        """The disclosed records' bytes, in order."""
        return [self.split.record(n - 1) for n in self.numbers]

    def details(self, reason: str, match: str | None, context: int) -> dict[str, Any]:
        """What the `excerpted` event signs."""
        leaves = [self.split.leaves[n - 1] for n in self.numbers]
        return {
            "records": self.ranges,
            "disclosed": len(self.numbers),
            "count": self.commitment.count,
            "commitment": self.commitment.to_json(),
            "commitment_event": {
                "seq": self.commitment_event.body["seq"],
                "hash": self.commitment_event.hash,
            },
            "leaves_sha256": leaves_sha256(leaves),
            "reason": reason,
            "match": match,
            "context": context,
        }

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output (numbers, not bytes)."""
        return {
            "item_id": self.item.item_id,
            "original_name": self.item.original_name,
            "records": self.ranges,
            "disclosed": len(self.numbers),
            "count": self.commitment.count,
            "root": self.commitment.root,
        }


def current_commitment(ws: Workspace, item: Item) -> tuple[Commitment, SignedEvent]:
    """The item's commitment as its latest analysis event signs it."""
    events = [
        e for e in item_events(ws.ledger, item.item_id) if e.body["action"] in ANALYSIS_ACTIONS
    ]
    made = Commitment.from_json(events[-1].body["details"].get("records")) if events else None
    if made is None:
        raise UsageError(
            f"item {item.item_id} ({item.original_name}) has no record commitment",
            "only text items are split into records; for items profiled before commitments "
            "existed, run `custody profile --case CASE --as KEY` first",
        )
    return made, events[-1]


def open_excerpt(
    ws: Workspace,
    ref: str,
    *,
    ranges: str | None = None,
    match: str | None = None,
    context: int = 0,
) -> Excerpt:
    """The records --records or --match (with context records each side) choose, after the
    vault copy's records are checked against the signed root."""
    if (ranges is None) == (match is None):
        raise UsageError("give either --records RANGES or --match REGEX")
    if context < 0:
        raise UsageError("--context must be 0 or more")
    pattern = None
    if match is not None:
        try:
            pattern = re.compile(match)
        except re.error as exc:
            raise UsageError(f"--match {match!r} is not a regular expression: {exc}") from None
    item = get_item(ws.ledger, ref)
    commitment, event = current_commitment(ws, item)
    secret = read_secret(ws.vault.root)
    if secret is None or secret_id(secret) != commitment.secret_id:
        raise UsageError(
            f"item {item.item_id}: the vault's excerpt secret is not the one its commitment "
            "was made under",
            "restore the secret from the vault's backup, or run `custody profile` to commit anew",
        )
    path = ws.vault.path_for(item.sha256)
    data = path.read_bytes()
    try:
        again = recommit(path, commitment, secret, item.sha256, data)
    except SourceError as exc:
        again = None
        why = exc.message
    else:
        why = Message("records differ from the commitment")
    if hashlib.sha256(data).hexdigest() != item.sha256 or again is None or again[0] != commitment:
        raise VerificationError(
            f"item {item.item_id}: the vault copy's records do not match the signed commitment",
            [Finding("fixity", Message("item {item_id}", item_id=item.item_id), why)],
        )
    split = again[1]
    count = len(split.leaves)
    if pattern is None:
        numbers = parse_ranges(ranges or "", count)
    else:
        hits = [
            i
            for i in range(count)
            if pattern.search(split.record(i)[:MAX_MATCH_RECORD].decode("utf-8", "replace"))
        ]
        numbers = sorted(
            {n + 1 for i in hits for n in range(max(0, i - context), min(count, i + context + 1))}
        )
        if not numbers:
            raise UsageError(f"--match {match!r} matches no record of item {item.item_id}")
    return Excerpt(item, commitment, event, split, tuple(numbers))


def record_excerpt(
    ws: Workspace,
    signer: Signer,
    excerpt: Excerpt,
    reason: str,
    *,
    match: str | None = None,
    context: int = 0,
) -> SignedEvent:
    """Sign the `excerpted` event on the item's chain."""
    if not reason.strip():
        raise UsageError("--reason must say why these records are disclosed")
    with ws.ledger.atomic(lock=[excerpt.item.item_id]):
        return append_locked(
            ws.ledger,
            signer,
            excerpt.item,
            "excerpted",
            purpose=reason.strip()[:1000],
            details=excerpt.details(reason.strip(), match, context),
        )


def excerpt_files(excerpt: Excerpt, event: SignedEvent, certificate_pem: str) -> dict[str, bytes]:
    """The records file and proof file of a recorded excerpt, by file name."""
    item = excerpt.item
    index = [n - 1 for n in excerpt.numbers]
    leaves = [excerpt.split.leaves[i] for i in index]
    # no file name: a chat's name ("WhatsApp Chat with ...") names a participant
    intro = (
        f"custody excerpt of item {item.item_id}, case {item.case_number}, SHA-256 {item.sha256}"
    )
    original = {
        "sha256": item.sha256,
        "size": item.size,
        "records": excerpt.commitment.count,
    }
    proof = build_proof(
        item_id=item.item_id,
        case=item.case_number,
        original=original,
        commitment=excerpt.commitment,
        numbers=excerpt.numbers,
        salts=[excerpt.split.salts[i] for i in index],
        leaves=leaves,
        multiproof=multiproof(excerpt.split.leaves, index),
        event=event.to_json(),
        certificate_pem=certificate_pem,
    )
    records = records_file(intro, excerpt.numbers, excerpt.records(), excerpt.commitment.count)
    return {f"{item.item_id}.records.txt": records, f"{item.item_id}.proof.json": proof}


def excerpt_for_event(ws: Workspace, event: SignedEvent) -> Excerpt:
    """The excerpt a recorded `excerpted` event names, rebuilt from the vault (for a bundle)."""
    details = event.body["details"]
    made = open_excerpt(ws, event.body["item_id"], ranges=str(details["records"]))
    if made.commitment.to_json() != details.get("commitment"):
        raise UsageError(
            f"item {made.item.item_id}: excerpt #{event.body['seq']} was proved against an "
            "earlier commitment",
            "record the excerpt again with `custody excerpt`",
        )
    return made


def latest_excerpt(ws: Workspace, item: Item, ranges: str | None) -> SignedEvent:
    """The item's latest `excerpted` event (of these ranges, when given)."""
    found = [e for e in item_events(ws.ledger, item.item_id) if e.body["action"] == "excerpted"]
    if ranges is not None:
        count = current_commitment(ws, item)[0].count
        wanted = format_ranges(parse_ranges(ranges, count))
        found = [e for e in found if e.body["details"].get("records") == wanted]
    if not found:
        raise UsageError(
            f"item {item.item_id} has no recorded excerpt"
            + (f" of records {ranges}" if ranges else ""),
            "record it first: custody excerpt ITEM --records RANGES --reason WHY --as KEY",
        )
    return found[-1]
