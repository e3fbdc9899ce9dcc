"""Every attack of issue 18, as an insider would make it: a key and its passphrase in hand,
the clock set back with `faketime`, the ledger edited with the `sqlite3` command-line tool.
Each is its own test; each ends in exit 1 (or a refusal) and a finding that names it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.audit import audit
from evidence.canonical import canonical_bytes
from evidence.checkpoint import file_name
from evidence.events import item_events, new_body, sign_event
from evidence.items import Item, list_items
from evidence.keys import Signer
from evidence.timestamp.checkpoints import create_stamped
from evidence.trust.authority import local_authority, revoke_key
from tests.bundle.bundle_support import REQUEST_ARGS
from tests.conftest import TsaFixture
from tests.helpers import CASE, PASSPHRASE, World
from tests.trust.trust_support import attacker, audit_cli, expect

CUSTODY = str(Path(sys.executable).with_name("custody"))
REVOKED = "signed by a key revoked in trust record #"
CHAIN = "that precedes it in its chain"


def _faketime(offset: str, *args: str, passphrase: bool = True) -> subprocess.CompletedProcess[str]:
    """A command run with this machine's clock moved by offset, as `faketime` does it."""
    assert shutil.which("faketime"), "faketime is installed by `make system-deps`"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    if passphrase:
        env["CUSTODY_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        ["faketime", "-f", offset, *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _cli(ws: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], env={"CUSTODY_PASSPHRASE": PASSPHRASE}
    )
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def revoked(busy: World, local_tsa: TsaFixture) -> Iterator[World]:
    """The busy workspace; the expert's key revoked; then checkpoint #2, stamped by a TSA."""
    keys = busy.ws.keys
    record = local_authority(keys)
    assert record is not None
    revoke_key(keys, keys.unlock(record, PASSPHRASE), busy.expert.record, "left the unit")
    stamped = create_stamped(
        busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir, local_tsa.url, False
    )
    assert stamped.token is not None
    yield busy


# The insider's own program: the library's parts, not its commands (which refuse), signing an
# event with the revoked key at whatever time this machine's clock says.
INSIDER = """
import sys
from pathlib import Path
from evidence.events import chain_head, new_body, sign_event, write_event
from evidence.items import get_item
from evidence.workspace import Workspace

ws = Workspace.open(Path(sys.argv[1]))
item = get_item(ws.ledger, sys.argv[2])
signer = ws.keys.unlock(ws.keys.resolve(sys.argv[3]), sys.argv[4])
seq, prev = chain_head(ws.ledger, item.item_id)
body = new_body(signer, item_id=item.item_id, case=item.case_number, seq=seq + 1, prev=prev,
                item_sha256=item.sha256, action="destroyed", note="destroyed per order")
with ws.ledger.atomic(lock=[item.item_id]):
    write_event(ws.ledger, sign_event(signer, body))
print(body["at"])
"""


def _insider_event(world: World, item: Item, offset: str) -> str:
    """The revoked expert's `destroyed` event, written by the insider's program at offset."""
    run = _faketime(
        offset,
        sys.executable,
        "-c",
        INSIDER,
        str(world.ws.root),
        item.item_id,
        world.expert.record.name,
        PASSPHRASE,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_revoked_key_with_the_clock_set_back_is_refused_before_the_passphrase(
    revoked: World,
) -> None:
    item = list_items(revoked.ws.ledger, CASE)[3]
    run = _faketime(
        "-1h",
        CUSTODY,
        "--workspace",
        str(revoked.ws.root),
        "event",
        item.item_id,
        "--action",
        "destroyed",
        "--as",
        revoked.expert.record.name,
        passphrase=False,  # refused before any passphrase is asked for
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "refusing to sign: this computer's clock (" in run.stderr
    assert "is earlier than the latest checkpoint #2 (" in run.stderr
    assert "RFC 3161 time" in run.stderr
    assert "assphrase" not in run.stderr
    assert len(item_events(revoked.ws.ledger, item.item_id)) == 2


def test_revoked_key_backdated_after_a_tsa_checkpoint_is_named_by_every_audit(
    revoked: World, tmp_path: Path
) -> None:
    """The issue's attack: revoked key, TSA checkpoint, clock back an hour, `destroyed`."""
    item = list_items(revoked.ws.ledger, CASE)[3]
    at = _insider_event(revoked, item, "-1h")
    where = f"item {item.item_id} event #3"
    result = audit(revoked.ws)
    expect(result, "time", REVOKED)
    expect(result, "time", "RFC 3161 time")  # dated before checkpoint #2's genTime
    assert {f.subject for f in result.findings if f.check == "time"} == {where}
    revocation = next(f for f in result.findings if REVOKED in f.message)
    assert "which checkpoint #2 covers; the event is not in that checkpoint" in revocation.message
    assert f"whatever date it claims ({at})" in revocation.message
    anchor = result.anchor
    assert anchor is not None
    for args in ((), ("--anchor", anchor), ("--since-checkpoint",)):
        code, out = audit_cli(revoked.ws.root, *args)
        assert code == 1, (args, out)
        assert "signed by a key revoked in trust record" in " ".join(out.split()), args
    # The bundle refuses it (its audit fails); the log marks it.
    out_zip = tmp_path / "request.zip"
    code, out = _cli(
        revoked.ws.root,
        "bundle",
        CASE,
        "--as",
        revoked.custodian.record.name,
        "-o",
        str(out_zip),
        *REQUEST_ARGS,
    )
    assert code == 1, out
    assert "fails its audit; nothing was exported" in out and not out_zip.exists()
    code, out = _cli(revoked.ws.root, "log", item.item_id, "--wide")
    assert code == 0 and "destroyed BACKDATED" in out, out
    assert "BACKDATED: dated before" in out
    code, out = _cli(revoked.ws.root, "log", item.item_id, "-q")
    assert f"item {item.item_id} event #3: BACKDATED" in out
    # The custody report marks it too (the same rule: Entry.irregular); in Russian, where the
    # audit's own findings (in English) cannot be what the test reads.
    pdf = tmp_path / "report-ru.pdf"
    code, out = _cli(revoked.ws.root, "report", CASE, "--lang", "ru", "-o", str(pdf))
    assert code == 0, out
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "задним" in text


def test_ledger_edited_so_an_event_is_dated_before_its_predecessor(
    world: World, evidence_dir: Path
) -> None:
    """A key holder signs an event dated before the item's previous one and puts it
    in with the sqlite3 tool (an INSERT: the append-only triggers do not stop one)."""
    world.ingest(evidence_dir)
    item = list_items(world.ws.ledger, CASE)[0]
    first, last = item_events(world.ws.ledger, item.item_id)
    # Dated at the ingest, before the `profiled` event it follows (and after the enrolment of
    # the key, made just before: an hour back would be before that too, another finding).
    earlier = first.body["at"]
    event = sign_event(
        world.custodian,
        new_body(
            world.custodian,
            item_id=item.item_id,
            case=item.case_number,
            seq=last.body["seq"] + 1,
            prev=last.hash,
            item_sha256=item.sha256,
            action="received",
            at=earlier,
        ),
    )
    row = (
        event.body["event_id"],
        item.item_id,
        event.body["seq"],
        event.hash,
        canonical_bytes(dict(event.body)).decode(),
        event.signature,
        event.signer,
    )
    values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in row)
    sql = (
        "INSERT INTO events (event_id, item_id, seq, hash, body, signature, signer) "
        f"VALUES ({values});"
    )
    subprocess.run(["sqlite3", str(world.ws.ledger.path), sql], check=True)
    result = audit(world.ws)
    expect(result, "time", f"dated {earlier}, before event #{last.body['seq']} {CHAIN}")
    # The time rule names it; so does the log (a record inserted without a leaf), nothing else.
    assert [(f.check, f.subject) for f in result.findings] == [
        ("time", f"item {item.item_id} event #{last.body['seq'] + 1}"),
        ("log", f"event {event.body['event_id']}"),
    ]
    code, out = audit_cli(world.ws.root)
    assert code == 1 and "backdated" in out
    # The log lists it after its predecessor, marked.
    code, out = _cli(world.ws.root, "log", item.item_id, "--wide")
    assert code == 0
    lines = [line for line in out.splitlines() if item.item_id[:8] in line or "received" in line]
    assert any("received BACKDATED" in line for line in lines), out


def test_event_dated_before_a_checkpoint_that_does_not_cover_it_since_checkpoint(
    busy: World,
) -> None:
    """After checkpoint #1, an event dated before it: the incremental audit names it."""
    item = list_items(busy.ws.ledger, CASE)[2]
    _insider_event(busy, item, "-1h")
    code, out = audit_cli(busy.ws.root, "--since-checkpoint")
    assert code == 1, out
    flat = " ".join(out.split())
    assert "before checkpoint #1 (" in flat and "which does not cover it" in flat


def test_clock_earlier_than_the_items_last_event_is_refused(
    world: World, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir)
    item = list_items(world.ws.ledger, CASE)[0]
    run = _faketime(
        "-1h",
        CUSTODY,
        "--workspace",
        str(world.ws.root),
        "event",
        item.item_id,
        "--action",
        "accessed",
        "--as",
        world.custodian.record.name,
        passphrase=False,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"is earlier than the last event of item {item.item_id} (#2, " in run.stderr


def _strip_token(world: World, seq: int) -> None:
    """Delete the token row (triggers dropped) and the token beside the file's body."""
    conn = attacker(world.ws.ledger.path)
    conn.execute("DELETE FROM timestamps WHERE checkpoint_seq = ?", (seq,))
    conn.close()
    path = world.ws.checkpoint_dir / file_name(seq)
    data = json.loads(path.read_text())
    del data["timestamp"]
    path.write_text(json.dumps(data, indent=1) + "\n")


def test_stripped_token_is_a_finding_and_pending_will_not_stamp_it(
    busy: World, local_tsa: TsaFixture
) -> None:
    stamped = create_stamped(
        busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir, local_tsa.url, False
    )
    assert stamped.checkpoint.body["timestamp"]["policy"] == "required"
    _strip_token(busy, stamped.checkpoint.seq)
    message = "its signed body required an RFC 3161 token and none is stored (stripped?)"
    expect(audit(busy.ws), "checkpoint", message)
    code, out = audit_cli(busy.ws.root)
    assert code == 1 and "stripped?" in out
    code, out = audit_cli(busy.ws.root, "--since-checkpoint")
    assert code == 1 and "stripped?" in out
    code, out = _cli(busy.ws.root, "timestamp", "--pending", "--tsa", local_tsa.url)
    assert code == 1, out
    assert "refusing to stamp: a required token is missing" in out
    code, out = _cli(busy.ws.root, "timestamp")
    assert code == 1 and "MISSING" in out


def test_token_replaced_by_a_later_one_is_a_finding(busy: World, local_tsa: TsaFixture) -> None:
    """Strip checkpoint #2's token and stamp it again by hand: #3 committed to the first."""
    from evidence.timestamp.checkpoints import _store, signature_bytes
    from evidence.timestamp.client import request_token

    first = create_stamped(
        busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir, local_tsa.url, False
    )
    create_stamped(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir, local_tsa.url, False)
    _strip_token(busy, first.checkpoint.seq)
    token = request_token(local_tsa.url, signature_bytes(first.checkpoint))
    with busy.ws.ledger.atomic():
        _store(busy.ws.ledger, first.checkpoint, token, local_tsa.url)
    expect(
        audit(busy.ws), "checkpoint", "differs from the one checkpoint #3 commits to (replaced?)"
    )


def test_deferred_token_completed_later_shows_both_times(
    busy: World, local_tsa: TsaFixture
) -> None:
    stamped = create_stamped(
        busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir, "http://127.0.0.1:9/tsr", True
    )
    assert stamped.token is None and stamped.problem
    assert stamped.checkpoint.body["timestamp"]["policy"] == "deferred"
    assert audit(busy.ws).ok
    code, out = _cli(busy.ws.root, "timestamp", "--pending", "--tsa", local_tsa.url)
    assert code == 0, out
    assert "deferred" in out
    result = audit(busy.ws)
    assert result.ok, [str(f) for f in result.findings]
    detail = next(c.detail for c in result.checks if c.name == "checkpoint")
    created = stamped.checkpoint.body["created_at"]
    assert f"checkpoint #2 ({created}, RFC 3161 time " in detail
    assert detail.endswith(", added later (deferred)) matches the ledger"), detail


def test_signer_enrolled_after_it_signed(world: World, evidence_dir: Path) -> None:
    """A key's validity starts at its enrolment record (covered in test_roots too)."""
    from evidence.custody import append_events
    from evidence.trust.authority import enrol_key

    record = world.ws.keys.create("Late Joiner", "IC", "BY", "expert", PASSPHRASE, enrol=False)
    late: Signer = world.ws.keys.unlock(record, PASSPHRASE)
    world.ingest(evidence_dir)
    append_events(world.ws.ledger, late, list_items(world.ws.ledger, CASE)[:1], "analysed")
    authority = local_authority(world.ws.keys)
    assert authority is not None
    enrol_key(world.ws.keys, world.ws.keys.unlock(authority, PASSPHRASE), record)
    expect(audit(world.ws), "trust", "before the signer's enrolment at")


def test_orphan_vault_file_is_a_notice_not_a_finding(world: World, evidence_dir: Path) -> None:
    world.ingest(evidence_dir)
    stray = world.ws.vault.path_for("ab" * 32)
    stray.parent.mkdir(mode=0o700, exist_ok=True)
    stray.write_bytes(b"left by an interrupted ingest")
    stray.chmod(0o400)
    result = audit(world.ws)
    assert result.ok, [str(f) for f in result.findings]
    assert [(n.check, n.subject) for n in result.notices] == [("vault", str(stray))]
    code, out = audit_cli(world.ws.root)
    assert code == 0, out
    assert "Vault files no item names" in out and "vault file that no item names" in out


def test_checkpoint_made_while_events_were_prepared_is_not_backdated_around(
    busy: World,
) -> None:
    """An export prepared, then a checkpoint, then the commit: the prepared events would be
    dated before a checkpoint that lacks them, so nothing is recorded."""
    from evidence.checkpoint import create_checkpoint
    from evidence.custody import commit_prepared, prepare_events
    from evidence.errors import OperationalError
    from evidence.timeorder import require_prepared_after_checkpoints

    items = list_items(busy.ws.ledger, CASE)[:1]
    prepared = prepare_events(busy.ws.ledger, busy.custodian, items, "exported")
    create_checkpoint(busy.ws.ledger, busy.custodian, busy.ws.checkpoint_dir)
    guard = partial(require_prepared_after_checkpoints, busy.ws.ledger)
    with pytest.raises(OperationalError, match="signed before a checkpoint made meanwhile"):
        commit_prepared(busy.ws.ledger, prepared, guard)
    assert audit(busy.ws).ok
