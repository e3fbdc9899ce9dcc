"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, section 2.1.1.

`leaf_hash`, `node_hash` and `tree_head` are public and stable: the chain-head checkpoints, the
append-only log (`evidence.tlog`) and excerpt proofs all hash with them. Written by hand
because it is a few lines and no well-kept package exposes just this.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_head(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the raw leaf data; the empty tree hashes the empty string."""
    if not leaves:
        return EMPTY_ROOT
    return root_of_hashes([leaf_hash(d) for d in leaves])


def root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaves given by their leaf hashes (at least one)."""
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = split_point(n)
    return node_hash(root_of_hashes(hashes[:k]), root_of_hashes(hashes[k:]))
