"""The custody report's data is read in one pass over the case's events, not item by item."""

from __future__ import annotations

from typing import Any

import pytest

from evidence.events import events_by_item, events_in_chunks
from evidence.items import list_items
from evidence.report import collect_custody_report

from .conftest import CASE, CaseWorld


def test_no_query_per_item(case_ws: CaseWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = case_ws.ws.ledger
    asked: list[str] = []
    rows = ledger.rows

    def counted(sql: str, params: Any = ()) -> list[dict[str, Any]]:
        asked.append(sql)
        return rows(sql, params)

    monkeypatch.setattr(ledger, "rows", counted)
    data = collect_custody_report(case_ws.ws, CASE, generated_by="auditor")
    assert len(data.items) == len(case_ws.items) > 1
    reads = [sql for sql in asked if "FROM events" in sql]
    assert not [sql for sql in reads if "item_id = $1" in sql], reads
    # One query finds the items' analyses, one reads all their events (100 items a query).
    assert len(reads) == 2, reads


@pytest.mark.parametrize("size", [1, 2, 100])
def test_chunks_hold_every_event_in_the_order_asked(case_ws: CaseWorld, size: int) -> None:
    ledger = case_ws.ws.ledger
    ids = [item.item_id for item in reversed(list_items(ledger, CASE))]
    whole = events_by_item(ledger, ids)
    seen: list[str] = []
    for chunk in events_in_chunks(ledger, ids + ids[:1], size=size):
        assert len(chunk) <= size
        for item_id, events in chunk.items():
            assert [e.hash for e in events] == [e.hash for e in whole[item_id]]
            seen.append(item_id)
    assert seen == ids  # each item once, in the order given
