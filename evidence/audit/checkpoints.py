"""Checkpoint audit: each checkpoint's bytes, hash, signature, Merkle root and link to the one
before; the files beside the ledger; and that every chain head any checkpoint recorded is still
in the ledger (checking all of them, not just the latest: a checkpoint signed after a deletion
must not launder it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from ..canonical import is_canonical
from ..checkpoint import (
    Checkpoint,
    HeadIndex,
    file_name,
    from_row,
    heads_problems,
    load_file,
    merkle_root,
    token_policy,
    trust_commitment,
)
from ..checkpoint import rows as checkpoint_rows
from ..errors import Malformed
from ..keys import verify_signature
from ..ledger import Ledger, type_problems
from ..message import Message
from ..timestamp.checkpoints import check_tokens
from ..workspace import Workspace
from .events import CERTIFICATES_SQL, load_certificates
from .trust import check_commitment

Add = Callable[[str, str, Message], None]
SignerProblem = Callable[[str, Any], Message | None]


@dataclass(frozen=True)
class CheckpointVerdict:
    """Summary for the verdict line."""

    detail: Message
    seq: int | None
    root: str | None


class _Ledgerview:
    """The ledger facts every checkpoint is compared with, read once."""

    def __init__(self, ws: Workspace, signer_problem: SignerProblem) -> None:
        self.ledger = ws.ledger
        self.heads = HeadIndex(ws.ledger)
        self.certs: dict[str, x509.Certificate] = load_certificates(
            ws.ledger.rows(CERTIFICATES_SQL)
        )[0]
        self.trust = TrustContext.read(ws.ledger, signer_problem)


@dataclass(frozen=True)
class TrustContext:
    """What a checkpoint's signer and trust commitment are checked against."""

    ledger: Ledger
    signer_problem: SignerProblem
    committed: dict[str, Any]

    @classmethod
    def read(cls, ledger: Ledger, signer_problem: SignerProblem) -> TrustContext:
        """The ledger's current trust commitment, read once for every checkpoint."""
        return cls(ledger, signer_problem, trust_commitment(ledger))


def check_signed(
    certs: Mapping[str, x509.Certificate],
    cp: Checkpoint,
    subject: str,
    add: Add,
    trust: TrustContext,
) -> None:
    """A checkpoint's bytes canonical, its hash, signature and Merkle root right; its signer
    established by the trust root; its trust commitment still that of the ledger."""
    # Over the stored bytes, which must be canonical: parsed-and-reserialised bytes could hide
    # a duplicate key that another reader (sqlite's json_extract) would see differently.
    if not is_canonical(cp.data):
        add("checkpoint", subject, Message("stored body is not canonical JSON (RFC 8785)"))
    if hashlib.sha256(cp.data).hexdigest() != cp.hash:
        add("checkpoint", subject, Message("hash does not match its content (edited?)"))
    cert = certs.get(cp.body["actor"]["fingerprint"])
    if cert is None:
        add("checkpoint", subject, Message("signed by a key that is not in this workspace"))
    elif not verify_signature(cert, cp.data, cp.signature):
        add("checkpoint", subject, Message("signature is not valid"))
    else:
        problem = trust.signer_problem(cp.body["actor"]["fingerprint"], cp.body.get("created_at"))
        if problem is not None:
            add("trust", subject, problem)
    if merkle_root(cp.heads) != cp.root:
        add("checkpoint", subject, Message("Merkle root does not match its chain heads"))
    check_commitment(trust.ledger, cp.body, subject, add, trust.committed)


def _heads(view: _Ledgerview, cp: Checkpoint, only: set[str] | None, add: Add) -> None:
    for f in heads_problems(cp, view.heads.of(cp.heads), view.heads.items, only):
        add(f.check, f.subject, f.message)


def parse_row(row: dict[str, Any], add: Add) -> Checkpoint | None:
    """A checkpoint from its ledger row, or None (and a finding) if the row cannot be one."""
    subject = Message("checkpoint #{seq}", seq=row["seq"])
    wrong = type_problems("checkpoints", row)
    if wrong:
        add(
            "checkpoint",
            subject,
            Message("ledger row damaged: {wrong}", wrong=Message.joined("; ", wrong)),
        )
        return None
    try:
        cp = from_row(row)
    except Malformed as exc:
        add("checkpoint", subject, exc.message)
        return None
    if cp.seq != row["seq"] or cp.body["actor"]["fingerprint"] != row["signer"]:
        add(
            "checkpoint",
            subject,
            Message("ledger row's number or signer differ from the signed body"),
        )
    return cp


def _ledger_checkpoints(
    ws: Workspace, view: _Ledgerview, only: set[str] | None, add: Add
) -> list[Checkpoint]:
    good: list[Checkpoint] = []
    previous_hash: str | None = None
    for row in checkpoint_rows(ws.ledger):
        subject = Message("checkpoint #{seq}", seq=row["seq"])
        cp = parse_row(row, add)
        if cp is None:
            continue
        check_signed(view.certs, cp, subject, add, view.trust)
        if cp.body.get("prev") != previous_hash:
            add("checkpoint", subject, Message("does not link to the previous checkpoint"))
        _heads(view, cp, only, add)
        compare_file(ws, cp, subject, add)
        previous_hash = cp.hash
        good.append(cp)
    return good


def compare_file(ws: Workspace, cp: Checkpoint, subject: str, add: Add) -> None:
    """The checkpoint's file beside the vault must exist and hold the same checkpoint."""
    path = ws.checkpoint_dir / file_name(cp.seq)
    if not path.is_file():
        add("checkpoint", subject, Message("file {name} is missing", name=path.name))
        return
    try:
        on_disk = load_file(path)
    except Malformed as exc:
        add("checkpoint", subject, exc.message)
        return
    if on_disk.to_json() != cp.to_json():
        add(
            "checkpoint",
            subject,
            Message("file {name} differs from the ledger (edited?)", name=path.name),
        )


def _foreign(
    ws: Workspace, view: _Ledgerview, path: Path, only: set[str] | None, add: Add
) -> Checkpoint | None:
    # A checkpoint from a file with no ledger row: an orphan here, or a copy kept elsewhere.
    try:
        cp = load_file(path)
    except Malformed as exc:
        add("checkpoint", str(path), exc.message)
        return None
    check_signed(view.certs, cp, str(path), add, view.trust)
    _heads(view, cp, only, add)
    return cp


def check_checkpoints(
    ws: Workspace,
    item_ids: set[str] | None,
    external: Path | None,
    add: Add,
    signer_problem: SignerProblem = lambda fp, at: None,
) -> CheckpointVerdict:
    """Verify every checkpoint, its file and recorded heads; list every problem through add."""
    view = _Ledgerview(ws, signer_problem)
    checkpoints = _ledger_checkpoints(ws, view, item_ids, add)
    stamped = {}
    for token in check_tokens(ws.ledger, checkpoints, ws.checkpoint_dir, None):
        stamped[token.subject] = token.gen_time
        for f in token.findings:  # reported under "checkpoint": the token is part of it
            add("checkpoint", f.subject, f.message)
    known = {file_name(cp.seq): cp.hash for cp in checkpoints}
    if ws.checkpoint_dir.is_dir():
        for path in sorted(ws.checkpoint_dir.glob("checkpoint-*.json")):
            if path.name not in known:
                add(
                    "checkpoint",
                    path.name,
                    Message("file has no checkpoint in the ledger (deleted?)"),
                )
                _foreign(ws, view, path, item_ids, add)
    if external is not None:
        outside = _foreign(ws, view, external, item_ids, add)
        if outside is not None:
            theirs = known.get(file_name(outside.seq))
            if theirs is None:
                add(
                    "checkpoint",
                    str(external),
                    Message("checkpoint #{seq} is missing from the ledger", seq=outside.seq),
                )
            elif theirs != outside.hash:
                add(
                    "checkpoint",
                    str(external),
                    Message("differs from checkpoint #{seq} in the ledger", seq=outside.seq),
                )
    if not checkpoints:
        return CheckpointVerdict(
            Message("no checkpoint yet: removal of whole items cannot be detected"), None, None
        )
    last = checkpoints[-1]
    gen_time = stamped.get(f"checkpoint #{last.seq} token")
    trusted = Message("")
    if gen_time and token_policy(last.body) == "deferred":
        trusted = Message(
            ", RFC 3161 time {time}, added later (deferred)", time=Message.moment(gen_time)
        )
    elif gen_time:
        trusted = Message(", RFC 3161 time {time}", time=Message.moment(gen_time))
    return CheckpointVerdict(
        Message(
            "checkpoint #{seq} ({at}{trusted}) matches the ledger",
            seq=last.seq,
            at=Message.moment(last.body.get("created_at")),
            trusted=trusted,
        ),
        last.seq,
        last.root,
    )
