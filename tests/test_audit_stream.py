"""The streaming audit finds exactly what a check of every chain held in memory finds, also
when a ledger lists an item's events out of order (rows deleted and inserted again)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

import evidence.audit.full as audit_package
from evidence.audit import audit
from evidence.audit.chains import check_chains
from evidence.audit.events import verify_items
from evidence.canonical import canonical_bytes
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


def test_the_short_path_gives_the_general_paths_facts_and_leaves_it_every_fault(
    world: World, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker checks a well-formed row on a short path (events._good) and any other on the
    general one (chain.check_event): both give the same facts for good rows, and the short
    path takes no row with anything wrong in it."""
    import evidence.audit.events as events

    _busy(world, evidence_dir)
    source = world.ws.ledger.source()
    last = world.ws.ledger.rows("SELECT MAX(rowid) AS n FROM events")[0]["n"]
    taken = []
    real = events._good

    def counted(*args: object) -> object:
        got = real(*args)  # type: ignore[arg-type]
        taken.append(got is not None)
        return got

    monkeypatch.setattr(events, "_good", counted)
    short = events.verify_slice(source, 1, last, None)
    assert short[0] == [] and any(taken)  # most rows took the short path
    monkeypatch.setattr(events, "_good", lambda *args: None)
    assert events.verify_slice(source, 1, last, None) == short

    # Every fault the general path names, one row each: the short path declines them all.
    conn = sqlite3.connect(world.ws.ledger.path)
    rows = conn.execute(
        "SELECT event_id, item_id, seq, hash, body, signature, signer FROM events "
        "WHERE body LIKE '%round 2%' ORDER BY rowid"
    ).fetchall()
    keys, names = _keys_and_names(world)
    assert all(real(r, keys, names) is not None for r in rows)
    good = rows[0]
    body = good[4]
    broken = [
        (good[0] + "x", *good[1:]),  # the row's event id
        (good[0], good[1], good[2] + 1, *good[3:]),  # the row's sequence
        (*good[:3], "0" * 64, *good[4:]),  # the stored hash
        (*good[:4], body.replace("round 2", "round 3"), *good[5:]),  # the signed bytes
        (*good[:4], body.replace(":", ": ", 1), *good[5:]),  # not canonical
        (*good[:4], body.replace('"note":', '"note":"x","note":', 1), *good[5:]),  # a key twice
        (*good[:5], good[5][:-4] + "AAA=", good[6]),  # the signature
        (*good[:6], "f" * 64),  # the signer column
        (*good[:4], body.encode(), *good[5:]),  # a column of another type
    ]
    for row in broken:
        assert real(row, keys, names) is None, row
    # A key holder's own faults, hash and signature made over the faulty bytes: not canonical,
    # a key twice, not of the schema.
    signer = next(s for s in (world.investigator, world.custodian, world.expert)
                  if s.record.fingerprint == good[6])  # fmt: skip
    for text in (
        body.replace(":", ": ", 1),
        body.replace('"note":', '"note":"x","note":', 1),
        canonical_bytes({**json.loads(body), "location": 7}).decode(),
    ):
        data = text.encode()
        resigned = (*good[:3], hashlib.sha256(data).hexdigest(), text, signer.sign(data), good[6])
        assert real(resigned, keys, names) is None, text
    assert real(good, keys, {**names, good[6]: "Someone Else"}) is None  # the actor's name


def _keys_and_names(world: World) -> tuple[dict[str, object], dict[str, str | None]]:
    from evidence.audit.events import CERTIFICATES_SQL, load_certificates
    from evidence.keys import common_name

    certs = load_certificates(world.ws.ledger.rows(CERTIFICATES_SQL))[0]
    keys: dict[str, object] = {fp: cert.public_key() for fp, cert in certs.items()}
    return keys, {fp: common_name(cert) for fp, cert in certs.items()}
