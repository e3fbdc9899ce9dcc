"""Bounded reading of untrusted files: heads for sniffing, JSON under a size cap, text decoding."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from evidence.profiles.limits import Limits, ProfileFailure


def read_head(path: pathlib.Path, size: int) -> bytes:
    """Up to size bytes from the start of path (empty on any I/O error)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def looks_binary(head: bytes) -> bool:
    """True if head holds NUL bytes or too many control bytes to be a text export."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls * 20 > len(head)


def decode_text(data: bytes) -> str:
    """Text of data: UTF-8 (BOM dropped) if it decodes, else windows-1251, as Russian-language
    exports (VK archives, bank and e-wallet statements) are usually one or the other."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a head cut in the middle of a multi-byte character is still UTF-8
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", errors="replace")
    return data.decode("cp1251", errors="replace")


def load_json(path: pathlib.Path, limits: Limits) -> Any:
    """Parse a JSON file no larger than limits.max_json_bytes; ProfileFailure otherwise."""
    try:
        size = path.stat().st_size
        if size > limits.max_json_bytes:
            raise ProfileFailure(
                f"JSON file of {size} bytes is over the {limits.max_json_bytes}-byte limit; "
                "not loaded"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    return parse_json_bytes(data)


def parse_json_bytes(data: bytes) -> Any:
    """json.loads with the failures of hostile input turned into ProfileFailure."""
    try:
        return json.loads(decode_text(data))
    except RecursionError as exc:
        raise ProfileFailure("JSON nested too deeply") from exc
    except ValueError as exc:
        raise ProfileFailure(f"malformed JSON: {str(exc)[:200]}") from exc
