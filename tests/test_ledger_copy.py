"""`custody ledger copy` between SQLite and PostgreSQL: every row and signed byte, both ways."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from evidence.cli.main import cli

from evidence.ledger import TABLES, columns
from tests import pgcluster
from tests.helpers import CASE, PASSPHRASE

Urls = tuple[str, str]


def run(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(
        cli, list(args), env={"CUSTODY_PASSPHRASE": PASSPHRASE, **(env or {})}
    )
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    if code == 3:
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result


@pytest.fixture
def solo(tmp_path: Path, evidence_dir: Path) -> Path:
    """A single investigator's SQLite workspace with a transfer and a checkpoint."""
    ws = str(tmp_path / "solo")
    run("-w", ws, "init")
    for name, role in (("A. Ivanov", "investigator"), ("Evidence Room", "custodian")):
        run(
            "-w", ws, "key", "new", "--name", name, "--org", "IC", "--country", "BY", "--role", role
        )
    run("-w", ws, "case", "new", CASE, "--title", "Кража", "--jurisdiction", "BY")
    run(
        "-w",
        ws,
        "ingest",
        "--case",
        CASE,
        "--as",
        "A. Ivanov",
        "--source",
        "телефон",
        str(evidence_dir),
    )
    item = json.loads(run("-w", ws, "item", "list", "--json").stdout)[0]["item_id"]
    run("-w", ws, "transfer", item, "--to", "Evidence Room", "--as", "A. Ivanov")
    run("-w", ws, "receive", item, "--as", "Evidence Room")
    run("-w", ws, "checkpoint", "--as", "Evidence Room")
    return Path(ws)


def sqlite_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT {', '.join(columns(t))} FROM {t} ORDER BY rowid").fetchall()
            for t in TABLES
        }
    finally:
        conn.close()


def postgres_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            t: conn.execute(
                f"SELECT {', '.join(columns(t))} FROM {t} ORDER BY rowid".encode()
            ).fetchall()
            for t in TABLES
        }


def test_copy_to_postgresql_and_back_keeps_every_byte_and_audit(
    solo: Path, pg_urls: Urls, tmp_path: Path
) -> None:
    admin, tool = pg_urls
    original = sqlite_rows(solo / "ledger.db")
    out = run("ledger", "copy", str(solo), admin, "--grant", pgcluster.TOOL, "--json").stdout
    assert json.loads(out)["rows"]["events"] == len(original["events"]) == 10
    assert postgres_rows(tool) == original
    # The same workspace (keys, vault, checkpoint files) now on the server: the same verdict.
    before = json.loads(run("-w", str(solo), "audit", "--fixity", "--json").stdout)
    on_server = json.loads(
        run("-w", str(solo), "--ledger", tool, "audit", "--fixity", "--json").stdout
    )
    assert on_server == before and before["ok"]
    # And back into a new SQLite file, as the tool's role can read it.
    back = tmp_path / "restored" / "ledger.db"
    run("ledger", "copy", tool, str(back))
    assert sqlite_rows(back) == original
    # Signed bytes, compared as bytes: event bodies and checkpoint bodies.
    conn = sqlite3.connect(back)
    bodies = [r[0].encode() for r in conn.execute("SELECT body FROM events ORDER BY rowid")]
    conn.close()
    assert bodies == [r[4].encode() for r in original["events"]]


def test_copy_refuses_a_non_empty_destination(solo: Path, pg_urls: Urls, tmp_path: Path) -> None:
    admin, _ = pg_urls
    run("ledger", "copy", str(solo), admin)
    result = run("ledger", "copy", str(solo), admin, code=2)
    assert "holds a ledger already" in result.stderr
    existing = tmp_path / "other"
    run("-w", str(existing), "init")
    result = run("ledger", "copy", admin, str(existing), code=2)
    assert "exists already" in result.stderr
    assert "same ledger" in run("ledger", "copy", str(solo), str(solo), code=2).stderr


def test_copy_of_a_damaged_ledger_leaves_nothing_behind(
    solo: Path, pg_urls: Urls, tmp_path: Path
) -> None:
    admin, _ = pg_urls
    conn = sqlite3.connect(solo / "ledger.db")
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET seq = 'two' WHERE rowid = 2")  # SQLite takes any type
    conn.commit()
    conn.close()
    result = run("ledger", "copy", str(solo), admin, code=3)
    assert "postgresql://custody_admin@" in result.stderr
    assert all(not rows for rows in postgres_rows(admin).values())
    # An empty schema is left, and a later copy of a good ledger may use it.
    target = tmp_path / "copy" / "ledger.db"
    bad_back = run("ledger", "copy", str(solo), str(target))  # SQLite to SQLite copies as is
    assert "every row verified" in bad_back.stdout


def test_copy_from_a_missing_source_exit_3(tmp_path: Path) -> None:
    result = run("ledger", "copy", str(tmp_path / "nowhere"), str(tmp_path / "new.db"), code=3)
    assert "no ledger here" in result.stderr
    assert not (tmp_path / "new.db").exists()
