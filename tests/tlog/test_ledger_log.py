"""The ledger's append-only log, checkpoints over it, a witness, and an insider's attacks on them
(keys in hand, the real sqlite3 module on ledger.db, whole workspaces copied back)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from evidence.audit import AuditResult, audit
from evidence.audit.incremental import audit_since
from evidence.audit.log import fetch_witnesses
from evidence.checkpoint import Checkpoint, create_checkpoint
from evidence.custody import append_events
from evidence.errors import VerificationError
from evidence.items import list_items
from evidence.ledger import APPEND_ONLY, trigger_sql
from evidence.tlog import Tree, verify_consistency
from evidence.tlog.cosignature import CosignatureVerifier
from evidence.tlog.ledgerlog import ledger_tree, note_file, note_vkey
from evidence.tlog.note import Note, ecdsa_verify
from evidence.tlog.signedhead import SignedHead
from evidence.witness import WitnessRefused, WitnessStore, cosign_with
from evidence.workspace import Workspace
from tests import pgcluster
from tests.conftest import WitnessFixture, make_world
from tests.helpers import AUTHORITY, CASE, World


def _anchor(world: World) -> str:
    return str(world.ws.ledger.rows("SELECT fingerprint FROM trust_anchor")[0]["fingerprint"])


@pytest.fixture
def logged(world: World, evidence_dir: Path) -> Iterator[World]:
    """Four items ingested and one analysed: a log of trust records and events."""
    world.ingest(evidence_dir)
    items = list_items(world.ws.ledger, CASE)
    append_events(world.ws.ledger, world.expert, items[:1], "analysed", purpose="EXIF exam")
    yield world


@pytest.fixture
def witnessed(logged: World, local_witness: WitnessFixture) -> World:
    """The same, with the custodian's checkpoint key trusted by the loopback witness."""
    key = logged.custodian.private_key.public_key()
    WitnessStore.open(local_witness.root).add_log(note_vkey(_anchor(logged), key))
    return logged


def _checkpoint(world: World, *witnesses: str) -> Checkpoint:
    ledger = world.ws.ledger
    cosign = cosign_with(ledger, list(witnesses)) if witnesses else None
    return create_checkpoint(ledger, world.custodian, world.ws.checkpoint_dir, witness=cosign)


def _audit(
    world: World, witness: WitnessFixture | None = None, key: str | None = None
) -> AuditResult:
    if witness is None:
        return audit(world.ws, workers=1)
    views = fetch_witnesses(world.ws.ledger, None, [witness.url])
    cosigners = [CosignatureVerifier.from_vkey(key or witness.vkey)]
    return audit(world.ws, workers=1, witnesses=views, cosigners=cosigners)


def _expect(result: AuditResult, check: str, fragment: str) -> None:
    assert not result.ok
    hits = [f for f in result.findings if f.check == check and fragment in f.message]
    assert hits, [str(f) for f in result.findings]


def _attacker(world: World) -> sqlite3.Connection:
    conn = sqlite3.connect(world.ws.ledger.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def _put_back_triggers(conn: sqlite3.Connection) -> None:
    # A careful insider restores the triggers, so that only the log can tell.
    for table in APPEND_ONLY:
        for op in ("UPDATE", "DELETE"):
            conn.execute(trigger_sql(table, op))
    conn.close()


def _more_events(world: World, n: int = 2) -> None:
    items = list_items(world.ws.ledger, CASE)
    for _ in range(n):
        append_events(world.ws.ledger, world.custodian, items[1:2], "accessed", purpose="look")


# --- the log as written -----------------------------------------------------------------------


def test_every_signed_record_is_a_leaf_in_order(logged: World) -> None:
    ledger = logged.ws.ledger
    rows = ledger.rows("SELECT idx, kind, ref FROM log_leaves ORDER BY idx")
    events = ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    trust = ledger.rows("SELECT COUNT(*) AS n FROM trust_records")[0]["n"]
    assert [r["idx"] for r in rows] == list(range(events + trust))
    # The root's enrolment first, then the keys', then the ingest's events, in commit order.
    assert [r["kind"] for r in rows[:trust]] == ["trust"] * trust
    assert {r["kind"] for r in rows[trust:]} == {"event"}
    result = _audit(logged)
    assert result.ok, result.findings
    assert "records in one tree" in next(c.detail for c in result.checks if c.name == "log")


def test_checkpoint_signs_the_log_and_publishes_a_c2sp_note(logged: World) -> None:
    cp = _checkpoint(logged)
    log = cp.log
    assert cp.body["schema"] == "custody-checkpoint/3" and log is not None
    tree = ledger_tree(logged.ws.ledger)
    assert tree.size == log.size + 1  # its own leaf follows what it signed
    assert tree.root(log.size) == log.root
    note = Note.parse(note_file(logged.ws.checkpoint_dir, cp.seq).read_bytes())
    assert SignedHead.parse(note.text) == log.head
    assert log.origin == "custody/" + _anchor(logged)
    key = logged.custodian.private_key.public_key()
    assert ecdsa_verify(log.origin, key, note.text, note.signatures[0])
    _more_events(logged)
    second = _checkpoint(logged)
    assert second.log is not None
    after = ledger_tree(logged.ws.ledger)
    verify_consistency(
        log.size,
        second.log.size,
        after.consistency_proof(log.size, second.log.size),
        log.root,
        second.log.root,
    )
    assert _audit(logged).ok


def test_witness_cosigns_and_audit_checks_against_it(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    _checkpoint(witnessed, local_witness.url)
    _more_events(witnessed)
    cp = _checkpoint(witnessed, local_witness.url)
    note = Note.parse(note_file(witnessed.ws.checkpoint_dir, cp.seq).read_bytes())
    assert [s.name for s in note.signatures][-1] == "witness.test.example/w1"
    result = _audit(witnessed, local_witness)
    assert result.ok, result.findings
    assert any(c.name == "witness" and c.ok for c in result.checks)


def test_incremental_audit_continues_from_the_frontier(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    _checkpoint(witnessed, local_witness.url)
    _more_events(witnessed, 3)
    _checkpoint(witnessed)
    _more_events(witnessed, 1)
    views = fetch_witnesses(witnessed.ws.ledger, None, [local_witness.url])
    cosigners = [CosignatureVerifier.from_vkey(local_witness.vkey)]
    result = audit_since(witnessed.ws, 1, workers=1, witnesses=views, cosigners=cosigners)
    assert result.ok, result.findings
    detail = next(c.detail for c in result.checks if c.name == "log")
    assert detail.startswith("6 records since checkpoint #1")


# --- attacks ----------------------------------------------------------------------------------


def test_tail_cut_after_a_cosigned_checkpoint(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    first = _checkpoint(witnessed, local_witness.url)
    assert first.log is not None
    _more_events(witnessed)
    second = _checkpoint(witnessed, local_witness.url)
    assert second.log is not None
    # Cut everything after the first checkpoint's leaf: events, leaves, the second checkpoint
    # with its notes and files; triggers put back.
    conn = _attacker(witnessed)
    cut = first.log.size + 1
    for kind, ref in conn.execute("SELECT kind, ref FROM log_leaves WHERE idx >= ?", (cut,)):
        if kind == "event":
            conn.execute("DELETE FROM events WHERE event_id = ?", (ref,))
    conn.execute("DELETE FROM log_leaves WHERE idx >= ?", (cut,))
    conn.execute("DELETE FROM checkpoints WHERE seq = 2")
    conn.execute("DELETE FROM checkpoint_notes WHERE checkpoint_seq = 2")
    _put_back_triggers(conn)
    for path in witnessed.ws.checkpoint_dir.glob("checkpoint-000002.*"):
        path.unlink()
    assert _audit(witnessed).ok  # nothing inside the workspace tells any more
    result = _audit(witnessed, local_witness)
    _expect(result, "witness", f"rollback: it cosigned a log of {second.log.size} records")


def test_whole_workspace_rolled_back(
    witnessed: World, local_witness: WitnessFixture, tmp_path: Path
) -> None:
    _checkpoint(witnessed, local_witness.url)
    root = witnessed.ws.root
    saved = tmp_path / "saved"
    witnessed.ws.ledger.close()
    shutil.copytree(root, saved, symlinks=True)
    witnessed.ws = Workspace.open(root)
    _more_events(witnessed)
    later = _checkpoint(witnessed, local_witness.url)
    assert later.log is not None
    witnessed.ws.ledger.close()
    shutil.rmtree(root)
    shutil.copytree(saved, root, symlinks=True)
    witnessed.ws = Workspace.open(root)
    assert _audit(witnessed).ok
    result = _audit(witnessed, local_witness)
    _expect(result, "witness", f"rollback: it cosigned a log of {later.log.size} records")


def test_forked_log_is_refused_by_the_witness(
    witnessed: World, local_witness: WitnessFixture, tmp_path: Path
) -> None:
    root = witnessed.ws.root
    saved = tmp_path / "fork"
    witnessed.ws.ledger.close()
    shutil.copytree(root, saved, symlinks=True)
    witnessed.ws = Workspace.open(root)
    _more_events(witnessed, 1)
    _checkpoint(witnessed, local_witness.url)
    # The insider's copy from before that event records something else in its place.
    fork = Workspace.open(saved)
    forked = World(fork, witnessed.investigator, witnessed.custodian, witnessed.expert)
    items = list_items(fork.ledger, CASE)
    append_events(fork.ledger, witnessed.custodian, items[1:2], "destroyed", purpose="fork")
    _more_events(forked, 2)
    with pytest.raises(WitnessRefused, match="consistency proof does not verify"):
        _checkpoint(forked, local_witness.url)
    # Nothing was written: the refused checkpoint left no row.
    assert fork.ledger.rows("SELECT COUNT(*) AS n FROM checkpoints")[0]["n"] == 0
    fork.close()


def test_leaves_reordered_below_a_checkpoint(logged: World) -> None:
    _checkpoint(logged)
    conn = _attacker(logged)
    conn.execute("UPDATE log_leaves SET idx = -1 WHERE idx = 3")
    conn.execute("UPDATE log_leaves SET idx = 3 WHERE idx = 4")
    conn.execute("UPDATE log_leaves SET idx = 4 WHERE idx = -1")
    _put_back_triggers(conn)
    _expect(_audit(logged), "log", "differ from what it signed (removed, reordered or altered)")


def _cut_event_leaf(world: World, order: str, *, with_event: bool) -> None:
    """Remove one event's leaf (the first after leaf #5, or the last) and renumber the rest, as
    an insider would; with_event: the event row too."""
    conn = _attacker(world)
    (idx, ref) = conn.execute(
        "SELECT idx, ref FROM log_leaves WHERE kind = 'event' AND idx > 5 "
        f"ORDER BY idx {order} LIMIT 1"
    ).fetchone()
    if with_event:
        conn.execute("DELETE FROM events WHERE event_id = ?", (ref,))
    conn.execute("DELETE FROM log_leaves WHERE idx = ?", (idx,))
    conn.execute("UPDATE log_leaves SET idx = idx - 1 WHERE idx > ?", (idx,))
    _put_back_triggers(conn)


def test_event_deleted_with_its_leaf_below_a_checkpoint(logged: World) -> None:
    _checkpoint(logged)
    _cut_event_leaf(logged, "ASC", with_event=True)
    result = _audit(logged)
    _expect(result, "log", "differ from what it signed")


def test_event_slipped_in_without_a_leaf(logged: World) -> None:
    conn = _attacker(logged)
    (last,) = conn.execute("SELECT MAX(idx) FROM log_leaves").fetchone()
    conn.execute("DELETE FROM log_leaves WHERE idx = ?", (last,))
    _put_back_triggers(conn)
    _expect(_audit(logged), "log", "is not in the log")


def test_replayed_cosignature_on_another_checkpoint(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    _checkpoint(witnessed, local_witness.url)
    _more_events(witnessed)
    _checkpoint(witnessed)
    conn = _attacker(witnessed)
    (line,) = conn.execute(
        "SELECT line FROM checkpoint_notes WHERE checkpoint_seq = 1 AND witness != ''"
    ).fetchone()
    conn.execute(
        "INSERT INTO checkpoint_notes VALUES (2, ?, ?, '2026-01-01T00:00:00Z')",
        (line, local_witness.url),
    )
    _put_back_triggers(conn)
    _expect(_audit(witnessed, local_witness), "witness", "does not verify over this checkpoint")


def test_foreign_cosignature_is_not_the_witness_pinned(
    witnessed: World, local_witness: WitnessFixture, tmp_path: Path
) -> None:
    _checkpoint(witnessed, local_witness.url)
    # Another witness of the same name: its key is not the one the auditor pinned.
    other = WitnessStore.init(tmp_path / "other", "witness.test.example/w1", [])
    result = _audit(witnessed, local_witness, other.cosigner.vkey)
    _expect(result, "witness", "carries no valid cosignature by --witness-key")


def test_upgraded_schema_2_ledger_gets_its_log(logged: World) -> None:
    path = logged.ws.ledger.path
    logged.ws.ledger.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("log_leaves", "checkpoint_notes"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    logged.ws = Workspace.open(logged.ws.root)
    assert logged.ws.ledger.version == 3
    assert ledger_tree(logged.ws.ledger).size > 0
    result = _audit(logged)
    assert result.ok, result.findings


def test_log_on_both_backends(any_world: World, evidence_dir: Path) -> None:
    any_world.ingest(evidence_dir)
    cp = _checkpoint(any_world)
    assert cp.log is not None and cp.log.size == ledger_tree(any_world.ws.ledger).size - 1
    assert _audit(any_world).ok


def test_tree_helper_matches_stored_leaves(logged: World) -> None:
    tree = ledger_tree(logged.ws.ledger)
    assert isinstance(tree, Tree) and tree.size > 5
    assert make_world is not None


def test_checkpoint_refuses_a_log_that_lost_what_the_last_one_signed(logged: World) -> None:
    first = _checkpoint(logged)
    assert first.log is not None
    # The last event's leaf removed below the checkpoint, the later leaves renumbered.
    _cut_event_leaf(logged, "DESC", with_event=False)
    with pytest.raises(VerificationError, match="refusing to checkpoint") as caught:
        _checkpoint(logged)
    assert any("the log does not extend it" in f.message for f in caught.value.findings)


def test_tail_cut_on_postgresql_caught_by_the_witness(
    pg_urls: tuple[str, str], tmp_path: Path, evidence_dir: Path, local_witness: WitnessFixture
) -> None:
    admin, tool = pg_urls
    root, vault = tmp_path / "ws", tmp_path / "shared-vault"
    Workspace.init(root, AUTHORITY, ledger=admin, vault=vault, grant_to=(pgcluster.TOOL,)).close()
    world = make_world(Workspace.open(root, ledger=tool, vault=vault))
    world.ingest(evidence_dir)
    key = world.custodian.private_key.public_key()
    WitnessStore.open(local_witness.root).add_log(note_vkey(_anchor(world), key))
    first = _checkpoint(world, local_witness.url)
    _more_events(world)
    second = _checkpoint(world, local_witness.url)
    assert first.log is not None and second.log is not None
    # The database owner switches the triggers off, cuts the tail, and switches them on again.
    tables = ("events", "log_leaves", "checkpoints", "checkpoint_notes")
    with psycopg.connect(admin, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER".encode())
        cut = first.log.size + 1
        conn.execute(
            "DELETE FROM events WHERE event_id IN "
            "(SELECT ref FROM log_leaves WHERE kind = 'event' AND idx >= %s)",
            (cut,),
        )
        conn.execute("DELETE FROM log_leaves WHERE idx >= %s", (cut,))
        conn.execute("DELETE FROM checkpoints WHERE seq = 2")
        conn.execute("DELETE FROM checkpoint_notes WHERE checkpoint_seq = 2")
        for table in tables:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER".encode())
    for path in world.ws.checkpoint_dir.glob("checkpoint-000002.*"):
        path.unlink()
    assert _audit(world).ok
    result = _audit(world, local_witness)
    _expect(result, "witness", f"rollback: it cosigned a log of {second.log.size} records")
    world.ws.close()


def test_schema_2_postgresql_ledger_is_upgraded_by_its_administrator(
    pg_urls: tuple[str, str], tmp_path: Path, evidence_dir: Path
) -> None:
    admin, tool = pg_urls
    root, vault = tmp_path / "ws", tmp_path / "shared-vault"
    Workspace.init(root, AUTHORITY, ledger=admin, vault=vault, grant_to=(pgcluster.TOOL,)).close()
    world = make_world(Workspace.open(root, ledger=tool, vault=vault))
    world.ingest(evidence_dir)
    world.ws.close()
    # Made back into a ledger from before the log, as the administrator could.
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(b"DROP TABLE log_leaves, checkpoint_notes")
        conn.execute(b"ALTER TABLE custody_schema DISABLE TRIGGER USER")
        conn.execute(b"UPDATE custody_schema SET version = 2")
        conn.execute(b"ALTER TABLE custody_schema ENABLE TRIGGER USER")
    ws = Workspace.open(root, ledger=tool, vault=vault)
    assert ws.ledger.version == 2  # the workstations' role cannot upgrade it
    ws.close()
    Workspace.open(root, ledger=admin, vault=vault).close()
    world.ws = Workspace.open(root, ledger=tool, vault=vault)
    assert world.ws.ledger.version == 3
    _more_events(world)  # the workstations' role may append to the new tables
    cp = _checkpoint(world)
    assert cp.log is not None and cp.log.size == ledger_tree(world.ws.ledger).size - 1
    result = _audit(world)
    assert result.ok, result.findings
    world.ws.close()


# --- checkpoint_notes bookkeeping (witness, added_at) bound, not merely stored -----------------


def _notes_edited(world: World, sql: str, *params: object) -> AuditResult:
    conn = _attacker(world)
    conn.execute(sql, params)
    _put_back_triggers(conn)
    return _audit(world)


def _own_and_cosignature(world: World, url: str) -> Checkpoint:
    cp = _checkpoint(world, url)
    rows = world.ws.ledger.rows(
        "SELECT witness FROM checkpoint_notes WHERE checkpoint_seq = $1 ORDER BY rowid", (cp.seq,)
    )
    assert [r["witness"] for r in rows] == ["", url]
    assert _audit(world).ok
    return cp


def test_own_signature_relabelled_as_a_witness(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    _own_and_cosignature(witnessed, local_witness.url)
    result = _notes_edited(
        witnessed, "UPDATE checkpoint_notes SET witness = ? WHERE witness = ''", local_witness.url
    )
    _expect(result, "log", "no valid signature by the checkpoint's key")
    _expect(result, "log", f"the log's own signature is stored as witness '{local_witness.url}'")


def test_cosignature_relabelled_as_the_logs_own(
    witnessed: World, local_witness: WitnessFixture
) -> None:
    _own_and_cosignature(witnessed, local_witness.url)
    result = _notes_edited(
        witnessed, "UPDATE checkpoint_notes SET witness = '' WHERE witness != ''"
    )
    _expect(result, "log", 'a line stored as the log\'s own signature (witness "") is not one')


def test_cosignature_witness_url_mangled(witnessed: World, local_witness: WitnessFixture) -> None:
    _own_and_cosignature(witnessed, local_witness.url)
    result = _notes_edited(
        witnessed, "UPDATE checkpoint_notes SET witness = 'the prosecutor' WHERE witness != ''"
    )
    _expect(result, "log", "witness 'the prosecutor' is not a witness URL (edited?)")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2020-01-01T00:00:00.000000Z", "lies outside checkpoint #1's transaction"),
        ("2099-01-01T00:00:00.000000Z", "lies outside checkpoint #1's transaction"),
        ("yesterday", "is not an RFC 3339 UTC time"),
    ],
)
def test_note_added_at_moved(
    witnessed: World, local_witness: WitnessFixture, value: str, fragment: str
) -> None:
    _own_and_cosignature(witnessed, local_witness.url)
    result = _notes_edited(
        witnessed, "UPDATE checkpoint_notes SET added_at = ? WHERE witness != ''", value
    )
    _expect(result, "log", f"added_at {value!r}" if "RFC" in fragment else f"added_at {value}")
    _expect(result, "log", fragment)


def test_log_read_in_small_pages_finds_the_same(
    logged: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit streams the log page by page (keyset on the index); pages of 2 and 3 leaves must
    give exactly the findings of one page: a gap, an edited leaf, an event without a leaf."""
    import evidence.audit.log as log_audit

    _checkpoint(logged)
    conn = _attacker(logged)
    (last,) = conn.execute("SELECT MAX(idx) FROM log_leaves").fetchone()
    conn.execute("UPDATE log_leaves SET leaf = ? WHERE idx = ?", ("0" * 64, last - 1))
    (gone,) = conn.execute("SELECT ref FROM log_leaves WHERE idx = 4").fetchone()
    conn.execute("DELETE FROM log_leaves WHERE idx = 4")
    _put_back_triggers(conn)
    whole = [str(f) for f in _audit(logged).findings]
    assert any("stored leaf differs" in f for f in whole), whole
    assert any("missing: the next leaf is #5" in f for f in whole), whole
    assert any(gone in f and "is not in the log" in f for f in whole), whole
    for page in (2, 3):
        monkeypatch.setattr(log_audit, "PAGE", page)
        assert [str(f) for f in _audit(logged).findings] == whole
