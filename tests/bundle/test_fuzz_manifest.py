"""Fuzzing verify with manifest.json edited, as JSON and as text, re-signed or not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from evidence.bundle.cms import sign_detached
from evidence.canonical import canonical_bytes
from tests.bundle.fuzz_support import FUZZ, Original, check_bag

# -- (2) manifest.json, as JSON and as text ----------------------------------------------------

KEYS_READ = ("details", "to", "from", "actor", "action", "name", "fingerprint", "request_ref")
DEEP = "\x00deep\x00"  # placeholder replaced by deeply nested JSON after serialising
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        ["", "\ud800", "0" * 64, "data/../bagit.txt", "/etc/passwd", "exported", "received"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _container_at(value: Any, path: list[Any]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def json_paths(draw: st.DrawFn, manifest: dict[str, Any]) -> list[Any]:
    """A path to a value, often inside an item, its custody or its metadata, where the
    manifest schema is loose and later checks must cope with whatever is there."""
    i = draw(st.integers(0, len(manifest["items"]) - 1))
    j = draw(st.integers(0, len(manifest["items"][i]["custody"]) - 1))
    event = ["items", i, "custody", j, "event"]
    path: list[Any] = draw(
        st.sampled_from(
            [
                [],
                ["issuer"],
                ["request"],
                ["certificates"],
                ["items", i],
                ["items", i],
                ["items", i, "digests"],
                ["items", i, "metadata"],
                ["items", i, "custody", j],
                event,
                event,
                event,
                [*event, "actor"],
                [*event, "details"],
            ]
        )
    )
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        try:
            here = _container_at(manifest, path)
        except (KeyError, IndexError, TypeError):
            break
        keys = sorted(here) if isinstance(here, dict) else list(range(len(here)))
        nested = [k for k in keys if isinstance(here[k], dict | list) and here[k]]
        if not nested:
            break
        path.append(draw(st.sampled_from(nested)))
    return path


def _serialise(value: Any, deep: str) -> bytes:
    try:
        text = canonical_bytes(value).decode()
    except Exception:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True, separators=(",", ":"))
    return text.replace(json.dumps(DEEP), deep).encode("utf-8", "surrogatepass")


@st.composite
def manifest_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """manifest.json with one JSON-aware edit (set, delete, add, huge, deep) or a text edit."""
    manifest = json.loads(data)
    kind = draw(st.sampled_from(["retype", "set", "delete", "add", "huge", "deep", "text"]))
    if kind == "text":
        return draw(text_edits(data))
    if kind == "retype":
        # A custody event field that replaying the chain reads, given any value at all.
        custody = draw(st.sampled_from(manifest["items"]))["custody"]
        event = custody[draw(st.sampled_from([0, -1, *range(len(custody))]))]["event"]
        event[draw(st.sampled_from(["details", "to", "action", "actor"]))] = draw(json_values)
        return _serialise(manifest, "")
    path = draw(json_paths(manifest))
    try:
        container = _container_at(manifest, path)
    except (KeyError, IndexError, TypeError):
        container = manifest
    deep = ""
    if isinstance(container, list):
        keys: list[Any] = list(range(len(container)))
    else:
        keys = sorted(container)
    key = None
    if isinstance(container, dict):
        # Often a name the checks read, whether or not this object has it yet.
        key = draw(st.sampled_from(KEYS_READ) | st.sampled_from(keys or list(KEYS_READ)))
    elif keys:
        key = draw(st.sampled_from(keys))
    if kind == "delete" and key is not None:
        if isinstance(container, list) or key in container:
            del container[key]
    elif kind == "add" or key is None:
        value = draw(json_values)
        if isinstance(container, list):
            container.append(value)
        else:
            container[draw(st.text(min_size=1, max_size=8))] = value
    elif kind == "huge":
        container[key] = draw(st.sampled_from(["A", "é", "\u202e", "0"])) * draw(
            st.sampled_from([1 << 16, 1 << 20])
        )
    elif kind == "deep":
        depth = draw(st.sampled_from([30, 400, 990, 1500, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        deep = opener * depth + "1" + closer * depth
        container[key] = DEEP
    else:
        container[key] = draw(json_values)
    return _serialise(manifest, deep)


@st.composite
def text_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """Raw edits of JSON text: duplicate keys, literals JSON allows or nearly allows, bytes."""
    text = data.decode()
    keys = list(re.finditer(r'"([a-z_0-9]+)":', text))
    op = draw(st.sampled_from(["duplicate", "literal", "bom", "bytes", "truncate"]))
    if op == "duplicate":
        m = draw(st.sampled_from(keys))
        value = draw(st.sampled_from(['"x"', "null", "1", "{}", "[]", '"' + "0" * 64 + '"']))
        where = draw(st.sampled_from([m.start(), m.end() + len(value) + 1]))
        where = m.start() if where > len(text) else where
        # The duplicate goes before the real key (first wins? last wins?) or in its place.
        text = text[: m.start()] + f'"{m[1]}":{value},' + text[m.start() :]
    elif op == "literal":
        m = draw(st.sampled_from(keys))
        literal = draw(
            st.sampled_from(
                ["NaN", "Infinity", "-Infinity", "1e999", "-0", "1" * 5000, "0.1e-400", "2e308"]
            )
        )
        end = text.find(",", m.end())
        end = end if end != -1 else m.end()
        text = text[: m.end()] + literal + text[end:]
    elif op == "bom":
        text = "\ufeff" + text
    elif op == "bytes":
        pos = draw(st.integers(0, len(data)))
        return data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos:]
    else:
        return data[: draw(st.integers(0, len(data) - 1))]
    return text.encode()


@FUZZ
@given(data=st.data(), fixup=st.sampled_from(["resign", "resign", "refresh", "none"]))
def test_edited_manifest(
    original: Original, example: Callable[[], Path], data: st.DataObject, fixup: str
) -> None:
    files = dict(original.files)
    mutated = data.draw(manifest_edits(files["manifest.json"]))
    files["manifest.json"] = mutated
    if fixup == "resign":
        # The real prosecutor signed it: the CMS holds and every later check runs.
        files["manifest.json.p7s"] = sign_detached(original.prosecutor, mutated)
    as_folder = data.draw(st.integers(0, 3)) == 0
    check_bag(
        original,
        example(),
        files,
        fixup="none" if fixup == "none" else "refresh",
        as_folder=as_folder,
        must_fail=fixup != "resign" and mutated != original.files["manifest.json"],
    )
