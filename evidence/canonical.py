"""Canonical JSON (RFC 8785) and the SHA-256 of it: the only serialisation we sign or hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON-compatible value."""
    return bytes(rfc8785.dumps(value))


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the canonical bytes of value."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


SAFE_INT = 2**53 - 1


def _number(text: str) -> int | float:
    value = int(text)
    return value if abs(value) <= SAFE_INT else float(value)


def parse_json(data: bytes | str) -> Any:
    """JSON as RFC 8785 reads it: every number is a double, so integers beyond 2**53 are floats.

    Needed for round trips: the float 1e20 is canonicalised as `100000000000000000000`, which
    a plain json.loads returns as an int that rfc8785 then refuses to serialise.
    """
    return json.loads(data, parse_int=_number)


def is_canonical(data: bytes) -> bool:
    """True if data is exactly the RFC 8785 form of the JSON it holds."""
    try:
        return canonical_bytes(parse_json(data)) == data
    except (ValueError, rfc8785.CanonicalizationError, RecursionError):
        return False
