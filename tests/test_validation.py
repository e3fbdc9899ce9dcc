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


TRUST_EDITS = st.lists(
    st.tuples(
        st.sampled_from([*TRUST_GOOD, "admin"]),
        st.one_of(
            SHAPE_VALUES,
            st.sampled_from(["revocation", "enrolment ", "custody-trust/2", 1.0, 2.5, True]),
            st.just({"name": "x", "fingerprint": "b" * 64}),
            st.just({"name": "", "fingerprint": "b" * 64}),
            st.just({"name": 1, "fingerprint": "b" * 64}),
            st.just({"name": "x", "fingerprint": "B" * 64}),
            st.just({"name": "x"}),
            st.just("2026-11-02T11:30:00.000000Z\n"),
            st.just("2026-11-02 11:30:00.000000Z"),
            st.just("٢٠٢٦-11-02T11:30:00.000000Z"),
        ),
    ),
    max_size=3,
)


@settings(max_examples=600, deadline=None)
@given(TRUST_EDITS, st.sets(st.sampled_from(sorted(TRUST_GOOD)), max_size=2))
def test_hand_written_trust_check_never_accepts_what_the_schema_refuses(
    edits: list[tuple[str, Any]], dropped: set[str]
) -> None:
    from evidence.validation import trust_shape

    record = copy.deepcopy(TRUST_GOOD)
    for field, value in edits:
        record[field] = value
    for field in dropped:
        record.pop(field, None)
    if trust_shape(record):
        assert _trust_reference(record), (edits, dropped)


def test_hand_written_trust_check_takes_real_records() -> None:
    from evidence.validation import trust_shape

    assert trust_shape(TRUST_GOOD)
    assert trust_shape({**TRUST_GOOD, "prev": "c" * 64, "kind": "revocation"})
    optional = ("seq", "prev", "key_id", "key_created_at", "added_at")
    assert trust_shape({k: v for k, v in TRUST_GOOD.items() if k not in optional})
    assert not trust_shape({k: v for k, v in TRUST_GOOD.items() if k != "reason"})
    # Left to the engine, which accepts it: a whole-number float as the integer seq.
    assert not trust_shape({**TRUST_GOOD, "seq": 1.0})
    assert _trust_reference({**TRUST_GOOD, "seq": 1.0})


def test_signing_reads_valid_trust_records_without_a_schema_engine() -> None:
    """Every command that signs reads the trust records first: valid ones load neither
    engine (each costs such a command a noticeable part of its start-up)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; from evidence.validation import TRUST_SCHEMA, is_valid; "
        f"assert is_valid(TRUST_SCHEMA, json.loads({json.dumps(TRUST_GOOD)!r})); "
        "print(sorted(m for m in ('fastjsonschema', 'jsonschema') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_every_shipped_schema_is_valid_against_its_metaschema() -> None:
    from jsonschema import Draft202012Validator

    from evidence.validation import SCHEMAS, _schema

    for name in {*SCHEMAS.values(), "check.schema.json"}:
        Draft202012Validator.check_schema(_schema(name))


CHECKPOINT_GOOD: dict[str, Any] = {
    "schema": "custody-checkpoint/3",
    "seq": 3,
    "created_at": "2026-11-02T11:30:00.000000Z",
    "actor": {"name": "Evidence Room", "fingerprint": "b" * 64},
    "tree_size": 2,
    "events": 5,
    "root": "c" * 64,
    "prev": "d" * 64,
    "heads": [["a" * 12, 2, "e" * 64], ["b" * 12, 3, "f" * 64]],
    "trust": {"anchor": "1" * 64, "certificates": ["2" * 64, "3" * 64], "records": [4, "5" * 64]},
    "timestamp": {"policy": "required", "prev_token_sha256": None},
    "log": {"origin": "custody/" + "1" * 64, "size": 9, "root": "6" * 64, "frontier": ["7" * 64]},
}

# Every place a hostile edit can land: a top-level field, or one inside a nested object or list
# (a path through dict keys and list indexes; an index past the end appends).
CHECKPOINT_PATHS: list[tuple[Any, ...]] = [
    *((k,) for k in [*CHECKPOINT_GOOD, "admin"]),
    ("actor", "name"),
    ("actor", "fingerprint"),
    ("actor", "extra"),
    ("heads", 0),
    ("heads", 2),
    ("heads", 1, 0),
    ("heads", 1, 1),
    ("heads", 1, 2),
    ("heads", 1, 3),
    ("trust", "anchor"),
    ("trust", "certificates"),
    ("trust", "certificates", 0),
    ("trust", "records"),
    ("trust", "records", 0),
    ("trust", "records", 1),
    ("trust", "records", 2),
    ("trust", "admin"),
    ("timestamp", "policy"),
    ("timestamp", "prev_token_sha256"),
    ("timestamp", "admin"),
    ("log", "origin"),
    ("log", "size"),
    ("log", "root"),
    ("log", "frontier"),
    ("log", "frontier", 0),
    ("log", "frontier", 1),
    ("log", "admin"),
]
_DELETE = object()
CHECKPOINT_VALUES = st.one_of(
    SHAPE_VALUES,
    st.just(_DELETE),
    st.just(-1),
    st.just(0),
    st.just(2.0),
    st.just("custody/" + "1" * 64 + "\n"),
    st.just("custody/" + "A" * 64),
    st.just("custody-checkpoint/2"),
    st.sampled_from(["required", "deferred", "none", "Required", "none "]),
    st.just(["a" * 12, 1, "e" * 64]),
    st.just(["a" * 12, True, "e" * 64]),
    st.just(["a" * 12, 1]),
    st.just([4, "5" * 64]),
    st.just(["5" * 64]),
    st.just({"fingerprint": "b" * 64}),
    st.just({"name": 1, "fingerprint": "b" * 64}),
    st.just({"anchor": None, "certificates": [], "records": None}),
    st.just({"policy": "none", "prev_token_sha256": None}),
    st.just({"origin": "custody/" + "1" * 64, "size": 0, "root": "6" * 64, "frontier": []}),
)


def _edit(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    where: Any = body
    for step in path[:-1]:
        if (isinstance(where, dict) and step in where) or (
            isinstance(where, list) and isinstance(step, int) and step < len(where)
        ):
            where = where[step]
        else:
            return  # an earlier edit replaced what this path goes through
    last = path[-1]
    if isinstance(where, dict) and isinstance(last, str):
        if value is _DELETE:
            where.pop(last, None)
        else:
            where[last] = value
    elif isinstance(where, list) and isinstance(last, int):
        if value is _DELETE:
            del where[last : last + 1]
        elif last < len(where):
            where[last] = value
        else:
            where.append(value)


def _stricter_than_the_schema(value: Any) -> bool:
    # The two documented cases where the hand check leaves the verdict to the engine.
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        return value.startswith("custody/") and value.endswith("\n")
    if isinstance(value, dict):
        return any(_stricter_than_the_schema(v) for v in value.values())
    if isinstance(value, list):
        return any(_stricter_than_the_schema(v) for v in value)
    return False


def _checkpoint_reference(instance: Any) -> bool:
    from evidence.validation import CHECKPOINT_V3

    return bool(validator(CHECKPOINT_V3).is_valid(instance))


def test_hand_written_checkpoint_check_takes_real_checkpoints() -> None:
    from evidence.validation import checkpoint_v3_shape

    assert checkpoint_v3_shape(CHECKPOINT_GOOD) and _checkpoint_reference(CHECKPOINT_GOOD)
    bare = {k: v for k, v in CHECKPOINT_GOOD.items() if k not in ("log", "prev", "created_at")}
    assert checkpoint_v3_shape(bare) and _checkpoint_reference(bare)
    many = {**CHECKPOINT_GOOD, "heads": [[f"{i:012x}", i + 1, "e" * 64] for i in range(1000)]}
    assert checkpoint_v3_shape(many)
    # Left to the engine: another version, and the two stricter cases (which it accepts).
    assert not checkpoint_v3_shape({**CHECKPOINT_GOOD, "schema": "custody-checkpoint/2"})
    assert not checkpoint_v3_shape({**CHECKPOINT_GOOD, "seq": 3.0})
    assert _checkpoint_reference({**CHECKPOINT_GOOD, "seq": 3.0})


def test_malformed_checkpoint_head_is_refused_with_the_engines_message() -> None:
    from evidence.validation import CHECKPOINT_V3, body_errors

    broken = {**CHECKPOINT_GOOD, "heads": [["a" * 12, "2", "e" * 64]]}
    assert not is_valid(CHECKPOINT_V3, broken)
    assert body_errors("custody-checkpoint", broken) == ["heads/0/1: '2' is not of type 'integer'"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CHECKPOINT_PATHS), CHECKPOINT_VALUES), max_size=4))
def test_hand_written_checkpoint_check_agrees_with_the_schema(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    from evidence.validation import checkpoint_v3_shape

    body = copy.deepcopy(CHECKPOINT_GOOD)
    for path, value in edits:
        _edit(body, path, copy.deepcopy(value))
    fast, reference = checkpoint_v3_shape(body), _checkpoint_reference(body)
    if fast:
        assert reference, edits  # never accepts what the schema refuses
    elif not _stricter_than_the_schema(body):
        assert not reference, edits  # and refuses nothing else the schema accepts
