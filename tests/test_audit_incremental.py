"""`custody audit --since-checkpoint`: only what is new, plus consistency of checkpoints.

Each guarantee is tested as an attacker would break it: rows edited with the real sqlite3 module
after dropping the triggers, events slipped in before the checkpoint, heads removed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.audit import audit
from evidence.audit.incremental import audit_since
from evidence.checkpoint import create_checkpoint
from evidence.custody import append_events
from evidence.errors import UsageError
from evidence.items import list_items
from evidence.ledger import trigger_sql
from tests.helpers import CASE, DATA, PASSPHRASE, World


def _checkpoint(world: World) -> None:
    create_checkpoint(world.ws.ledger, world.custodian, world.ws.checkpoint_dir)


def _day_two(world: World, evidence_dir: Path, tmp_path: Path) -> World:
    """Day one ingested and checkpointed; day two added events and a new item."""
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    append_events(world.ws.ledger, world.investigator, items, "accessed", note="day one")
    _checkpoint(world)
    append_events(world.ws.ledger, world.expert, items[:2], "analysed", note="day two")
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(DATA / "images" / "PNG.png", later / "screen.png")
    world.ingest(later)
    return world


@pytest.fixture
def day_two(any_world: World, evidence_dir: Path, tmp_path: Path) -> World:
    """Two days of work on each backend."""
    return _day_two(any_world, evidence_dir, tmp_path)


@pytest.fixture
def edited(world: World, evidence_dir: Path, tmp_path: Path) -> World:
    """Two days of work in a SQLite workspace, for an attacker to edit with sqlite3."""
    return _day_two(world, evidence_dir, tmp_path)


def _attacker(world: World) -> sqlite3.Connection:
    conn = sqlite3.connect(world.ws.ledger.location, isolation_level=None)
    for table in ("events", "items"):
        for op in ("update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
    return conn


def test_only_new_events_are_verified_and_all_is_well(day_two: World) -> None:
    result = audit_since(day_two.ws, workers=2)
    assert result.ok, [str(f) for f in result.findings]
    # two analyses and one ingest (with its profiled event), not the events of day one
    assert result.events_checked == 4
    assert result.items_checked == 3
    assert audit(day_two.ws, workers=2).ok


def test_checkpoints_in_between_are_checked_for_consistency(day_two: World) -> None:
    _checkpoint(day_two)
    append_events(day_two.ws.ledger, day_two.custodian, list_items(day_two.ws.ledger)[:1], "sealed")
    result = audit_since(day_two.ws, 1, workers=1)
    assert result.ok, [str(f) for f in result.findings]
    assert (result.events_checked, result.checkpoint_seq) == (5, 2)
    detail = next(c.detail for c in result.checks if c.name == "checkpoint")
    assert "#1..#2 consistent" in detail


def test_edited_new_event_is_found(edited: World) -> None:
    conn = _attacker(edited)
    conn.execute(
        "UPDATE events SET body = replace(body, 'day two', 'day 2') WHERE rowid = ?",
        (conn.execute("SELECT MAX(rowid) FROM events WHERE body LIKE '%day two%'").fetchone()[0],),
    )
    result = audit_since(edited.ws, workers=1)
    assert {f.check for f in result.findings} >= {"hashes", "signatures"}


def test_event_slipped_in_before_the_checkpoint_is_found(edited: World) -> None:
    conn = _attacker(edited)
    # A copy of a day-one event under a negative rowid: sorts before everything.
    conn.execute(
        "INSERT INTO events (rowid, event_id, item_id, seq, hash, body, signature, signer) "
        "SELECT -5, event_id || 'x', item_id, 99, hash || 'x', body, signature, signer "
        "FROM events WHERE rowid = 1"
    )
    result = audit_since(edited.ws, workers=1)
    assert any("history changed" in f.message for f in result.findings)


def test_event_removed_before_the_checkpoint_is_found(edited: World) -> None:
    # Not a head: only the count of events up to checkpoint #1's last head tells.
    conn = _attacker(edited)
    conn.execute("DELETE FROM events WHERE rowid = 1")
    result = audit_since(edited.ws, workers=1)
    assert [f.message for f in result.findings if f.check == "checkpoint"] == [
        f"{_signed_events(edited) - 1} events up to its last head, it signed "
        f"{_signed_events(edited)} (history changed: run a full audit)"
    ]


def _signed_events(world: World) -> int:
    body = world.ws.ledger.rows("SELECT body FROM checkpoints WHERE seq = 1")[0]["body"]
    return int(json.loads(body)["events"])


def test_deleted_head_and_item_are_found(edited: World) -> None:
    conn = _attacker(edited)
    first, second = list_items(edited.ws.ledger)[:2]
    # Day one: ingested, profiled, accessed (#3, the head checkpoint #1 recorded).
    conn.execute("DELETE FROM events WHERE item_id = ? AND seq = 3", (second.item_id,))
    conn.execute("DELETE FROM items WHERE item_id = ?", (first.item_id,))
    messages = [f.message for f in audit_since(edited.ws, workers=1).findings]
    assert "item deleted since checkpoint #1" in messages
    assert "event #3 (head at #1) is gone" in messages


def test_item_without_events_is_found(edited: World) -> None:
    conn = _attacker(edited)
    conn.execute(
        "INSERT INTO items SELECT 'feedfeedfeed', case_number, 'ab' || substr(sha256, 3), "
        "sha512, md5, sha1, size, media_type, evidence_type, original_name, original_path, "
        "source, acquired_at, acquisition_method, metadata, profile, ingested_at, ingested_by "
        "FROM items LIMIT 1"
    )
    messages = [f.message for f in audit_since(edited.ws, workers=1).findings]
    assert any("an item without custody events" in m for m in messages)


def test_an_edit_before_the_checkpoint_needs_the_full_audit(edited: World) -> None:
    # The boundary, stated as a test: old events are not re-read by the incremental audit.
    conn = _attacker(edited)
    conn.execute("UPDATE events SET signature = 'AAAA' WHERE rowid = 1")
    for table in ("events", "items"):  # put the triggers back: only the old event is changed
        for op in ("UPDATE", "DELETE"):
            conn.execute(trigger_sql(table, op))
    assert audit_since(edited.ws, workers=1).ok
    assert not audit(edited.ws, workers=1).ok


def test_a_foreign_checkpoint_file_pins_the_start(day_two: World, tmp_path: Path) -> None:
    copy = tmp_path / "usb" / "checkpoint-000001.json"
    copy.parent.mkdir()
    shutil.copy(day_two.ws.checkpoint_dir / "checkpoint-000001.json", copy)
    assert audit_since(day_two.ws, checkpoint_file=copy, workers=1).ok
    data = json.loads(copy.read_text())
    data["hash"] = "0" * 64
    copy.write_text(json.dumps(data))
    result = audit_since(day_two.ws, checkpoint_file=copy, workers=1)
    assert any("differs from checkpoint #1" in f.message for f in result.findings)


def test_no_checkpoint_is_a_usage_error(any_world: World, evidence_dir: Path) -> None:
    any_world.ingest(evidence_dir / "empty.bin")
    with pytest.raises(UsageError, match="no checkpoint yet"):
        audit_since(any_world.ws)
    _checkpoint(any_world)
    with pytest.raises(UsageError, match="no checkpoint #7"):
        audit_since(any_world.ws, 7)


def test_cli_since_checkpoint(day_two: World) -> None:
    ws = day_two.ws
    args = ["--workspace", str(ws.root)]
    if hasattr(ws.ledger, "conninfo"):
        args += ["--ledger", ws.ledger.conninfo, "--vault", str(ws.vault.root)]
    env = {"CUSTODY_PASSPHRASE": PASSPHRASE}
    run = CliRunner().invoke
    result = run(cli, [*args, "audit", "--since-checkpoint", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["events_checked"] == 4
    result = run(cli, [*args, "audit", "--since-checkpoint", "1", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    result = run(cli, [*args, "audit", "--since-checkpoint", "9"], env=env)
    assert result.exit_code == 2 and "no checkpoint #9" in result.stderr
    result = run(cli, [*args, "audit", "--since-checkpoint", "--case", CASE], env=env)
    assert result.exit_code == 2 and "without --case" in result.stderr
    result = run(cli, [*args, "audit", "--since-checkpoint", "--fixity", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
