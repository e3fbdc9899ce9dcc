"""Copying a ledger between backends, every row and every signed byte as it was.

Rows are copied table by table in their append order inside one exclusive transaction on the
destination, read from one snapshot of the source, then read back from the destination and
compared with the source row by row: a copy that is not identical is never reported done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from ..errors import OperationalError, UsageError
from .backends import create_ledger, is_url, open_ledger
from .base import Ledger
from .schema import TABLES
from .sql import column_list

BATCH = 5000


@dataclass(frozen=True)
class CopyReport:
    """What was copied: rows per table, and between which ledgers (no passwords)."""

    source: str
    destination: str
    rows: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {"source": self.source, "destination": self.destination, "rows": self.rows}


def resolve(location: str) -> str:
    """A URL as given; a workspace folder as its ledger.db; a file path as given."""
    if is_url(location):
        return location
    path = Path(location)
    return str(path / "ledger.db") if path.is_dir() else str(path)


def table_rows(ledger: Ledger, table: str) -> Iterator[dict[str, Any]]:
    """Every row of a table in append order, read in batches (a ledger can be large)."""
    cols = column_list(table)
    after = None
    while True:
        if after is None:
            batch = ledger.rows(
                f"SELECT rowid AS rowid_, {cols} FROM {table} ORDER BY rowid LIMIT {BATCH}"
            )
        else:
            batch = ledger.rows(
                f"SELECT rowid AS rowid_, {cols} FROM {table} WHERE rowid > $1 "
                f"ORDER BY rowid LIMIT {BATCH}",
                (after,),
            )
        for row in batch:
            after = row.pop("rowid_")
            yield row
        if len(batch) < BATCH:
            return


def _open_destination(location: str, grant_to: tuple[str, ...]) -> Ledger:
    if not is_url(location):
        if grant_to:
            raise UsageError("--grant applies to a PostgreSQL destination only")
        if Path(location).exists():
            raise UsageError(f"{location}: exists already", "copy into a new file or folder")
        try:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OperationalError(f"{location}: cannot create ({exc.strerror})") from None
        return create_ledger(location)
    try:
        ledger = open_ledger(location)
    except OperationalError as exc:
        if "no custody ledger" not in exc.message:
            raise
        return create_ledger(location, grant_to)
    try:
        for table in TABLES:
            if ledger.rows(f"SELECT 1 AS x FROM {table} LIMIT 1"):
                raise UsageError(
                    f"{ledger.location}: holds a ledger already ({table} is not empty)",
                    "copy into an empty database",
                )
    except BaseException:
        ledger.close()
        raise
    return ledger


def copy_ledger(source: str, destination: str, grant_to: tuple[str, ...] = ()) -> CopyReport:
    """Copy ledger source into a new, empty destination; verify it row by row.

    A PostgreSQL destination without the schema gets it (and `grant_to` roles SELECT, INSERT).
    """
    src_at, dst_at = resolve(source), resolve(destination)
    if src_at == dst_at:
        raise UsageError(f"{source}: source and destination are the same ledger")
    src = open_ledger(src_at)
    try:
        dst = _open_destination(dst_at, grant_to)
        created_file = None if is_url(dst_at) else Path(dst_at)
        try:
            counts = _copy(src, dst)
        except BaseException:
            dst.close()
            if created_file is not None:
                for leftover in (created_file, *created_file.parent.glob(created_file.name + "-*")):
                    leftover.unlink(missing_ok=True)
            raise
        dst.close()
        return CopyReport(src.location, dst.location, counts)
    finally:
        src.close()


def _copy(src: Ledger, dst: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    with src.snapshot():
        with dst.atomic(exclusive=True):
            for table in TABLES:
                n = 0
                batch: list[dict[str, Any]] = []
                for row in table_rows(src, table):
                    batch.append(row)
                    if len(batch) == BATCH:
                        dst.insert_many(table, batch)
                        n, batch = n + len(batch), []
                dst.insert_many(table, batch)
                counts[table] = n + len(batch)
        for table in TABLES:
            pairs = zip_longest(table_rows(src, table), table_rows(dst, table))
            for n, (theirs, ours) in enumerate(pairs, start=1):
                if theirs != ours:
                    raise OperationalError(
                        f"{dst.location}: row {n} of {table} differs from {src.location} "
                        "after copying",
                        "do not use the copy; report this",
                    )
    return counts
