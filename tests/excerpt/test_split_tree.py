"""Record splitting and the salted tree: every split re-assembles its file; proofs of any
subset rebuild the root on empty, one-record, odd and power-of-two trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.excerpt import (
    ProofError,
    boundaries,
    layout_of,
    multiproof,
    records,
    root_from_proof,
    root_of,
    rule_for,
    salted_leaf,
)
from evidence.excerpt.split import CSV_ROWS, JSON_ARRAYS, LINE, WHATSAPP
from evidence.merkle import leaf_hash, tree_head
from tests.helpers import DATA

ROOT = Path(__file__).parents[2]
TEXT_FILES = sorted(
    p
    for folder in (DATA / "profiles", ROOT / "demo" / "sample-evidence")
    for p in folder.rglob("*")
    if p.is_file() and p.suffix.lower() in (".txt", ".json", ".csv", ".html", ".jsonl", ".tsv")
)


def test_there_are_files_of_every_rule() -> None:
    rules = {rule_for(layout_of(p, p.name, "")) for p in TEXT_FILES}
    assert {WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE} <= rules


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_layout_reassembles(path: Path) -> None:
    data = path.read_bytes()
    rule = rule_for(layout_of(path, path.name, "")) or LINE
    parts = records(data, rule)
    assert b"".join(parts) == data
    assert all(parts)  # no empty record


def test_whatsapp_message_keeps_its_continuation_lines() -> None:
    data = (
        "\ufeffpreamble line\n"
        "02.11.2026, 14:03 - Андрей: Привет\n"
        "вторая строка\n"
        "99.99.9999 is not a header line\n"
        "[02.11.26, 14:04:33] Олег: ok"
    ).encode()
    assert records(data, WHATSAPP) == [
        "\ufeffpreamble line\n".encode(),
        (
            "02.11.2026, 14:03 - Андрей: Привет\nвторая строка\n99.99.9999 is not a header line\n"
        ).encode(),
        "[02.11.26, 14:04:33] Олег: ok".encode(),
    ]


def test_telegram_one_record_per_message() -> None:
    export = {
        "name": "Кулешов",
        "type": "personal_chat",
        "messages": [
            {"id": 1, "text": 'a ] } [ { " , messages'},
            {"id": 2, "text": ["x", {"type": "link", "text": "y"}]},
        ],
    }
    data = json.dumps(export, ensure_ascii=False, indent=1).encode()
    parts = records(data, JSON_ARRAYS)
    assert b"".join(parts) == data
    assert len(parts) == 4  # head, two messages, tail
    assert parts[1].startswith(b'{\n   "id": 1') and parts[1].rstrip().endswith(b"},")
    assert parts[2].startswith(b'{\n   "id": 2') and parts[3].lstrip().startswith(b"]")


def test_csv_row_with_quoted_line_break_is_one_record() -> None:
    data = b'date;amount;note\n2026-11-02;100;"two\nlines"\n2026-11-03;5;""""\n'
    assert records(data, CSV_ROWS) == [
        b"date;amount;note\n",
        b'2026-11-02;100;"two\nlines"\n',
        b'2026-11-03;5;""""\n',
    ]


def test_empty_file_has_no_records() -> None:
    for rule in (WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE):
        assert records(b"", rule) == []
        assert boundaries(b"", rule) == [0]


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(alphabet='[]{}",:\\\n 0123456789./-aм\r', max_size=300).map(str.encode),
    st.sampled_from([WHATSAPP, JSON_ARRAYS, CSV_ROWS, LINE]),
)
def test_any_bytes_reassemble(data: bytes, rule: str) -> None:
    cuts = boundaries(data, rule)
    assert cuts == sorted(set(cuts)) and cuts[0] == 0 and cuts[-1] == len(data)
    assert b"".join(records(data, rule)) == data


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_root_is_rfc9162(n: int) -> None:
    data = [f"record {i}".encode() for i in range(n)]
    # with empty salts the tree is exactly evidence.merkle's RFC 9162 tree head
    assert root_of([leaf_hash(d) for d in data]) == tree_head(data)
    assert root_of([salted_leaf(b"", d) for d in data]) == tree_head(data)


def test_empty_tree_root() -> None:
    assert root_of([]) == tree_head([])
    with pytest.raises(ValueError):
        multiproof([], [0])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 16, 31])
def test_every_subset_proves(n: int) -> None:
    leaves = [salted_leaf(bytes([i]) * 32, f"r{i}".encode()) for i in range(n)]
    root = root_of(leaves)
    subsets = [[i] for i in range(n)] + [list(range(n)), [0, n - 1], list(range(0, n, 3))]
    for chosen in subsets:
        proof = multiproof(leaves, chosen)
        assert root_from_proof(n, {i: leaves[i] for i in chosen}, proof) == root
        if len(chosen) == n:
            assert proof == []


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 70).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1))
    )
)
def test_random_subsets_prove_and_tampering_fails(case: tuple[int, set[int]]) -> None:
    n, chosen = case
    leaves = [salted_leaf(b"s%d" % i, b"r%d" % i) for i in range(n)]
    root = root_of(leaves)
    proof = multiproof(leaves, sorted(chosen))
    assert root_from_proof(n, {i: leaves[i] for i in chosen}, proof) == root
    if proof:
        bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
        assert root_from_proof(n, {i: leaves[i] for i in chosen}, bad) != root
        with pytest.raises(ProofError, match="too few"):
            root_from_proof(n, {i: leaves[i] for i in chosen}, proof[:-1])
    with pytest.raises(ProofError, match="more hashes"):
        root_from_proof(n, {i: leaves[i] for i in chosen}, [*proof, root])


def test_a_record_moved_changes_the_root() -> None:
    leaves = [salted_leaf(b"s%d" % i, b"r%d" % i) for i in range(10)]
    root = root_of(leaves)
    proof = multiproof(leaves, [3])
    assert root_from_proof(10, {4: leaves[3]}, multiproof(leaves, [4])) != root
    with pytest.raises(ProofError):
        root_from_proof(9, {3: leaves[3]}, proof + proof)
    with pytest.raises(ProofError, match="outside"):
        root_from_proof(10, {10: leaves[3]}, proof)
