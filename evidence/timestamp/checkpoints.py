"""RFC 3161 tokens on checkpoints: fetched when the checkpoint is signed, stored append-only.

The token's imprint is the SHA-256 of the checkpoint's DER signature (as CAdES does for a CMS
signature): it proves the signature, and so the signed tree head, existed at genTime. Tokens
live in the ledger's `timestamps` table and, beside the signed body, in the checkpoint file
(`"timestamp": {"token", "gen_time", "tsa_url"}`); the body and its `custody-checkpoint/1`
schema are unchanged, and files without the key are still read. A checkpoint made while the
TSA was unreachable (`--tsa-optional`) has no row: it is pending until `custody timestamp
--pending` adds one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509

from ..checkpoint import Checkpoint, create_checkpoint, file_name, from_row
from ..checkpoint import rows as checkpoint_rows
from ..errors import EvidenceError, Finding, OperationalError
from ..keys import Signer
from ..ledger import Ledger, type_problems
from ..privacy import write_private
from ..timefmt import parse_rfc3339, utc_now
from ..tlog.note import Note
from ..tlog.tree import Tree
from .client import Token, request_token
from .verify import TokenCheck, verify_token


@dataclass(frozen=True)
class Stamped:
    """A checkpoint and its token (None while pending), with why it is pending."""

    checkpoint: Checkpoint
    token: Token | None
    tsa_url: str | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "seq": self.checkpoint.seq,
            "created_at": self.checkpoint.body.get("created_at"),
            "gen_time": None if self.token is None else self.token.gen_time_utc,
            "tsa_url": self.tsa_url,
            "pending": self.token is None,
            "problem": self.problem,
        }


def signature_bytes(checkpoint: Checkpoint) -> bytes:
    """What the token time-stamps: the checkpoint's DER signature."""
    try:
        return base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return checkpoint.signature.encode()


def _store(ledger: Ledger, checkpoint: Checkpoint, token: Token, url: str) -> None:
    ledger.insert(
        "timestamps",
        {
            "checkpoint_seq": checkpoint.seq,
            "token": base64.b64encode(token.der).decode(),
            "gen_time": token.gen_time_utc,
            "tsa_url": url,
            "added_at": utc_now(),
        },
    )


def file_entry(token: Token, url: str) -> dict[str, str]:
    """The `timestamp` object of a checkpoint file."""
    return {
        "token": base64.b64encode(token.der).decode(),
        "gen_time": token.gen_time_utc,
        "tsa_url": url,
    }


def _write_file(directory: Path, checkpoint: Checkpoint, token: Token, url: str) -> None:
    # The same file create_checkpoint wrote, with the token beside the signed body.
    path = directory / file_name(checkpoint.seq)
    data = {**checkpoint.to_json(), "timestamp": file_entry(token, url)}
    write_private(path, json.dumps(data, indent=1).encode() + b"\n")


def create_stamped(
    ledger: Ledger,
    signer: Signer,
    directory: Path,
    url: str | None,
    optional: bool,
    witness: Callable[[int, Note, Tree], Note] | None = None,
) -> Stamped:
    """A checkpoint carrying a token from url (or none when url is None).

    Without `optional` a TSA failure aborts the checkpoint (nothing is written); with it, the
    checkpoint is stored pending and the failure is returned as `problem`.
    """
    if url is None:
        return Stamped(create_checkpoint(ledger, signer, directory, witness=witness), None)
    got: list[Token] = []
    failed: list[str] = []

    def stamp(checkpoint: Checkpoint) -> None:
        try:
            token = request_token(url, signature_bytes(checkpoint))
        except EvidenceError as exc:
            if not optional:
                raise
            failed.append(exc.message)
            return
        _store(ledger, checkpoint, token, url)
        got.append(token)

    checkpoint = create_checkpoint(ledger, signer, directory, before_commit=stamp, witness=witness)
    if not got:
        return Stamped(checkpoint, None, url, failed[0] if failed else None)
    _write_file(directory, checkpoint, got[0], url)
    return Stamped(checkpoint, got[0], url)


def stored(ledger: Ledger) -> dict[int, dict[str, Any]]:
    """Token rows by checkpoint number (raw: the caller decides what to trust)."""
    if not ledger.has_table("timestamps"):  # an older ledger opened read-only
        return {}
    return {
        r["checkpoint_seq"]: r
        for r in ledger.rows("SELECT * FROM timestamps ORDER BY checkpoint_seq")
        if isinstance(r["checkpoint_seq"], int)
    }


def status(ledger: Ledger) -> list[Stamped]:
    """Every checkpoint with its stored token, or pending."""
    tokens = stored(ledger)
    out = []
    for row in checkpoint_rows(ledger):
        checkpoint = from_row(row)
        token_row = tokens.get(checkpoint.seq)
        if token_row is None:
            out.append(Stamped(checkpoint, None))
            continue
        token = _row_token(token_row)
        out.append(Stamped(checkpoint, token, str(token_row["tsa_url"])))
    return out


def complete_pending(ledger: Ledger, directory: Path, url: str) -> list[Stamped]:
    """Tokens for every checkpoint that has none yet; returns those now stamped."""
    done = []
    for entry in status(ledger):
        if entry.token is not None:
            continue
        checkpoint = entry.checkpoint
        token = request_token(url, signature_bytes(checkpoint))
        with ledger.atomic():
            if checkpoint.seq in stored(ledger):  # another process stamped it meanwhile
                continue
            _store(ledger, checkpoint, token, url)
        if (directory / file_name(checkpoint.seq)).exists():
            _write_file(directory, checkpoint, token, url)
        done.append(Stamped(checkpoint, token, url))
    return done


def _row_token(row: dict[str, Any]) -> Token:
    try:
        der = base64.b64decode(str(row["token"]), validate=True)
    except (binascii.Error, ValueError):
        raise OperationalError(
            f"checkpoint #{row['checkpoint_seq']}: token is not base64"
        ) from None
    return Token.parse(der, f"checkpoint #{row['checkpoint_seq']} token")


def check_tokens(
    ledger: Ledger,
    checkpoints: list[Checkpoint],
    directory: Path,
    trust: list[asn1_x509.Certificate] | None,
) -> list[TokenCheck]:
    """Each stored token: row shape, imprint over its checkpoint's signature, TSA signature,
    the file's copy; with `trust`, also the TSA certificate's path (audit has no trust anchor
    for TSAs, so it checks everything but the path)."""
    by_seq = {cp.seq: cp for cp in checkpoints}
    out = []
    rows = stored(ledger)
    for seq in sorted(set(by_seq) - set(rows)):
        # A deleted row would make a stamped checkpoint look merely pending: the file tells.
        if isinstance(_file_entry(directory, seq), dict):
            subject = f"checkpoint #{seq} token"
            out.append(_failed(subject, "the file carries a token the ledger has not (deleted?)"))
    for seq, row in rows.items():
        subject = f"checkpoint #{seq} token"
        wrong = type_problems("timestamps", row)
        checkpoint = by_seq.get(seq)
        if wrong or checkpoint is None:
            problem = f"ledger row damaged: {'; '.join(wrong)}" if wrong else "has no checkpoint"
            out.append(_failed(subject, problem))
            continue
        try:
            der = base64.b64decode(row["token"], validate=True)
        except (binascii.Error, ValueError):
            out.append(_failed(subject, "token is not base64"))
            continue
        try:
            claimed = parse_rfc3339(str(checkpoint.body.get("created_at")), "created_at")
        except EvidenceError:
            claimed = None  # the checkpoint audit judges the body; here only the token
        check = verify_token(der, signature_bytes(checkpoint), trust, subject, claimed)
        if check.gen_time is not None and check.gen_time != row["gen_time"]:
            check.findings.append(_finding(subject, "ledger row's gen_time differs from the token"))
        _compare_file(directory, seq, row, subject, check)
        out.append(check)
    return out


def _compare_file(
    directory: Path, seq: int, row: dict[str, Any], subject: str, check: TokenCheck
) -> None:
    path = directory / file_name(seq)
    entry = _file_entry(directory, seq)
    if entry is None:
        return  # the checkpoint audit already reports a missing or unreadable file
    if not isinstance(entry, dict) or entry.get("token") != row["token"]:
        check.findings.append(_finding(subject, f"file {path.name} does not carry the same token"))


def _file_entry(directory: Path, seq: int) -> Any:
    """The `timestamp` value of a checkpoint file (False when it has none), None if unreadable."""
    try:
        data = json.loads((directory / file_name(seq)).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data.get("timestamp", False) if isinstance(data, dict) else None


def _failed(subject: str, message: str) -> TokenCheck:
    return TokenCheck(subject, findings=[_finding(subject, message)])


def _finding(subject: str, message: str) -> Finding:
    return Finding("timestamp", subject, message)
