"""The Merkle code against transparency-dev/merkle's vectors, and proofs we make against them."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.merkle import leaf_hash, tree_head
from evidence.tlog import Frontier, ProofError, Tree, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parent.parent / "data" / "merkle"


def _files(kind: str) -> list[Path]:
    found = sorted((VECTORS / kind).rglob("*.json"))
    assert len(found) > 50, f"vectors missing under {VECTORS / kind}"
    return found


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("path", _files("inclusion"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    root, leaf = base64.b64decode(case["root"]), base64.b64decode(case["leafHash"])
    proof = _b64(case["proof"])
    # transparency-dev's leafIdx is 0-based, as ours.
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(case["leafIdx"], case["treeSize"], leaf, proof, root)
    else:
        verify_inclusion(case["leafIdx"], case["treeSize"], leaf, proof, root)


@pytest.mark.parametrize("path", _files("consistency"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        case["size1"],
        case["size2"],
        _b64(case["proof"]),
        base64.b64decode(case["root1"]),
        base64.b64decode(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_happy_vectors_are_the_proofs_we_make() -> None:
    # The vectors' tree is RFC 6962's 8 leaves; our generator must produce their happy paths.
    data = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    tree = Tree(leaf_hash(d) for d in data)
    checked = 0
    for path in _files("inclusion"):
        case = json.loads(path.read_text())
        if case["wantErr"] or case["treeSize"] > 8 or "additional" in path.parts:
            continue
        if base64.b64decode(case["root"]) != tree.root(case["treeSize"]):
            continue
        assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == _b64(case["proof"])
        checked += 1
    for path in _files("consistency"):
        case = json.loads(path.read_text())
        if case["wantErr"] or case["size2"] > 8 or "additional" in path.parts:
            continue
        if base64.b64decode(case["root2"]) != tree.root(case["size2"]):
            continue
        assert tree.consistency_proof(case["size1"], case["size2"]) == _b64(case["proof"])
        checked += 1
    assert checked >= 8


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_proofs_round_trip_and_roots_agree(n: int, data: st.DataObject) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    tree = Tree(leaves)
    size = data.draw(st.integers(1, n))
    assert tree.root(size) == tree_head_of(leaves[:size])
    assert tree.frontier(size).root() == tree.root(size)
    assert Frontier.empty().extend(leaves[:size]) == tree.frontier(size)
    index = data.draw(st.integers(0, size - 1))
    verify_inclusion(index, size, leaves[index], tree.inclusion_proof(index, size), tree.root(size))
    old = data.draw(st.integers(1, size))
    proof = tree.consistency_proof(old, size)
    verify_consistency(old, size, proof, tree.root(old), tree.root(size))
    # The same proof must not prove another leaf, another old root or another size.
    with pytest.raises(ProofError):
        verify_inclusion(
            index,
            size,
            hashlib.sha256(b"x").digest(),
            tree.inclusion_proof(index, size),
            tree.root(size),
        )
    if old < size:
        with pytest.raises(ProofError):
            verify_consistency(old, size, proof, hashlib.sha256(b"y").digest(), tree.root(size))


def tree_head_of(hashes: list[bytes]) -> bytes:
    """The reference root (evidence.merkle's recursive definition) over leaf hashes."""
    from evidence.merkle import root_of_hashes

    return root_of_hashes(hashes)


def test_tree_head_of_data_is_leaf_hashed() -> None:
    assert tree_head([b"a", b"b"]) == Tree([leaf_hash(b"a"), leaf_hash(b"b")]).root()


def test_frontier_of_wrong_length_is_refused() -> None:
    with pytest.raises(ProofError):
        Frontier.of(5, [b"\x00" * 32])
