"""The excerpt as it travels: a readable records file and a proof file, and their verification.

records file (`<item-id>.records.txt`): two lines saying what it is, a blank line, then for each
disclosed record a header line `--- record N (B bytes) ---`, its B bytes exactly as they are in
the original, and one line break. The reader goes by the byte counts, never by searching for
headers, so a record that quotes a header line changes nothing.

proof file (`<item-id>.proof.json`, RFC 8785 JSON), schema `custody-excerpt/1`:
  item_id, case, original {sha256, size, records}, commitment (as signed, see commit.py),
  disclosed [{number, salt, leaf}] (1-based record numbers, hex), multiproof [hex] (tree.py),
  event {event, hash, signature} (the signed `excerpted` event that restates the commitment and
  signs the disclosed numbers and SHA-256 of their leaves), certificate (PEM of its signer).

Verification needs neither the ledger nor the undisclosed records: each record with its salt
must give its leaf, the leaves with the multiproof the signed root, and the signed event must
name exactly these records. Every failure says which record or which part failed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ..canonical import canonical_bytes, parse_json
from ..errors import Finding, VerificationError
from ..keys import fingerprint, verify_signature
from ..message import Message
from .commit import Commitment
from .tree import ProofError, root_from_proof, salted_leaf

PROOF_SCHEMA = "custody-excerpt/1"
_HEADER = re.compile(rb"--- record (\d{1,12}) \((\d{1,12}) bytes\) ---\n")
CHECK = "excerpt"


def format_ranges(numbers: Sequence[int]) -> str:
    """1-based record numbers as ranges: [1, 2, 3, 7] -> "1-3,7"."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [n]
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(parts)


_RANGES = re.compile(r"[1-9]\d{0,11}(?:-[1-9]\d{0,11})?(?:,[1-9]\d{0,11}(?:-[1-9]\d{0,11})?)*")


def range_span(value: object) -> tuple[int, int] | None:
    """(how many records, the last one) of ranges in the form format_ranges writes ("1-3,7":
    ascending, apart, a range's ends in order); None for anything else. Nothing is expanded."""
    if not isinstance(value, str) or _RANGES.fullmatch(value) is None:
        return None
    count, last = 0, -1
    for part in value.split(","):
        first, _, end = part.partition("-")
        low, high = int(first), int(end or first)
        if low <= last + 1 or high < low or (end and high == low):
            return None
        count, last = count + high - low + 1, high
    return count, last


def leaves_sha256(leaves: Sequence[bytes]) -> str:
    """What the `excerpted` event signs about the disclosed leaves, in record order."""
    return hashlib.sha256(b"".join(leaves)).hexdigest()


def records_file(intro: str, numbers: Sequence[int], records: Sequence[bytes], count: int) -> bytes:
    """The readable records file: intro line, then each record under its header."""
    head = (
        f"{intro}\nrecords {format_ranges(numbers)} ({len(numbers)} of {count}); each follows "
        "its header line byte for byte, then one line break\n\n"
    )
    out = [head.encode()]
    for number, record in zip(numbers, records, strict=True):
        out.append(f"--- record {number} ({len(record)} bytes) ---\n".encode() + record + b"\n")
    return b"".join(out)


def read_records_file(data: bytes, what: str) -> list[tuple[int, bytes]]:
    """The (number, bytes) pairs of a records file; VerificationError naming where it breaks."""
    at = data.find(b"\n\n")
    if at == -1:
        raise _failed(
            what, Message("is not a custody excerpt records file (no blank line after intro)")
        )
    at += 2
    found: list[tuple[int, bytes]] = []
    while at < len(data):
        match = _HEADER.match(data, at)
        if match is None:
            where = f"record {found[-1][0]}" if found else "the first record"
            raise _failed(
                what, Message("no record header where one should follow {where}", where=where)
            )
        number, size = int(match.group(1)), int(match.group(2))
        start = match.end()
        if start + size + 1 > len(data) or data[start + size : start + size + 1] != b"\n":
            raise _failed(
                what,
                Message(
                    "record {number} is not {size} bytes followed by a line break",
                    number=number,
                    size=size,
                ),
            )
        found.append((number, data[start : start + size]))
        at = start + size + 1
    return found


def unreadable(exc: Exception) -> Message:
    """Why a proof file cannot be read: our own reason, worded, or a reader's diagnostic (a
    missing key, a wrong type: Python's English) printed for the terminal."""
    said = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(said, Message):
        return Message("proof file is not readable ({why})", why=said)
    return Message("proof file is not readable ({exc})", exc=str(exc))


def _failed(subject: str, message: Message) -> VerificationError:
    return VerificationError(f"{subject}: {message}", [Finding(CHECK, subject, message)])


@dataclass(frozen=True)
class ExcerptVerdict:
    """What a verified excerpt discloses, and who signed it."""

    item_id: str
    sha256: str
    size: int
    disclosed: int
    count: int
    ranges: str
    signer: str
    signer_name: str
    reason: str
    event_hash: str
    at: str  # when the excerpted event was signed

    def summary(self) -> Message:
        """One line for people, e.g. "62 of 40,118 records of X (sha256 3f9a…)"."""
        return Message(
            "excerpt: {disclosed:,} of {count:,} records ({ranges}) of item {item_id} "
            "(sha256 {sha256}…), each byte-exact and in place",
            disclosed=self.disclosed,
            count=self.count,
            ranges=self.ranges,
            item_id=self.item_id,
            sha256=self.sha256[:12],
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


def build_proof(
    *,
    item_id: str,
    case: str,
    original: Mapping[str, Any],
    commitment: Commitment,
    numbers: Sequence[int],
    salts: Sequence[bytes],
    leaves: Sequence[bytes],
    multiproof: Sequence[bytes],
    event: Mapping[str, Any],
    certificate_pem: str,
) -> bytes:
    """The proof file's canonical bytes."""
    return canonical_bytes(
        {
            "schema": PROOF_SCHEMA,
            "item_id": item_id,
            "case": case,
            "original": dict(original),
            "commitment": commitment.to_json(),
            "disclosed": [
                {"number": n, "salt": s.hex(), "leaf": leaf.hex()}
                for n, s, leaf in zip(numbers, salts, leaves, strict=True)
            ],
            "multiproof": [h.hex() for h in multiproof],
            "event": dict(event),
            "certificate": certificate_pem,
        }
    )


def _hex(value: object, size: int, what: Message) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(f"[0-9a-f]{{{size * 2}}}", value):
        raise ValueError(
            Message("{what} is not {size} bytes of lower-case hex", what=what, size=size)
        )
    return bytes.fromhex(value)


def _check_event(proof: Mapping[str, Any], subject: str) -> tuple[Mapping[str, Any], str]:
    # The signed `excerpted` event: its bytes, hash and signature, and that it states this item.
    signed = proof["event"]
    body = signed["event"]
    data = canonical_bytes(body)
    if hashlib.sha256(data).hexdigest() != signed["hash"]:
        raise _failed(subject, Message("the excerpted event does not hash to the hash it carries"))
    try:
        cert = x509.load_pem_x509_certificate(str(proof["certificate"]).encode())
    except ValueError:
        raise _failed(
            subject, Message("the proof's certificate is not a PEM certificate")
        ) from None
    if fingerprint(cert) != body["actor"]["fingerprint"]:
        raise _failed(
            subject, Message("the proof's certificate is not the excerpted event's signer's")
        )
    if not verify_signature(cert, data, str(signed["signature"])):
        raise _failed(subject, Message("the excerpted event's signature is not valid"))
    if body["action"] != "excerpted" or body["item_id"] != proof["item_id"]:
        raise _failed(subject, Message("the signed event is not the excerpt of this item"))
    if body["item_sha256"] != proof["original"]["sha256"]:
        raise _failed(subject, Message("the signed event names another original (SHA-256 differs)"))
    return body, fingerprint(cert)


def verify_excerpt(records_data: bytes, proof_data: bytes, subject: str) -> ExcerptVerdict:
    """Check an excerpt's records against its proof and the signed event; raises
    VerificationError with the first precise failure, returns what was disclosed."""
    try:
        proof = parse_json(proof_data)
        if not isinstance(proof, dict) or proof.get("schema") != PROOF_SCHEMA:
            raise ValueError(Message("not a {schema} proof", schema=PROOF_SCHEMA))
        commitment = Commitment.from_json(proof["commitment"])
        if commitment is None:
            raise ValueError(Message("commitment is not readable"))
        root = _hex(commitment.root, 32, Message("commitment root"))
        salt, leaf = Message("salt"), Message("leaf")
        disclosed = [
            (int(d["number"]), _hex(d["salt"], 32, salt), _hex(d["leaf"], 32, leaf))
            for d in proof["disclosed"]
        ]
        multiproof = [_hex(h, 32, Message("multiproof hash")) for h in proof["multiproof"]]
        body, signer = _check_event(proof, subject)
        if proof["original"]["records"] != commitment.count:
            raise _failed(subject, Message("the proof's record count is not the commitment's"))
        details = body["details"]
    except VerificationError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise _failed(subject, unreadable(exc)) from None
    numbers = [n for n, _, _ in disclosed]
    # 1. the signed event names these records, this commitment and these leaves
    if Commitment.from_json(details.get("commitment")) != commitment:
        raise _failed(
            subject, Message("the proof's commitment is not the one the excerpted event signs")
        )
    if details.get("records") != format_ranges(numbers) or numbers != sorted(set(numbers)):
        raise _failed(
            subject,
            Message(
                "the proof discloses records {numbers}, the signed event {signed}",
                numbers=format_ranges(numbers),
                signed=details.get("records"),
            ),
        )
    if details.get("leaves_sha256") != leaves_sha256([leaf for _, _, leaf in disclosed]):
        raise _failed(
            subject, Message("the proof's leaves are not those the excerpted event signs")
        )
    # 2. each record, with its salt, gives its leaf
    found = read_records_file(records_data, subject)
    if [n for n, _ in found] != numbers:
        raise _failed(
            subject,
            Message(
                "the records file holds records {held} in that order, the proof discloses "
                "{numbers}",
                held=format_ranges([n for n, _ in found]),
                numbers=format_ranges(numbers),
            ),
        )
    bad = [
        n
        for (n, record), (_, salt, leaf) in zip(found, disclosed, strict=True)
        if salted_leaf(salt, record) != leaf
    ]
    if bad:
        raise _failed(
            subject,
            Message(
                "record(s) {bad}: bytes and salt do not give the committed leaf (changed, or not "
                "the record at that place)",
                bad=format_ranges(bad),
            ),
        )
    # 3. the leaves, with the multiproof, rebuild the signed root
    try:
        rebuilt = root_from_proof(
            commitment.count, {n - 1: leaf for n, _, leaf in disclosed}, multiproof
        )
    except ProofError as exc:
        raise _failed(
            subject,
            Message(
                "multiproof does not fit {count} records: {exc}",
                count=commitment.count,
                exc=exc.wording,
            ),
        ) from None
    if rebuilt != root:
        raise _failed(
            subject,
            Message(
                "the disclosed records do not rebuild the signed root: a record or leaf is out of "
                "place, from another item, or the multiproof is not this excerpt's"
            ),
        )
    original = proof["original"]
    return ExcerptVerdict(
        str(proof["item_id"]),
        str(original["sha256"]),
        int(original["size"]),
        len(numbers),
        commitment.count,
        format_ranges(numbers),
        signer,
        str(body["actor"]["name"]),
        str(body.get("purpose", "")),
        str(proof["event"]["hash"]),
        str(body["at"]),
    )
