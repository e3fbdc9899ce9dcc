"""The SQLite ledger: schema, the one `atomic()` write path, and append-only enforcement.

sqlite-utils creates the schema and serves the reads. Writes go through `Ledger.insert` inside
`Ledger.atomic()`, which holds SQLite's write lock from the first statement (BEGIN IMMEDIATE):
sqlite-utils' own insert helpers commit on their own, which would split our transactions.
Triggers refuse every UPDATE and DELETE, so a correction can only ever be a new row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import OperationalError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
APPEND_ONLY = ("keys", "certificates", "cases", "items", "events", "checkpoints", "timestamps")
# Tables added after schema 1 shipped: an older ledger gets them (and their triggers) on open.
_LATER_TABLES = ("timestamps",)

_TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...], list[tuple[str, ...]]]] = {
    # name: (columns, primary key, unique indexes)
    "keys": (
        {
            "key_id": str,
            "name": str,
            "organisation": str,
            "country": str,
            "role": str,
            "created_at": str,
        },
        "key_id",
        [],
    ),
    "certificates": (
        {
            "fingerprint": str,
            "key_id": str,
            "pem": str,
            "not_before": str,
            "not_after": str,
            "added_at": str,
        },
        "fingerprint",
        [],
    ),
    "cases": (
        {
            "number": str,
            "title": str,
            "jurisdiction": str,
            "legal_basis": str,
            "created_at": str,
            "created_by": str,
        },
        "number",
        [],
    ),
    "items": (
        {
            "item_id": str,
            "case_number": str,
            "sha256": str,
            "sha512": str,
            "md5": str,
            "sha1": str,
            "size": int,
            "media_type": str,
            "evidence_type": str,
            "original_name": str,
            "original_path": str,
            "source": str,
            "acquired_at": str,
            "acquisition_method": str,
            "metadata": str,
            "profile": str,
            "ingested_at": str,
            "ingested_by": str,
        },
        "item_id",
        [("case_number", "sha256")],
    ),
    "events": (
        {
            "event_id": str,
            "item_id": str,
            "seq": int,
            "hash": str,
            "body": str,
            "signature": str,
            "signer": str,
        },
        "event_id",
        [("item_id", "seq"), ("hash",)],
    ),
    "checkpoints": (
        {
            "seq": int,
            "hash": str,
            "body": str,
            "signature": str,
            "signer": str,
        },
        "seq",
        [],
    ),
    # RFC 3161 tokens over checkpoint signatures (evidence/timestamp/checkpoints.py).
    "timestamps": (
        {
            "checkpoint_seq": int,
            "token": str,
            "gen_time": str,
            "tsa_url": str,
            "added_at": str,
        },
        "checkpoint_seq",
        [],
    ),
}


class Ledger:
    """An open ledger.db: read through `db`, write only inside `atomic()`."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def create(cls, path: Path) -> Ledger:
        """Create a new ledger file with the current schema."""
        conn = _connect(path)
        ledger = cls(path, conn)
        with ledger.atomic():
            ledger._create_tables(list(_TABLES))
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return ledger

    def _create_tables(self, names: list[str]) -> None:
        for name in names:
            columns, pk, uniques = _TABLES[name]
            table = self.db.table(name)
            table.create(columns, pk=pk, not_null=set(columns) - _NULLABLE)
            for cols in uniques:
                table.create_index(list(cols), unique=True)
            for op in ("UPDATE", "DELETE") if name in APPEND_ONLY else ():
                self.conn.execute(
                    f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {name} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger is append-only: {op} on {name}'); END"
                )

    @classmethod
    def open(cls, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Ledger:
        """Open an existing ledger, refusing files that are not ours or are from a newer schema."""
        if not path.is_file():
            raise OperationalError(
                f"{path}: no ledger here", "run `custody init` or pass --workspace"
            )
        try:
            conn = _connect(path, busy_timeout_ms)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise OperationalError(
                f"{path}: not a custody ledger ({exc})", "check the --workspace path"
            ) from None
        if version > SCHEMA_VERSION:
            raise OperationalError(
                f"{path}: ledger schema {version} is newer than this tool ({SCHEMA_VERSION})",
                "upgrade custody before using this workspace",
            )
        if version != SCHEMA_VERSION or not set(_TABLES) - set(_LATER_TABLES) <= tables:
            raise OperationalError(f"{path}: not a custody ledger (schema {version})")
        ledger = cls(path, conn)
        missing = [name for name in _LATER_TABLES if name not in tables]
        if missing:
            try:
                with ledger.atomic():
                    ledger._create_tables(missing)
            except (OperationalError, sqlite3.OperationalError):
                pass  # a read-only copy (an auditor's): readers treat the table as empty
        return ledger

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One write transaction holding the write lock from its start; rolls back on error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise OperationalError(
                f"{self.path}: ledger is locked ({exc})", "another custody process is writing"
            ) from None
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # disk full, read-only file system...
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise OperationalError(f"{self.path}: cannot write the ledger ({exc})") from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same committed state (WAL)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row; must be called inside `atomic()`."""
        if not self.conn.in_transaction:
            raise RuntimeError("Ledger.insert outside atomic()")
        cols = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({marks})", list(row.values()))

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        return list(self.db.query(sql, params))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


_NULLABLE = {"md5", "sha1", "original_path", "acquired_at", "acquisition_method", "profile"}


def type_problems(table: str, row: Mapping[str, Any]) -> list[str]:
    """Columns of a row whose value has the wrong type (SQLite stores any type in any column).

    Audit asks this before trusting a row, so that an edited ledger yields findings, not crashes.
    """
    columns = _TABLES[table][0]
    out = []
    for name, kind in columns.items():
        if name not in row:
            continue
        value = row[name]
        if value is None and name in _NULLABLE:
            continue
        if type(value) is not kind:
            out.append(f"{name} holds {type(value).__name__}, not {kind.__name__}")
    return out


def _connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
