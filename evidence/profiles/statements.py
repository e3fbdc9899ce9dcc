"""CSV exports: e-wallet and bank statements (QIWI, WebMoney, EasyPay-like) and wallet CSVs.

Statements come from Russian- and English-language interfaces: headers "Дата", "Сумма",
"Валюта", "Кошелёк/Контрагент" or "Date", "Amount", "Currency", "Counterparty"; delimiter ";" or
","; UTF-8 or windows-1251; decimal comma. Totals are kept per counterparty and currency as
Decimal. QIWI wallets are phone numbers (+7...), WebMoney purses a letter and 12 digits.
Counterparties that are payment card numbers are masked (first 6, last 4: PCI DSS).
"""

from __future__ import annotations

import csv
import pathlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from evidence.identifiers import Identifier, normalise_phone
from evidence.profiles.chat import TimeRange
from evidence.profiles.limits import PROFILE_VERSION, Deadline, Limits, ProfileFailure
from evidence.profiles.reading import decode_text, looks_binary, read_head
from evidence.profiles.textscan import WEBMONEY_PURSES, IdentifierScanner, looks_like_card
from evidence.profiles.values import currency_hint, parse_amount, parse_time

_ROLES: dict[str, tuple[str, ...]] = {
    "date": ("дата", "date", "время", "time", "дата и время", "datetime", "timestamp",
             "дата операции", "date/time", "дата/время", "created", "created_at"),
    "amount": ("сумма", "amount", "sum", "сумма платежа", "сумма операции", "value", "total"),
    "currency": ("валюта", "currency", "cur", "ccy", "валюта платежа"),
    "counterparty": ("кошелек/контрагент", "контрагент", "кошелек", "counterparty", "wallet",
                     "корреспондент", "получатель", "отправитель", "recipient", "payee",
                     "purse", "кошелек корреспондента", "номер", "account", "счет",
                     "кошелек/счет", "to/from", "partner"),
    "direction": ("тип", "type", "direction", "приход/расход", "операция", "operation",
                  "тип операции", "статус операции"),
    "income": ("приход", "поступление", "зачисление", "in", "credit", "incoming"),
    "expense": ("расход", "списание", "out", "debit", "outgoing"),
    "txid": ("txid", "tx hash", "tx_hash", "transaction_hash", "transaction hash", "hash",
             "transaction id", "хеш транзакции"),
}  # fmt: skip
_OUT_WORDS = ("расход", "списан", "исход", "вывод", "платеж", "перевод на", "out", "debit",
              "withdraw", "payment", "sent", "send")  # fmt: skip
_IN_WORDS = ("приход", "зачисл", "пополн", "вход", "поступ", "in", "credit", "deposit",
             "received", "receive")  # fmt: skip
_WEBMONEY_RE = re.compile(r"^([ZREUBKXGCDH])(\d{12})$")
_CYRILLIC_RE = re.compile(r"[а-яё]")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_DIGIT_RE = re.compile(r"[0-9]")
OTHERS = "(other counterparties)"


def _norm_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").strip().strip('"').lower().replace("ё", "е").split())


def column_roles(header: list[str]) -> dict[str, int]:
    """Map statement roles (date, amount, ...) to column indexes by header name."""
    roles: dict[str, int] = {}
    for index, name in enumerate(_norm_header(h) for h in header):
        for role, names in _ROLES.items():
            if role not in roles and name in names:
                roles[role] = index
    return roles


def is_statement(roles: dict[str, int]) -> bool:
    """A statement has amounts (one column or income/expense) and a date or counterparty."""
    has_amount = "amount" in roles or "income" in roles or "expense" in roles
    return has_amount and ("date" in roles or "counterparty" in roles)


def sniff_csv(head: bytes) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV judged from its first bytes."""
    text = decode_text(head)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            encoding = "cp1251"
    first = text.splitlines()[0] if text else ""
    counts = {d: first.count(d) for d in (";", ",", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return encoding, delimiter


def counterparty_key(raw: str, scanner: IdentifierScanner) -> str:
    """Normalised counterparty; records phones and purses as identifiers, masks card numbers."""
    text = " ".join(raw.split())[:200]
    digits = _NON_DIGIT_RE.sub("", text)
    if looks_like_card(digits) and len(digits) == len(text.replace(" ", "").replace("-", "")):
        return f"card {digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"
    purse = _WEBMONEY_RE.match(text.upper())
    if purse:
        value = purse.group(1) + purse.group(2)
        detail = f"WebMoney {WEBMONEY_PURSES[purse.group(1)]} purse"
        scanner.add(Identifier("e-wallet", value, None, detail))
        return value
    if text[:1] in "+78" and 10 <= len(digits) <= 15:
        phone = normalise_phone(text)
        if phone is not None:
            scanner.add(Identifier("phone", phone.value, phone.valid, "e-wallet counterparty"))
            return phone.value
    if text.isdigit() and 6 <= len(text) <= 20:
        scanner.add(Identifier("e-wallet", text, None, "account number (system unknown)"))
    else:
        scanner.scan(text)
    return text


@dataclass
class _Total:
    count: int = 0
    incoming: Decimal = field(default_factory=Decimal)
    outgoing: Decimal = field(default_factory=Decimal)


@dataclass
class StatementTotals:
    """Per (counterparty, currency) sums, bounded in the number of counterparties kept."""

    cap: int
    totals: dict[tuple[str, str], _Total] = field(default_factory=dict)
    overflow: bool = False

    def add(self, counterparty: str, currency: str, amount: Decimal, outgoing: bool) -> None:
        """Add one transaction; past the cap new counterparties share one bucket."""
        key = (counterparty, currency)
        if key not in self.totals and len(self.totals) >= self.cap:
            key, self.overflow = (OTHERS, currency), True
        total = self.totals.setdefault(key, _Total())
        total.count += 1
        if outgoing:
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
        by_currency = [_total_json({"currency": c}, t) for c, t in sorted(per_currency.items())]
        return {"totals": rows, "totals_by_currency": by_currency}


def _total_json(head: dict[str, Any], total: _Total) -> dict[str, Any]:
    return {
        **head,
        "count": total.count,
        "incoming": str(total.incoming),
        "outgoing": str(total.outgoing),
        "net": str(total.incoming - total.outgoing),
    }


def _rows(path: pathlib.Path, limits: Limits) -> tuple[Iterator[list[str]], TextIO]:
    head = read_head(path, limits.sniff_bytes)
    if looks_binary(head):
        raise ProfileFailure("binary content, not a CSV export")
    encoding, delimiter = sniff_csv(head)
    handle = path.open("r", encoding=encoding, errors="replace", newline="")
    return csv.reader(handle, delimiter=delimiter), handle


def _direction(cells: list[str], roles: dict[str, int], amount: Decimal) -> bool:
    """True if the row is money going out."""
    if amount < 0:
        return True
    index = roles.get("direction")
    if index is not None and index < len(cells):
        word = cells[index].strip().lower()
        if any(w in word for w in _OUT_WORDS) and not any(word.startswith(w) for w in _IN_WORDS):
            return True
    return False


def profile_csv(path: pathlib.Path, limits: Limits, deadline: Deadline) -> dict[str, Any]:
    """Profile of a CSV: an e-wallet statement if its columns say so, else a wallet record."""
    if path.stat().st_size > limits.max_csv_bytes:
        raise ProfileFailure(f"CSV over the {limits.max_csv_bytes}-byte limit; not parsed")
    reader, handle = _rows(path, limits)
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    totals = StatementTotals(limits.max_list)
    rows = unparsed = 0
    with handle:
        try:
            header = next(reader, [])
            roles = column_roles(header)
            statement = is_statement(roles)
            tx_column = roles.get("txid", -1)
            comma_decimal = bool(_CYRILLIC_RE.search(" ".join(header).lower()))
            for cells in reader:
                rows += 1
                if rows % 4096 == 0 and deadline.expired():
                    raise ProfileFailure("time limit reached while reading rows")
                if statement:
                    if not _statement_row(cells, roles, comma_decimal, scanner, times, totals):
                        unparsed += 1
                    skip = {roles.get("counterparty"), roles.get("amount"), roles.get("date")}
                    for index, cell in enumerate(cells):
                        if index not in skip:
                            scanner.where = f"row {rows + 1}, column {index + 1}"
                            scanner.scan(cell, tx_context=index == tx_column)
                    continue
                for index, cell in enumerate(cells):
                    scanner.where = f"row {rows + 1}, column {index + 1}"
                    scanner.scan(cell, tx_context=index == tx_column)
                    if "date" in roles or _DIGIT_RE.search(cell[:4]):
                        times.add(parse_time(cell) if len(cell) <= 40 else None)
        except csv.Error as exc:
            raise ProfileFailure(f"malformed CSV at row {rows + 1}: {exc}") from exc
    out: dict[str, Any] = {
        # a ledger with transaction hashes is a crypto wallet's history, not an e-wallet's
        "kind": "e-wallet-statement" if statement and "txid" not in roles else "wallet-record",
        "profile_version": PROFILE_VERSION,
        "format": "csv",
        "columns": [" ".join(h.split())[:100] for h in header[:100]],
        "rows": rows,
        "time_range": {"first": times.first, "last": times.last},
        "timezone": "as written in the file; values ending in Z are UTC",
    }
    if statement:
        out.update(totals.to_json())
        out["rows_unparsed"] = unparsed
    out.update(wallet_findings(scanner))
    out["truncated"] = totals.overflow or scanner.found.truncated
    return out


def _statement_row(
    cells: list[str],
    roles: dict[str, int],
    comma_decimal: bool,
    scanner: IdentifierScanner,
    times: TimeRange,
    totals: StatementTotals,
) -> bool:
    def cell(role: str) -> str:
        index = roles.get(role)
        return cells[index] if index is not None and index < len(cells) else ""

    amount_text = cell("amount")
    outgoing = False
    if not amount_text.strip() and (cell("income").strip() or cell("expense").strip()):
        outgoing = not cell("income").strip()
        amount_text = cell("expense") if outgoing else cell("income")
    amount = parse_amount(amount_text, comma_decimal=comma_decimal)
    if amount is None:
        return False
    outgoing = outgoing or _direction(cells, roles, amount)
    currency_cell = cell("currency").strip().upper()[:10]
    party = counterparty_key(cell("counterparty"), scanner) or "(none)"
    purse = _WEBMONEY_RE.match(party)
    currency = (
        currency_cell
        or currency_hint(amount_text)
        or (f"WM{purse.group(1)}" if purse else None)
        or "unknown"
    )
    times.add(parse_time(cell("date")))
    totals.add(party, currency, amount, outgoing)
    return True


def wallet_findings(scanner: IdentifierScanner) -> dict[str, Any]:
    """Addresses and txids (with occurrence counts) plus all identifiers, for wallet profiles."""
    addresses, txids = [], []
    for ident in scanner.found:
        entry = {
            **ident.to_json(),
            "occurrences": scanner.occurrences(ident.kind, ident.value, ident.valid),
        }
        if ident.kind.endswith("-address"):
            addresses.append(entry)
        elif ident.kind == "txid":
            txids.append(entry)
    return {"addresses": addresses, "txids": txids, **scanner.to_json()}
