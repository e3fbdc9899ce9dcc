"""Which excerpts left, when, to whom and why: read from the chains for the custody report.

An excerpt leaves in a bundle as an `exported` event naming its records (`details.excerpt`)
and the `excerpted` event it carries (`details.excerpt_event`), whose purpose is the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..events import SignedEvent


@dataclass(frozen=True)
class ExcerptSent:
    """One excerpt sent in a bundle."""

    item_id: str
    records: str
    disclosed: int | None
    count: int | None
    sent_at: str
    sent_by: str
    request_ref: str
    bundle: str
    to: str  # the requested state and addressee, as the export event states them
    reason: str
    chosen_by: str

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the JSON report."""
        return dict(self.__dict__)


def excerpts_of(item_id: str, events: Sequence[SignedEvent]) -> list[ExcerptSent]:
    """Every excerpt sent of one item, from its events in chain order."""
    out = []
    chosen = {e.hash: e for e in events if e.body["action"] == "excerpted"}
    for e in events:
        details = e.body.get("details") or {}
        if e.body["action"] != "exported" or "excerpt" not in details:
            continue
        source = chosen.get(str(details.get("excerpt_event")))
        facts = source.body["details"] if source is not None else {}
        out.append(
            ExcerptSent(
                item_id,
                str(details["excerpt"]),
                facts.get("disclosed"),
                facts.get("count"),
                str(e.body["at"]),
                str(e.body["actor"]["name"]),
                str(details.get("request_ref", "")),
                str(details.get("bundle", "")),
                " — ".join(
                    str(details[k]) for k in ("requested_state", "addressee") if details.get(k)
                ),
                str(source.body.get("purpose", "")) if source is not None else "",
                str(source.body["actor"]["name"]) if source is not None else "",
            )
        )
    return out
