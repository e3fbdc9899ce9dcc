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
from ..vault import Vault
from .events import EventFacts

Add = Callable[[str, str, str], None]
CHECK = "fixity"
PROFILES = "profiles"


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
        where = f"item {f.item_id} event #{f.seq}"
        if source is None:
            add(PROFILES, where, "excerpt names no earlier profiled event of its item")
        elif source is not earlier[-1]:
            add(PROFILES, where, f"excerpt names event #{seq}, superseded by event "
                f"#{earlier[-1].seq} before it")  # fmt: skip
        elif source.hash != named.get("hash") or (source.details or {}).get(
            "records"
        ) != details.get("commitment"):
            add(PROFILES, where, f"excerpt's commitment is not the one event #{seq} signs")
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
        add(PROFILES, where, "excerpt's records or commitment are not readable")
    elif span[1] > commitment.count:
        add(PROFILES, where, f"excerpt names records {details.get('records')}, beyond the "
            f"{commitment.count} its commitment counts")  # fmt: skip
    elif details.get("disclosed") != span[0] or details.get("count") != commitment.count:
        add(PROFILES, where, "excerpt's disclosed or record count differs from its records")


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
        add(CHECK, str(secret_path(vault.root)), f"excerpt secret missing: {len(signed)} record "
            "commitment(s) cannot be recomputed (restore it from the vault's backup, or run "
            "`custody profile` to commit anew)")  # fmt: skip
        return 0
    checked = 0
    for item, fact in signed:
        assert fact.details is not None
        made = Commitment.from_json(fact.details["records"])
        where = f"item {item.item_id} event #{fact.seq}"
        if made is None:
            add(CHECK, where, "record commitment is not readable")
            continue
        if made.secret_id != secret_id(secret):
            add(CHECK, where, f"record commitment was made under excerpt secret {made.secret_id},"
                f" the vault holds {secret_id(secret)}: restore that secret, or run `custody "
                "profile` to commit anew")  # fmt: skip
            continue
        if rule_for(made.layout, made.rule_version) != made.rule:
            add(CHECK, where, f"record rule {made.rule}/{made.rule_version} is not one this "
                "version can recompute")  # fmt: skip
            continue
        try:
            again = recommit(vault.path_for(item.sha256), made, secret, item.sha256)
        except OSError:
            continue  # the fixity and vault checks report an unreadable copy
        except SourceError as exc:
            again, why = None, f": {exc}"
        else:
            why = ""
        checked += 1
        if again is None or again[0].to_json() != made.to_json():
            add(CHECK, where, f"record commitment ({made.count} records) does not match the "
                f"vault copy's records{why}")  # fmt: skip
    return checked
