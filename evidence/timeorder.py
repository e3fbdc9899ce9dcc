"""The workspace's side of the time rules: its checkpoints, tokens and revocations, read once.

The rules themselves are pure (trust/timerules.py); this module only reads what they compare
from the ledger, for audit, `custody log`, `custody bundle` and the clock check every signing
command makes before it asks for a passphrase.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .checkpoint import from_row, gen_times
from .checkpoint import rows as checkpoint_rows
from .errors import EvidenceError, OperationalError
from .ledger import Ledger
from .timefmt import utc_now
from .trust.establish import TrustView
from .trust.records import TrustRecord
from .trust.timerules import (
    CheckpointTime,
    Timed,
    TimeRules,
    checkpoint_time,
    clock_problem,
    revocations,
)


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


def workspace_rules(
    ledger: Ledger,
    view: TrustView | None,
    records: Iterable[TrustRecord],
    since: int | None = None,
) -> TimeRules:
    """The time rules over this ledger's checkpoints and accepted revocations."""
    return TimeRules(checkpoint_times(ledger, since), revocations(view, records))


def _event_time(row: dict[str, Any]) -> Any:
    try:
        body = json.loads(str(row["body"]))
    except ValueError:
        return None
    return body.get("at") if isinstance(body, dict) else None


def last_events(ledger: Ledger, item_ids: Sequence[str]) -> dict[str, Timed]:
    """The last event of each item, as the rules see it."""
    out: dict[str, Timed] = {}
    for item_id in item_ids:
        rows = ledger.rows(
            "SELECT seq, body, signer FROM events WHERE item_id = ? ORDER BY seq DESC LIMIT 1",
            (item_id,),
        )
        if rows:
            row = rows[0]
            out[item_id] = Timed(item_id, row["seq"], _event_time(row), row["signer"])
    return out


def signing_clock_problem(
    ledger: Ledger, item_ids: Sequence[str] = (), now: str | None = None
) -> str | None:
    """Why this computer's clock may not sign now: earlier than the latest checkpoint, or
    than the last event of one of the items; None when it may."""
    top = ledger.rows("SELECT * FROM checkpoints ORDER BY seq DESC LIMIT 1")
    latest = None
    if top:
        try:
            cp = from_row(top[0])
        except (EvidenceError, TypeError, ValueError):
            cp = None  # audit reports it; a damaged row does not block every signature
        if cp is not None:
            latest = checkpoint_time(cp.body, gen_times(ledger).get(cp.seq))
    return clock_problem(now or utc_now(), latest, last_events(ledger, item_ids))


CLOCK_HINT = "set this computer's clock right (UTC); a signature may not claim an earlier time"


def require_clock(ledger: Ledger, item_ids: Sequence[str] = (), now: str | None = None) -> None:
    """Raise (exit 3) when this computer's clock may not sign now (signing_clock_problem)."""
    problem = signing_clock_problem(ledger, item_ids, now)
    if problem is not None:
        raise OperationalError(f"refusing to sign: {problem}", CLOCK_HINT)


def require_after_last_event(ledger: Ledger, item_id: str, at: str) -> None:
    """Raise (exit 3) when an event dated `at` would precede the item's last event."""
    problem = clock_problem(at, None, last_events(ledger, [item_id]))
    if problem is not None:
        raise OperationalError(f"refusing to sign: {problem}", CLOCK_HINT)
