"""The PostgreSQL backend: one ledger for an agency, many workstations (psycopg 3).

The same tables and the same signed bytes as SQLite, plus what a shared server needs:
- an administrator role creates the schema and the append-only triggers (UPDATE, DELETE and
  TRUNCATE refused for everyone, owner included) and grants the tool's role SELECT and INSERT
  only;
- appends are serialised per item by transaction-scoped advisory locks taken in sorted order
  (no deadlock between two writers locking the same items), under a shared lock that a
  checkpoint takes exclusively, so a checkpoint waits for every append in flight and never
  misses one committed before it;
- a `rowid` identity column gives rows the append order SQLite's rowid gives (queries order by
  it); queries name their columns (evidence/ledger/sql.py), so this one stays out of their rows;
- queries run as written, with their `$1` parameters bound by the server (psycopg's raw cursor:
  no client-side rewriting of the text);
- every server error becomes one OperationalError line naming the server, never a traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row, tuple_row

from ..errors import OperationalError
from ..message import Message
from .base import Ledger, LedgerSource, trigger_differences
from .schema import (
    APPEND_ONLY,
    NULLABLE,
    SCHEMA_VERSION,
    TABLES,
    TRUST_VERSION,
    V1_TABLES,
    check_version,
    tables_of,
)

CONNECT_TIMEOUT_S = 10
# Advisory lock keys: one bigint for "all appends" (shared) versus checkpoints (exclusive); the
# two-int4 key space, which does not overlap it, holds one lock per item.
_ALL_APPENDS = 0x637573746F6479  # "custody"
_ITEM_CLASS = 0x6375
_LOG_LOCK = 0x6C6F67  # "log"
_PG_TYPES = {str: "text", int: "bigint"}


def redact(conninfo: str) -> str:
    """The server, port, database and user of a connection string, without any password."""
    try:
        parts = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "postgresql://(unparseable URL)"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    where = f"[{host}]" if host.startswith("/") else host
    return f"postgresql://{user}{where}{port}/{parts.get('dbname', '')}"


def _reason(exc: BaseException) -> str:
    # libpq messages run over several lines (a "connection to server ... failed:" prefix, DETAIL
    # and HINT lines): keep the one that says what went wrong.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    main = lines[0]
    if main.endswith("failed:") and len(lines) > 1:
        main = lines[1]
    elif "failed: " in main:
        main = main.rsplit("failed: ", 1)[1]
    return main.replace("FATAL:  ", "").strip()


def _hint(exc: BaseException) -> str:
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "the administrator must GRANT SELECT, INSERT on the ledger tables to this role"
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return "another custody process is writing; retry, or raise CUSTODY_BUSY_TIMEOUT_MS"
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return "run `custody init --ledger URL` as the administrator first"
    text = str(exc)
    if "password" in text:
        return "check the user and password in the URL or ~/.pgpass"
    return "check the URL, that the server runs, and that this workstation may connect"


def _lock_key(item_id: str) -> int:
    # A stable 32-bit key per item; a collision only makes two items share a lock.
    return int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:4], "big", signed=True)


class PostgresLedger(Ledger):
    """A ledger in a PostgreSQL database."""

    like = "ILIKE"

    def __init__(self, conninfo: str, conn: psycopg.Connection[dict[str, Any]]) -> None:
        self.conninfo = conninfo
        self.location = redact(conninfo)
        self.conn = conn
        self._snapshot: str | None = None
        self._in_tx = False
        # The schema version once it is the newest this tool knows: versions only go up, and
        # open() refuses a newer one, so it cannot change under us (an older one is read
        # again each time: the administrator may upgrade it meanwhile).
        self._current: int | None = None

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def connect(cls, conninfo: str) -> PostgresLedger:
        """Connect (no schema check): the one place connection failures become errors."""
        location = redact(conninfo)
        try:
            conn = psycopg.connect(
                conninfo,
                autocommit=True,
                row_factory=dict_row,
                cursor_factory=psycopg.RawCursor,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="custody",
            )
        except psycopg.Error as exc:
            raise OperationalError(
                f"{location}: cannot connect to the ledger server ({_reason(exc)})", _hint(exc)
            ) from None
        return cls(conninfo, conn)

    @classmethod
    def create(cls, conninfo: str, grant_to: Iterable[str] = ()) -> PostgresLedger:
        """Create the schema and triggers (as the administrator); grant roles SELECT, INSERT."""
        ledger = cls.connect(conninfo)
        try:
            if ledger._schema_version() is not None:
                raise OperationalError(
                    f"{ledger.location}: already holds a custody ledger",
                    "workstations only set CUSTODY_LEDGER to its URL",
                )
            with ledger._errors(), ledger.conn.transaction():
                for statement in _ddl():
                    ledger.conn.execute(statement)
                for role in grant_to:
                    ledger.conn.execute(
                        pgsql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
                            pgsql.SQL(", ").join(
                                pgsql.Identifier(t) for t in ["custody_schema", *TABLES]
                            ),
                            pgsql.Identifier(role),
                        )
                    )
        except BaseException:
            ledger.close()
            raise
        return ledger

    @classmethod
    def open(
        cls, conninfo: str, *, snapshot: str | None = None, lock_timeout_ms: int = 10_000
    ) -> PostgresLedger:
        """Connect and check the schema is ours and not newer than this tool.

        A writer waits at most `lock_timeout_ms` for another one (CUSTODY_BUSY_TIMEOUT_MS, as
        for SQLite), then fails with exit 3 instead of hanging behind a stuck workstation.
        """
        ledger = cls.connect(conninfo)
        try:
            with ledger._errors():
                ledger.conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}".encode())
            version = ledger._schema_version()
            if version is None:
                raise OperationalError(
                    f"{ledger.location}: no custody ledger in this database",
                    "run `custody init --ledger URL` as the administrator first",
                )
            check_version(ledger.location, version)
            if version == TRUST_VERSION and snapshot is None and ledger._may_create():
                with ledger.atomic(exclusive=True):
                    ledger.upgrade()  # 2 -> 3, by the administrator: the log
            if snapshot is not None:
                with ledger._errors():
                    ledger.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    ledger.conn.execute("SET TRANSACTION SNAPSHOT " + _quote(snapshot))
                ledger._in_tx = True
        except BaseException:
            ledger.close()
            raise
        return ledger

    def _schema_version(self) -> int | None:
        if self._current is not None:
            return self._current
        with self._errors():
            exists = self.conn.execute(
                "SELECT to_regclass('custody_schema') IS NOT NULL AS present"
            ).fetchone()
            if not exists or not exists["present"]:
                return None
            row = self.conn.execute("SELECT max(version) AS v FROM custody_schema").fetchone()
        version = None if row is None or row["v"] is None else int(row["v"])
        if version == SCHEMA_VERSION:
            self._current = version
        return version

    # -- the interface -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The schema version recorded in custody_schema (1: made before trust roots).

        Asked before every log append and trust check: read from the server (two queries)
        until it is the current version, which it then stays (_schema_version)."""
        return self._schema_version() or 0

    def _add_tables(self, names: tuple[str, ...]) -> None:
        """Create the tables (the connection must be the administrator's: the tool's role may
        not), and grant whoever may append events (the workstations' role) the same on them."""
        with self._errors():
            for statement in _table_ddl(names):
                self.conn.execute(statement.encode())
            roles = self.conn.execute(
                "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
                "WHERE table_name = 'events' AND privilege_type = 'INSERT' "
                "AND grantee <> current_user"
            ).fetchall()
            for role in roles:
                self.conn.execute(
                    pgsql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
                        pgsql.SQL(", ").join(pgsql.Identifier(t) for t in names),
                        pgsql.Identifier(str(role["grantee"])),
                    )
                )

    def _set_version(self, version: int) -> None:
        with self._errors():
            self.conn.execute("INSERT INTO custody_schema (version) VALUES ($1)", (version,))

    def _may_create(self) -> bool:
        # Only the administrator, who owns the ledger's tables, upgrades it.
        with self._errors():
            row = self.conn.execute(
                "SELECT tableowner = current_user AS ok FROM pg_tables WHERE tablename = 'events'"
            ).fetchone()
        return bool(row and row["ok"])

    def has_table(self, name: str) -> bool:
        """True if the database holds that table."""
        with self._errors():
            row = self.conn.execute(
                "SELECT to_regclass($1) IS NOT NULL AS present", (name,)
            ).fetchone()
        return bool(row and row["present"])

    def trigger_problems(self) -> list[Message]:
        """Every table's append-only triggers present, enabled and calling the refusing
        function, whose body still raises; no other trigger on the ledger tables."""
        version = self.version
        tables = tables_of(version) if version >= TRUST_VERSION else V1_TABLES
        expected = {
            f"{name}_{kind}": f"{name}:custody_append_only:enabled"
            for name in (*tables, "custody_schema")
            for kind in ("append_only", "no_truncate")
        }
        with self._errors():
            rows = self.conn.execute(
                "SELECT t.tgname AS name, c.relname AS tab, p.proname AS func,"
                " t.tgenabled AS enabled, p.prosrc AS src FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE NOT t.tgisinternal"
            ).fetchall()
        found = {
            str(r["name"]): f"{r['tab']}:{r['func']}:"
            + ("enabled" if r["enabled"] != "D" and "RAISE EXCEPTION" in r["src"] else "off")
            for r in rows
        }
        return trigger_differences(expected, found)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise OperationalError(
                f"{self.location}: ledger server error ({_reason(exc)})", _hint(exc)
            ) from None

    @contextmanager
    def atomic(self, *, lock: Iterable[str] = (), exclusive: bool = False) -> Iterator[None]:
        """READ COMMITTED: each statement after the locks sees every commit before them."""
        # One round trip for BEGIN and every lock, in this order. The keys are integers we
        # computed, so they are written into the text; without parameters psycopg sends the
        # statements together (an append costs four round trips in all, not six).
        statements = [
            "BEGIN ISOLATION LEVEL READ COMMITTED",
            f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}({_ALL_APPENDS})",
            *(
                f"SELECT pg_advisory_xact_lock({_ITEM_CLASS}, {key})"
                for key in sorted({_lock_key(i) for i in lock})
            ),
        ]
        self._in_tx = True
        try:
            with self._errors():
                self.conn.execute("; ".join(statements).encode())
            yield
        except BaseException:
            self._rollback()
            raise
        try:
            with self._errors():
                self.conn.execute("COMMIT")
        finally:
            self._in_tx = False

    def _rollback(self) -> None:
        self._in_tx = False
        # If the connection is gone, the server has rolled back for us.
        with suppress(psycopg.Error):
            self.conn.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """REPEATABLE READ, exported so that audit workers read the very same state."""
        with self._errors():
            self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._in_tx = True
            row = self.conn.execute("SELECT pg_export_snapshot() AS id").fetchone()
        self._snapshot = None if row is None else str(row["id"])
        try:
            yield
        finally:
            self._snapshot = None
            self._rollback()

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert one row; must be called inside `atomic()`."""
        self.insert_many(table, [row])

    def lock_log(self) -> None:
        """Serialise log appends across workstations until this transaction ends."""
        with self._errors():
            self.conn.execute(f"SELECT pg_advisory_xact_lock({_LOG_LOCK})".encode())

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows with the same columns: one INSERT, or for several one COPY (a batch of
        events and their log leaves; copying a ledger). COPY inserts rows as INSERT does
        (constraints, unique indexes, identity column) in one round trip, which matters
        under the log lock: writers queue there."""
        if not self._in_tx:
            raise RuntimeError("Ledger.insert outside atomic()")
        batch = list(rows)
        if not batch:
            return
        target = pgsql.Identifier(table)
        names = list(batch[0])
        columns = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in names)
        with self._errors():
            if len(batch) == 1:
                statement = pgsql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    target,
                    columns,
                    pgsql.SQL(", ").join(pgsql.SQL(f"${n}") for n in range(1, len(names) + 1)),
                )
                self.conn.execute(statement, [batch[0][c] for c in names])
                return
            copy_in = pgsql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)
            with self.conn.cursor() as cur, cur.copy(copy_in) as copy:
                for row in batch:
                    copy.write_row([row[c] for c in names])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        with self._errors():
            return self.conn.execute(sql.encode(), params).fetchall()

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read query as tuples (psycopg's tuple rows, no dict per row)."""
        with self._errors(), self.conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(sql.encode(), params)
            return cur.fetchall()

    def source(self) -> LedgerSource:
        """The connection string, and the exported snapshot when inside `snapshot()`."""
        return LedgerSource("postgresql", self.conninfo, self._snapshot)

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back by the server)."""
        self.conn.close()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ddl() -> list[str]:
    """The schema as PostgreSQL statements, made from the one table list."""
    return [
        "CREATE TABLE custody_schema (version integer NOT NULL)",
        f"INSERT INTO custody_schema (version) VALUES ({SCHEMA_VERSION})",
        "CREATE FUNCTION custody_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger is append-only: % on %', TG_OP, TG_TABLE_NAME; END $$",
        *_table_ddl(APPEND_ONLY),
        *_trigger_ddl("custody_schema"),
    ]


def _table_ddl(names: Iterable[str]) -> list[str]:
    """CREATE TABLE, its unique indexes and its append-only triggers, for each table named."""
    out = []
    for name in names:
        cols, pk, uniques = TABLES[name]
        defs = ["rowid bigint GENERATED ALWAYS AS IDENTITY UNIQUE"]
        for col, kind in cols.items():
            null = "" if col in NULLABLE else " NOT NULL"
            defs.append(f"{col} {_PG_TYPES[kind]}{null}")
        keys = (pk,) if isinstance(pk, str) else pk
        defs.append(f"PRIMARY KEY ({', '.join(keys)})")
        out.append(f"CREATE TABLE {name} ({', '.join(defs)})")
        for unique in uniques:
            out.append(
                f"CREATE UNIQUE INDEX {name}_{'_'.join(unique)} ON {name} ({', '.join(unique)})"
            )
        out += _trigger_ddl(name)
    return out


def _trigger_ddl(name: str) -> list[str]:
    return [
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
        "FOR EACH ROW EXECUTE FUNCTION custody_append_only()",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION custody_append_only()",
    ]
