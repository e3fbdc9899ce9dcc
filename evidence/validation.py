"""The JSON Schemas shipped in the package, and validation against them.

jsonschema is the reference validator and gives the error messages. Custody events are checked
on every write and by every audit (100,000 events and more), where jsonschema's 0.3 ms per event
would dominate; for those the fastjsonschema compilation of the same schema answers "valid?" in
about 0.015 ms, and jsonschema is asked only to explain a failure. A test checks both agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

EVENT_SCHEMA = "custody-event-2.schema.json"
# Every event version this tool verifies, by its `schema` field; new events are written as the
# last one. Version 1 events stay verifiable for as long as ledgers and bundles hold them.
EVENT_SCHEMAS = {
    "custody-event/1": "custody-event.schema.json",
    "custody-event/2": EVENT_SCHEMA,
    "custody-event/3": "custody-event-3.schema.json",
}
MANIFEST_SCHEMA = "manifest.schema.json"
_COMPILED = set(EVENT_SCHEMAS.values())


@cache
def _schema(name: str) -> dict[str, Any]:
    text = resources.files("evidence.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator(name: str) -> Draft202012Validator:
    """A jsonschema validator for one shipped schema (checked against the metaschema)."""
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def _compiled(name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(_schema(name))


def is_valid(name: str, instance: Any) -> bool:
    """True if instance is valid against the schema (fast path for custody events)."""
    if name in _COMPILED:
        try:
            _compiled(name)(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True
    return bool(validator(name).is_valid(instance))


def schema_errors(name: str, instance: Any) -> list[str]:
    """Every schema violation of instance, as 'path: message' lines (empty when valid)."""
    if is_valid(name, instance):
        return []
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]


def event_schema(body: Any) -> str:
    """The schema file an event body claims (by its `schema` field); the current one otherwise."""
    claimed = body.get("schema") if isinstance(body, dict) else None
    return EVENT_SCHEMAS.get(claimed, EVENT_SCHEMA) if isinstance(claimed, str) else EVENT_SCHEMA


def event_errors(body: Any) -> list[str]:
    """Every schema violation of a custody event, against the version it claims."""
    return schema_errors(event_schema(body), body)
