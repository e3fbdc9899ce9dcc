"""Signature verification gives the labelled verdict on Project Wycheproof's ECDSA P-256 vectors."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_der_public_key

from evidence.keys import verify_der

VECTORS = Path(__file__).parent / "data" / "wycheproof" / "ecdsa_secp256r1_sha256_test.json"


def test_wycheproof_ecdsa_p256_sha256() -> None:
    suite = json.loads(VECTORS.read_text())
    checked = 0
    for group in suite["testGroups"]:
        key = load_der_public_key(bytes.fromhex(group["publicKeyDer"]))
        for case in group["tests"]:
            got = verify_der(key, bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"]))
            if case["result"] == "valid":
                assert got, case["tcId"]
            elif case["result"] == "invalid":
                assert not got, case["tcId"]
            checked += 1
    assert checked > 400
