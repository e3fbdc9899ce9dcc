"""Checkpoints: a signed Merkle tree head over every item's chain head.

A chain proves its own events were not edited, but not that its tail (or the whole item) was
not cut off. A checkpoint records every chain head at one moment and signs the lot; audit then
checks each recorded head is still in the ledger. Checkpoints are kept both in the ledger and
as files under checkpoints/, so a copy can be taken off the machine and brought back to audit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from .canonical import canonical_bytes
from .errors import Finding, Malformed, OperationalError, VerificationError, os_reason
from .keys import Signer
from .ledger import Ledger, marks, select_all
from .merkle import tree_head
from .message import Message
from .privacy import write_private
from .signed import Flaw, Kind, Signed, digest
from .timefmt import utc_now
from .timerules import checkpoint_time, clock_problem
from .tlog import ProofError, Tree, verify_consistency
from .tlog.ledgerlog import (
    LeafKind,
    LogCommitment,
    append_leaf,
    commitment,
    has_log,
    ledger_tree,
    sign_note,
    write_note_file,
)
from .tlog.note import Note
from .trust.store import has_trust_tables, require_signing


class Actor(TypedDict):
    """Who signed: name and certificate fingerprint."""

    name: str
    fingerprint: str


class TrustCommitment(TypedDict):
    """What a version-2 checkpoint commits to about trust (see trust_commitment)."""

    anchor: str | None
    certificates: list[str]
    records: list[Any] | None


class TokenPolicy(TypedDict):
    """Version 3: whether the checkpoint's RFC 3161 token was required, deferred or not
    wanted, and the SHA-256 of the previous checkpoint's token (None: it had none)."""

    policy: str
    prev_token_sha256: str | None


class CheckpointBody(TypedDict):
    """A custody-checkpoint body (schemas/custody-checkpoint-3.schema.json; version 2 lacks
    `log`, version 1 `trust` too)."""

    schema: str
    seq: int
    created_at: str
    actor: Actor
    tree_size: int
    events: int
    root: str
    prev: str | None
    heads: list[list[Any]]
    trust: NotRequired[TrustCommitment]
    timestamp: NotRequired[TokenPolicy]
    log: NotRequired[dict[str, Any]]


# Version 2 adds `trust`: the anchor, every certificate and the head of the trust records, so
# a certificate or record removed (or slipped in, dated earlier) after a checkpoint is found.
# Version 3 adds `timestamp`: the RFC 3161 token policy and the previous checkpoint's token
# digest, so a token cannot be stripped in silence; and `log`: origin, size, root and frontier
# of the ledger's append-only log (evidence/tlog/ledgerlog.py), absent only when the ledger has
# no log (a schema-2 PostgreSQL ledger not yet upgraded by its administrator).
# Version-1 and -2 checkpoints still verify. Versions: validation.SCHEMAS.
CHECKPOINT = Kind[CheckpointBody]("custody-checkpoint", Message("checkpoint"))
CHECKPOINT_SCHEMA = CHECKPOINT.current
CHECKPOINT_SCHEMAS = tuple(CHECKPOINT.versions)
# Whether a checkpoint's token was obtained before it was committed, left for later (the TSA
# could not be reached) or not wanted (no TSA configured).
TOKEN_POLICIES = ("required", "deferred", "none")


@dataclass(frozen=True)
class Head:
    """One chain head: the item, its last sequence number and that event's hash."""

    item_id: str
    seq: int
    hash: str

    def leaf(self) -> bytes:
        """The Merkle leaf data for this head."""
        return canonical_bytes([self.item_id, self.seq, self.hash])


def token_policy(body: CheckpointBody) -> str | None:
    """The token policy a checkpoint signed (None: made before version 3 said)."""
    stamp = body.get("timestamp")
    return str(stamp["policy"]) if isinstance(stamp, dict) else None


def prev_token_digest(body: CheckpointBody) -> str | None:
    """The previous checkpoint's token digest a version-3 checkpoint commits to, or None."""
    stamp = body.get("timestamp")
    value = stamp.get("prev_token_sha256") if isinstance(stamp, dict) else None
    return value if isinstance(value, str) else None


def trust_commitment(ledger: Ledger) -> dict[str, Any]:
    """What a checkpoint commits to about trust: anchor, every certificate, records head."""
    anchor = None
    head = None
    if has_trust_tables(ledger):
        rows = ledger.rows("SELECT fingerprint FROM trust_anchor")
        anchor = rows[0]["fingerprint"] if len(rows) == 1 else None
        last = ledger.rows("SELECT seq, hash FROM trust_records ORDER BY seq DESC LIMIT 1")
        head = [last[0]["seq"], last[0]["hash"]] if last else None
    # str(): a damaged row (bytes where text belongs) must give a finding, not a crash.
    certs = sorted(
        str(r["fingerprint"]) for r in ledger.rows("SELECT fingerprint FROM certificates")
    )
    return {"anchor": anchor, "certificates": certs, "records": head}


class Checkpoint(Signed[CheckpointBody]):
    """A well-formed, signed checkpoint body with its hash, signature and exact bytes."""

    @property
    def seq(self) -> int:
        """Checkpoint number, from 1."""
        return int(self.body["seq"])

    @property
    def root(self) -> str:
        """Merkle tree head (hex)."""
        return str(self.body["root"])

    @property
    def log(self) -> LogCommitment | None:
        """What a version-3 checkpoint signs about the log (None before version 3, or from a
        ledger without the log)."""
        if self.body["schema"] != CHECKPOINT_SCHEMA or "log" not in self.body:
            return None
        return LogCommitment.read(self.body["log"], Message("checkpoint #{seq}", seq=self.seq))

    @property
    def heads(self) -> list[Head]:
        """The chain heads it covers."""
        return [Head(i, s, h) for i, s, h in self.body["heads"]]

    def to_json(self) -> dict[str, Any]:
        """File form: body, hash, signature."""
        return {"checkpoint": self.body, "hash": self.hash, "signature": self.signature}

    @classmethod
    def parse(cls, data: bytes, hash_: Any, signature: Any, source: str) -> Checkpoint:
        """From the signed bytes; anything malformed is rejected with the source named.

        Bytes that are not canonical are read (the audit reports them beside the hash they
        then fail), everything else is refused.
        """
        body = CHECKPOINT.strict(data, source, allow={Flaw.CANONICAL})
        if not isinstance(hash_, str) or not isinstance(signature, str):
            raise Malformed(Message("{source}: hash or signature missing", source=source))
        return cls(body, hash_, signature, data)

    @classmethod
    def from_json(cls, data: Any, source: str) -> Checkpoint:
        """Parse the file form (the body is re-serialised canonically, as it was signed)."""
        if not isinstance(data, dict) or "checkpoint" not in data:
            raise Malformed(Message("{source}: not a checkpoint file", source=source))
        _, raw = CHECKPOINT.body_of(data["checkpoint"], source)
        return cls.parse(raw, data.get("hash"), data.get("signature"), source)


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


def rows(ledger: Ledger) -> list[dict[str, Any]]:
    """Every checkpoint row, oldest first (parsed by the caller, which decides what to trust)."""
    return ledger.rows(select_all("checkpoints") + " ORDER BY seq")


def from_row(row: dict[str, Any]) -> Checkpoint:
    """A checkpoint from its ledger row (the stored bytes are the signed bytes)."""
    return Checkpoint.parse(
        str(row["body"]).encode(),
        row["hash"],
        row["signature"],
        Message("checkpoint #{seq}", seq=row["seq"]),
    )


class HeadIndex:
    """What checkpoints are compared with: the item ids, and the hash of each event a
    checkpoint names as a head, by (item, seq), looked up as checkpoints are read and kept
    (consecutive checkpoints share most heads). Memory follows the distinct heads, not the
    ledger's events (a dict of every event took hundreds of MB at 1,000,000 events)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.items = {r["item_id"] for r in ledger.rows("SELECT item_id FROM items")}
        self.hashes: dict[tuple[str, int], str | None] = {}

    def of(self, heads: list[Head]) -> dict[tuple[str, int], str | None]:
        """(item, seq) -> hash of the event the ledger holds there (None: none) for every head;
        the unique hash index answers for heads still in place, (item, seq) for the rest."""
        wanted = {(h.item_id, h.seq): h.hash for h in heads}
        wanted = {k: v for k, v in wanted.items() if k not in self.hashes}
        digests = sorted(set(wanted.values()))
        for start in range(0, len(digests), _CHUNK):
            chunk = digests[start : start + _CHUNK]
            query = f"SELECT item_id, seq, hash FROM events WHERE hash IN ({marks(len(chunk))})"
            for r in self.ledger.rows(query, tuple(chunk)):
                key = (r["item_id"], r["seq"])
                if wanted.get(key) == r["hash"]:
                    self.hashes[key] = r["hash"]
        for key in [k for k in wanted if k not in self.hashes]:
            found = self.ledger.rows("SELECT hash FROM events WHERE item_id = $1 AND seq = $2", key)
            self.hashes[key] = found[-1]["hash"] if found else None
        return self.hashes


_CHUNK = 500  # parameters per IN (...) query


def missing_heads(ledger: Ledger, checkpoint: Checkpoint) -> list[Finding]:
    """Chain heads the checkpoint recorded that the ledger no longer holds as recorded."""
    index = HeadIndex(ledger)
    return heads_problems(checkpoint, index.of(checkpoint.heads), index.items, None)


def heads_problems(
    checkpoint: Checkpoint,
    events: dict[tuple[str, int], str | None],
    items: set[str],
    only: set[str] | None,
) -> list[Finding]:
    """Compare a checkpoint's heads with the ledger's events (restricted to `only` items)."""
    out = []
    for head in checkpoint.heads:
        if only is not None and head.item_id not in only and head.item_id in items:
            continue
        subject = Message("item {item_id}", item_id=head.item_id)
        if head.item_id not in items:
            message = Message("item deleted since checkpoint #{seq}", seq=checkpoint.seq)
        elif (found := events.get((head.item_id, head.seq))) is None:
            message = Message(
                "event #{seq} (head at checkpoint #{checkpoint}) is gone",
                seq=head.seq,
                checkpoint=checkpoint.seq,
            )
        elif found != head.hash:
            message = Message(
                "event #{seq} differs from checkpoint #{checkpoint}",
                seq=head.seq,
                checkpoint=checkpoint.seq,
            )
        else:
            continue
        out.append(Finding("checkpoint", subject, message))
    return out


def file_name(seq: int) -> str:
    """checkpoint-000001.json and so on."""
    return f"checkpoint-{seq:06d}.json"


def _write_file(directory: Path, checkpoint: Checkpoint) -> None:
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / file_name(checkpoint.seq)
    write_private(path, json.dumps(checkpoint.to_json(), indent=1).encode() + b"\n")


def _log_lost(previous: Checkpoint, tree: Tree) -> list[Finding]:
    # The log must still extend what the previous checkpoint signed.
    log = previous.log
    if log is None:
        return []
    subject = Message("checkpoint #{seq}", seq=previous.seq)
    if log.size > tree.size:
        message = Message(
            "the log holds {size} records, fewer than the {signed} it signed",
            size=tree.size,
            signed=log.size,
        )
        return [Finding("log", subject, message)]
    try:
        proof = tree.consistency_proof(log.size) if log.size else []
        if log.size:
            verify_consistency(log.size, tree.size, proof, log.root, tree.root())
    except ProofError as exc:
        return [
            Finding(
                "log",
                subject,
                Message("the log does not extend it: {message}", message=exc.wording),
            )
        ]
    return []


def token_digest(ledger: Ledger, seq: int) -> str | None:
    """SHA-256 of checkpoint seq's stored DER token, or None when it has none."""
    if not ledger.has_table("timestamps"):
        return None
    rows = ledger.rows("SELECT token FROM timestamps WHERE checkpoint_seq = $1", (seq,))
    return token_row_digest(rows[0]) if rows else None


def token_row_digest(row: dict[str, Any]) -> str:
    """SHA-256 of a stored token row's DER token (what the next checkpoint commits to)."""
    try:
        der = base64.b64decode(str(row["token"]), validate=True)
    except ValueError:
        der = str(row["token"]).encode()  # audit reports it; the digest still binds it
    return hashlib.sha256(der).hexdigest()


def gen_times(ledger: Ledger) -> dict[int, str]:
    """Stored genTime of each checkpoint's token (the token audit says whether they hold)."""
    if not ledger.has_table("timestamps"):
        return {}
    return {
        r["checkpoint_seq"]: r["gen_time"]
        for r in ledger.rows("SELECT checkpoint_seq, gen_time FROM timestamps")
        if isinstance(r["checkpoint_seq"], int) and isinstance(r["gen_time"], str)
    }


def _require_clock(ledger: Ledger, previous: Checkpoint) -> None:
    latest = checkpoint_time(previous.body, gen_times(ledger).get(previous.seq))
    problem = clock_problem(utc_now(), latest, {})
    if problem is not None:
        raise OperationalError(
            Message("refusing to sign: {problem}", problem=problem),
            "set this computer's clock right (UTC); a signature may not claim an earlier time",
        )


@dataclass(frozen=True)
class Hooks:
    """Work done inside a checkpoint's transaction, so that it commits with the checkpoint or
    not at all: `first` before the heads and the log are read (records the checkpoint must
    cover: a bundle's export events), `last` once the checkpoint is signed, stamped and
    cosigned (what must be durable before it commits: the note an unfinished bundle leaves)."""

    first: Callable[[], None] | None = None
    last: Callable[[Checkpoint], None] | None = None


def create_checkpoint(
    ledger: Ledger,
    signer: Signer,
    directory: Path,
    before_commit: Callable[[Checkpoint], None] | None = None,
    token: str = "none",
    witness: Callable[[int, Note, Tree], Note] | None = None,
    hooks: Hooks | None = None,
) -> Checkpoint:
    """Sign a tree head over all chain heads and the log; store it in the ledger and as files.

    Refuses (exit 1) when a head the previous checkpoint recorded is gone, or the log no longer
    extends the one it signed: signing the reduced ledger would launder the deletion.
    `before_commit` runs inside the transaction (the RFC 3161 token is fetched and stored
    there), then `witness` (the cosignatures are fetched and stored there), so if either raises
    nothing is written. Refuses (exit 2) when the trust root does not establish the signer now
    (not enrolled, revoked): audit would reject the checkpoint anyway; and (exit 3) when this
    computer's clock is earlier than the previous checkpoint. `token` is the RFC 3161 policy
    the body signs (TOKEN_POLICIES). `hooks` run inside the transaction too (Hooks).
    """
    if token not in TOKEN_POLICIES:
        raise ValueError(f"token policy {token!r}")  # a bug in the caller
    require_signing(
        ledger,
        signer.record,
        " a checkpoint",
        "sign with an enrolled key (`custody key list` shows each key's standing)",
    )
    # Exclusive: every append in flight commits first, none starts until this one commits.
    with ledger.atomic(exclusive=True):
        if hooks is not None and hooks.first is not None:
            hooks.first()
        existing = [from_row(r) for r in rows(ledger)]
        previous = existing[-1] if existing else None
        logged = has_log(ledger)
        tree = ledger_tree(ledger) if logged else None
        if previous is not None:
            lost = missing_heads(ledger, previous)
            if tree is not None:
                lost += _log_lost(previous, tree)
            if lost:
                raise VerificationError(
                    f"refusing to checkpoint: the ledger lost what checkpoint #{previous.seq} "
                    "recorded; run `custody audit`",
                    lost,
                )
            _require_clock(ledger, previous)
        heads = current_heads(ledger)
        events = ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
        trust = trust_commitment(ledger)
        anchor = trust["anchor"]
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
            "trust": trust,
            "timestamp": {
                "policy": token,
                "prev_token_sha256": None
                if previous is None
                else token_digest(ledger, previous.seq),
            },
        }
        if tree is not None and anchor:
            body["log"] = commitment(anchor, tree)
        data = canonical_bytes(body)
        checkpoint = Checkpoint(cast(CheckpointBody, body), digest(data), signer.sign(data), data)
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
        note = None
        log = checkpoint.log
        if log is not None and tree is not None:
            append_leaf(ledger, LeafKind.CHECKPOINT, checkpoint.seq, data)
            note = sign_note(ledger, checkpoint.seq, log, signer.private_key)
        if before_commit is not None:
            before_commit(checkpoint)
        if witness is not None and note is not None and tree is not None:
            note = witness(checkpoint.seq, note, tree)
        if hooks is not None and hooks.last is not None:
            hooks.last(checkpoint)
    # Files are written after the commit (a file without its row would look like a deleted
    # row); a file lost to a crash just here is written back by the next checkpoint.
    for cp in [*existing, checkpoint]:
        if not (directory / file_name(cp.seq)).exists():
            _write_file(directory, cp)
    if note is not None:
        write_note_file(directory, checkpoint.seq, note)
    return checkpoint


def load_file(path: Path) -> Checkpoint:
    """A checkpoint from a file (ours, or a copy brought back from elsewhere)."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise Malformed(
            Message("{path}: cannot read ({why})", path=str(path), why=os_reason(exc))
        ) from None
    except (ValueError, RecursionError):
        raise Malformed(Message("{path}: not JSON", path=str(path))) from None
    return Checkpoint.from_json(data, str(path))
