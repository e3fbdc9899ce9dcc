"""The streaming audit finds exactly what a check of every chain held in memory finds, also
when a ledger lists an item's events out of order (rows deleted and inserted again)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import evidence.audit.full as audit_package
from evidence.audit import audit
from evidence.audit.chains import check_chains
from evidence.audit.events import verify_items
from evidence.cases import list_cases
from evidence.custody import append_events
from evidence.errors import Finding
from evidence.items import list_items
from evidence.ledger.sqlite import trigger_sql
from tests.helpers import CASE, World


def _busy(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    for n in range(3):
        append_events(world.ws.ledger, world.custodian, items, "accessed", note=f"round {n}")


def _reference(world: World) -> list[Finding]:
    """check_chains over every event held at once, as the audit did before it streamed."""
    items = list_items(world.ws.ledger, CASE)
    facts = verify_items(world.ws.ledger.source(), [i.item_id for i in items])
    found: list[Finding] = []
    cases = {c.number: c for c in list_cases(world.ws.ledger)}
    check_chains(items, cases, facts, True, lambda c, s, m: found.append(Finding(c, s, m)))
    return found


def _move_to_the_end(world: World, item_id: str, seq: int, new_seq: int | None = None) -> None:
    # Delete a row and insert it again: same bytes, a later rowid (and maybe another seq).
    conn = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_delete")
    row = conn.execute("SELECT * FROM events WHERE item_id = ? AND seq = ?", (item_id, seq))
    values = list(row.fetchone())
    columns = [d[0] for d in row.description]
    conn.execute("DELETE FROM events WHERE item_id = ? AND seq = ?", (item_id, seq))
    if new_seq is not None:
        values[columns.index("seq")] = new_seq
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks})", values)
    conn.execute(trigger_sql("events", "DELETE"))
    conn.close()


def test_events_moved_in_the_ledger_but_intact_still_audit_ok(
    world: World, evidence_dir: Path
) -> None:
    _busy(world, evidence_dir)
    item = list_items(world.ws.ledger, CASE)[1]
    _move_to_the_end(world, item.item_id, 2)
    result = audit(world.ws)
    assert result.ok, result.findings
    assert result.events_checked == 4 * 5


def test_a_renumbered_event_is_found_as_in_memory(world: World, evidence_dir: Path) -> None:
    _busy(world, evidence_dir)
    item = list_items(world.ws.ledger, CASE)[2]
    _move_to_the_end(world, item.item_id, 3, new_seq=9)
    result = audit(world.ws)
    chains = [f for f in result.findings if f.check == "chains"]
    expected = [f for f in _reference(world) if f.check == "chains"]
    assert expected and [f for f in chains if "moved?" not in f.message] == expected
    assert any("sequence broken" in f.message for f in chains)


def test_many_slices_over_two_workers_give_the_same_result(
    world: World, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy(world, evidence_dir)
    item = list_items(world.ws.ledger, CASE)[0]
    _move_to_the_end(world, item.item_id, 4, new_seq=7)
    monkeypatch.setattr(audit_package, "SLICE", 3)  # 7 slices, 3 in flight per worker
    one = audit(world.ws, workers=1).to_json()
    two = audit(world.ws, workers=2).to_json()
    assert one == two and not one["ok"] and one["events_checked"] == 20
