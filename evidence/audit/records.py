"""Record commitments audit (with --fixity): every signed commitment recomputed from the vault.

A `profiled` or `retyped` event of a text item signs the root of its salted record tree
(evidence.excerpt). The root is recomputed from the vault copy and the vault's excerpt secret
under the layout, rule and rule version the event names (an old version's commitment is
recomputed under that version); a missing secret, or a rule this code does not know, is said,
since then the commitment cannot be checked.
"""

from __future__ import annotations

from collections.abc import Callable

from ..excerpt import Commitment, read_secret, rule_for, secret_path
from ..excerpt.commit import recommit
from ..excerpt.salts import secret_id
from ..excerpt.source import SourceError
from ..items import ANALYSIS_ACTIONS, Item
from ..vault import Vault
from .events import EventFacts

Add = Callable[[str, str, str], None]
CHECK = "fixity"
PROFILES = "profiles"


def check_excerpt_events(facts: list[EventFacts], add: Add) -> None:
    """Each `excerpted` event restates the commitment of the analysis event it names, earlier
    in the same chain: an excerpt is proved against what profiling signed, nothing else."""
    events = {(f.item_id, f.seq): f for f in facts}
    for f in facts:
        if f.action != "excerpted":
            continue
        details = f.details or {}
        named = details.get("commitment_event")
        named = named if isinstance(named, dict) else {}
        seq = named.get("seq")
        source = events.get((f.item_id, seq)) if isinstance(seq, int) else None
        where = f"item {f.item_id} event #{f.seq}"
        if source is None or source.seq >= f.seq or source.action not in ANALYSIS_ACTIONS:
            add(PROFILES, where, "excerpt names no earlier profiled event of its item")
        elif source.hash != named.get("hash") or (source.details or {}).get(
            "records"
        ) != details.get("commitment"):
            add(PROFILES, where, f"excerpt's commitment is not the one event #{seq} signs")


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
