"""Streaming a big JSON export object by object, so memory stays flat whatever its size.

Telegram Desktop writes result.json as one line; a 50 MB export parsed whole becomes some
400 MB of Python objects. ijson (its C backend over yajl) hands over parse events instead; the
objects a parser wants (each message, each contact) are built one at a time from the events
under their path, and the scalars it wants (a chat's name) are picked out as they pass.
ijson is the maintained streaming JSON parser for Python; writing an incremental JSON
tokenizer by hand would repeat it, slower and less tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

__all__ = ["JsonEvent", "stream_objects"]

JsonEvent = tuple[str, str, Any]  # (path, "object" | "scalar" | "start" | "end", value)


def stream_objects(
    handle: IO[bytes], objects: frozenset[str], scalars: frozenset[str], marks: frozenset[str]
) -> Iterator[JsonEvent]:
    """(path, kind, value) for every object whose path is in objects (built whole), every
    scalar whose path is in scalars, and the start and end of every map in marks.

    Paths are ijson prefixes: "messages.item", "chats.list.item.name". ijson's errors
    (malformed or cut-off JSON) pass to the caller after what was read before them.
    """
    builder: ObjectBuilder | None = None
    building = ""
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == building and event in ("end_map", "end_array"):
                yield building, "object", builder.value
                builder = None
            continue
        if prefix in objects and event in ("start_map", "start_array"):
            builder, building = ObjectBuilder(), prefix
            builder.event(event, value)
        elif prefix in scalars and event in ("string", "number", "boolean", "null"):
            yield prefix, "scalar", value
        elif prefix in marks and event in ("start_map", "end_map"):
            yield prefix, "start" if event == "start_map" else "end", None
