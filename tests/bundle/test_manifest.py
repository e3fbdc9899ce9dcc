"""Manifest: canonical round trips (floats from exiftool included) and reading hostile input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.bundle.manifest import read_manifest
from evidence.canonical import canonical_bytes, parse_json
from evidence.errors import UsageError
from tests.bundle.bundle_support import REQUEST, Built

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_round_trip_is_stable(value: Any) -> None:
    """What a recipient parses and re-serialises is byte-identical to what was signed."""
    data = canonical_bytes(value)
    assert canonical_bytes(parse_json(data)) == data


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_survive_the_ledger_and_the_manifest(x: float) -> None:
    # Metadata goes json.dumps -> ledger -> json.loads -> canonical -> manifest -> json.loads.
    through_ledger = json.loads(json.dumps({"GPS": x}))
    data = canonical_bytes(through_ledger)
    assert canonical_bytes(parse_json(data)) == data
    assert parse_json(data)["GPS"] == x


def test_exiftool_floats_reach_the_manifest_unchanged(bag: Path) -> None:
    manifest = json.loads((bag / "manifest.json").read_bytes())
    floats = [
        v for item in manifest["items"] for v in item["metadata"].values() if isinstance(v, float)
    ]
    assert floats, "the GPS test image carries float metadata"
    assert read_manifest((bag / "manifest.json").read_bytes())[1] == []


def _problems(data: bytes) -> list[str]:
    manifest, findings = read_manifest(data)
    assert manifest is None
    return [f"{f.check}: {f.message}" for f in findings]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1,2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "not"),
        (b'{"schema":"evidence-manifest/1","x":' + b"9" * 5000 + b"}", "not JSON"),
        (b'{"schema":"evidence-manifest/1","x":NaN}', "not canonical"),
        (b'{"schema":"evidence-manifest/1","schema":"evidence-manifest/1"}', "not canonical"),
        (b'{"schema": "evidence-manifest/1"}', "not canonical"),
        (b'{"schema":"evidence-manifest/9"}', "unknown schema version 'evidence-manifest/9'"),
        (b'{"schema":null}', "unknown schema version None"),
        (
            b'{"schema":"evidence-manifest/1"}',
            "manifest.schema: (root): 'manifest_id' is a required",
        ),
    ],
)
def test_hostile_manifests_are_named_not_crashed(data: bytes, expected: str) -> None:
    assert any(expected in p for p in _problems(data)), _problems(data)


@pytest.mark.parametrize("x", [2.0**53, 1e20, -1e21, 1e300, 5e-324, 0.1 + 0.2, -0.0])
def test_float_edge_cases_read_back_as_canonical(x: float) -> None:
    """Integral floats beyond 2**53 print without a fraction; they must still read back."""
    data = canonical_bytes({"schema": "evidence-manifest/1", "x": x})
    assert not any("canonical" in p for p in _problems(data))


def test_real_manifest_reads_back(built: Built, bag: Path) -> None:
    manifest, findings = read_manifest((bag / "manifest.json").read_bytes())
    assert findings == [] and manifest is not None
    assert manifest["manifest_id"] == built.result.manifest_id


@pytest.mark.parametrize(
    ("field", "value", "option"),
    [
        ("requested_state", "Russia", "--requested-state"),
        ("requested_state", "ru", "--requested-state"),
        ("date", "2026-13-01", "--request-date"),
        ("date", "2026-1-1", "--request-date"),
        ("reference", "", "--request-ref"),
        ("addressee", "\n", "--addressee"),
    ],
)
def test_request_is_checked(field: str, value: str, option: str) -> None:
    with pytest.raises(UsageError, match=option):
        replace(REQUEST, **{field: value}).check()
