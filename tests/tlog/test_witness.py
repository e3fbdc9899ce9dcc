"""The witness over real HTTP on 127.0.0.1: C2SP tlog-witness status codes and state."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.errors import OperationalError
from evidence.tlog import Tree
from evidence.tlog.cosignature import CosignatureVerifier
from evidence.tlog.note import Note, b64, ecdsa_sign, ecdsa_vkey
from evidence.tlog.signedhead import SignedHead
from evidence.witness import (
    Witness,
    WitnessRefused,
    WitnessServer,
    WitnessStore,
    add_checkpoint,
    latest,
    origin_hash,
)
from tests.conftest import WitnessFixture

ORIGIN = "custody/" + "cd" * 32


class Log:
    """A toy log with a P-256 checkpoint key, as the ledger's."""

    def __init__(self, origin: str = ORIGIN) -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.tree = Tree()

    @property
    def vkey(self) -> str:
        return ecdsa_vkey(self.origin, self.key.public_key())

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(hashlib.sha256(self.tree.size.to_bytes(8, "big")).digest())

    def note(self, size: int | None = None, root: bytes | None = None) -> Note:
        size = self.tree.size if size is None else size
        head = SignedHead(self.origin, size, root or self.tree.root(size))
        return Note(head.text(), (ecdsa_sign(self.origin, self.key, head.text()),))

    def submit(self, url: str, guess: int = 0) -> Note:
        note = self.note()
        lines = add_checkpoint(
            url, note, self.tree.size, lambda old: self.tree.consistency_proof(old), guess
        )
        return note.with_signatures(lines)


def _post(url: str, body: bytes) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


@pytest.fixture
def log(local_witness: WitnessFixture) -> Log:
    log = Log()
    WitnessStore.open(local_witness.root).add_log(log.vkey)
    return log


def test_cosigns_an_extending_log_and_serves_it(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(5)
    first = log.submit(local_witness.url)
    verifier = CosignatureVerifier.from_vkey(local_witness.vkey)
    assert verifier.verify(first.text, first.signatures[-1]) > 0
    log.grow(6)
    second = log.submit(local_witness.url, guess=5)
    assert SignedHead.parse(second.text).size == 11
    served = latest(local_witness.url, ORIGIN)
    assert served is not None and served.text == second.text
    # Served with the log's signature and the witness's cosignature, as the spec asks.
    assert [s.name for s in served.signatures] == [ORIGIN, "witness.test.example/w1"]
    state = local_witness.root / "state" / f"{origin_hash(ORIGIN)}.checkpoint"
    assert Note.parse(state.read_bytes()) == served
    assert latest(local_witness.url, "custody/other") is None


def test_stale_old_size_gets_409_with_the_size(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(4)
    log.submit(local_witness.url)
    log.grow(1)
    status, kind, body = _post(local_witness.url, b"old 0\n\n" + log.note().to_bytes())
    assert (status, kind, body) == (409, "text/x.tlog.size", b"4\n")
    # The client follows the 409 to the right size and proves consistency from there.
    assert SignedHead.parse(log.submit(local_witness.url).text).size == 5


def test_forged_consistency_proof_gets_422(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(3)
    log.submit(local_witness.url)
    log.grow(3)
    forged = b"".join(f"{b64(hashlib.sha256(b'f').digest())}\n".encode() for _ in range(2))
    status, _, body = _post(local_witness.url, b"old 3\n" + forged + b"\n" + log.note().to_bytes())
    assert status == 422 and b"consistency proof does not verify" in body


def test_forked_log_is_refused(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(8)
    log.submit(local_witness.url)
    # Same key, a different history of the same length and then longer: a fork.
    fork = Log()
    fork.key = log.key
    for i in range(8):
        fork.tree.append(hashlib.sha256(b"fork" + bytes([i])).digest())
    with pytest.raises(WitnessRefused, match="consistency proof does not verify"):
        add_checkpoint(local_witness.url, fork.note(), 8, fork.tree.consistency_proof, 8)
    fork.grow(2)
    with pytest.raises(WitnessRefused, match="consistency proof does not verify"):
        add_checkpoint(local_witness.url, fork.note(), 10, fork.tree.consistency_proof, 8)
    served = latest(local_witness.url, ORIGIN)
    assert served is not None and SignedHead.parse(served.text).root == log.tree.root()


def test_rollback_is_refused(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(9)
    log.submit(local_witness.url)
    short = Log()
    short.key = log.key
    short.tree = Tree(log.tree.leaf(i) for i in range(6))
    with pytest.raises(WitnessRefused, match="already cosigned tree size 9, larger than"):
        short.submit(local_witness.url)


def test_unknown_origin_and_bad_signatures(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(2)
    stranger = Log("custody/stranger")
    stranger.grow(2)
    with pytest.raises(OperationalError, match="HTTP 404"):
        stranger.submit(local_witness.url)
    impostor = Log()  # the right origin, another key: no trusted signature
    impostor.grow(2)
    with pytest.raises(OperationalError, match="HTTP 403"):
        impostor.submit(local_witness.url)
    # A trusted key's signature over other text: 403 too (the note is malformed).
    note = log.note()
    bad = Note(SignedHead(ORIGIN, 2, hashlib.sha256(b"z").digest()).text(), note.signatures)
    status, _, body = _post(local_witness.url, b"old 0\n\n" + bad.to_bytes())
    assert status == 403 and b"does not verify" in body
    for junk in (b"old x\n\n", b"old 0\n" + note.to_bytes(), b"old 05\n\n" + note.to_bytes()):
        assert _post(local_witness.url, junk)[0] == 400
    assert _post(local_witness.url, b"old 3\n\n" + note.to_bytes())[0] == 400  # old > size


def test_state_survives_a_restart(local_witness: WitnessFixture, log: Log) -> None:
    log.grow(3)
    log.submit(local_witness.url)
    again = WitnessServer(Witness(local_witness.root)).start()
    try:
        status, _, body = _post(again.url, b"old 0\n\n" + log.note().to_bytes())
        assert (status, body) == (409, b"3\n")
    finally:
        again.stop()


def test_empty_tree_must_have_the_empty_root(local_witness: WitnessFixture, log: Log) -> None:
    bad = log.note(0, hashlib.sha256(b"not empty").digest())
    assert _post(local_witness.url, b"old 0\n\n" + bad.to_bytes())[0] == 422
    assert _post(local_witness.url, b"old 0\n\n" + log.note(0).to_bytes())[0] == 200


def test_a_witness_refusal_is_quoted_evidence(log: Log) -> None:
    """A witness's reason is a third party's text: quoted inside our own sentence, its
    control characters and escape sequences made visible, in Russian inside a Russian frame."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from evidence.message import render
    from evidence.messages import translations

    said = "fork\x1b[2J\x1b]0;owned\x07 \u202eseen"

    class Hostile(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = said.encode()
            self.send_response(422)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        log.grow(3)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(WitnessRefused) as caught:
            log.submit(url)
    finally:
        server.shutdown()
        server.server_close()
    (finding,) = caught.value.findings
    visible = "fork\\x1b[2J\\x1b]0;owned\\x07 \\u202eseen"
    assert finding.message == f"the witness refused: «{visible}»"
    assert caught.value.message == (
        f"witness {url} refused the checkpoint: the witness refused: «{visible}»"
    )
    assert "\x1b" not in caught.value.diagnostics()
    ru = render(finding.message, translations("ru").gettext)
    assert ru == f"сервер-свидетель отказал: «{visible}»"
