"""Signed records: one envelope for every signed body, and one strict reader.

Custody events, trust records and checkpoints are all the same thing, as python-tuf's
`Metadata[T]` is for its roles: a typed body, the exact RFC 8785 bytes that were hashed and
signed, their SHA-256, and the signer's signature (base64 DER ECDSA-P256-SHA256) kept beside the
body, not inside it. `Signed[T]` is that envelope; `SignedEvent`, `TrustRecord` and `Checkpoint`
add only what their body means.

Each body kind is a `Kind`: a schema family (`custody-event`, `custody-trust`,
`custody-checkpoint`) whose versions `validation.SCHEMAS` lists. `Kind.read` is the one reader:
the bytes must be a JSON object, exactly its RFC 8785 form (which also refuses a key given twice)
and valid against the schema version its own `schema` id names. It returns every problem typed
rather than raising, because the audit reports each under a check of its own and carries on;
`Kind.strict` raises the first for readers that must stop. The signature is checked by
`Signed.verify` against a key the caller trusts: which key may sign is the trust root's
business, not the reader's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from .canonical import canonical_bytes, duplicate_key, parse_canonical, parse_json
from .errors import NO_MESSAGE, Malformed
from .keys import verify_b64
from .message import Message
from .validation import body_errors, versions

T = TypeVar("T", bound=Mapping[str, Any])
NOT_OBJECT = Message("is not a JSON object")


class Flaw(StrEnum):
    """What is wrong with a signed record's bytes, so each reader can file it where it belongs."""

    JSON = "json"  # not JSON, or not a JSON object
    CANONICAL = "canonical"  # not exactly RFC 8785 bytes (a duplicate key among them)
    SCHEMA = "schema"  # not valid against the schema version its `schema` id names


@dataclass(frozen=True)
class Problem:
    """One flaw of a record's bytes and what it is, worded to follow the record's noun."""

    flaw: Flaw
    message: Message
    # For a schema flaw: the first violation alone ("path: message").
    detail: Message = NO_MESSAGE


@dataclass(frozen=True)
class Signed(Generic[T]):
    """A signed body: the body, the hash recorded for it, the signature, the exact bytes."""

    body: T
    hash: str
    signature: str
    # The exact bytes that were hashed and signed, when known (kept, never re-serialised).
    raw: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def data(self) -> bytes:
        """The bytes that were hashed and signed (the body's canonical form if not kept)."""
        return self.raw if self.raw is not None else canonical_bytes(dict(self.body))

    @property
    def hash_ok(self) -> bool:
        """True if the recorded hash is the SHA-256 of the bytes."""
        return digest(self.data) == self.hash

    def verify(self, public_key: object) -> bool:
        """True if the signature over the bytes is valid for public_key (P-256 only)."""
        return verify_b64(public_key, self.data, self.signature)


def digest(data: bytes) -> str:
    """Hex SHA-256 of signed bytes: a record's hash."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Reading(Generic[T]):
    """What `Kind.read` made of some bytes: the body (None if not a JSON object) and every flaw."""

    body: T | None
    problems: tuple[Problem, ...]

    def first(self, allow: Collection[Flaw] = ()) -> Problem | None:
        """The first problem not among those the caller reports itself, or None."""
        return next((p for p in self.problems if p.flaw not in allow), None)


@dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of signed body: its schema family and the noun messages call it by."""

    family: str
    noun: Message

    @property
    def versions(self) -> dict[str, str]:
        """Every schema id of the family this tool reads, and its file, oldest first."""
        return versions(self.family)

    @property
    def current(self) -> str:
        """The schema id new bodies are written with."""
        return list(self.versions)[-1]

    def schema_problems(self, body: Any) -> list[Message]:
        """Every violation of the schema version the body claims (empty when valid)."""
        return body_errors(self.family, body)

    def read(self, data: bytes) -> Reading[T]:
        """Read signed bytes strictly: a JSON object, RFC 8785 bytes, valid against its schema."""
        try:
            value, canonical = parse_canonical(data)
        except (ValueError, RecursionError) as exc:
            # The parser's own diagnostic (a position, in English) is for the terminal.
            return Reading(
                None, (Problem(Flaw.JSON, Message("is not JSON ({why})", why=str(exc))),)
            )
        if not isinstance(value, dict):
            return Reading(None, (Problem(Flaw.JSON, NOT_OBJECT),))
        problems = []
        if not canonical:
            key = duplicate_key(data)
            problems.append(
                Problem(Flaw.CANONICAL, Message("is not canonical JSON (RFC 8785)"))
                if key is None
                else Problem(Flaw.CANONICAL, Message("holds duplicate key {key}", key=key))
            )
        errors = self.schema_problems(value)
        if errors:
            problems.append(
                Problem(
                    Flaw.SCHEMA,
                    Message(
                        "is not a valid {family}: {detail}", family=self.family, detail=errors[0]
                    ),
                    errors[0],
                )
            )
        return Reading(cast(T, value), tuple(problems))

    def strict(self, data: bytes, source: str, allow: Collection[Flaw] = ()) -> T:
        """The body of signed bytes; Malformed naming source for the first flaw not in
        `allow` (flaws a caller reports itself, as the audit does for a checkpoint's bytes)."""
        reading = self.read(data)
        problem = reading.first(allow)
        if problem is not None or reading.body is None:
            said = problem.message if problem is not None else NOT_OBJECT
            raise Malformed(
                Message("{source}: {noun} {problem}", source=source, noun=self.noun, problem=said)
            )
        return reading.body

    def body_of(self, value: Any, source: str) -> tuple[T, bytes]:
        """A body carried inside a larger JSON document (a bundle's manifest, a checkpoint file)
        and the canonical bytes it was signed as, read by the same strict reader."""
        try:
            data = canonical_bytes(value)
        except Exception:
            raise Malformed(
                Message("{source}: {noun} cannot be canonicalised", source=source, noun=self.noun)
            ) from None
        return self.strict(data, source), data


def parse_body(data: bytes) -> dict[str, Any] | None:
    """The JSON object in some bytes, read as RFC 8785 reads numbers; None if there is none.

    For readers that show what a ledger holds (the audit judges it): no schema, no canonical
    check, so a damaged row can still be shown and marked.
    """
    try:
        value = parse_json(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
