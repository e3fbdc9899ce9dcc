"""Merkle tree head over chain heads, as in RFC 9162 section 2.1.1 (Certificate Transparency v2).

Written by hand because it is twelve lines and no well-kept package exposes just this.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def tree_head(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the raw leaf data; the empty tree hashes the empty string."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(d) for d in leaves]
    return _root(level)


def _root(hashes: list[bytes]) -> bytes:
    # RFC 9162 2.1.1: split at k, the largest power of two smaller than n.
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _root(hashes[:k]) + _root(hashes[k:])).digest()
