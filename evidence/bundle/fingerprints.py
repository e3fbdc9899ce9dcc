"""Certificate fingerprints as a recipient types or pastes them, and as openssl prints them.

Light to import: `custody verify` checks its command line before it starts hashing, and the
signature checks are loaded meanwhile."""

from __future__ import annotations

import re

from ..errors import UsageError

_FINGERPRINT_PREFIX = re.compile(
    r"^\s*(?:(?:sha-?256|sha2-256)\s*)?(?:fingerprint)?\s*[=:]?\s*", re.IGNORECASE
)


def parse_fingerprint(text: str, option: str = "--fingerprint") -> str:
    """A SHA-256 fingerprint as a recipient may type or paste it, as 64 lowercase hex digits.

    Accepted: hex with or without colons, spaces, dashes or line breaks (the two halves of the
    cover sheet), and openssl's `sha256 Fingerprint=AB:CD:...`. Anything else is a UsageError
    (a mistyped value is not a failed verification).
    """
    body = _FINGERPRINT_PREFIX.sub("", text, count=1)
    digits = re.sub(r"[\s:\-]", "", body).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        shown = " ".join(text.split())[:100]
        found = len(re.sub(r"[^0-9a-fA-F]", "", body))
        raise UsageError(
            f"{option} {shown!r} is not a SHA-256 fingerprint ({found} hex digits, 64 needed)",
            "give all 64 hex digits (a short form such as the 16 of a key id is not enough),"
            " e.g. 3f2a...c9 or 3F:2A:...:C9, as the letter, protocol or `custody init` give it",
        )
    return digits


def colon_fingerprint(fingerprint: str) -> str:
    """A hex fingerprint the way `openssl x509 -fingerprint` prints it: AB:CD:..."""
    return ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)).upper()
