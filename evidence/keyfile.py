"""Private key files: PKCS#8 encrypted with a modern KDF, written owner-only and durably.

cryptography writes encrypted PKCS#8 only with PBKDF2 at 2,048 rounds, so `encrypt_private_key`
builds the PBES2 structure with asn1crypto: PBKDF2-HMAC-SHA256 at 600,000 rounds (OWASP 2023)
and AES-256-CBC. The result is plain PKCS#8 that `openssl pkcs8` and cryptography's loader
open; keys written before (2,048 rounds) still open the same way.
"""

from __future__ import annotations

import hashlib
import os

from asn1crypto import algos as asn1_algos
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KDF_ITERATIONS = 600_000


def encrypt_private_key(
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, passphrase: str
) -> bytes:
    """PEM PKCS#8: PBES2 with PBKDF2-HMAC-SHA256 (KDF_ITERATIONS rounds) and AES-256-CBC."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(16)
    kek = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, KDF_ITERATIONS, 32)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padder.update(der) + padder.finalize()) + encryptor.finalize()
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": asn1_algos.Pbkdf2Salt(name="specified", value=salt),
                            "iteration_count": KDF_ITERATIONS,
                            "prf": {"algorithm": "sha256"},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": sealed,
        }
    )
    pem: bytes = asn1_pem.armor("ENCRYPTED PRIVATE KEY", info.dump())
    return pem
