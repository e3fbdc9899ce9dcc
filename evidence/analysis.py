"""Profiles as analyses: re-profiling evidence already held, and correcting its evidence type.

The ingest event seals the file; the evidence type and the content profile are conclusions of
a parser version, recorded by signed `profiled` and `retyped` events (evidence.items). When the
parsers improve, `reprofile` runs today's parsers over a case's vault files and appends a
`profiled` event only where the result changed; `retype` records a person's correction of the
type, with the reason, and the profile today's parsers give under the new type.

Where the type came from decides whether re-profiling may change it: a type detected by the
parsers is detected again; a type given at ingest (`--type`) or set by `retype` is kept, and
only its profile is refreshed. Items ingested before profiles became analyses do not say
whether their type was given, so their type is detected again and the event says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .canonical import canonical_sha256
from .cases import get_case
from .custody import append_locked
from .errors import OperationalError, UsageError
from .events import SignedEvent
from .excerpt import commit_vault_file, same_records
from .items import Item, analysis_details, get_item, list_items
from .keys import Signer
from .profiles import EVIDENCE_TYPES, PROFILE_VERSION, build_profile, detect_evidence_type
from .progress import Reporter, Silent
from .workspace import Workspace

# How an item's type was decided, carried from event to event in details["type_source"].
DETECTED, GIVEN, RETYPED = "detected", "given", "retyped"


@dataclass(frozen=True)
class ProfileOutcome:
    """What re-profiling did to one item."""

    item_id: str
    original_name: str
    status: str  # "changed" | "unchanged" | "missing"
    evidence_type: str
    previous_type: str
    parser_version: int | None
    previous_version: int | None
    seq: int | None = None  # the new `profiled` event

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass
class ReprofileReport:
    """Every item's outcome, in ingest order."""

    outcomes: list[ProfileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes have this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    def to_json(self) -> dict[str, Any]:
        """Summary and per-item outcomes."""
        return {
            "parser_version": PROFILE_VERSION,
            "changed": self.count("changed"),
            "unchanged": self.count("unchanged"),
            "missing": self.count("missing"),
            "items": [o.to_json() for o in self.outcomes],
        }


def type_source(item: Item) -> str | None:
    """How the item's current type was decided; None for items of older ledgers."""
    if item.analysis is None:
        return None
    source = item.analysis.get("type_source")
    return source if source in (DETECTED, GIVEN, RETYPED) else None


def _content(profile: dict[str, Any] | None) -> str:
    # what the profile says, whatever parser version said it
    return canonical_sha256({k: v for k, v in (profile or {}).items() if k != "profile_version"})


def _version(profile: dict[str, Any] | None) -> int | None:
    value = (profile or {}).get("profile_version")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def records_now(ws: Workspace, item: Item) -> dict[str, Any] | None:
    """The commitment to the item's records today's splitting rule gives (None: not text)."""
    path = ws.vault.path_for(item.sha256)
    return commit_vault_file(ws.vault.root, path, item.original_name, item.media_type, item.sha256)


def _records(item: Item) -> Any:
    return (item.analysis or {}).get("records")


def profile_now(ws: Workspace, item: Item, evidence_type: str | None) -> tuple[str, dict[str, Any]]:
    """(type, profile) today's parsers give for an item's vault file; the type is detected
    again when evidence_type is None. Never raises on the file's content."""
    path = ws.vault.path_for(item.sha256)
    if evidence_type is None:
        evidence_type = detect_evidence_type(
            path, item.original_name, item.media_type, item.metadata
        )
    profile = build_profile(
        path,
        evidence_type,
        original_name=item.original_name,
        media_type=item.media_type,
        metadata=item.metadata,
    )
    return evidence_type, profile


def reprofile(
    ws: Workspace,
    signer: Signer,
    case: str,
    *,
    reporter: Reporter | None = None,
) -> ReprofileReport:
    """Run today's parsers over a case's items; sign a `profiled` event where the result changed.

    Profiles are computed first, outside the write lock; the events are then appended in one
    transaction, so a crash leaves either all of them or none.
    """
    get_case(ws.ledger, case)
    report = ReprofileReport()
    changes: list[tuple[int, Item, dict[str, Any]]] = []
    items = list_items(ws.ledger, case)
    reporter = reporter or Silent()
    reporter.start(sum(i.size for i in items), "profile")
    try:
        for item in items:
            _profile_one(ws, item, report, changes)
            reporter.advance(item.size)
    finally:
        reporter.finish()
    if changes:
        with ws.ledger.atomic(lock=[item.item_id for _, item, _ in changes]):
            for index, item, details in changes:
                event = append_locked(
                    ws.ledger,
                    signer,
                    item,
                    "profiled",
                    purpose=f"content profile by parser version {PROFILE_VERSION}",
                    details=details,
                )
                report.outcomes[index] = replace(report.outcomes[index], seq=event.body["seq"])
    return report


def _profile_one(
    ws: Workspace,
    item: Item,
    report: ReprofileReport,
    changes: list[tuple[int, Item, dict[str, Any]]],
) -> None:
    # one item's outcome; the details of its `profiled` event go to changes when it changed
    source = type_source(item)
    if not ws.vault.path_for(item.sha256).is_file():
        report.outcomes.append(_outcome(item, "missing", item.evidence_type, None))
        return
    keep = source in (GIVEN, RETYPED)
    evidence_type, profile = profile_now(ws, item, item.evidence_type if keep else None)
    records = records_now(ws, item)
    same_type = evidence_type == item.evidence_type
    records_kept = same_records(records, _records(item))
    if records_kept:  # signed again as it was: excerpts recorded against it stay good
        records = _records(item)
    if same_type and _content(profile) == _content(item.profile) and records_kept:
        report.outcomes.append(_outcome(item, "unchanged", evidence_type, _version(profile)))
        return
    if same_type and _content(profile) == _content(item.profile):
        reason = "record commitments " + ("changed" if _records(item) else "added")
    elif source is None:
        reason = "re-profiled; type detected again (the ingest did not say how it was set)"
    elif keep:
        reason = f"re-profiled; type kept ({source})"
    else:
        reason = "re-profiled; type detected again"
    details = analysis_details(
        evidence_type,
        profile,
        reason,
        previous_type=None if same_type else item.evidence_type,
        type_source=source if keep and source else DETECTED,
        records=records,
    )
    changes.append((len(report.outcomes), item, details))
    report.outcomes.append(_outcome(item, "changed", evidence_type, _version(profile)))


def _outcome(item: Item, status: str, new_type: str, version: int | None) -> ProfileOutcome:
    return ProfileOutcome(
        item.item_id,
        item.original_name,
        status,
        new_type,
        item.evidence_type,
        version,
        _version(item.profile),
    )


def retype(
    ws: Workspace, signer: Signer, ref: str, evidence_type: str, reason: str
) -> tuple[Item, SignedEvent]:
    """Correct an item's evidence type: a signed `retyped` event with the reason and the profile
    today's parsers give under the new type. Returns the item as it was, and the event."""
    if evidence_type not in EVIDENCE_TYPES:
        raise UsageError(
            f"evidence type {evidence_type!r} is not one of {', '.join(EVIDENCE_TYPES)}"
        )
    if not reason.strip():
        raise UsageError("--reason must say why the type is corrected")
    item = get_item(ws.ledger, ref)
    if item.evidence_type == evidence_type:
        raise UsageError(f"item {item.item_id} is already of type {evidence_type}")
    if not ws.vault.path_for(item.sha256).is_file():
        raise OperationalError(
            f"item {item.item_id}: vault file missing", "run `custody audit --fixity`"
        )
    _, profile = profile_now(ws, item, evidence_type)
    details = analysis_details(
        evidence_type,
        profile,
        reason.strip(),
        item.evidence_type,
        type_source=RETYPED,
        records=records_now(ws, item),
    )
    with ws.ledger.atomic(lock=[item.item_id]):
        event = append_locked(
            ws.ledger,
            signer,
            item,
            "retyped",
            purpose="evidence type corrected",
            note=reason.strip()[:10000],
            details=details,
        )
    return item, event
