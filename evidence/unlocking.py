"""A private key decrypted in the background while the command's real work starts.

Decrypting a key costs PBKDF2 at 600,000 rounds (~0.4 s of one core). OpenSSL runs it without
the interpreter lock, so a thread can do it while the caller scans, hashes and copies; the
signer is awaited only when the first signature is due. Nothing is signed earlier, and a
wrong passphrase fails the command as it would have before (just a few files later).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from .keys import KeyRecord, Signer
from .keystore import KeyStore

# What a long command accepts as its signer: one already unlocked, or one being unlocked.
SignerSource = Signer | Future[Signer]


def unlock_in_background(keys: KeyStore, record: KeyRecord, passphrase: str) -> Future[Signer]:
    """Start decrypting record's key; .result() is the Signer or raises as KeyStore.unlock does."""
    future: Future[Signer] = Future()

    def run() -> None:
        try:
            future.set_result(keys.unlock(record, passphrase))
        except BaseException as exc:  # handed to whoever awaits the signer
            future.set_exception(exc)

    # A daemon thread: an interrupted command does not wait for the KDF before exiting.
    threading.Thread(target=run, name=f"unlock {record.key_id}", daemon=True).start()
    return future


def settled(source: SignerSource) -> Signer:
    """The signer, waiting for its key to be decrypted if need be."""
    return source.result() if isinstance(source, Future) else source


def failed_early(source: SignerSource) -> None:
    """Raise now if the key could not be decrypted (a wrong passphrase), without waiting."""
    if isinstance(source, Future) and source.done():
        error = source.exception()
        if error is not None:
            raise error
