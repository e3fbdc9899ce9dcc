"""Profile audit: every evidence type and profile against the signed event that records it.

Type and profile are analyses (evidence.items): each `profiled` or `retyped` event signs the
type, the profile and its SHA-256, and names the parser version. Audit checks that each
profile hashes to what its event signs and names the version it was written by; that an item
ingested since profiles became analyses has its `profiled` event right after the ingest, in
the same transaction; and that the type and profile its row holds are the ones that event
signed. Older items (type and profile in the ingest event) are checked by the chain audit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..canonical import canonical_sha256
from ..items import ANALYSIS_ACTIONS, Item
from ..message import Message
from .events import EventFacts

Add = Callable[[str, str, Message], None]
CHECK = "profiles"


def _profile_sha256(profile: object) -> str | None:
    try:
        return canonical_sha256(profile)
    except Exception:  # a value the canonicaliser refuses cannot match any signed hash
        return None


def _check_event(ev: EventFacts, where: str, add: Add, types: tuple[str, ...]) -> None:
    details = ev.details
    if details is None:
        add(CHECK, where, Message("`{action}` event carries no analysis details", action=ev.action))
        return
    kind, profile = details.get("evidence_type"), details.get("profile")
    if kind not in types:
        add(CHECK, where, Message("names no known evidence type ({kind!r})", kind=str(kind)[:40]))
    if not isinstance(profile, dict):
        add(CHECK, where, Message("holds no profile object"))
        return
    if _profile_sha256(profile) != details.get("profile_sha256"):
        add(CHECK, where, Message("profile does not hash to the profile_sha256 its event signs"))
    if details.get("parser_version") != profile.get("profile_version"):
        add(CHECK, where, Message("parser version differs from the version the profile names"))


def check_analyses(items: list[Item], facts: list[EventFacts], add: Add) -> None:
    """Every analysis event's profile against its signed hash; every row against its event."""
    # Imported here: the parsers cost a command a quarter of a second to import, and only
    # this check (not `audit --since-checkpoint`) needs their list of evidence types.
    from ..profiles import EVIDENCE_TYPES

    analyses: dict[str, list[EventFacts]] = defaultdict(list)
    ingests: dict[str, EventFacts] = {}
    for f in facts:
        if f.action in ANALYSIS_ACTIONS:
            analyses[f.item_id].append(f)
        elif f.seq == 1:
            ingests[f.item_id] = f
    for item in items:
        subject = Message("item {item_id}", item_id=item.item_id)
        chain = sorted(analyses.get(item.item_id, []), key=lambda f: f.seq)
        for ev in chain:
            where = Message("{subject} event #{seq}", subject=subject, seq=ev.seq)
            _check_event(ev, where, add, EVIDENCE_TYPES)
        ingest = ingests.get(item.item_id)
        if ingest is None or ingest.details is None or "evidence_type" in ingest.details:
            continue  # no readable ingest (the chain audit says so), or an older ledger's item
        first = next((ev for ev in chain if ev.seq == 2 and ev.action == "profiled"), None)
        if first is None or first.details is None:
            add(
                CHECK,
                subject,
                Message("ingest is not followed by its signed `profiled` event (#2)"),
            )
            continue
        if item.evidence_type != first.details.get("evidence_type"):
            add(
                CHECK,
                subject,
                Message("item row's evidence type differs from its signed profiled event"),
            )
        if _profile_sha256(item.profile) != first.details.get("profile_sha256"):
            add(
                CHECK, subject, Message("item row's profile differs from its signed profiled event")
            )
