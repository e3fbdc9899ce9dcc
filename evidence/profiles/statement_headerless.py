"""Transfer lists written without a header row, named by the shape of their rows.

Explorer and downloader tools write an address's transfers one a row with no header: Tronscan's
transfers list (`hash,block,date,from,to,amount,symbol`), or ColonelJ/tron-transfers-downloader
(`txid,"1793800000000 [Thu Nov 05 2026 ...]",Transfer,TRC20,from,to,amount,USDT,Tether USD,
contract`). Such a file is still a statement when its rows agree on where the transaction id,
the two addresses (from, then to), the amount and the date are: the columns are named from the
first row, every other of the first rows must fit, and the file is then read like any statement,
its transfers in or out relative to its own address (evidence.profiles.statement_sides). The
first two addresses of a row are from and to; a later one is the token's contract.
"""

from __future__ import annotations

import re

from evidence.profiles.addresses import check_address
from evidence.profiles.values import parse_amount, parse_time

__all__ = ["HEADERLESS_LAYOUT", "headerless_header"]

HEADERLESS_LAYOUT = "transfers list without a header row"
_HEX64_RE = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$")
_SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_DIGITS_RE = re.compile(r"^\d+$")


def _is_address(cell: str) -> bool:
    text = cell.strip()
    return (
        25 <= len(text) <= 90 and _HEX64_RE.match(text) is None and check_address(text) is not None
    )


def _shape(row: list[str]) -> dict[str, int] | None:
    """Column of each role in one row, or None when the row is no transfer."""
    cells = [c.strip() for c in row]
    txid = next((i for i, c in enumerate(cells) if _HEX64_RE.match(c)), None)
    addresses = [i for i, c in enumerate(cells) if _is_address(c)]
    if txid is None or len(addresses) < 2:
        return None
    sender, receiver = addresses[:2]  # a later one is the token's contract
    amount = next(
        (
            i
            for i in range(receiver + 1, len(cells))
            if cells[i] and parse_amount(cells[i], comma_decimal=False) is not None
        ),
        None,
    )
    date = next(
        (
            i
            for i, c in enumerate(cells)
            if i not in (txid, sender, receiver, amount)
            and not _DIGITS_RE.match(c)
            and parse_time(c) is not None
        ),
        None,
    )
    if amount is None or date is None:
        return None
    roles = {"txid": txid, "from": sender, "to": receiver, "amount": amount, "date": date}
    if amount + 1 < len(cells) and _SYMBOL_RE.match(cells[amount + 1]):
        roles["currency"] = amount + 1
    return roles


def _fits(row: list[str], roles: dict[str, int]) -> bool:
    cells = [c.strip() for c in row]
    if max(roles.values()) >= len(cells):
        return False
    return (
        _HEX64_RE.match(cells[roles["txid"]]) is not None
        and _is_address(cells[roles["to"]])
        and (not cells[roles["from"]] or _is_address(cells[roles["from"]]))
        and parse_amount(cells[roles["amount"]], comma_decimal=False) is not None
    )


def headerless_header(rows: list[list[str]]) -> list[str] | None:
    """Column names for a headerless transfers list judged from its first rows (at least 4
    of 5 non-blank rows must fit the first one's shape), or None."""
    filled = [row for row in rows if any(cell.strip() for cell in row)]
    roles = _shape(filled[0]) if filled else None
    if roles is None or sum(1 for row in filled if _fits(row, roles)) * 5 < len(filled) * 4:
        return None
    header = [""] * len(filled[0])
    for role, index in roles.items():
        header[index] = role
    return header
