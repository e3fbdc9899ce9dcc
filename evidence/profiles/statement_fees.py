"""Fees a statement records, totalled per currency and per who paid them.

A fee column is read where a layout has one: Etherscan's `TxnFee(ETH)`, an exchange's `Fee`,
`Fees`, `TransactionFee`, Kraken's `fee`, Exodus' `FEEAMOUNT`, a Russian `Комиссия`, HTX's
`手续费`. A fee's currency is, in order: the unit written in the cell (`0.00001BTC`,
`46.88 USD`), a fee-currency column (`Fee Unit`, `FEECURRENCY`), the unit in the column's
name (`TxnFee(ETH)`), else the row's own currency, except in trade histories (a market pair
column), where a fee without a unit may be in either leg and is left `unknown`.

Who paid: an exchange or wallet statement is the holder's account, so its fees are the
account's (`account`). An explorer export lists the fee of every transaction, also of those
another address sent to this one, so its fees are split by sender once the export's own
address is known: `own address`, `other side` (the sender of an incoming transfer paid it) or
`unknown`. Fees of rows whose status says they failed are kept apart (`failed_rows`,
`failed_total`): a failed transaction on a chain still paid its gas, an exchange's cancelled
withdrawal usually charged nothing, and only the file can say which. Fees are never added to
the amounts moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evidence.profiles.values import currency_hint, parse_amount

__all__ = ["ACCOUNT", "FeeTotals", "fee_cell", "header_unit"]

ACCOUNT, OWN, OTHER, UNKNOWN = "account", "own address", "other side", "unknown"
# an amount, a currency sign before or after it ("€18.60", "1,50 ₽"), or a unit after it
_SIGNS = "$€₽£¥₴₸"
_CELL_RE = re.compile(
    rf"^\s*([+\-−]?)\s*([{_SIGNS}]?)\s*(\d[\d\s\u00a0.,']*?)\s*"
    rf"([{_SIGNS}]|[A-Za-z]{{2}}[A-Za-z0-9]{{0,10}}|руб\.?|р\.)?\s*$"
)
_HEADER_UNIT_RE = re.compile(r"\(([A-Za-z][A-Za-z0-9]{1,9})\)\s*$")


def fee_cell(text: str, *, comma_decimal: bool) -> tuple[Decimal, str | None] | None:
    """(amount, unit written beside it) of a fee cell ("0.00001BTC", "-0.5", "46.88 USD");
    None for a cell that is no amount. An empty cell is a zero fee."""
    if not text.strip():
        return Decimal(), None
    match = _CELL_RE.match(text)
    if match is None:
        return None
    _sign, before, number, after = match.groups()  # a fee is a fee whatever its sign
    amount = parse_amount(number, comma_decimal=comma_decimal)
    if amount is None or (before and after):
        return None
    unit = before or after
    if unit and (unit in _SIGNS or unit[:1] in "рР"):
        unit = currency_hint(unit)
    return abs(amount), unit.upper() if unit else None


def header_unit(name: str) -> str | None:
    """The unit a fee column's name carries ("TxnFee(ETH)" -> "ETH")."""
    found = _HEADER_UNIT_RE.search(name.strip())
    return found.group(1).upper() if found else None


def _key(address: str) -> str:
    text = address.strip()
    return text.lower() if text[:2].lower() == "0x" else text


@dataclass
class _Sum:
    rows: int = 0
    total: Decimal = field(default_factory=Decimal)
    failed_rows: int = 0
    failed_total: Decimal = field(default_factory=Decimal)

    def add(self, amount: Decimal, failed: bool, rows: int = 1) -> None:
        if failed:
            self.failed_rows += rows
            self.failed_total += amount
        else:
            self.rows += rows
            self.total += amount

    def merge(self, other: _Sum) -> None:
        self.add(other.total, False, other.rows)
        self.add(other.failed_total, True, other.failed_rows)


@dataclass
class FeeTotals:
    """Fee sums per (payer, currency); senders' fees wait for the export's own address."""

    cap: int  # distinct senders kept waiting; past it their fees count as paid by `unknown`
    column_unit: str | None = None  # the unit the fee column's name carries ("TxnFee(ETH)")
    sums: dict[tuple[str, str], _Sum] = field(default_factory=dict)
    by_sender: dict[tuple[str, str], _Sum] = field(default_factory=dict)
    unread: list[int] = field(default_factory=list)  # rows whose fee cell is no amount
    unread_count: int = 0

    def row(
        self,
        number: int,
        cell: str,
        unit_column: str | None,
        fallback: str,
        *,
        failed: bool,
        comma_decimal: bool,
        sender: str | None,
    ) -> None:
        """Read one row's fee cell; its currency as the module docstring orders it."""
        read = fee_cell(cell, comma_decimal=comma_decimal)
        if read is None:
            self.miss(number)
            return
        amount, unit = read
        if amount:
            self.add(amount, unit or unit_column or self.column_unit or fallback, failed, sender)

    def add(self, amount: Decimal, currency: str, failed: bool, sender: str | None = None) -> None:
        """One row's fee; sender: the row's From cell when the statement has one."""
        if sender is not None and sender.strip():
            key = (_key(sender), currency)
            if key in self.by_sender or len(self.by_sender) < self.cap:
                self.by_sender.setdefault(key, _Sum()).add(amount, failed)
                return
        payer = ACCOUNT if sender is None else UNKNOWN
        self.sums.setdefault((payer, currency), _Sum()).add(amount, failed)

    def miss(self, row: int) -> None:
        """A row whose fee cell could not be read as an amount."""
        self.unread_count += 1
        if len(self.unread) < 20:
            self.unread.append(row)

    def unread_notice(self, column: str) -> str:
        """The notice naming the rows whose fee cell is no amount."""
        rows = ", ".join(str(r) for r in self.unread)
        more = " ..." if self.unread_count > len(self.unread) else ""
        return (
            f"{self.unread_count} fee cell(s) of column {' '.join(column.split())[:40]!r} are "
            f"no amount (rows {rows}{more}): not in fees_by_currency"
        )

    def resolve(self, own: str | None) -> None:
        """Attribute the senders' fees once the export's own address is known (or not)."""
        mine = _key(own) if own else None
        for (sender, currency), part in self.by_sender.items():
            payer = UNKNOWN if mine is None else OWN if sender == mine else OTHER
            self.sums.setdefault((payer, currency), _Sum()).merge(part)
        self.by_sender.clear()

    def to_json(self) -> list[dict[str, Any]]:
        """The profile's `fees_by_currency`: one entry per currency and payer."""
        out = []
        for (payer, currency), part in sorted(self.sums.items(), key=lambda kv: kv[0][::-1]):
            entry: dict[str, Any] = {
                "currency": currency,
                "paid_by": payer,
                "rows": part.rows,
                "total": str(part.total),
            }
            if part.failed_rows:
                entry["failed_rows"] = part.failed_rows
                entry["failed_total"] = str(part.failed_total)
            out.append(entry)
        return out
