"""Verifying RFC 9162 inclusion and consistency proofs (sections 2.1.3.2 and 2.1.4.2).

Pure functions over hashes: the witness, the audit and the bundle verifier call them; they raise
`ProofError` (a verification failure naming what did not hold) and return None on success.
Written by hand: the algorithms are a page of the RFC, and no maintained Python package
implements them over plain bytes (the shared transparency-dev vectors test them).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import Finding, VerificationError, Worded
from ..merkle import node_hash
from ..message import Message


class ProofError(Worded, VerificationError):
    """A Merkle proof did not verify."""

    def __init__(self, message: Message, subject: str = "proof") -> None:
        super().__init__(message, [Finding("log", subject, message)])
        self.wording = message  # the message, typed: its template and values for documents


def _check_hashes(proof: Sequence[bytes]) -> None:
    if any(len(p) != 32 for p in proof):
        raise ProofError(Message("a hash in the proof, leaf or root is not 32 bytes"))


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to from leaf hash `leaf` at `index` of a `size` tree."""
    # 1. The index must lie inside the tree.
    if index < 0 or index >= size:
        raise ProofError(
            Message("leaf index {index} is outside a tree of size {size}", index=index, size=size)
        )
    _check_hashes([leaf, *proof])
    # 2.-3. Walk from the leaf up, the proof giving each sibling (RFC 9162 2.1.3.2).
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(Message("inclusion proof is longer than the tree is deep"))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 4. The whole path was walked.
    if sn != 0:
        raise ProofError(Message("inclusion proof is shorter than the tree is deep"))
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` proves leaf hash `leaf` at `index` in the tree `root`."""
    _check_hashes([root])
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(
            Message(
                "inclusion proof of leaf {index} does not lead to the root of {size}",
                index=index,
                size=size,
            )
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless `proof` proves the tree (size2, root2) extends (size1, root1).

    As transparency-dev/merkle: equal sizes need an empty proof and equal roots; an empty
    first tree has no proof here (the witness protocol treats old size 0 on its own).
    """
    _check_hashes(proof)
    if size1 < 0 or size2 < size1:
        raise ProofError(
            Message(
                "tree size {size2} is smaller than {size1}: a rollback", size2=size2, size1=size1
            )
        )
    if size1 == 0:
        raise ProofError(Message("no consistency proof exists from an empty tree"))
    if size1 == size2:
        if proof:
            raise ProofError(Message("consistency proof between equal sizes must be empty"))
        if root1 != root2:
            raise ProofError(
                Message("two different roots for tree size {size1}: a fork", size1=size1)
            )
        return
    if not proof:
        raise ProofError(Message("consistency proof is empty"))
    # 1. If size1 is a power of two, the old root is the proof's implicit first node.
    nodes = list(proof)
    if size1 & (size1 - 1) == 0:
        nodes.insert(0, root1)
    # 2. fn, sn: the last leaves of the two trees; skip the levels where fn is a right child.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 3. fr rebuilds the old root, sr the new one (RFC 9162 2.1.4.2).
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise ProofError(Message("consistency proof is longer than the trees are deep"))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 4. Both roots rebuilt and the whole path walked.
    if sn != 0:
        raise ProofError(Message("consistency proof is shorter than the trees are deep"))
    if fr != root1:
        raise ProofError(
            Message("consistency proof does not lead to the root of tree size {size1}", size1=size1)
        )
    if sr != root2:
        raise ProofError(
            Message("consistency proof does not lead to the root of tree size {size2}", size2=size2)
        )
