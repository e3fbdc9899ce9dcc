"""Commitments of HTML chats (one message a record, rule version 2), of zipped chat exports (the
records of the chat text inside), of Viber histories (one message a record, rule version 3) and
of version 1 and 2 commitments made before them."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import evidence.analysis
import evidence.ingest
from evidence.analysis import reprofile
from evidence.audit import audit
from evidence.bundle.build import build_bundle
from evidence.bundle.verify import verify_bundle
from evidence.events import item_events
from evidence.excerpt import Commitment, commit_bytes, ensure_secret, layout_of, records
from evidence.excerpt.disclose import open_excerpt
from evidence.excerpt.proof import verify_excerpt
from evidence.excerpt.source import name_sha256
from evidence.excerpt.split import HTML_MESSAGES, LINE, RULE_VERSION, VIBER, WHATSAPP
from evidence.items import list_items
from tests.bundle.bundle_support import REQUEST
from tests.excerpt.excerpt_support import chat_text, recorded
from tests.helpers import CASE, DATA, PASSPHRASE, World

TELEGRAM = DATA / "profiles" / "telegram" / "ChatExport_2026-11-05"
VK = DATA / "profiles" / "vk" / "messages0.html"
WHATSAPP_ZIP = DATA / "profiles" / "whatsapp" / "whatsapp_chat_ios.zip"
SAMPLE_CHAT = Path(__file__).parents[2] / "demo" / "sample-evidence" / "chats" / "_chat.txt"


def _commitment(world: World, item_id: str) -> Commitment:
    events = item_events(world.ws.ledger, item_id)
    latest = [e for e in events if e.body["action"] in ("profiled", "retyped")][-1]
    made = Commitment.from_json(latest.body["details"].get("records"))
    assert made is not None
    return made


def _item(world: World, name: str) -> str:
    return next(i.item_id for i in list_items(world.ws.ledger, CASE) if i.original_name == name)


def _seize(tmp_path: Path, *files: Path) -> Path:
    folder = tmp_path / "seized"
    folder.mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _check(world: World, item_id: str, ranges: str, out: Path) -> Any:
    records_file, proof = recorded(world, item_id, ranges, out)
    return verify_excerpt(records_file.read_bytes(), proof.read_bytes(), "x")


def test_html_chats_commit_one_record_per_message(world: World, tmp_path: Path) -> None:
    world.ingest(_seize(tmp_path, TELEGRAM / "messages.html", VK))
    for name, messages in (("messages.html", 7), ("messages0.html", 4)):
        item_id = _item(world, name)
        made = _commitment(world, item_id)
        assert (made.rule, made.rule_version) == (HTML_MESSAGES, RULE_VERSION)
        chosen = open_excerpt(world.ws, item_id, match='<div class="message')
        assert len(chosen.numbers) == messages
        verdict = _check(world, item_id, chosen.ranges, tmp_path / name)
        assert verdict.disclosed == messages
    assert audit(world.ws, fixity=True).ok


def _commit_under(version: int) -> Callable[..., Any]:
    """What custody wrote under an older rule version (1: HTML by line, zips and empty files
    uncommitted; 2: a Viber history by line)."""

    def commit(vault_root: Path, path: Path, name: str, media: str, sha: str, **_: object) -> Any:
        layout = layout_of(path, name, media)
        made = commit_bytes(path.read_bytes(), layout, ensure_secret(vault_root), sha, version)
        return None if made is None else made.to_json()

    return commit


def test_version_1_commitments_still_audit_and_excerpt(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "commit_vault_file", _commit_under(1))
        world.ingest(_seize(tmp_path, TELEGRAM / "messages.html", SAMPLE_CHAT))
    page, chat = _item(world, "messages.html"), _item(world, "_chat.txt")
    old = _commitment(world, page)
    assert (old.rule, old.rule_version) == (LINE, 1)
    assert old.count == len(records((TELEGRAM / "messages.html").read_bytes(), LINE))
    result = audit(world.ws, fixity=True)
    assert result.ok, [str(f) for f in result.findings]
    fixity = next(c for c in result.checks if c.name == "fixity")
    assert "2 record commitment(s) recomputed" in fixity.detail
    sent = recorded(world, page, "40-45", tmp_path / "v1")
    # `custody profile` re-commits the HTML page under version 2; the WhatsApp text's rule did
    # not change, so its version 1 commitment stands (no new event, excerpts stay good)
    report = reprofile(world.ws, world.expert, CASE)
    status = {o.item_id: o.status for o in report.outcomes}
    assert status == {page: "changed", chat: "unchanged"}
    new = _commitment(world, page)
    by_message = len(records((TELEGRAM / "messages.html").read_bytes(), HTML_MESSAGES))
    assert (new.rule, new.rule_version, new.count) == (HTML_MESSAGES, RULE_VERSION, by_message)
    assert by_message < old.count
    assert _commitment(world, chat).rule_version == 1
    # the excerpt proved against the version 1 root still verifies, and audit accepts both
    verdict = verify_excerpt(sent[0].read_bytes(), sent[1].read_bytes(), "x")
    assert verdict.count == old.count and verdict.ranges == "40-45"
    assert audit(world.ws, fixity=True).ok
    # a better parser re-profiles the chat: its commitment is signed again as it was (version
    # 1), so what was recorded against it stays good
    kept = _commitment(world, chat)
    real = evidence.analysis.profile_now

    def better(*args: Any) -> tuple[str, dict[str, Any]]:
        kind, profile = real(*args)
        return kind, {**profile, "improved": True}

    monkeypatch.setattr(evidence.analysis, "profile_now", better)
    report = reprofile(world.ws, world.expert, CASE)
    assert {o.item_id: o.status for o in report.outcomes}[chat] == "changed"
    assert _commitment(world, chat) == kept and kept.rule_version == 1


VIBER_TAB = DATA / "profiles" / "independent" / "viber" / "Viber Andrei Obmen.csv"


def test_version_2_viber_commitments_still_audit_and_excerpt(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(evidence.ingest, "commit_vault_file", _commit_under(2))
        world.ingest(_seize(tmp_path, VIBER_TAB, SAMPLE_CHAT))
    viber, chat = _item(world, VIBER_TAB.name), _item(world, "_chat.txt")
    old = _commitment(world, viber)
    data = VIBER_TAB.read_bytes()
    assert (old.layout, old.rule, old.rule_version) == ("viber-csv", LINE, 2)
    assert old.count == len(records(data, LINE)) == 6
    # record 5 under version 2 is the second line of a message: half of it
    sent = recorded(world, viber, "5", tmp_path / "v2")
    assert b"--- record 5 (72 bytes) ---\ntxid 1ca42913" in sent[0].read_bytes()
    assert audit(world.ws, fixity=True).ok
    # `custody profile` re-commits the Viber history under version 3, one message a record;
    # the WhatsApp text's rule did not change, so its older commitment stands
    report = reprofile(world.ws, world.expert, CASE)
    assert {o.item_id: o.status for o in report.outcomes} == {viber: "changed", chat: "unchanged"}
    new = _commitment(world, viber)
    assert (new.rule, new.rule_version, new.count) == (VIBER, RULE_VERSION, 5) and RULE_VERSION >= 3
    assert _commitment(world, chat).rule_version < 3
    # the version 2 excerpt still verifies against its own root; audit accepts both versions
    verdict = verify_excerpt(sent[0].read_bytes(), sent[1].read_bytes(), "x")
    assert (verdict.count, verdict.ranges) == (6, "5")
    assert audit(world.ws, fixity=True).ok
    # under version 3 the same message is disclosed whole: both its lines, byte for byte
    chosen = open_excerpt(world.ws, viber, match="txid 1ca42913")
    assert chosen.ranges == "4"
    whole = _check(world, viber, "4", tmp_path / "v3")
    assert (whole.count, whole.disclosed) == (5, 1)
    text = (tmp_path / "v3" / f"{viber}.records.txt").read_bytes()
    assert records(data, VIBER)[3] in text and b'"Done, ""hash"" below:\ntxid' in text


def test_whatsapp_zip_commits_to_its_chat_text(world: World, tmp_path: Path) -> None:
    world.ingest(_seize(tmp_path, WHATSAPP_ZIP))
    item_id = _item(world, WHATSAPP_ZIP.name)
    made = _commitment(world, item_id)
    with zipfile.ZipFile(WHATSAPP_ZIP) as z:
        chat = z.read("_chat.txt")
    assert (made.layout, made.rule, made.rule_version) == ("whatsapp-zip", WHATSAPP, RULE_VERSION)
    assert made.count == len(records(chat, WHATSAPP))
    assert made.to_json()["members"] == [
        {
            "name_sha256": name_sha256("_chat.txt"),
            "sha256": hashlib.sha256(chat).hexdigest(),
            "size": len(chat),
            "records": made.count,
        }
    ]
    # the member's name travels as its SHA-256 only; the profile names it at home
    assert "_chat.txt" not in json.dumps(made.to_json())
    profile = next(i for i in list_items(world.ws.ledger, CASE)).profile
    assert profile is not None and "_chat.txt" in json.dumps(profile)
    verdict = _check(world, item_id, f"1,{made.count}", tmp_path / "out")
    assert (verdict.disclosed, verdict.count) == (2, made.count)
    first = open_excerpt(world.ws, item_id, ranges="1").records()[0]
    assert chat.startswith(first)
    assert audit(world.ws, fixity=True).ok


def test_telegram_zip_commits_to_every_page_in_order(world: World, tmp_path: Path) -> None:
    pages = {
        f"ChatExport_2026-11-05/{p.name}": p.read_bytes()
        for p in (TELEGRAM / "messages2.html", TELEGRAM / "messages.html")
    }
    pages["ChatExport_2026-11-05/css/style.css"] = b"body {}\n"
    (tmp_path / "seized").mkdir()
    zipped = _zip(tmp_path / "seized" / "ChatExport_2026-11-05.zip", pages)
    world.ingest(tmp_path / "seized")
    item_id = _item(world, zipped.name)
    made = _commitment(world, item_id)
    first, second = (
        (TELEGRAM / "messages.html").read_bytes(),
        (TELEGRAM / "messages2.html").read_bytes(),
    )
    counts = [len(records(first, HTML_MESSAGES)), len(records(second, HTML_MESSAGES))]
    assert (made.layout, made.rule, made.count) == ("telegram-html-zip", HTML_MESSAGES, sum(counts))
    assert [m["records"] for m in made.members] == counts  # messages.html first
    assert [m["sha256"] for m in made.members] == [
        hashlib.sha256(first).hexdigest(),
        hashlib.sha256(second).hexdigest(),
    ]
    # an excerpt across the two pages: the last record of page 1, the first of page 2
    around = f"{counts[0]}-{counts[0] + 1}"
    chosen = open_excerpt(world.ws, item_id, ranges=around)
    assert chosen.records() == [
        records(first, HTML_MESSAGES)[-1],
        records(second, HTML_MESSAGES)[0],
    ]
    assert _check(world, item_id, around, tmp_path / "out").ranges == around
    assert audit(world.ws, fixity=True).ok


def test_zip_without_readable_chat_text_gets_no_commitment(world: World, tmp_path: Path) -> None:
    (tmp_path / "seized").mkdir()
    _zip(tmp_path / "seized" / "photos.zip", {"a.jpg": b"\xff\xd8\xff" + b"0" * 50})
    world.ingest(tmp_path / "seized")
    events = item_events(world.ws.ledger, _item(world, "photos.zip"))
    assert "records" not in events[-1].body["details"]


def test_bundle_of_a_zipped_chat_excerpt_verifies_and_names_no_member(
    world: World, tmp_path: Path
) -> None:
    chat = SAMPLE_CHAT.read_bytes().replace(b"\r\n", b"\n")
    (tmp_path / "seized").mkdir()
    name = "WhatsApp Chat with Марына Ковалева"
    zipped = _zip(tmp_path / "seized" / f"{name}.zip", {f"{name}.txt": chat, "IMG-1.jpg": b"x"})
    world.ingest(tmp_path / "seized")
    item_id = _item(world, zipped.name)
    assert _commitment(world, item_id).layout == "whatsapp-zip"
    recorded(world, item_id, "2-3", tmp_path / "made")
    prosecutor = world.ws.keys.unlock(
        world.ws.keys.create("Н. Петрова", "PGO", "BY", "prosecutor", PASSPHRASE), PASSPHRASE
    )
    out = tmp_path / "request.zip"
    build_bundle(world.ws, prosecutor, CASE, out, REQUEST, excerpt_specs=[f"{item_id}:2-3"])
    result = verify_bundle(out, fingerprints=[prosecutor.record.fingerprint])
    assert result.status == "verified", [str(f) for f in result.findings]
    assert result.excerpts[0].ranges == "2-3"
    with zipfile.ZipFile(out) as z:
        everything = b"".join(z.read(n) for n in z.namelist())
    assert "Ковалева".encode() not in everything and b"IMG-1" not in everything
    assert records(chat, WHATSAPP)[1] in everything


def test_zip_with_damaged_chat_member_gets_no_commitment_and_audit_says_why(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "seized").mkdir()
    # damaged at the head (detection cannot look in) and at the end (detection reads the
    # head, the commitment cannot read the rest)
    chat = chat_text(4000).encode()
    for where, name in ((5, "head.zip"), (-200, "tail.zip")):
        zipped = _zip(tmp_path / "seized" / name, {"_chat.txt": chat})
        data = bytearray(zipped.read_bytes())
        start = data.index(b"_chat.txt") + len(b"_chat.txt")
        end = data.index(b"PK\x01\x02")  # the central directory follows the member's bytes
        data[start + where if where > 0 else end + where] ^= 0xFF
        zipped.write_bytes(bytes(data))
    world.ingest(tmp_path / "seized")  # no traceback: the profile says what it could not read
    for name in ("head.zip", "tail.zip"):
        events = item_events(world.ws.ledger, _item(world, name))
        assert "records" not in events[-1].body["details"]
    assert audit(world.ws, fixity=True).ok
