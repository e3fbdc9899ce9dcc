"""Talking to a witness: add-checkpoint (with the 409 size dance) and its latest checkpoint."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..display import printable
from ..errors import Finding, OperationalError, VerificationError, Worded
from ..ledger import Ledger
from ..message import Message
from ..tlog.ledgerlog import store_signatures
from ..tlog.note import Note, NoteSignature, b64, parse_signature_lines
from ..tlog.tree import Tree
from .store import origin_hash

TIMEOUT = 20
MAX_ANSWER = 128 * 1024


class WitnessRefused(Worded, VerificationError):
    """The witness refused to cosign because the log does not extend what it saw (exit 1)."""

    def __init__(self, url: str, why: Message) -> None:
        super().__init__(
            Message("witness {url} refused the checkpoint: {why}", url=url, why=why),
            [Finding("witness", url, why)],
        )


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes


def _request(url: str, data: bytes | None) -> _Answer:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return _Answer(resp.status, resp.headers.get("Content-Type", ""), resp.read(MAX_ANSWER))
    except urllib.error.HTTPError as exc:
        return _Answer(exc.code, exc.headers.get("Content-Type", ""), exc.read(MAX_ANSWER))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OperationalError(
            f"witness {url} cannot be reached ({reason})", "check the URL and that the witness runs"
        ) from None


def check_url(url: str) -> str:
    """A witness base URL (http or https), without a trailing slash."""
    if not url.startswith(("http://", "https://")):
        raise OperationalError(f"witness URL {url!r} is not http:// or https://")
    return url.rstrip("/")


def _why(answer: _Answer) -> str:
    return answer.body.decode("utf-8", "replace").strip()[:200] or f"HTTP {answer.status}"


def _refusal(answer: _Answer) -> Message:
    """The witness's own reason, a third party's words: quoted as said (controls and escape
    sequences made visible) inside our own sentence."""
    said = answer.body.decode("utf-8", "replace").strip()[:200]
    if not said:
        return Message("the witness refused (HTTP {status}) without a reason", status=answer.status)
    return Message("the witness refused: «{reason}»", reason=printable(said))


def add_checkpoint(
    url: str,
    note: Note,
    size: int,
    proof_from: Callable[[int], list[bytes]],
    guess: int = 0,
) -> list[NoteSignature]:
    """Send a checkpoint note of tree `size`; returns the witness's cosignature lines.

    `guess` is the size the witness is believed to hold; on 409 the request is repeated once
    from the size it names. `proof_from(old)` gives the consistency proof from old to `size`.
    A witness that holds more than `size` saw a longer log: the ledger was rolled back.
    """
    base = check_url(url)
    old = guess
    for _ in range(2):
        if old > size:
            raise WitnessRefused(
                base,
                Message(
                    "it already cosigned tree size {old}, larger than this ledger's {size}: "
                    "the ledger was cut or rolled back since",
                    old=old,
                    size=size,
                ),
            )
        proof = proof_from(old) if old else []
        body = f"old {old}\n" + "".join(f"{b64(p)}\n" for p in proof) + "\n"
        answer = _request(f"{base}/add-checkpoint", body.encode() + note.to_bytes())
        if answer.status == 200:
            return parse_signature_lines(answer.body, f"witness {base}")
        if answer.status == 409 and answer.content_type.startswith("text/x.tlog.size"):
            text = answer.body.decode("ascii", "replace").strip()
            if not text.isdigit():
                break
            old = int(text)
            continue
        if answer.status == 422:
            raise WitnessRefused(base, _refusal(answer))
        raise OperationalError(
            f"witness {base} refused the checkpoint (HTTP {answer.status}: {_why(answer)})",
            "a witness must be given this ledger's checkpoint key first (`custody witness add-log`)"
            if answer.status in (403, 404)
            else None,
        )
    raise OperationalError(f"witness {base} keeps changing its size; try again")


def latest(url: str, origin: str) -> Note | None:
    """The witness's latest cosigned checkpoint of an origin (None if it never cosigned one)."""
    base = check_url(url)
    answer = _request(f"{base}/{origin_hash(origin)}/checkpoint", None)
    if answer.status == 404:
        return None
    if answer.status != 200:
        raise OperationalError(f"witness {base} answered HTTP {answer.status}: {_why(answer)}")
    return Note.parse(answer.body, f"witness {base}")


def cosign_with(ledger: Ledger, urls: Sequence[str]) -> Callable[[int, Note, Tree], Note]:
    """The `witness` step of `create_checkpoint`: each witness's cosignature, stored.

    Any refusal raises (inside the checkpoint's transaction: nothing is written).
    """

    def cosign(seq: int, note: Note, tree: Tree) -> Note:
        for url in urls:
            lines = add_checkpoint(url, note, tree.size, lambda old: tree.consistency_proof(old))
            store_signatures(ledger, seq, lines, check_url(url))
            note = note.with_signatures(lines)
        return note

    return cosign
