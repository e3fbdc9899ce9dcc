"""The ledger: append-only, refuses foreign or newer files, serialises concurrent writers."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.audit import audit
from evidence.errors import OperationalError, UsageError
from evidence.events import item_events
from evidence.items import list_items
from evidence.ledger import SCHEMA_VERSION, Ledger
from evidence.workspace import Workspace
from tests.helpers import CASE, PASSPHRASE, World


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
        impatient = Ledger.open(world.ws.ledger.path, busy_timeout_ms=200)
        with pytest.raises(OperationalError, match="locked"), impatient.atomic():
            pass
    finally:
        blocker.execute("ROLLBACK")


WRITER = """
import sys
from pathlib import Path
from evidence.custody import append_events
from evidence.items import get_item
from evidence.workspace import Workspace
ws = Workspace.open(Path(sys.argv[1]))
signer = ws.keys.unlock(ws.keys.resolve(sys.argv[2]), sys.argv[3])
item = get_item(ws.ledger, sys.argv[4])
for n in range(250):
    append_events(ws.ledger, signer, [item], "accessed", note=f"{sys.argv[2]} {n}")
"""


def test_four_processes_append_250_events_each_to_one_chain(
    world: World, evidence_dir: Path, tmp_path: Path
) -> None:
    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    actors = ["А. Иванов", "Evidence Room", "P. Sidorov", "А. Иванов"]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(world.ws.root), actor, PASSPHRASE, item.item_id]
        )
        for actor in actors
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    events = item_events(world.ws.ledger, item.item_id)
    assert len(events) == 1002  # ingested, profiled, and 4 x 250
    assert [e.body["seq"] for e in events] == list(range(1, 1003))
    for before, after in itertools.pairwise(events):
        assert after.body["prev"] == before.hash
    result = audit(world.ws)
    assert result.ok, [str(f) for f in result.findings]
