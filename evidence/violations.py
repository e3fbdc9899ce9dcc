"""Schema violations worded by the program from what jsonschema found, not in its English.

jsonschema says what is wrong in English sentences of its own. A document in another language
needs the same statement from the message catalogue, so each violation is worded here from its
kind (`error.validator`: required, type, pattern...), the rule's value, the value found and
its place in the document (the JSON path). The English of each Message is the sentence
jsonschema gives for that kind, so the terminal, `--json` and the goldens print what they always
did; a wording that does not come out as jsonschema's own sentence (another jsonschema version,
a rule worded differently) is not trusted to name the right property or value, and the
violation is then worded generically, naming the rule and the path, never in jsonschema's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .message import Message

if TYPE_CHECKING:
    from jsonschema import ValidationError

ROOT = Message("(root)")

# JSON Schema's type names, as jsonschema quotes them (each a word of the catalogue).
TYPE_NAMES = {
    "string": "'string'",
    "integer": "'integer'",
    "number": "'number'",
    "object": "'object'",
    "array": "'array'",
    "boolean": "'boolean'",
    "null": "'null'",
}


def worded(error: ValidationError) -> Message:
    """One violation as 'path: what is wrong', worded from the catalogue."""
    path = "/".join(str(p) for p in error.absolute_path) or ROOT
    how = _WORDING.get(str(error.validator))
    found = how(error.validator_value, error.instance, error.schema) if how else None
    candidates = found if isinstance(found, list) else [] if found is None else [found]
    detail = next((c for c in candidates if c == error.message), None)
    if detail is None:
        detail = Message(
            "does not satisfy the schema's {keyword!r} rule", keyword=str(error.validator)
        )
    return Message("{path}: {detail}", path=path, detail=detail)


def _required(rule: Any, value: Any, schema: Any) -> list[Message]:
    # One violation per missing property: which one this is, the comparison in worded tells.
    missing = [p for p in rule if isinstance(value, dict) and p not in value]
    return [Message("{name!r} is a required property", name=p) for p in missing]


def _additional(rule: Any, value: Any, schema: Any) -> Message | None:
    if rule is not False or "patternProperties" in schema or not isinstance(value, dict):
        return None
    named = schema.get("properties", {})
    extras = sorted((k for k in value if k not in named), key=str)
    names = ", ".join(repr(k) for k in extras)
    if len(extras) == 1:
        return Message(
            "Additional properties are not allowed ({names} was unexpected)", names=names
        )
    return Message("Additional properties are not allowed ({names} were unexpected)", names=names)


def _type(rule: Any, value: Any, schema: Any) -> Message | None:
    types = [rule] if isinstance(rule, str) else list(rule)
    if not all(t in TYPE_NAMES for t in types):
        return None
    named = Message.joined(", ", [Message(TYPE_NAMES[t]) for t in types])
    return Message("{value!r} is not of type {types}", value=value, types=named)


def _least(rule: Any, value: Any, schema: Any) -> Message:
    if rule == 1:
        return Message("{value!r} should be non-empty", value=value)
    return Message("{value!r} is too short", value=value)


def _most(rule: Any, value: Any, schema: Any) -> Message:
    if rule == 0:
        return Message("{value!r} is expected to be empty", value=value)
    return Message("{value!r} is too long", value=value)


def _fewest(rule: Any, value: Any, schema: Any) -> Message:
    if rule == 1:
        return Message("{value!r} should be non-empty", value=value)
    return Message("{value!r} does not have enough properties", value=value)


def _items(rule: Any, value: Any, schema: Any) -> Message | None:
    prefix = len(schema.get("prefixItems", []))
    if rule is not False or not isinstance(value, list) or len(value) <= prefix:
        return None
    extra = len(value) - prefix
    rest = value[prefix:] if extra != 1 else value[prefix]
    if prefix == 1:
        return Message(
            "Expected at most {prefix} item but found {extra} extra: {rest!r}",
            prefix=prefix,
            extra=extra,
            rest=rest,
        )
    return Message(
        "Expected at most {prefix} items but found {extra} extra: {rest!r}",
        prefix=prefix,
        extra=extra,
        rest=rest,
    )


_WORDING: dict[str, Callable[[Any, Any, Any], Message | list[Message] | None]] = {
    "required": _required,
    "additionalProperties": _additional,
    "type": _type,
    "enum": lambda rule, value, _: Message(
        "{value!r} is not one of {options!r}", value=value, options=rule
    ),
    "const": lambda rule, value, _: Message("{expected!r} was expected", expected=rule),
    "pattern": lambda rule, value, _: Message(
        "{value!r} does not match {pattern!r}", value=value, pattern=rule
    ),
    "minLength": _least,
    "minItems": _least,
    "maxLength": _most,
    "maxItems": _most,
    "minProperties": _fewest,
    "maxProperties": lambda rule, value, _: (
        Message("{value!r} is expected to be empty", value=value)
        if rule == 0
        else Message("{value!r} has too many properties", value=value)
    ),
    "minimum": lambda rule, value, _: Message(
        "{value!r} is less than the minimum of {limit!r}", value=value, limit=rule
    ),
    "maximum": lambda rule, value, _: Message(
        "{value!r} is greater than the maximum of {limit!r}", value=value, limit=rule
    ),
    "exclusiveMinimum": lambda rule, value, _: Message(
        "{value!r} is less than or equal to the minimum of {limit!r}", value=value, limit=rule
    ),
    "exclusiveMaximum": lambda rule, value, _: Message(
        "{value!r} is greater than or equal to the maximum of {limit!r}", value=value, limit=rule
    ),
    "oneOf": lambda rule, value, _: Message(
        "{value!r} is not valid under any of the given schemas", value=value
    ),
    "anyOf": lambda rule, value, _: Message(
        "{value!r} is not valid under any of the given schemas", value=value
    ),
    "uniqueItems": lambda rule, value, _: Message("{value!r} has non-unique elements", value=value),
    "format": lambda rule, value, _: Message(
        "{value!r} is not a {format!r}", value=value, format=rule
    ),
    "items": _items,
}
