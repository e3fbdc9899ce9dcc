"""Schema violations worded from the catalogue (evidence/violations.py): the English is
jsonschema's own sentence for every kind our schemas use, the Russian is the catalogue's, and a
kind not worded here is named generically, never in jsonschema's English."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from evidence.bundle.manifest import read_manifest
from evidence.message import Message, render
from evidence.messages import translations
from evidence.validation import schema_errors
from evidence.violations import worded

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "seq", "tags"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 4, "pattern": "^[a-z]+$"},
        "seq": {"type": "integer", "minimum": 1, "maximum": 9},
        "low": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
        "kind": {"enum": ["seal", "open"]},
        "schema": {"const": "custody-event/2"},
        "tags": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True},
        "empty": {"type": "array", "maxItems": 0},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
        "pairs": {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "string"}],
            "items": False,
        },
        "short": {"type": "string", "minLength": 3},
        "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "any": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "obj": {"type": "object", "minProperties": 2, "maxProperties": 3},
        "one": {"type": "object", "minProperties": 1, "maxProperties": 0},
        "multi": {"type": ["string", "null"]},
        "nested": {"type": "object", "additionalProperties": False, "properties": {}},
        "odd": {"type": "integer", "multipleOf": 2},
    },
}

BAD: list[dict[str, Any]] = [
    {},
    {"name": 7, "seq": "x", "tags": "t"},
    {"name": "", "seq": 0, "tags": []},
    {"name": "ABCDE", "seq": 10, "tags": [1, 1, 2]},
    {"name": "a", "seq": 1, "tags": [1], "low": 0, "kind": "x", "schema": "custody-event/1"},
    {"name": "a", "seq": 1, "tags": [1], "low": 5, "extra": 1, "more": 2},
    {"name": "a", "seq": 1, "tags": [1], "empty": [1], "pair": ["a", "b"], "pairs": ["a"] * 4},
    {"name": "a", "seq": 1, "tags": [1], "short": "ab", "either": 1.5, "any": 3},
    {"name": "a", "seq": 1, "tags": [1], "obj": {"a": 1}, "one": {}, "multi": 3},
    {"name": "a", "seq": 1, "tags": [1], "obj": {"a": 1, "b": 2, "c": 3, "d": 4}},
    {"name": "a", "seq": 1, "tags": [1], "one": {"a": 1}, "nested": {"x": 1}},
]


def _errors(instance: dict[str, Any]) -> list[Any]:
    return list(Draft202012Validator(SCHEMA).iter_errors(instance))


@pytest.mark.parametrize("instance", BAD)
def test_english_is_jsonschemas_own_sentence(instance: dict[str, Any]) -> None:
    """Every kind our schemas use is worded here, and its English is jsonschema's sentence
    (so the terminal, --json and the goldens print what they always did)."""
    errors = _errors(instance)
    assert errors
    for error in errors:
        made = worded(error)
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        assert made == f"{path}: {error.message}"
        detail = made.values["detail"]
        assert isinstance(detail, Message)
        assert "rule" not in detail.template, error.validator  # not the generic wording


def test_every_kind_met() -> None:
    """The cases above meet every kind the module words (so none is left untested)."""
    from evidence.violations import _WORDING

    met = {str(e.validator) for instance in BAD for e in _errors(instance)}
    assert set(_WORDING) - met <= {"format"}, set(_WORDING) - met
    assert "format" in _WORDING  # jsonschema checks formats only with a format checker


def test_required_names_each_missing_property() -> None:
    """Several missing properties: each violation names its own (not the first twice)."""
    said = [worded(e) for e in _errors({})]
    assert said == [
        "(root): 'name' is a required property",
        "(root): 'seq' is a required property",
        "(root): 'tags' is a required property",
    ]


def test_a_kind_not_worded_here_is_named_generically() -> None:
    """multipleOf is not worded: the rule and the path, never jsonschema's English."""
    (error,) = _errors({"name": "a", "seq": 1, "tags": [1], "odd": 3})
    made = worded(error)
    assert made == "odd: does not satisfy the schema's 'multipleOf' rule"
    assert "is not a multiple of" not in made
    ru = render(made, translations("ru").gettext)
    assert ru == "odd: не соответствует правилу схемы 'multipleOf'"


def test_russian_has_no_english_of_jsonschema() -> None:
    """Every violation in Russian: the catalogue's words, values as they are."""
    ru = translations("ru").gettext
    english_words = re.compile(
        r"\b(is|not|of|type|required|property|properties|allowed|unexpected|should|expected|"
        r"valid|under|match|short|long|minimum|maximum|elements|enough|many|Expected|extra)\b"
    )
    for instance in BAD:
        for error in _errors(instance):
            text = render(worded(error), ru)
            # the path names properties; values are printed with repr: leave both out
            said = text.split(": ", 1)[1]
            words = re.sub(r"'[^']*'|\[[^\]]*\]|\{[^}]*\}", "", said)
            assert not english_words.search(words), text


def test_russian_wording_of_a_type_and_a_missing_property() -> None:
    ru = translations("ru").gettext
    (error,) = _errors({"name": "a", "seq": 1, "tags": [1], "multi": 3})
    assert render(worded(error), ru) == (
        "multi: значение 3 имеет недопустимый тип (требуется: строка, пустое значение)"
    )
    missing = [render(worded(e), ru) for e in _errors({"name": "a", "seq": 1})]
    assert missing == ["(документ в целом): отсутствует обязательное поле 'tags'"]


def test_manifest_schema_findings_are_worded() -> None:
    """A manifest that breaks its schema: findings in jsonschema's English, Russian from the
    catalogue (before, jsonschema's text went into Russian documents as it was)."""
    ru = translations("ru").gettext
    errors = schema_errors("manifest.schema.json", {"schema": "evidence-manifest/1"})
    assert errors and all(isinstance(e, Message) for e in errors)
    assert errors[0].startswith("(root): '") and errors[0].endswith("is a required property")
    assert render(errors[0], ru).startswith("(документ в целом): отсутствует обязательное поле")
    data = json.dumps({"schema": "evidence-manifest/1"}, separators=(",", ":")).encode()
    _, findings = read_manifest(data)
    schema = [f.message for f in findings if f.check == "manifest.schema"]
    assert schema and schema == errors[: len(schema)]
    assert all(not render(m, ru).isascii() for m in schema)
