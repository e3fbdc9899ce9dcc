"""The ledger interface every backend implements, and what a worker process needs to reopen it.

Everything above the ledger layer speaks this interface only: reads through `rows()` in one SQL
dialect (SQLite's: `?` parameters, `rowid` ordering, `SELECT * FROM table`), which a backend
translates where it must; writes through `insert()` inside `atomic()`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LedgerSource:
    """How another process opens the same ledger read-only (and, if given, the same snapshot).

    Picklable, so audit workers can be handed it. `target` is a file path or a connection
    string (which may carry a password: never print it; print `Ledger.location`).
    """

    kind: str
    target: str
    snapshot: str | None = None


class Ledger(ABC):
    """An open ledger: read with `rows()`, write only with `insert()` inside `atomic()`."""

    #: What to name in messages: a file path, or a server URL without its password.
    location: str

    @abstractmethod
    def atomic(
        self, *, lock: Iterable[str] = (), exclusive: bool = False
    ) -> AbstractContextManager[None]:
        """One write transaction; rolls back on error.

        `lock` names the items whose chains the transaction appends to: no other writer appends
        to them until it commits. `exclusive` shuts out every other writer (checkpoints), so
        nothing committed before it is missed and nothing is half-seen.
        """

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every read inside (and by `source()` workers) sees one state."""

    @abstractmethod
    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row; must be called inside `atomic()`."""

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows (all with the same columns); must be called inside `atomic()`."""
        for row in rows:
            self.insert(table, row)

    @abstractmethod
    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""

    def tuples(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query as tuples in the order of its columns (for hot loops: the
        audit reads every event this way, without a dict per row)."""
        return [tuple(row.values()) for row in self.rows(sql, params)]

    @property
    @abstractmethod
    def version(self) -> int:
        """The ledger's schema version (1: made before trust roots)."""

    @abstractmethod
    def upgrade(self) -> None:
        """Bring an older ledger to the current schema version; the caller holds `atomic()`."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """True if the ledger holds that table (a table added later may be missing from an
        older ledger that could not be written)."""

    @abstractmethod
    def trigger_problems(self) -> list[str]:
        """What is wrong with the append-only triggers (missing, rewritten, disabled, extra)."""

    @abstractmethod
    def source(self) -> LedgerSource:
        """How a worker process reopens this ledger (inside `snapshot()`: at that snapshot)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


def trigger_differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    """What differs between the triggers a ledger must have and those it has (by name)."""
    out = []
    for name, definition in expected.items():
        if name not in found:
            out.append(f"append-only trigger {name} is missing (dropped?)")
        elif found[name] != definition:
            out.append(f"trigger {name} is not the append-only one (rewritten?)")
    out += [f"unknown trigger {name} in the ledger" for name in sorted(set(found) - set(expected))]
    return out
