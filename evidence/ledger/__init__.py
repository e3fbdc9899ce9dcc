"""The ledger: one interface (`base.Ledger`), one table list (`schema`), two backends.

SQLite (`sqlite`, one ledger.db file) is the embedded default for one workstation; PostgreSQL
(`postgres`) serves an agency's workstations from one server. Which one is chosen by where the
ledger is: a file path, or a postgresql:// URL. Nothing above this package knows which it got.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .base import Ledger, LedgerSource
from .schema import (
    APPEND_ONLY,
    LATER_TABLES,
    LOG_TABLES,
    SCHEMA_VERSION,
    TABLES,
    TRUST_TABLES,
    TRUST_VERSION,
    V1_TABLES,
    columns,
    tables_of,
    type_problems,
)
from .sqlite import BUSY_TIMEOUT_MS, SQLiteLedger, trigger_sql

__all__ = [
    "APPEND_ONLY",
    "BUSY_TIMEOUT_MS",
    "LATER_TABLES",
    "LOG_TABLES",
    "SCHEMA_VERSION",
    "TABLES",
    "TRUST_TABLES",
    "TRUST_VERSION",
    "V1_TABLES",
    "Ledger",
    "LedgerSource",
    "SQLiteLedger",
    "columns",
    "create_ledger",
    "is_url",
    "open_ledger",
    "open_source",
    "tables_of",
    "trigger_sql",
    "type_problems",
]


def is_url(location: str | Path) -> bool:
    """True when the ledger lives on a PostgreSQL server rather than in a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def create_ledger(location: str | Path, grant_to: Iterable[str] = ()) -> Ledger:
    """A new, empty ledger: a SQLite file, or the schema in a PostgreSQL database."""
    if is_url(location):
        from .postgres import PostgresLedger  # psycopg is imported only by those who use it

        return PostgresLedger.create(str(location), grant_to)
    return SQLiteLedger.create(Path(location))


def open_ledger(location: str | Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Ledger:
    """Open an existing ledger (file path or postgresql:// URL)."""
    if is_url(location):
        from .postgres import PostgresLedger

        return PostgresLedger.open(str(location), lock_timeout_ms=busy_timeout_ms)
    return SQLiteLedger.open(Path(location), busy_timeout_ms)


def open_source(source: LedgerSource) -> Ledger:
    """Reopen a ledger read-only in a worker process, at the snapshot the source names."""
    if source.kind == "postgresql":
        from .postgres import PostgresLedger

        return PostgresLedger.open(source.target, snapshot=source.snapshot)
    return SQLiteLedger.open(Path(source.target), read_only=True)
