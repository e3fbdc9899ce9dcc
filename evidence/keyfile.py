"""Private key files: PKCS#8 encrypted with a modern KDF, written owner-only and durably.

cryptography writes encrypted PKCS#8 only with PBKDF2 at 2,048 rounds, so `encrypt_private_key`
builds the PBES2 structure with asn1crypto: PBKDF2-HMAC-SHA256 at 600,000 rounds (OWASP 2023)
and AES-256-CBC. The result is plain PKCS#8 that `openssl pkcs8` and cryptography's loader
open; keys written before (2,048 rounds) still open the same way.

`decrypt_private_key` opens that structure (PBES2, PBKDF2-HMAC-SHA1/SHA-256, AES-CBC) with
cryptography's PBKDF2HMAC, which runs without the interpreter lock: cryptography's PEM loader
holds it for the whole KDF, so a key unlocked in the background (evidence.unlocking) used to
stop every other thread of the command meanwhile. (hashlib's PBKDF2 releases the lock too, but
the OpenSSL 3.0 Python links here takes twice the CPU of the one cryptography ships.) Any other
structure goes to cryptography's PEM loader.
"""

from __future__ import annotations

import os

from asn1crypto import algos as asn1_algos
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

KDF_ITERATIONS = 600_000


def encrypt_private_key(
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, passphrase: str
) -> bytes:
    """PEM PKCS#8: PBES2 with PBKDF2-HMAC-SHA256 (KDF_ITERATIONS rounds) and AES-256-CBC."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(16)
    kek = _pbkdf2("sha256", passphrase.encode(), salt, KDF_ITERATIONS, 32)
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


def decrypt_private_key(pem: bytes, passphrase: bytes) -> PrivateKeyTypes:
    """The private key of an encrypted PEM PKCS#8 file, as cryptography's PEM loader returns
    it; ValueError for a wrong passphrase or a damaged file (TypeError for an empty one on
    formats that loader opens), as that loader raises."""
    try:
        kind, _headers, der = asn1_pem.unarmor(pem)
        info = (
            asn1_keys.EncryptedPrivateKeyInfo.load(der) if kind == "ENCRYPTED PRIVATE KEY" else None
        )
        scheme = None if info is None else info["encryption_algorithm"]
        ours = (
            scheme is not None
            and scheme.kdf == "pbkdf2"
            and scheme.kdf_hmac in ("sha1", "sha256")
            and scheme.encryption_cipher == "aes"
            and scheme.encryption_mode == "cbc"
        )
    except (ValueError, TypeError, KeyError):
        ours = False
    if not ours or info is None or scheme is None:
        return serialization.load_pem_private_key(pem, passphrase)
    length = scheme.key_length
    kek = _pbkdf2(scheme.kdf_hmac, passphrase, scheme.kdf_salt, scheme.kdf_iterations, length)
    decryptor = Cipher(algorithms.AES(kek), modes.CBC(scheme.encryption_iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    padded = decryptor.update(info["encrypted_data"].native) + decryptor.finalize()
    plain = unpadder.update(padded) + unpadder.finalize()  # ValueError: wrong passphrase
    return serialization.load_der_private_key(plain, None)


def _pbkdf2(prf: str, passphrase: bytes, salt: bytes, rounds: int, length: int) -> bytes:
    # Without the interpreter lock (see the module docstring); prf is "sha1" or "sha256".
    algorithm = hashes.SHA256() if prf == "sha256" else hashes.SHA1()
    return PBKDF2HMAC(algorithm, length, salt, rounds).derive(passphrase)
