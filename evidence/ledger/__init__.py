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
    LOG_TABLES,
    SCHEMA_VERSION,
    TABLES,
    TRUST_TABLES,
    TRUST_VERSION,
    V1_TABLES,
    check_version,
    columns,
    tables_of,
    type_problems,
)
from .sql import column_list, marks, select_all
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
    "check_version",
    "column_list",
    "columns",
    "create_ledger",
    "is_url",
    "marks",
    "open_ledger",
    "open_source",
    "select_all",
    "tables_of",
    "trigger_sql",
    "type_problems",
]
