"""Record commitments: what a `profiled` event signs about a text item's records.

`details["records"]` of the event: {"layout", "rule", "rule_version", "salt_scheme",
"secret_id", "count", "root"}: the layout detect() recognised, the splitting rule and its
version, how the salts are derived and from which secret (a name, not the secret), the number
of records and the salted tree's root (hex). Nothing drawn from a record
is signed there, so the event can travel with an excerpt without disclosing anything.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..profiles import DEFAULT_LIMITS
from ..profiles.detect import sniff_format
from .salts import SALT_SCHEME, ensure_secret, item_key, secret_id
from .split import RULE_VERSION, boundaries, rule_for
from .tree import root_of

# Bigger files are read whole into memory to be split: past this size no commitment is made.
MAX_COMMIT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Commitment:
    """The signed statement about an item's records."""

    layout: str
    rule: str
    rule_version: int
    count: int
    root: str
    secret_id: str
    salt_scheme: str = SALT_SCHEME

    def to_json(self) -> dict[str, Any]:
        """The form signed in details["records"]."""
        return {
            "layout": self.layout,
            "rule": self.rule,
            "rule_version": self.rule_version,
            "salt_scheme": self.salt_scheme,
            "secret_id": self.secret_id,
            "count": self.count,
            "root": self.root,
        }

    @classmethod
    def from_json(cls, value: object) -> Commitment | None:
        """From a signed event's details["records"]; None if it is not one we can use."""
        if not isinstance(value, Mapping):
            return None
        try:
            made = cls(
                str(value["layout"]),
                str(value["rule"]),
                value["rule_version"],
                value["count"],
                str(value["root"]),
                str(value["secret_id"]),
                str(value["salt_scheme"]),
            )
        except KeyError:
            return None
        if not isinstance(made.count, int) or not isinstance(made.rule_version, int):
            return None
        return made


@dataclass(frozen=True)
class Split:
    """An item's records and their salted leaves, ready for proofs."""

    data: bytes
    cuts: list[int]
    salts: list[bytes]
    leaves: list[bytes]

    def record(self, index: int) -> bytes:
        """Record index (0-based)."""
        return self.data[self.cuts[index] : self.cuts[index + 1]]


def layout_of(path: Path, original_name: str, media_type: str) -> str:
    """The format tag detect() gives the file (its splitting rule is keyed on it)."""
    return sniff_format(path, original_name, media_type, DEFAULT_LIMITS)


def split_item(data: bytes, rule: str, secret: bytes, item_sha256: str) -> Split:
    """Records, salts and salted leaves of an item's bytes."""
    cuts = boundaries(data, rule)
    key = item_key(secret, item_sha256)
    # salts.salt and tree.salted_leaf inlined (tests hold them equal): a 100,000-record export
    # makes these the commitment's hot loops
    sha256, view = hashlib.sha256, memoryview(data)
    salts = [sha256(key + i.to_bytes(8, "big")).digest() for i in range(len(cuts) - 1)]
    leaves = [
        sha256(b"\x00" + s + view[a:b]).digest()
        for s, (a, b) in zip(salts, itertools.pairwise(cuts), strict=True)
    ]
    return Split(data, cuts, salts, leaves)


def commit_bytes(data: bytes, layout: str, secret: bytes, item_sha256: str) -> Commitment | None:
    """The commitment to data read as layout; None for layouts that are not text records."""
    rule = rule_for(layout)
    if rule is None:
        return None
    return commitment_of(split_item(data, rule, secret, item_sha256), layout, rule, secret)


def commitment_of(split: Split, layout: str, rule: str, secret: bytes) -> Commitment:
    """The commitment an item's split gives."""
    root = root_of(split.leaves).hex()
    return Commitment(layout, rule, RULE_VERSION, len(split.leaves), root, secret_id(secret))


def commit_vault_file(
    vault_root: Path, path: Path, original_name: str, media_type: str, item_sha256: str
) -> dict[str, Any] | None:
    """What a `profiled` event signs in details["records"] for a vault file (the vault's
    excerpt secret made on first use); None for files that are not text records."""
    layout = _committable(path, original_name, media_type)
    if layout is None:
        return None  # the secret is not even read: an ingest of images asks per file
    made = commit_bytes(path.read_bytes(), layout, ensure_secret(vault_root), item_sha256)
    return None if made is None else made.to_json()


def commit_file(
    path: Path, original_name: str, media_type: str, secret: bytes, item_sha256: str
) -> Commitment | None:
    """The commitment to a vault file's records; None for files that are not text records
    (images, documents, zips) or are too big to split in memory."""
    layout = _committable(path, original_name, media_type)
    if layout is None:
        return None
    return commit_bytes(path.read_bytes(), layout, secret, item_sha256)


def _committable(path: Path, original_name: str, media_type: str) -> str | None:
    """The file's layout if its records are committed to (text records, small enough)."""
    layout = layout_of(path, original_name, media_type)
    if rule_for(layout) is None or path.stat().st_size > MAX_COMMIT_BYTES:
        return None
    return layout
