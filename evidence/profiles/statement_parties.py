"""A statement's counterparty cell as a key for its totals, and the identifiers it holds.

Phones (QIWI wallets) are normalised and listed, WebMoney purses named by their letter, bare
account numbers listed as e-wallets of an unknown system; a payment card number, alone in the
cell or written inside words ("Тинькофф, карта 4276 ..."), is masked to its first six and last
four digits (PCI DSS): it never reaches a profile whole.
"""

from __future__ import annotations

import re

from evidence.identifiers import Identifier, normalise_phone
from evidence.profiles.textscan import WEBMONEY_PURSES, IdentifierScanner, looks_like_card

__all__ = ["WEBMONEY_RE", "counterparty_key"]

WEBMONEY_RE = re.compile(r"^([ZREUBKXGCDHP])(\d{12})$")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_CARD_IN_TEXT_RE = re.compile(r"(?<![\d\w])\d(?:[ -]?\d){12,18}(?![\d\w])")


def counterparty_key(raw: str, scanner: IdentifierScanner) -> str:
    """Normalised counterparty; records phones and purses as identifiers, masks card numbers."""
    text = " ".join(raw.split())[:200]
    digits = _NON_DIGIT_RE.sub("", text)
    if looks_like_card(digits) and len(digits) == len(text.replace(" ", "").replace("-", "")):
        return f"card {digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"
    purse = WEBMONEY_RE.match(text.upper())
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
    # "Тинькофф карта 5536 9138 1234 5678": a card number inside words is masked too
    return _CARD_IN_TEXT_RE.sub(_mask_card, text)


def _mask_card(match: re.Match[str]) -> str:
    digits = _NON_DIGIT_RE.sub("", match.group())
    if not looks_like_card(digits):
        return match.group()
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"
