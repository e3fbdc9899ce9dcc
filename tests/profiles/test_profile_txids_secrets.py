"""No false transaction ids, exact address case rules, and secrets reported but never copied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.canonical import canonical_bytes
from evidence.identifiers import collect_identifiers, identifiers_csv
from evidence.profiles.addresses import BASE58_ALPHABET, sha256d
from evidence.profiles.secrets import SecretScanner
from evidence.profiles.textscan import IdentifierScanner
from tests.profiles.profile_support import profile_of, values

KEY = bytes.fromhex("0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d")
TXID = "a0ff943d3f644d8832b1fa74be4d0ad2577615dc28a7ef74ff8c271b603a082a"
SEED = "abandon " * 11 + "about"  # the BIP-39 reference vector with a valid checksum
BECH32_LOWER = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def base58check(payload: bytes) -> str:
    """Base58Check encoding, written out here so the test does not reuse the code under test."""
    data = payload + sha256d(payload)[:4]
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = BASE58_ALPHABET[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


WIF_UNCOMPRESSED = base58check(b"\x80" + KEY)
WIF_COMPRESSED = base58check(b"\x80" + KEY + b"\x01")
XPRV = base58check(bytes.fromhex("0488ade4") + b"\0" * 9 + b"\x11" * 32 + b"\0" + KEY)


def _hex(n: int) -> str:
    return f"{n:064x}"


def test_known_wif_vector_is_recognised() -> None:
    # Bitcoin wiki "Wallet import format" example for this key
    assert WIF_UNCOMPRESSED == "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"


def test_ethereum_block_hashes_roots_and_signatures_are_not_txids(tmp_path: Path) -> None:
    tx_hash = "0x" + _hex(0xBEEF)
    block = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "number": "0x1b4",
            "hash": "0x" + _hex(1),
            "parentHash": "0x" + _hex(2),
            "stateRoot": "0x" + _hex(3),
            "receiptsRoot": "0x" + _hex(4),
            "transactionsRoot": "0x" + _hex(5),
            "sha3Uncles": "0x" + _hex(6),
            "mixHash": "0x" + _hex(7),
            "miner": "0x4e65fda2159562a496f9f3522f89122a3088497a",
            "timestamp": "0x6a0c1f80",
            "transactions": [
                {
                    "hash": tx_hash,
                    "from": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                    "to": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                    "blockHash": "0x" + _hex(1),
                    "r": "0x" + _hex(8),
                    "s": "0x" + _hex(9),
                    "input": "0x",
                    "nonce": "0x15",
                }
            ],
        },
    }
    path = tmp_path / "eth_getBlockByNumber.json"
    path.write_text(json.dumps(block, indent=2), encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert values(p, "txid") == {tx_hash}


def test_bitcoin_block_hash_merkle_root_and_chainwork_are_not_txids(tmp_path: Path) -> None:
    block = {
        "hash": _hex(11),
        "confirmations": 3,
        "height": 870001,
        "merkleroot": _hex(12),
        "chainwork": _hex(13),
        "previousblockhash": _hex(14),
        "tx": [TXID, _hex(15)],
        "time": 1793614533,
    }
    path = tmp_path / "getblock.json"
    path.write_text(json.dumps(block), encoding="utf-8")
    p = profile_of(path, "wallet-record")
    assert values(p, "txid") == {TXID, _hex(15)}  # the block's own transaction list only


def test_text_txids_only_with_a_label_or_an_explorer_link(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        f"block {_hex(21)}\n"
        f"sig r={_hex(22)}\n"
        f"TxID: {TXID}\n"
        f"https://etherscan.io/tx/0x{_hex(23)}\n"
        f"https://blockchair.com/bitcoin/transaction/{_hex(24).upper()}\n"
        f"хеш транзакции {_hex(25)}\n",
        encoding="utf-8",
    )
    p = profile_of(path, "wallet-record")
    assert values(p, "txid") == {TXID, "0x" + _hex(23), _hex(24), _hex(25)}


def test_secrets_reported_by_kind_and_place_never_copied(tmp_path: Path) -> None:
    path = tmp_path / "wallet_backup.txt"
    path.write_text(
        f"old wallet {WIF_UNCOMPRESSED}\n"
        f"new wallet {WIF_COMPRESSED}\n"
        f"{XPRV}\n"
        f"private key: {KEY.hex()}\n"
        "seed:\n" + "\n".join(SEED.split()) + "\n"
        f"and the address {BECH32_LOWER}\n",
        encoding="utf-8",
    )
    p = profile_of(path, "wallet-record")
    kinds = {(s["kind"], s["location"]) for s in p["secrets"]}
    assert kinds == {
        ("wif-private-key", "line 1"),
        ("wif-private-key", "line 2"),
        ("extended-private-key", "line 3"),
        ("hex-private-key", "line 4"),
        ("bip39-seed-phrase", "line 6"),
    }
    assert p["secrets_total"] == 5
    text = canonical_bytes(p).decode()
    for secret in (WIF_UNCOMPRESSED, WIF_COMPRESSED, XPRV, KEY.hex(), "abandon abandon"):
        assert secret not in text
    assert values(p, "bitcoin-address") == {BECH32_LOWER}  # the address still is listed
    rows = collect_identifiers([("item1", p)])
    assert KEY.hex() not in identifiers_csv(rows) and WIF_COMPRESSED not in identifiers_csv(rows)


def test_seed_words_without_a_valid_checksum_are_not_a_phrase() -> None:
    scanner = SecretScanner(10)
    scanner.scan("abandon " * 12, "line 1")  # twelve list words, checksum wrong
    scanner.scan("Actually I think about the ability to absorb abstract and absurd abuse", "l2")
    assert scanner.to_json() == {"secrets": [], "secrets_total": 0}


def test_seed_phrase_inside_a_chat_is_found(tmp_path: Path) -> None:
    path = tmp_path / "_chat.txt"
    path.write_text(
        f"[02.11.26, 10:15:33] Иван: мой сид {SEED}\n[02.11.26, 10:16:00] Иван: не потеряй\n",
        encoding="utf-8",
    )
    p = profile_of(path)
    assert p["kind"] == "whatsapp-chat"
    assert [s["kind"] for s in p["secrets"]] == ["bip39-seed-phrase"]
    assert "abandon abandon" not in canonical_bytes(p).decode()


UPPER = BECH32_LOWER.upper()
MIXED = "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


@settings(max_examples=40, deadline=None)
@given(st.permutations([UPPER, MIXED, BECH32_LOWER, "noise"]))
def test_address_verdicts_do_not_depend_on_line_order(lines: list[str]) -> None:
    scanner = IdentifierScanner(100)
    for line in lines:
        scanner.scan(f"send to {line} please")
    found = {(i.value, i.valid) for i in scanner.found}
    assert found == {(UPPER, True), (BECH32_LOWER, True), (MIXED, False)}


@pytest.mark.parametrize("reverse", [False, True])
def test_annex_never_merges_spellings_with_different_verdicts(reverse: bool) -> None:
    lower_eth = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    bad_eth = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"

    def entry(kind: str, value: str, valid: bool | None) -> dict[str, object]:
        return {"identifiers": [{"kind": kind, "value": value, "valid": valid}]}

    profiles = [
        ("item-a", entry("ethereum-address", lower_eth, None)),
        ("item-b", entry("ethereum-address", bad_eth, False)),
        ("item-c", entry("bitcoin-address", MIXED, False)),
        ("item-d", entry("bitcoin-address", MIXED, True)),
    ]
    rows = collect_identifiers(reversed(profiles) if reverse else profiles)
    got = [(r.value, r.valid, r.item_ids) for r in rows]
    assert got == [
        (MIXED, True, ("item-d",)),
        (MIXED, False, ("item-c",)),
        (bad_eth, False, ("item-b",)),
        (lower_eth, None, ("item-a",)),
    ]
