"""The audit's streamed tree: the same roots, frontiers and consistency proofs as the whole tree
at every size named beforehand, while holding O(log n) hashes per size named."""

from __future__ import annotations

import base64
import hashlib
import json
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.merkle import leaf_hash
from evidence.tlog import StreamedTree, Tree, verify_consistency

from .test_vectors import _b64, _files


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def _streamed(leaves: list[bytes], sizes: list[int]) -> StreamedTree:
    """As the audit plans it: each named size, each consecutive pair, the last size open."""
    pairs = list(pairwise(sizes))
    tree = StreamedTree(sizes, pairs, sizes[-1] if sizes else None)
    for leaf in leaves:
        tree.append(leaf)
    return tree


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.lists(st.integers(0, 320), max_size=6), st.booleans())
def test_streamed_answers_equal_the_whole_tree(n: int, sizes: list[int], ordered: bool) -> None:
    if ordered:
        sizes = sorted(sizes)
    leaves = _leaves(n)
    whole, streamed = Tree(leaves), _streamed(leaves, sizes)
    assert streamed.size == n
    assert streamed.root() == whole.root() and streamed.frontier() == whole.frontier()
    for size in sizes:
        if size <= n:
            assert streamed.root(size) == whole.root(size)
            assert streamed.frontier(size) == whole.frontier(size)
    for size1, size2 in pairwise(sizes):
        if size1 <= size2 <= n:
            assert streamed.consistency_proof(size1, size2) == whole.consistency_proof(size1, size2)
    if sizes and sizes[-1] <= n:
        # From the last size named to whatever size the log ends at.
        assert streamed.consistency_proof(sizes[-1], n) == whole.consistency_proof(sizes[-1], n)


def test_vectors_through_the_streamed_tree() -> None:
    """transparency-dev's happy consistency vectors over RFC 6962's 8 leaves, asked of a tree
    that named only those sizes."""
    data = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43"]
    data += [bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
    leaves = [leaf_hash(d) for d in data]
    whole = Tree(leaves)
    checked = 0
    for path in _files("consistency"):
        case = json.loads(path.read_text())
        size1, size2 = case["size1"], case["size2"]
        if case["wantErr"] or size2 > 8 or "additional" in path.parts or not 0 < size1 < size2:
            continue
        if base64.b64decode(case["root2"]) != whole.root(size2):
            continue
        streamed = _streamed(leaves[:size2], [size1, size2])
        proof = streamed.consistency_proof(size1, size2)
        assert proof == _b64(case["proof"])
        verify_consistency(size1, size2, proof, streamed.root(size1), streamed.root(size2))
        open_ended = _streamed(leaves[:size2], [size1])  # size2 known only at the end
        assert open_ended.consistency_proof(size1, size2) == proof
        checked += 1
    assert checked >= 4


def test_memory_does_not_grow_with_the_leaves() -> None:
    """The hashes held are O(log n) for each size named: 40 checkpoints over 2^17 leaves hold
    fewer than 40 * 3 * 18 hashes (a whole tree: 2^18); eight times the leaves, not even
    one and a half times the hashes."""
    held = {}
    for bits in (14, 17):
        n = 1 << bits
        sizes = [n * k // 41 + k for k in range(1, 41)]
        tree = StreamedTree(sizes, list(pairwise(sizes)), sizes[-1])
        peak = 0
        for i in range(n + 777):
            tree.append(hashlib.sha256(i.to_bytes(4, "big")).digest())
            if i % 4096 == 0:
                peak = max(peak, tree.held())
        held[bits] = max(peak, tree.held())
        assert held[bits] < 40 * 3 * (bits + 1)
    assert held[17] < 1.5 * held[14]
