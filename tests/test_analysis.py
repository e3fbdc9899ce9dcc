"""Profiles as analyses: signed `profiled`/`retyped` events, re-profiling, retyping, old ledgers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import evidence.ingest
from evidence.analysis import reprofile, retype
from evidence.audit import audit
from evidence.cases import get_case
from evidence.errors import UsageError
from evidence.events import item_events, new_body, sign_event, write_event
from evidence.hashing import Digests
from evidence.identifiers import collect_identifiers
from evidence.ingest import IngestOptions
from evidence.items import Item, get_item, ingest_facts, item_id_for, list_items
from evidence.profiles import PROFILE_VERSION, build_profile
from evidence.timefmt import utc_now
from tests.helpers import CASE, DATA, World

IOS_CHAT = DATA / "profiles" / "whatsapp" / "ios_loose_group_chat.txt"
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def _old_parser(path: Path, evidence_type: str, **kwargs: Any) -> dict[str, Any]:
    # what version 1 said about a loose iOS export: JSON, malformed
    if path.read_bytes()[:1] == b"[":
        return {"kind": "wallet-record", "profile_version": 1, "error": "malformed JSON"}
    return build_profile(path, evidence_type, **kwargs)


def _seized(tmp_path: Path) -> Path:
    root = tmp_path / "seized"
    root.mkdir()
    shutil.copy(IOS_CHAT, root / "_chat.txt")
    shutil.copy(DATA / "images" / "GPS.jpg", root / "IMG_0002.jpg")
    os.utime(root / "_chat.txt", ns=(1_700_000_000_123_456_000, 1_700_000_000_123_456_000))
    return root


def test_original_mtime_recorded_and_shown(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path))
    chat = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name == "_chat.txt")
    assert chat.original_times == {"mtime": "2023-11-14T22:13:20.123456Z", "birthtime": None}
    assert chat.to_json()["original_times"]["mtime"] == "2023-11-14T22:13:20.123456Z"


def test_parser_fix_reaches_evidence_already_held(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "build_profile", _old_parser)
        world.ingest(_seized(tmp_path))
    chat = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name == "_chat.txt")
    assert chat.profile is not None and chat.profile.get("error") == "malformed JSON"
    assert collect_identifiers([(chat.item_id, chat.profile)]) == []

    report = reprofile(world.ws, world.expert, CASE)
    assert (report.count("changed"), report.count("unchanged")) == (1, 1)
    outcome = next(o for o in report.outcomes if o.item_id == chat.item_id)
    assert (outcome.previous_version, outcome.parser_version, outcome.seq) == (
        1,
        PROFILE_VERSION,
        3,
    )

    now = get_item(world.ws.ledger, chat.item_id)
    assert now.evidence_type == "chat-export" and now.profile is not None
    assert now.profile["kind"] == "whatsapp-chat" and now.profile["message_count"] == 8
    assert now.analysis is not None and now.analysis["seq"] == 3
    assert now.analysis["by"] == world.expert.record.name
    rows = collect_identifiers([(now.item_id, now.profile)])
    assert BTC in {r.value for r in rows}
    # the history stays: the ingest-time analysis is still event #2
    actions = [e.body["action"] for e in item_events(world.ws.ledger, chat.item_id)]
    assert actions == ["ingested", "profiled", "profiled"]
    assert audit(world.ws).ok
    # nothing changed since: a second run signs nothing
    again = reprofile(world.ws, world.expert, CASE)
    assert again.count("changed") == 0
    assert len(item_events(world.ws.ledger, chat.item_id)) == 3


def test_retype_to_photo_is_kept_by_reprofiling(world: World, tmp_path: Path) -> None:
    opts = IngestOptions(case=CASE, source="Samsung A51", evidence_type="screenshot")
    world.ingest(_seized(tmp_path) / "IMG_0002.jpg", options=opts)
    item = list_items(world.ws.ledger, CASE)[0]
    assert item.evidence_type == "screenshot"
    before, event = retype(
        world.ws, world.investigator, item.item_id[:6], "photo", "camera original (GPS, make)"
    )
    assert before.evidence_type == "screenshot"
    assert event.body["action"] == "retyped" and event.body["note"].startswith("camera")
    assert event.body["details"]["previous_type"] == "screenshot"
    now = get_item(world.ws.ledger, item.item_id)
    assert now.evidence_type == "photo" and now.analysis is not None
    assert now.analysis["action"] == "retyped" and now.analysis["type_source"] == "retyped"
    assert reprofile(world.ws, world.expert, CASE).count("changed") == 0
    assert get_item(world.ws.ledger, item.item_id).evidence_type == "photo"
    assert audit(world.ws).ok
    with pytest.raises(UsageError, match="already of type photo"):
        retype(world.ws, world.investigator, item.item_id, "photo", "again")
    with pytest.raises(UsageError, match="not one of"):
        retype(world.ws, world.investigator, item.item_id, "selfie", "no such type")
    with pytest.raises(UsageError, match="--reason"):
        retype(world.ws, world.investigator, item.item_id, "document", "  ")


def test_camera_original_is_detected_as_photo(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path) / "IMG_0002.jpg")
    assert list_items(world.ws.ledger, CASE)[0].evidence_type == "photo"


def _legacy_ingest(world: World, path: Path) -> Item:
    """An item as ledgers written before profiles became analyses hold it: type and profile
    sealed into the ingest event, no `profiled` event."""
    data = path.read_bytes()
    vault_file = world.ws.vault.path_for(hashlib.sha256(data).hexdigest())
    vault_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    vault_file.write_bytes(data)
    vault_file.chmod(0o400)  # as the vault writes its copies: read-only, owner only

    digests = Digests(hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest())
    item = Item(
        item_id=item_id_for(CASE, digests.sha256),
        case_number=CASE,
        digests=digests,
        size=len(data),
        media_type="text/plain",
        evidence_type="other",
        original_name=path.name,
        original_path=str(path),
        source="old tool",
        acquired_at=None,
        acquisition_method=None,
        metadata={},
        profile={"kind": "none", "profile_version": 1},
        # Now, not a date long past: the test's keys were enrolled just now, and a key signs
        # nothing dated before its enrolment (a real old ledger's keys are adopted with it).
        ingested_at=utc_now(),
        ingested_by=world.investigator.record.fingerprint,
    )
    details = ingest_facts(item, get_case(world.ws.ledger, CASE), with_analysis=True)
    body = new_body(
        world.investigator,
        item_id=item.item_id,
        case=CASE,
        seq=1,
        prev=item.sha256,
        item_sha256=item.sha256,
        action="ingested",
        purpose="ingest into the evidence vault",
        details=details,
        at=item.ingested_at,  # the row's ingested_at is bound to its event's time
    )
    with world.ws.ledger.atomic():
        world.ws.ledger.insert("items", item.to_row())
        write_event(world.ws.ledger, sign_event(world.investigator, body))
    return item


def test_old_ledger_items_keep_auditing_and_can_be_reprofiled(world: World) -> None:
    old = _legacy_ingest(world, IOS_CHAT)
    first = audit(world.ws)
    assert first.ok, [str(f) for f in first.findings]
    assert get_item(world.ws.ledger, old.item_id).analysis is None
    report = reprofile(world.ws, world.expert, CASE)
    assert report.count("changed") == 1
    now = get_item(world.ws.ledger, old.item_id)
    assert (now.evidence_type, now.profile and now.profile["kind"]) == (
        "chat-export",
        "whatsapp-chat",
    )
    assert now.analysis is not None and "did not say" in now.analysis["reason"]
    assert audit(world.ws).ok


def test_old_ledger_item_row_edit_still_caught(world: World) -> None:
    old = _legacy_ingest(world, IOS_CHAT)
    conn = sqlite3.connect(world.ws.ledger.path)
    conn.execute("DROP TRIGGER items_no_update")
    conn.execute("UPDATE items SET evidence_type = 'document' WHERE item_id = ?", (old.item_id,))
    conn.commit()
    conn.close()
    findings = [str(f) for f in audit(world.ws).findings]
    assert any("differs from its signed ingest event: evidence_type" in f for f in findings)


def test_hand_written_profiled_event_with_forged_profile(world: World, tmp_path: Path) -> None:
    """An insider signs a `profiled` event whose profile does not hash to what it signs."""
    world.ingest(_seized(tmp_path) / "_chat.txt")
    item = list_items(world.ws.ledger, CASE)[0]
    events = item_events(world.ws.ledger, item.item_id)
    details = dict(events[-1].body["details"])
    details["profile"] = {**details["profile"], "identifiers": [{"kind": "phone", "value": "+1"}]}
    body = new_body(
        world.expert,
        item_id=item.item_id,
        case=CASE,
        seq=3,
        prev=events[-1].hash,
        item_sha256=item.sha256,
        action="profiled",
        details=details,
    )
    with world.ws.ledger.atomic():
        write_event(world.ws.ledger, sign_event(world.expert, body))
    findings = [str(f) for f in audit(world.ws).findings]
    assert any("does not hash to the profile_sha256" in f for f in findings), findings


def test_cli_profile_and_retype(world: World, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from evidence.cli.main import cli

    from tests.helpers import PASSPHRASE

    world.ingest(_seized(tmp_path))
    runner = CliRunner()
    env = {"CUSTODY_PASSPHRASE": PASSPHRASE}
    base = ["--workspace", str(world.ws.root)]
    res = runner.invoke(cli, [*base, "profile", "--case", CASE, "--as", "P. Sidorov", "--json"],
                        env=env)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["changed"] == 0
    photo = next(i for i in list_items(world.ws.ledger, CASE) if i.original_name.endswith("jpg"))
    args = ["item", "retype", photo.item_id, "document", "--reason", "a scan", "--as", "А. Иванов"]
    res = runner.invoke(cli, [*base, *args], env=env)
    assert res.exit_code == 0, res.output
    shown = runner.invoke(cli, [*base, "item", "show", photo.item_id], env=env).stdout
    assert "evidence type" in shown and "document" in shown and "(retyped)" in shown
    bad = runner.invoke(cli, [*base, "item", "retype", photo.item_id, "selfie", "--reason", "x"])
    assert bad.exit_code == 2
    res = runner.invoke(cli, [*base, "profile", "--case", "NO-SUCH", "--as", "P. Sidorov"], env=env)
    assert res.exit_code != 0 and "Traceback" not in res.output


def test_missing_vault_file_is_reported_not_profiled(world: World, tmp_path: Path) -> None:
    world.ingest(_seized(tmp_path) / "_chat.txt")
    (item,) = list_items(world.ws.ledger, CASE)
    vault_file = world.ws.vault.path_for(item.sha256)
    vault_file.chmod(0o600)
    vault_file.unlink()
    report = reprofile(world.ws, world.expert, CASE)
    assert [o.status for o in report.outcomes] == ["missing"]
    assert len(item_events(world.ws.ledger, item.item_id)) == 2  # nothing signed


def test_item_lists_read_the_analyses_of_their_own_case_only(world: World, tmp_path: Path) -> None:
    # list_items reads the analysis events of the listed items' cases only (not every event of
    # the ledger); the latest analysis of each item, retypes included, is still the one shown.
    from evidence.cases import create_case

    create_case(world.ws.ledger, "BY-2026-0043", "second case", "BY", "", "test")
    seized = _seized(tmp_path)
    opts = IngestOptions(case=CASE, source="Samsung A51", evidence_type="screenshot")
    world.ingest(seized / "IMG_0002.jpg", options=opts)
    other = IngestOptions(case="BY-2026-0043", source="Samsung A51", evidence_type="screenshot")
    world.ingest(seized / "IMG_0002.jpg", seized / "_chat.txt", options=other)
    first = list_items(world.ws.ledger, CASE)[0]
    retype(world.ws, world.investigator, first.item_id, "photo", "camera original")
    ours = list_items(world.ws.ledger, CASE)
    theirs = list_items(world.ws.ledger, "BY-2026-0043")
    assert [i.evidence_type for i in ours] == ["photo"]
    assert [i.evidence_type for i in theirs] == ["screenshot", "screenshot"]
    assert all(i.analysis is not None and i.original_times for i in ours + theirs)
    every = list_items(world.ws.ledger)
    assert sorted(i.evidence_type for i in every) == ["photo", "screenshot", "screenshot"]
    # Without analyses (what `custody event` signs for): the items as their rows hold them.
    from evidence.items import select

    rows_only = select(world.ws.ledger, CASE, None, analyses=False)
    assert [(i.item_id, i.evidence_type, i.analysis) for i in rows_only] == [
        (first.item_id, "screenshot", None)
    ]
    by_ref = select(world.ws.ledger, None, [first.item_id[:6]], analyses=False)
    assert [i.evidence_type for i in by_ref] == ["screenshot"]
    assert [i.evidence_type for i in select(world.ws.ledger, None, [first.item_id])] == ["photo"]
