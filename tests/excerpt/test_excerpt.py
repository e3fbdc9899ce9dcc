"""`custody excerpt`, the signed `excerpted` event, and the excerpt's files under attack."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.audit import audit
from evidence.custody import append_events
from evidence.errors import UsageError, VerificationError
from evidence.events import item_events
from evidence.excerpt.disclose import open_excerpt, parse_ranges, record_excerpt
from evidence.excerpt.proof import verify_excerpt
from evidence.excerpt.salts import secret_path
from evidence.excerpt.split import RULE_VERSION
from tests.excerpt.excerpt_support import cli_args, edit_proof, ingest_chat, recorded
from tests.helpers import PASSPHRASE, World


def test_parse_ranges() -> None:
    assert parse_ranges("3-5, 9,4", 10) == [3, 4, 5, 9]
    for bad in ("0", "11", "5-3", "x", "1-", ""):
        with pytest.raises(UsageError):
            parse_ranges(bad, 10)


def test_match_with_context(world: World, tmp_path: Path) -> None:
    item = ingest_chat(world, tmp_path)
    chosen = open_excerpt(world.ws, item, match=r"(?m)сообщение (7|20)$", context=1)
    assert chosen.numbers == (6, 7, 8, 19, 20, 21)
    assert chosen.records()[1].startswith("02.11.2026, 14:06 - Олег: сообщение 7\n".encode())


def test_recorded_excerpt_verifies(world: World, tmp_path: Path) -> None:
    item = ingest_chat(world, tmp_path)
    records, proof = recorded(world, item, "2-4,10,40", tmp_path / "out")
    verdict = verify_excerpt(records.read_bytes(), proof.read_bytes(), "excerpt")
    assert (verdict.disclosed, verdict.count, verdict.ranges) == (5, 40, "2-4,10,40")
    assert verdict.signer == world.investigator.record.fingerprint
    assert verdict.summary().startswith(f"excerpt: 5 of 40 records (2-4,10,40) of item {item}")
    event = item_events(world.ws.ledger, item)[-1]
    assert event.body["schema"] == "custody-event/3" and event.body["action"] == "excerpted"
    assert event.body["details"]["records"] == "2-4,10,40"
    assert "профиль" not in json.dumps(event.body, ensure_ascii=False)
    assert "сообщение" not in json.dumps(event.body, ensure_ascii=False)
    assert audit(world.ws, fixity=True).ok
    # the readable file shows each record under its number; nothing of the others travels
    text = records.read_text(encoding="utf-8")
    assert "--- record 10 (" in text and "сообщение 10\nпродолжение 10 bc1qar0s\n" in text
    assert "сообщение 11" not in text and "сообщение 11" not in proof.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Attack:
    """One way to tamper with an excerpt, and the failure it must give."""

    name: str
    tamper: Callable[[Path, Path, Path, Path], None]
    message: str  # what custody verify says
    standalone: str  # what the standalone checker says


def _change_byte(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    data = records.read_bytes()
    at = data.index("сообщение 3".encode())
    records.write_bytes(data[:at] + b"C" + data[at + 1 :])


def _swap_records(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    text = records.read_bytes()
    a = re.search(rb"--- record 2 \((\d+) bytes\) ---\n", text)
    b = re.search(rb"--- record 3 \((\d+) bytes\) ---\n", text)
    assert a and b
    ra = text[a.end() : a.end() + int(a.group(1))]
    rb_ = text[b.end() : b.end() + int(b.group(1))]
    head = text[: a.start()]
    rest = text[b.end() + int(b.group(1)) :]
    records.write_bytes(
        head
        + f"--- record 2 ({len(rb_)} bytes) ---\n".encode()
        + rb_
        + b"\n"
        + f"--- record 3 ({len(ra)} bytes) ---\n".encode()
        + ra
        + rest
    )


def _renumber(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    records.write_bytes(records.read_bytes().replace(b"--- record 10 (", b"--- record 11 ("))


def _other_item_record(records: Path, proof: Path, other_r: Path, other_p: Path) -> None:
    # record 10 and its salt and leaf taken from the same place in another chat's excerpt
    mine, theirs = json.loads(proof.read_bytes()), json.loads(other_p.read_bytes())
    disclosed = [
        next(t for t in theirs["disclosed"] if t["number"] == d["number"])
        if d["number"] == 10
        else d
        for d in mine["disclosed"]
    ]
    edit_proof(proof, {"disclosed": disclosed})
    text = other_r.read_bytes()
    found = re.search(rb"--- record 10 \((\d+) bytes\) ---\n", text)
    assert found
    theirs_10 = text[found.start() : found.end() + int(found.group(1)) + 1]
    data = records.read_bytes()
    mine_10 = re.search(rb"--- record 10 \((\d+) bytes\) ---\n", data)
    assert mine_10
    end = mine_10.end() + int(mine_10.group(1)) + 1
    records.write_bytes(data[: mine_10.start()] + theirs_10 + data[end:])


def _swap_salts(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    disclosed = json.loads(proof.read_bytes())["disclosed"]
    disclosed[0]["salt"], disclosed[1]["salt"] = disclosed[1]["salt"], disclosed[0]["salt"]
    edit_proof(proof, {"disclosed": disclosed})


def _other_multiproof(records: Path, proof: Path, _r: Path, other_p: Path) -> None:
    edit_proof(proof, {"multiproof": json.loads(other_p.read_bytes())["multiproof"]})


def _drop_proof_hash(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    edit_proof(proof, {"multiproof": json.loads(proof.read_bytes())["multiproof"][:-1]})


def _forged_signature(records: Path, proof: Path, _r: Path, _p: Path) -> None:
    event = json.loads(proof.read_bytes())["event"]
    event["event"]["details"]["records"] = "2-4,10"
    edit_proof(proof, {"event": event})


ATTACKS = [
    Attack("changed byte", _change_byte, r"record\(s\) 3: bytes and salt do not give", "record 3:"),
    Attack("records moved", _swap_records, r"record\(s\) 2-3: bytes and salt", "record 2:"),
    Attack("renumbered", _renumber, "the records file holds records 2-4,11,40", "records file"),
    Attack("other item", _other_item_record, "leaves are not those the excerpted event", "leaves"),
    Attack("salts swapped", _swap_salts, r"record\(s\) 2-3: bytes and salt", "record 2:"),
    Attack("other proof", _other_multiproof, "do not rebuild the signed root", "root"),
    Attack("proof cut", _drop_proof_hash, "multiproof does not fit 40 records", "too few"),
    Attack("event edited", _forged_signature, "does not hash to the hash it carries", "hash"),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_hostile_excerpts_fail_precisely(
    two_excerpts: tuple[Path, Path, Path, Path], attack: Attack
) -> None:
    records, proof, other_r, other_p = two_excerpts
    attack.tamper(records, proof, other_r, other_p)
    with pytest.raises(VerificationError) as failed:
        verify_excerpt(records.read_bytes(), proof.read_bytes(), "excerpt")
    assert re.search(attack.message, str(failed.value)), str(failed.value)


def test_cli_excerpt(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    item = ingest_chat(world, tmp_path)
    base = [*cli_args(world), "excerpt", item]
    runner = CliRunner()
    dry = runner.invoke(cli, [*base, "--match", "(?m)сообщение 1$", "--context", "1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("would disclose 2 of 40 records (1-2) of item")
    shown = runner.invoke(cli, [*base, "--records", "1"])
    assert shown.stdout.splitlines() == [
        "      1  02.11.2026, 14:00 - Олег: сообщение 1",
        "         продолжение 1 bc1qar0s",
    ]
    usage = runner.invoke(cli, [*base, "--records", "1", "--match", "x", "--as", "А. Иванов"])
    assert usage.exit_code == 2
    assert "either --records" in usage.stderr and "--reason must say" in usage.stderr
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("CUSTODY_PASSPHRASE", PASSPHRASE)
    signed = runner.invoke(
        cli,
        [*base, "--records", "5-6", "--reason", "transfer", "--as", "А. Иванов", "-o", str(out)],
    )
    assert signed.exit_code == 0, signed.output
    assert "recorded as event #3" in signed.stderr
    verdict = verify_excerpt(
        (out / f"{item}.records.txt").read_bytes(), (out / f"{item}.proof.json").read_bytes(), "x"
    )
    assert verdict.ranges == "5-6" and verdict.reason == "transfer"
    beyond = runner.invoke(cli, [*base, "--records", "41"])
    assert beyond.exit_code == 2 and "records 1 to 40" in beyond.stderr


def test_item_show_shows_the_commitment(world: World, tmp_path: Path) -> None:
    item = ingest_chat(world, tmp_path)
    root = open_excerpt(world.ws, item, ranges="1").commitment.root
    show = [*cli_args(world), "item", "show", item]
    runner = CliRunner()
    short = runner.invoke(cli, show)
    assert short.exit_code == 0, short.output
    line = f"40 records (whatsapp, rule v{RULE_VERSION}), root {root[:12]}…"
    assert any(row.split(None, 1)[-1] == line for row in short.stdout.splitlines()), short.stdout
    assert root not in short.stdout
    wide = runner.invoke(cli, [*show, "--wide"])
    assert f"40 records (whatsapp, rule v{RULE_VERSION}), root {root}" in wide.stdout
    data = json.loads(runner.invoke(cli, [*show, "--json"]).stdout)
    assert data["analysis"]["records"]["root"] == root
    assert data["analysis"]["records"]["count"] == 40


def test_excerpt_refuses_without_commitment_or_secret(world: World, tmp_path: Path) -> None:
    item = ingest_chat(world, tmp_path)
    shutil.move(secret_path(world.ws.vault.root), tmp_path / "kept")
    with pytest.raises(UsageError, match="excerpt secret is not the one"):
        open_excerpt(world.ws, item, ranges="1")


def test_audit_checks_the_excerpt_restates_its_commitment(world: World, tmp_path: Path) -> None:
    item = ingest_chat(world, tmp_path)
    chosen = open_excerpt(world.ws, item, ranges="1-2")
    good = record_excerpt(world.ws, world.investigator, chosen, "why")
    assert audit(world.ws).ok
    # a signed excerpt that claims another root than the profiled event it names
    details = {
        **good.body["details"],
        "commitment": {**chosen.commitment.to_json(), "root": "0" * 64},
    }
    append_events(world.ws.ledger, world.investigator, [chosen.item], "excerpted", details=details)
    wrong = {**good.body["details"], "commitment_event": {"seq": 1, "hash": "0" * 64}}
    append_events(world.ws.ledger, world.investigator, [chosen.item], "excerpted", details=wrong)
    found = [(f.check, f.message) for f in audit(world.ws).findings]
    assert found == [
        ("profiles", "excerpt's commitment is not the one event #2 signs"),
        ("profiles", "excerpt names no earlier profiled event of its item"),
    ]


@pytest.mark.parametrize("lines", [0, 1, 3, 8])
def test_empty_one_odd_and_power_of_two_files(world: World, tmp_path: Path, lines: int) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "notes.txt").write_bytes(b"".join(b"line %d\n" % i for i in range(lines)))
    world.ingest(folder)
    item = next(iter(item_ids(world)))
    if lines == 0:
        # an empty file holds no records: its commitment says so, and there is nothing to
        # disclose, by number or by match
        with pytest.raises(UsageError, match="is empty: its commitment is to zero records"):
            open_excerpt(world.ws, item, ranges="1")
        with pytest.raises(UsageError, match="matches no record"):
            open_excerpt(world.ws, item, match=".")
        assert audit(world.ws, fixity=True).ok
        return
    for ranges in sorted({"1", f"{lines}", f"1-{lines}"}):
        out = tmp_path / f"out-{ranges}"
        records, proof = recorded(world, item, ranges, out)
        verdict = verify_excerpt(records.read_bytes(), proof.read_bytes(), "x")
        assert (verdict.count, verdict.ranges) == (lines, ranges if lines > 1 else "1")


def item_ids(world: World) -> list[str]:
    """The workspace's item ids."""
    return [r["item_id"] for r in world.ws.ledger.rows("SELECT item_id FROM items")]
