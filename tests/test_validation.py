"""The fast event validator agrees with jsonschema, the reference, on valid and broken events."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.validation import (
    EVENT_SCHEMA,
    TRUST_SCHEMA,
    _compiled,
    event_errors,
    event_v2_shape,
    is_valid,
    schema_errors,
    validator,
)

GOOD: dict[str, Any] = {
    "schema": "custody-event/2",
    "event_id": "0" * 32,
    "item_id": "a" * 12,
    "case": "BY-2026-0042",
    "seq": 2,
    "action": "transferred",
    "at": "2026-11-02T11:30:00.000000Z",
    "actor": {"name": "А. Иванов", "fingerprint": "b" * 64},
    "location": "Минск",
    "purpose": "storage",
    "from": {"name": "А. Иванов", "fingerprint": "b" * 64},
    "to": {"name": "Evidence Room", "fingerprint": "c" * 64},
    "note": "",
    "item_sha256": "d" * 64,
    "prev": "e" * 64,
    "details": {},
}

FIELDS = sorted(GOOD)
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=70),
    st.just("f" * 64),
    st.just({"name": "x"}),
    st.just([]),
    st.just("accessed"),
)


def _reference(instance: Any) -> bool:
    return bool(validator(EVENT_SCHEMA).is_valid(instance))


def test_good_event_is_valid_both_ways() -> None:
    assert is_valid(EVENT_SCHEMA, GOOD) and _reference(GOOD)
    assert schema_errors(EVENT_SCHEMA, GOOD) == []


def test_missing_field_and_extra_field() -> None:
    missing = {k: v for k, v in GOOD.items() if k != "prev"}
    extra = {**GOOD, "admin": True}
    for bad in (missing, extra):
        assert not is_valid(EVENT_SCHEMA, bad)
        assert schema_errors(EVENT_SCHEMA, bad)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FIELDS), ODD_VALUES)
def test_fast_and_reference_validators_agree(field: str, value: Any) -> None:
    event = copy.deepcopy(GOOD)
    event[field] = value
    fast = True
    try:
        _compiled(EVENT_SCHEMA)(event)
    except Exception:
        fast = False
    assert fast == _reference(event), (field, value)


def test_version_1_events_still_validate_against_their_own_schema() -> None:
    v1 = {**GOOD, "schema": "custody-event/1"}
    assert event_errors(v1) == []
    # An action that only version 2 knows is refused in a version-1 event...
    assert event_errors({**v1, "action": "profiled"})
    # ...and accepted in a version-2 one.
    assert event_errors({**v1, "schema": "custody-event/2", "action": "profiled"}) == []
    assert event_errors({**v1, "schema": "custody-event/9"})


SHAPE_VALUES = st.one_of(
    ODD_VALUES,
    st.just(1.0),
    st.just(2**60),
    st.just("2026-11-02T11:30:00.000000Z\n"),
    st.just("２026-11-02T11:30:00.000000Z"),  # a fullwidth digit: Python's \\d takes it
    st.just("2026-11-02T11:30:00.00000Z"),
    st.just("A" * 32),
    st.just("0" * 31 + "\n"),
    st.just({"name": "", "fingerprint": "b" * 64}),
    st.just({"name": "x", "fingerprint": "b" * 64, "extra": 1}),
    st.text(min_size=1000, max_size=1001),
    st.text(min_size=64, max_size=65),
    st.sampled_from(["profiled", "exported", "Accessed", "custody-event/1"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*FIELDS, "admin"]), SHAPE_VALUES), max_size=3))
def test_hand_written_shape_check_never_accepts_what_the_schema_refuses(
    edits: list[tuple[str, Any]],
) -> None:
    event = copy.deepcopy(GOOD)
    for field, value in edits:
        event[field] = value
    if event_v2_shape(event):
        assert _reference(event), edits


def test_hand_written_shape_check_takes_real_events() -> None:
    assert event_v2_shape(GOOD)
    assert event_v2_shape({**GOOD, "from": None, "to": None, "details": {"seal": "7"}})
    assert not event_v2_shape({k: v for k, v in GOOD.items() if k != "note"})
    assert not event_v2_shape({**GOOD, "schema": "custody-event/1"})  # left to the engine


TRUST_GOOD: dict[str, Any] = {
    "schema": "custody-trust/1",
    "kind": "enrolment",
    "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "fingerprint": "a" * 64,
    "at": "2026-11-02T11:30:00.000000Z",
    "by": {"name": "Authority", "fingerprint": "b" * 64},
    "reason": "enrolled at key creation",
    "seq": 1,
    "prev": None,
    "key_id": "k1",
    "key_created_at": "2026-11-02T11:29:00.000000Z",
    "added_at": "2026-11-02T11:29:30.000000Z",
}


def _trust_reference(instance: Any) -> bool:
    return bool(validator(TRUST_SCHEMA).is_valid(instance))


def test_good_trust_record_is_valid_both_ways() -> None:
    assert _trust_reference(TRUST_GOOD)
    assert is_valid(TRUST_SCHEMA, TRUST_GOOD)
    assert is_valid(TRUST_SCHEMA, {**TRUST_GOOD, "prev": "c" * 64})


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*TRUST_GOOD, "admin"]),
            st.one_of(
                SHAPE_VALUES,
                st.sampled_from(["revocation", "enrolment ", "custody-trust/2"]),
                st.just({"name": "x", "fingerprint": "b" * 64}),
                st.just({"name": 1, "fingerprint": "b" * 64}),
            ),
        ),
        max_size=3,
    )
)
def test_fast_and_reference_validators_agree_on_trust_records(
    edits: list[tuple[str, Any]],
) -> None:
    record = copy.deepcopy(TRUST_GOOD)
    for field, value in edits:
        record[field] = value
    assert is_valid(TRUST_SCHEMA, record) == _trust_reference(record), edits


def test_every_shipped_schema_is_valid_against_its_metaschema() -> None:
    from jsonschema import Draft202012Validator

    from evidence.validation import SCHEMAS, _schema

    for name in {*SCHEMAS.values(), "check.schema.json"}:
        Draft202012Validator.check_schema(_schema(name))
