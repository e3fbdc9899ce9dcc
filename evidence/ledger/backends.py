"""Which backend a ledger location names, and opening it: a file path is SQLite, a
postgresql:// URL is PostgreSQL (psycopg is imported only by those who use it)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .base import Ledger, LedgerSource
from .sqlite import BUSY_TIMEOUT_MS, SQLiteLedger


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
