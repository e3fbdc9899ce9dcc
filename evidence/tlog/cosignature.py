"""C2SP tlog-cosignature, Ed25519 type (0x04): a witness's timestamped cosignature.

Signed message: `cosignature/v1\\n`, `time <POSIX seconds>\\n`, then the checkpoint note text.
The signature line carries base64(key ID || u64 big-endian timestamp || 64-byte Ed25519
signature); key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4].
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ..message import Message
from .note import (
    SIG_COSIGNATURE,
    Note,
    NoteSignature,
    VerifierKey,
    ed25519_public,
    key_id,
    vkey_text,
)
from .proof import ProofError


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature signs over a checkpoint note text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _raw(public_key: ed25519.Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Cosigner:
    """A witness's signing identity: name and Ed25519 private key."""

    name: str
    private_key: ed25519.Ed25519PrivateKey

    @property
    def vkey(self) -> str:
        """Its verifier key, to give to the logs and recipients that rely on it."""
        public = _raw(self.private_key.public_key())
        return vkey_text(
            self.name, key_id(self.name, SIG_COSIGNATURE, public), SIG_COSIGNATURE, public
        )

    def cosign(self, text: str, timestamp: int | None = None) -> NoteSignature:
        """A cosignature line over a checkpoint note text, at now (or `timestamp`)."""
        at = int(time.time()) if timestamp is None else timestamp
        signature = self.private_key.sign(cosigned_message(text, at))
        public = _raw(self.private_key.public_key())
        kid = key_id(self.name, SIG_COSIGNATURE, public)
        return NoteSignature(self.name, kid, struct.pack(">Q", at) + signature)


@dataclass(frozen=True)
class CosignatureVerifier:
    """Checks one witness's cosignatures, configured from its vkey."""

    key: VerifierKey
    public_key: ed25519.Ed25519PublicKey

    @classmethod
    def from_vkey(cls, text: str) -> CosignatureVerifier:
        """From `name+keyid+base64(0x04 || key)`; InputRejected if it is not such a key."""
        key = VerifierKey.parse(text)
        return cls(key, ed25519_public(key, SIG_COSIGNATURE))

    @property
    def name(self) -> str:
        """The witness's name."""
        return self.key.name

    def matches(self, sig: NoteSignature) -> bool:
        """The line names this witness's key (name and key ID)."""
        return self.key.matches(sig)

    def verify(self, text: str, sig: NoteSignature) -> int:
        """The cosignature's timestamp if it verifies over `text`; ProofError otherwise."""
        if not self.matches(sig):
            raise ProofError(
                Message("cosignature is not by witness {name}", name=self.name),
                Message("cosignature"),
            )
        if len(sig.signature) != 8 + 64:
            raise ProofError(
                Message("cosignature by {name} is not 72 bytes", name=self.name),
                Message("cosignature"),
            )
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp >= 1 << 63:
            raise ProofError(
                Message("cosignature by {name} has an impossible time", name=self.name),
                Message("cosignature"),
            )
        try:
            self.public_key.verify(sig.signature[8:], cosigned_message(text, timestamp))
        except InvalidSignature:
            raise ProofError(
                Message(
                    "cosignature by {name} does not verify over this checkpoint", name=self.name
                ),
                Message("cosignature"),
            ) from None
        return int(timestamp)


def cosigned_times(
    note: Note, verifiers: Sequence[CosignatureVerifier]
) -> tuple[dict[str, list[int]], list[Message]]:
    """Each verifier's valid cosignatures on a note (their times, by witness name), and what is
    wrong with the lines that name a verifier's key but do not verify."""
    times: dict[str, list[int]] = {}
    problems: list[Message] = []
    for verifier in verifiers:
        found = times.setdefault(verifier.name, [])
        for sig in note.signatures:
            if verifier.matches(sig):
                try:
                    found.append(verifier.verify(note.text, sig))
                except ProofError as exc:
                    problems.append(exc.wording)
    return times, problems
