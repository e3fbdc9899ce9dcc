"""The workspace side of trust: the anchor row, the chain of trust records, and their writing.

`trust_anchor` holds one row, written when the root is fixed (`custody init`, or adoption of a
root by a workspace made before trust roots). `trust_records` holds signed enrolments and
revocations as their canonical bytes, chained by `seq` and `prev` like custody events. Reading
is strict: a row is used only when its columns are exactly what its signed body gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from ..errors import Malformed, UsageError
from ..keys import KeyRecord, Signer, fingerprint
from ..ledger import TRUST_VERSION, Ledger, select_all, type_problems
from ..message import Message
from ..timefmt import utc_now
from ..tlog.ledgerlog import LeafKind, append_leaf
from .establish import ANCHOR_KINDS, Anchor, TrustView, establish, export_trust
from .records import TrustRecord, certificate_pem, make_record


@dataclass
class TrustState:
    """What the ledger holds: the anchor (if any), readable records, and what is wrong."""

    anchor: Anchor | None
    records: list[TrustRecord]
    problems: list[Message] = field(default_factory=list)

    @property
    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the last record, which checkpoints commit to."""
        if not self.records:
            return None
        last = self.records[-1]
        return int(last.body["seq"]), last.hash


def has_trust_tables(ledger: Ledger) -> bool:
    """False for a ledger made before trust roots (schema 1)."""
    return ledger.version >= TRUST_VERSION


def load_anchor(ledger: Ledger, problems: list[Message]) -> Anchor | None:
    """The anchor row, checked: one row, a certificate matching its fingerprint, a known kind."""
    if not has_trust_tables(ledger):
        return None
    rows = ledger.rows(select_all("trust_anchor"))
    if len(rows) > 1:
        problems.append(
            Message("{n} trust anchors in the ledger (there is only ever one)", n=len(rows))
        )
        return None
    if not rows:
        return None
    row = rows[0]
    wrong = type_problems("trust_anchor", row)
    if wrong:
        problems.append(
            Message("trust anchor row damaged: {wrong}", wrong=Message.joined("; ", wrong))
        )
        return None
    try:
        cert = x509.load_pem_x509_certificate(row["pem"].encode())
    except ValueError:
        problems.append(Message("trust anchor certificate does not parse"))
        return None
    if fingerprint(cert) != row["fingerprint"] or certificate_pem(cert) != row["pem"]:
        problems.append(Message("trust anchor row does not match its certificate"))
        return None
    if row["kind"] not in ANCHOR_KINDS:
        problems.append(Message("trust anchor kind {kind!r} is unknown", kind=row["kind"]))
        return None
    return Anchor(row["kind"], cert)


def load_records(ledger: Ledger, problems: list[Message]) -> list[TrustRecord]:
    """Every record row whose columns all derive from its signed body, in chain order.

    Signatures are checked later by `establish`, against the anchor.
    """
    if not has_trust_tables(ledger):
        return []
    out: list[TrustRecord] = []
    prev: str | None = None
    expected = 1
    for row in ledger.rows(select_all("trust_records") + " ORDER BY seq"):
        where = Message("trust record #{seq}", seq=row.get("seq"))
        wrong = type_problems("trust_records", row)
        if wrong:
            problems.append(
                Message(
                    "{where}: row damaged: {wrong}", where=where, wrong=Message.joined("; ", wrong)
                )
            )
            continue
        try:
            record = TrustRecord.parse(row["body"].encode(), row["signature"], where)
        except Malformed as exc:
            problems.append(exc.message)
            continue
        if row["seq"] != expected:
            problems.append(
                Message(
                    "{where}: sequence broken, expected #{expected} (records removed?)",
                    where=where,
                    expected=expected,
                )
            )
        expected = row["seq"] + 1
        body = record.body
        derived = {
            "seq": body.get("seq"),
            "kind": record.kind,
            "fingerprint": record.fingerprint,
            "hash": record.hash,
            "signer": record.by,
        }
        changed = sorted(k for k, v in derived.items() if row[k] != v)
        if changed:
            problems.append(
                Message(
                    "{where}: row differs from its signed record: {changed}",
                    where=where,
                    changed=", ".join(changed),
                )
            )
        if body.get("prev") != prev:
            problems.append(Message("{where}: does not link to the record before it", where=where))
        prev = record.hash
        out.append(record)
    return out


def load_state(ledger: Ledger) -> TrustState:
    """Anchor and records as stored, with every problem found reading them."""
    problems: list[Message] = []
    anchor = load_anchor(ledger, problems)
    records = load_records(ledger, problems)
    return TrustState(anchor, records, problems)


def workspace_view(ledger: Ledger, certificates: dict[str, x509.Certificate]) -> TrustView | None:
    """Verdicts for the workspace's certificates, or None when it has no trust root."""
    state = load_state(ledger)
    if state.anchor is None:
        return None
    view = establish(state.anchor, state.records, certificates)
    view.problems[:0] = state.problems
    return view


def signing_problem(ledger: Ledger, cert: x509.Certificate) -> str | None:
    """Why the trust root does not let this certificate sign now (not enrolled, revoked,
    expired), or None; None too for a workspace without a root (audit says that once)."""
    fp = fingerprint(cert)
    view = workspace_view(ledger, {fp: cert})
    return None if view is None else view.verdict(fp).problem_at(utc_now())


ENROL_HINT = (
    "the authority enrols it with `custody key enrol` "
    "(`custody key list` shows each key's standing)"
)


def require_signing(
    ledger: Ledger, record: KeyRecord, what: str = "", hint: str = ENROL_HINT
) -> None:
    """The one rule every signature obeys: refuse (exit 2) a key the trust root does not let
    sign now (not enrolled or CA-issued, revoked, expired). `what`: " a checkpoint"..."""
    problem = signing_problem(ledger, record.certificate)
    if problem is not None:
        raise UsageError(f"{record.name!r} may not sign{what}: {problem}", hint)


def export_for(ledger: Ledger, fingerprints: list[str]) -> dict[str, Any] | None:
    """The `trust` object a bundle carries for these signers (None: no trust root)."""
    state = load_state(ledger)
    if state.anchor is None:
        return None
    return export_trust(state.anchor, state.records, fingerprints)


def trust_status(
    view: TrustView | None, fp: str, when: Callable[[str], str] = lambda at: at[:10]
) -> str:
    """One word or two for listings: root, enrolled, CA-issued, revoked DATE, not enrolled...
    (the revocation's recorded time through when: its UTC date unless the caller says)."""
    if view is None:
        return "no root"
    if fp == view.anchor.fingerprint:
        return "root"
    verdict = view.verdict(fp)
    if not verdict.established:
        return "not enrolled" if view.anchor.kind == "authority" else "not CA-issued"
    if verdict.revoked_at is not None:
        return f"revoked {when(verdict.revoked_at)}"
    return "enrolled" if view.anchor.kind == "authority" else "CA-issued"


def set_anchor(ledger: Ledger, kind: str, cert: x509.Certificate, at: str | None = None) -> None:
    """Write the anchor row; the caller holds `atomic()`. Refused when a root exists."""
    ledger.upgrade()
    if ledger.rows("SELECT 1 FROM trust_anchor"):
        raise UsageError(f"{ledger.location}: this workspace already has a trust root")
    ledger.insert(
        "trust_anchor",
        {
            "fingerprint": fingerprint(cert),
            "kind": kind,
            "pem": certificate_pem(cert),
            "created_at": at or utc_now(),
        },
    )


def append_record(
    ledger: Ledger,
    authority: Signer,
    kind: str,
    cert: x509.Certificate,
    *,
    reason: str = "",
    at: str | None = None,
    extra: dict[str, Any] | None = None,
) -> TrustRecord:
    """Sign a record as the next link of the chain and store it; the caller holds `atomic()`."""
    last = ledger.rows("SELECT seq, hash FROM trust_records ORDER BY seq DESC LIMIT 1")
    seq = 1 if not last else int(last[0]["seq"]) + 1
    prev = None if not last else str(last[0]["hash"])
    record = make_record(
        authority,
        kind,
        cert,
        reason=reason,
        at=at,
        workspace={"seq": seq, "prev": prev, **(extra or {})},
    )
    ledger.insert(
        "trust_records",
        {
            "seq": seq,
            "kind": kind,
            "fingerprint": record.fingerprint,
            "hash": record.hash,
            "body": record.data.decode(),
            "signature": record.signature,
            "signer": record.by,
        },
    )
    append_leaf(ledger, LeafKind.TRUST, seq, record.data)
    return record
