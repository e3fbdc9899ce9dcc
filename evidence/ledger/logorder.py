"""The log leaves of a ledger made before the log (schema 2 -> 3), written once at upgrade.

Such a ledger recorded no ledger-wide order, so its records are placed by the time each signed
(`at`, a checkpoint's `created_at`), ties in the order trust record, event, checkpoint and then
row order. From the upgrade on, the order is the order of commits (evidence/tlog/ledgerlog.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from ..merkle import leaf_hash


class _Tables(Protocol):
    # The two methods of base.Ledger that backfill uses (Ledger.upgrade calls backfill, so this
    # module does not import base).
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None: ...


# table: (leaf kind, reference column, time field of the body)
SOURCES = {
    "trust_records": ("trust", "seq", "at"),
    "events": ("event", "event_id", "at"),
    "checkpoints": ("checkpoint", "seq", "created_at"),
}


def _time(body: str, field: str) -> str:
    try:
        value = json.loads(body).get(field)
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def backfill(ledger: _Tables) -> int:
    """Append a leaf for every record of the tables above; the caller holds `atomic()`."""
    found: list[tuple[str, int, int, dict[str, Any]]] = []
    for rank, (table, (kind, ref, field)) in enumerate(SOURCES.items()):
        rows = ledger.rows(f"SELECT rowid AS r, {ref} AS ref, hash, body FROM {table}")
        for row in rows:
            body = str(row["body"])
            # The leaf of a record is the leaf hash of its SHA-256 (evidence/tlog/ledgerlog.py).
            digest = hashlib.sha256(body.encode()).digest()
            leaf = {"kind": kind, "ref": str(row["ref"]), "leaf": leaf_hash(digest).hex()}
            found.append((_time(body, field), rank, int(row["r"]), leaf))
    found.sort(key=lambda f: f[:3])
    ledger.insert_many("log_leaves", [{"idx": i, **f[3]} for i, f in enumerate(found)])
    return len(found)
