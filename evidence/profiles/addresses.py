"""Cryptocurrency addresses and transaction ids: recognise them and verify their checksums.

Written by hand on purpose: the checks are short, fully specified and need no network, while the
Python packages that do them (bech32 reference copies, python-bitcoinlib, web3) are either
unmaintained single files or pull in large dependency trees for one function.

- Base58Check (P2PKH/P2SH and the like): version byte + payload + first 4 bytes of
  SHA-256(SHA-256(version + payload)), per the Bitcoin wiki "Base58Check encoding".
- Bech32 / bech32m segwit addresses: BIP-173 and BIP-350; witness version 0 must use bech32
  (constant 1), versions 1..16 bech32m (constant 0x2bc830a3). The steps below follow the BIP-350
  reference decoder.
- Ethereum: 20 bytes as 0x + 40 hex; EIP-55 mixed-case checksum over Keccak-256 of the lower-case
  hex (Keccak is not hashlib's sha3_256, whose padding differs: pycryptodome supplies Keccak).
- Bitcoin raw transactions: the txid is the byte-reversed double SHA-256 of the serialisation
  without witness data (BIP-141), so segwit transactions are stripped before hashing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from Crypto.Hash import keccak

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3

# version byte -> (identifier kind, detail) for the Base58Check networks seen in our cases
_BASE58_VERSIONS: dict[int, tuple[str, str]] = {
    0x00: ("bitcoin-address", "p2pkh mainnet"),
    0x05: ("bitcoin-address", "p2sh mainnet"),
    0x6F: ("bitcoin-address", "p2pkh testnet"),
    0xC4: ("bitcoin-address", "p2sh testnet"),
    0x30: ("litecoin-address", "p2pkh mainnet"),
    0x32: ("litecoin-address", "p2sh mainnet"),
    0x41: ("tron-address", "mainnet"),
}
_BECH32_HRPS: dict[str, tuple[str, str]] = {
    "bc": ("bitcoin-address", "mainnet"),
    "tb": ("bitcoin-address", "testnet"),
    "bcrt": ("bitcoin-address", "regtest"),
    "ltc": ("litecoin-address", "mainnet"),
    "tltc": ("litecoin-address", "testnet"),
}


@dataclass(frozen=True)
class AddressCheck:
    """What an address string turned out to be: kind, value as written, checksum verdict."""

    kind: str
    value: str
    valid: bool | None
    detail: str


def sha256d(data: bytes) -> bytes:
    """SHA-256 applied twice, Bitcoin's hash for checksums and transaction ids."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def base58_decode(text: str) -> bytes | None:
    """Bytes of a Base58 string, or None if a character is outside the alphabet."""
    if len(text) > 128:  # far beyond any address; keeps the big-int work bounded
        return None
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def check_base58_address(text: str) -> AddressCheck:
    """Verify a Base58Check address (Bitcoin, Litecoin, Tron) and name its network."""
    raw = base58_decode(text)
    if raw is None or len(raw) != 25:
        return AddressCheck("bitcoin-address", text, False, "not a 25-byte Base58Check string")
    payload, checksum = raw[:-4], raw[-4:]
    known = _BASE58_VERSIONS.get(payload[0])
    kind, detail = known if known else ("base58check-address", f"version byte {payload[0]}")
    if sha256d(payload)[:4] != checksum:
        return AddressCheck(kind, text, False, f"{detail}; checksum failed")
    if known is None:
        # a sound checksum on a version byte of no network we know is not an address we vouch for
        return AddressCheck(kind, text, None, f"checksum ok; unknown {detail}")
    return AddressCheck(kind, text, True, detail)


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], str] | None:
    """(hrp, data without checksum, "bech32" or "bech32m"), or None if not valid Bech32(m)."""
    # BIP-173 section "Bech32": printable US-ASCII, not mixed case, at most 90 characters,
    # separator '1' with at least one hrp character before it and six checksum characters after.
    if len(text) > 90 or any(ord(c) < 33 or ord(c) > 126 for c in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        return None
    if any(c not in BECH32_CHARSET for c in text[pos + 1 :]):
        return None
    hrp = text[:pos]
    data = [BECH32_CHARSET.find(c) for c in text[pos + 1 :]]
    # BIP-350: the checksum constant tells bech32 from bech32m
    const = _bech32_polymod(_hrp_expand(hrp) + data)
    if const == _BECH32_CONST:
        return hrp, data[:-6], "bech32"
    if const == _BECH32M_CONST:
        return hrp, data[:-6], "bech32m"
    return None


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> list[int] | None:
    """Regroup 5-bit groups into bytes; None on excess or non-zero padding (BIP-173)."""
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def check_segwit_address(text: str) -> AddressCheck:
    """Verify a bech32/bech32m segwit address per BIP-173 and BIP-350, keeping its spelling.

    BIP-173: all lower-case and all upper-case spellings are both valid (upper case suits QR
    codes); a mixed-case spelling is invalid whatever its checksum."""
    lowered = text.lower()
    hrp_guess = lowered[: lowered.rfind("1")] if "1" in lowered else lowered
    kind, network = _BECH32_HRPS.get(hrp_guess, ("bitcoin-address", f"unknown hrp {hrp_guess!r}"))
    decoded = bech32_decode(text)
    if decoded is None:
        reason = "mixed case" if text not in (text.lower(), text.upper()) else "checksum failed"
        return AddressCheck(kind, text, False, f"segwit {network}; {reason}")
    hrp, data, encoding = decoded
    if hrp not in _BECH32_HRPS:
        return AddressCheck(kind, text, False, f"unknown hrp {hrp!r}")
    if not data or data[0] > 16:
        return AddressCheck(kind, text, False, f"segwit {network}; bad witness version")
    version = data[0]
    program = _convert_bits(data[1:], 5, 8)
    if program is None or not 2 <= len(program) <= 40:
        return AddressCheck(kind, text, False, f"segwit {network}; bad program padding/length")
    if version == 0 and len(program) not in (20, 32):
        return AddressCheck(kind, text, False, f"segwit {network}; bad v0 program length")
    expected = "bech32" if version == 0 else "bech32m"
    if encoding != expected:
        return AddressCheck(kind, text, False, f"segwit {network}; uses wrong encoding")
    if version == 0:
        script_type = "p2wpkh" if len(program) == 20 else "p2wsh"
    elif version == 1 and len(program) == 32:
        script_type = "p2tr"
    else:
        script_type = f"witness v{version}"
    return AddressCheck(kind, text, True, f"{script_type} {network}")


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (original Keccak padding, not FIPS-202 SHA3-256)."""
    digest = keccak.new(digest_bits=256)
    digest.update(data)
    return digest.digest()


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a 0x + 40 hex Ethereum address."""
    hex_part = address[2:].lower()
    hashed = keccak256(hex_part.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(hashed[i], 16) >= 8 else c for i, c in enumerate(hex_part)
    )


def check_ethereum_address(text: str) -> AddressCheck:
    """Verify an Ethereum address; mixed case must match EIP-55, one case carries no checksum."""
    hex_part = text[2:]
    if not text.startswith(("0x", "0X")) or len(hex_part) != 40:
        return AddressCheck("ethereum-address", text, False, "not 0x + 40 hex digits")
    if any(c not in "0123456789abcdefABCDEF" for c in hex_part):
        return AddressCheck("ethereum-address", text, False, "not 0x + 40 hex digits")
    canonical = eip55_checksum(text)
    if hex_part in (hex_part.lower(), hex_part.upper()):
        # one case carries no checksum: the spelling is kept, the checksummed form is told
        return AddressCheck(
            "ethereum-address",
            text,
            None,
            f"no EIP-55 checksum (one case); EIP-55 form {canonical}",
        )
    if "0x" + hex_part != canonical:
        return AddressCheck("ethereum-address", text, False, "EIP-55 checksum failed")
    return AddressCheck("ethereum-address", canonical, True, "EIP-55 checksum ok")


def check_address(text: str) -> AddressCheck | None:
    """Dispatch on the look of text; None if it looks like no address we know."""
    if text[:2] in ("0x", "0X"):
        return check_ethereum_address(text)
    lowered = text.lower()
    if any(lowered.startswith(hrp + "1") for hrp in _BECH32_HRPS):
        return check_segwit_address(text)
    if 25 <= len(text) <= 35 and all(c in _B58_INDEX for c in text):
        return check_base58_address(text)
    return None


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 0xFD:
        return first, pos + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    if pos + 1 + width > len(data):
        raise ValueError("truncated varint")
    return int.from_bytes(data[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def raw_transaction_id(raw_hex: str) -> str | None:
    """The txid of a serialised Bitcoin transaction in hex, or None if it does not parse."""
    try:
        data = bytes.fromhex(raw_hex)
        return _txid(data)
    except (ValueError, IndexError, KeyError):
        return None


def _txid(data: bytes) -> str | None:
    # BIP-144 serialisation: version | [marker 0x00, flag 0x01] | inputs | outputs |
    # [witness per input] | locktime. The txid hashes it without marker, flag and witness.
    if len(data) < 10:
        return None
    segwit = data[4] == 0 and data[5] == 1
    pos = 6 if segwit else 4
    body_start = pos
    n_in, pos = _read_varint(data, pos)
    if n_in > len(data) // 41:
        return None
    for _ in range(n_in):
        pos += 36
        script_len, pos = _read_varint(data, pos)
        pos += script_len + 4
    n_out, pos = _read_varint(data, pos)
    if n_out > len(data) // 9:
        return None
    for _ in range(n_out):
        pos += 8
        script_len, pos = _read_varint(data, pos)
        pos += script_len
    body_end = pos
    if segwit:
        for _ in range(n_in):
            items, pos = _read_varint(data, pos)
            if items > len(data):
                return None
            for _ in range(items):
                size, pos = _read_varint(data, pos)
                pos += size
    if pos + 4 != len(data):
        return None
    stripped = data[:4] + data[body_start:body_end] + data[pos:]
    return sha256d(stripped)[::-1].hex()
