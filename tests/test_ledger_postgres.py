"""An agency ledger on a real PostgreSQL server: roles, append-only, shared vault, faults.

Every test runs against the session's throwaway cluster (tests/pgcluster.py): no mock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from click.testing import CliRunner, Result
from evidence.cli.main import cli

from evidence.audit import audit
from evidence.errors import OperationalError
from evidence.items import get_item, list_items
from evidence.ledger import open_ledger
from evidence.vault import Vault
from evidence.workspace import Workspace
from tests import pgcluster
from tests.helpers import CASE, PASSPHRASE, World, wait_until_ready

Urls = tuple[str, str]


class Desk:
    """`custody` run from one workstation: its own key folder, the agency's ledger and vault."""

    def __init__(self, root: Path, ledger: str, vault: Path) -> None:
        self.root = root
        self.env = {
            "CUSTODY_PASSPHRASE": PASSPHRASE,
            "CUSTODY_LEDGER": ledger,
            "CUSTODY_VAULT": str(vault),
        }

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(
            cli, ["--workspace", str(self.root), *args], env=self.env, catch_exceptions=False
        )
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        if code == 3:
            assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
        return result


@pytest.fixture
def agency(pg_urls: Urls, tmp_path: Path) -> tuple[Desk, Desk, Path]:
    """The administrator created the ledger; two workstations with one key each."""
    admin, tool = pg_urls
    vault = tmp_path / "mnt" / "evidence-vault"
    office = Desk(tmp_path / "admin", admin, vault)
    office("init", "--grant", pgcluster.TOOL)  # the authority key stays on this desk
    desks = []
    for desk, name, role in (
        ("ws-a", "A. Ivanov", "investigator"),
        ("ws-b", "B. Room", "custodian"),
    ):
        d = Desk(tmp_path / desk, tool, vault)
        d("key", "new", "--name", name, "--org", "IC", "--country", "BY", "--role", role)
        # A key made on another desk signs nothing until the authority enrols it.
        office("key", "enrol", name, "--as", "Workspace authority")
        desks.append(d)
    desks[0]("case", "new", CASE, "--title", "Takeover", "--jurisdiction", "BY")
    return desks[0], desks[1], vault


def test_two_workstations_share_one_ledger_and_vault(
    agency: tuple[Desk, Desk, Path], evidence_dir: Path
) -> None:
    a, b, vault = agency
    a("ingest", "--case", CASE, "--as", "A. Ivanov", "--source", "phone", str(evidence_dir))
    items = json.loads(b("item", "list", "--json").stdout)
    assert len(items) == 4
    item = items[0]["item_id"]
    a("transfer", item, "--to", "B. Room", "--as", "A. Ivanov")
    b("receive", item, "--as", "B. Room")
    a("checkpoint", "--as", "A. Ivanov")
    assert (vault / "checkpoints" / "checkpoint-000001.json").is_file()
    assert "passed" in b("audit", "--fixity").stderr
    # The workstation folders hold keys only: no ledger file, no vault of their own; made on
    # first use, they are the owner's alone whatever the umask.
    assert not (a.root / "ledger.db").exists() and not (a.root / "vault").exists()
    for folder in (a.root, a.root / "keys", b.root, b.root / "keys"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_tool_role_cannot_update_or_delete_and_triggers_stop_the_owner(
    any_world: World, evidence_dir: Path, pg_urls: Urls
) -> None:
    world = any_world
    world.ingest(evidence_dir / "empty.bin")
    if not hasattr(world.ws.ledger, "conninfo"):
        return  # SQLite's triggers: test_ledger.py
    admin, tool = pg_urls
    statements = (
        "UPDATE keys SET name = 'x'",
        "DELETE FROM cases",
        "DELETE FROM events",
        "UPDATE items SET size = 0",
        "TRUNCATE certificates",
        "UPDATE custody_schema SET version = 0",
    )
    for url, error, message in (
        (tool, psycopg.errors.InsufficientPrivilege, "permission denied"),
        (admin, psycopg.errors.RaiseException, "append-only"),
    ):
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in statements:
                with pytest.raises(error, match=message):
                    conn.execute(statement.encode())
    with psycopg.connect(tool, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM events").fetchone()
    assert count == (2,)  # the ingest and its profiled event


def test_every_ledger_operation_matches_on_both_backends(
    any_world: World, evidence_dir: Path
) -> None:
    world = any_world
    report = world.ingest(evidence_dir)
    assert sorted(o.status for o in report.outcomes) == ["ingested"] * 4
    again = world.ingest(evidence_dir)
    assert sorted(o.status for o in again.outcomes) == ["existing"] * 4
    result = audit(world.ws, workers=2)
    assert result.ok, [str(f) for f in result.findings]
    assert (result.items_checked, result.events_checked) == (4, 8)  # ingested + profiled


def test_init_twice_on_one_database_refused(pg_urls: Urls, tmp_path: Path) -> None:
    admin, _ = pg_urls
    Desk(tmp_path / "one", admin, tmp_path / "vault")("init")
    result = Desk(tmp_path / "two", admin, tmp_path / "vault")("init", code=3)
    assert "already holds a custody ledger" in result.stderr
    assert not (tmp_path / "two").exists()  # refused before anything was made here


def test_tool_role_cannot_create_the_schema(pg_urls: Urls, tmp_path: Path) -> None:
    _, tool = pg_urls
    result = Desk(tmp_path / "ws", tool, tmp_path / "vault")("init", code=3)
    assert "permission denied" in result.stderr
    assert "custody_tool@" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://custody_tool@/nowhere?host=/nonexistent-socket-dir", "No such file"),
        ("postgresql://custody_tool@127.0.0.1:1/custody", "refused"),
        ("postgresql://custody_tool@localhost:notaport/custody", "Servname"),
    ],
)
def test_unreachable_or_malformed_url_exit_3(url: str, expected: str, tmp_path: Path) -> None:
    Vault(tmp_path / "vault").create()
    result = Desk(tmp_path / "ws", url, tmp_path / "vault")("item", "list", code=3)
    assert "cannot connect to the ledger server" in result.stderr
    assert expected in result.stderr


def test_wrong_password_and_missing_database_exit_3(
    pg_cluster: pgcluster.Cluster, agency: tuple[Desk, Desk, Path], tmp_path: Path
) -> None:
    a, _, vault = agency
    database = a.env["CUSTODY_LEDGER"].split("/")[3].split("?")[0]
    wrong = pg_cluster.url(pgcluster.TOOL, database, password="not-the-password")
    result = Desk(a.root, wrong, vault)("item", "list", code=3)
    assert "password authentication failed" in result.stderr
    assert f"postgresql://custody_tool@[{pg_cluster.socket_dir}]/{database}" in result.stderr
    assert "not-the-password" not in result.stderr
    missing = pg_cluster.url(pgcluster.TOOL, "no_such_database")
    result = Desk(a.root, missing, vault)("item", "list", code=3)
    assert 'database "no_such_database" does not exist' in result.stderr
    assert pg_cluster.password not in result.stderr + result.stdout


def test_database_without_a_ledger_exit_3(pg_cluster: pgcluster.Cluster, tmp_path: Path) -> None:
    _, tool = pg_cluster.new_database("empty_one")
    Vault(tmp_path / "v").create()
    result = Desk(tmp_path / "ws", tool, tmp_path / "v")("item", "list", code=3)
    assert "no custody ledger in this database" in result.stderr


def test_missing_insert_privilege_exit_3_nothing_written(
    pg_cluster: pgcluster.Cluster, agency: tuple[Desk, Desk, Path], evidence_dir: Path
) -> None:
    a, _, vault = agency
    database = a.env["CUSTODY_LEDGER"].split("/")[3].split("?")[0]
    pg_cluster.execute(
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {pgcluster.READER}", database=database
    )
    reader = Desk(a.root, pg_cluster.url(pgcluster.READER, database), vault)
    result = reader(
        "ingest", "--case", CASE, "--as", "A. Ivanov", "--source", "x", str(evidence_dir), code=3
    )
    assert "permission denied for table items" in result.stderr
    assert "GRANT SELECT, INSERT" in result.stderr
    assert json.loads(a("item", "list", "--json").stdout) == []
    # No SELECT either: refused when opening, with the same advice.
    pg_cluster.execute(
        f"REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM {pgcluster.READER}", database=database
    )
    result = reader("item", "list", code=3)
    assert "permission denied" in result.stderr


def test_server_restart_mid_ingest_commits_nothing_and_rerun_completes(
    pg_cluster: pgcluster.Cluster,
    agency: tuple[Desk, Desk, Path],
    evidence_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _, _ = agency
    barrier = Vault.barrier

    def restart_then_flush(self: Vault, paths: list[Path]) -> str:
        pg_cluster.restart()  # a real restart: every open session is cut
        return barrier(self, paths)

    monkeypatch.setattr(Vault, "barrier", restart_then_flush)
    result = a(
        "ingest", "--case", CASE, "--as", "A. Ivanov", "--source", "x", str(evidence_dir), code=3
    )
    assert "ledger server error" in result.stderr
    assert "custody_tool@" in result.stderr
    monkeypatch.setattr(Vault, "barrier", barrier)
    assert json.loads(a("item", "list", "--json").stdout) == []
    a("ingest", "--case", CASE, "--as", "A. Ivanov", "--source", "x", str(evidence_dir))
    assert len(json.loads(a("item", "list", "--json").stdout)) == 4
    assert "passed" in a("audit", "--fixity").stderr


RACER = """
import sys, time
from pathlib import Path
from evidence.ingest import IngestOptions, ingest
from evidence.workspace import Workspace
root, ledger, vault, actor, passphrase, path, go, case, ready = sys.argv[1:10]
ws = Workspace.open(Path(root), ledger=ledger or None, vault=Path(vault) if vault else None)
signer = ws.keys.unlock(ws.keys.resolve(actor), passphrase)
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.005)
report = ingest(ws, signer, [Path(path)], IngestOptions(case=case, source="race"))
print(report.outcomes[0].status)
"""


def _race(racers: list[tuple[Path, str, str, str]], tmp_path: Path) -> None:
    """Each racer (workspace, ledger URL or "", vault or "", actor) ingests the same new file
    at the same moment, three rounds: one ingests, the other finds it existing."""
    seized = tmp_path / "seized.bin"
    seized.write_bytes(b"\x00evidence\xff" * 100_000)
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    go = tmp_path / "go"
    statuses = []
    for attempt in range(3):  # each round a new file: the race is re-run from scratch
        seized.write_bytes(seized.read_bytes() + bytes([attempt]))
        go.unlink(missing_ok=True)
        tail = [PASSPHRASE, str(seized), str(go), CASE]
        ready = [tmp_path / f"ready-{attempt}-{n}" for n in range(len(racers))]
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(root), ledger, vault, actor, *tail, str(flag)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for (root, ledger, vault, actor), flag in zip(racers, ready, strict=True)
        ]
        wait_until_ready(ready, procs)
        go.touch()
        outs = [p.communicate(timeout=300)[0].strip() for p in procs]
        assert [p.returncode for p in procs] == [0, 0]
        statuses.append(sorted(outs))
    assert statuses == [["existing", "ingested"]] * 3


def _one_copy_each(ws: Workspace) -> None:
    stored = [p for p in (ws.vault.root / "sha256").rglob("*") if p.is_file()]
    assert len(stored) == 3
    assert not any(ws.vault.tmp.iterdir())
    assert len(list_items(ws.ledger, CASE)) == 3
    result = audit(ws, fixity=True, workers=1)
    assert result.ok, [str(f) for f in result.findings]


def test_two_workstations_ingest_the_same_file_at_once(
    agency: tuple[Desk, Desk, Path], tmp_path: Path
) -> None:
    a, b, vault = agency
    ledger = a.env["CUSTODY_LEDGER"]
    _race(
        [(a.root, ledger, str(vault), "A. Ivanov"), (b.root, ledger, str(vault), "B. Room")],
        tmp_path,
    )
    ws = Workspace.open(a.root, ledger=ledger, vault=vault)
    try:
        _one_copy_each(ws)
    finally:
        ws.close()


def test_two_processes_ingest_the_same_file_at_once_into_sqlite(
    world: World, tmp_path: Path
) -> None:
    root = world.ws.root
    _race([(root, "", "", "А. Иванов"), (root, "", "", "Evidence Room")], tmp_path)
    _one_copy_each(world.ws)


def test_open_names_the_server_never_the_password(pg_cluster: pgcluster.Cluster) -> None:
    url = pg_cluster.url(pgcluster.TOOL, "no_such_database")
    with pytest.raises(OperationalError) as caught:
        open_ledger(url)
    assert pg_cluster.password not in caught.value.diagnostics()
    assert str(pg_cluster.socket_dir) in caught.value.diagnostics()


def test_missing_postgresql_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgcluster.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(pgcluster.shutil, "which", lambda name: None)
    with pytest.raises(pgcluster.ClusterError, match="apt-get install postgresql"):
        pgcluster.create()


def test_shared_vault_must_exist(agency: tuple[Desk, Desk, Path], tmp_path: Path) -> None:
    a, _, vault = agency
    moved = tmp_path / "unmounted"
    shutil.move(vault, moved)
    result = a("item", "list", code=3)
    assert "not a custody vault" in result.stderr
    shutil.move(moved, vault)


def test_init_takes_ledger_and_vault_as_its_own_options(pg_urls: Urls, tmp_path: Path) -> None:
    admin, tool = pg_urls
    vault = tmp_path / "evidence-vault"
    args = ["init", "--ledger", admin, "--vault", str(vault), "--grant", pgcluster.TOOL]
    env = {"CUSTODY_PASSPHRASE": PASSPHRASE}  # the authority key made with the ledger
    result = CliRunner().invoke(cli, ["-w", str(tmp_path / "admin"), *args], env=env)
    assert result.exit_code == 0, result.stderr
    assert "ledger created: postgresql://custody_admin@" in result.stdout
    assert (vault / "sha256").is_dir() and (vault / "checkpoints").is_dir()
    desk = Desk(tmp_path / "desk", tool, vault)
    desk("key", "new", "--name", "X", "--org", "IC", "--country", "BY", "--role", "custodian")
    assert "X" in desk("key", "list").stdout
    # The admin's folder remembers its ledger (never a password) and vault: later commands
    # there need neither the options nor $CUSTODY_LEDGER/$CUSTODY_VAULT.
    recorded = (tmp_path / "admin" / "workspace.json").read_text()
    assert "custody_admin@" in recorded and str(vault) in recorded
    assert (urlsplit(admin).password or "no password") not in recorded
    password = urlsplit(admin).password or ""  # from ~/.pgpass or $PGPASSWORD, as libpq does
    later = CliRunner().invoke(
        cli, ["-w", str(tmp_path / "admin"), "key", "list"], env={**env, "PGPASSWORD": password}
    )
    assert later.exit_code == 0, later.stderr
    assert "X" in later.stdout


def test_prefixes_match_alike_on_both_backends(any_world: World, evidence_dir: Path) -> None:
    any_world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(any_world.ws.ledger, CASE)
    assert get_item(any_world.ws.ledger, item.item_id[:6].upper()).item_id == item.item_id
    fingerprint = any_world.custodian.record.fingerprint
    assert any_world.ws.keys.resolve(fingerprint[:12].upper()).name == "Evidence Room"


def test_writer_waits_at_most_the_busy_timeout(agency: tuple[Desk, Desk, Path]) -> None:
    a, _, _ = agency
    url = a.env["CUSTODY_LEDGER"]
    blocker, impatient = open_ledger(url), open_ledger(url, busy_timeout_ms=200)
    try:
        with blocker.atomic(exclusive=True):  # a checkpoint that never ends
            start = time.monotonic()
            with (
                pytest.raises(OperationalError, match="lock timeout") as caught,
                impatient.atomic(lock=["802cadf21848"]),
            ):
                pass
            assert time.monotonic() - start < 5
            assert "CUSTODY_BUSY_TIMEOUT_MS" in caught.value.diagnostics()
    finally:
        blocker.close()
        impatient.close()


def test_seal_events_are_found_alike_on_both_backends(any_world: World, evidence_dir: Path) -> None:
    """The seal warnings' query finds an item's sealed and unsealed events by the start of
    their canonical bodies, and nothing else: not another action, nor a note quoting one."""
    from evidence.custody import append_events
    from evidence.events import bodies_with_actions

    world = any_world
    world.ingest(evidence_dir / "empty.bin")
    (item,) = list_items(world.ws.ledger, CASE)
    ledger, signer = world.ws.ledger, world.custodian
    append_events(ledger, signer, [item], "sealed", details={"seal": "7"})
    quoted = '{"action":"sealed","details":{"seal":"8"}}'
    append_events(ledger, signer, [item], "accessed", note=quoted, purpose='"action":"sealed"')
    append_events(ledger, signer, [item], "unsealed", details={"seal": "7"})
    append_events(ledger, signer, [item], "note", note="after")
    chains = bodies_with_actions(ledger, [item.item_id], ("sealed", "unsealed"))
    assert [(b["action"], b["details"]) for b in chains[item.item_id]] == [
        ("sealed", {"seal": "7"}),
        ("unsealed", {"seal": "7"}),
    ]
    assert (
        bodies_with_actions(ledger, [item.item_id], ("accessed",))[item.item_id][0]["note"]
        == quoted
    )
