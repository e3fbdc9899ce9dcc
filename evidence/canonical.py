"""Canonical JSON (RFC 8785) and the SHA-256 of it: the only serialisation we sign or hash."""

from __future__ import annotations

import hashlib
import json
import re
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


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook refusing a key twice: readers disagree on which one counts
    (SQLite's json_extract takes the first, Python the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def duplicate_key(data: bytes | str) -> str | None:
    """The first key some object of the JSON text holds twice, or None (also for non-JSON)."""
    try:
        json.loads(data, object_pairs_hook=no_duplicates)
    except ValueError as exc:
        text = str(exc)
        return text[len("duplicate key ") :] if text.startswith("duplicate key ") else None
    except RecursionError:
        return None
    return None


# A 4-byte UTF-8 sequence: a character beyond the BMP, where RFC 8785's UTF-16 key order and
# Python's code point order can differ.
_ASTRAL = re.compile(rb"[\xf0-\xf4]")


def parse_canonical(data: bytes) -> tuple[Any, bool]:
    """The JSON in data (read as parse_json reads it), and whether data is exactly its RFC 8785
    form. Raises ValueError or RecursionError for text that is not JSON.

    Canonical bytes hold no key twice (the canonical form of the parsed value would hold it
    once), so this is also the duplicate-key check. Fast path for the audit's 100,000 events:
    without floats and characters beyond the BMP, sorted compact json.dumps is RFC 8785; any
    disagreement falls back to the canonicaliser, so the fast path never passes other bytes.
    """
    floats: list[str] = []

    def _float(text: str) -> float:
        floats.append(text)
        return float(text)

    value = json.loads(data, parse_int=_number, parse_float=_float)
    if (
        not floats
        and (data.isascii() or _ASTRAL.search(data) is None)
        and json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        == data
    ):
        return value, True
    try:
        return value, canonical_bytes(value) == data
    except (ValueError, TypeError, rfc8785.CanonicalizationError, RecursionError):
        return value, False


def is_canonical(data: bytes) -> bool:
    """True if data is exactly the RFC 8785 form of the JSON it holds."""
    try:
        return parse_canonical(data)[1]
    except (ValueError, RecursionError):
        return False
