"""The JSON Schemas shipped in the package, and validation against them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

EVENT_SCHEMA = "custody-event.schema.json"
MANIFEST_SCHEMA = "manifest.schema.json"


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for one shipped schema."""
    text = resources.files("evidence.schemas").joinpath(name).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(name: str, instance: Any) -> list[str]:
    """Every schema violation of instance, as 'path: message' lines (empty when valid)."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
