"""Record commitments audit (with --fixity): every signed commitment recomputed from the vault.

A `profiled` or `retyped` event of a text item signs the root of its salted record tree
(evidence.excerpt). The root is recomputed from the vault copy and the vault's excerpt secret
under the layout, rule and rule version the event names (an old version's commitment is
recomputed under that version); a missing secret, or a rule this code does not know, is said,
since then the commitment cannot be checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from typing import Any

from ..items import ANALYSIS_ACTIONS, Item
from ..message import Command, Message
from ..vault import Vault
from .events import EventFacts

Add = Callable[[str, str, Message], None]
CHECK = "fixity"
PROFILES = "profiles"
# The terminal's way out when a commitment cannot be recomputed (left out of documents).
RECOMMIT = Command(", or run `custody profile` to commit anew")


def check_excerpt_events(
    facts: list[EventFacts], add: Add, only: Collection[tuple[str, int]] | None = None
) -> int:
    """Each `excerpted` event restates the commitment of the analysis event it names: the
    latest one of its item before it (what `custody excerpt` proves against), and names
    records inside that commitment. facts: whole chains of the items concerned; only: the
    (item, seq) of the excerpts to judge (the incremental audit's new ones), default all.
    Returns how many excerpts were judged."""
    analyses: dict[str, list[EventFacts]] = defaultdict(list)
    for f in facts:
        if f.action in ANALYSIS_ACTIONS:
            analyses[f.item_id].append(f)
    judged = 0
    for f in facts:
        if f.action != "excerpted" or (only is not None and (f.item_id, f.seq) not in only):
            continue
        judged += 1
        details = f.details or {}
        named = details.get("commitment_event")
        named = named if isinstance(named, dict) else {}
        seq = named.get("seq")
        earlier = sorted((a for a in analyses[f.item_id] if a.seq < f.seq), key=lambda a: a.seq)
        source = next((a for a in earlier if a.seq == seq), None)
        where = Message("item {item_id} event #{seq}", item_id=f.item_id, seq=f.seq)
        if source is None:
            add(PROFILES, where, Message("excerpt names no earlier profiled event of its item"))
        elif source is not earlier[-1]:
            add(
                PROFILES,
                where,
                Message(
                    "excerpt names event #{seq}, superseded by event #{earlier} before it",
                    seq=seq,
                    earlier=earlier[-1].seq,
                ),
            )
        elif source.hash != named.get("hash") or (source.details or {}).get(
            "records"
        ) != details.get("commitment"):
            add(
                PROFILES,
                where,
                Message("excerpt's commitment is not the one event #{seq} signs", seq=seq),
            )
        else:
            _check_disclosed(details, where, add)
    return judged


def _check_disclosed(details: dict[str, Any], where: str, add: Add) -> None:
    # the records named lie inside the commitment, and the counts signed beside agree
    from ..excerpt import Commitment  # here: it imports the parsers (see check_commitments)
    from ..excerpt.proof import range_span

    commitment = Commitment.from_json(details.get("commitment"))
    span = range_span(details.get("records"))
    if commitment is None or span is None:
        add(PROFILES, where, Message("excerpt's records or commitment are not readable"))
    elif span[1] > commitment.count:
        add(
            PROFILES,
            where,
            Message(
                "excerpt names records {records}, beyond the {count} its commitment counts",
                records=details.get("records"),
                count=commitment.count,
            ),
        )
    elif details.get("disclosed") != span[0] or details.get("count") != commitment.count:
        add(
            PROFILES, where, Message("excerpt's disclosed or record count differs from its records")
        )


def check_commitments(vault: Vault, items: list[Item], facts: list[EventFacts], add: Add) -> int:
    """Recompute each item's current record commitment (that of its latest analysis event;
    earlier ones are superseded); returns how many were checked."""
    latest: dict[str, EventFacts] = {}
    for f in facts:
        newer = f.item_id not in latest or f.seq > latest[f.item_id].seq
        if f.action in ANALYSIS_ACTIONS and f.details is not None and newer:
            latest[f.item_id] = f
    signed = [
        (item, fact)
        for item in items
        for fact in [latest.get(item.item_id)]
        if fact is not None and fact.details is not None and "records" in fact.details
    ]
    if not signed:
        return 0
    # Imported here: the excerpt code imports every parser (a quarter of a second), which an
    # audit with no commitment to recompute (`--since-checkpoint` of a day's events) never needs.
    from ..excerpt import Commitment, read_secret, rule_for, secret_path
    from ..excerpt.commit import recommit
    from ..excerpt.salts import secret_id
    from ..excerpt.source import SourceError

    secret = read_secret(vault.root)
    if secret is None:
        add(
            CHECK,
            str(secret_path(vault.root)),
            Message(
                "excerpt secret missing: {n} record commitment(s) cannot be recomputed (restore "
                "it from the vault's backup{command})",
                n=len(signed),
                command=RECOMMIT,
            ),
        )
        return 0
    checked = 0
    for item, fact in signed:
        assert fact.details is not None
        made = Commitment.from_json(fact.details["records"])
        where = Message("item {item_id} event #{seq}", item_id=item.item_id, seq=fact.seq)
        if made is None:
            add(CHECK, where, Message("record commitment is not readable"))
            continue
        if made.secret_id != secret_id(secret):
            add(
                CHECK,
                where,
                Message(
                    "record commitment was made under excerpt secret {secret_id}, the vault holds "
                    "{secret}: restore that secret{command}",
                    secret_id=made.secret_id,
                    secret=secret_id(secret),
                    command=RECOMMIT,
                ),
            )
            continue
        if rule_for(made.layout, made.rule_version) != made.rule:
            add(
                CHECK,
                where,
                Message(
                    "record rule {rule}/{rule_version} is not one this version can recompute",
                    rule=made.rule,
                    rule_version=made.rule_version,
                ),
            )
            continue
        try:
            again = recommit(vault.path_for(item.sha256), made, secret, item.sha256)
        except OSError:
            continue  # the fixity and vault checks report an unreadable copy
        except SourceError as exc:
            again, why = None, Message(": {reason}", reason=exc.message)
        else:
            why = Message("")
        checked += 1
        if again is None or again[0].to_json() != made.to_json():
            add(
                CHECK,
                where,
                Message(
                    "record commitment ({count} records) does not match the vault copy's "
                    "records{why}",
                    count=made.count,
                    why=why,
                ),
            )
    return checked
