"""Canonical JSON (RFC 8785) and the SHA-256 of it: the only serialisation we sign or hash.

rfc8785 is the reference and handles everything; for the values our own bodies are made of it
is not needed. When a value holds only objects with string keys, arrays, strings without
surrogates or characters beyond U+FFFF, integers within +-(2**53 - 1), booleans, null and
floats that are not whole numbers with 1e-4 <= |x| < 1e16, the standard library's C JSON
encoder (sort_keys, no spaces, ensure_ascii off) writes exactly the RFC 8785 bytes, several
times faster:
- keys: RFC 8785 orders them by UTF-16 code units; for characters up to U+FFFF (no surrogates)
  that is code point order, which is how Python sorts strings;
- strings: both escape only the quote, the backslash and U+0000-U+001F (backspace, tab, line
  feed, form feed and carriage return by their two-character escapes, the others as u00xx in
  lower-case hex) and write every other character as UTF-8;
- integers in that range print the same digits as ECMAScript's Number-to-String;
- such floats too: Python's repr and ECMAScript both print the shortest digits that read back
  as the same double (the closest one on a tie), and both write them without an exponent in
  that range (repr switches to one below 1e-4 and from 1e16 on, ECMAScript below 1e-6 and
  from 1e21 on); whole-number floats differ ("5.0" against "5") and are left to rfc8785.
Anything else (another float, a larger integer, a non-BMP or surrogate character, another type) goes
to rfc8785, which also raises where the value cannot be canonical. tests/test_canonical.py
checks the two agree on generated values.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

SAFE_INT = 2**53 - 1
_BEYOND_BMP_OR_SURROGATE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
_ENCODE = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON-compatible value."""
    if _plain(value):
        return _ENCODE(value).encode()
    return bytes(rfc8785.dumps(value))


def _plain(value: Any) -> bool:
    """True if the C encoder's output for value is its RFC 8785 form (module docstring)."""
    stack = [value]
    while stack:
        v = stack.pop()
        kind = type(v)
        if kind is str:
            if not v.isascii() and _BEYOND_BMP_OR_SURROGATE.search(v):
                return False
        elif kind is dict:
            for key in v:
                if type(key) is not str or (
                    not key.isascii() and _BEYOND_BMP_OR_SURROGATE.search(key)
                ):
                    return False
            stack.extend(v.values())
        elif kind is list or kind is tuple:
            stack.extend(v)
        elif kind is int:
            if not -SAFE_INT <= v <= SAFE_INT:
                return False
        elif kind is float:
            if not 1e-4 <= abs(v) < 1e16 or v.is_integer():
                return False
        elif not (v is None or kind is bool):
            return False
    return True


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the canonical bytes of value."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def _number(text: str) -> int | float:
    value = int(text)
    return value if abs(value) <= SAFE_INT else float(value)


_DECODER = json.JSONDecoder(parse_int=_number)


def parse_json(data: bytes | str) -> Any:
    """JSON as RFC 8785 reads it: every number is a double, so integers beyond 2**53 are floats.

    Needed for round trips: the float 1e20 is canonicalised as `100000000000000000000`, which
    a plain json.loads returns as an int that rfc8785 then refuses to serialise.
    """
    # json.loads(data, parse_int=_number), without building a decoder on every call: the
    # custody report parses every event of a case through here.
    if isinstance(data, bytes | bytearray):
        data = data.decode(json.detect_encoding(data), "surrogatepass")
    elif data.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    return _DECODER.decode(data)


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


class _NotPlain(Exception):
    """A float, NaN or infinity met while parsing: the fast path does not decide those."""


def _not_plain(text: str) -> float:
    raise _NotPlain


# json's C scanner with hooks only for what the fast path leaves to rfc8785: numbers with a
# fraction or exponent, NaN and the infinities.
_PLAIN_DECODER = json.JSONDecoder(
    parse_int=_number, parse_float=_not_plain, parse_constant=_not_plain
)


def parse_canonical(data: bytes) -> tuple[Any, bool]:
    """The JSON in data (read as parse_json reads it), and whether data is exactly its RFC 8785
    form. Raises ValueError or RecursionError for text that is not JSON.

    Canonical bytes hold no key twice (the canonical form of the parsed value would hold it
    once), so this is also the duplicate-key check. Fast path for the audit's events: parsed
    once by json's C scanner, and where the text holds no float, NaN or infinity and no
    character beyond the BMP, compact sorted output of the C encoder is RFC 8785 (see
    canonical_bytes), so equal bytes are canonical. Anything else (a float, bytes that are
    not strict UTF-8, text that differs) takes the reference path.
    """
    try:
        value = _PLAIN_DECODER.decode(data.decode())
        if (data.isascii() or _ASTRAL.search(data) is None) and _ENCODE(value).encode() == data:
            return value, True
    except (_NotPlain, ValueError):
        pass
    return _parse_canonical_reference(data)


def _parse_canonical_reference(data: bytes) -> tuple[Any, bool]:
    value = parse_json(data)
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
