"""Evidence items: the ledger rows describing each file held in the vault.

An item row states the file (digests, size, names, source, acquisition) and, as written at
ingest, its first evidence type and content profile. Type and profile are analyses, not seizure
facts: signed `profiled` and `retyped` events record them, and a later one supersedes an earlier
one. `get_item` and `list_items` therefore give each item the analysis of its latest such event
(with `analysis` naming that event and the parser version), and the original file times its
ingest event recorded; audit reads the rows as stored (`Item.from_row`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .canonical import canonical_sha256
from .cases import Case, get_case
from .errors import EvidenceError, LedgerDamaged, NotFoundError, UsageError
from .hashing import Digests
from .ledger import Ledger, marks, select_all, type_problems
from .message import Message


def item_id_for(case_number: str, sha256: str) -> str:
    """Deterministic item id: the same bytes in the same case are always the same item."""
    return hashlib.sha256(f"{case_number}\n{sha256}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Item:
    """One evidence file: identity, provenance, metadata and content profile."""

    item_id: str
    case_number: str
    digests: Digests
    size: int
    media_type: str
    evidence_type: str
    original_name: str
    original_path: str | None
    source: str
    acquired_at: str | None
    acquisition_method: str | None
    metadata: dict[str, Any]
    profile: dict[str, Any] | None
    ingested_at: str
    ingested_by: str
    # From the chain, not the row (see the module docstring): the event the type and profile
    # come from, and the original file's times as the ingest event recorded them.
    analysis: dict[str, Any] | None = None
    original_times: dict[str, Any] | None = None

    @property
    def sha256(self) -> str:
        """The item's identity digest."""
        return self.digests.sha256

    def to_row(self) -> dict[str, Any]:
        """Ledger row form (JSON columns as text)."""
        return {
            "item_id": self.item_id,
            "case_number": self.case_number,
            "sha256": self.digests.sha256,
            "sha512": self.digests.sha512,
            "md5": self.digests.md5,
            "sha1": self.digests.sha1,
            **self._facts(),
            "metadata": json.dumps(self.metadata, ensure_ascii=False, sort_keys=True),
            "profile": None
            if self.profile is None
            else json.dumps(self.profile, ensure_ascii=False, sort_keys=True),
        }

    def _facts(self) -> dict[str, Any]:
        # The plain facts both forms hold as they are: the file, where it came from, its ingest.
        return {
            "size": self.size,
            "media_type": self.media_type,
            "evidence_type": self.evidence_type,
            "original_name": self.original_name,
            "original_path": self.original_path,
            "source": self.source,
            "acquired_at": self.acquired_at,
            "acquisition_method": self.acquisition_method,
            "ingested_at": self.ingested_at,
            "ingested_by": self.ingested_by,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Item:
        """Inverse of to_row; a damaged row says so instead of failing later."""
        wrong = type_problems("items", row)
        if wrong:
            raise LedgerDamaged(f"item {row.get('item_id')}", Message.joined("; ", wrong))
        try:
            metadata = json.loads(row["metadata"])
            profile = None if row["profile"] is None else json.loads(row["profile"])
        except ValueError:
            raise LedgerDamaged(
                f"item {row['item_id']}", Message("metadata or profile not JSON")
            ) from None
        return cls(
            item_id=row["item_id"],
            case_number=row["case_number"],
            digests=Digests(row["sha256"], row["sha512"], row["md5"], row["sha1"]),
            size=row["size"],
            media_type=row["media_type"],
            evidence_type=row["evidence_type"],
            original_name=row["original_name"],
            original_path=row["original_path"],
            source=row["source"],
            acquired_at=row["acquired_at"],
            acquisition_method=row["acquisition_method"],
            metadata=metadata,
            profile=profile,
            ingested_at=row["ingested_at"],
            ingested_by=row["ingested_by"],
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "item_id": self.item_id,
            "case": self.case_number,
            "digests": self.digests.to_json(),
            **self._facts(),
            "original_times": self.original_times,
            "metadata": self.metadata,
            "profile": self.profile,
            "analysis": self.analysis,
        }


ANALYSIS_ACTIONS = ("profiled", "retyped")


def ingest_facts(
    item: Item, case: Case, *, with_analysis: bool = False, case_sha256: str | None = None
) -> dict[str, Any]:
    """What an item's signed ingest event states about it (its `details`).

    Written at ingest and recomputed by audit from the rows: any edited column, or an edited
    case record, then differs from what the actor signed. Since profiles became analyses the
    ingest event states the file only, and a `profiled` event the type and profile;
    with_analysis gives the older facts that held them too (ledgers written before);
    case_sha256, the case record's hash when the caller made it already (an ingest: once).
    """
    facts = {
        "original_name": item.original_name,
        "original_path": item.original_path,
        "size": item.size,
        "digests": item.digests.to_json(),
        "media_type": item.media_type,
        "source": item.source,
        "acquired_at": item.acquired_at,
        "acquisition_method": item.acquisition_method,
        "metadata_sha256": canonical_sha256(item.metadata),
        "case_sha256": case_sha256 or canonical_sha256(case.to_json()),
    }
    if with_analysis:
        facts["evidence_type"] = item.evidence_type
        facts["profile_sha256"] = None if item.profile is None else canonical_sha256(item.profile)
    return facts


def analysis_details(
    evidence_type: str,
    profile: dict[str, Any],
    reason: str,
    previous_type: str | None = None,
    *,
    type_source: str,
    records: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The details of a signed `profiled`/`retyped` event: the type and how it was decided
    (detected, given, retyped), the profile, its hash and the parser version that wrote it;
    for a text item, the commitment to its records (evidence.excerpt)."""
    details: dict[str, Any] = {
        "evidence_type": evidence_type,
        "type_source": type_source,
        "parser_version": profile.get("profile_version"),
        "profile": profile,
        "profile_sha256": canonical_sha256(profile),
        "reason": reason,
    }
    if previous_type is not None:
        details["previous_type"] = previous_type
    if records is not None:
        details["records"] = records
    return details


def _with_chain(ledger: Ledger, items: list[Item]) -> list[Item]:
    # One query for every item: the ingest event (original times) and the analysis events.
    # In canonical JSON a quote inside a string is escaped, so '"action":"profiled"' can only
    # be the event's own action. LIKE, not instr(): the same SQL on both ledger backends; and
    # LIKE, not ledger.like: canonical JSON writes the key and action in lower case, and
    # PostgreSQL's ILIKE reads every body twice as slowly (SQLite's LIKE ignores case anyway,
    # and the action is checked again on the parsed body). Only the events of the items' case
    # (of the item, for one) are read, not every event of the ledger.
    if not items:
        return items
    cases = sorted({i.case_number for i in items})
    params: tuple[Any, ...]
    if len(items) == 1:
        where, params = " AND item_id = $1", (items[0].item_id,)
    else:
        in_cases = f"SELECT item_id FROM items WHERE case_number IN ({marks(len(cases))})"
        where, params = f" AND item_id IN ({in_cases})", tuple(cases)
    rows = ledger.rows(
        "SELECT item_id, seq, body FROM events WHERE (seq = 1 OR body LIKE "
        '\'%"action":"profiled"%\' OR body LIKE \'%"action":"retyped"%\')'
        + where
        + " ORDER BY item_id, seq",
        params,
    )
    latest: dict[str, dict[str, Any]] = {}
    times: dict[str, dict[str, Any]] = {}
    for row in rows:
        try:
            body = json.loads(row["body"])
        except ValueError:
            continue  # audit reports the damaged event
        details = body.get("details") if isinstance(body, dict) else None
        if not isinstance(details, dict):
            continue
        if row["seq"] == 1 and isinstance(details.get("original_times"), dict):
            times[row["item_id"]] = details["original_times"]
        if body.get("action") in ANALYSIS_ACTIONS and _is_analysis(details):
            latest[row["item_id"]] = {**details, "_event": body}
    out = []
    for item in items:
        found = latest.get(item.item_id)
        original = times.get(item.item_id)
        if found is None:
            out.append(replace(item, original_times=original))
            continue
        event = found["_event"]
        analysis = {
            "action": event["action"],
            "seq": event["seq"],
            "at": event.get("at"),
            "by": (event.get("actor") or {}).get("name"),
            "parser_version": found.get("parser_version"),
            "type_source": found.get("type_source"),
            "reason": found.get("reason"),
            "records": found.get("records"),
        }
        out.append(
            replace(
                item,
                evidence_type=found["evidence_type"],
                profile=found["profile"],
                analysis=analysis,
                original_times=original,
            )
        )
    return out


def _is_analysis(details: Mapping[str, Any]) -> bool:
    return isinstance(details.get("evidence_type"), str) and isinstance(
        details.get("profile"), dict
    )


def get_item(ledger: Ledger, ref: str, *, analyses: bool = True) -> Item:
    """An item by id or unique id prefix (4+ characters); without analyses, as its row holds
    it (the type given or detected at ingest, no latest analysis, no original times)."""
    ref = ref.strip().lower()
    if len(ref) < 4:
        raise UsageError(f"item id {ref!r} is too short", "give at least 4 characters")
    rows = ledger.rows(select_all("items") + f" WHERE item_id {ledger.like} $1 || '%'", (ref,))
    if not rows:
        raise NotFoundError(f"unknown item {ref!r}", "see `custody item list --case CASE`")
    if len(rows) > 1:
        raise UsageError(f"item id {ref!r} is ambiguous", "give more characters")
    item = Item.from_row(rows[0])
    return _with_chain(ledger, [item])[0] if analyses else item


def split_refs(values: Iterable[str]) -> list[str]:
    """Item references as a command line gives them: ids or prefixes, comma-separated lists."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def select(
    ledger: Ledger,
    case: str | None,
    refs: Iterable[str] | None,
    *,
    allow_empty: bool = False,
    errors: list[EvidenceError] | None = None,
    analyses: bool = True,
) -> list[Item]:
    """The items every command that takes items works on, in the order named, each once.

    refs: ids or unique prefixes (comma-separated lists split), each of which must belong to
    `case` when one is given; None for every item of `case` (which must hold some, unless
    `allow_empty`). Every unknown, ambiguous or foreign reference is reported, not only the
    first: appended to `errors` when given (the CLI reports them with the rest of its command
    line), else raised together. Without analyses the items are as their rows hold them (see
    get_item): for commands that only sign for them (`event`), which then read no event bodies.
    """
    found: list[EvidenceError] = [] if errors is None else errors
    chosen: dict[str, Item] = {}
    names = None if refs is None else split_refs(refs)
    try:
        if case is not None:
            get_case(ledger, case)
        if names is None:
            if case is None:
                raise UsageError("no items given", _NAME_ITEMS)
            chosen = {i.item_id: i for i in list_items(ledger, case, analyses=analyses)}
            if not chosen and not allow_empty:
                raise UsageError(f"case {case} holds no items", "ingest evidence first")
        elif not names:
            raise UsageError("no items given", _NAME_ITEMS)
    except (UsageError, NotFoundError) as exc:
        found.append(exc)
    for ref in names or ():
        try:
            item = get_item(ledger, ref, analyses=analyses)
        except (UsageError, NotFoundError) as exc:
            found.append(exc)
            continue
        if case is not None and item.case_number != case:
            found.append(
                UsageError(
                    f"item {item.item_id} belongs to case {item.case_number}, not {case}",
                    f"see `custody item list --case {case}`",
                )
            )
        chosen.setdefault(item.item_id, item)
    if errors is None and found:
        if len(found) == 1:
            raise found[0]
        raise UsageError("; ".join(e.diagnostics() for e in found))
    return list(chosen.values())


_NAME_ITEMS = "name item ids (or prefixes, comma-separated) or --case CASE --all"


def find_item(ledger: Ledger, case_number: str, sha256: str) -> Item | None:
    """The item with these bytes in this case, if any."""
    rows = ledger.rows(
        select_all("items") + " WHERE case_number = $1 AND sha256 = $2", (case_number, sha256)
    )
    return _with_chain(ledger, [Item.from_row(rows[0])])[0] if rows else None


def held_digests(ledger: Ledger, case_number: str, sha256s: Iterable[str]) -> set[str]:
    """Which of these SHA-256 digests the case holds an item for: one query per 500 digests
    (an ingest asks once per chunk of files, then find_item for the few it holds)."""
    wanted = sorted(set(sha256s))
    held: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = tuple(wanted[start : start + 500])
        rows = ledger.rows(
            "SELECT sha256 FROM items WHERE case_number = $1 "
            f"AND sha256 IN ({marks(len(chunk), start=2)})",
            (case_number, *chunk),
        )
        held.update(r["sha256"] for r in rows)
    return held


def list_items(
    ledger: Ledger, case_number: str | None = None, *, analyses: bool = True
) -> list[Item]:
    """Items of one case (or all), in ingest order, each with its latest analysis (without
    analyses: as their rows hold them, see get_item)."""
    if case_number is None:
        rows = ledger.rows(select_all("items") + " ORDER BY rowid")
    else:
        rows = ledger.rows(
            select_all("items") + " WHERE case_number = $1 ORDER BY rowid", (case_number,)
        )
    items = [Item.from_row(r) for r in rows]
    return _with_chain(ledger, items) if analyses else items
