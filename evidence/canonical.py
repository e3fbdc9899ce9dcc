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


def is_canonical(data: bytes) -> bool:
    """True if data is exactly the RFC 8785 form of the JSON it holds."""
    try:
        return canonical_bytes(json.loads(data)) == data
    except (ValueError, rfc8785.CanonicalizationError, RecursionError):
        return False
