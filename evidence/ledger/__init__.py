"""The ledger: one interface (`base.Ledger`), one table list (`schema`), two backends.

SQLite (`sqlite`, one ledger.db file) is the embedded default for one workstation; PostgreSQL
(`postgres`) serves an agency's workstations from one server. Which one is chosen by where the
ledger is (`backends`): a file path, or a postgresql:// URL. Nothing above this package knows
which it got. This face only hands the package's names on.
"""

from __future__ import annotations

from .backends import create_ledger, is_url, open_ledger, open_source
from .base import Ledger, LedgerSource
from .schema import (
    APPEND_ONLY,
    LATER_TABLES,
    SCHEMA_VERSION,
    TABLES,
    TRUST_TABLES,
    V1_TABLES,
    columns,
    type_problems,
)
from .sqlite import BUSY_TIMEOUT_MS, SQLiteLedger, trigger_sql

__all__ = [
    "APPEND_ONLY",
    "BUSY_TIMEOUT_MS",
    "LATER_TABLES",
    "SCHEMA_VERSION",
    "TABLES",
    "TRUST_TABLES",
    "V1_TABLES",
    "Ledger",
    "LedgerSource",
    "SQLiteLedger",
    "columns",
    "create_ledger",
    "is_url",
    "open_ledger",
    "open_source",
    "trigger_sql",
    "type_problems",
]
