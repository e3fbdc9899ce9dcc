"""Group commit: many events per transaction, chain heads read once, whole batches or nothing."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.custody import EventRequest, PartlyRecorded, append_events, record_requests
from evidence.errors import UsageError
from evidence.events import chain_heads, item_events
from evidence.items import list_items
from evidence.workspace import Workspace
from tests.helpers import CASE, PASSPHRASE, World


def _requests(world: World, count: int) -> list[EventRequest]:
    items = list_items(world.ws.ledger, CASE)
    return [
        EventRequest(items[n % len(items)], "accessed", {"note": f"row {n}"}) for n in range(count)
    ]


def test_batches_chain_in_order_and_audit(any_world: World, evidence_dir: Path) -> None:
    any_world.ingest(evidence_dir)
    requests = _requests(any_world, 25)
    events = record_requests(any_world.ws.ledger, any_world.custodian, requests, batch=4)
    assert [e.body["note"] for e in events] == [f"row {n}" for n in range(25)]
    for item in list_items(any_world.ws.ledger, CASE):
        chain = item_events(any_world.ws.ledger, item.item_id)
        assert [e.body["seq"] for e in chain] == list(range(1, len(chain) + 1))
        assert all(b.body["prev"] == a.hash for a, b in itertools.pairwise(chain))
    heads = chain_heads(any_world.ws.ledger, [i.item_id for i in list_items(any_world.ws.ledger)])
    assert {h[1] for h in heads.values()} == {e.hash for e in events[-4:]}
    assert audit(any_world.ws).ok


def test_an_item_named_twice_in_one_batch_chains_twice(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    item = list_items(world.ws.ledger, CASE)[0]
    first, second = append_events(world.ws.ledger, world.custodian, [item, item], "accessed")
    assert (first.body["seq"], second.body["seq"]) == (3, 4)
    assert second.body["prev"] == first.hash
    assert audit(world.ws).ok


def test_a_failing_batch_names_what_was_recorded(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    requests = _requests(world, 10)
    # Row 8 names an item without a chain: the third batch (rows 8-9) fails as a whole.
    ghost = replace(requests[8].item, item_id="f" * 12)
    requests[8] = EventRequest(ghost, "accessed", {"note": "row 8"})
    with pytest.raises(PartlyRecorded, match="after 8 of 10 events were recorded") as caught:
        record_requests(world.ws.ledger, world.custodian, requests, batch=4)
    assert caught.value.exit_code == UsageError.exit_code and caught.value.recorded == 8
    notes = [
        e.body["note"]
        for i in list_items(world.ws.ledger)
        for e in item_events(world.ws.ledger, i.item_id)
        if e.body["action"] == "accessed"
    ]
    assert sorted(notes) == [f"row {n}" for n in range(8)]
    assert audit(world.ws).ok


def test_a_failing_first_batch_is_the_error_itself(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    requests = _requests(world, 3)
    requests[1] = EventRequest(replace(requests[1].item, item_id="f" * 12), "accessed", {})
    with pytest.raises(UsageError, match="has no chain") as caught:
        record_requests(world.ws.ledger, world.custodian, requests, batch=4)
    assert not isinstance(caught.value, PartlyRecorded)
    assert len(item_events(world.ws.ledger, requests[0].item.item_id)) == 2  # nothing written


def test_sqlite_ledger_stays_fully_synchronous(world: World) -> None:
    assert world.ws.ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert world.ws.ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _count(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_a_10000_event_file_leaves_whole_batches(
    world: World, evidence_dir: Path, tmp_path: Path, seed: int
) -> None:
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    rows = ["item,action,note"] + [
        f"{items[n % len(items)].item_id},accessed,row {n}" for n in range(10_000)
    ]
    csv_file = tmp_path / "events.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    db = world.ws.root / "ledger.db"
    before = _count(db)
    env = {
        **os.environ,
        "CUSTODY_HOME": str(world.ws.root),
        "CUSTODY_PASSPHRASE": PASSPHRASE,
    }
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "custody"),
            *("event", "--from", str(csv_file), "--as", world.custodian.record.name, "--quiet"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Wait for the first batch, then kill at a random moment of the rest.
    deadline = time.monotonic() + 120
    while _count(db) == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.Random(seed).uniform(0, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    added = _count(db) - before
    assert added % 1000 == 0 and 1000 <= added <= 10_000, added
    world.ws.close()
    reopened = Workspace.open(world.ws.root)
    try:
        result = audit(reopened)
        assert result.ok, result.findings
        notes = [
            e.body["note"]
            for i in items
            for e in item_events(reopened.ledger, i.item_id)
            if e.body["action"] == "accessed"
        ]
        assert sorted(notes, key=lambda n: int(n.split()[1])) == [f"row {n}" for n in range(added)]
    finally:
        reopened.close()
