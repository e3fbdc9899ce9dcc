"""Private key files as written with the real KDF count (the other tests lower it for speed)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
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


def _cryptography_written(key: ec.EllipticCurvePrivateKey, fmt: str) -> bytes:
    # What older versions of this tool (and other PKCS#8 writers) leave on disk.
    form = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "traditional": serialization.PrivateFormat.TraditionalOpenSSL,
    }[fmt]
    return key.private_bytes(
        serialization.Encoding.PEM, form, serialization.BestAvailableEncryption(b"pw here")
    )


@pytest.mark.parametrize("written", ["ours-600000", "ours-2048", "pkcs8", "traditional"])
def test_decrypt_opens_every_key_file_as_cryptography_does(written: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    if written.startswith("ours"):
        pem = _written_with(int(written.split("-")[1]), key, "pw here")
    else:
        pem = _cryptography_written(key, written)
    opened = keyfile.decrypt_private_key(pem, b"pw here")
    reference = serialization.load_pem_private_key(pem, b"pw here")
    assert isinstance(opened, ec.EllipticCurvePrivateKey)
    assert isinstance(reference, ec.EllipticCurvePrivateKey)
    assert opened.private_numbers() == reference.private_numbers() == key.private_numbers()
    for wrong in (b"pw her", b"", b"pw here "):
        with pytest.raises((ValueError, TypeError)):  # as cryptography's loader raises
            keyfile.decrypt_private_key(pem, wrong)


def test_decrypt_refuses_a_damaged_key_file() -> None:
    pem = _written_with(2048, ec.generate_private_key(ec.SECP256R1()), "pw")
    _, _, der = asn1_pem.unarmor(pem)
    cut = asn1_pem.armor("ENCRYPTED PRIVATE KEY", der[:-16])  # last cipher block gone
    with pytest.raises(ValueError):
        keyfile.decrypt_private_key(cut, b"pw")
    with pytest.raises(ValueError):
        keyfile.decrypt_private_key(b"-----BEGIN NOTHING-----\n-----END NOTHING-----\n", b"pw")


def test_the_kdf_leaves_other_threads_running() -> None:
    # 600,000 rounds through cryptography's loader hold the interpreter lock for ~0.4 s (a loop
    # in this thread then gets a few thousand turns); through hashlib it does not.
    pem = _written_with(600_000, ec.generate_private_key(ec.SECP256R1()), "pw")
    done = threading.Event()

    def unlock() -> None:
        keyfile.decrypt_private_key(pem, b"pw")
        done.set()

    worker = threading.Thread(target=unlock)
    turns = 0
    worker.start()
    while not done.is_set():
        turns += 1
    worker.join()
    assert turns > 200_000
