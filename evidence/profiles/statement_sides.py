"""Whose export is it: the address an explorer export is about, and each transfer's direction.

An ERC-20 or TRC-20 transfers export lists `From` and `To` but not which of them is the
address the export was made for, so a transfer's direction is unknown until that address is
known. It is inferred after the whole file is read: the one address that is on one side of
every row; where two are (every row between the same pair) or none is, the file name decides
when it names one (Etherscan names its downloads after the address, `export-0x...csv`, and
tax tools such as BittyTax rely on that). The inference and its reason are recorded; with no
answer the amounts stay `direction_unknown` and the profile says why.

Amounts whose direction waits for the answer are summed per (from, to, currency) while the
file is read, so memory is bounded by the number of distinct address pairs, not of rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evidence.profiles.statement_totals import StatementTotals

__all__ = ["OwnAddress", "Sides"]

_NAMED_ADDRESS_RE = re.compile(
    r"(?<![0-9A-Za-z])(0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33}|(?:bc|ltc)1[0-9a-z]{11,87})"
    r"(?![0-9A-Za-z])"
)


def _key(address: str) -> str:
    # hex addresses are one address whatever their case; base58 is case-sensitive
    text = address.strip()
    return text.lower() if text[:2].lower() == "0x" or text[:3].lower() == "bc1" else text


@dataclass(frozen=True)
class OwnAddress:
    """The address an export is about (None: not decided) and why."""

    address: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The profile's `own_address` object."""
        return {"address": self.address, "reason": self.reason}


@dataclass
class Sides:
    """From/To of every row read, and the amounts whose direction waits for the own address."""

    cap: int  # distinct (from, to, currency) kept waiting; past it amounts stay unknown
    rows: int = 0
    candidates: set[str] | None = None  # addresses on one side of every row so far
    spelled: dict[str, str] = field(default_factory=dict)  # key -> first spelling seen
    pending: dict[tuple[str, str, str], tuple[int, Decimal]] = field(default_factory=dict)
    overflow: int = 0  # rows that found the waiting list full

    def see(self, sender: str, receiver: str) -> None:
        """One more row read with these From and To cells."""
        row = set()
        for cell in (sender, receiver):
            if cell.strip():
                key = _key(cell)
                row.add(key)
                if len(self.spelled) < 4 * self.cap:
                    self.spelled.setdefault(key, cell.strip())
        self.rows += 1
        self.candidates = row if self.candidates is None else self.candidates & row

    def defer(self, sender: str, receiver: str, currency: str, amount: Decimal) -> bool:
        """Keep an amount until the own address is known; False when the list is full."""
        key = (_key(sender), _key(receiver), currency)
        if key not in self.pending and len(self.pending) >= self.cap:
            self.overflow += 1
            return False
        count, total = self.pending.get(key, (0, Decimal()))
        self.pending[key] = (count + 1, total + abs(amount))
        return True

    def own(self, original_name: str) -> OwnAddress:
        """The address the export is about, inferred from its rows and its file name."""
        named = {_key(m.group(1)) for m in _NAMED_ADDRESS_RE.finditer(original_name)}
        every = sorted(self.candidates or ())
        if len(every) == 1:
            return OwnAddress(
                self._spelling(every[0]),
                f"the only address on one side of every row ({self.rows} rows)",
            )
        both = [a for a in every if a in named]
        if len(both) == 1:
            return OwnAddress(
                self._spelling(both[0]),
                f"{len(every)} addresses are in every row; the file name names this one",
            )
        seen = [a for a in sorted(named) if a in self.spelled]
        if len(seen) == 1:
            return OwnAddress(
                self._spelling(seen[0]),
                "the file name names it; it is not in every row, so rows without it stay "
                "direction_unknown",
            )
        if every:
            return OwnAddress(
                None,
                f"{len(every)} addresses are in every row and the file name names none of "
                "them: no direction is given",
            )
        return OwnAddress(
            None, "no address is in every row and the file name names none: no direction"
        )

    def _spelling(self, key: str) -> str:
        return self.spelled.get(key, key)

    def resolve(
        self,
        own: OwnAddress,
        totals: StatementTotals,
        party: Callable[[str], str],
    ) -> int:
        """Add the waiting amounts to totals, in or out relative to own; returns how many
        transfers stayed without a direction."""
        mine = _key(own.address) if own.address else None
        unknown = 0
        for (sender, receiver, currency), (count, amount) in sorted(self.pending.items()):
            if mine is not None and receiver == mine and sender != mine:
                totals.add(party(self._spelling(sender)), currency, amount, False, count)
            elif mine is not None and sender == mine and receiver != mine:
                totals.add(party(self._spelling(receiver)), currency, amount, True, count)
            else:
                unknown += count
                totals.add(party(self._spelling(sender)), currency, amount, None, count)
        return unknown + self.overflow
