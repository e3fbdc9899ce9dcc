"""The log in a bundle: the checkpoint that covers every exported event, and one C2SP
tlog-proof per event proving it was in the agency's log at that checkpoint.

    log/checkpoint.json           the checkpoint file (custody-checkpoint/3, its RFC 3161 token)
    log/checkpoint.note           the same tree head as a C2SP tlog-checkpoint note, with the
                                  log's signature and every witness's cosignature
    log/proofs/<item>-<seq>.tlog-proof
                                  c2sp.org/tlog-proof@v1: index, inclusion proof, the note

The leaf of an event is SHA-256(0x00 || SHA-256(its canonical bytes)). The `exported` events the
bundle itself adds are signed at bundling, after the checkpoint: they carry no proof (the next
checkpoint covers them in the ledger). The files are tag files: the signed tag manifest lists
them, so removing or altering one breaks the bundle's signature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..checkpoint import Checkpoint, file_name, from_row
from ..checkpoint import rows as checkpoint_rows
from ..errors import UsageError
from ..events import SignedEvent
from ..ledger import Ledger, marks
from ..tlog.ledgerlog import has_log, ledger_tree, stored_note
from ..tlog.note import Note
from ..tlog.proofnote import TlogProof
from ..tlog.tree import Tree
from ..workspace import Workspace

LOG_DIR = "log"
CHECKPOINT_FILE = f"{LOG_DIR}/checkpoint.json"
NOTE_FILE = f"{LOG_DIR}/checkpoint.note"
PROOF_DIR = f"{LOG_DIR}/proofs"
PROOF_SUFFIX = ".tlog-proof"


def proof_name(item_id: str, seq: int) -> str:
    """Where an event's proof lies in the bag."""
    return f"{PROOF_DIR}/{item_id}-{seq:06d}{PROOF_SUFFIX}"


def _indexes(ledger: Ledger, events: Sequence[SignedEvent]) -> dict[str, int]:
    out: dict[str, int] = {}
    refs = [ev.body["event_id"] for ev in events]
    for i in range(0, len(refs), 500):
        chunk = refs[i : i + 500]
        rows = ledger.rows(
            "SELECT idx, ref FROM log_leaves WHERE kind = 'event' "
            f"AND ref IN ({marks(len(chunk))})",
            tuple(chunk),
        )
        out.update({str(r["ref"]): int(r["idx"]) for r in rows})
    return out


def _covering(ledger: Ledger, needed: int) -> Checkpoint | None:
    # The latest checkpoint, if its log covers every leaf index below `needed`.
    rows = checkpoint_rows(ledger)
    if not rows:
        return None
    latest = from_row(rows[-1])
    log = latest.log
    return latest if log is not None and log.size >= needed else None


@dataclass(frozen=True)
class LogEvidence:
    """What goes into a bundle's log/ folder."""

    checkpoint: Checkpoint
    note: Note
    files: dict[str, bytes]


def ensure_checkpoint(
    ws: Workspace,
    events: Sequence[SignedEvent],
    make: Callable[[], Checkpoint],
) -> Checkpoint | None:
    """The latest checkpoint if it covers `events`, else the one `make` signs now (witnessed
    and timestamped as configured). None for a ledger without the log."""
    if not has_log(ws.ledger):
        return None
    indexes = _indexes(ws.ledger, events)
    missing = [ev for ev in events if ev.body["event_id"] not in indexes]
    if missing:
        raise UsageError(f"event {missing[0].body['event_id']} is not in the log; run an audit")
    needed = max(indexes.values(), default=-1) + 1
    found = _covering(ws.ledger, needed)
    return found if found is not None else make()


def log_evidence(
    ws: Workspace, checkpoint: Checkpoint, events: Sequence[SignedEvent]
) -> LogEvidence:
    """The checkpoint file, its note and an inclusion proof for each event."""
    log = checkpoint.log
    if log is None:
        raise UsageError(f"checkpoint #{checkpoint.seq} does not sign the log")
    note = stored_note(ws.ledger, checkpoint.seq, log)
    if note is None:
        raise UsageError(f"checkpoint #{checkpoint.seq} has no note signature")
    tree: Tree = ledger_tree(ws.ledger)
    indexes = _indexes(ws.ledger, events)
    # The file as written beside the vault (with its RFC 3161 token), else its signed parts.
    path = ws.checkpoint_dir / file_name(checkpoint.seq)
    data = path.read_bytes() if path.is_file() else json.dumps(checkpoint.to_json()).encode()
    files = {CHECKPOINT_FILE: data, NOTE_FILE: note.to_bytes()}
    for ev in events:
        idx = indexes[ev.body["event_id"]]
        proof = tree.inclusion_proof(idx, log.size)
        name = proof_name(ev.body["item_id"], ev.body["seq"])
        files[name] = TlogProof(idx, tuple(proof), note).to_bytes()
    return LogEvidence(checkpoint, note, files)


def proved_events(
    chains: Mapping[str, Sequence[SignedEvent]], exported: set[str]
) -> list[SignedEvent]:
    """Every event of the chains but the export events this bundle adds."""
    return [ev for chain in chains.values() for ev in chain if ev.body["event_id"] not in exported]


def signer_of(checkpoint: Checkpoint) -> str:
    """The checkpoint signer's certificate fingerprint."""
    return str(checkpoint.body["actor"]["fingerprint"])
