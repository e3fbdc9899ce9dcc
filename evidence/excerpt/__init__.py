"""Excerpts: part of a text item, proved byte for byte against salted record commitments.

`split` cuts an item's bytes into records by a versioned rule keyed on its layout; `salts`
keeps the vault's excerpt secret and derives each record's salt; `tree` hashes salted records
into an RFC 9162 tree and proves any subset of them (multiproof); `commit` is what a
`profiled` event signs about an item's records.
"""

from .commit import (
    Commitment,
    Split,
    commit_bytes,
    commit_file,
    commit_vault_file,
    layout_of,
    same_records,
    split_item,
)
from .salts import ensure_secret, read_secret, secret_path
from .split import RULE_VERSION, boundaries, records, rule_for
from .tree import ProofError, multiproof, root_from_proof, root_of, salted_leaf

__all__ = [
    "RULE_VERSION",
    "Commitment",
    "ProofError",
    "Split",
    "boundaries",
    "commit_bytes",
    "commit_file",
    "commit_vault_file",
    "ensure_secret",
    "layout_of",
    "multiproof",
    "read_secret",
    "records",
    "root_from_proof",
    "root_of",
    "rule_for",
    "salted_leaf",
    "same_records",
    "secret_path",
    "split_item",
]
