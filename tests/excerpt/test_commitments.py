"""Record commitments signed at profiling: ingest, `custody profile`, and audit --fixity."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

import evidence.ingest
from evidence.analysis import reprofile
from evidence.audit import AuditResult, audit
from evidence.errors import OperationalError
from evidence.events import item_events
from evidence.excerpt import (
    Commitment,
    ensure_secret,
    read_secret,
    records,
    root_of,
    salted_leaf,
    secret_path,
)
from evidence.excerpt.salts import item_key, salt
from evidence.items import get_item, list_items
from tests.helpers import CASE, World

SAMPLE = Path(__file__).parents[2] / "demo" / "sample-evidence"
CHAT = SAMPLE / "chats" / "WhatsApp Chat with Марына Ковалева.txt"


def _seized(tmp_path: Path) -> Path:
    folder = tmp_path / "seized"
    folder.mkdir()
    shutil.copy(CHAT, folder / CHAT.name)
    shutil.copy(SAMPLE / "chats" / "result.json", folder / "result.json")
    shutil.copy(SAMPLE / "wallets" / "qiwi_statement.csv", folder / "qiwi_statement.csv")
    return folder


def _commitment(world: World, item_id: str) -> Commitment | None:
    events = item_events(world.ws.ledger, item_id)
    latest = [e for e in events if e.body["action"] in ("profiled", "retyped")][-1]
    return Commitment.from_json(latest.body["details"].get("records"))


def _messages(result: AuditResult, check: str) -> list[str]:
    return [f.message for f in result.findings if f.check == check]


def test_ingest_signs_commitments_of_text_items(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path))
    secret = read_secret(world.ws.vault.root)
    assert secret is not None
    mode = stat.S_IMODE(secret_path(world.ws.vault.root).stat().st_mode)
    assert mode == 0o600
    layouts = {}
    for item in list_items(world.ws.ledger, CASE):
        made = _commitment(world, item.item_id)
        assert made is not None, item.original_name
        layouts[item.original_name] = (made.layout, made.rule, made.count)
        data = world.ws.vault.path_for(item.sha256).read_bytes()
        key = item_key(secret, item.sha256)
        parts = records(data, made.rule)
        leaves = [salted_leaf(salt(key, i), r) for i, r in enumerate(parts)]
        assert root_of(leaves).hex() == made.root and len(parts) == made.count
        assert item.analysis is not None and item.analysis["records"] == made.to_json()
    assert layouts == {
        CHAT.name: ("whatsapp-text", "whatsapp", 8),
        "result.json": ("telegram-json", "json-messages", 8),
        "qiwi_statement.csv": ("statement-csv", "csv-rows", 6),
    }
    result = audit(world.ws, fixity=True)
    assert result.ok, [str(f) for f in result.findings]
    fixity = next(c for c in result.checks if c.name == "fixity")
    assert "3 record commitment(s) recomputed" in fixity.detail


def test_images_have_no_commitment_and_empty_files_commit_to_zero_records(
    world: World, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir)
    made = {i.original_name: _commitment(world, i.item_id) for i in list_items(world.ws.ledger)}
    assert made["IMG_0001.jpg"] is None
    empty = made["empty.bin"]
    assert empty is not None and (empty.layout, empty.count) == ("empty", 0)
    assert empty.root == root_of([]).hex() == hashlib.sha256(b"").hexdigest()
    chat = made["переписка ВК.txt"]
    assert chat is not None and chat.count == 1


def test_profile_adds_commitments_to_items_held(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:  # as a version before commitments ingested it
        patch.setattr(evidence.ingest, "commit_vault_file", lambda *a, **kw: None)
        world.ingest(_seized(tmp_path))
    items = list_items(world.ws.ledger, CASE)
    assert all(_commitment(world, i.item_id) is None for i in items)
    report = reprofile(world.ws, world.expert, CASE)
    assert report.count("changed") == 3
    for item in items:
        now = get_item(world.ws.ledger, item.item_id)
        assert now.analysis is not None
        assert now.analysis["reason"] == "record commitments added"
        assert _commitment(world, item.item_id) is not None
    assert reprofile(world.ws, world.expert, CASE).count("changed") == 0
    assert audit(world.ws, fixity=True).ok


def _tamper_vault(world: World, name: str) -> None:
    item = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name == name)
    path = world.ws.vault.path_for(item.sha256)
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)


def test_audit_fixity_recomputes_commitments(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path))
    _tamper_vault(world, "result.json")
    result = audit(world.ws, fixity=True)
    found = _messages(result, "fixity")
    assert any("SHA-256 is" in m for m in found)
    assert "record commitment (8 records) does not match the vault copy's records" in found


def test_lost_secret_is_said_and_profile_commits_anew(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path))
    old = read_secret(world.ws.vault.root)
    secret_path(world.ws.vault.root).unlink()
    assert audit(world.ws).ok  # without --fixity the secret is not needed
    found = _messages(audit(world.ws, fixity=True), "fixity")
    assert len(found) == 1 and "excerpt secret missing: 3 record commitment(s)" in found[0]
    # a new secret: the current commitments were made under another one, and say so
    report = reprofile(world.ws, world.expert, CASE)
    assert report.count("changed") == 3
    assert read_secret(world.ws.vault.root) != old
    assert audit(world.ws, fixity=True).ok


def test_secret_from_another_vault_is_named(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path))
    path = secret_path(world.ws.vault.root)
    path.unlink()
    ensure_secret(world.ws.vault.root)
    found = _messages(audit(world.ws, fixity=True), "fixity")
    assert len(found) == 3
    assert all("was made under excerpt secret" in m for m in found)


def test_damaged_secret_is_an_operational_error(tmp_path: Path) -> None:
    secret_path(tmp_path).write_text("not hex\n", encoding="ascii")
    with pytest.raises(OperationalError, match="is not an excerpt secret"):
        ensure_secret(tmp_path)


def test_secret_is_made_once(tmp_path: Path) -> None:
    first = ensure_secret(tmp_path)
    assert ensure_secret(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["excerpt-secret"]
