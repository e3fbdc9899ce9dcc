"""The JSON Schemas shipped in the package, and validation against them.

jsonschema is the reference validator and gives the error messages. Custody events are checked
on every write and by every audit (100,000 events and more), where jsonschema's 0.3 ms per event
would dominate; for those the fastjsonschema compilation of the same schema answers "valid?" in
about 0.015 ms, and jsonschema is asked only to explain a failure. A test checks both agree.
Two bodies are checked by hand before either engine (`_SHAPES`): the current custody event
and the current checkpoint, whose 1,000s of chain heads fastjsonschema cannot check (no
draft 2020-12 `prefixItems`); a body the hand check does not pass goes to the engine.
Both engines are imported when first needed: a command that signs valid custody events (the
hand-written check below passes them) starts without them (a fifth of its start-up).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .message import Message

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# Every version of every signed format this tool reads, by the `schema` id its body carries,
# and the file in schemas/ that defines it. New records are written as the last version of
# their family; older versions stay verifiable for as long as ledgers and bundles hold them.
# A new version is one line here and its schema file.
SCHEMAS: dict[str, str] = {
    "custody-event/1": "custody-event.schema.json",
    "custody-event/2": "custody-event-2.schema.json",
    "custody-event/3": "custody-event-3.schema.json",
    "custody-trust/1": "custody-trust.schema.json",
    "custody-checkpoint/1": "custody-checkpoint.schema.json",
    "custody-checkpoint/2": "custody-checkpoint-2.schema.json",
    "custody-checkpoint/3": "custody-checkpoint-3.schema.json",
    "evidence-manifest/1": "manifest.schema.json",
    "evidence-manifest/2": "manifest-2.schema.json",
    "evidence-manifest/3": "manifest-3.schema.json",
    "evidence-manifest/4": "manifest-4.schema.json",
}


@cache
def versions(family: str) -> dict[str, str]:
    """The schema ids of one family (`custody-event`...) and their files, oldest first."""
    return {k: v for k, v in SCHEMAS.items() if k.rpartition("/")[0] == family}


EVENT_SCHEMAS = versions("custody-event")
# Events are written as version 2 unless their action needs a later one (events.NEWER_ACTIONS).
EVENT_SCHEMA = EVENT_SCHEMAS["custody-event/2"]
MANIFEST_SCHEMA = SCHEMAS["evidence-manifest/1"]
# Compiled with fastjsonschema: every event is checked on every write and every audit, and
# the workspace's trust records by every command that signs (jsonschema's import alone costs
# such a command a tenth of its start-up). tests/test_validation.py checks both agree.
TRUST_SCHEMA = SCHEMAS["custody-trust/1"]
_COMPILED = {*EVENT_SCHEMAS.values(), TRUST_SCHEMA}


@cache
def _schema(name: str) -> dict[str, Any]:
    text = resources.files("evidence.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator(name: str) -> Draft202012Validator:
    """A jsonschema validator for one shipped schema. The schema is not checked against the
    metaschema here (that costs a verify a fifth of a second): tests/test_validation.py
    checks every shipped schema once."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema(name))


@cache
def _compiled(name: str) -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(_schema(name))


EVENT_V2 = SCHEMAS["custody-event/2"]
_HEX = frozenset("0123456789abcdef")
_DIGITS = frozenset("0123456789")
_EVENT_V2_KEYS = frozenset(
    (
        "schema",
        "event_id",
        "item_id",
        "case",
        "seq",
        "action",
        "at",
        "actor",
        "location",
        "purpose",
        "from",
        "to",
        "note",
        "item_sha256",
        "prev",
        "details",
    )
)
_PARTY_KEYS = frozenset(("name", "fingerprint"))


def _hex(value: Any, length: int) -> bool:
    return type(value) is str and len(value) == length and _HEX.issuperset(value)


def _party(value: Any) -> bool:
    return (
        type(value) is dict
        and value.keys() == _PARTY_KEYS
        and type(value["name"]) is str
        and len(value["name"]) >= 1
        and _hex(value["fingerprint"], 64)
    )


def _utc_micro(value: Any) -> bool:
    # YYYY-MM-DDTHH:MM:SS.ffffffZ with ASCII digits (the schema's pattern, read strictly)
    return (
        type(value) is str
        and len(value) == 27
        and value[4] == value[7] == "-"
        and value[10] == "T"
        and value[13] == value[16] == ":"
        and value[19] == "."
        and value[26] == "Z"
        and _DIGITS.issuperset(value[0:4] + value[5:7] + value[8:10] + value[11:13])
        and _DIGITS.issuperset(value[14:16] + value[17:19] + value[20:26])
    )


@cache
def _event_v2_actions() -> frozenset[str]:
    # From the schema file itself: the enum is written once.
    return frozenset(_schema(EVENT_V2)["properties"]["action"]["enum"])


def event_v2_shape(body: Any) -> bool:
    """True only if body is a valid custody-event/2 (schemas/custody-event-2.schema.json),
    checked by hand: the audit checks every event, and this fixed shape costs a fraction of a
    schema engine. Stricter than the schema where Python's regular expressions are lax (only
    ASCII digits, no trailing newline, integers only as int): False sends the body to the
    schema engine, which decides and explains; True is never given to a body it would refuse
    (tests/test_validation.py checks both on generated bodies)."""
    if type(body) is not dict or body.keys() != _EVENT_V2_KEYS:
        return False
    seq, details = body["seq"], body["details"]
    case, location, purpose, note = body["case"], body["location"], body["purpose"], body["note"]
    return (
        body["schema"] == "custody-event/2"
        and _hex(body["event_id"], 32)
        and _hex(body["item_id"], 12)
        and type(case) is str
        and 1 <= len(case) <= 64
        and type(seq) is int
        and seq >= 1
        and type(body["action"]) is str
        and body["action"] in _event_v2_actions()
        and _utc_micro(body["at"])
        and _party(body["actor"])
        and type(location) is str
        and len(location) <= 1000
        and type(purpose) is str
        and len(purpose) <= 1000
        and (body["from"] is None or _party(body["from"]))
        and (body["to"] is None or _party(body["to"]))
        and type(note) is str
        and len(note) <= 10000
        and _hex(body["item_sha256"], 64)
        and _hex(body["prev"], 64)
        and type(details) is dict
    )


CHECKPOINT_V3 = SCHEMAS["custody-checkpoint/3"]
_CHECKPOINT_V3_REQUIRED = frozenset(
    ("schema", "seq", "root", "actor", "heads", "trust", "timestamp")
)
_TRUST_KEYS = frozenset(("anchor", "certificates", "records"))
_TIMESTAMP_KEYS = frozenset(("policy", "prev_token_sha256"))
_TOKEN_POLICIES = frozenset(("required", "deferred", "none"))
_LOG_KEYS = frozenset(("origin", "size", "root", "frontier"))
_ORIGIN = "custody/"


def _hex_or_none(value: Any) -> bool:
    return value is None or _hex(value, 64)


def _all_hex(value: Any) -> bool:
    return type(value) is list and all(_hex(v, 64) for v in value)


def _heads(value: Any) -> bool:
    # [item_id, seq, hash] each: the schema's prefixItems with minItems = maxItems = 3
    return type(value) is list and all(
        type(h) is list
        and len(h) == 3
        and type(h[0]) is str
        and type(h[1]) is int
        and type(h[2]) is str
        for h in value
    )


def _trust(value: Any) -> bool:
    if type(value) is not dict or value.keys() != _TRUST_KEYS:
        return False
    records = value["records"]
    return (
        _hex_or_none(value["anchor"])
        and _all_hex(value["certificates"])
        and (
            records is None
            or (
                type(records) is list
                and len(records) == 2
                and type(records[0]) is int
                and type(records[1]) is str
            )
        )
    )


def _log(value: Any) -> bool:
    if type(value) is not dict or value.keys() != _LOG_KEYS:
        return False
    origin, size = value["origin"], value["size"]
    return (
        type(origin) is str
        and origin.startswith(_ORIGIN)
        and _hex(origin[len(_ORIGIN) :], 64)
        and type(size) is int
        and size >= 0
        and _hex(value["root"], 64)
        and _all_hex(value["frontier"])
    )


def checkpoint_v3_shape(body: Any) -> bool:
    """True only if body is a valid custody-checkpoint/3
    (schemas/custody-checkpoint-3.schema.json), checked by hand: a checkpoint holds every
    item's chain head, and the schema engine walks each through `prefixItems` (a third of a
    second for 1,000 items; fastjsonschema does not implement draft 2020-12's `prefixItems`, so
    it would silently accept a malformed head). Keys the schema does not name are allowed, as
    it allows them. Stricter than the schema in two ways only: integers only as int (a
    whole-number float is an integer to the schema) and the log's origin without a trailing
    newline (the pattern's `$` allows one). False sends the body to the schema engine, which
    decides and explains; tests/test_validation.py checks both agree on generated bodies."""
    if type(body) is not dict or not body.keys() >= _CHECKPOINT_V3_REQUIRED:
        return False
    get = body.get
    actor, stamp = body["actor"], body["timestamp"]
    return (
        body["schema"] == "custody-checkpoint/3"
        and type(body["seq"]) is int
        and type(get("created_at", "")) is str
        and type(actor) is dict
        and type(actor.get("fingerprint")) is str
        and type(actor.get("name", "")) is str
        and type(get("tree_size", 0)) is int
        and type(get("events", 0)) is int
        and _hex(body["root"], 64)
        and (get("prev") is None or type(get("prev")) is str)
        and _heads(body["heads"])
        and _trust(body["trust"])
        and type(stamp) is dict
        and stamp.keys() == _TIMESTAMP_KEYS
        and type(stamp["policy"]) is str
        and stamp["policy"] in _TOKEN_POLICIES
        and _hex_or_none(stamp["prev_token_sha256"])
        and ("log" not in body or _log(body["log"]))
    )


_TRUST_REQUIRED = frozenset(("schema", "kind", "certificate", "fingerprint", "at", "by", "reason"))
_TRUST_KEYS_ALL = _TRUST_REQUIRED | {"seq", "prev", "key_id", "key_created_at", "added_at"}
_TRUST_KINDS = frozenset(("enrolment", "revocation"))
_BY_KEYS = frozenset(("name", "fingerprint"))


def trust_shape(body: Any) -> bool:
    """True only if body is a valid custody-trust/1 (schemas/custody-trust.schema.json),
    checked by hand: every command that signs reads the workspace's trust records first, and
    compiling the schema engine for them cost each such command more than the check itself.
    Stricter than the schema only in taking integers as int (a whole-number float is an
    integer to the schema); False sends the body to the schema engine, which decides and
    explains (tests/test_validation.py checks True is never given to a body it refuses)."""
    if type(body) is not dict or not _TRUST_REQUIRED <= body.keys() <= _TRUST_KEYS_ALL:
        return False
    by, get = body["by"], body.get
    seq = get("seq", 1)
    return (
        body["schema"] == "custody-trust/1"
        and type(body["kind"]) is str
        and body["kind"] in _TRUST_KINDS
        and type(body["certificate"]) is str
        and _hex(body["fingerprint"], 64)
        and _utc_micro(body["at"])
        and type(by) is dict
        and by.keys() == _BY_KEYS
        and type(by["name"]) is str
        and _hex(by["fingerprint"], 64)
        and type(body["reason"]) is str
        and type(seq) is int
        and seq >= 1
        and _hex_or_none(get("prev"))
        and type(get("key_id", "")) is str
        and ("key_created_at" not in body or _utc_micro(body["key_created_at"]))
        and ("added_at" not in body or _utc_micro(body["added_at"]))
    )


# Bodies checked by hand first (True = valid; False = the schema engine decides).
_SHAPES = {EVENT_V2: event_v2_shape, CHECKPOINT_V3: checkpoint_v3_shape, TRUST_SCHEMA: trust_shape}


def is_valid(name: str, instance: Any) -> bool:
    """True if instance is valid against the schema (fast paths for custody events and
    checkpoints)."""
    shape = _SHAPES.get(name)
    if shape is not None and shape(instance):
        return True
    if name in _COMPILED:
        check = _compiled(name)
        from fastjsonschema import JsonSchemaException

        try:
            check(instance)
        except JsonSchemaException:
            return False
        return True
    return bool(validator(name).is_valid(instance))


def schema_errors(name: str, instance: Any) -> list[Message]:
    """Every schema violation of instance, as 'path: message' lines worded from the catalogue
    (evidence.violations; empty when valid)."""
    if is_valid(name, instance):
        return []
    from .violations import worded

    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [worded(e) for e in errors]


def body_errors(family: str, body: Any) -> list[Message]:
    """Every violation of a signed body against the version of `family` its `schema` id
    claims; an id this tool does not read is the one violation."""
    claimed = body.get("schema") if isinstance(body, dict) else None
    name = versions(family).get(claimed) if isinstance(claimed, str) else None
    if name is None:
        return [
            Message(
                "schema: {claimed!r} is not one of {versions}",
                claimed=claimed,
                versions=", ".join(versions(family)),
            )
        ]
    return schema_errors(name, body)


def event_errors(body: Any) -> list[Message]:
    """Every schema violation of a custody event, against the version it claims."""
    return body_errors("custody-event", body)
