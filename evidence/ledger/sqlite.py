"""The SQLite backend: one ledger.db file, the embedded default for a single workstation.

sqlite-utils creates the schema (imported only then: with pandas installed, importing it
costs a command half a second). Reads go straight to sqlite3, whose `$1` parameters SQLite
reads as parameters named "1", "2"... (bound here by name, evidence/ledger/sql.py). Writes go
through `insert` inside `atomic()`, which holds SQLite's write lock from the first statement
(BEGIN IMMEDIATE): sqlite-utils' own insert helpers commit on their own, which would split our
transactions.
The write lock is global, so per-item locks and exclusive transactions need nothing more.
Triggers refuse every UPDATE and DELETE, so a correction can only ever be a new row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import OperationalError
from ..message import Message
from .base import Ledger, LedgerSource, trigger_differences
from .schema import (
    LATER_TABLES,
    NULLABLE,
    SCHEMA_VERSION,
    TABLES,
    TRUST_VERSION,
    check_version,
    tables_of,
)

BUSY_TIMEOUT_MS = 10_000


class SQLiteLedger(Ledger):
    """An open ledger.db: read with `rows()`, write only inside `atomic()`."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.location = str(path)
        self.conn = conn

    @classmethod
    def create(cls, path: Path) -> SQLiteLedger:
        """Create a new ledger file with the current schema."""
        conn = _connect(path)
        ledger = cls(path, conn)
        with ledger.atomic():
            ledger._add_tables(tuple(TABLES))
            ledger._set_version(SCHEMA_VERSION)
        return ledger

    def _add_tables(self, names: tuple[str, ...]) -> None:
        """Create the tables through sqlite-utils, with their two append-only triggers."""
        import sqlite_utils

        db = sqlite_utils.Database(self.conn)
        for name in names:
            cols, pk, uniques = TABLES[name]
            table = db.table(name)
            table.create(cols, pk=pk, not_null=set(cols) - NULLABLE)
            for unique in uniques:
                table.create_index(list(unique), unique=True)
            for op in ("UPDATE", "DELETE"):
                self.conn.execute(trigger_sql(name, op))

    @property
    def version(self) -> int:
        """The ledger's schema version (1: made before trust roots)."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _set_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def lock_log(self) -> None:
        """Nothing to do: BEGIN IMMEDIATE already shuts out every other writer."""

    def has_table(self, name: str) -> bool:
        """True if the file holds that table."""
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {"1": name}
        ).fetchone()
        return row is not None

    def trigger_problems(self) -> list[Message]:
        """Every append-only trigger present with exactly its SQL, and no other trigger."""
        present = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        known = tables_of(self.version)
        # A table added within the version exists once the ledger was opened for writing.
        tables = [t for t in known if t not in LATER_TABLES or t in present]
        ops = ("UPDATE", "DELETE")
        expected = {f"{t}_no_{op.lower()}": trigger_sql(t, op) for t in tables for op in ops}
        rows = self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        found = {str(name): str(sql) for name, sql in rows}
        return trigger_differences(expected, found)

    @classmethod
    def open(
        cls, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS, *, read_only: bool = False
    ) -> SQLiteLedger:
        """Open an existing ledger, refusing files that are not ours or are from a newer schema."""
        if not path.is_file():
            raise OperationalError(
                f"{path}: no ledger here", "run `custody init` or pass --workspace"
            )
        try:
            conn = _connect(path, busy_timeout_ms, read_only=read_only)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise OperationalError(
                f"{path}: not a custody ledger ({exc})", "check the --workspace path"
            ) from None
        check_version(str(path), version, tables)
        ledger = cls(path, conn)
        missing = tuple(name for name in LATER_TABLES if name not in tables)
        if (missing or version == TRUST_VERSION) and not read_only:
            try:
                with ledger.atomic():
                    ledger._add_tables(missing)
                    if version == TRUST_VERSION:
                        ledger.upgrade()  # 2 -> 3: the log
            except (OperationalError, sqlite3.OperationalError):
                pass  # a read-only copy (an auditor's): readers treat the tables as empty
        return ledger

    @contextmanager
    def atomic(self, *, lock: Iterable[str] = (), exclusive: bool = False) -> Iterator[None]:
        """One write transaction holding the (global) write lock from its start."""
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
        self.insert_many(table, [row])

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows with the same columns in one executemany; must be called inside
        `atomic()`."""
        if not self.conn.in_transaction:
            raise RuntimeError("Ledger.insert outside atomic()")
        batch = list(rows)
        if not batch:
            return
        cols = ", ".join(f"[{c}]" for c in batch[0])
        marks = ", ".join("?" for _ in batch[0])
        self.conn.executemany(
            f"INSERT INTO [{table}] ({cols}) VALUES ({marks})", [list(r.values()) for r in batch]
        )

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        cursor = self.conn.execute(sql, _named(params))
        keys = [d[0] for d in cursor.description or ()]
        return [dict(zip(keys, row, strict=True)) for row in cursor]

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query as tuples, straight from sqlite3."""
        return self.conn.execute(sql, _named(params)).fetchall()

    def source(self) -> LedgerSource:
        """Workers open the file read-only; WAL gives each its own consistent view."""
        return LedgerSource("sqlite", str(self.path))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _named(params: Sequence[Any]) -> dict[str, Any]:
    # `$1` is SQLite's parameter named "1": bound from a mapping, as sqlite3 wants named ones.
    return {str(n): value for n, value in enumerate(params, start=1)}


def trigger_sql(table: str, op: str) -> str:
    """The SQL of the trigger that refuses op (UPDATE or DELETE) on table."""
    return (
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger is append-only: {op} on {table}'); END"
    )


def _connect(
    path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS, *, read_only: bool = False
) -> sqlite3.Connection:
    if read_only:
        # as_uri() percent-encodes '#', '?' and '%' in the path, which a bare file: URI would not.
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000)
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # As sqlite-utils set it when it opened every ledger: a REPLACE that deletes a row fires
    # the append-only DELETE trigger.
    conn.execute("PRAGMA recursive_triggers = ON")
    return conn
