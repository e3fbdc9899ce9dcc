"""Trust audit: the workspace's root (and the pinned one), its records, every event's signer
established through the root at the event's time, and checkpoints' trust commitments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ..ledger import Ledger
from ..message import Command, Message
from ..trust.establish import TrustView, establish
from ..trust.store import TrustState, load_state
from .events import CERTIFICATES_SQL, EventFacts, load_certificates
from .rows import check_triggers

Add = Callable[[str, str, Message], None]

NO_ROOT = Message(
    "this workspace has no trust root (made before trust roots, or its root was removed): "
    "no signer can be established{command}",
    command=Command("; adopt one with `custody init --authority NAME`"),
)


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (colons, spaces, upper case) in the stored hex form."""
    return "".join(ch for ch in text if ch not in ": ").lower()


@dataclass(frozen=True)
class TrustAudit:
    """What the full and the incremental audit both establish first: the certificates, the
    stored root and records, and each certificate's verdict (None: no root)."""

    certs: dict[str, x509.Certificate]
    state: TrustState
    view: TrustView | None
    detail: Message


def audit_trust(ledger: Ledger, pin: str | None, add: Add) -> TrustAudit:
    """Certificates, root, records and triggers checked; path validation once per certificate
    here, so that per event only a lookup and a time compare remain."""
    certs, problems = load_certificates(ledger.rows(CERTIFICATES_SQL))
    for problem in problems:
        add("certificates", Message("ledger"), problem)
    state = load_state(ledger)
    view = None if state.anchor is None else establish(state.anchor, state.records, certs)
    detail = check_root(state, view, pin, add)
    check_triggers(ledger, add)
    return TrustAudit(certs, state, view, detail)


def check_root(state: TrustState, view: TrustView | None, pin: str | None, add: Add) -> Message:
    """The anchor and records; returns the verdict line's detail."""
    for problem in [*state.problems, *([] if view is None else view.problems)]:
        add("trust", Message("trust records"), problem)
    if state.anchor is None:
        add("trust", Message("trust root"), NO_ROOT)
        return Message("no trust root")
    fp = state.anchor.fingerprint
    if pin is not None and normalise_fingerprint(pin) != fp:
        add(
            "trust",
            Message("trust root"),
            Message(
                "the workspace's root {fp} is not the pinned {pin} (root replaced, or the wrong "
                "workspace)",
                fp=fp,
                pin=normalise_fingerprint(pin),
            ),
        )
    how = (
        Message("pinned")
        if pin is not None
        else Message("not pinned{command}", command=Command(": pass --anchor"))
    )
    return Message(
        "root {kind} {fingerprint} ({how})",
        kind=Message.word(state.anchor.kind),
        fingerprint=fp[:16],
        how=how,
    )


def check_signers(view: TrustView | None, facts: list[EventFacts], add: Add) -> None:
    """Every event's signer established by the root, and allowed to sign at the event's time."""
    check = SignerCheck(view, add)
    for f in facts:
        check.feed(f)


class SignerCheck:
    """check_signers one event at a time, for the audit's event stream."""

    def __init__(self, view: TrustView | None, add: Add) -> None:
        self.view = view
        self.add = add
        self.cache: dict[str, Any] = {}

    def feed(self, f: EventFacts) -> None:
        """Check one event's signer at its time."""
        if self.view is None or f.actor is None:
            return  # without a root, one finding (no root) says it for every event
        verdict = self.cache.get(f.actor)
        if verdict is None:
            verdict = self.cache[f.actor] = self.view.verdict(f.actor)
        problem = verdict.problem_at(f.at)
        if problem is not None:
            self.add(
                "trust",
                Message("item {item_id} event #{seq}", item_id=f.item_id, seq=f.seq),
                problem,
            )


def signer_problem(view: TrustView | None) -> Callable[[str, Any], Message | None]:
    """For checkpoints: why fingerprint may not sign at a time, or None."""

    def problem(fp: str, at: Any) -> Message | None:
        return None if view is None else view.verdict(fp).problem_at(at)

    return problem


def check_commitment(
    ledger: Ledger, body: Mapping[str, Any], subject: str, add: Add, committed: dict[str, Any]
) -> None:
    """A v2 checkpoint's trust commitment still holds (committed: the ledger's current one).

    The anchor is unchanged; every certificate it listed is still there, and none that is not
    listed is dated before it; the trust record it names as head is unchanged.
    """
    trust = body.get("trust")
    if not isinstance(trust, dict):
        return  # version 1: no commitment
    if trust["anchor"] != committed["anchor"]:
        add(
            "checkpoint",
            subject,
            Message("the trust root differs from the one this checkpoint names"),
        )
    now = set(committed["certificates"])
    listed = set(trust["certificates"])
    for fp in sorted(listed - now):
        add(
            "checkpoint",
            subject,
            Message("certificate {fp} it lists is gone from the ledger", fp=fp[:16]),
        )
    created = str(body.get("created_at", ""))
    for row in ledger.rows("SELECT fingerprint, added_at FROM certificates"):
        if row["fingerprint"] not in listed and str(row["added_at"]) <= created:
            add(
                "checkpoint",
                subject,
                Message(
                    "certificate {fingerprint} is dated before this checkpoint but not in it "
                    "(inserted later?)",
                    fingerprint=str(row["fingerprint"])[:16],
                ),
            )
    head = trust["records"]
    if head is not None:
        seq, digest = head
        rows = (
            ledger.rows("SELECT hash FROM trust_records WHERE seq = $1", (seq,))
            if ledger.version >= 2
            else []
        )
        if not rows or rows[0]["hash"] != digest:
            add(
                "checkpoint",
                subject,
                Message("trust record #{seq} it names is gone or changed", seq=seq),
            )
