"""Checkpoint notes and cosignatures against an independent reader written here from the C2SP
texts (signed-note, tlog-checkpoint, tlog-cosignature), not from the production code."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from evidence.errors import InputRejected
from evidence.tlog.cosignature import CosignatureVerifier, Cosigner
from evidence.tlog.note import Note, VerifierKey, ecdsa_sign, ecdsa_verify, ecdsa_vkey
from evidence.tlog.proof import ProofError
from evidence.tlog.proofnote import TlogProof
from evidence.tlog.signedhead import SignedHead

ORIGIN = "custody/" + "ab" * 32
ROOT = hashlib.sha256(b"root").digest()


# --- the independent reader (spec text only) ------------------------------------------------


def spec_split(note: bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """signed-note: text up to the last blank line; then `— name base64` lines."""
    text = note.decode("utf-8")
    cut = text.rindex("\n\n")
    body, sigs = text[: cut + 1], text[cut + 2 :]
    out = []
    for line in sigs.splitlines():
        dash, name, sig = line.split(" ")
        assert dash == "\u2014"
        out.append((name, base64.b64decode(sig)))
    return body, out


def spec_ecdsa_check(note: bytes, name: str, spki_der: bytes) -> bool:
    """Type 0x02: key ID = SHA-256(DER SPKI)[:4]; ASN.1 ECDSA over SHA-256 of the text."""
    body, sigs = spec_split(note)
    want_id = hashlib.sha256(spki_der).digest()[:4]
    key = serialization.load_der_public_key(spki_der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    for signer, raw in sigs:
        if signer == name and raw[:4] == want_id:
            key.verify(raw[4:], body.encode(), ec.ECDSA(hashes.SHA256()))
            return True
    return False


def spec_cosignature_time(note: bytes, name: str, public: bytes) -> int | None:
    """Type 0x04: ID = SHA-256(name || 0x0A || 0x04 || key)[:4]; u64 time || Ed25519 over
    `cosignature/v1\\ntime T\\n` + text."""
    body, sigs = spec_split(note)
    want_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    for signer, raw in sigs:
        if signer == name and raw[:4] == want_id:
            (t,) = struct.unpack(">Q", raw[4:12])
            message = f"cosignature/v1\ntime {t}\n".encode() + body.encode()
            ed25519.Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)
            return int(t)
    return None


def spec_checkpoint(body: str) -> tuple[str, int, bytes]:
    """tlog-checkpoint: origin, decimal size, base64 root."""
    origin, size, root, rest = body.split("\n", 3)
    assert rest == ""
    return origin, int(size), base64.b64decode(root)


# --- round trips ----------------------------------------------------------------------------


def _signed_note() -> tuple[Note, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    head = SignedHead(ORIGIN, 42, ROOT)
    return Note(head.text(), (ecdsa_sign(ORIGIN, key, head.text()),)), key


def test_checkpoint_note_reads_back_by_the_spec() -> None:
    note, key = _signed_note()
    data = note.to_bytes()
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spec_ecdsa_check(data, ORIGIN, spki)
    assert spec_checkpoint(spec_split(data)[0]) == (ORIGIN, 42, ROOT)
    # The vkey carries type 0x02 and the DER SPKI, with the spec's key ID.
    vkey = VerifierKey.parse(ecdsa_vkey(ORIGIN, key.public_key()))
    assert (vkey.sig_type, vkey.public, vkey.key_id) == (
        2,
        spki,
        hashlib.sha256(spki).digest()[:4],
    )
    # And our reader agrees with itself on the bytes.
    again = Note.parse(data)
    assert again == note
    assert ecdsa_verify(ORIGIN, key.public_key(), again.text, again.signatures[0])


def test_cosignature_reads_back_by_the_spec() -> None:
    note, _ = _signed_note()
    witness = Cosigner("witness.example/w1", ed25519.Ed25519PrivateKey.generate())
    line = witness.cosign(note.text, timestamp=1_700_000_000)
    data = note.with_signatures([line]).to_bytes()
    vkey = VerifierKey.parse(witness.vkey)
    assert vkey.sig_type == 4
    assert spec_cosignature_time(data, witness.name, vkey.public) == 1_700_000_000
    assert CosignatureVerifier.from_vkey(witness.vkey).verify(note.text, line) == 1_700_000_000


def test_spec_signatures_read_by_our_reader() -> None:
    # The other way round: a cosignature built by hand from the spec verifies with our code.
    priv = ed25519.Ed25519PrivateKey.generate()
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = "w.example"
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    text = SignedHead(ORIGIN, 7, ROOT).text()
    sig = priv.sign(f"cosignature/v1\ntime 5\n{text}".encode())
    line = f"\u2014 {name} {base64.b64encode(kid + struct.pack('>Q', 5) + sig).decode()}\n"
    note = Note.parse(f"{text}\n{line}".encode())
    material = base64.b64encode(bytes([4]) + pub).decode()
    vkey = f"{name}+{kid.hex()}+{material}"
    assert CosignatureVerifier.from_vkey(vkey).verify(note.text, note.signatures[0]) == 5


def test_foreign_and_replayed_cosignatures_fail() -> None:
    note, _ = _signed_note()
    witness = Cosigner("witness.example/w1", ed25519.Ed25519PrivateKey.generate())
    other = Cosigner("witness.example/w1", ed25519.Ed25519PrivateKey.generate())
    line = other.cosign(note.text)
    with pytest.raises(ProofError, match="not by witness"):
        CosignatureVerifier.from_vkey(witness.vkey).verify(note.text, line)
    # The witness's real cosignature replayed onto another checkpoint.
    genuine = witness.cosign(note.text)
    later = SignedHead(ORIGIN, 43, hashlib.sha256(b"x").digest()).text()
    with pytest.raises(ProofError, match="does not verify"):
        CosignatureVerifier.from_vkey(witness.vkey).verify(later, genuine)


@pytest.mark.parametrize(
    "data",
    [
        b"no signatures\n",
        b"text\n\n\xe2\x80\x94 name c2ln\n",  # signature shorter than a key ID
        b"text\x01\n\n\xe2\x80\x94 name AAAAAAAA\n",
        b"text\n\n- name AAAAAAAA\n",
        b"text\n\n\xe2\x80\x94 na+me AAAAAAAA\n",
        b"\xff\n\n",
    ],
)
def test_malformed_notes_are_refused(data: bytes) -> None:
    with pytest.raises(InputRejected):
        Note.parse(data)


def test_tlog_proof_round_trip() -> None:
    note, _ = _signed_note()
    proof = TlogProof(3, (ROOT, hashlib.sha256(b"s").digest()), note, b"extra")
    data = proof.to_bytes()
    assert data.startswith(b"c2sp.org/tlog-proof@v1\nextra ZXh0cmE=\nindex 3\n")
    assert TlogProof.parse(data, "p") == proof
    with pytest.raises(InputRejected):
        TlogProof.parse(data.replace(b"index 3", b"index 03"), "p")
