"""An append-only RFC 9162 Merkle tree: roots, inclusion and consistency proofs at any size.

`Tree` keeps every perfect subtree hash (level h holds the roots of the aligned 2^h-leaf
subtrees; about 2n hashes for n leaves), so an append costs O(1) hashes amortised and any root
or proof O(log^2 n) lookups, never a rebuild. `Frontier` is the compact form of a tree of one
size: the roots of its perfect subtrees, at most log2(n) + 1 hashes. A checkpoint signs its
frontier, so `audit --since-checkpoint` recomputes every later root from it and the new leaves
alone: O(new leaves + log n). `StreamedTree` is what the full audit reads the log into: told
beforehand which sizes the checkpoints name, it keeps only the frontier and the hashes those
sizes' roots, frontiers and consistency proofs need, O(log n) each, whatever the log's length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..merkle import EMPTY_ROOT, node_hash, split_point
from ..message import Message
from .proof import ProofError


@dataclass(frozen=True)
class Frontier:
    """A tree of `size` leaves as the roots of its perfect subtrees, largest (leftmost) first."""

    size: int
    hashes: tuple[bytes, ...]

    @classmethod
    def empty(cls) -> Frontier:
        """The frontier of the empty tree."""
        return cls(0, ())

    @classmethod
    def of(cls, size: int, hashes: Sequence[bytes]) -> Frontier:
        """A frontier read from outside; ProofError if it cannot be one for that size."""
        if size < 0 or len(hashes) != bin(size).count("1") or any(len(h) != 32 for h in hashes):
            raise ProofError(
                Message(
                    "frontier of {n} hashes cannot describe size {size}", n=len(hashes), size=size
                )
            )
        return cls(size, tuple(hashes))

    def root(self) -> bytes:
        """The tree's root hash (RFC 9162 MTH)."""
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r

    def extend(self, leaves: Iterable[bytes]) -> Frontier:
        """The frontier after appending leaf hashes."""
        # The perfect subtrees are the set bits of size: merge like binary addition.
        stack = list(self.hashes)
        size = self.size
        for leaf in leaves:
            h = leaf
            carry = size
            while carry & 1:
                h = node_hash(stack.pop(), h)
                carry >>= 1
            stack.append(h)
            size += 1
        return Frontier(size, tuple(stack))


class _Hashes:
    """One level of the tree: 32-byte hashes packed in one bytearray. A list of bytes objects
    costs about twice as much, and an audit holds every level of the whole log (2n hashes:
    64 MB at a million records instead of about 150)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes = b"") -> None:
        self._data = bytearray(data)

    def __len__(self) -> int:
        return len(self._data) >> 5

    def __getitem__(self, index: int) -> bytes:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index << 5
        return bytes(self._data[start : start + 32])

    def append(self, value: bytes) -> None:
        if len(value) != 32:
            raise ValueError("a tree hash is 32 bytes")
        self._data += value

    def parents(self) -> _Hashes:
        """The next level up: a node over each full pair."""
        data = self._data
        view = memoryview(data)
        out = bytearray()
        sha256 = hashlib.sha256
        for start in range(0, (len(data) >> 6) << 6, 64):
            out += sha256(b"\x01" + view[start : start + 64]).digest()
        return _Hashes(bytes(out))


class _Proofs:
    """RFC 9162 roots and proofs over `_hash(start, end)` = MTH(D[start:end]) of the ranges
    an RFC 9162 decomposition names; subclasses say how they know those hashes."""

    @property
    def size(self) -> int:
        """Number of leaves."""
        raise NotImplementedError

    def _hash(self, start: int, end: int) -> bytes:
        raise NotImplementedError

    def _check_size(self, size: int) -> None:
        if size < 0 or size > self.size:
            raise ProofError(
                Message(
                    "tree size {size} is beyond the {held} leaves held", size=size, held=self.size
                )
            )

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]); empty when size1 is 0 or equals size2."""
        size2 = self.size if size2 is None else size2
        self._check_size(size2)
        if not 0 <= size1 <= size2:
            raise ProofError(
                Message(
                    "no consistency proof from size {size1} to {size2}", size1=size1, size2=size2
                )
            )
        if size1 in (0, size2):
            return []
        out: list[bytes] = []
        start, end, m, whole = 0, size2, size1, True
        # SUBPROOF(m, D[start:end], whole), iteratively; nodes collected top-down.
        while m != end - start:
            k = split_point(end - start)
            if m <= k:
                out.append(self._hash(start + k, end))
                end = start + k
            else:
                out.append(self._hash(start, start + k))
                start += k
                m -= k
                whole = False
        if not whole:
            out.append(self._hash(start, end))
        return out[::-1]


class Tree(_Proofs):
    """An in-memory append-only tree over leaf hashes (32 bytes each)."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        # Built level by level (one pass per level), not leaf by leaf: an audit builds the
        # whole log this way.
        first = _Hashes()
        for leaf in leaves:
            first.append(leaf)
        self._levels: list[_Hashes] = [first]
        row = first
        while len(row) > 1:
            row = row.parents()
            self._levels.append(row)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """The leaf hash at index."""
        return self._levels[0][index]

    def append(self, leaf: bytes) -> int:
        """Add a leaf hash; returns its index."""
        index = len(self._levels[0])
        self._levels[0].append(leaf)
        level, n = 0, index + 1
        # Each completed pair at one level completes a node at the next.
        while n % 2 == 0:
            row = self._levels[level]
            if len(self._levels) == level + 1:
                self._levels.append(_Hashes())
            self._levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1
            n //= 2
        return index

    def _hash(self, start: int, end: int) -> bytes:
        # MTH(D[start:end]) for a range of an RFC 9162 decomposition (start aligned to the
        # largest power of two that fits): perfect pieces are looked up, the rest split.
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._levels[n.bit_length() - 1][start // n]
        k = split_point(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root hash at `size` leaves (default: all)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def frontier(self, size: int | None = None) -> Frontier:
        """The compact form of the tree at `size` leaves."""
        size = self.size if size is None else size
        self._check_size(size)
        hashes, start = [], 0
        for bit in reversed(range(size.bit_length())):
            width = 1 << bit
            if size & width:
                hashes.append(self._levels[bit][start // width])
                start += width
        return Frontier(size, tuple(hashes))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 2.1.3.1 PATH(index, D[0:size])."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ProofError(
                Message(
                    "leaf index {index} is outside a tree of size {size}", index=index, size=size
                )
            )
        out: list[bytes] = []
        start, end = 0, size
        # Descend towards the leaf; siblings are collected top-down, returned bottom-up.
        while end - start > 1:
            k = split_point(end - start)
            if index < start + k:
                out.append(self._hash(start + k, end))
                end = start + k
            else:
                out.append(self._hash(start, start + k))
                start += k
        return out[::-1]


class _Ranges(_Proofs):
    """A tree of `size` leaves that knows no hash: it notes which ranges a proof asks for."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.asked: set[tuple[int, int]] = set()

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    def _hash(self, start: int, end: int) -> bytes:
        self.asked.add((start, end))
        return b""


class StreamedTree(_Proofs):
    """A tree read once, leaf by leaf, that keeps only what was asked of it beforehand.

    An audit knows before it reads the log which sizes its checkpoints (and witnesses) name,
    and so which roots, frontiers and consistency proofs it will check. It keeps the frontier
    of the leaves read so far (at most log2(n) + 1 hashes) and, as the leaves stream, the
    frontier at each size named (`sizes`), the nodes each consistency proof between two
    named sizes needs (`pairs`), and for the proof from the last named size `open_from` to
    whatever size the log ends at, the nodes right of that size on its path: O(log n) hashes
    for each size named, whatever the number of leaves. The answers equal `Tree`'s; asking
    for anything else is a programming error (KeyError).
    """

    def __init__(
        self,
        sizes: Iterable[int] = (),
        pairs: Iterable[tuple[int, int]] = (),
        open_from: int | None = None,
    ) -> None:
        self._stack: list[bytes] = []  # the frontier's hashes, largest (leftmost) first
        self._size = 0
        self._sizes = set(sizes)
        self._frontiers: dict[int, Frontier] = {0: Frontier.empty()}
        self._wanted: dict[int, set[int]] = {}  # range end -> starts
        for size1, size2 in pairs:
            if 0 < size1 < size2:
                ranges = _Ranges(size2)
                ranges.consistency_proof(size1, size2)
                for start, end in ranges.asked:
                    self._wanted.setdefault(end, set()).add(start)
        self._open = open_from if open_from and open_from > 0 else None
        self._nodes: dict[tuple[int, int], bytes] = {}
        # The sizes at which a leaf must do more than extend the frontier.
        self._special = self._sizes | set(self._wanted)
        if self._open is not None:
            self._sizes.add(self._open)
            self._special.add(self._open)
            for level in range(64):
                width = 1 << level
                start = -(-self._open // width) * width  # the first multiple >= open
                if start % (2 * width) == width:
                    self._special.add(start + width)

    @property
    def size(self) -> int:
        """Number of leaves read."""
        return self._size

    def held(self) -> int:
        """How many hashes it holds: the frontier, the frontiers at the sizes named and the
        proof nodes kept (what its memory grows with)."""
        return (
            len(self._stack)
            + sum(len(f.hashes) for f in self._frontiers.values())
            + len(self._nodes)
        )

    def append(self, leaf: bytes) -> int:
        """Add the next leaf hash; returns its index."""
        index = self._size
        end = index + 1
        if end not in self._special:
            stack, h = self._stack, leaf
            while index & 1:
                h = node_hash(stack.pop(), h)
                index >>= 1
            stack.append(h)
            self._size = end
            return end - 1
        starts = self._wanted.get(end, set())
        h, width = leaf, 1
        carry = index
        while True:
            # h is the perfect subtree [end - width, end), complete now.
            start = end - width
            if start in starts or self._on_open_path(start, width):
                self._nodes[(start, end)] = h
            if not carry & 1:
                break
            h = node_hash(self._stack.pop(), h)
            width <<= 1
            carry >>= 1
        self._stack.append(h)
        self._size = end
        for start in starts:
            if (start, end) not in self._nodes:
                self._nodes[(start, end)] = self._tail(start)
        self._wanted.pop(end, None)
        if end in self._sizes:
            self._frontiers[end] = Frontier(end, tuple(self._stack))
            if end == self._open:
                for i, node in enumerate(self._frontier_ranges(end)):
                    self._nodes[node] = self._stack[i]
        return index

    def _on_open_path(self, start: int, width: int) -> bool:
        # A right child whose left sibling holds the last leaf of the open size: a node of
        # every consistency proof from that size to a later one.
        m = self._open
        return m is not None and start % (2 * width) == width and start - width < m <= start

    @staticmethod
    def _frontier_ranges(size: int) -> list[tuple[int, int]]:
        out, start = [], 0
        for bit in reversed(range(size.bit_length())):
            if size & (1 << bit):
                out.append((start, start + (1 << bit)))
                start += 1 << bit
        return out

    def _tail(self, start: int) -> bytes:
        # MTH(D[start:size]) from the frontier's last nodes, which must cover exactly it.
        covered, i = 0, len(self._stack)
        widths = [end - begin for begin, end in self._frontier_ranges(self._size)]
        while covered < self._size - start:
            i -= 1
            covered += widths[i]
        if covered != self._size - start:
            raise KeyError((start, self._size))
        return Frontier(covered, tuple(self._stack[i:])).root()

    def _hash(self, start: int, end: int) -> bytes:
        node = self._nodes.get((start, end))
        if node is not None:
            return node
        if end == self._size:
            return self._tail(start)
        raise KeyError((start, end))

    def root(self, size: int | None = None) -> bytes:
        """The root at `size` leaves (default: all read): a size named beforehand."""
        return self.frontier(size).root()

    def frontier(self, size: int | None = None) -> Frontier:
        """The frontier at `size` leaves (default: all read): a size named beforehand."""
        if size is None or size == self._size:
            return Frontier(self._size, tuple(self._stack))
        self._check_size(size)
        return self._frontiers[size]
