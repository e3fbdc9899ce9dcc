"""The ledger: append-only, refuses foreign or newer files, serialises concurrent writers."""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.checkpoint import create_checkpoint, from_row
from evidence.checkpoint import rows as checkpoint_rows
from evidence.custody import append_locked
from evidence.errors import OperationalError, UsageError
from evidence.events import item_events
from evidence.items import list_items
from evidence.ledger import SCHEMA_VERSION, SQLiteLedger
from evidence.workspace import Workspace
from tests.helpers import CASE, PASSPHRASE, World, wait_until_ready


def test_append_only_triggers_refuse_update_and_delete(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    conn = sqlite3.connect(world.ws.ledger.path)
    for sql in (
        "UPDATE keys SET name = 'x'",
        "DELETE FROM cases",
        "DELETE FROM events",
        "UPDATE items SET size = 0",
        "DELETE FROM certificates",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


def test_no_update_or_delete_statement_in_the_code() -> None:
    root = Path(__file__).parent.parent
    for path in [*root.joinpath("evidence").rglob("*.py"), *root.joinpath("cli").rglob("*.py")]:
        text = path.read_text().upper()
        for forbidden in ("UPDATE ", "DELETE FROM", "INSERT OR REPLACE", "REPLACE INTO"):
            offenders = [
                line
                for line in text.splitlines()
                if forbidden in line
                and "TRIGGER" not in line
                and "BEFORE" not in line
                and "#" not in line.split(forbidden)[0]
                and '"""' not in line
            ]
            assert not offenders, f"{path}: {offenders}"


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace.init(ws).close()
    (ws / "ledger.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(OperationalError, match="not a custody ledger"):
        Workspace.open(ws)


def test_newer_schema_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace.init(ws).close()
    conn = sqlite3.connect(ws / "ledger.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(OperationalError, match="newer than this tool"):
        Workspace.open(ws)


def test_some_other_sqlite_database_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace.init(ws).close()
    (ws / "ledger.db").unlink()
    sqlite3.connect(ws / "ledger.db").execute("CREATE TABLE t (x)")
    with pytest.raises(OperationalError, match="not a custody ledger"):
        Workspace.open(ws)


def test_init_twice_refused(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    with pytest.raises(UsageError, match="already a workspace"):
        Workspace.init(tmp_path / "ws")


def test_locked_ledger_beyond_busy_timeout(world: World) -> None:
    blocker = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        impatient = SQLiteLedger.open(world.ws.ledger.path, busy_timeout_ms=200)
        with pytest.raises(OperationalError, match="locked"), impatient.atomic():
            pass
    finally:
        blocker.execute("ROLLBACK")


WRITER = """
import os
import sys
import time
from pathlib import Path
from evidence.custody import append_events
from evidence.items import get_item
from evidence.workspace import Workspace
root, ledger, vault, actor, passphrase, writer, ready = sys.argv[1:8]
items = sys.argv[8:]
# The writer is the application here: it reads the environment and passes the timeout down.
wait_ms = int(os.environ["CUSTODY_BUSY_TIMEOUT_MS"])
ws = Workspace.open(
    Path(root), ledger=ledger or None, vault=Path(vault) if vault else None, busy_timeout_ms=wait_ms
)
signer = ws.keys.unlock(ws.keys.resolve(actor), passphrase)
chosen = [get_item(ws.ledger, i) for i in items]
go = Path(root).parent / "go"
Path(ready).touch()
while not go.exists():  # all writers start together, so they really contend
    time.sleep(0.01)
for n in range(500):
    # Overlapping items, and every fifth append to two chains at once in opposite orders:
    # per-item locks must neither fork a chain nor deadlock.
    first, second = chosen[(int(writer) + n) % 3], chosen[(int(writer) + n + 1) % 3]
    batch = [first, second] if n % 5 == 0 else [first]
    if int(writer) % 2:
        batch.reverse()
    append_events(ws.ledger, signer, batch, "accessed", note=f"{writer} {n}")
"""


def test_eight_processes_append_500_times_each_to_overlapping_chains(
    any_world: World, evidence_dir: Path, tmp_path: Path
) -> None:
    world = any_world
    world.ingest(evidence_dir / "empty.bin", evidence_dir / "phone" / "DCIM")
    items = list_items(world.ws.ledger, CASE)
    assert len(items) == 3
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    ledger = getattr(world.ws.ledger, "conninfo", "")
    vault = str(world.ws.vault.root) if ledger else ""
    actors = ["А. Иванов", "Evidence Room", "P. Sidorov", "А. Иванов"] * 2
    ready = [tmp_path / f"ready-{w}" for w in range(len(actors))]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(world.ws.root),
                ledger,
                vault,
                actor,
                PASSPHRASE,
                str(w),
                str(ready[w]),
                *(i.item_id for i in items),
            ],
            env={**os.environ, "CUSTODY_BUSY_TIMEOUT_MS": "120000"},
        )
        for w, actor in enumerate(actors)
    ]
    wait_until_ready(ready, procs)
    (world.ws.root.parent / "go").touch()
    assert [p.wait(timeout=900) for p in procs] == [0] * 8
    per_call = [2 if n % 5 == 0 else 1 for n in range(500)]
    total = 0
    for item in items:
        events = item_events(world.ws.ledger, item.item_id)
        total += len(events)
        assert [e.body["seq"] for e in events] == list(range(1, len(events) + 1))
        assert events[0].body["prev"] == item.sha256
        for before, after in itertools.pairwise(events):
            assert after.body["prev"] == before.hash
    # Each item starts with its ingest and its profiled event.
    assert total == 3 * 2 + 8 * sum(per_call)
    notes = world.ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    assert notes == total
    result = audit(world.ws, workers=2)
    assert result.ok, [str(f) for f in result.findings]


def test_checkpoint_waits_for_an_append_in_flight_and_records_it(
    any_world: World, evidence_dir: Path
) -> None:
    world = any_world
    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    ledger = getattr(world.ws.ledger, "conninfo", None)
    vault = world.ws.vault.root if ledger else None
    done: list[int] = []

    def checkpoint_elsewhere() -> None:  # another process's connection (SQLite: own thread)
        other = Workspace.open(world.ws.root, ledger=ledger, vault=vault)
        try:
            done.append(create_checkpoint(other.ledger, world.custodian, other.checkpoint_dir).seq)
        finally:
            other.close()

    with world.ws.ledger.atomic(lock=[item.item_id]):
        append_locked(world.ws.ledger, world.custodian, item, "accessed")
        # The append is not committed yet: a checkpoint started now must wait for it.
        thread = threading.Thread(target=checkpoint_elsewhere)
        thread.start()
        thread.join(1.5)
        assert thread.is_alive() and not done
    thread.join(60)
    assert done == [1]
    (checkpoint,) = [from_row(r) for r in checkpoint_rows(world.ws.ledger)]
    # ingested, profiled, then the append the checkpoint waited for
    assert [(h.item_id, h.seq) for h in checkpoint.heads] == [(item.item_id, 3)]
