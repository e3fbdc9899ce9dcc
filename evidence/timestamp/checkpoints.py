"""RFC 3161 tokens on checkpoints: fetched when the checkpoint is signed, stored append-only.

The token's imprint is the SHA-256 of the checkpoint's DER signature (as CAdES does for a CMS
signature): it proves the signature, and so the signed tree head, existed at genTime. Tokens
live in the ledger's `timestamps` table and, beside the signed body, in the checkpoint file
(`"timestamp": {"token", "gen_time", "tsa_url"}`). Since `custody-checkpoint/3` the body signs
its token policy: `required` (the token was obtained before the checkpoint was committed),
`deferred` (the TSA could not be reached, `--tsa-optional`: pending until `custody timestamp
--pending` adds one) or `none`; and each body commits to the digest of the previous
checkpoint's token. So a token deleted from a `required` checkpoint, or replaced by a later one,
is a finding, and `--pending` stamps only deferred checkpoints (and older ones, which did not
say).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkpoint import (
    Checkpoint,
    Hooks,
    create_checkpoint,
    file_name,
    from_row,
    prev_token_digest,
    token_policy,
    token_row_digest,
)
from ..checkpoint import rows as checkpoint_rows
from ..errors import EvidenceError, Finding, OperationalError, VerificationError
from ..keys import Signer
from ..ledger import Ledger, select_all, type_problems
from ..message import Message
from ..privacy import write_private
from ..timefmt import parse_rfc3339, utc_now
from ..tlog.note import Note
from ..tlog.tree import Tree

if TYPE_CHECKING:
    # Imported where a token is requested or checked: the audit reads this module on every
    # run, mostly over checkpoints without tokens (see the package's face).
    from asn1crypto import x509 as asn1_x509

    from .client import Token
    from .verify import TokenCheck


@dataclass(frozen=True)
class Stamped:
    """A checkpoint and its token (None while pending), with why it is pending."""

    checkpoint: Checkpoint
    token: Token | None
    tsa_url: str | None = None
    problem: str | None = None

    @property
    def policy(self) -> str | None:
        """The token policy the checkpoint signed (None before custody-checkpoint/3)."""
        return token_policy(self.checkpoint.body)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "seq": self.checkpoint.seq,
            "created_at": self.checkpoint.body.get("created_at"),
            "gen_time": None if self.token is None else self.token.gen_time_utc,
            "tsa_url": self.tsa_url,
            "pending": self.token is None and self.policy != "required",
            "policy": self.policy,
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
    hooks: Hooks | None = None,
) -> Stamped:
    """A checkpoint carrying a token from url (or none when url is None).

    Without `optional` a TSA failure aborts the checkpoint (nothing is written); with it, the
    checkpoint is stored pending and the failure is returned as `problem`. `hooks`: see
    checkpoint.Hooks (they run again when the checkpoint is signed again as deferred).
    """
    if url is None:
        return Stamped(
            create_checkpoint(
                ledger, signer, directory, token="none", witness=witness, hooks=hooks
            ),
            None,
        )
    from .client import request_token

    got: list[Token] = []

    def stamp(checkpoint: Checkpoint) -> None:
        try:
            token = request_token(url, signature_bytes(checkpoint))
        except EvidenceError as exc:
            if not optional:
                raise
            raise _TsaFailed(exc.message) from None  # rolls the `required` checkpoint back
        _store(ledger, checkpoint, token, url)
        got.append(token)

    try:
        checkpoint = create_checkpoint(
            ledger,
            signer,
            directory,
            before_commit=stamp,
            token="required",
            witness=witness,
            hooks=hooks,
        )
    except _TsaFailed as failed:
        # Signed again, saying so: a pending token is a deferred one, never a stripped one.
        checkpoint = create_checkpoint(
            ledger, signer, directory, token="deferred", witness=witness, hooks=hooks
        )
        return Stamped(checkpoint, None, url, str(failed))
    _write_file(directory, checkpoint, got[0], url)
    return Stamped(checkpoint, got[0], url)


class _TsaFailed(Exception):
    """The TSA failed under --tsa-optional: the checkpoint is signed again as deferred."""


def stored(ledger: Ledger) -> dict[int, dict[str, Any]]:
    """Token rows by checkpoint number (raw: the caller decides what to trust)."""
    if not ledger.has_table("timestamps"):  # an older ledger opened read-only
        return {}
    return {
        r["checkpoint_seq"]: r
        for r in ledger.rows(select_all("timestamps") + " ORDER BY checkpoint_seq")
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
    """Tokens for every deferred checkpoint that has none yet; returns those now stamped.

    Refuses (exit 1, nothing stamped) when a checkpoint whose body required a token has none:
    a later token would pass for the lost proof of time.
    """
    entries = status(ledger)
    stripped = [
        _finding(Message("checkpoint #{seq} token", seq=e.checkpoint.seq), STRIPPED)
        for e in entries
        if e.token is None and e.policy == "required"
    ]
    if stripped:
        raise VerificationError(
            "refusing to stamp: a required token is missing; run `custody audit`", stripped
        )
    done = []
    for entry in entries:
        if entry.token is not None or entry.policy == "none":
            continue
        checkpoint = entry.checkpoint
        from .client import request_token

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
    from .client import Token

    try:
        der = base64.b64decode(str(row["token"]), validate=True)
    except (binascii.Error, ValueError):
        raise OperationalError(
            f"checkpoint #{row['checkpoint_seq']}: token is not base64"
        ) from None
    return Token.parse(der, f"checkpoint #{row['checkpoint_seq']} token")


STRIPPED = Message(
    "its signed body required an RFC 3161 token and none is stored (stripped?); "
    "a later token cannot replace it"
)
# A required token is fetched while the checkpoint is committed: its genTime is that moment.
REQUIRED_WITHIN = timedelta(minutes=15)


def policy_findings(
    checkpoints: list[Checkpoint], rows: dict[int, dict[str, Any]]
) -> list[Finding]:
    """The token policy each version-3 checkpoint signed against the tokens stored: a required
    token missing or fetched long after, a token the next checkpoint commits to missing or
    replaced. rows: every stored token row by checkpoint number."""
    out = []
    for cp in checkpoints:
        subject = Message("checkpoint #{seq} token", seq=cp.seq)
        policy = token_policy(cp.body)
        row = rows.get(cp.seq)
        if policy == "required" and row is None:
            out.append(_finding(subject, STRIPPED))
        elif policy == "required" and row is not None:
            late = _late(cp.body.get("created_at"), row.get("gen_time"))
            if late:
                out.append(_finding(subject, late))
        if policy is None or cp.seq == 1:
            continue
        committed = prev_token_digest(cp.body)
        before = rows.get(cp.seq - 1)
        where = Message("checkpoint #{seq} token", seq=cp.seq - 1)
        if committed is not None and before is None:
            out.append(
                _finding(
                    where,
                    Message(
                        "missing, though checkpoint #{seq} commits to it (stripped?)", seq=cp.seq
                    ),
                )
            )
        elif committed is not None and before is not None and token_row_digest(before) != committed:
            out.append(
                _finding(
                    where,
                    Message(
                        "differs from the one checkpoint #{seq} commits to (replaced?)", seq=cp.seq
                    ),
                )
            )
    return out


def _late(created_at: Any, gen_time: Any) -> Message | None:
    try:
        signed = parse_rfc3339(str(created_at))
        stamped = parse_rfc3339(str(gen_time))
    except EvidenceError:
        return None  # the checkpoint and token audits report unreadable times
    if stamped - signed <= REQUIRED_WITHIN:
        return None
    return Message(
        "RFC 3161 time {gen_time} is long after the checkpoint ({at}), though its signed body "
        "required the token when it was made (stripped and stamped again?)",
        gen_time=Message.moment(gen_time),
        at=Message.moment(created_at),
    )


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
    rows = stored(ledger)
    out = [
        _failed(f.subject, f.message)
        for f in policy_findings(sorted(by_seq.values(), key=lambda c: c.seq), rows)
    ]
    for seq in sorted(set(by_seq) - set(rows)):
        # A deleted row would make a stamped checkpoint look merely pending: the file tells.
        if isinstance(_file_entry(directory, seq), dict):
            subject = Message("checkpoint #{seq} token", seq=seq)
            out.append(
                _failed(subject, Message("the file carries a token the ledger has not (deleted?)"))
            )
    for seq, row in rows.items():
        subject = Message("checkpoint #{seq} token", seq=seq)
        wrong = type_problems("timestamps", row)
        checkpoint = by_seq.get(seq)
        if wrong or checkpoint is None:
            problem = (
                Message("ledger row damaged: {wrong}", wrong=Message.joined("; ", wrong))
                if wrong
                else Message("has no checkpoint")
            )
            out.append(_failed(subject, problem))
            continue
        try:
            der = base64.b64decode(row["token"], validate=True)
        except (binascii.Error, ValueError):
            out.append(_failed(subject, Message("token is not base64")))
            continue
        try:
            claimed = parse_rfc3339(str(checkpoint.body.get("created_at")), "created_at")
        except EvidenceError:
            claimed = None  # the checkpoint audit judges the body; here only the token
        from .verify import verify_token

        check = verify_token(der, signature_bytes(checkpoint), trust, subject, claimed)
        if check.gen_time is not None and check.gen_time != row["gen_time"]:
            check.findings.append(
                _finding(subject, Message("ledger row's gen_time differs from the token"))
            )
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
        check.findings.append(
            _finding(subject, Message("file {name} does not carry the same token", name=path.name))
        )


def _file_entry(directory: Path, seq: int) -> Any:
    """The `timestamp` value of a checkpoint file (False when it has none), None if unreadable."""
    try:
        data = json.loads((directory / file_name(seq)).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data.get("timestamp", False) if isinstance(data, dict) else None


def _failed(subject: str, message: Message) -> TokenCheck:
    from .verify import TokenCheck

    return TokenCheck(subject, findings=[_finding(subject, message)])


def _finding(subject: str, message: Message) -> Finding:
    return Finding("timestamp", subject, message)
