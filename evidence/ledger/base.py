"""The ledger interface every backend implements, and what a worker process needs to reopen it.

Everything above the ledger layer speaks this interface only: reads through `rows()` in the one
SQL both backends run as written (`sql`: `$1` parameters, `rowid` ordering, named columns, the
backend's `like` operator), writes through `insert()` inside `atomic()`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from ..message import Message
from .logorder import backfill
from .schema import SCHEMA_VERSION, upgrade_tables


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
    #: The LIKE operator that ignores (ASCII) case, as SQLite's LIKE does.
    like: str = "LIKE"

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

    def lock_log(self) -> None:
        """Before appending a log leaf: no other writer appends one until this commits, so a
        leaf's index is its commit order. SQLite's write lock is global already."""
        return None

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows (all with the same columns); must be called inside `atomic()`."""
        for row in rows:
            self.insert(table, row)

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts; params are the query's `$1`, `$2`... in order."""

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query as tuples in the order of its columns (for hot loops: the
        audit reads every event this way, without a dict per row)."""
        return [tuple(row.values()) for row in self.rows(sql, params)]

    @property
    @abstractmethod
    def version(self) -> int:
        """The ledger's schema version (1: made before trust roots)."""

    def upgrade(self) -> None:
        """Bring an older ledger to the current schema version: the trust tables (to a version-1
        ledger), the log (to a version-2 one, its leaves written in their signed order); the
        caller holds `atomic()`."""
        added = upgrade_tables(self.version)
        if not added:
            return
        self._add_tables(added)
        backfill(self)
        self._set_version(SCHEMA_VERSION)

    @abstractmethod
    def _add_tables(self, names: tuple[str, ...]) -> None:
        """Create those tables (from `schema.TABLES`) with their append-only triggers."""

    @abstractmethod
    def _set_version(self, version: int) -> None:
        """Record the ledger's schema version."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """True if the ledger holds that table (a table added later may be missing from an
        older ledger that could not be written)."""

    @abstractmethod
    def trigger_problems(self) -> list[Message]:
        """What is wrong with the append-only triggers (missing, rewritten, disabled, extra)."""

    @abstractmethod
    def source(self) -> LedgerSource:
        """How a worker process reopens this ledger (inside `snapshot()`: at that snapshot)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


def trigger_differences(expected: dict[str, str], found: dict[str, str]) -> list[Message]:
    """What differs between the triggers a ledger must have and those it has (by name)."""
    out: list[Message] = []
    for name, definition in expected.items():
        if name not in found:
            out.append(Message("append-only trigger {name} is missing (dropped?)", name=name))
        elif found[name] != definition:
            out.append(Message("trigger {name} is not the append-only one (rewritten?)", name=name))
    out += [
        Message("unknown trigger {name} in the ledger", name=name)
        for name in sorted(set(found) - set(expected))
    ]
    return out
