"""Find identifiers in free text: phones, e-mails, URLs, wallet addresses, txids, e-wallets.

A 64-hex string is a txid only where its context says so: a txid/hash field or column (the
caller passes `tx_context`), an explorer's transaction URL, or a transaction label just before
it ("txid:", "Transaction hash", "хеш транзакции"). Bare 64-hex values are also block hashes,
Merkle roots, signature halves and private keys, so they are never listed on their own.

Addresses keep the spelling they were written in: the verdict belongs to the spelling (BIP-173
rejects mixed case; EIP-55 is a property of the case pattern), so two spellings of one address
are two entries and no verdict depends on which came first. Private keys and seed phrases are
counted by evidence.profiles.secrets and never copied.

Card numbers are deliberately NOT extracted (PCI DSS: a manifest travels abroad and a full card
number must not ride along); the scanner only counts digit runs that pass the Luhn check so the
investigator knows to look at the original.

Every regular expression here has bounded repetition so that a hostile 1 MiB line cannot make
one backtrack for long.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from evidence import identifiers
from evidence.identifiers import Identifier
from evidence.profiles import addresses
from evidence.profiles.addresses import raw_transaction_id
from evidence.profiles.limits import Capped
from evidence.profiles.secrets import SecretScanner

# Chats repeat the same few links, phones and wallets thousands of times: memoising the pure
# normalisers and checksum checks keeps a 100,000-message export well inside its time budget.
canonical_url = lru_cache(maxsize=8192)(identifiers.canonical_url)
normalise_email = lru_cache(maxsize=8192)(identifiers.normalise_email)
normalise_phone = lru_cache(maxsize=8192)(identifiers.normalise_phone)
normalise_iban = lru_cache(maxsize=8192)(identifiers.normalise_iban)
check_address = lru_cache(maxsize=8192)(addresses.check_address)

_DIGIT_RE = re.compile(r"[0-9]")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_URL_RE = re.compile(
    r"(?i)(?:\bhttps?://|\bwww\.)[^\s<>\"'«»]{1,2000}"
    r"|(?<![\w.@/])(?:(?:m|www)\.)?(?:vk\.com|vkontakte\.ru|ok\.ru|odnoklassniki\.ru|"
    r"instagram\.com|instagr\.am|facebook\.com|fb\.com|t\.me|telegram\.me|wa\.me)/[^\s<>\"'«»]{1,500}"
)
_EMAIL_RE = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,6}")
# one possessive character class: no backtracking however long the digit run
_PHONE_RE = re.compile(r"(?<![\w+])\+?\(?\d[\d()\- \u00a0]{6,40}+")
_PHONE_SPLIT_RE = re.compile(r"[ \u00a0]+")
_BASE58_RE = re.compile(r"(?<![\w])[13mn2LMT][1-9A-HJ-NP-Za-km-z]{24,34}(?![\w])")
_BECH32_RE = re.compile(r"(?i)(?<![\w])(?:bc|tb|bcrt|ltc|tltc)1[0-9a-z]{11,87}(?![\w])")
_ETH_RE = re.compile(r"(?<![\w])0[xX][0-9a-fA-F]{40}(?![\w])")
# the null address (a block's miner after the merge, the sender of a token mint): nobody's
_ZERO_ADDRESS_RE = re.compile(r"^0[xX]0{40}$")
_HEX64_RE = re.compile(r"(?<![0-9a-zA-Z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9a-zA-Z])")
# explorer links: blockchair .../transaction/H, etherscan /tx/0xH, tronscan #/transaction/H
_EXPLORER_TX_RE = re.compile(
    r"(?i)/(?:tx|txs|transaction|transactions|btc/tx|eth/tx)/(?:0x)?[0-9a-f]{64}(?![0-9a-z])"
)
_TX_LABEL_RE = re.compile(
    r"(?i)(?:\btx[\s_\-]?id|\btxn?\b|\btx[\s_\-]?hash|\btransaction[\s_\-]?(?:id|hash)|\btxn[\s_\-]?hash"
    r"|хеш транзакции|хэш транзакции|id транзакции|идентификатор транзакции|\bhash of transaction)"
    r"s?[\"'\s]{0,3}[:=#№]?[\"'\s]{0,3}((?:0x)?[0-9a-f]{64})(?![0-9a-z])"
)
# "hash 0x...": a bare "hash" names a transaction only before an Ethereum-style 0x value,
# and never after "block"/"parent" (block hashes are not txids)
_HASH_LABEL_RE = re.compile(
    r"(?i)(?<!block )(?<!parent )\b(?:hash|хеш|хэш)\b[\"'\s]{0,3}[:=#]?[\"'\s]{0,3}"
    r"(0x[0-9a-f]{64})(?![0-9a-z])"
)
_RAWTX_RE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{120,200000}(?![0-9a-fA-F])")
_WEBMONEY_RE = re.compile(r"(?<![\w])([ZREUBKXGCDH])(\d{12})(?![\w])")
_SKYPE_LIVE_RE = re.compile(r"(?<![\w:])live:[A-Za-z0-9._\-]{3,64}")
# IBAN in its electronic (compact) or printed (groups of four) form, ISO 13616
_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)"
    r"(?![A-Za-z0-9])"
)
# a digit run inside a file name ("00000012-PHOTO-2026-11-02-10-15-33.jpg", "IMG_2026...")
_FILE_TAIL_RE = re.compile(r"^\.[A-Za-z0-9]{2,5}\b")
# content delivery hosts: avatars, attachments, emoji images; links to a file, not an account
CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net", "cdninstagram.com", "fbcdn.net",
             "telegram-cdn.org", "cdn.jsdelivr.net", "twimg.com", "userapi.com", "vkuser.net",
             "googleusercontent.com", "ggpht.com", "whatsapp.net")  # fmt: skip
_TG_MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@.])")

WEBMONEY_PURSES = {
    "Z": "WMZ (USD)",
    "R": "WMR (RUB)",
    "E": "WME (EUR)",
    "U": "WMU (UAH)",
    "B": "WMB (BYN)",
    "K": "WMK (KZT)",
    "X": "WMX (BTC)",
    "G": "WMG (gold)",
    "C": "WMC (credit)",
    "D": "WMD (credit)",
    "H": "WMH (BCH)",
}


def luhn_ok(digits: str) -> bool:
    """True if the digit string passes the Luhn check used by payment card numbers."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def looks_like_card(digits: str) -> bool:
    """13 to 19 digits that pass Luhn: a payment card number, never to be copied out."""
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _on_cdn(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return any(host == cdn or host.endswith("." + cdn) for cdn in CDN_HOSTS)


class IdentifierScanner:
    """Accumulates identifiers from many pieces of text into one capped, de-duplicated list."""

    def __init__(self, cap: int, *, raw_transactions: bool = False) -> None:
        self._seen: dict[tuple[str, str, bool | None], int] = {}
        self.found: Capped[Identifier] = Capped(cap)
        self.card_like = 0
        self.cdn_links = 0  # avatar, attachment and emoji links left out of the identifiers
        self._raw_transactions = raw_transactions
        self.secrets = SecretScanner(cap)
        self.where = "the file"  # parsers set this to the line, row or JSON path being read
        # "@name" is a Telegram handle (t.me link) unless the messenger's own mentions look
        # the same (Discord's "@Pavel" is a Discord user, not t.me/pavel)
        self.telegram_mentions = True

    def add(self, ident: Identifier | None) -> None:
        """Record one identifier (None is ignored), counting repeats."""
        if ident is None:
            return
        key = (ident.kind, ident.value, ident.valid)
        if key in self._seen:
            self._seen[key] += 1
            return
        self._seen[key] = 1
        self.found.add(ident)

    def occurrences(self, kind: str, value: str, valid: bool | None = None) -> int:
        """How many times an identifier (this spelling, this verdict) was seen."""
        return self._seen.get((kind, value, valid), 0)

    def add_phone(self, raw: str, detail: str | None = None) -> None:
        """Record raw as a phone number if it normalises to one."""
        ident = normalise_phone(raw)
        if ident is not None and detail is not None:
            ident = Identifier(ident.kind, ident.value, ident.valid, detail)
        self.add(ident)

    def add_url(self, raw: str) -> None:
        """Record raw as a URL if it parses as one."""
        self.add(canonical_url(raw))

    def add_address(self, raw: str) -> None:
        """Record raw as a cryptocurrency address if it looks like one."""
        check = check_address(raw)
        if check is not None and not _ZERO_ADDRESS_RE.match(check.value):
            self.add(Identifier(check.kind, check.value, check.valid, check.detail))

    def scan(self, text: str, *, tx_context: bool = False) -> None:
        """Find every identifier in text; tx_context: text is a txid field or column."""
        if not text:
            return
        self.secrets.scan(text, self.where)
        has_digit = _DIGIT_RE.search(text) is not None
        lowered_hint = "." in text
        if lowered_hint:
            for m in _URL_RE.finditer(text):
                url = canonical_url(m.group(0))
                if url is not None and _on_cdn(url.value):
                    self.cdn_links += 1
                    continue
                if url is not None and _EXPLORER_TX_RE.search(m.group(0)):
                    continue  # an explorer's page of a transaction: the txid is listed instead
                self.add(url)
        if "@" in text:
            for m in _EMAIL_RE.finditer(text):
                self.add(normalise_email(m.group(0)))
            for m in _TG_MENTION_RE.finditer(text) if self.telegram_mentions else ():
                self.add(canonical_url("https://t.me/" + m.group(1)))
        if "live:" in text:
            for m in _SKYPE_LIVE_RE.finditer(text):
                self.add(Identifier("account", "skype:" + m.group(0).rstrip("."), None, "Skype"))
        if not has_digit:
            return
        for m in _PHONE_RE.finditer(text):
            start = m.start()
            if start >= 2 and text[start - 1] in "-_" and text[start - 2].isalnum():
                continue  # the tail of a file or id name, not a number written on its own
            if _FILE_TAIL_RE.match(text, m.end()):
                continue  # "...-10-15-33.jpg": the digits name a file
            self._phone_run(m.group(0), text[m.end() : m.end() + 1])
        for m in _IBAN_RE.finditer(text):
            self.add(normalise_iban(m.group(0)))
        self._scan_wallets(text, tx_context)

    def _phone_run(self, run: str, following: str) -> None:
        if run[-1:].isdigit() and following.isalnum():
            return  # the run goes on past our window or into a word: not a phone number
        run = run.rstrip(" -(\u00a0")
        digits = _NON_DIGIT_RE.sub("", run)
        if looks_like_card(digits):
            self.card_like += 1
            return
        # "8 916 123 45 67 10 раз": unrelated numbers may follow; drop trailing groups until
        # the digits make a number we can place
        groups = _PHONE_SPLIT_RE.split(run)
        for end in range(len(groups), 0, -1):
            ident = normalise_phone(" ".join(groups[:end]))
            if ident is not None:
                self.add(ident)
                return

    def _scan_txids(self, text: str, tx_context: bool) -> None:
        if tx_context:
            for m in _HEX64_RE.finditer(text):
                self._txid(m.group(0), "transaction id field")
            return
        if "/" in text:
            for m in _EXPLORER_TX_RE.finditer(text):
                self._txid(m.group(0).rsplit("/", 1)[1], "explorer transaction link")
        for m in _TX_LABEL_RE.finditer(text):
            self._txid(m.group(1), "labelled as a transaction id")
        for m in _HASH_LABEL_RE.finditer(text):
            self._txid(m.group(1), "labelled as a hash")

    def _txid(self, value: str, detail: str) -> None:
        # ids are case-insensitive hex: one spelling (lower case) so repeats pool
        value = value.lower()
        if value.startswith("0x"):
            detail += "; 0x-prefixed (Ethereum-style)"
        self.add(Identifier("txid", value, None, detail))

    def _scan_wallets(self, text: str, tx_context: bool) -> None:
        for m in _BECH32_RE.finditer(text):
            self.add_address(m.group(0))
        for m in _BASE58_RE.finditer(text):
            candidate = m.group(0)
            # a checksum-failed token is reported only if it really looks like an address
            check = check_address(candidate)
            # a TRON look-alike with a bad checksum is address-poisoning evidence: kept, marked
            if check is not None and (
                check.valid
                or (check.kind == "tron-address" and len(candidate) == 34)
                or (
                    candidate[0] in "13"
                    and len(candidate) >= 26
                    and _DIGIT_RE.search(candidate, 1) is not None
                )
            ):
                self.add(Identifier(check.kind, check.value, check.valid, check.detail))
        for m in _ETH_RE.finditer(text):
            self.add_address(m.group(0))
        if len(text) >= 64:  # every txid form holds 64 hex digits
            self._scan_txids(text, tx_context)
        for m in _WEBMONEY_RE.finditer(text):
            letter, number = m.group(1), m.group(2)
            detail = f"WebMoney {WEBMONEY_PURSES[letter]} purse"
            self.add(Identifier("e-wallet", letter + number, None, detail))
        if self._raw_transactions:
            for m in _RAWTX_RE.finditer(text):
                txid = raw_transaction_id(m.group(0))
                if txid is not None:
                    self.add(Identifier("txid", txid, True, "computed from raw transaction"))

    def to_json(self) -> dict[str, Any]:
        """The "identifiers" part of a profile."""
        return {
            "identifiers": [ident.to_json() for ident in self.found],
            "identifiers_total": self.found.total,
            "card_like_numbers_omitted": self.card_like,
            "cdn_links_omitted": self.cdn_links,
            **self.secrets.to_json(),
        }
