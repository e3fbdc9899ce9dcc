"""Checking a bundle's log/ folder: each custody event proved inside the sender's append-only
log at the bundle's checkpoint, the checkpoint signed (JSON and C2SP note) and, with witness
keys, cosigned. One check, `log.inclusion`, in the verdict (logproofs.py has the layout)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ..checkpoint import Checkpoint
from ..errors import EvidenceError, Malformed, Worded
from ..events import SignedEvent
from ..keys import verify_signature
from ..message import Message
from ..tlog import ProofError, verify_inclusion
from ..tlog.cosignature import CosignatureVerifier, cosigned_times
from ..tlog.ledgerlog import record_leaf
from ..tlog.note import Note, ecdsa_verify
from ..tlog.proofnote import TlogProof
from ..trust.records import TrustRecord
from .bagit import BagFile
from .checklist import Checklist
from .logproofs import (
    CHECKPOINT_FILE,
    LOG_DIR,
    NOTE_FILE,
    PROOF_DIR,
    proof_name,
    trust_proof_name,
)
from .logtime import check_checkpoint_token
from .manifest import signed_events

CHECK = "log.inclusion"
MAX_LOG_FILE = 1 << 20


def _read(root: Path, files: Mapping[str, BagFile], name: str) -> bytes | None:
    found = files.get(name)
    if found is None or found.size > MAX_LOG_FILE:
        return None
    fd = os.open(root / name, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(MAX_LOG_FILE + 1)


@dataclass(frozen=True)
class CarriedLog:
    """The checkpoint a bundle carries, its note, and its token's genTime once that holds."""

    checkpoint: Checkpoint
    note: Note
    gen_time: str | None


def _checkpoint(
    root: Path,
    files: Mapping[str, BagFile],
    certs: Mapping[str, x509.Certificate],
    checks: Checklist,
) -> tuple[Checkpoint, Note, Any] | None:
    raw, note_raw = _read(root, files, CHECKPOINT_FILE), _read(root, files, NOTE_FILE)
    if raw is None or note_raw is None:
        checks.fail(
            CHECK,
            LOG_DIR,
            Message(
                "{checkpoint_file} or {note_file} is missing or too large",
                checkpoint_file=CHECKPOINT_FILE,
                note_file=NOTE_FILE,
            ),
        )
        return None
    try:
        value = json.loads(raw)
        cp = Checkpoint.from_json(value, CHECKPOINT_FILE)
        log = cp.log
        note = Note.parse(note_raw, NOTE_FILE)
    except Malformed as exc:
        checks.fail(CHECK, LOG_DIR, exc.message)
        return None
    except (ValueError, RecursionError):
        checks.fail(CHECK, LOG_DIR, Message("{name} is not JSON", name=CHECKPOINT_FILE))
        return None
    if log is None:
        checks.fail(
            CHECK, CHECKPOINT_FILE, Message("is not a custody-checkpoint/3 (it signs no log)")
        )
        return None
    cert = certs.get(str(cp.body["actor"]["fingerprint"]))
    key = None if cert is None else cert.public_key()
    if cert is None or not isinstance(key, ec.EllipticCurvePublicKey):
        checks.fail(
            CHECK, CHECKPOINT_FILE, Message("its signer's certificate is not in the manifest")
        )
        return None
    if hashlib.sha256(cp.data).hexdigest() != cp.hash or not verify_signature(
        cert, cp.data, cp.signature
    ):
        checks.fail(CHECK, CHECKPOINT_FILE, Message("checkpoint signature is not valid"))
        return None
    if note.text != log.head.text():
        checks.fail(CHECK, NOTE_FILE, Message("the note's tree head differs from the checkpoint's"))
        return None
    if not any(ecdsa_verify(log.origin, key, note.text, s) for s in note.signatures):
        checks.fail(CHECK, NOTE_FILE, Message("carries no valid signature by the checkpoint's key"))
        return None
    return cp, note, value.get("timestamp")


def _cosigned(note: Note, cosigners: Sequence[CosignatureVerifier], checks: Checklist) -> str:
    times, problems = cosigned_times(note, cosigners)
    for problem in problems:
        checks.fail(CHECK, NOTE_FILE, problem)
    for name, found in times.items():
        if not found:
            checks.fail(CHECK, NOTE_FILE, Message("not cosigned by witness {name}", name=name))
    said = [name for name, found in times.items() if found]
    return f"; cosigned by {', '.join(said)}" if said else ""


def _exempt(entry: Mapping[str, Any], index: int, issuer: str, declared: bool) -> bool:
    # Before manifest version 4 declared the log, the export event the bundle added (the
    # chain's last, signed by the manifest's signer) was signed after its checkpoint.
    if declared:
        return False
    records = entry["custody"]
    body = records[index]["event"]
    actor = body.get("actor") if isinstance(body, dict) else None
    return (
        index == len(records) - 1
        and isinstance(actor, dict)
        and body.get("action") == "exported"
        and actor.get("fingerprint") == issuer
    )


@dataclass
class LogOrder:
    """Leaf indices proved by the bundle: events by (item id, seq), trust records by hash."""

    events: dict[tuple[str, int], int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def _proved(
    raw: bytes,
    subject: str,
    data: bytes,
    cp: Checkpoint,
    note: Note,
    seen: dict[int, str],
) -> int:
    """The leaf index of a record whose proof holds; raises a Worded error naming why not."""
    log = cp.log
    assert log is not None
    proof = TlogProof.parse(raw, subject)
    if proof.checkpoint.text != note.text:
        raise ProofError(Message("its proof is for another tree than the bundle's checkpoint"))
    if seen.get(proof.index, subject) != subject:
        raise ProofError(
            Message(
                "claims leaf #{index}, as {seen} does", index=proof.index, seen=seen[proof.index]
            )
        )
    seen[proof.index] = subject
    verify_inclusion(proof.index, log.size, record_leaf(data), proof.proof, log.root)
    return proof.index


def _event_problem(
    root: Path,
    files: Mapping[str, BagFile],
    entry: Mapping[str, Any],
    ev: SignedEvent,
    cp: Checkpoint,
    note: Note,
    seen: dict[int, str],
    order: LogOrder,
) -> tuple[str, Message] | None:
    """(subject, problem) for one event whose inclusion is not proved, else None."""
    seq = ev.body.get("seq")
    subject = Message("item {item_id} event #{seq}", item_id=entry["item_id"], seq=seq)
    if type(seq) is not int or not 0 < seq < 10**9:
        return subject, Message("has no sequence number, so no proof can be found for it")
    raw = _read(root, files, proof_name(str(entry["item_id"]), seq))
    if raw is None:
        if str(ev.body.get("at", "")) > str(cp.body.get("created_at", "")):
            return subject, Message(
                "not covered: it is dated after checkpoint #{seq} "
                "(the bundle's checkpoint is older than its events)",
                seq=cp.seq,
            )
        return subject, Message("has no inclusion proof")
    try:
        order.events[(str(entry["item_id"]), seq)] = _proved(
            raw, subject, ev.canonical, cp, note, seen
        )
    except Worded as exc:
        return subject, exc.message
    except ValueError:  # a hostile event that has no canonical form (item.chain says so too)
        return subject, Message("the event has no canonical bytes to prove")
    return None


def _record_problems(
    root: Path,
    files: Mapping[str, BagFile],
    manifest: Mapping[str, Any],
    cp: Checkpoint,
    note: Note,
    seen: dict[int, str],
    order: LogOrder,
) -> list[tuple[str, Message]]:
    """(subject, problem) for each trust record the manifest carries whose inclusion is not
    proved (version 4 proves them; custody.trust reports a record that does not read)."""
    trust = manifest.get("trust")
    raw_records = trust.get("records") if isinstance(trust, dict) else None
    out: list[tuple[str, Message]] = []
    for n, value in enumerate(raw_records if isinstance(raw_records, list) else []):
        try:
            record = TrustRecord.from_json(value, f"trust.records[{n}]")
        except EvidenceError:
            continue
        seq = record.body.get("seq")
        subject = Message("trust record #{seq}", seq=seq)
        if type(seq) is not int or not 0 < seq < 10**9:
            out.append((f"trust.records[{n}]", Message("has no sequence number, so no proof")))
            continue
        raw = _read(root, files, trust_proof_name(seq))
        if raw is None:
            out.append((subject, Message("has no inclusion proof")))
            continue
        try:
            order.records[record.hash] = _proved(raw, subject, record.data, cp, note, seen)
        except Worded as exc:
            out.append((subject, exc.message))
    return out


def _declared_problems(
    declared: Mapping[str, Any], cp: Checkpoint, files: Mapping[str, BagFile], checks: Checklist
) -> bool:
    """Whether log/ differs from what the signed manifest (version 4) declares; each named."""
    log = cp.log
    assert log is not None
    said = declared["checkpoint"]
    found: list[tuple[str, Message]] = []
    if (said["seq"], said["hash"]) != (cp.seq, cp.hash):
        found.append(
            (
                CHECKPOINT_FILE,
                Message(
                    "is checkpoint #{seq} ({hash}...), the signed manifest declares "
                    "#{declared} ({declared_hash}...)",
                    seq=cp.seq,
                    hash=cp.hash[:16],
                    declared=said["seq"],
                    declared_hash=str(said["hash"])[:16],
                ),
            )
        )
    elif (declared["origin"], declared["size"]) != (log.origin, log.size):
        found.append(
            (CHECKPOINT_FILE, Message("its log is not the one the signed manifest declares"))
        )
    proofs = sum(1 for name in files if name.startswith(PROOF_DIR + "/"))
    if proofs != declared["proofs"]:
        found.append(
            (
                PROOF_DIR,
                Message(
                    "holds {n} proofs, the signed manifest declares {declared} (removed or added?)",
                    n=proofs,
                    declared=declared["proofs"],
                ),
            )
        )
    for subject, problem in found:
        checks.fail(CHECK, subject, problem)
    return bool(found)


def carries_log(files: Mapping[str, BagFile]) -> bool:
    """Whether the bundle has a log/ folder (bundles made before the log have none)."""
    return any(p.startswith(LOG_DIR + "/") for p in files)


def carried_checkpoint(
    root: Path,
    files: Mapping[str, BagFile],
    certs: Mapping[str, x509.Certificate],
    checks: Checklist,
    tsa_trust: list[Any] | None = None,
) -> CarriedLog | None:
    """The checkpoint the bundle carries, its note and its token (check log.timestamp), read
    and checked once for the time rules and the inclusion check; None without a log, or when
    they do not hold (named in checks)."""
    found = _checkpoint(root, files, certs, checks) if carries_log(files) else None
    if found is None:
        return None
    cp, note, token = found
    return CarriedLog(cp, note, check_checkpoint_token(cp, token, tsa_trust, checks))


def check_inclusion(
    root: Path,
    files: Mapping[str, BagFile],
    manifest: Mapping[str, Any],
    carried: CarriedLog | None,
    cosigners: Sequence[CosignatureVerifier],
    checks: Checklist,
) -> LogOrder:
    """Every event of every chain proved in the carried checkpoint; every problem listed.

    A version-4 manifest declares the log it carries: missing, another checkpoint, or proofs
    removed or added is a failure; older bundles without log/ are skipped (made before it).
    Returns the leaf index of every event and trust record proved (for the revocation rule
    by log order, custodians.py)."""
    order = LogOrder()
    declared = manifest.get("log")
    if not carries_log(files):
        if isinstance(declared, dict):
            checks.fail(
                CHECK,
                LOG_DIR,
                Message(
                    "the signed manifest declares the log (checkpoint #{seq}, {proofs} proofs) "
                    "but the bundle carries no {log_dir}/ (stripped?)",
                    seq=declared["checkpoint"]["seq"],
                    proofs=declared["proofs"],
                    log_dir=LOG_DIR,
                ),
            )
        elif cosigners:
            checks.fail(
                CHECK, LOG_DIR, Message("the bundle carries no log, so no witness cosigned it")
            )
        else:
            checks.skip(CHECK, Message("the bundle carries no log proofs (made before the log)"))
        return order
    if carried is None:
        return order
    cp, note = carried.checkpoint, carried.note
    log = cp.log
    assert log is not None
    failed = False
    if isinstance(declared, dict):
        failed = _declared_problems(declared, cp, files, checks)
    cosigned = _cosigned(note, cosigners, checks)
    issuer = str(manifest["issuer"]["fingerprint"])
    proved = 0
    seen: dict[int, str] = {}
    for entry in manifest["items"]:
        for i, ev in enumerate(signed_events(entry)):
            if _exempt(entry, i, issuer, isinstance(declared, dict)):
                continue
            problem = _event_problem(root, files, entry, ev, cp, note, seen, order)
            if problem is not None:
                failed = True
                checks.fail(CHECK, *problem)
            else:
                proved += 1
    if isinstance(declared, dict):  # trust records are proved from version 4 on
        for problem in _record_problems(root, files, manifest, cp, note, seen, order):
            failed = True
            checks.fail(CHECK, *problem)
    if not failed:
        records = f" and {len(order.records)} trust records" if order.records else ""
        checks.ok(
            CHECK,
            "log",
            Message(
                "{proved} events{records} proved in checkpoint #{seq} (a log of {size} records, "
                "{origin}...){cosigned}",
                proved=proved,
                records=records,
                seq=cp.seq,
                size=log.size,
                origin=log.origin[:20],
                cosigned=cosigned,
            ),
        )
    return order
