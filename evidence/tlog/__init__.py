"""The append-only log: RFC 9162 trees and proofs, and the C2SP formats that carry them
(signed notes, tlog-checkpoint, tlog-cosignature, tlog-proof)."""

from .proof import ProofError, root_from_inclusion, verify_consistency, verify_inclusion
from .tree import Frontier, StreamedTree, Tree

__all__ = [
    "Frontier",
    "ProofError",
    "StreamedTree",
    "Tree",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]
