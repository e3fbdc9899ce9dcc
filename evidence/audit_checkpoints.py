"""Checkpoint audit: signatures, the checkpoint chain, the files beside the ledger, and that
every chain head a checkpoint recorded is still in the ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .canonical import canonical_bytes
from .checkpoint import Checkpoint, all_checkpoints, file_name, load_file, merkle_root
from .errors import EvidenceError
from .keys import verify_signature
from .workspace import Workspace

Add = Callable[[str, str, str], None]


@dataclass(frozen=True)
class CheckpointVerdict:
    """Summary for the verdict line."""

    detail: str
    seq: int | None
    root: str | None


def _check_one(ws: Workspace, cp: Checkpoint, subject: str, add: Add) -> None:
    certs = ws.keys.certificates()
    data = canonical_bytes(cp.body)
    if hashlib.sha256(data).hexdigest() != cp.hash:
        add("checkpoint", subject, "hash does not match its content (edited?)")
    actor = cp.body.get("actor") or {}
    cert = certs.get(actor.get("fingerprint", ""))
    if cert is None:
        add("checkpoint", subject, "signed by a key that is not in this workspace")
    elif not verify_signature(cert, data, cp.signature):
        add("checkpoint", subject, "signature is not valid")
    try:
        heads = cp.heads
    except (TypeError, ValueError):
        add("checkpoint", subject, "chain head list is malformed")
        return
    if merkle_root(heads) != cp.root:
        add("checkpoint", subject, "Merkle root does not match its chain heads")


def _check_heads(ws: Workspace, cp: Checkpoint, item_ids: set[str] | None, add: Add) -> None:
    events = {
        (r["item_id"], r["seq"]): r["hash"]
        for r in ws.ledger.rows("SELECT item_id, seq, hash FROM events")
    }
    items = {r["item_id"] for r in ws.ledger.rows("SELECT item_id FROM items")}
    for head in cp.heads:
        if item_ids is not None and head.item_id not in item_ids and head.item_id in items:
            continue
        subject = f"item {head.item_id}"
        if head.item_id not in items:
            add("checkpoint", subject, f"item deleted since checkpoint #{cp.seq}")
            continue
        found = events.get((head.item_id, head.seq))
        if found is None:
            add("checkpoint", subject, f"event #{head.seq} (head at checkpoint #{cp.seq}) is gone")
        elif found != head.hash:
            add("checkpoint", subject, f"event #{head.seq} differs from checkpoint #{cp.seq}")


def check_checkpoints(
    ws: Workspace, item_ids: set[str] | None, external: Path | None, add: Add
) -> CheckpointVerdict:
    """Verify every checkpoint and its file, then the latest one's heads against the ledger."""
    checkpoints = all_checkpoints(ws.ledger)
    previous: Checkpoint | None = None
    for cp in checkpoints:
        subject = f"checkpoint #{cp.seq}"
        _check_one(ws, cp, subject, add)
        if cp.body.get("prev") != (None if previous is None else previous.hash):
            add("checkpoint", subject, "does not link to the previous checkpoint")
        path = ws.checkpoint_dir / file_name(cp.seq)
        if not path.is_file():
            add("checkpoint", subject, f"file {path.name} is missing")
        else:
            try:
                on_disk = load_file(path)
            except EvidenceError as exc:
                add("checkpoint", subject, exc.message)
            else:
                if on_disk.to_json() != cp.to_json():
                    add(
                        "checkpoint", subject, f"file {path.name} differs from the ledger (edited?)"
                    )
        previous = cp
    known = {file_name(cp.seq) for cp in checkpoints}
    if ws.checkpoint_dir.is_dir():
        for path in sorted(ws.checkpoint_dir.glob("checkpoint-*.json")):
            if path.name not in known:
                add("checkpoint", path.name, "file has no checkpoint in the ledger (deleted?)")
                try:
                    _check_heads(ws, load_file(path), item_ids, add)
                except EvidenceError as exc:
                    add("checkpoint", path.name, exc.message)
    if external is not None:
        outside = load_file(external)
        _check_one(ws, outside, str(external), add)
        _check_heads(ws, outside, item_ids, add)
        theirs = {cp.seq: cp.hash for cp in checkpoints}
        if theirs.get(outside.seq) not in (None, outside.hash):
            add(
                "checkpoint", str(external), f"differs from checkpoint #{outside.seq} in the ledger"
            )
        elif outside.seq not in theirs:
            add(
                "checkpoint", str(external), f"checkpoint #{outside.seq} is missing from the ledger"
            )
    if not checkpoints:
        return CheckpointVerdict(
            "no checkpoint yet: removal of whole items cannot be detected", None, None
        )
    last = checkpoints[-1]
    _check_heads(ws, last, item_ids, add)
    return CheckpointVerdict(
        f"checkpoint #{last.seq} ({last.body.get('created_at')}) matches the ledger",
        last.seq,
        last.root,
    )
