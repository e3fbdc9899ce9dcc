"""Times and money amounts as they are written in statements and wallet exports.

Money is Decimal and leaves as a string: profiles are hashed as RFC 8785 canonical JSON, where a
float would be rounded and re-rendered differently by different tools.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d{1,9})?)?"
    r"\s?(Z|[+\-]\d{2}:?\d{2})?(?!\d)"
)
_DOTTED_RE = re.compile(
    r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?!\d)"
)
# Bitstamp "Jan. 28, 2022, 12:13 AM"; Exodus "Mon Nov 02 2026 10:15:33 GMT+0300 (...)"
_MONTH_NAME_RE = re.compile(
    r"(?i)(?<![A-Za-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?"
    r"\s+(\d{4}),?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(?:GMT|UTC)?([+\-]\d{2}:?\d{2}))?"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CURRENCY_HINTS = (
    ("₽", "RUB"), ("руб", "RUB"), ("rub", "RUB"), ("р.", "RUB"), ("$", "USD"), ("usd", "USD"),
    ("€", "EUR"), ("eur", "EUR"), ("byn", "BYN"), ("бел", "BYN"), ("br", "BYN"), ("₴", "UAH"),
    ("uah", "UAH"), ("грн", "UAH"), ("₸", "KZT"), ("kzt", "KZT"), ("тг", "KZT"), ("btc", "BTC"),
    ("usdt", "USDT"), ("eth", "ETH"),
)  # fmt: skip
_AMOUNT_JUNK_RE = re.compile(r"[^0-9+\-−.,' \u00a0\u2009\u202f]")
_AMOUNT_RE = re.compile(r"^([+\-−]?)(\d[\d\s\u00a0\u2009\u202f'.,]{0,40})$")


def parse_time(text: str) -> str | None:
    """ "YYYY-MM-DDTHH:MM:SS" (naive, as written) or "...Z" (when an offset was given)."""
    text = text.strip()[:64]
    match = _ISO_RE.search(text)
    dotted = None if match else _DOTTED_RE.search(text)
    named = None if match or dotted else _MONTH_NAME_RE.search(text)
    if match:
        y, mo, d, h, mi, s, zone = match.groups()
        if zone is None and text[match.end() :].strip().upper().startswith("UTC"):
            zone = "Z"  # Coinbase: "2026-11-02 10:15:33 UTC"
    elif named:
        name, d, y, h, mi, s, half, zone = named.groups()
        mo = str(_MONTHS.index(name.lower()[:3]) + 1)
        if h is not None and half is not None:
            h = str(int(h) % 12 + (12 if half.lower() == "p" else 0))
    elif dotted:
        d, mo, y, h, mi, s = dotted.groups()
        zone = None
    else:
        return None
    try:
        moment = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    if zone:
        if zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment.replace(tzinfo=timezone(sign * offset))
        else:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return moment.isoformat(timespec="seconds")


def parse_unix_time(value: int) -> str | None:
    """ "...Z" for plausible unix seconds (2000..2100) or milliseconds, else None."""
    if 10**12 <= value < 5 * 10**12:
        value //= 1000
    if not 946684800 <= value < 4102444800:
        return None
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None).isoformat() + "Z"


def currency_hint(text: str) -> str | None:
    """ISO-like currency code named by a symbol or word in text, if any."""
    lowered = text.lower()
    for needle, code in _CURRENCY_HINTS:
        if needle in lowered:
            return code
    return None


def parse_amount(text: str, *, comma_decimal: bool) -> Decimal | None:
    """Decimal of an amount such as "-1 234,50 ₽", "+1,234.50", "500"; None if not one.

    comma_decimal says how to read a lone comma ("1,500"): Russian-language statements use it
    as the decimal mark, English ones as a thousands separator.
    """
    cleaned = _AMOUNT_JUNK_RE.sub("", text.strip())
    match = _AMOUNT_RE.match(cleaned.strip())
    if match is None:
        return None
    sign, body = match.groups()
    body = re.sub(r"[\s\u00a0\u2009\u202f']", "", body)
    if "," in body and "." in body:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
    elif "," in body:
        # several commas are thousands separators; a lone one depends on the statement's language
        lone = body.count(",") == 1
        decimal_mark = "," if lone and (comma_decimal or not re.search(r",\d{3}$", body)) else ""
    else:
        decimal_mark = "." if body.count(".") == 1 else ""
    if decimal_mark:
        whole, _, frac = body.rpartition(decimal_mark)
        whole = whole.replace(",", "").replace(".", "")
        body = f"{whole}.{frac}"
    else:
        body = body.replace(",", "").replace(".", "")
    try:
        amount = Decimal(body)
    except InvalidOperation:
        return None
    return -amount if sign in ("-", "−") else amount
