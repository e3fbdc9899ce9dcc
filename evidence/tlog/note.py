"""C2SP signed notes (c2sp.org/signed-note): text, a blank line, signature lines; verifier keys.

Two signature types are spoken here: 0x02, ECDSA P-256 (the checkpoint key, which is the
workspace's P-256 signing key: key ID = SHA-256(DER SubjectPublicKeyInfo)[:4], the signature
an ASN.1 DER ECDSA-SHA256 over the note text, as github.com/transparency-dev/witness does), and
0x04, timestamped Ed25519 cosignatures (`cosignature`). Written by hand: the format is a page
of text and no maintained Python package reads it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..errors import Malformed
from ..message import Message

SIG_ECDSA = 0x02
SIG_COSIGNATURE = 0x04
DASH = "\u2014"
# Verifiers must accept at least 16 signatures; more than this is refused as hostile.
MAX_SIGNATURES = 64
MAX_NOTE_BYTES = 64 * 1024
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 section 4); Malformed naming `what` otherwise."""
    if not _B64.fullmatch(text):
        raise Malformed(Message("{what}: not base64", what=what))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed(Message("{what}: not base64", what=what)) from None


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode()


def key_name_problem(name: str) -> Message | None:
    """Why a key name is not allowed (empty, spaces, plus), or None."""
    if not name or "+" in name or any(c.isspace() for c in name):
        return Message("key name {name!r} is empty or holds a space or '+'", name=name)
    if any(ord(c) < 0x20 for c in name):
        return Message("key name {name!r} holds a control character", name=name)
    return None


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """`— name base64(keyid || signature)` with its newline."""
        return f"{DASH} {self.name} {b64(self.key_id + self.signature)}\n"

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        """A signature line without its newline."""
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise Malformed(Message("note signature line is malformed: {line!r}", line=line[:80]))
        problem = key_name_problem(parts[1])
        if problem is not None:
            raise Malformed(Message("note signature line: {problem}", problem=problem))
        raw = b64decode(parts[2], Message("signature of {name}", name=parts[1]))
        if len(raw) < 5:
            raise Malformed(Message("signature of {name} is too short", name=parts[1]))
        return cls(parts[1], raw[:4], raw[4:])


@dataclass(frozen=True)
class Note:
    """A signed note: its text (ending in a newline) and its signatures, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_bytes(self) -> bytes:
        """The note as it travels."""
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    def with_signatures(self, extra: list[NoteSignature]) -> Note:
        """The same note with more signature lines (duplicates dropped)."""
        known = set(self.signatures)
        return Note(self.text, (*self.signatures, *(s for s in extra if s not in known)))

    @classmethod
    def parse(cls, data: bytes, source: str = "note") -> Note:
        """Read a note strictly: UTF-8, no control characters but newline, a final newline."""
        if len(data) > MAX_NOTE_BYTES:
            raise Malformed(
                Message(
                    "{source}: note is larger than {limit} bytes",
                    source=source,
                    limit=MAX_NOTE_BYTES,
                )
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(Message("{source}: note is not UTF-8", source=source)) from None
        if any(ord(c) < 0x20 and c != "\n" for c in text):
            raise Malformed(Message("{source}: note holds a control character", source=source))
        # The text ends at the last blank line; signatures follow, one per line.
        split = text.rfind("\n\n")
        if split < 0 or not text.endswith("\n"):
            raise Malformed(
                Message(
                    "{source}: not a signed note (no blank line before signatures)", source=source
                )
            )
        body, sig_text = text[: split + 1], text[split + 2 :]
        lines = sig_text[:-1].split("\n") if sig_text else []
        if not lines:
            raise Malformed(Message("{source}: note has no signature", source=source))
        if len(lines) > MAX_SIGNATURES:
            raise Malformed(
                Message(
                    "{source}: note has more than {limit} signatures",
                    source=source,
                    limit=MAX_SIGNATURES,
                )
            )
        return cls(body, tuple(NoteSignature.parse_line(line) for line in lines))


def parse_signature_lines(data: bytes, source: str) -> list[NoteSignature]:
    """Signature lines alone (a witness's answer), each ending in a newline."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(Message("{source}: not UTF-8", source=source)) from None
    if not text.endswith("\n") or len(data) > MAX_NOTE_BYTES:
        raise Malformed(Message("{source}: not a list of note signature lines", source=source))
    lines = text[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Malformed(
            Message(
                "{source}: more than {limit} signature lines", source=source, limit=MAX_SIGNATURES
            )
        )
    return [NoteSignature.parse_line(line) for line in lines]


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4], as signed-note recommends."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


def vkey_text(name: str, kid: bytes, sig_type: int, public: bytes) -> str:
    """A verifier key: name+hex(key ID)+base64(type || public key)."""
    return f"{name}+{kid.hex()}+{b64(bytes([sig_type]) + public)}"


@dataclass(frozen=True)
class VerifierKey:
    """A parsed verifier key (vkey)."""

    name: str
    key_id: bytes
    sig_type: int
    public: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """name+hex8+base64(type || key); Malformed naming what is wrong."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise Malformed(
                Message("verifier key {text!r} is not name+keyid+base64", text=text[:60])
            )
        problem = key_name_problem(parts[0])
        if problem is not None:
            raise Malformed(Message("verifier key: {problem}", problem=problem))
        raw = b64decode(parts[2], Message("verifier key {name}", name=parts[0]))
        if len(raw) < 2:
            raise Malformed(Message("verifier key {name} holds no key", name=parts[0]))
        return cls(parts[0], bytes.fromhex(parts[1]), raw[0], raw[1:])

    def text(self) -> str:
        """Back to the vkey text."""
        return vkey_text(self.name, self.key_id, self.sig_type, self.public)

    def matches(self, sig: NoteSignature) -> bool:
        """Name and key ID are this key's (signed-note: both must match)."""
        return sig.name == self.name and sig.key_id == self.key_id


# ECDSA P-256 (type 0x02): the log's checkpoint key.


def ecdsa_key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """Key ID of type 0x02: SHA-256 of the DER SubjectPublicKeyInfo, first four bytes."""
    return hashlib.sha256(_spki(public_key)).digest()[:4]


def _spki(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ecdsa_vkey(name: str, public_key: ec.EllipticCurvePublicKey) -> str:
    """The vkey of an ECDSA P-256 note key (type 0x02, DER SPKI as key material)."""
    return vkey_text(name, ecdsa_key_id(public_key), SIG_ECDSA, _spki(public_key))


def ecdsa_sign(name: str, key: ec.EllipticCurvePrivateKey, text: str) -> NoteSignature:
    """Sign note text with a P-256 key (DER ECDSA over SHA-256 of the text)."""
    der = key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
    return NoteSignature(name, ecdsa_key_id(key.public_key()), der)


def ecdsa_verify(
    name: str, public_key: ec.EllipticCurvePublicKey, text: str, sig: NoteSignature
) -> bool:
    """True if `sig` is this key's (name and ID) and verifies over the text."""
    if sig.name != name or sig.key_id != ecdsa_key_id(public_key):
        return False
    try:
        public_key.verify(sig.signature, text.encode(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def ecdsa_public(vkey: VerifierKey) -> ec.EllipticCurvePublicKey:
    """The P-256 key of a type-0x02 vkey; Malformed if it is not one."""
    if vkey.sig_type != SIG_ECDSA:
        raise Malformed(Message("verifier key {name} is not an ECDSA (0x02) key", name=vkey.name))
    try:
        key = serialization.load_der_public_key(vkey.public)
    except ValueError:
        raise Malformed(
            Message("verifier key {name}: not a DER public key", name=vkey.name)
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise Malformed(Message("verifier key {name} is not a P-256 key", name=vkey.name))
    if ecdsa_key_id(key) != vkey.key_id:
        raise Malformed(
            Message("verifier key {name}: key ID does not match the key", name=vkey.name)
        )
    return key


def ed25519_public(vkey: VerifierKey, sig_type: int) -> ed25519.Ed25519PublicKey:
    """The Ed25519 key of a vkey of the given type; Malformed if it is not one."""
    if vkey.sig_type != sig_type or len(vkey.public) != 32:
        raise Malformed(
            Message(
                "verifier key {name} is not a type {sig_type:#04x} Ed25519 key",
                name=vkey.name,
                sig_type=sig_type,
            )
        )
    if key_id(vkey.name, sig_type, vkey.public) != vkey.key_id:
        raise Malformed(
            Message("verifier key {name}: key ID does not match the key", name=vkey.name)
        )
    return ed25519.Ed25519PublicKey.from_public_bytes(vkey.public)
