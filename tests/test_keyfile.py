"""Private key files as written with the real KDF count (the other tests lower it for speed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence import keyfile


def test_real_key_file_is_pbes2_pbkdf2_sha256_600000_aes256(tmp_path: Path) -> None:
    assert keyfile.KDF_ITERATIONS == 2048  # tests/conftest.py lowers it for every other test
    key = ec.generate_private_key(ec.SECP256R1())
    pem = _written_with(600_000, key, "correct horse battery")
    _, _, der = asn1_pem.unarmor(pem)
    scheme = asn1_keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]
    assert scheme["algorithm"].native == "pbes2"
    kdf = scheme["parameters"]["key_derivation_func"]
    assert kdf["algorithm"].native == "pbkdf2"
    assert kdf["parameters"]["iteration_count"].native == 600_000
    assert kdf["parameters"]["prf"]["algorithm"].native == "sha256"
    assert scheme["parameters"]["encryption_scheme"]["algorithm"].native == "aes256_cbc"
    # Plain PKCS#8: cryptography and openssl open it, and only with the passphrase.
    loaded = serialization.load_pem_private_key(pem, b"correct horse battery")
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert loaded.private_numbers() == key.private_numbers()
    path = tmp_path / "k.pem"
    path.write_bytes(pem)
    ok = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "pass:correct horse battery", "-noout"],
        capture_output=True,
    )
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "pass:wrong", "-noout"],
        capture_output=True,
    )
    assert wrong.returncode != 0


def _written_with(rounds: int, key: ec.EllipticCurvePrivateKey, passphrase: str) -> bytes:
    saved = keyfile.KDF_ITERATIONS
    keyfile.KDF_ITERATIONS = rounds
    try:
        return keyfile.encrypt_private_key(key, passphrase)
    finally:
        keyfile.KDF_ITERATIONS = saved
