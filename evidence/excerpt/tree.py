"""The salted record tree: RFC 9162 hashing over salted leaves, and multiproofs for excerpts.

Leaf i is H(0x00 || salt_i || record_i) (evidence.merkle.leaf_hash of salt || record); inner
nodes H(0x01 || left || right); the tree splits n leaves at the largest power of two below n
(RFC 9162 section 2.1.1), and the empty tree's hash is H(""). The salt keeps a recipient who
sees some leaves from confirming a guess of any other record.

A multiproof for a set of disclosed leaves lists, in one depth-first walk of that same split
(left before right), the hash of every largest subtree that holds no disclosed leaf. The
verifier walks the same split from (n, disclosed indices) alone, so the proof carries no
positions and any extra, missing or moved hash changes the root. Written by hand: no
maintained package offers RFC 9162 multiproofs, and the walk is the twenty lines below (the
standalone checker in docs/bundle.md repeats it with the standard library only).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..merkle import EMPTY_ROOT, leaf_hash, node_hash, split_point
from ..message import Message


class ProofError(ValueError):
    """A multiproof that does not fit the tree it claims (too few or too many hashes)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.wording = message  # the message, typed: its template and values for documents


def salted_leaf(salt: bytes, record: bytes) -> bytes:
    """H(0x00 || salt || record)."""
    return leaf_hash(salt + record)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The tree head over leaf hashes (already salted and hashed)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    # Bottom-up pairing gives the RFC 9162 tree too: an odd last node is carried up unpaired.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def multiproof(leaves: Sequence[bytes], disclosed: Sequence[int]) -> list[bytes]:
    """The hashes a verifier needs, besides the disclosed leaves, to rebuild the root."""
    wanted = sorted(set(disclosed))
    if not wanted or wanted[0] < 0 or wanted[-1] >= len(leaves):
        raise ValueError("disclosed records must be a non-empty set of indices inside the tree")
    proof: list[bytes] = []

    def walk(lo: int, hi: int, chosen: list[int]) -> None:
        if not chosen:
            proof.append(root_of(leaves[lo:hi]))
        elif hi - lo > 1:
            mid = lo + split_point(hi - lo)
            walk(lo, mid, [i for i in chosen if i < mid])
            walk(mid, hi, [i for i in chosen if i >= mid])

    walk(0, len(leaves), wanted)
    return proof


def root_from_proof(count: int, disclosed: dict[int, bytes], proof: Sequence[bytes]) -> bytes:
    """The root that disclosed leaf hashes (index -> hash) and a multiproof give; ProofError
    when the proof has too few or too many hashes for a tree of count leaves."""
    if not disclosed or min(disclosed) < 0 or max(disclosed) >= count:
        raise ProofError(
            Message("disclosed record numbers lie outside a tree of {count} records", count=count)
        )
    hashes = iter(proof)

    def walk(lo: int, hi: int, chosen: list[int]) -> bytes:
        if not chosen:
            value = next(hashes, None)
            if value is None:
                raise ProofError(Message("the proof has too few hashes"))
            return value
        if hi - lo == 1:
            return disclosed[lo]
        mid = lo + split_point(hi - lo)
        left = walk(lo, mid, [i for i in chosen if i < mid])
        return node_hash(left, walk(mid, hi, [i for i in chosen if i >= mid]))

    root = walk(0, count, sorted(disclosed))
    if next(hashes, None) is not None:
        raise ProofError(Message("the proof has more hashes than the tree needs"))
    return root
