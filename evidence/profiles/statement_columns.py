"""What each column of an exchange, wallet or e-wallet statement means, by its header name.

Header names as the services write them (the layouts our cases meet):
  Coinbase      ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,...,Notes
  Coinbase Pro  portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,...
  Bitstamp      Type,Datetime,Account,Amount,Value,Rate,Fee,Sub Type   ("0.5 BTC" in Amount)
  Binance       User_ID,UTC_Time,Account,Operation,Coin,Change,Remark; deposit/withdrawal
                history Date(UTC),Coin,Network,Amount,TransactionFee,Address,TXID,...,Status (one
                file for either: the file name says which); since 2023 two files, deposits
                Date(UTC+0),Coin,Network,Amount,Address,TXID,Status and withdrawals the same with
                Fee after Amount, dates written "26-11-03 10:15:22" (two-digit year first)
  Bybit funding Date & Time(UTC),Coin,QTY,Type,Account Balance,Description (QTY signed)
  OKX funding   id,Time,Type,Amount,Before Balance,After Balance,Fee,Symbol (Symbol: the coin)
  Kraken        txid,refid,time,type,subtype,aclass,asset,amount,fee,balance (XXBT, ZEUR)
  Exodus        DATE,TYPE,...,OUTAMOUNT,OUTCURRENCY,...,TOADDRESS,OUTTXID,...,INAMOUNT,INCURRENCY
  Electrum      transaction_hash,label,confirmations,value,fiat_value,fee,fiat_fee,timestamp
  Trust Wallet  Date,Type,Asset,Amount,From,To,Hash,Status (explorer-style history)
  QIWI          Дата;Сумма;Валюта;Кошелёк/Контрагент;Тип;Статус;Комментарий
  WebMoney      Дата;Кошелек;Корреспондент;Приход;Расход;Примечание (Кошелек is the holder's own
                purse: its letter names the currency, Корреспондент is the other side)
  YooMoney      Дата и время;Тип операции;Сумма;Валюта;Контрагент;Статус;Описание
  Etherscan     Txhash (or Transaction Hash),Blockno,UnixTimestamp,DateTime (UTC),From,To,
                ContractAddress,Value_IN(ETH),Value_OUT(ETH),...,Status,ErrCode,Method; internal
                transactions add ParentTxFrom,ParentTxTo,ParentTxETH_Value and TxTo; ERC-20
                transfers have TokenValue,USDValueDayOfTx,ContractAddress,TokenName,TokenSymbol
  Bybit         Spot Pairs,Order Type,Direction,Filled Value,Filled Price,Filled Quantity,Fees,
                Transaction ID,Order No.,Timestamp (UTC)
  OKX           id,Order id,Time,Trade Type,Symbol,Action,Amount,Trading Unit,Filled Price,...
  HTX (Huobi)   Time,Type,Pair,Side,Price,Amount,Total,Fee; its Chinese interface writes
                "时间","交易类型","交易对","方向","价格","数量","成交额","手续费" quoted, the rows
                unquoted with a trailing comma, 卖出 sell, 买入 buy, the fee with its unit
                ("0.00000860BTC"), times in UTC+8 without a zone (deb-sig/double-entry-generator)
  Russian exchanges and banks: title lines, then Дата;Операция;Сумма;Валюта;Адрес / реквизиты
Each role lists its header names in order of preference, so "Корреспондент" wins over
"Кошелек", and "Asset" over "Price Currency" (the currency of a price, not of the amount).
"""

from __future__ import annotations

import re
from functools import lru_cache

ROLES: dict[str, tuple[str, ...]] = {
    "date": ("дата и время", "дата операции", "дата", "date", "datetime", "timestamp",
             "datetime (utc)", "timestamp (utc)", "time(utc)", "time (utc)", "date(utc+0)",
             "date & time(utc)",
             "utc_time", "date(utc)", "time", "время", "date/time", "дата/время", "created at",
             "created", "created_at", "时间"),
    "amount": ("quantity transacted", "сумма", "сумма операции", "сумма платежа", "amount",
               "change", "size", "tokenvalue", "filled quantity", "quantity", "qty", "value", "sum",
               "total", "数量"),
    "currency": ("валюта", "currency", "asset", "coin", "amount/balance unit", "size unit",
                 "валюта платежа", "cur", "ccy", "tokensymbol", "trading unit"),
    "counterparty": ("корреспондент", "кошелек корреспондента", "кошелек/контрагент",
                     "контрагент", "counterparty", "получатель", "отправитель", "recipient",
                     "payee", "toaddress", "address", "to/from", "partner", "номер", "purse",
                     "wallet", "адрес / реквизиты", "адрес/реквизиты", "реквизиты", "адрес",
                     "кошелек/счет", "счет", "кошелек"),
    "own": ("кошелек", "account", "portfolio"),
    "to": ("to", "txto"),
    "from": ("from",),
    "direction": ("transaction type", "тип операции", "тип", "type", "operation", "операция",
                  "направление", "direction", "приход/расход", "side", "sub type", "subtype",
                  "action", "方向", "交易类型"),
    "status": ("status", "статус", "статус операции", "состояние"),
    "income": ("приход", "поступление", "зачисление", "inamount", "in", "credit", "incoming",
               "value_in(eth)", "value_in(bnb)", "value_in(trx)"),
    "expense": ("расход", "списание", "outamount", "out", "debit", "outgoing", "value_out(eth)",
                "value_out(bnb)", "value_out(trx)"),
    "pair": ("spot pairs", "pair", "symbol", "инструмент", "交易对"),
    "income_currency": ("incurrency",),
    "expense_currency": ("outcurrency",),
    "network": ("network", "chain", "chain type", "сеть"),
    "notes": ("notes", "примечание", "комментарий", "описание", "remark", "personalnote"),
    # a transaction's or trade's fee (its currency: evidence.profiles.statement_fees)
    "fee": ("txnfee(eth)", "txnfee(bnb)", "txnfee(trx)", "txn fee", "transactionfee", "fee",
            "fees", "feeamount", "fee amount", "trading fee", "fees and/or spread", "комиссия",
            "сумма комиссии", "手续费"),
    "fee_currency": ("feecurrency", "fee currency", "fee unit", "fee coin", "fee asset",
                     "валюта комиссии", "price currency"),
    "txid": ("txid", "tx hash", "tx_hash", "transaction_hash", "transaction hash", "hash",
             "transaction id", "хеш транзакции", "outtxid", "intxid", "txhash"),
}  # fmt: skip
# Columns read for direction: all of them (Bitstamp says "Market" in Type, "Sell" in Sub Type).
DIRECTION_NAMES = frozenset(ROLES["direction"])

# (layout, header names that must all be present), most specific first
_LAYOUTS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(cols))
    for name, cols in (
        ("Coinbase", ("transaction type", "asset", "quantity transacted")),
        ("Coinbase Pro", ("portfolio", "amount/balance unit")),
        ("Coinbase Pro fills", ("portfolio", "size unit", "side")),
        ("Bitstamp", ("datetime", "account", "amount", "value", "rate", "sub type")),
        ("Binance", ("utc_time", "operation", "coin", "change")),
        ("Binance deposit/withdrawal history", ("date(utc)", "coin", "network", "txid")),
        ("Binance withdrawal history", ("date(utc+0)", "coin", "network", "fee", "txid")),
        ("Binance deposit history", ("date(utc+0)", "coin", "network", "txid")),
        ("Bybit deposits/withdrawals", ("date & time(utc)", "coin", "qty", "description")),
        ("OKX funding history", ("time", "type", "amount", "before balance", "symbol")),
        ("Kraken", ("txid", "refid", "aclass", "asset", "amount")),
        ("Exodus", ("outamount", "outcurrency", "inamount", "incurrency")),
        ("Electrum", ("transaction_hash", "label", "confirmations", "value")),
        ("Trust Wallet", ("asset", "from", "to", "hash")),
        ("WebMoney", ("кошелек", "корреспондент")),
        ("QIWI", ("кошелек/контрагент", "сумма")),
        ("YooMoney", ("тип операции", "контрагент", "статус")),
        ("Etherscan internal transactions", ("parenttxfrom", "value_in(eth)", "txto")),
        ("Etherscan transactions", ("blockno", "value_in(eth)", "value_out(eth)")),
        ("Etherscan ERC-20 transfers", ("blockno", "tokenvalue", "tokensymbol")),
        ("Bybit spot trades", ("spot pairs", "direction", "filled quantity")),
        ("OKX trading history", ("trade type", "symbol", "action", "trading unit")),
        ("HTX trades", ("pair", "side", "price", "amount", "total", "fee")),
        ("HTX trades (Chinese interface)", ("交易对", "方向", "价格", "数量", "成交额", "手续费")),
    )
)
LAYOUT_DEFAULT_CURRENCY = {"Electrum": "BTC", "Etherscan transactions": "ETH",
                           "Etherscan internal transactions": "ETH"}  # fmt: skip
# layouts whose every row goes one way (None: the file name says which, "deposit"/"withdraw")
LAYOUT_DIRECTION: dict[str, bool | None] = {
    "Binance deposit history": False,
    "Binance withdrawal history": True,
    "Binance deposit/withdrawal history": None,
}
# what a layout's rows do not say but its source does, told in a notice
LAYOUT_NOTICES = {
    "HTX trades (Chinese interface)": "HTX's Chinese interface writes times without a zone; "
    "importers of this file (deb-sig/double-entry-generator) read them as UTC+8 (Beijing "
    "time): kept as written",
}
# layouts whose "Symbol" column is the coin of the amount, not a market pair
SYMBOL_IS_CURRENCY = frozenset({"OKX funding history"})
# ledgers that write every movement out as a negative amount: a positive one is money in
SIGNED_LAYOUTS = frozenset({"Binance", "Kraken", "Coinbase Pro", "Electrum"})

_OUT_STEMS = ("sell", "sold", "send", "sent", "withdraw", "payment", "spend", "debit", "out",
              "расход", "списан", "исход", "вывод", "плат", "отправ", "покупка",
              "卖出")  # fmt: skip
_IN_STEMS = ("buy", "bought", "receiv", "deposit", "credit", "reward", "income", "interest",
             "earn", "staking", "приход", "зачисл", "пополн", "поступ", "входящ",
             "получ", "возврат", "买入")  # fmt: skip
_FAILED_STEMS = ("fail", "cancel", "reject", "error", "declin", "expired", "refused", "ошибк",
                 "отмен", "отклон", "не выполн", "неуспеш", "не проведен")  # fmt: skip
_WORD_RE = re.compile(r"[^\W\d_]+")
_UNIT_RE = re.compile(r"(?<![A-Za-z])([A-Z][A-Z0-9]{1,5})(?![A-Za-z])")
# Kraken's asset codes: X for crypto, Z for fiat, plus its own name for bitcoin
_KRAKEN_ASSETS = {"XXBT": "BTC", "XBT": "BTC", "XETH": "ETH", "XLTC": "LTC", "XXRP": "XRP",
                  "XXLM": "XLM", "XXMR": "XMR", "XZEC": "ZEC", "ZEUR": "EUR", "ZUSD": "USD",
                  "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZCHF": "CHF"}  # fmt: skip
WEBMONEY_CURRENCY = {letter: "WM" + letter for letter in "ZREUBKXGCDHP"}


def norm_header(text: str) -> str:
    """A header cell lower-cased, BOM and quotes dropped, ё read as е, spaces collapsed."""
    return " ".join(text.replace("\ufeff", "").strip().strip('"').lower().replace("ё", "е").split())


def column_roles(header: list[str]) -> dict[str, int]:
    """Map roles (date, amount, ...) to column indexes, each by its most preferred name."""
    names = [norm_header(h) for h in header]
    roles: dict[str, int] = {}
    for role, wanted in ROLES.items():
        for name in wanted:
            if name in names:
                index = names.index(name)
                if role == "counterparty" and index == _own_index(names):
                    continue  # "Кошелек" beside "Корреспондент" is the holder's own purse
                roles[role] = index
                break
    return roles


def _own_index(names: list[str]) -> int | None:
    if "корреспондент" in names and "кошелек" in names:
        return names.index("кошелек")
    return None


def direction_columns(header: list[str]) -> list[int]:
    """Every column whose name says it tells the direction (type, sub type, side...)."""
    return [i for i, h in enumerate(header) if norm_header(h) in DIRECTION_NAMES]


def is_statement(roles: dict[str, int]) -> bool:
    """A statement has amounts (one column or income/expense) and a date or counterparty."""
    has_amount = "amount" in roles or "income" in roles or "expense" in roles
    return has_amount and ("date" in roles or "counterparty" in roles)


def layout_name(header: list[str]) -> str | None:
    """The service whose export this header is, if it is one we know."""
    names = {norm_header(h) for h in header}
    for name, needed in _LAYOUTS:
        if needed <= names:
            return name
    return None


def _stems(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


@lru_cache(maxsize=1024)
def says_outgoing(words: str) -> bool | None:
    """True/False if a type or direction cell names money going out/in, None if it does not."""
    tokens = _stems(words)
    out = any(t.startswith(_OUT_STEMS) for t in tokens)
    into = any(t == "in" or t.startswith(_IN_STEMS) for t in tokens)
    if out and not into:
        return True
    if into and not out:
        return False
    return None


@lru_cache(maxsize=1024)
def is_failed(status: str) -> bool:
    """True if a status cell says the operation did not happen (failed, cancelled...)."""
    lowered = status.lower().replace("ё", "е")
    return any(stem in lowered for stem in _FAILED_STEMS)


@lru_cache(maxsize=1024)
def normalise_currency(text: str) -> str | None:
    """A currency or asset code from a currency cell (Kraken's XXBT is BTC)."""
    code = text.strip().upper()[:12]
    if not code:
        return None
    return _KRAKEN_ASSETS.get(code, code)


def unit_in_amount(text: str) -> str | None:
    """The unit written inside an amount cell ("0.50000000 BTC", "375.00 USD"), if any."""
    found = _UNIT_RE.search(text)
    return normalise_currency(found.group(1)) if found else None


_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "BTC", "ETH", "EUR", "USD", "RUB",
           "TRY", "BRL")  # fmt: skip


def pair_base(pair: str) -> str | None:
    """The traded asset of a market pair ("BTCUSDT", "BTC-USDT", "BTC/USDT" -> "BTC")."""
    text = pair.strip().upper()
    for sep in ("-", "/", "_"):
        if sep in text:
            return normalise_currency(text.split(sep, 1)[0])
    for quote in _QUOTES:
        if text.endswith(quote) and len(text) > len(quote) + 1:
            return normalise_currency(text[: -len(quote)])
    return None
