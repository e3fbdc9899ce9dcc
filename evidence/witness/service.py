"""The C2SP tlog-witness add-checkpoint rules, as a pure request -> reply step over a store.

Each numbered step below is a MUST of c2sp.org/tlog-witness. Checking the old size against the
stored state and persisting the new checkpoint happen under one lock, so two requests can never
roll the state back between them (the race the spec describes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import EvidenceError
from ..tlog.note import Note, NoteSignature, b64decode, ecdsa_public, ecdsa_verify
from ..tlog.proof import ProofError, verify_consistency
from ..tlog.signedhead import SignedHead
from .store import WitnessStore

SIZE_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type, body."""

    status: int
    content_type: str
    body: bytes


def _text(status: int, message: str) -> Reply:
    return Reply(status, TEXT, message.encode() + b"\n")


@dataclass(frozen=True)
class _Request:
    old: int
    proof: list[bytes]
    note: Note
    head: SignedHead


def _parse(body: bytes) -> _Request:
    # The old size and proof lines end at the first blank line; the checkpoint note follows.
    head_bytes, sep, rest = body.partition(b"\n\n")
    if not sep:
        raise ValueError("no blank line between the old size and the checkpoint")
    lines = head_bytes.decode("ascii").split("\n")
    old = lines[0]
    if not old.startswith("old ") or not (old[4:] == "0" or (old[4:].isdigit() and old[4] != "0")):
        raise ValueError("first line is not `old <size>`")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [b64decode(line, "consistency proof line") for line in lines[1:]]
    note = Note.parse(rest, "checkpoint")
    return _Request(int(old[4:]), proof, note, SignedHead.parse(note.text))


@contextmanager
def _folder_lock(root: Path) -> Iterator[None]:
    # Also between processes: two servers on one folder must not interleave check and write.
    # fcntl is imported here, not at the top: `custody verify` imports the CLI's witness
    # options on Windows, where fcntl does not exist (a witness server runs on POSIX only).
    import fcntl

    with open(root / "lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Witness:
    """Cosigns checkpoints that extend what it saw before; thread-safe.

    The key is unlocked once (`passphrase`: an encrypted key's); the configuration is read
    again on each request, so a log added with `custody witness add-log` counts without a
    restart.
    """

    def __init__(self, root: Path, passphrase: str | None = None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self.store = WitnessStore.open(root, passphrase)  # fail now, not on the first request

    @classmethod
    def of(cls, store: WitnessStore) -> Witness:
        """A witness over a store already opened (its key unlocked once)."""
        witness = cls.__new__(cls)
        witness.root, witness._lock, witness.store = store.root, threading.Lock(), store
        return witness

    def add_checkpoint(self, body: bytes) -> Reply:
        """POST add-checkpoint."""
        try:
            req = _parse(body)
        except (ValueError, UnicodeDecodeError, EvidenceError) as exc:
            message = exc.message if isinstance(exc, EvidenceError) else str(exc)
            return _text(400, f"malformed request: {message}")
        origin = req.head.origin
        store = self.store.reread()
        # 1. Unknown origin: 404.
        keys = store.keys_for(origin)
        if not keys:
            return _text(404, f"unknown log origin {origin}")
        # 2. Only trusted keys' signatures count; one that fails, or none that verifies: 403.
        verified: list[NoteSignature] = []
        for sig in req.note.signatures:
            for key in keys:
                if key.matches(sig):
                    if not ecdsa_verify(origin, ecdsa_public(key), req.note.text, sig):
                        return _text(403, f"signature by {sig.name} does not verify")
                    verified.append(sig)
        if not verified:
            return _text(403, "no signature by a log key this witness trusts")
        # 3. The old size may not exceed the new one: 400.
        if req.old > req.head.size:
            return _text(400, f"old size {req.old} is larger than the checkpoint's {req.head.size}")
        with self._lock, _folder_lock(self.root):
            latest = store.latest(origin)
            latest_head = SignedHead.parse(latest.text) if latest is not None else None
            size = latest_head.size if latest_head is not None else 0
            # 4. The old size must be the size last cosigned: 409 with that size.
            if req.old != size:
                return Reply(409, SIZE_TYPE, f"{size}\n".encode())
            # 5. An empty tree has the empty root: 422.
            if req.head.empty_root_problem:
                return _text(422, "a checkpoint of size 0 must have the empty tree's root")
            # 6. From 0 no proof; otherwise the proof must verify (equal sizes: equal roots).
            if req.old == 0:
                if req.proof:
                    return _text(422, "a consistency proof from size 0 must be empty")
            else:
                assert latest_head is not None
                try:
                    verify_consistency(
                        req.old, req.head.size, req.proof, latest_head.root, req.head.root
                    )
                except ProofError as exc:
                    return _text(422, f"consistency proof does not verify: {exc.message}")
            # 7. Cosign, persist, then answer.
            cosignature = store.cosigner.cosign(req.note.text)
            store.record(origin, Note(req.note.text, (*verified, cosignature)))
        return Reply(200, TEXT, cosignature.line().encode())

    def checkpoint(self, digest: str) -> Reply:
        """GET <origin hash>/checkpoint: the latest cosigned checkpoint, or 404."""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return _text(404, "not an origin hash")
        note = self.store.latest_by_hash(digest)
        if note is None:
            return _text(404, "this witness never cosigned a checkpoint of that log")
        return Reply(200, TEXT, note.to_bytes())
