"""Record commitments: what a `profiled` event signs about a text item's records.

`details["records"]` of the event: {"layout", "rule", "rule_version", "salt_scheme",
"secret_id", "count", "root"}: the layout detect() recognised, the splitting rule and its
version, how the salts are derived and from which secret (a name, not the secret), the number
of records and the salted tree's root (hex); for a zipped chat export (rule version 2) also
"members": [{"name_sha256", "sha256", "size", "records"}], the zip members whose text was split
(evidence.excerpt.source). Nothing drawn from a record is signed there, so the event can travel
with an excerpt without disclosing anything. An empty file commits to zero records (layout
"empty", the empty tree's root).
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
from .source import Member, Source, SourceError, member_json_ok, read_source
from .split import EMPTY, RULE_VERSION, ZIPPED, boundaries, rule_for
from .tree import root_of


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
    members: tuple[dict[str, Any], ...] = ()  # Member.to_json() of a zip's split members

    def to_json(self) -> dict[str, Any]:
        """The form signed in details["records"]."""
        made: dict[str, Any] = {
            "layout": self.layout,
            "rule": self.rule,
            "rule_version": self.rule_version,
            "salt_scheme": self.salt_scheme,
            "secret_id": self.secret_id,
            "count": self.count,
            "root": self.root,
        }
        if self.members:
            made["members"] = [dict(m) for m in self.members]
        return made

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
                tuple(value.get("members", ())),
            )
        except (KeyError, TypeError):
            return None
        if not isinstance(made.count, int) or not isinstance(made.rule_version, int):
            return None
        if "members" in value and not (made.members and all(map(member_json_ok, made.members))):
            return None
        return made

    def summary(self, wide: bool = False) -> str:
        """One line for people: "40 records (whatsapp, rule v2), root 3f9a0c2e1b7d…" (the
        whole root when wide)."""
        part = "" if not self.members else f" of {len(self.members)} zip member(s)"
        root = self.root if wide else self.root[:12] + "…"
        return f"{self.count:,} records{part} ({self.rule}, rule v{self.rule_version}), root {root}"

    def same_cut(self, other: Commitment) -> bool:
        """Whether other commits to the same records the same way, whatever rule version
        each names (a new version that keeps a layout's rule changes nothing for it)."""
        return self.to_json() | {"rule_version": 0} == other.to_json() | {"rule_version": 0}


@dataclass(frozen=True)
class Split:
    """An item's records and their salted leaves, ready for proofs."""

    data: bytes
    cuts: list[int]
    salts: list[bytes]
    leaves: list[bytes]
    counts: tuple[int, ...] = ()  # records of each part (zip member), in order

    def record(self, index: int) -> bytes:
        """Record index (0-based)."""
        return self.data[self.cuts[index] : self.cuts[index + 1]]


def same_records(new: Mapping[str, Any] | None, old: object) -> bool:
    """Whether a commitment made now (new) says what a signed one (old) says, whatever rule
    version each names: re-profiling then signs nothing new, and recorded excerpts stay good."""
    if new == old:
        return True
    made, signed = Commitment.from_json(new), Commitment.from_json(old)
    return made is not None and signed is not None and made.same_cut(signed)


def layout_of(path: Path, original_name: str, media_type: str) -> str:
    """The format tag detect() gives the file (its splitting rule is keyed on it)."""
    return sniff_format(path, original_name, media_type, DEFAULT_LIMITS)


def split_parts(parts: tuple[bytes, ...], rule: str) -> tuple[bytes, list[int], list[int]]:
    """The parts joined, the record cuts over them (no record spans two parts), and each
    part's record count."""
    if len(parts) == 1:
        cuts = boundaries(parts[0], rule)
        return parts[0], cuts, [len(cuts) - 1]
    cuts, counts, at = [0], [], 0
    for part in parts:
        mine = boundaries(part, rule)
        cuts += [at + c for c in mine[1:]]
        counts.append(len(mine) - 1)
        at += len(part)
    return b"".join(parts), cuts, counts


def split_item(
    data: bytes | tuple[bytes, ...], rule: str, secret: bytes, item_sha256: str
) -> Split:
    """Records, salts and salted leaves of an item's bytes (or of its zip members' bytes)."""
    data, cuts, counts = split_parts(data if isinstance(data, tuple) else (data,), rule)
    key = item_key(secret, item_sha256)
    # salts.salt and tree.salted_leaf inlined (tests hold them equal): a 100,000-record export
    # makes these the commitment's hot loops
    sha256, view = hashlib.sha256, memoryview(data)
    salts = [sha256(key + i.to_bytes(8, "big")).digest() for i in range(len(cuts) - 1)]
    leaves = [
        sha256(b"\x00" + s + view[a:b]).digest()
        for s, (a, b) in zip(salts, itertools.pairwise(cuts), strict=True)
    ]
    return Split(data, cuts, salts, leaves, tuple(counts))


def commit_bytes(
    data: bytes,
    layout: str,
    secret: bytes,
    item_sha256: str,
    version: int = RULE_VERSION,
) -> Commitment | None:
    """The commitment to data read as layout; None for layouts that are not text records."""
    return commit_source(Source((data,)), layout, secret, item_sha256, version)


def commit_source(
    source: Source, layout: str, secret: bytes, item_sha256: str, version: int = RULE_VERSION
) -> Commitment | None:
    """The commitment to a source's records under a rule version; None for layouts that are
    not text records under it."""
    made = commit_split(source, layout, secret, item_sha256, version)
    return None if made is None else made[0]


def commit_split(
    source: Source, layout: str, secret: bytes, item_sha256: str, version: int = RULE_VERSION
) -> tuple[Commitment, Split] | None:
    """The commitment to a source's records and the split it was made from (None as in
    commit_source)."""
    rule = rule_for(layout, version)
    if rule is None:
        return None
    split = split_item(source.parts, rule, secret, item_sha256)
    # a plain file is one part and no member
    counts = split.counts if source.members else ()
    members = tuple(
        Member(m.name, m.sha256, m.size, n).to_json()
        for m, n in zip(source.members, counts, strict=True)
    )
    return commitment_of(split, layout, rule, secret, version, members), split


def recommit(
    path: Path, signed: Commitment, secret: bytes, item_sha256: str, data: bytes | None = None
) -> tuple[Commitment, Split] | None:
    """The commitment a vault file gives under the layout and rule version a signed one names
    (data: the file's bytes, when already read), with its split; None when the file is too big,
    or the layout is not text under that version. SourceError: a zip's text is unreadable."""
    if signed.layout in ZIPPED:
        source = read_source(path, signed.layout)
    else:
        source = Source((path.read_bytes() if data is None else data,))
    if source is None:
        return None
    return commit_split(source, signed.layout, secret, item_sha256, signed.rule_version)


def commitment_of(
    split: Split,
    layout: str,
    rule: str,
    secret: bytes,
    version: int = RULE_VERSION,
    members: tuple[dict[str, Any], ...] = (),
) -> Commitment:
    """The commitment an item's split gives."""
    root = root_of(split.leaves).hex()
    count = len(split.leaves)
    return Commitment(layout, rule, version, count, root, secret_id(secret), members=members)


def commit_vault_file(
    vault_root: Path,
    path: Path,
    original_name: str,
    media_type: str,
    item_sha256: str,
    *,
    sniffed: str | None = None,
) -> dict[str, Any] | None:
    """What a `profiled` event signs in details["records"] for a vault file (the vault's
    excerpt secret made on first use); None for files that are not text records.

    sniffed: the format tag sniff_format gave for these arguments, if the caller has it.
    """
    if sniffed is not None and path.stat().st_size != 0:
        layout = sniffed
    else:
        layout = _layout(path, original_name, media_type)
    if rule_for(layout) is None:
        return None  # the secret is not even read: an ingest of images asked once per file
    made = _commit(path, layout, ensure_secret(vault_root), item_sha256)
    return None if made is None else made.to_json()


def commit_file(
    path: Path, original_name: str, media_type: str, secret: bytes, item_sha256: str
) -> Commitment | None:
    """The commitment to a vault file's records; None for files that are not text records
    (images, documents, zips other than chat exports, chat zips whose text cannot be read) or
    are too big to split in memory."""
    return _commit(path, _layout(path, original_name, media_type), secret, item_sha256)


def _layout(path: Path, original_name: str, media_type: str) -> str:
    return EMPTY if path.stat().st_size == 0 else layout_of(path, original_name, media_type)


def _commit(path: Path, layout: str, secret: bytes, item_sha256: str) -> Commitment | None:
    if rule_for(layout) is None:
        return None
    try:
        source = read_source(path, layout)
    except SourceError:
        return None  # the profile says what is wrong with the zip
    if source is None:
        return None
    return commit_source(source, layout, secret, item_sha256)
