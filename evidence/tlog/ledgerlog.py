"""The ledger's one append-only log: every signed record is a leaf, in the order it entered.

Leaves are custody events, trust records and checkpoints (docs/ledger.md says why nothing else
is one). A leaf is the RFC 9162 leaf hash of the record's hash, SHA-256(0x00 || SHA-256(the
record's signed canonical bytes)), so whoever holds the record (or just its hash) computes its
leaf; the `log_leaves` table keeps the order (idx) and the leaf hashes for
speed, and audit recomputes each from its record. Appends take the ledger's log lock, so a
leaf's index is its commit order and a checkpoint (exclusive) always signs a prefix.

A checkpoint commits to the log in `log`: the origin (`custody/<anchor fingerprint>`), the size
and root of the tree before the checkpoint's own leaf, and the tree's frontier (the roots of
its perfect subtrees: what `audit --since-checkpoint` continues from). It is also published as
a C2SP tlog-checkpoint note signed by the checkpoint's key (`checkpoint_notes`, and the file
checkpoints/checkpoint-NNNNNN.note), to which witnesses add their cosignatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import Malformed
from ..ledger import SCHEMA_VERSION, Ledger, select_all
from ..merkle import leaf_hash
from ..message import Message
from ..privacy import write_private
from ..timefmt import utc_now
from .note import Note, NoteSignature, ecdsa_sign, ecdsa_vkey
from .signedhead import SignedHead
from .tree import Frontier, Tree

ORIGIN_PREFIX = "custody/"


class LeafKind(StrEnum):
    """What kind of signed record a leaf is."""

    EVENT = "event"
    TRUST = "trust"
    CHECKPOINT = "checkpoint"


def has_log(ledger: Ledger) -> bool:
    """True for a ledger that keeps the log (schema 3; an older copy opened read-only does not)."""
    return ledger.version >= SCHEMA_VERSION


def origin(anchor: str) -> str:
    """The log's origin line: one per workspace, named by its trust anchor's fingerprint."""
    return ORIGIN_PREFIX + anchor


def record_leaf(data: bytes) -> bytes:
    """The leaf hash of a signed record's canonical bytes."""
    return leaf_hash(hashlib.sha256(data).digest())


def hash_leaf(record_hash: str) -> bytes:
    """The leaf hash of a record given by its hex SHA-256 (ValueError if it is not one)."""
    raw = bytes.fromhex(record_hash)
    if len(raw) != 32:
        raise ValueError("not a SHA-256")
    return leaf_hash(raw)


def append_leaf(ledger: Ledger, kind: LeafKind, ref: str | int, data: bytes) -> int | None:
    """Append a record's leaf; the caller holds `atomic()`. None if the ledger has no log."""
    return append_leaves(ledger, kind, [(ref, data)])


def append_leaves(
    ledger: Ledger, kind: LeafKind, records: Sequence[tuple[str | int, bytes]]
) -> int | None:
    """Append leaves for records (ref, signed bytes) in order, in one batch; the caller holds
    `atomic()`. Returns the first leaf's index (None if the ledger has no log or no records)."""
    if not records or not has_log(ledger):
        return None
    # Hashed before the lock: every other writer's leaves wait for it until this one commits.
    leaves = [(str(ref), record_leaf(data).hex()) for ref, data in records]
    ledger.lock_log()
    last = ledger.rows("SELECT MAX(idx) AS n FROM log_leaves")
    first = 0 if not last or last[0]["n"] is None else int(last[0]["n"]) + 1
    ledger.insert_many(
        "log_leaves",
        [
            {"idx": first + i, "kind": str(kind), "ref": ref, "leaf": leaf}
            for i, (ref, leaf) in enumerate(leaves)
        ],
    )
    return first


def leaf_rows(ledger: Ledger, start: int = 0) -> list[dict[str, Any]]:
    """Log rows from index `start` on, in order (raw: audit decides what to trust)."""
    if not ledger.has_table("log_leaves"):
        return []
    return ledger.rows(
        "SELECT idx, kind, ref, leaf FROM log_leaves WHERE idx >= $1 ORDER BY idx", (start,)
    )


def leaf_bytes(row: dict[str, Any]) -> bytes:
    """A row's leaf hash as bytes; Malformed for a damaged row."""
    value = row.get("leaf")
    if not isinstance(value, str) or len(value) != 64:
        raise Malformed(Message("log leaf #{idx} is not a SHA-256", idx=row.get("idx")))
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Malformed(Message("log leaf #{idx} is not a SHA-256", idx=row.get("idx"))) from None


def ledger_tree(ledger: Ledger) -> Tree:
    """The whole log as a tree (stored leaf hashes, read once)."""
    return Tree(leaf_bytes(r) for r in leaf_rows(ledger))


def commitment(anchor: str, tree: Tree) -> dict[str, Any]:
    """The `log` object a checkpoint signs: origin, size, root, frontier (hex)."""
    return {
        "origin": origin(anchor),
        "size": tree.size,
        "root": tree.root().hex(),
        "frontier": [h.hex() for h in tree.frontier().hashes],
    }


@dataclass(frozen=True)
class LogCommitment:
    """A checkpoint's `log` object, read."""

    origin: str
    size: int
    root: bytes
    frontier: Frontier

    @property
    def head(self) -> SignedHead:
        """As a tlog-checkpoint."""
        return SignedHead(self.origin, self.size, self.root)

    @classmethod
    def read(cls, value: Any, source: str) -> LogCommitment:
        """From a checkpoint body's `log`; Malformed naming the source when malformed."""
        if not isinstance(value, dict) or set(value) != {"origin", "size", "root", "frontier"}:
            raise Malformed(Message("{source}: log commitment is malformed", source=source))
        size, root, frontier = value["size"], value["root"], value["frontier"]
        if (
            not isinstance(value["origin"], str)
            or not value["origin"].startswith(ORIGIN_PREFIX)
            or type(size) is not int
            or size < 0
            or not _is_hex32(root)
            or not isinstance(frontier, list)
            or not all(_is_hex32(h) for h in frontier)
            or len(frontier) != bin(size).count("1")
        ):
            raise Malformed(Message("{source}: log commitment is malformed", source=source))
        hashes = tuple(bytes.fromhex(h) for h in frontier)
        return cls(value["origin"], size, bytes.fromhex(root), Frontier(size, hashes))


def _is_hex32(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 64:
        return False
    return all(c in "0123456789abcdef" for c in value)


def sign_note(
    ledger: Ledger, seq: int, log: LogCommitment, key: ec.EllipticCurvePrivateKey
) -> Note:
    """Sign the checkpoint's tlog-checkpoint note with the checkpoint key and store the line."""
    text = log.head.text()
    signature = ecdsa_sign(log.origin, key, text)
    store_signatures(ledger, seq, [signature], "")
    return Note(text, (signature,))


def note_vkey(anchor: str, key: ec.EllipticCurvePublicKey) -> str:
    """The C2SP verifier key (type 0x02) of a checkpoint key in this workspace."""
    return ecdsa_vkey(origin(anchor), key)


def workspace_vkey(ledger: Ledger, key: object) -> str | None:
    """The vkey a witness is given for this key's checkpoints; None without a trust root."""
    if ledger.version < 2 or not isinstance(key, ec.EllipticCurvePublicKey):
        return None
    rows = ledger.rows("SELECT fingerprint FROM trust_anchor")
    return note_vkey(str(rows[0]["fingerprint"]), key) if len(rows) == 1 else None


def store_signatures(
    ledger: Ledger, seq: int, signatures: Sequence[NoteSignature], witness: str
) -> None:
    """Keep note signature lines of checkpoint `seq` (witness: its URL; "" for the log's own)."""
    at = utc_now()
    for sig in signatures:
        ledger.insert(
            "checkpoint_notes",
            {"checkpoint_seq": seq, "line": sig.line(), "witness": witness, "added_at": at},
        )


def note_rows(ledger: Ledger, seq: int | None = None) -> list[dict[str, Any]]:
    """Stored signature lines (of one checkpoint, or all), in the order they were added."""
    if not ledger.has_table("checkpoint_notes"):
        return []
    if seq is None:
        return ledger.rows(select_all("checkpoint_notes") + " ORDER BY rowid")
    return ledger.rows(
        select_all("checkpoint_notes") + " WHERE checkpoint_seq = $1 ORDER BY rowid", (seq,)
    )


def stored_note(ledger: Ledger, seq: int, log: LogCommitment) -> Note | None:
    """The checkpoint's note with every stored signature line, or None if it has none."""
    lines = [NoteSignature.parse_line(str(r["line"]).rstrip("\n")) for r in note_rows(ledger, seq)]
    return Note(log.head.text(), tuple(lines)) if lines else None


def note_file(directory: Path, seq: int) -> Path:
    """checkpoints/checkpoint-NNNNNN.note: the published C2SP checkpoint."""
    return directory / f"checkpoint-{seq:06d}.note"


def write_note_file(directory: Path, seq: int, note: Note) -> None:
    """Write (or rewrite, with more cosignatures) a checkpoint's note file durably."""
    directory.mkdir(mode=0o700, exist_ok=True)
    write_private(note_file(directory, seq), note.to_bytes())
