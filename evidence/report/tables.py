"""The custody report's machine-readable twins: JSON (the full structure) and CSV (events).

Both carry the same facts as the PDF, so a court's expert can check the paper against data:
irregular custody events included (custody-report/2 lists them; /1 did not).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..timeline import Entry, Irregularity
from .model import CustodyReportData

REPORT_SCHEMA = "custody-report/2"

CSV_COLUMNS = (
    "case",
    "item_id",
    "original_name",
    "evidence_type",
    "size",
    "sha256",
    "acquired_at",
    "source",
    "seq",
    "at",
    "action",
    "actor_name",
    "actor_fingerprint",
    "from",
    "to",
    "location",
    "purpose",
    "note",
    "signature_ok",
    "custodian_ok",
    "event_hash",
    "irregularities",  # every irregularity of the event: "kind: message", "; "-separated
)

# A cell starting with one of these is run as a formula by spreadsheet programs; file names
# and notes come from seized devices and may be hostile (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def custody_report_json(data: CustodyReportData) -> dict[str, Any]:
    """The whole report as one JSON-ready dict."""
    return {
        "schema": REPORT_SCHEMA,
        "kind": "custody-report",
        "case": data.case.to_json(),
        "generated_at": data.generated_at,
        "generated_by": data.generated_by,
        "tool_version": data.tool_version,
        "selected_items": data.selected_items,
        "checkpoint_root": data.checkpoint_root,
        "verdict": data.verdict.to_json(),
        # Irregular custody events (seal history, under seal, not the holder, signer not
        # established, out of time order): counted on the PDF's first page, listed here.
        "irregularities": [i.to_json() for i in data.irregularities],
        "items": [
            {
                **t.item.to_json(),
                "holder": t.holder,
                "pending_to": t.pending_to,
                "events": [_event_json(e, _of(t.irregularities, e)) for e in t.events],
            }
            for t in data.items
        ],
        "signers": [s.to_json() for s in data.signers],
        "excerpts_sent": [x.to_json() for x in data.excerpts],
        "counts": {"items": len(data.items), "events": data.event_count},
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def custody_report_csv(data: CustodyReportData) -> str:
    """One row per event with its item's columns (an item without events: one row, no event).

    Text that a spreadsheet would run as a formula is prefixed with an apostrophe.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for t in data.items:
        it = t.item
        item_cols = [
            it.case_number,
            it.item_id,
            it.original_name,
            it.evidence_type,
            it.size,
            it.sha256,
            it.acquired_at,
            it.source,
        ]
        if not t.events:
            writer.writerow([_cell(v) for v in item_cols] + [""] * (len(CSV_COLUMNS) - 8))
        for e in t.events:
            found = _of(t.irregularities, e)
            row = [
                *item_cols,
                e.seq,
                e.at,
                e.action,
                e.actor,
                e.actor_fingerprint,
                e.from_name,
                e.to_name,
                e.location,
                e.purpose,
                e.note,
                e.signature_ok,
                e.by_custodian,
                e.hash,
                "; ".join(f"{i.kind}: {i.message}" for i in found),
            ]
            writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _of(found: Sequence[Irregularity], e: Entry) -> list[Irregularity]:
    """The irregularities of one event."""
    return [i for i in found if i.item_id == e.item_id and i.seq == e.seq]


def _event_json(e: Entry, found: Sequence[Irregularity]) -> dict[str, Any]:
    # The report's own JSON shape (custody-report/2): actor as an object, custodian_ok, and
    # the kinds of irregularity the event shows (listed in full at the top level).
    return {
        "seq": e.seq,
        "at": e.at,
        "action": e.action,
        "actor": {"name": e.actor, "fingerprint": e.actor_fingerprint},
        "from": e.from_name,
        "to": e.to_name,
        "location": e.location,
        "purpose": e.purpose,
        "note": e.note,
        "signature_ok": e.signature_ok,
        "custodian_ok": e.by_custodian,
        "hash": e.hash,
        "irregularities": [i.kind for i in found],
    }
