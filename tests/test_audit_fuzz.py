"""Audit never crashes on a tampered ledger: random edits of rows and checkpoint files always
come back as findings (exit 1), never as an exception. Every column of every table is fuzzed,
including keys, certificates and the trust tables, and the attacker puts the append-only
triggers back afterwards, so the finding must come from the edit itself."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evidence.audit import audit
from evidence.cases import create_case
from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events, receive, transfer
from evidence.ingest import IngestOptions, ingest
from evidence.items import list_items
from evidence.ledger import APPEND_ONLY, trigger_sql
from evidence.ledger import TABLES as LEDGER_TABLES
from evidence.workspace import Workspace
from tests.helpers import AUTHORITY, CASE, DATA, PASSPHRASE

# Every column of every table: each is signed, or derived from what is signed and recomputed
# (docs/ledger.md, "Where each column is bound"), so any edit is a finding.
COLUMNS = {name: list(columns) for name, (columns, _, _) in LEDGER_TABLES.items()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small but complete workspace, built once: three items, transfers, a checkpoint."""
    root = tmp_path_factory.mktemp("fuzz") / "ws"
    ws = Workspace.init(root, AUTHORITY)
    a = ws.keys.unlock(
        ws.keys.create("А. Иванов", "IC", "BY", "investigator", PASSPHRASE), PASSPHRASE
    )
    b = ws.keys.unlock(
        ws.keys.create("Evidence Room", "IC", "BY", "custodian", PASSPHRASE), PASSPHRASE
    )
    create_case(ws.ledger, CASE, "fuzz", "BY", "", "test")
    seized = root.parent / "seized"
    seized.mkdir()
    shutil.copy(DATA / "images" / "Apple.jpg", seized / "a.jpg")
    (seized / "chat.txt").write_text("02.11.2026, 10:15 - Алесь: +375 29 765-43-21\n")
    (seized / "empty.bin").write_bytes(b"")
    ingest(ws, a, [seized], IngestOptions(case=CASE, source="fuzz"))
    items = list_items(ws.ledger, CASE)
    transfer(ws.ledger, a, items[:2], b.record)
    receive(ws.ledger, b, items[:2])
    append_events(ws.ledger, a, items, "accessed", note="look")
    create_checkpoint(ws.ledger, b, ws.checkpoint_dir)
    ws.close()
    yield root


def _copy(pristine: Path, tmp: Path) -> Path:
    target = tmp / "ws"
    shutil.copytree(pristine, target)
    return target


values = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.integers(-(2**63), 2**63 - 1),
    st.none(),
    st.just("{"),
    st.just('{"schema":"custody-checkpoint/1","seq":1}'),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    table=st.sampled_from(sorted(COLUMNS)),
    data=st.data(),
)
def test_random_row_edits_are_findings_never_crashes(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, table: str, data: st.DataObject
) -> None:
    root = _copy(pristine, tmp_path_factory.mktemp("case"))
    column = data.draw(st.sampled_from(COLUMNS[table]))
    value = data.draw(values)
    conn = sqlite3.connect(root / "ledger.db")
    # The attacker's edits need no durability (an fsync per statement was most of the wall
    # time of this test); the file's contents are the same.
    conn.execute("PRAGMA synchronous = OFF")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table}")]
    assume(rowids)  # a table the pristine workspace leaves empty (timestamps) has nothing to edit
    rowid = data.draw(st.sampled_from(rowids))
    before = conn.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()[0]
    try:
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid))
        conn.commit()
    except sqlite3.IntegrityError:
        return  # a NOT NULL or UNIQUE constraint refused the edit: nothing changed
    finally:
        # Put the triggers back, as an attacker covering their tracks would.
        for name in APPEND_ONLY:
            for op in ("UPDATE", "DELETE"):
                conn.execute(trigger_sql(name, op))
        conn.commit()
        conn.close()
    ws = Workspace.open(root)
    try:
        result = audit(ws, workers=1)
    finally:
        ws.close()
    if value != before:
        assert not result.ok, (table, column, value)
        assert result.findings


@settings(max_examples=80, deadline=None)
@given(content=st.binary(max_size=300))
def test_random_checkpoint_files_are_findings_never_crashes(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    root = _copy(pristine, tmp_path_factory.mktemp("file"))
    (root / "checkpoints" / "checkpoint-000001.json").write_bytes(content)
    outside = root.parent / "offsite.json"
    outside.write_bytes(content)
    ws = Workspace.open(root)
    try:
        result = audit(ws, checkpoint_file=outside, workers=1)
    finally:
        ws.close()
    assert not result.ok
