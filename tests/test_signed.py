"""The one signed-record envelope and its strict reader, for all three kinds of body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evidence.canonical import canonical_bytes, is_canonical, parse_canonical
from evidence.checkpoint import CHECKPOINT, Checkpoint
from evidence.errors import InputRejected
from evidence.events import EVENT, NEWER_ACTIONS, Action, SignedEvent
from evidence.signed import Flaw, Kind
from evidence.trust.records import TRUST, TrustKind, TrustRecord
from evidence.validation import SCHEMAS, validator, versions
from tests.test_validation import GOOD as EVENT_BODY

FP = "b" * 64
TRUST_BODY: dict[str, Any] = {
    "schema": "custody-trust/1",
    "kind": "enrolment",
    "certificate": "-----BEGIN CERTIFICATE-----\n...",
    "fingerprint": "c" * 64,
    "at": "2026-11-02T11:30:00.000000Z",
    "by": {"name": "Authority", "fingerprint": FP},
    "reason": "order 5",
    "seq": 1,
    "prev": None,
}
CHECKPOINT_V1: dict[str, Any] = {
    "schema": "custody-checkpoint/1",
    "seq": 1,
    "created_at": "2026-11-02T11:30:00.000000Z",
    "actor": {"name": "Evidence Room", "fingerprint": FP},
    "tree_size": 1,
    "events": 1,
    "root": "d" * 64,
    "prev": None,
    "heads": [["a" * 12, 1, "e" * 64]],
}
CHECKPOINT_V2 = {
    **CHECKPOINT_V1,
    "schema": "custody-checkpoint/2",
    "trust": {"anchor": FP, "certificates": [FP], "records": [1, "f" * 64]},
}
CHECKPOINT_V3 = {
    **CHECKPOINT_V2,
    "schema": "custody-checkpoint/3",
    "timestamp": {"policy": "required", "prev_token_sha256": "e" * 64},
}
CASES: list[tuple[Kind[Any], dict[str, Any]]] = [
    (EVENT, EVENT_BODY),
    (TRUST, TRUST_BODY),
    (CHECKPOINT, CHECKPOINT_V1),
    (CHECKPOINT, CHECKPOINT_V2),
    (CHECKPOINT, CHECKPOINT_V3),
]


def test_every_shipped_schema_is_valid_and_listed() -> None:
    for name in SCHEMAS.values():
        validator(name)  # checked against the 2020-12 metaschema
    assert list(versions("custody-checkpoint")) == [
        "custody-checkpoint/1",
        "custody-checkpoint/2",
        "custody-checkpoint/3",
    ]
    assert CHECKPOINT.current == "custody-checkpoint/3" and TRUST.current == "custody-trust/1"


@pytest.mark.parametrize(
    "stamp",
    [
        None,
        {"policy": "later", "prev_token_sha256": None},
        {"policy": "none"},
        {"policy": "none", "prev_token_sha256": "not a digest"},
        {"policy": "none", "prev_token_sha256": None, "extra": 1},
    ],
)
def test_checkpoint_v3_token_policy_is_read_strictly(stamp: Any) -> None:
    body = {**CHECKPOINT_V3, "timestamp": stamp}
    assert CHECKPOINT.read(canonical_bytes(body)).first() is not None


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_canonical_valid_bytes_read_clean(kind: Kind[Any], body: dict[str, Any]) -> None:
    reading = kind.read(canonical_bytes(body))
    assert reading.problems == () and reading.body == body


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_duplicate_key_is_refused(kind: Kind[Any], body: dict[str, Any]) -> None:
    data = canonical_bytes(body)
    forged = b'{"schema":"x",' + data[1:]
    reading = kind.read(forged)
    assert reading.problems[0].flaw is Flaw.CANONICAL
    assert "duplicate key 'schema'" in reading.problems[0].message
    with pytest.raises(InputRejected, match=r"src: .* holds duplicate key 'schema'"):
        kind.strict(forged, "src")


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_re_serialised_bytes_are_refused(kind: Kind[Any], body: dict[str, Any]) -> None:
    spaced = json.dumps(body, indent=1).encode()
    assert kind.read(spaced).problems[0].message == "is not canonical JSON (RFC 8785)"


@pytest.mark.parametrize(("kind", "body"), CASES)
def test_unknown_version_is_refused(kind: Kind[Any], body: dict[str, Any]) -> None:
    future = canonical_bytes({**body, "schema": kind.family + "/99"})
    (problem,) = kind.read(future).problems
    assert problem.flaw is Flaw.SCHEMA and "schema" in problem.detail


@pytest.mark.parametrize(
    ("kind", "body", "field", "value"),
    [
        (TRUST, TRUST_BODY, "kind", "promotion"),
        (TRUST, TRUST_BODY, "fingerprint", "c" * 64 + "\n"),
        (TRUST, TRUST_BODY, "at", "2026-11-02T11:30:00Z"),
        (TRUST, TRUST_BODY, "seq", 0),
        (TRUST, TRUST_BODY, "extra", 1),
        (CHECKPOINT, CHECKPOINT_V1, "root", "D" * 64),
        (CHECKPOINT, CHECKPOINT_V1, "heads", [["a", 1]]),
        (CHECKPOINT, CHECKPOINT_V1, "actor", "me"),
        (CHECKPOINT, CHECKPOINT_V2, "trust", {"anchor": None, "certificates": []}),
    ],
)
def test_schema_refuses_what_the_hand_written_checks_refused(
    kind: Kind[Any], body: dict[str, Any], field: str, value: Any
) -> None:
    reading = kind.read(canonical_bytes({**body, field: value}))
    assert [p.flaw for p in reading.problems] == [Flaw.SCHEMA]


@pytest.mark.parametrize("text", [b"{", b'"text"', b"[1]", b"\xff"])
def test_not_a_json_object(text: bytes) -> None:
    assert EVENT.read(text).body is None
    assert EVENT.read(text).problems[0].flaw is Flaw.JSON


def test_fast_canonical_path_never_passes_a_python_float_or_astral_key_order() -> None:
    # json.dumps writes 1.0 and 1e+20; RFC 8785 writes 1 and 100000000000000000000.
    assert not is_canonical(b'{"a":1.0}') and not is_canonical(b'{"a":1e+20}')
    assert is_canonical(b'{"a":100000000000000000000}')
    # U+FB01 sorts after U+1F600 by code point, before it by UTF-16 units (RFC 8785's order).
    by_code_point = json.dumps({"\ufb01": 1, "\U0001f600": 2}, ensure_ascii=False)
    assert not is_canonical(by_code_point.replace(" ", "").encode())
    assert parse_canonical(canonical_bytes({"\ufb01": 1, "\U0001f600": 2}))[1]


def test_envelopes_share_hash_and_signature_checks(world: Any) -> None:
    body = dict(EVENT_BODY, actor=world.custodian.actor)
    data = canonical_bytes(body)
    event = SignedEvent(body, "0" * 64, world.custodian.sign(data))  # type: ignore[arg-type]
    assert event.data == data and not event.hash_ok
    assert event.verify(world.custodian.record.certificate.public_key())
    assert not event.verify(world.investigator.record.certificate.public_key())


def test_records_read_strictly_by_kind() -> None:
    data = canonical_bytes(TRUST_BODY)
    record = TrustRecord.parse(data, "sig", "row")
    assert record.kind == TrustKind.ENROLMENT and record.hash_ok
    with pytest.raises(InputRejected, match=r"row: record is not a valid custody-trust"):
        TrustRecord.parse(canonical_bytes({**TRUST_BODY, "kind": "x"}), "sig", "row")
    cp = Checkpoint.from_json({"checkpoint": CHECKPOINT_V1, "hash": "h", "signature": "s"}, "f")
    assert cp.seq == 1 and cp.heads[0].seq == 1
    with pytest.raises(InputRejected, match="f: checkpoint is not a valid custody-checkpoint"):
        Checkpoint.from_json({"checkpoint": {**CHECKPOINT_V2, "trust": None}}, "f")


def test_vocabularies_are_the_schemas() -> None:
    event_schema = validator("custody-event-3.schema.json").schema
    assert set(event_schema["properties"]["action"]["enum"]) == {a.value for a in Action}
    # version 2 holds every action but those only a later version adds
    older = validator("custody-event-2.schema.json").schema["properties"]["action"]["enum"]
    assert set(older) == {a.value for a in Action} - set(NEWER_ACTIONS)
    trust_schema = validator("custody-trust.schema.json").schema
    assert trust_schema["properties"]["kind"]["enum"] == [k.value for k in TrustKind]
