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
from dataclasses import dataclass, field
from typing import Any

from evidence.profiles.chat import TimeRange
from evidence.profiles.csv_rows import HEADER_SEARCH_ROWS, open_csv
from evidence.profiles.limits import PROFILE_VERSION, Capped, Deadline, Limits, ProfileFailure
from evidence.profiles.readlog import ReadLog
from evidence.profiles.statement_columns import (
    LAYOUT_DEFAULT_CURRENCY,
    LAYOUT_DIRECTION,
    LAYOUT_NOTICES,
    SIGNED_LAYOUTS,
    SYMBOL_IS_CURRENCY,
    WEBMONEY_CURRENCY,
    column_roles,
    direction_columns,
    is_failed,
    is_statement,
    layout_name,
    normalise_currency,
    pair_base,
    says_outgoing,
    unit_in_amount,
)
from evidence.profiles.statement_fees import FeeTotals, header_unit
from evidence.profiles.statement_headerless import HEADERLESS_LAYOUT, headerless_header
from evidence.profiles.statement_parties import WEBMONEY_RE, counterparty_key
from evidence.profiles.statement_sides import Sides
from evidence.profiles.statement_totals import StatementTotals
from evidence.profiles.textscan import (
    IdentifierScanner,
    check_address,
)
from evidence.profiles.values import currency_hint, parse_amount, parse_time

__all__ = ["column_roles", "is_statement", "profile_csv", "wallet_findings"]

_CYRILLIC_RE = re.compile(r"[а-яё]")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_DIGIT_RE = re.compile(r"[0-9]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_ID_HEADER_RE = re.compile(
    r"(?i)^\s*(?:(?:order|trade|transaction|tx|row|ref)[\s_]*)?(?:id|no\.?|number|№|номер)\s*$"
)
# amounts, block numbers, unix times: no identifier is a number of ten characters or fewer
# (a phone written without "+" has eleven digits or more), so such cells skip the scanner
_SHORT_NUMBER_RE = re.compile(r"^[\s$€₽+\-]{0,3}[\d.,\s]{0,10}$")
_HEX64_CELL_RE = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$")
_SHORT_YEAR_RE = re.compile(r"^\d{2}-\d{2}-\d{2}\s")  # Binance "26-11-03 10:15:22"


@dataclass
class _Sheet:
    """What the header told about a statement: roles, direction columns, layout, number style."""

    roles: dict[str, int]
    directions: list[int]
    layout: str | None
    comma_decimal: bool
    signed: bool = False  # a ledger writing money out as negative amounts
    in_out: bool = False  # separate columns for money in and money out
    own: bool = False  # a column for the holder's own purse
    # Bitstamp: a market trade's "Value" is its other leg (USD paid for BTC bought...)
    counter_leg: int | None = None
    failed: list[dict[str, Any]] = field(default_factory=list)
    failed_count: int = 0
    fixed: bool | None = None  # every row goes this way (a deposits-only file...)
    sides: Sides | None = None  # From/To columns: direction relative to the own address
    networks: dict[str, int] = field(default_factory=dict)
    fees: FeeTotals | None = None  # a fee column: its sums per currency and payer

    def cell(self, cells: list[str], role: str) -> str:
        """The cell of a role in this row ("" when the column or cell is missing)."""
        index = self.roles.get(role)
        return cells[index] if index is not None and index < len(cells) else ""


def _is_header(row: list[str]) -> bool:
    return is_statement(column_roles(row)) or layout_name(row) is not None


def _plain_header(row: list[str]) -> bool:
    """A first row of column names: two or more cells, each a word, none a value."""
    cells = [c.strip() for c in row if c.strip()]
    return len(cells) >= 2 and all(
        len(c) <= 60 and _LETTER_RE.search(c) and len(_DIGIT_RE.findall(c)) <= 3 for c in cells
    )


def _sheet(header: list[str], delimiter: str) -> _Sheet:
    roles = column_roles(header)
    sheet = _Sheet(
        roles,
        direction_columns(header),
        layout_name(header),
        # Russian headers, or ";" between cells (what a Russian-locale Excel writes, where "," is
        # the decimal mark: an Etherscan export saved again there reads "0,750" as 0.75)
        bool(_CYRILLIC_RE.search(" ".join(header).lower())) or delimiter == ";",
        layout_name(header) in SIGNED_LAYOUTS,
        "income" in roles or "expense" in roles,
        "own" in roles,
    )
    if sheet.layout == "Bitstamp":
        sheet.counter_leg = [h.strip().lower() for h in header].index("value")
    return sheet


def _generic_row(
    cells: list[str], number: int, tx_columns: set[int], scanner: IdentifierScanner
) -> None:
    # a headerless explorer export (Tronscan transfers): a cell that is one 64-hex value in a
    # row that also holds an address is the row's transaction id
    with_address = any(check_address(c.strip()) for c in cells if 25 <= len(c.strip()) <= 90)
    for index, cell in enumerate(cells):
        scanner.where = f"row {number}, column {index + 1}"
        whole_hash = with_address and _HEX64_CELL_RE.match(cell.strip()) is not None
        if _SHORT_NUMBER_RE.match(cell) is None:
            scanner.scan(cell, tx_context=index in tx_columns or whole_hash)


def _one_way(sheet: _Sheet, original_name: str, log: ReadLog) -> None:
    """A layout whose rows all go one way: the layout, or its file name, says which."""
    if sheet.layout not in LAYOUT_DIRECTION:
        return
    fixed = LAYOUT_DIRECTION[sheet.layout]
    source = "its layout"
    if fixed is None:
        name = original_name.lower()
        if ("withdraw" in name) != ("deposit" in name):
            fixed, source = "withdraw" in name, "its file name"
    if fixed is None:
        log.notice(f"{sheet.layout}: neither the rows nor the file name say deposit or "
                   "withdrawal; amounts are direction_unknown")  # fmt: skip
        return
    sheet.fixed = fixed
    what = "withdrawals (money out)" if fixed else "deposits (money in)"
    log.notice(f"every row is one of the account's {what}: {source} says so")


def profile_csv(
    path: pathlib.Path, limits: Limits, deadline: Deadline, original_name: str = ""
) -> dict[str, Any]:
    """Profile of a CSV: a statement if its columns say so, else every cell scanned."""
    if path.stat().st_size > limits.max_csv_bytes:
        raise ProfileFailure(f"CSV over the {limits.max_csv_bytes}-byte limit; not parsed")
    table = open_csv(path, limits, _is_header, plain_header=_plain_header)
    scanner = IdentifierScanner(limits.max_list, raw_transactions=True)
    times = TimeRange()
    totals = StatementTotals(limits.max_list)
    log = ReadLog("rows", limits.max_list)
    header = table.header
    named = headerless_header(table.first_rows()) if not header else None
    header = named or header
    sheet = _sheet(header, table.delimiter)
    if named:
        sheet.layout = HEADERLESS_LAYOUT
    roles = sheet.roles
    statement = is_statement(roles)
    tx_columns = {i for i, h in enumerate(header) if "txid" in h.lower()}
    tx_columns |= {roles.get("txid", -1)}
    skip = {roles.get("counterparty"), roles.get("amount"), roles.get("date")}
    # order, trade and row numbers are the service's own ids: never phones or card numbers
    skip |= {i for i, h in enumerate(header) if _ID_HEADER_RE.search(h) and i not in tx_columns}
    if statement:
        _one_way(sheet, original_name, log)
        if sheet.layout in LAYOUT_NOTICES:
            log.notice(LAYOUT_NOTICES[sheet.layout])
        if "from" in roles and "to" in roles:
            sheet.sides = Sides(limits.max_list * 10)
        if "fee" in roles:
            sheet.fees = FeeTotals(limits.max_list * 10, header_unit(header[roles["fee"]]))
    rows = blank = 0
    text_rows: Capped[int] = Capped(20)
    number = table.header_row
    try:
        for number, cells in table.title_rows:
            _generic_row(cells, number, set(), scanner)
        if table.title_rows:
            log.notice(
                f"{len(table.title_rows)} line(s) before the header row (rows 1-"
                f"{len(table.title_rows)}) are titles: scanned for identifiers, not rows"
            )
        if named:
            columns = ", ".join(f"{i + 1} {n}" for i, n in enumerate(named) if n)
            log.notice(
                f"no header row: the rows' shape names the columns ({columns}); read as a "
                "transfers list"
            )
        elif not header:
            log.notice(
                f"no header row in the first {HEADER_SEARCH_ROWS} rows: every cell of every "
                "row scanned for identifiers (generic CSV scan)"
            )
        elif not statement:
            log.notice(
                "columns of no statement layout: every cell of every row scanned for "
                "identifiers (generic CSV scan)"
            )
        for number, cells in table.data_rows():
            if number % 4096 == 0 and deadline.expired():
                log.stop(f"stopped at the time limit after row {number}")
                break
            if not any(cell.strip() for cell in cells):
                blank += 1
                continue
            rows += 1
            if not statement:
                _generic_row(cells, number, tx_columns, scanner)
                for cell in cells:
                    if len(cell) <= 40 and ("date" in roles or _DIGIT_RE.search(cell[:4])):
                        times.add(parse_time(cell))
                log.ok()
                continue
            if _text_row(cells):
                # a title, section or total line inside the table ("Итого пополнений: 2")
                _generic_row(cells, number, set(), scanner)
                text_rows.add(number)
                log.ok()
                continue
            read = _statement_row(cells, number, sheet, scanner, times, totals, limits)
            if read:
                log.ok()
            else:
                log.miss(f"row {number}", _why_unread(cells, sheet))
            for index, cell in enumerate(cells):
                if index in tx_columns and cell.strip().isdigit():
                    continue  # an exchange's numeric trade id in a "Transaction ID" column
                if index not in skip or not read:  # an unread row: every cell is scanned
                    scanner.where = f"row {number}, column {index + 1}"
                    if _SHORT_NUMBER_RE.match(cell) is None:
                        scanner.scan(cell, tx_context=index in tx_columns)
    except csv.Error as exc:
        log.stop(f"malformed CSV at row {number + 1}: {exc}; the rest of the file not read")
    finally:
        table.close()
    if text_rows.total:
        more = " ..." if text_rows.truncated else ""
        log.notice(
            f"{text_rows.total} row(s) hold one cell of text and no amount (rows "
            f"{', '.join(map(str, text_rows))}{more}): titles, sections or totals inside the "
            "table, scanned for identifiers, not transactions"
        )
    out: dict[str, Any] = {
        # a ledger with transaction hashes is a crypto wallet's history, not an e-wallet's
        "kind": "e-wallet-statement" if statement and "txid" not in roles else "wallet-record",
        "profile_version": PROFILE_VERSION,
        "format": "csv",
        "layout": sheet.layout,
        **table.encoding.to_json(),
        "delimiter": table.delimiter,
        "header_row": table.header_row or None,
        "columns": [" ".join(h.split())[:100] for h in (table.header or [])[:100]],
        "rows": rows,
        "blank_rows": blank,
        "time_range": {"first": times.first, "last": times.last},
        "timezone": "as written in the file; values ending in Z are UTC",
    }
    if sheet.sides is not None:
        own = sheet.sides.own(original_name)
        unknown = sheet.sides.resolve(own, totals, lambda raw: _party_key(raw, limits))
        out["own_address"] = own.to_json()
        if unknown:
            log.notice(f"{unknown} transfer(s) left direction_unknown: {own.reason}")
        if sheet.fees is not None:
            sheet.fees.resolve(own.address)
    if statement:
        out.update(totals.to_json())
        if "network" in roles:
            out["networks"] = [{"network": k, "rows": v} for k, v in sorted(sheet.networks.items())]
        if sheet.fees is not None:
            out["fees_by_currency"] = sheet.fees.to_json()
            if sheet.fees.unread_count:
                log.notice(sheet.fees.unread_notice(header[roles["fee"]]))
        out["rows_unparsed"] = log.missed.total
        out["rows_failed"] = sheet.failed_count
        out["failed_rows"] = sheet.failed
    out.update(wallet_findings(scanner))
    out.update(log.to_json())
    out["truncated"] = totals.overflow or scanner.found.truncated or log.stopped is not None
    return out


def _text_row(cells: list[str]) -> bool:
    """One non-empty cell, the first, of words and no date: a line of text across the table."""
    filled = [i for i, cell in enumerate(cells) if cell.strip()]
    if filled != [0]:
        return False
    text = cells[0].strip()
    return _LETTER_RE.search(text) is not None and parse_time(text) is None


def _party_key(raw: str, limits: Limits) -> str:
    # identifiers of these cells were recorded when their rows were read
    return counterparty_key(raw, IdentifierScanner(limits.max_list)) or "(none)"


def _why_unread(cells: list[str], sheet: _Sheet) -> str:
    names = [r for r in ("amount", "income", "expense") if r in sheet.roles]
    shown = ", ".join(f"{r} {sheet.cell(cells, r)[:40]!r}" for r in names)
    return f"no amount could be read ({shown}); cells scanned for identifiers only"


def _legs(cells: list[str], sheet: _Sheet) -> list[tuple[str, str, bool | None]]:
    """(amount text, currency cell, outgoing) of each movement a row records.

    An Exodus exchange row records two (out and in), a WebMoney row one of Приход/Расход.
    """
    legs: list[tuple[str, str, bool | None]] = []
    if sheet.in_out:
        income = sheet.cell(cells, "income").strip()
        expense = sheet.cell(cells, "expense").strip()
        if expense and parse_amount(expense, comma_decimal=sheet.comma_decimal):
            legs.append((expense, sheet.cell(cells, "expense_currency"), True))
        if income and parse_amount(income, comma_decimal=sheet.comma_decimal):
            legs.append((income, sheet.cell(cells, "income_currency"), False))
        if not legs and all(
            parse_amount(cell, comma_decimal=sheet.comma_decimal) is not None
            for cell in (income, expense)
        ):
            # nothing in, nothing out (an explorer's contract call): read, and moves nothing
            return [("0", sheet.cell(cells, "income_currency"), None)]
    if not legs:
        text = sheet.cell(cells, "amount")
        words = " ".join(cells[i] for i in sheet.directions if i < len(cells))
        direction = says_outgoing(words)
        if direction is None:
            direction = sheet.fixed
        legs.append((text, sheet.cell(cells, "currency"), direction))
        index = sheet.counter_leg
        if (
            index is not None
            and index < len(cells)
            and cells[index].strip()
            and direction is not None
        ):
            legs.append((cells[index], "", not direction))  # sold BTC: USD came in
    return legs


def _counterparty(cells: list[str], sheet: _Sheet, outgoing: bool) -> str:
    party = sheet.cell(cells, "counterparty")
    if not party.strip():
        party = sheet.cell(cells, "to" if outgoing else "from")
    if not party.strip():
        # Coinbase: "Sent 0.01 BTC to bc1q..." is the only place the other side is named
        for token in sheet.cell(cells, "notes").split()[::-1]:
            check = check_address(token.strip(".,;"))
            if check is not None and check.valid is not False:
                return check.value
    return party


def _statement_row(
    cells: list[str],
    number: int,
    sheet: _Sheet,
    scanner: IdentifierScanner,
    times: TimeRange,
    totals: StatementTotals,
    limits: Limits,
) -> bool:
    parsed = False
    failed = "status" in sheet.roles and is_failed(sheet.cell(cells, "status"))
    own = WEBMONEY_RE.match(sheet.cell(cells, "own").strip().upper()) if sheet.own else None
    written = sheet.cell(cells, "date")
    if _SHORT_YEAR_RE.match(written) and (sheet.layout or "").startswith("Binance"):
        written = "20" + written  # Binance writes the year's last two digits first
    date = parse_time(written)
    row_currency: str | None = None
    for text, currency_cell, outgoing in _legs(cells, sheet):
        amount = parse_amount(text, comma_decimal=sheet.comma_decimal)
        if amount is None:
            continue
        parsed = True
        if amount < 0:
            outgoing = True
        elif outgoing is None and text.strip().startswith("+"):
            outgoing = False  # "+400,00": the statement marks money in with a plus
        elif outgoing is None and sheet.signed:
            outgoing = False  # a ledger that writes outgoing amounts negative: positive is in
        raw_party = _counterparty(cells, sheet, bool(outgoing))
        party = counterparty_key(raw_party, scanner) or "(none)"
        purse = WEBMONEY_RE.match(party)
        currency = (
            normalise_currency(currency_cell)
            or unit_in_amount(text)
            or currency_hint(text)
            or (WEBMONEY_CURRENCY[own.group(1)] if own else None)
            or (WEBMONEY_CURRENCY[purse.group(1)] if purse else None)
            or pair_base(sheet.cell(cells, "pair"))
            or (
                normalise_currency(sheet.cell(cells, "pair"))
                if sheet.layout in SYMBOL_IS_CURRENCY
                else None
            )
            or LAYOUT_DEFAULT_CURRENCY.get(sheet.layout or "")
            or "unknown"
        )
        row_currency = row_currency or currency
        if failed:
            # listed so the investigator sees the attempt, never added to what moved
            sheet.failed_count += 1
            if len(sheet.failed) < limits.max_list:
                sheet.failed.append(
                    {
                        "row": number,
                        "date": date,
                        "amount": str(abs(amount)),
                        "currency": currency,
                        "direction": {True: "outgoing", False: "incoming", None: "unknown"}[
                            outgoing
                        ],
                        "counterparty": party,
                        "status": " ".join(sheet.cell(cells, "status").split())[:60],
                    }
                )
            continue
        sides = sheet.sides
        if outgoing is None and sides is not None:
            sender, receiver = sheet.cell(cells, "from"), sheet.cell(cells, "to")
            if sides.defer(sender, receiver, currency, amount):
                continue  # its direction is decided once the whole file is read
        totals.add(party, currency, amount, outgoing)
    if parsed:
        times.add(date)
        if sheet.fees is not None:
            trade = "pair" in sheet.roles and sheet.layout not in SYMBOL_IS_CURRENCY
            sheet.fees.row(
                number,
                sheet.cell(cells, "fee"),
                normalise_currency(sheet.cell(cells, "fee_currency")),
                "unknown" if trade else row_currency or "unknown",
                failed=failed,
                comma_decimal=sheet.comma_decimal,
                sender=sheet.cell(cells, "from") if sheet.sides is not None else None,
            )
        if sheet.sides is not None:
            sheet.sides.see(sheet.cell(cells, "from"), sheet.cell(cells, "to"))
        network = " ".join(sheet.cell(cells, "network").split())[:40]
        if network and (network in sheet.networks or len(sheet.networks) < 50):
            sheet.networks[network] = sheet.networks.get(network, 0) + 1
    return parsed


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
