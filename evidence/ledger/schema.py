"""The ledger's tables, in one place for both backends.

Each backend turns `TABLES` into its own DDL (SQLite through sqlite-utils, PostgreSQL by hand),
so a table added here exists on both, with the same columns, keys and append-only triggers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import OperationalError
from ..message import Message

# Version 2 adds the trust root (trust_anchor) and the signed enrolment and revocation records
# (trust_records). Version-1 ledgers still open; `custody init --authority` on one adopts a root.
# Version 3 adds the append-only log (log_leaves: the order in which every signed record entered
# the ledger) and the note signatures on checkpoints (checkpoint_notes: the log's own C2SP
# signature and witnesses' cosignatures). A version-2 ledger gets them when opened for writing.
SCHEMA_VERSION = 3
TRUST_VERSION = 2
V1_TABLES = ("keys", "certificates", "cases", "items", "events", "checkpoints")
TRUST_TABLES = ("trust_anchor", "trust_records")
LOG_TABLES = ("log_leaves", "checkpoint_notes")
# Tables added within a schema version: an older ledger gets them (and their triggers) on open.
LATER_TABLES = ("timestamps",)

# name: (columns, primary key, unique indexes)
TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...], list[tuple[str, ...]]]] = {
    "keys": (
        {
            "key_id": str,
            "name": str,
            "organisation": str,
            "country": str,
            "role": str,
            "created_at": str,
        },
        "key_id",
        [],
    ),
    "certificates": (
        {
            "fingerprint": str,
            "key_id": str,
            "pem": str,
            "not_before": str,
            "not_after": str,
            "added_at": str,
        },
        "fingerprint",
        [],
    ),
    "cases": (
        {
            "number": str,
            "title": str,
            "jurisdiction": str,
            "legal_basis": str,
            "created_at": str,
            "created_by": str,
        },
        "number",
        [],
    ),
    "items": (
        {
            "item_id": str,
            "case_number": str,
            "sha256": str,
            "sha512": str,
            "md5": str,
            "sha1": str,
            "size": int,
            "media_type": str,
            "evidence_type": str,
            "original_name": str,
            "original_path": str,
            "source": str,
            "acquired_at": str,
            "acquisition_method": str,
            "metadata": str,
            "profile": str,
            "ingested_at": str,
            "ingested_by": str,
        },
        "item_id",
        [("case_number", "sha256")],
    ),
    "events": (
        {
            "event_id": str,
            "item_id": str,
            "seq": int,
            "hash": str,
            "body": str,
            "signature": str,
            "signer": str,
        },
        "event_id",
        [("item_id", "seq"), ("hash",)],
    ),
    "checkpoints": (
        {
            "seq": int,
            "hash": str,
            "body": str,
            "signature": str,
            "signer": str,
        },
        "seq",
        [],
    ),
    # The workspace's root: one row, written at init (or adoption), never changed.
    "trust_anchor": (
        {
            "fingerprint": str,
            "kind": str,
            "pem": str,
            "created_at": str,
        },
        "fingerprint",
        [],
    ),
    # Enrolment and revocation records, each signed by the authority (evidence/trust/records.py).
    "trust_records": (
        {
            "seq": int,
            "kind": str,
            "fingerprint": str,
            "hash": str,
            "body": str,
            "signature": str,
            "signer": str,
        },
        "seq",
        [("hash",)],
    ),
    # RFC 3161 tokens over checkpoint signatures (evidence/timestamp/checkpoints.py).
    "timestamps": (
        {
            "checkpoint_seq": int,
            "token": str,
            "gen_time": str,
            "tsa_url": str,
            "added_at": str,
        },
        "checkpoint_seq",
        [],
    ),
    # The log (evidence/tlog/ledgerlog.py): leaf idx is the record's place in the ledger's one
    # RFC 9162 tree; kind is event, trust or checkpoint, ref its event_id or seq; leaf the hex
    # leaf hash SHA-256(0x00 || the record's signed bytes), recomputed by audit.
    "log_leaves": (
        {
            "idx": int,
            "kind": str,
            "ref": str,
            "leaf": str,
        },
        "idx",
        [("kind", "ref")],
    ),
    # C2SP signed-note signature lines over a checkpoint's tlog-checkpoint text: the log's own
    # (ECDSA, by the checkpoint's signer) and each witness's cosignature, with where it came from.
    "checkpoint_notes": (
        {
            "checkpoint_seq": int,
            "line": str,
            "witness": str,
            "added_at": str,
        },
        ("checkpoint_seq", "line"),
        [],
    ),
}

# Every table is append-only; the triggers of both backends are made from this list.
APPEND_ONLY = (*V1_TABLES, *TRUST_TABLES, *LATER_TABLES, *LOG_TABLES)


def tables_of(version: int) -> tuple[str, ...]:
    """The append-only tables a ledger of that schema version holds (LATER_TABLES aside)."""
    if version >= SCHEMA_VERSION:
        return APPEND_ONLY
    if version >= TRUST_VERSION:
        return (*V1_TABLES, *TRUST_TABLES, *LATER_TABLES)
    return (*V1_TABLES, *LATER_TABLES)


def check_version(location: str, version: int, tables: set[str] | None = None) -> None:
    """Refuse a ledger from a newer tool, or one that is not ours (a version we never wrote, or
    without the tables its version has: `tables`, where the backend lists them)."""
    if version > SCHEMA_VERSION:
        raise OperationalError(
            f"{location}: ledger schema {version} is newer than this tool ({SCHEMA_VERSION})",
            "upgrade custody before using this ledger",
        )
    needed = set(tables_of(version)) - set(LATER_TABLES)
    if version not in (1, TRUST_VERSION, SCHEMA_VERSION) or (
        tables is not None and not needed <= tables
    ):
        raise OperationalError(f"{location}: not a custody ledger (schema {version})")


def upgrade_tables(version: int) -> tuple[str, ...]:
    """The tables a ledger of that version gains on its way to SCHEMA_VERSION (trust, log)."""
    if version >= SCHEMA_VERSION:
        return ()
    return (*(TRUST_TABLES if version < TRUST_VERSION else ()), *LOG_TABLES)


NULLABLE = {"md5", "sha1", "original_path", "acquired_at", "acquisition_method", "profile"}


def columns(table: str) -> list[str]:
    """The table's columns in definition order (what `SELECT *` means on every backend)."""
    return list(TABLES[table][0])


def type_problems(table: str, row: Mapping[str, Any]) -> list[Message]:
    """Columns of a row whose value has the wrong type (SQLite stores any type in any column).

    Audit asks this before trusting a row, so that an edited ledger yields findings, not crashes.
    """
    cols = TABLES[table][0]
    out: list[Message] = []
    for name, kind in cols.items():
        if name not in row:
            continue
        value = row[name]
        if value is None and name in NULLABLE:
            continue
        if type(value) is not kind:
            out.append(
                Message(
                    "{name} holds {found}, not {kind}",
                    name=name,
                    found=type(value).__name__,
                    kind=kind.__name__,
                )
            )
    return out
