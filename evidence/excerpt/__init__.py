"""Excerpts: part of a text item, proved byte for byte against salted record commitments.

`split` cuts an item's bytes into records by a versioned rule keyed on its layout; `salts`
keeps the vault's excerpt secret and derives each record's salt; `tree` hashes salted records
into an RFC 9162 tree and proves any subset of them (multiproof); `commit` is what a
`profiled` event signs about an item's records.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Names are handed on when first asked for (PEP 562): commit imports the parsers (hundreds of
# patterns), and the custody report needs only excerpt.sent, which reads the chains.
_WHERE = {
    "Commitment": "commit",
    "ProofError": "tree",
    "RULE_VERSION": "split",
    "Split": "commit",
    "boundaries": "split",
    "commit_bytes": "commit",
    "commit_file": "commit",
    "commit_vault_file": "commit",
    "ensure_secret": "salts",
    "layout_of": "commit",
    "multiproof": "tree",
    "read_secret": "salts",
    "records": "split",
    "root_from_proof": "tree",
    "root_of": "tree",
    "rule_for": "split",
    "salted_leaf": "tree",
    "same_records": "commit",
    "secret_path": "salts",
    "split_item": "commit",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
