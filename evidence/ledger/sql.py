"""The one SQL both backends run, written once: no query is translated from one dialect to another.

What differs between SQLite and PostgreSQL is settled here, explicitly, instead of by rewriting
query text:
- parameters are numbered, `$1`, `$2`...: PostgreSQL reads them natively (psycopg's raw cursor
  sends the text as it is), SQLite reads `$1` as a parameter named "1" (its `$AAAA` form), which
  the SQLite backend binds by name. So one text, and each driver's own parameter binding;
- a query never says `SELECT *` (PostgreSQL tables carry an explicit `rowid` column that SQLite
  keeps hidden): `column_list` names a table's columns from the one table list (`schema`);
- case-insensitive matching (SQLite's LIKE ignores ASCII case, PostgreSQL's does not) is the
  backend's `Ledger.like` operator, named in the query where it is meant;
- `rowid` is the append order on both (SQLite's own, a PostgreSQL identity column).
"""

from __future__ import annotations

from .schema import columns


def marks(count: int, start: int = 1) -> str:
    """`$start, $start+1, ...`: the parameters of an IN list of count values."""
    return ", ".join(f"${n}" for n in range(start, start + count))


def column_list(table: str, alias: str = "") -> str:
    """The table's columns, in definition order, as a select list (what `*` would mean)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + name for name in columns(table))


def select_all(table: str) -> str:
    """`SELECT <every column> FROM table`, to which a query adds its WHERE and ORDER BY."""
    return f"SELECT {column_list(table)} FROM {table}"
