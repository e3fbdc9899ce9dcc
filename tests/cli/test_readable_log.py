"""The log people read: fits the terminal, shows notes, names actors, marks what matters;
seal numbers and the seal history; local times; -q printing only problems."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from evidence.cli.view import display_width

from tests.test_cli import CASE, Shell, _ingest, _item_id

LONG_NOTE = "Expert opinion No 5-2026: no signs of editing; EXIF DateTimeOriginal matches " * 3


def _story(sh: Shell, photo: Path) -> str:
    _ingest(sh, photo, options=("--acquired-at", "2026-11-02T14:30:00+03:00"))
    item = _item_id(sh)
    sh("event", item, "--action", "sealed", "--seal", "0042117", "--as", "A. Ivanov")
    sh(
        "event",
        item,
        "--action",
        "analysed",
        "--as",
        "P. Sidorov",
        "--location",
        "Минск, ГКСЭ, лаборатория 3",
        "--purpose",
        "EXIF examination",
        "--note",
        LONG_NOTE,
    )
    sh("event", item, "--action", "unsealed", "--seal", "0042117", "--as", "P. Sidorov")
    sh("event", item, "--action", "copied", "--as", "P. Sidorov", "--purpose", "working copy")
    return item


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_log_fits_the_terminal_and_wide_shows_everything(sh: Shell, photo: Path) -> None:
    item = _story(sh, photo)
    for columns in ("100", "80", "60"):
        log = sh("log", item, env={"COLUMNS": columns}).stdout
        assert _widest(log) <= int(columns), log
        # Nothing is lost by fitting: the whole note is there, wrapped.
        assert "matches" in log.split("note:")[1] and log.count("no signs of editing") == 3
    # A partner's location in Chinese takes two columns a character: it must fit all the same.
    sh(
        "event",
        item,
        "--action",
        "accessed",
        "--as",
        "P. Sidorov",
        "--location",
        "北京市公安局物证室第三号柜" * 4,
        "--note",
        "证据完好无损" * 8,
    )
    for columns in ("100", "60"):
        log = sh("log", item, env={"COLUMNS": columns}).stdout
        assert max(display_width(line) for line in log.splitlines()) <= int(columns), log
        assert "".join(log.split()).count("北京市公安局物证室第三号柜") == 4
    wide = sh("log", item, "--wide", env={"COLUMNS": "60"}).stdout
    assert _widest(wide) > 200
    assert any(LONG_NOTE.strip() in line for line in wide.splitlines())


def test_log_names_actors_and_marks_out_of_custody_and_sealed_events(
    sh: Shell, photo: Path
) -> None:
    item = _story(sh, photo)
    fingerprint = json.loads(sh("key", "show", "P. Sidorov", "--json").stdout)["fingerprint"]
    log = sh("log", item, env={"COLUMNS": "100"}).stdout
    assert f"P. Sidorov [{fingerprint[:8]}] NOT CUSTODIAN" in log
    assert "sealed (seal 0042117)" in log
    analysed = next(line for line in log.splitlines() if "#4" in line)
    assert "analysed UNDER SEAL 0042117" in analysed
    copied = next(line for line in log.splitlines() if "#6" in line)
    assert "UNDER SEAL" not in copied  # unsealed before the copy
    assert "UNDER SEAL: accessed, analysed or copied" in log
    events = json.loads(sh("log", item, "--json").stdout)[0]["events"]
    assert [e["while_sealed"] for e in events] == [None, None, None, "0042117", None, None]
    assert [e["seal"] for e in events] == [None, None, "0042117", None, "0042117", None]


def test_seal_number_is_required_and_recorded_signed(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    missing = sh("event", item, "--action", "sealed", "--as", "A. Ivanov", code=2)
    assert "needs --seal" in missing.stderr
    stray = sh("event", item, "--action", "analysed", "--seal", "1", "--as", "A. Ivanov", code=2)
    assert "--seal goes only with" in stray.stderr
    sh("event", item, "--action", "sealed", "--seal", "0042117", "--as", "A. Ivanov")
    conn = sqlite3.connect(sh.root / "ledger.db")
    body = json.loads(conn.execute("SELECT body FROM events WHERE seq = 3").fetchone()[0])
    assert body["details"] == {"seal": "0042117"}


def test_audit_lists_inconsistent_seal_histories(sh: Shell, photo: Path, tmp_path: Path) -> None:
    other = tmp_path / "statement.txt"
    other.write_text("QIWI statement\n", encoding="utf-8")
    _ingest(sh, photo, other)
    first, second = (i["item_id"] for i in json.loads(sh("item", "list", "--json").stdout))
    sh("event", first, "--action", "sealed", "--seal", "A-1", "--as", "A. Ivanov")
    warned = sh("event", first, "--action", "unsealed", "--seal", "B-2", "--as", "A. Ivanov")
    assert "under seal A-1, not B-2" in warned.stderr
    warned = sh("event", second, "--action", "unsealed", "--seal", "C-3", "--as", "A. Ivanov")
    assert "not recorded as sealed" in warned.stderr
    result = json.loads(sh("audit", "--json").stdout)
    assert result["ok"] is True  # custody facts to explain, not tampering
    notices = {(n["subject"], n["message"]) for n in result["notices"]}
    assert notices == {
        (f"item {first} event #4", "unsealed seal B-2, but the item was under seal A-1"),
        (f"item {second} event #3", "unsealed (C-3) without having been sealed"),
    }
    assert "Seal history inconsistent" in sh("audit").stdout


def test_times_shown_in_the_given_offset_or_tz_with_utc_beside(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo, options=("--acquired-at", "2026-11-02T14:30:00+03:00"))
    item = _item_id(sh)
    shown = sh("item", "show", item).stdout
    assert "2026-11-02 14:30:00 +03:00 (11:30:00Z)" in shown
    assert "11:30:00.000000Z" not in shown
    in_utc = sh("item", "show", item, "--tz", "UTC").stdout
    assert "acquired at:   2026-11-02 11:30:00Z" in in_utc
    in_env = sh("log", item, env={"CUSTODY_TZ": "Asia/Almaty", "COLUMNS": "200"}).stdout
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[56]:00", in_env), in_env
    for zone in ("Mars/Olympus", "Europe", "../../etc/passwd", "+24:00"):
        bad = sh("log", item, "--tz", zone, code=2)
        assert "--tz" in bad.stderr and "not a" in bad.stderr
    # Stored values stay UTC.
    assert json.loads(sh("item", "show", item, "--json").stdout)["acquired_at"].endswith("Z")


def test_item_show_names_the_ingesting_actor_and_sizes_for_people(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    item = _item_id(sh)
    size = photo.stat().st_size
    shown = sh("item", "show", item).stdout
    assert re.search(r"ingested by:\s+A\. Ivanov \[[0-9a-f]{8}\]", shown)
    assert f"{size / 1024:.1f} KiB ({size} bytes)" in shown
    assert json.loads(sh("item", "show", item, "--json").stdout)["size"] == size
    assert "seal:          not sealed" in shown
    sh("event", item, "--action", "sealed", "--seal", "0042117", "--as", "A. Ivanov")
    sh("transfer", item, "--as", "A. Ivanov", "--to", "Evidence Room")
    shown = sh("item", "show", item).stdout
    assert "seal:          under seal 0042117" in shown
    assert re.search(
        r"held by:\s+A\. Ivanov \[\w{8}\], transfer to Evidence Room \[\w{8}\] pending", shown
    )
    data = json.loads(sh("item", "show", item, "--json").stdout)
    assert data["seal"] == "0042117" and data["custody"]["pending_to"]["name"] == "Evidence Room"


def test_quiet_prints_only_problems(sh: Shell, photo: Path) -> None:
    assert _ingest(sh, photo, options=("-q",)).stdout == ""
    item = _item_id(sh)
    for args in (
        ("event", item, "--action", "accessed", "--as", "A. Ivanov", "-q"),
        ("transfer", item, "--to", "Evidence Room", "--as", "A. Ivanov", "-q"),
        ("checkpoint", "--as", "A. Ivanov", "-q"),
        ("audit", "-q"),
        ("item", "digests", item, "--legacy", "--as", "A. Ivanov", "-q"),
        ("case", "new", "BY-2026-0043", "--title", "t", "--jurisdiction", "BY", "-q"),
        ("key", "new", "--name", "Q", "--org", "O", "--country", "BY", "--role", "expert", "-q"),
    ):
        result = sh(*args)
        assert result.stdout == "" and result.stderr == "", args
    # A pending transfer is a problem worth printing even when quiet.
    assert "PENDING" in sh("log", item, "-q").stdout


def test_dry_run_writes_nothing_and_says_what_would_happen(
    sh: Shell, photo: Path, tmp_path: Path
) -> None:
    _ingest(sh, photo)
    chat = tmp_path / "seized" / "WhatsApp Chat with Андрей.txt"
    chat.write_text("02.11.2026, 14:03 - Андрей: Привет, скинь номер карты\n", encoding="utf-8")
    (tmp_path / "seized" / "link").symlink_to(chat)
    db = (sh.root / "ledger.db").read_bytes()
    vault = sorted(p.name for p in (sh.root / "vault").rglob("*"))
    result = sh(
        "ingest",
        str(tmp_path / "seized"),
        "--case",
        CASE,
        "--source",
        "other phone",
        "--dry-run",
        "--json",
        env={"CUSTODY_PASSPHRASE": None},  # type: ignore[dict-item]
    )
    report = json.loads(result.stdout)
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses == {
        "IMG_0001.jpg": "existing",
        "WhatsApp Chat with Андрей.txt": "new",
        "link": "skipped",
    }
    new = next(f for f in report["files"] if f["status"] == "new")
    assert new["evidence_type"] == "chat-export" and new["profile"] == "whatsapp-chat"
    existing = next(f for f in report["files"] if f["status"] == "existing")
    assert existing["differs"] == ["source"]
    assert report["dry_run"] is True
    assert (sh.root / "ledger.db").read_bytes() == db
    assert sorted(p.name for p in (sh.root / "vault").rglob("*")) == vault
    # The real ingest then does what the dry run said.
    real = json.loads(_ingest(sh, chat, options=("--json",)).stdout)["files"][0]
    assert (real["status"], real["item_id"], real["evidence_type"]) == (
        "ingested",
        new["item_id"],
        "chat-export",
    )
    shown = json.loads(sh("item", "show", new["item_id"], "--json").stdout)
    assert shown["profile"]["kind"] == new["profile"]


def test_a_correction_by_the_seizing_investigator_is_not_out_of_custody(
    sh: Shell, photo: Path
) -> None:
    _ingest(sh, photo, options=("--acquired-at", "2026-11-02T14:30:00+03:00"))
    item = _item_id(sh)
    sh("transfer", item, "--as", "A. Ivanov", "--to", "Evidence Room")
    sh("receive", item, "--as", "Evidence Room")
    sh(
        "item",
        "amend",
        item,
        "--method",
        "UFED 7.6",
        "--reason",
        "protocol No 17",
        "--as",
        "A. Ivanov",
    )
    sh("item", "amend", item, "--method", "UFED 7.7", "--reason", "typo", "--as", "P. Sidorov")
    events = json.loads(sh("log", item, "--json").stdout)[0]["events"]
    amended = [(e["actor"], e["out_of_custody"]) for e in events if e["action"] == "amended"]
    # The seizer corrects the seizure facts: a record about the seizure, not custody. Anyone
    # else not holding the item is still marked.
    assert amended == [("A. Ivanov", False), ("P. Sidorov", True)]
