"""The PDF custody report whose timelines are read and laid out while the audit runs
(report.ahead) is the report made by auditing, then collecting, then rendering: the same PDF
bytes, on a ledger with a bad signature, a deleted event and a double seal (the timelines of
items the audit finds a bad signature in are made again knowing which), with the audit's
worker processes in use, and on both ledger backends."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.audit import full as audit_full
from evidence.custody import append_events
from evidence.errors import NotFoundError
from evidence.items import list_items
from evidence.report import collect
from evidence.report.collect import collect_custody_report
from evidence.report.produce import produce_report, render
from evidence.workspace import Workspace

from ..helpers import CASE as WORLD_CASE
from ..helpers import World
from .conftest import CASE, LOCATION, CaseWorld, misspell_last_location

AT = "2026-11-30T10:00:00.000000Z"


def _damage(world: CaseWorld) -> None:
    items = list_items(world.ws.ledger, CASE)
    for seal in ("0042117", "0042118"):
        append_events(
            world.ws.ledger,
            world.expert,
            items[2:3],
            "sealed",
            location=LOCATION,
            details={"seal": seal},
        )
    misspell_last_location(world)  # its signature no longer verifies
    conn = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE item_id = ? AND seq = 2", (items[0].item_id,))
    conn.close()


def _after_audit(ws: Workspace, case: str, chosen: list[str] | None) -> bytes:
    """The report the way it was made before: audit, then collect, then render."""
    result = audit(ws, case)
    data = collect_custody_report(ws, case, chosen, result, generated_by="auditor")
    return render(data, "pdf")


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of 5 events, so the audit's worker processes are used, and a fixed time."""
    monkeypatch.setattr(audit_full, "SLICE", 5)
    monkeypatch.setattr(collect, "utc_now", lambda: AT)


@pytest.mark.usefixtures("small_slices")
def test_report_ahead_equals_audit_then_collect(fresh_ws: CaseWorld) -> None:
    _damage(fresh_ws)
    ws = fresh_ws.ws
    started: list[str] = []
    original = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread.name)
        original(thread)

    ids = [i.item_id for i in list_items(ws.ledger, CASE)]
    for chosen in (None, ids[1:10]):  # the whole case; some items, the edited event's among them
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(threading.Thread, "start", start)
            data, pdf = produce_report(ws, CASE, "pdf", item_ids=chosen, generated_by="auditor")
        assert "report-ahead" in started
        assert not data.verdict.ok
        assert any(not e.signature_ok for t in data.items for e in t.events)
        assert len(data.items) == len(ids if chosen is None else chosen)
        assert pdf == _after_audit(ws, CASE, chosen)


@pytest.mark.usefixtures("small_slices")
def test_unknown_item_refused_as_before(case_ws: CaseWorld) -> None:
    with pytest.raises(NotFoundError) as ahead:
        produce_report(case_ws.ws, CASE, "pdf", item_ids=["no-such-item"])
    with pytest.raises(NotFoundError) as before:
        collect_custody_report(case_ws.ws, CASE, ["no-such-item"], None)
    assert str(ahead.value) == str(before.value)


@pytest.mark.usefixtures("small_slices")
def test_report_ahead_on_both_backends(any_world: World, evidence_dir: Path) -> None:
    """On PostgreSQL the thread opens the ledger by its connection string: the same PDF."""
    any_world.ingest(evidence_dir)
    ws = any_world.ws
    _, pdf = produce_report(ws, WORLD_CASE, "pdf", generated_by="auditor")
    assert pdf == _after_audit(ws, WORLD_CASE, None)
