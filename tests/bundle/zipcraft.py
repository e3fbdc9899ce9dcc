"""A hand-written zip writer for hostile archives: every header field is ours to set.

zipfile cannot write a local header that disagrees with its central entry, a Unicode Path
field, a gap between entries or a short end record; an attacker's writer can, so ours does.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One entry; local_* fields default to the central values (None = same)."""

    name: bytes
    data: bytes
    method: int = 0
    flags: int = 0x800
    create_system: int = 3
    mode: int = 0o100644
    extra: bytes = b""
    local_name: bytes | None = None
    local_extra: bytes | None = None
    local_crc: int | None = None
    local_size: int | None = None
    local_method: int | None = None
    local_flags: int | None = None
    local_payload: bytes | None = None  # bytes actually stored after the local header
    descriptor: bytes | None = None  # bytes written after the data (flag bit 3)
    gap_before: bytes = b""
    crc: int | None = None
    raw_stored: bytes | None = None  # stored bytes for local and central alike (method as set)
    extra_fields: dict[int, bytes] = field(default_factory=dict)

    @property
    def stored(self) -> bytes:
        """The bytes as stored (deflated for method 8)."""
        if self.raw_stored is not None:
            return self.raw_stored
        if self.method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            return c.compress(self.data) + c.flush()
        return self.data

    def with_(self, **changes: object) -> Entry:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def unicode_path(raw_name: bytes, name: str) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075, version 1) giving name for raw_name."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw_name)) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def write(
    path: Path,
    entries: list[Entry],
    *,
    count: int | None = None,
    prefix: bytes = b"",
    suffix: bytes = b"",
    comment: bytes = b"",
    cd_gap: bytes = b"",
) -> Path:
    """Write entries as given; count overrides the end record's entry count."""
    out = bytearray(prefix)
    central = bytearray()
    for e in entries:
        out += e.gap_before
        offset = len(out)
        stored = e.stored
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        payload = stored if e.local_payload is None else e.local_payload
        local_name = e.name if e.local_name is None else e.local_name
        local_extra = e.extra if e.local_extra is None else e.local_extra
        out += struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            e.flags if e.local_flags is None else e.local_flags,
            e.method if e.local_method is None else e.local_method,
            0,
            0x5B21,
            crc if e.local_crc is None else e.local_crc,
            len(payload) if e.local_size is None else e.local_size,
            (len(e.data) if e.local_payload is None else len(payload))
            if e.local_size is None
            else e.local_size,
            len(local_name),
            len(local_extra),
        )
        out += local_name + local_extra + payload
        if e.descriptor is not None:
            out += e.descriptor
        central += struct.pack(
            "<4sBBHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            e.create_system,
            20,
            e.flags,
            e.method,
            0,
            0x5B21,
            crc,
            len(stored),
            len(e.data),
            len(e.name),
            len(e.extra),
            0,
            0,
            0,
            e.mode << 16,
            offset,
        )
        central += e.name + e.extra
    out += cd_gap
    cd_at = len(out)
    out += central
    n = len(entries) if count is None else count
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(central), cd_at, len(comment))
    out += comment + suffix
    path.write_bytes(bytes(out))
    return path


def entries_of(folder: Path, top: str) -> list[Entry]:
    """Every file under folder as a stored entry named top/relative path, UTF-8 flagged."""
    return [
        Entry(f"{top}/{p.relative_to(folder).as_posix()}".encode(), p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]
