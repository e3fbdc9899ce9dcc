"""The log in a bundle: the checkpoint that covers every exported event, and one C2SP
tlog-proof per event proving it was in the agency's log at that checkpoint.

    log/checkpoint.json           the checkpoint file (custody-checkpoint/3, its RFC 3161 token)
    log/checkpoint.note           the same tree head as a C2SP tlog-checkpoint note, with the
                                  log's signature and every witness's cosignature
    log/proofs/<item>-<seq>.tlog-proof
                                  c2sp.org/tlog-proof@v1: index, inclusion proof, the note
    log/proofs/trust-<seq>.tlog-proof
                                  the same for each trust record the manifest carries

The leaf of an event is SHA-256(0x00 || SHA-256(its canonical bytes)). Every event the bundle
carries has a proof, the `exported` events it adds included: they are recorded with the
checkpoint (build.py, exports.py). The files are tag files: the signed tag manifest lists
them, so removing or altering one breaks the bundle's signature.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..checkpoint import Checkpoint, file_name
from ..errors import UsageError
from ..events import SignedEvent
from ..ledger import Ledger, marks
from ..tlog.ledgerlog import ledger_tree, stored_note
from ..tlog.note import Note
from ..tlog.proofnote import TlogProof
from ..tlog.tree import Tree
from ..trust.records import TrustRecord
from ..workspace import Workspace

LOG_DIR = "log"
CHECKPOINT_FILE = f"{LOG_DIR}/checkpoint.json"
NOTE_FILE = f"{LOG_DIR}/checkpoint.note"
PROOF_DIR = f"{LOG_DIR}/proofs"
PROOF_SUFFIX = ".tlog-proof"


def proof_name(item_id: str, seq: int) -> str:
    """Where an event's proof lies in the bag."""
    return f"{PROOF_DIR}/{item_id}-{seq:06d}{PROOF_SUFFIX}"


def trust_proof_name(seq: int) -> str:
    """Where a trust record's proof lies in the bag."""
    return f"{PROOF_DIR}/trust-{seq:06d}{PROOF_SUFFIX}"


def _indexes(ledger: Ledger, kind: str, refs: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(refs), 500):
        chunk = refs[i : i + 500]
        rows = ledger.rows(
            f"SELECT idx, ref FROM log_leaves WHERE kind = $1 AND ref IN ({marks(len(chunk), 2)})",
            (kind, *chunk),
        )
        out.update({str(r["ref"]): int(r["idx"]) for r in rows})
    return out


@dataclass(frozen=True)
class LogEvidence:
    """What goes into a bundle's log/ folder."""

    checkpoint: Checkpoint
    note: Note
    files: dict[str, bytes]


def log_evidence(
    ws: Workspace,
    checkpoint: Checkpoint,
    events: Sequence[SignedEvent],
    records: Sequence[TrustRecord] = (),
) -> LogEvidence:
    """The checkpoint file, its note and an inclusion proof for each event and trust record
    (the trust records let a recipient apply a revocation by log order, not by date)."""
    log = checkpoint.log
    if log is None:
        raise UsageError(f"checkpoint #{checkpoint.seq} does not sign the log")
    note = stored_note(ws.ledger, checkpoint.seq, log)
    if note is None:
        raise UsageError(f"checkpoint #{checkpoint.seq} has no note signature")
    tree: Tree = ledger_tree(ws.ledger)
    indexes = _indexes(ws.ledger, "event", [ev.body["event_id"] for ev in events])
    numbered = [(int(r.body["seq"]), r) for r in records if type(r.body.get("seq")) is int]
    trust = _indexes(ws.ledger, "trust", [str(n) for n, _ in numbered])
    # The file as written beside the vault (with its RFC 3161 token), else its signed parts.
    path = ws.checkpoint_dir / file_name(checkpoint.seq)
    data = path.read_bytes() if path.is_file() else json.dumps(checkpoint.to_json()).encode()
    files = {CHECKPOINT_FILE: data, NOTE_FILE: note.to_bytes()}
    for ev in events:
        idx = indexes[ev.body["event_id"]]
        proof = tree.inclusion_proof(idx, log.size)
        name = proof_name(ev.body["item_id"], ev.body["seq"])
        files[name] = TlogProof(idx, tuple(proof), note).to_bytes()
    for n, _ in numbered:
        idx = trust[str(n)]
        proof = tree.inclusion_proof(idx, log.size)
        files[trust_proof_name(n)] = TlogProof(idx, tuple(proof), note).to_bytes()
    return LogEvidence(checkpoint, note, files)


def declared(evidence: LogEvidence) -> dict[str, Any]:
    """The manifest's `log` object (evidence-manifest/4): what log/ holds, signed with it."""
    log = evidence.checkpoint.log
    assert log is not None  # log_evidence refuses a checkpoint without one
    proofs = sum(1 for name in evidence.files if name.startswith(PROOF_DIR + "/"))
    return {
        "checkpoint": {"seq": evidence.checkpoint.seq, "hash": evidence.checkpoint.hash},
        "origin": log.origin,
        "size": log.size,
        "proofs": proofs,
    }


def signer_of(checkpoint: Checkpoint) -> str:
    """The checkpoint signer's certificate fingerprint."""
    return str(checkpoint.body["actor"]["fingerprint"])
