"""Private keys and seed phrases found in evidence: reported by kind and place, never copied.

An investigator must know that a file holds a key (the funds can be frozen or seized), but the
manifest and the annex of a request travel abroad and must not carry it. So a `SecretFinding`
holds what the secret is and where it was, and nothing of its value.

- WIF (Wallet Import Format, Bitcoin wiki): Base58Check of 0x80 (mainnet) or 0xEF (testnet),
  32 key bytes, and 0x01 when the public key is compressed; 51 or 52 characters.
- Extended private keys (BIP-32): Base58Check of 78 bytes whose version is xprv, tprv, yprv,
  zprv, Yprv, Zprv, uprv, vprv (SLIP-132 names); 111 characters.
- BIP-39 seed phrases: 12, 15, 18, 21 or 24 words of the English list whose checksum holds (the
  `mnemonic` package, the reference implementation, supplies the list and the check); a run of
  list words without a valid checksum is not reported, as ordinary English is full of them.
- A 64-hex value under a label that calls it a private key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mnemonic import Mnemonic

from evidence.profiles.addresses import base58_decode, sha256d

_WIF_RE = re.compile(r"(?<![\w])[5KL9c][1-9A-HJ-NP-Za-km-z]{50,51}(?![\w])")
_XPRV_RE = re.compile(r"(?<![\w])[xtyzYZuv]prv[1-9A-HJ-NP-Za-km-z]{100,115}(?![\w])")
_HEXKEY_RE = re.compile(
    r"(?i)(?:private[\s_\-]?key|priv[\s_\-]?key|secret[\s_\-]?key|приватный ключ|"
    r"закрытый ключ)[\"'\s]{0,3}[:=][\"'\s]{0,3}(?:0x)?[0-9a-f]{64}(?![0-9a-z])"
)
_WORD_RE = re.compile(r"[^\W\d_]+")  # letters of any script: a Cyrillic word ends a run
_PHRASE_LENGTHS = (24, 21, 18, 15, 12)
_XPRV_VERSIONS = {
    "0488ade4": "xprv (mainnet)",
    "04358394": "tprv (testnet)",
    "049d7878": "yprv (mainnet, p2sh-p2wpkh)",
    "04b2430c": "zprv (mainnet, p2wpkh)",
    "0295b005": "Yprv (mainnet multisig)",
    "02aa7a99": "Zprv (mainnet multisig)",
    "044a4e28": "uprv (testnet)",
    "045f18bc": "vprv (testnet)",
}


@dataclass(frozen=True)
class SecretFinding:
    """A secret's kind, where it was found and what can be told without copying it."""

    kind: str
    location: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The profile entry: no part of the secret itself."""
        return {"kind": self.kind, "location": self.location, "detail": self.detail}


@lru_cache(maxsize=1)
def _bip39() -> tuple[Mnemonic, frozenset[str]]:
    english = Mnemonic("english")
    return english, frozenset(english.wordlist)


def _base58check(text: str) -> bytes | None:
    raw = base58_decode(text) if len(text) <= 128 else None
    if raw is None or len(raw) < 5 or sha256d(raw[:-4])[:4] != raw[-4:]:
        return None
    return raw[:-4]


def wif_detail(text: str) -> str | None:
    """Network and compression of a WIF private key; None if text is not one."""
    payload = _base58check(text)
    if payload is None or payload[0] not in (0x80, 0xEF):
        return None
    network = "mainnet" if payload[0] == 0x80 else "testnet"
    if len(payload) == 33:
        return f"{network}, uncompressed public key"
    if len(payload) == 34 and payload[33] == 1:
        return f"{network}, compressed public key"
    return None


def xprv_detail(text: str) -> str | None:
    """Version name of a BIP-32 extended private key; None if text is not one."""
    if len(text) > 128:
        return None
    payload = _base58check(text)
    if payload is None or len(payload) != 78 or payload[45] != 0:
        return None
    return _XPRV_VERSIONS.get(payload[:4].hex())


class SecretScanner:
    """Finds secrets in a stream of text pieces; a seed phrase may span pieces (one word a line)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.found: list[SecretFinding] = []
        self.total = 0
        self._words: list[tuple[str, str]] = []  # the current run of list words, with places

    def _add(self, kind: str, location: str, detail: str) -> None:
        self.total += 1
        if len(self.found) < self.cap:
            self.found.append(SecretFinding(kind, location, detail))

    def scan(self, text: str, location: str) -> None:
        """Look for secrets in one piece of text found at location."""
        if len(text) >= 51:
            for m in _WIF_RE.finditer(text):
                detail = wif_detail(m.group(0))
                if detail is not None:
                    self._add("wif-private-key", location, detail)
            if "prv" in text:
                for m in _XPRV_RE.finditer(text):
                    detail = xprv_detail(m.group(0))
                    if detail is not None:
                        self._add("extended-private-key", location, detail)
            if "key" in text.lower() or "ключ" in text.lower():
                for _ in _HEXKEY_RE.finditer(text):
                    self._add("hex-private-key", location, "64 hex digits labelled a private key")
        self._phrase_words(text, location)

    def _phrase_words(self, text: str, location: str) -> None:
        _, words = _bip39()
        for token in _WORD_RE.findall(text.lower()):
            if token in words:
                self._words.append((token, location))
                if len(self._words) > 48:
                    del self._words[:-48]
            elif self._words:
                self._end_run()

    def _end_run(self) -> None:
        run, self._words = self._words, []
        if len(run) < 12:
            return
        english, _ = _bip39()
        words = [word for word, _ in run]
        start = 0
        while start + 12 <= len(words):
            for length in _PHRASE_LENGTHS:
                window = words[start : start + length]
                if len(window) == length and english.check(" ".join(window)):
                    detail = f"{length} English words with a valid BIP-39 checksum"
                    self._add("bip39-seed-phrase", run[start][1], detail)
                    start += length
                    break
            else:
                start += 1

    def finish(self) -> None:
        """End of input: a phrase at the very end is judged too."""
        self._end_run()

    def to_json(self) -> dict[str, Any]:
        """The "secrets" part of a profile."""
        self.finish()
        return {"secrets": [s.to_json() for s in self.found], "secrets_total": self.total}
