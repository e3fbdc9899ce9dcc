"""Statement totals: per counterparty and currency, money in, out and of unknown direction.

Amounts are Decimal and leave as strings (profiles are hashed as canonical JSON); the number of
counterparties kept is bounded, and past the bound new ones share one bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["OTHERS", "StatementTotals"]

OTHERS = "(other counterparties)"


@dataclass
class _Total:
    count: int = 0
    incoming: Decimal = field(default_factory=Decimal)
    outgoing: Decimal = field(default_factory=Decimal)
    unknown: Decimal = field(default_factory=Decimal)  # nothing in the row tells the direction


@dataclass
class StatementTotals:
    """Per (counterparty, currency) sums, bounded in the number of counterparties kept."""

    cap: int
    totals: dict[tuple[str, str], _Total] = field(default_factory=dict)
    overflow: bool = False

    def add(
        self,
        counterparty: str,
        currency: str,
        amount: Decimal,
        outgoing: bool | None,
        count: int = 1,
    ) -> None:
        """Add count transactions summing to amount (outgoing None: direction not told); past
        the cap new counterparties share one bucket."""
        key = (counterparty, currency)
        if key not in self.totals and len(self.totals) >= self.cap:
            key, self.overflow = (OTHERS, currency), True
        total = self.totals.setdefault(key, _Total())
        total.count += count
        if outgoing is None:
            total.unknown += abs(amount)
        elif outgoing:
            total.outgoing += abs(amount)
        else:
            total.incoming += abs(amount)

    def to_json(self) -> dict[str, Any]:
        """Per-counterparty and per-currency totals as decimal strings."""
        rows = []
        per_currency: dict[str, _Total] = {}
        for (party, currency), total in sorted(self.totals.items()):
            rows.append(_total_json({"counterparty": party, "currency": currency}, total))
            agg = per_currency.setdefault(currency, _Total())
            agg.count += total.count
            agg.incoming += total.incoming
            agg.outgoing += total.outgoing
            agg.unknown += total.unknown
        by_currency = [_total_json({"currency": c}, t) for c, t in sorted(per_currency.items())]
        return {"totals": rows, "totals_by_currency": by_currency}


def _total_json(head: dict[str, Any], total: _Total) -> dict[str, Any]:
    out = {
        **head,
        "count": total.count,
        "incoming": str(total.incoming),
        "outgoing": str(total.outgoing),
        "net": str(total.incoming - total.outgoing),
    }
    if total.unknown:
        out["direction_unknown"] = str(total.unknown)  # in no sum: the file does not say
    return out
