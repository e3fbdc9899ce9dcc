"""Canonical JSON (RFC 8785) and the Merkle tree head (RFC 9162)."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from evidence.canonical import canonical_bytes, canonical_sha256, is_canonical
from evidence.merkle import tree_head

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_canonical_round_trip(value: object) -> None:
    data = canonical_bytes(value)
    assert json.loads(data) == value
    assert canonical_bytes(json.loads(data)) == data
    assert is_canonical(data)


# Everything JSON can hold and a bit more: floats, integers beyond 2**53, characters beyond the
# BMP (whose UTF-16 order differs from code point order), lone surrogates, control characters.
any_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(1e-5, 1e17)
    | st.floats(-1e17, -1e-5)
    | st.text()
    | st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)),
    lambda children: (
        st.lists(children)
        | st.tuples(children, children)
        | st.dictionaries(st.text(st.characters(max_codepoint=0x10FFFF)), children)
    ),
    max_leaves=25,
)


def _reference(value: object) -> bytes | type[Exception]:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        return type(exc)


@given(any_values)
def test_fast_path_equals_rfc8785(value: object) -> None:
    expected = _reference(value)
    if isinstance(expected, bytes):
        assert canonical_bytes(value) == expected
    else:
        with pytest.raises(expected):
            canonical_bytes(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # UTF-16 puts the emoji first, code points the other
        {"a": '\x00\x1f\x7f\u2028"\\/\b\f\n\r\t'},
        [2**53 - 1, -(2**53) + 1, 0, True, False, None],
        {"f": 1e21, "g": 0.1, "h": 5e-7, "i": -0.0, "j": 5.0, "k": 1e-4, "l": 9.999999999999999e15},
        [0.00010000000000000002, 1234.5678, -2.2250738585072014e-4, 1e16 - 0.5, 0.3],
        "\ud800",
        2**53,
        {1: 2},
    ],
)
def test_fast_path_edges(value: object) -> None:
    expected = _reference(value)
    if isinstance(expected, bytes):
        assert canonical_bytes(value) == expected
    else:
        with pytest.raises(expected):
            canonical_bytes(value)


def test_rfc8785_key_order_and_escapes() -> None:
    assert canonical_bytes({"b": 1, "a": "é\n"}) == '{"a":"é\\n","b":1}'.encode()
    assert not is_canonical(b'{"b":1,"a":2}')
    assert not is_canonical(b'{"a": 1}')
    assert not is_canonical(b"not json")
    assert len(canonical_sha256({"a": 1})) == 64


def test_merkle_tree_head_matches_rfc6962_vectors() -> None:
    # Test vectors of the Certificate Transparency reference implementation (RFC 6962/9162).
    leaves = [
        bytes.fromhex(x)
        for x in [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
    ]
    expected = {
        0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    }
    for n, root in expected.items():
        assert tree_head(leaves[:n]).hex() == root


@pytest.mark.parametrize(
    ("data", "canonical"),
    [
        (b'{"a":1,"b":"x"}', True),
        (b'{"a":0.5}', True),
        (b'{"a":1e+16}', False),  # repr's form; RFC 8785 writes 10000000000000000
        (b'{"a":10000000000000000}', True),  # read as a double, as RFC 8785 reads it
        (b'{"a":NaN}', False),
        (b'{"a":9007199254740993}', False),
        (b"\xef\xbb\xbf{}", False),  # a byte-order mark
        (b'{"a":"\xed\xa0\x80"}', False),  # an encoded surrogate: not strict UTF-8
        (b'{"\xf0\x9f\x98\x80":1,"\xee\x80\x80":2}', True),  # UTF-16 order
        (b'{"\xee\x80\x80":2,"\xf0\x9f\x98\x80":1}', False),
    ],
)
def test_is_canonical_fast_path_edges(data: bytes, canonical: bool) -> None:
    assert is_canonical(data) is canonical


@given(any_values)
def test_parse_canonical_agrees_with_the_reference(value: object) -> None:
    try:
        data = bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return
    assert is_canonical(data)
    assert not is_canonical(b" " + data) and not is_canonical(data + b"\n")
