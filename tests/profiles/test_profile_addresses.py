"""Address checksums against published vectors: BIP-173/350 (bitcoinjs-lib), Base58, EIP-55."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.profiles.addresses import (
    check_address,
    check_base58_address,
    check_ethereum_address,
    check_segwit_address,
    eip55_checksum,
    keccak256,
    raw_transaction_id,
)

VECTORS = Path(__file__).parents[1] / "data" / "profiles" / "vectors"
ADDRESS = json.loads((VECTORS / "address.json").read_text())
TRANSACTIONS = json.loads((VECTORS / "transaction.json").read_text())["valid"]
BASE58_VALID = json.loads((VECTORS / "base58_keys_valid.json").read_text())
BASE58_INVALID = json.loads((VECTORS / "base58_keys_invalid.json").read_text())

# EIP-55 "Test cases" section, verbatim: each is the checksummed form of its own lower case.
EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


def test_keccak_is_not_sha3() -> None:
    # Keccak-256("") from the Keccak team; SHA3-256("") would be a7ffc6f8...
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_vectors(address: str) -> None:
    assert eip55_checksum(address.lower()) == address
    assert eip55_checksum(address.upper().replace("0X", "0x")) == address


@pytest.mark.parametrize("address", EIP55_VECTORS[4:])
def test_eip55_mixed_case_verified_and_tampering_caught(address: str) -> None:
    assert check_ethereum_address(address).valid is True
    last_letter = max(i for i, c in enumerate(address) if c.isalpha() and i > 1)
    flipped = address[:last_letter] + address[last_letter].swapcase() + address[last_letter + 1 :]
    check = check_ethereum_address(flipped)
    assert check.valid is False
    assert "EIP-55" in check.detail


def test_eip55_single_case_has_no_checksum() -> None:
    check = check_ethereum_address(EIP55_VECTORS[4].lower())
    assert check.valid is None
    assert check.value == EIP55_VECTORS[4].lower()  # the spelling as written is kept
    assert EIP55_VECTORS[4] in check.detail  # the checksummed form is told beside it


@pytest.mark.parametrize(
    "vector",
    ADDRESS["standard"],
    ids=[v.get("bech32") or v["base58check"] for v in ADDRESS["standard"]],
)
def test_standard_addresses_are_valid(vector: dict[str, object]) -> None:
    text = str(vector.get("bech32") or vector["base58check"])
    check = check_address(text)
    assert check is not None
    assert check.valid is True, check.detail
    expected_kind = "litecoin-address" if vector["network"] == "litecoin" else "bitcoin-address"
    assert check.kind == expected_kind


@pytest.mark.parametrize("vector", ADDRESS["invalid"]["bech32"], ids=lambda v: v["exception"])
def test_bip173_bip350_invalid_vectors(vector: dict[str, str]) -> None:
    check = check_segwit_address(vector["address"])
    assert check.valid is False


def test_bip350_wrong_encoding_detected() -> None:
    # v1 program with a bech32 (not bech32m) checksum: a BIP-350 rule, not a checksum failure
    check = check_segwit_address("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd")
    assert check.valid is False
    assert "wrong encoding" in check.detail


def test_bech32_upper_case_is_valid_and_keeps_its_spelling() -> None:
    check = check_segwit_address("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")
    assert check.valid is True
    assert check.value == "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"
    assert check.detail == "p2wpkh mainnet"


@pytest.mark.parametrize(
    "row", [r for r in BASE58_VALID if not r[2]["isPrivkey"]], ids=lambda r: r[0]
)
def test_bitcoin_core_base58_addresses(row: list[object]) -> None:
    text, _payload, info = row
    assert isinstance(text, str) and isinstance(info, dict)
    check = check_base58_address(text)
    assert check.valid is True
    assert ("testnet" in check.detail) == bool(info["isTestnet"])
    assert ("p2sh" in check.detail) == (info["addrType"] == "script")


@pytest.mark.parametrize("row", BASE58_INVALID, ids=lambda r: r[0][:20] or "empty")
def test_bitcoin_core_invalid_base58_never_valid(row: list[str]) -> None:
    assert check_base58_address(row[0]).valid is not True


def test_base58_checksum_failure_is_marked() -> None:
    check = check_base58_address("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMX")
    assert check.valid is False
    assert "checksum failed" in check.detail


@pytest.mark.parametrize("vector", TRANSACTIONS, ids=lambda v: v["description"][:40])
def test_raw_transaction_ids(vector: dict[str, str]) -> None:
    assert raw_transaction_id(vector["hex"]) == vector["id"]
    if vector.get("whex"):
        # the segwit serialisation must be stripped of its witness before hashing
        assert raw_transaction_id(vector["whex"]) == vector["id"]


@pytest.mark.parametrize("junk", ["", "00", "zz", "01000000" + "ff" * 40, "0" * 121])
def test_raw_transaction_junk(junk: str) -> None:
    assert raw_transaction_id(junk) is None
