"""The workspace's side of the time rules: its checkpoints, tokens and revocations, read once.

The rules themselves are pure (timerules.py); this module only reads what they compare
from the ledger, for audit, `custody log`, `custody bundle` and the clock check every signing
command makes before it asks for a passphrase.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .checkpoint import from_row, gen_times
from .checkpoint import rows as checkpoint_rows
from .custody import CLOCK_HINT, last_events
from .errors import EvidenceError, OperationalError
from .events import SignedEvent
from .ledger import Ledger, select_all
from .message import Message
from .timefmt import utc_now
from .timerules import CheckpointTime, Revocation, TimeRules, checkpoint_time, clock_problem
from .trust.establish import TrustView
from .trust.records import TrustRecord


def checkpoint_times(ledger: Ledger, since: int | None = None) -> list[CheckpointTime]:
    """Every readable checkpoint (from number `since` on) as the rules see it; audit reports
    the unreadable ones."""
    tokens = gen_times(ledger)
    out = []
    for row in checkpoint_rows(ledger):
        if since is not None and isinstance(row["seq"], int) and row["seq"] < since:
            continue
        try:
            cp = from_row(row)
        except (EvidenceError, TypeError, ValueError):
            continue
        out.append(checkpoint_time(cp.body, tokens.get(cp.seq)))
    return out


def revocations(view: TrustView | None, records: Iterable[TrustRecord]) -> list[Revocation]:
    """The revocations the trust root accepts (the verdict's revocation), with their numbers."""
    if view is None:
        return []
    out = []
    for r in records:
        if r.kind == "revocation" and view.verdict(r.fingerprint).revoked_at == r.at:
            seq = r.body.get("seq")
            out.append(Revocation(r.fingerprint, seq if type(seq) is int else None, r.at))
    return out


def workspace_rules(
    ledger: Ledger,
    view: TrustView | None,
    records: Iterable[TrustRecord],
    since: int | None = None,
) -> TimeRules:
    """The time rules over this ledger's checkpoints and accepted revocations."""
    return TimeRules(checkpoint_times(ledger, since), revocations(view, records))


def signing_clock_problem(
    ledger: Ledger, item_ids: Sequence[str] = (), now: str | None = None
) -> str | None:
    """Why this computer's clock may not sign now: earlier than the latest checkpoint, or
    than the last event of one of the items; None when it may."""
    top = ledger.rows(select_all("checkpoints") + " ORDER BY seq DESC LIMIT 1")
    latest = None
    if top:
        try:
            cp = from_row(top[0])
        except (EvidenceError, TypeError, ValueError):
            cp = None  # audit reports it; a damaged row does not block every signature
        if cp is not None:
            latest = checkpoint_time(cp.body, gen_times(ledger).get(cp.seq))
    return clock_problem(now or utc_now(), latest, last_events(ledger, item_ids))


def require_clock(ledger: Ledger, item_ids: Sequence[str] = (), now: str | None = None) -> None:
    """Raise (exit 3) when this computer's clock may not sign now (signing_clock_problem)."""
    problem = signing_clock_problem(ledger, item_ids, now)
    if problem is not None:
        raise OperationalError(Message("refusing to sign: {problem}", problem=problem), CLOCK_HINT)


def require_prepared_after_checkpoints(ledger: Ledger, events: Sequence[SignedEvent]) -> None:
    """For custody.commit_prepared's guard: refuse events signed before a checkpoint made while
    they were prepared (it does not cover them, so they would be dated before it)."""
    earliest = min((str(e.body["at"]) for e in events), default=None)
    late = signing_clock_problem(ledger, (), earliest)
    if late is not None:
        raise OperationalError(
            Message(
                "the events were signed before a checkpoint made meanwhile ({problem}); "
                "nothing was recorded",
                problem=late,
            ),
            "run the command again",
        )
