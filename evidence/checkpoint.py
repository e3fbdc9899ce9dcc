"""Checkpoints: a signed Merkle tree head over every item's chain head.

A chain proves its own events were not edited, but not that its tail (or the whole item) was
not cut off. A checkpoint records every chain head at one moment and signs the lot; audit then
checks each recorded head is still in the ledger. Checkpoints are kept both in the ledger and
as files under checkpoints/, so a copy can be taken off the machine and brought back to audit.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .canonical import canonical_bytes
from .errors import InputRejected
from .keys import Signer
from .ledger import Ledger
from .merkle import tree_head
from .timefmt import utc_now

CHECKPOINT_SCHEMA = "custody-checkpoint/1"


@dataclass(frozen=True)
class Head:
    """One chain head: the item, its last sequence number and that event's hash."""

    item_id: str
    seq: int
    hash: str

    def leaf(self) -> bytes:
        """The Merkle leaf data for this head."""
        return canonical_bytes([self.item_id, self.seq, self.hash])


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint body with its hash and signature."""

    body: dict[str, Any]
    hash: str
    signature: str

    @property
    def seq(self) -> int:
        """Checkpoint number, from 1."""
        return int(self.body["seq"])

    @property
    def root(self) -> str:
        """Merkle tree head (hex)."""
        return str(self.body["root"])

    @property
    def heads(self) -> list[Head]:
        """The chain heads it covers."""
        return [Head(i, s, h) for i, s, h in self.body["heads"]]

    def to_json(self) -> dict[str, Any]:
        """File form: body, hash, signature."""
        return {"checkpoint": self.body, "hash": self.hash, "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any, source: str) -> Checkpoint:
        """Parse the file form; malformed input is rejected with the file named."""
        try:
            return cls(dict(data["checkpoint"]), str(data["hash"]), str(data["signature"]))
        except (KeyError, TypeError, ValueError):
            raise InputRejected(f"{source}: not a checkpoint file") from None


def current_heads(ledger: Ledger) -> list[Head]:
    """Every item's chain head, ordered by item id."""
    rows = ledger.rows(
        "SELECT e.item_id, e.seq, e.hash FROM events e JOIN "
        "(SELECT item_id, MAX(seq) AS seq FROM events GROUP BY item_id) m "
        "ON e.item_id = m.item_id AND e.seq = m.seq ORDER BY e.item_id"
    )
    return [Head(r["item_id"], r["seq"], r["hash"]) for r in rows]


def merkle_root(heads: list[Head]) -> str:
    """Hex Merkle tree head over heads (in the given order)."""
    return tree_head([h.leaf() for h in heads]).hex()


def latest(ledger: Ledger) -> Checkpoint | None:
    """The newest checkpoint in the ledger."""
    rows = ledger.rows("SELECT * FROM checkpoints ORDER BY seq DESC LIMIT 1")
    return _from_row(rows[0]) if rows else None


def all_checkpoints(ledger: Ledger) -> list[Checkpoint]:
    """Every checkpoint, oldest first."""
    return [_from_row(r) for r in ledger.rows("SELECT * FROM checkpoints ORDER BY seq")]


def _from_row(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(json.loads(row["body"]), row["hash"], row["signature"])


def file_name(seq: int) -> str:
    """checkpoint-000001.json and so on."""
    return f"checkpoint-{seq:06d}.json"


def create_checkpoint(ledger: Ledger, signer: Signer, directory: Path) -> Checkpoint:
    """Sign a tree head over all chain heads; store it in the ledger and as a file."""
    with ledger.atomic():
        heads = current_heads(ledger)
        previous = latest(ledger)
        events = ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
        body: dict[str, Any] = {
            "schema": CHECKPOINT_SCHEMA,
            "seq": 1 if previous is None else previous.seq + 1,
            "created_at": utc_now(),
            "actor": signer.actor,
            "tree_size": len(heads),
            "events": events,
            "root": merkle_root(heads),
            "prev": None if previous is None else previous.hash,
            "heads": [[h.item_id, h.seq, h.hash] for h in heads],
        }
        data = canonical_bytes(body)
        checkpoint = Checkpoint(body, hashlib.sha256(data).hexdigest(), signer.sign(data))
        ledger.insert(
            "checkpoints",
            {
                "seq": checkpoint.seq,
                "hash": checkpoint.hash,
                "body": data.decode(),
                "signature": checkpoint.signature,
                "signer": signer.record.fingerprint,
            },
        )
        # The file is written inside the transaction: if writing fails, the row is rolled back.
        directory.mkdir(exist_ok=True)
        path = directory / file_name(checkpoint.seq)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(json.dumps(checkpoint.to_json(), indent=1).encode() + b"\n")
        os.replace(tmp, path)
    return checkpoint


def load_file(path: Path) -> Checkpoint:
    """A checkpoint from a file (ours, or a copy brought back from elsewhere)."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputRejected(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise InputRejected(f"{path}: not JSON") from None
    return Checkpoint.from_json(data, str(path))
