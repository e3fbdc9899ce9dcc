"""The one reading of a zip we accept: every byte accounted for, every header in agreement.

Extractors disagree on hostile zips. Python's zipfile trusts the central directory and ignores
Info-ZIP's Unicode Path field; Info-ZIP `unzip` honours that field and, for a stored entry,
trusts the sizes of the *local* header; libarchive's `bsdtar` has rules of its own; all three
tolerate bytes between entries, a short entry count in the end record, or a stale local CRC. A
bundle verified through one reader and extracted through another would then be two bundles.

So the archive is parsed here by hand (zipfile offers no access to local headers, extra fields
or the layout) and accepted only when every reader must see the same names and bytes:

1. the end record (and the ZIP64 end record, when present) is the last thing in the file, with
   no comment, one disk, and an entry count equal to the entries in the central directory;
2. the central directory is exactly the bytes between the last entry and the end record;
3. the entries, in offset order, start at byte 0 and follow one another with no gap and no
   overlap: local header, name, extra field, data, data descriptor (flag bit 3) and nothing else;
4. each local header repeats its central entry: flags, method, name bytes, CRC-32 and sizes
   (or zeros with a data descriptor that carries them), and the same Unicode Path;
5. each name is read as Info-ZIP reads it: UTF-8 when flag bit 11 says so, else the Unicode
   Path extra field (0x7075, version 1, CRC-32 of the header name matching; a stale one is
   refused rather than ignored, since readers differ on that), else the header bytes, which
   must then be ASCII or, from a Unix host, UTF-8 (what `unzip` and `bsdtar` write to disk).
   The other names a reader may give the entry (zipfile's cp437 reading of the header bytes,
   or `unzip` and `bsdtar` under another locale: every code page in READINGS) are kept in
   `aliases`, so the caller can refuse one that is another entry's name;
6. a zip re-packed by a Windows tool may carry names in a code page without saying so (cp866
   from a Russian-locale zipper): the caller may then name the code page (`codepage`), found
   by matching the bag's own manifest (see packaging.py), and only those names are read in it;
7. a leading "./" (a folder zipped from inside with bsdtar) is dropped, as every extractor
   drops it when it writes the file; the entry "./" itself names the folder zipped, no file.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from ..errors import Malformed
from ..message import Message

_EOCD = b"PK\x05\x06"
_ZIP64_EOCD = b"PK\x06\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_ZIP64_FIELD = 0x0001
_UNICODE_PATH = 0x7075
_UNIX = 3
# Flag bits we accept: 1-2 deflate options, 3 data descriptor, 11 UTF-8 names. Everything else
# (0 and 6 encryption, 5 patched data, 13 masked headers...) changes how bytes are read.
_FLAGS_ACCEPTED = 0x2 | 0x4 | 0x8 | 0x800
# The highest "version needed to extract" read here: 4.6, as Info-ZIP unzip 6.0 ("can do
# v4.6"); Python's zipfile stops at 6.3, bsdtar reads anything. An entry that asks for more is
# one a recipient's unzip skips, so it is refused rather than read by one program only.
_MAX_NEEDED = 46
STORED, DEFLATED = 0, 8
_CENTRAL_FIXED = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_LOCAL_FIXED = struct.Struct("<4sHHHHHIIIHH")
_MAX_CENTRAL = 1 << 30
# The code pages a reader may read an unflagged name in: zipfile's cp437, and `unzip` or
# `bsdtar` under a Western, Central European or Cyrillic locale (DOS, Windows, KOI8, Mac).
READINGS = (
    "utf-8",
    "cp437",
    "cp850",
    "cp852",
    "cp866",
    "cp1250",
    "cp1251",
    "cp1252",
    "koi8_r",
    "koi8_u",
    "latin_1",
    "iso8859_5",
    "mac_cyrillic",
)


@dataclass(frozen=True)
class ZipEntry:
    """One entry as every extractor must see it, with where its data lies."""

    name: str
    raw_name: bytes
    aliases: frozenset[str]
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    data_offset: int
    mode: int
    create_system: int

    @property
    def is_dir(self) -> bool:
        """True for a folder entry (its name ends in '/')."""
        return self.name.endswith("/")


def _bad(archive: Path, problem: Message) -> Malformed:
    return Malformed(
        Message("{archive}: {problem}", archive=archive.name, problem=problem),
        "the bundle is damaged or hostile",
    )


def _entry_bad(name: str, problem: Message) -> Malformed:
    return Malformed(
        Message("zip entry {name!r}: {problem}", name=name, problem=problem),
        "the bundle is damaged or hostile",
    )


def _extras(data: bytes, where: str) -> dict[int, bytes]:
    """An extra field split into its blocks; malformed or repeated blocks are refused."""
    blocks: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise _entry_bad(where, Message("damaged extra field (a block header is cut short)"))
        tag, size = struct.unpack_from("<HH", data, pos)
        if pos + 4 + size > len(data):
            raise _entry_bad(
                where, Message("damaged extra field (block 0x{tag:04x} overruns it)", tag=tag)
            )
        if tag in blocks:
            raise _entry_bad(where, Message("extra field block 0x{tag:04x} appears twice", tag=tag))
        blocks[tag] = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
    return blocks


def _zip64_values(
    blocks: dict[int, bytes], wanted: list[tuple[str, int, int]], where: str
) -> dict[str, int]:
    """Resolve 0xFFFFFFFF (or 0xFFFF) fields from the ZIP64 block, in the APPNOTE's order."""
    out = {name: value for name, value, _ in wanted}
    needed = [(name, width) for name, value, width in wanted if value == (1 << (8 * width)) - 1]
    if not needed:
        return out
    block = blocks.get(_ZIP64_FIELD)
    if block is None:
        raise _entry_bad(where, Message("a size or offset says ZIP64, but there is no ZIP64 field"))
    pos = 0
    for name, width in needed:
        size = 4 if width == 2 else 8  # disk number: 4 bytes; sizes and offset: 8
        if pos + size > len(block):
            raise _entry_bad(where, Message("ZIP64 field is too short for the values it must hold"))
        out[name] = int.from_bytes(block[pos : pos + size], "little")
        pos += size
    return out


def _unicode_path(blocks: dict[int, bytes], raw: bytes, where: str) -> str | None:
    """The Info-ZIP Unicode Path (0x7075) name, or None; a stale or broken one is refused."""
    block = blocks.get(_UNICODE_PATH)
    if block is None:
        return None
    if len(block) < 5 or block[0] != 1:
        raise _entry_bad(where, Message("Unicode Path field of an unknown version or cut short"))
    (crc,) = struct.unpack_from("<I", block, 1)
    if crc != zlib.crc32(raw):
        # Info-ZIP then ignores it, other readers may not: refuse rather than guess.
        raise _entry_bad(where, Message("Unicode Path field was made for another name (stale)"))
    try:
        return block[5:].decode("utf-8")
    except UnicodeDecodeError:
        raise _entry_bad(where, Message("Unicode Path field is not UTF-8")) from None


class CharsetUndeclared(Malformed):
    """A name that is not ASCII, in a character set the zip does not declare."""


def _readings(raw: bytes) -> set[str]:
    """Every name a common reader may give these header bytes, whatever its locale."""
    out = set()
    for codepage in READINGS:
        with contextlib.suppress(UnicodeDecodeError):
            out.add(raw.decode(codepage))
    return out


def _names(
    raw: bytes, flags: int, upath: str | None, system: int, codepage: str | None
) -> tuple[str, frozenset[str]]:
    """The name as Info-ZIP gives it, and every other name a common reader may give."""
    where = raw.decode("utf-8", "backslashreplace")
    try:
        as_utf8: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    if flags & 0x800:
        if as_utf8 is None:
            raise _entry_bad(where, Message("flagged UTF-8, but its name is not UTF-8"))
        if upath is not None and upath != as_utf8:
            raise _entry_bad(where, Message("its UTF-8 name and its Unicode Path field differ"))
        return as_utf8, frozenset()
    # zipfile reads an unflagged name as cp437 and a reader that ignores the Unicode Path
    # field reads the header bytes in its locale's code page: every such reading is an alias.
    aliases = _readings(raw)
    if upath is not None:
        name = upath
    elif raw.isascii():
        name = raw.decode("ascii")
    elif as_utf8 is not None and system == _UNIX:
        name = as_utf8
    elif codepage is not None:
        try:
            name = raw.decode(codepage)
        except UnicodeDecodeError:
            raise _entry_bad(
                where,
                Message("name is not {codepage}, the code page of the others", codepage=codepage),
            ) from None
    else:
        raise CharsetUndeclared(
            Message(
                "zip entry {name!r}: {problem}",
                name=where,
                problem=Message("name is not ASCII and its character set is not declared"),
            ),
            "the bundle is damaged or hostile",
        )
    return name, frozenset(aliases - {name})


def _undotted(name: str) -> str:
    """The name without a leading "./", which every extractor drops (rule 7)."""
    return name[2:] if name.startswith("./") and name != "./" else name


def _end_record(archive: Path, fh: BinaryIO, size: int) -> tuple[int, int, int]:
    """(entry count, central directory offset, where the central directory must end)."""
    read, seek = fh.read, fh.seek
    if size < 22:
        raise _bad(archive, Message("not a zip file (too short for an end record)"))
    seek(size - 22)
    eocd = read(22)
    sig, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment = struct.unpack(
        "<4sHHHHIIH", eocd
    )
    if sig != _EOCD:
        raise _bad(
            archive,
            Message(
                "the zip end record is not the last 22 bytes (an archive comment or"
                " trailing bytes): refused, since readers would disagree on where the zip ends"
            ),
        )
    if comment:
        raise _bad(archive, Message("end record declares a comment that is not there"))
    end = size - 22
    if size >= 42:
        seek(size - 42)
        locator = read(20)
    else:
        locator = b""
    if locator[:4] == _ZIP64_LOCATOR:
        loc_disk, record_at, disks = struct.unpack_from("<IQI", locator, 4)
        if loc_disk != 0 or disks != 1:
            raise _bad(archive, Message("spans several disks"))
        seek(record_at)
        record = read(56)
        if len(record) < 56 or record[:4] != _ZIP64_EOCD:
            raise _bad(archive, Message("ZIP64 end record is not where its locator says"))
        (rsize,) = struct.unpack_from("<Q", record, 4)
        if record_at + 12 + rsize != size - 42:
            raise _bad(archive, Message("ZIP64 end record does not end where its locator begins"))
        d64, cd_d64, on64, total64, cd_size64, cd_offset64 = struct.unpack_from(
            "<IIQQQQ", record, 16
        )
        for small, big in ((disk, d64), (cd_disk, cd_d64), (on_disk, on64), (total, total64)):
            if small not in (big, 0xFFFF):
                raise _bad(archive, Message("end record and ZIP64 end record disagree"))
        for small, big in ((cd_size, cd_size64), (cd_offset, cd_offset64)):
            if small not in (big, 0xFFFFFFFF):
                raise _bad(archive, Message("end record and ZIP64 end record disagree"))
        disk, cd_disk, on_disk, total = d64, cd_d64, on64, total64
        cd_size, cd_offset = cd_size64, cd_offset64
        end = record_at
    if disk != 0 or cd_disk != 0 or on_disk != total:
        raise _bad(archive, Message("spans several disks"))
    if cd_offset + cd_size != end:
        raise _bad(
            archive,
            Message("central directory does not end where the end record begins (hidden bytes)"),
        )
    if cd_size > _MAX_CENTRAL:
        raise _bad(archive, Message("central directory is too large"))
    return total, cd_offset, end


def _central(
    archive: Path, data: bytes, total: int, codepage: str | None
) -> list[tuple[ZipEntry, dict[int, bytes]]]:
    entries = []
    pos = 0
    while pos < len(data):
        if pos + 46 > len(data) or data[pos : pos + 4] != _CENTRAL:
            raise _bad(archive, Message("damaged central directory"))
        (
            _,
            _version,
            system,
            needed,
            flags,
            method,
            _time,
            _date,
            crc,
            csize,
            usize,
            nlen,
            xlen,
            clen,
            disk,
            _internal,
            external,
            offset,
        ) = _CENTRAL_FIXED.unpack_from(data, pos)
        raw = data[pos + 46 : pos + 46 + nlen]
        extra = data[pos + 46 + nlen : pos + 46 + nlen + xlen]
        pos += 46 + nlen + xlen + clen
        if pos > len(data):
            raise _bad(archive, Message("damaged central directory (an entry overruns it)"))
        where = raw.decode("utf-8", "backslashreplace")
        blocks = _extras(extra, where)
        values = _zip64_values(
            blocks,
            [("usize", usize, 4), ("csize", csize, 4), ("offset", offset, 4), ("disk", disk, 2)],
            where,
        )
        if values["disk"] != 0:
            raise _entry_bad(where, Message("lies on another disk"))
        if needed & 0xFF > _MAX_NEEDED:
            raise _entry_bad(
                where,
                Message(
                    "needs zip version {version} to extract (unzip reads up to 4.6)",
                    version=f"{(needed & 0xFF) // 10}.{(needed & 0xFF) % 10}",
                ),
            )
        if flags & ~_FLAGS_ACCEPTED:
            problem = (
                Message("is encrypted")
                if flags & 0x41
                else Message("uses zip flags 0x{flags:04x}", flags=flags)
            )
            raise _entry_bad(where, problem)
        name, aliases = _names(raw, flags, _unicode_path(blocks, raw, where), system, codepage)
        entry = ZipEntry(
            name=_undotted(name),
            raw_name=raw,
            aliases=frozenset(_undotted(a) for a in aliases),
            method=method,
            flags=flags,
            crc=crc,
            compressed_size=values["csize"],
            size=values["usize"],
            header_offset=values["offset"],
            data_offset=-1,
            mode=external >> 16 if system == _UNIX else 0,
            create_system=system,
        )
        entries.append((entry, blocks))
    if len(entries) != total:
        raise _bad(
            archive,
            Message(
                "end record counts {total} entries, the central directory holds {n}",
                total=total,
                n=len(entries),
            ),
        )
    return entries


def _local(fh: BinaryIO, entry: ZipEntry, central_blocks: dict[int, bytes]) -> tuple[int, int]:
    """Check one local header against its central entry; (data offset, end of entry)."""
    read = fh.read
    fh.seek(entry.header_offset)
    where = entry.name
    fixed = read(30)
    if len(fixed) < 30 or fixed[:4] != _LOCAL:
        raise _entry_bad(
            where, Message("damaged (no local header where the central directory says)")
        )
    _, _needed, flags, method, _time, _date, crc, csize, usize, nlen, xlen = _LOCAL_FIXED.unpack(
        fixed
    )
    raw = read(nlen)
    blocks = _extras(read(xlen), where)
    if raw != entry.raw_name:
        raise _entry_bad(
            where, Message("local header names another file than the central directory")
        )
    if flags != entry.flags:
        raise _entry_bad(where, Message("local header flags differ from the central directory's"))
    if method != entry.method:
        raise _entry_bad(
            where, Message("local header compression method differs from the central one")
        )
    local_upath = _unicode_path(blocks, raw, where) if _UNICODE_PATH in blocks else None
    central_upath = _unicode_path(central_blocks, raw, where)
    if local_upath is not None and local_upath != central_upath:
        raise _entry_bad(where, Message("local and central Unicode Path fields differ"))
    zip64 = _ZIP64_FIELD in blocks
    sizes = _zip64_values(blocks, [("usize", usize, 4), ("csize", csize, 4)], where)
    declared = (crc, sizes["csize"], sizes["usize"])
    expected = (entry.crc, entry.compressed_size, entry.size)
    if flags & 0x8:
        if any(d not in (0, e) for d, e in zip(declared, expected, strict=True)):
            raise _entry_bad(
                where, Message("local header CRC-32 or sizes differ from the central ones")
            )
    elif declared != expected:
        raise _entry_bad(
            where,
            Message("local header CRC-32 differ from the central directory's")
            if declared[0] != expected[0]
            else Message("local header sizes differ from the central directory's"),
        )
    data_at = entry.header_offset + 30 + nlen + xlen
    end = data_at + entry.compressed_size
    if flags & 0x8:
        end += _descriptor(fh, end, entry, zip64 or entry.size >= 0xFFFFFFFF)
    return data_at, end


def _descriptor(fh: BinaryIO, at: int, entry: ZipEntry, zip64: bool) -> int:
    """Check the data descriptor after an entry's data; returns its length."""
    fh.seek(at)
    width = 8 if zip64 else 4
    head = fh.read(4 + 4 + 2 * width)
    signed = head[:4] == _DESCRIPTOR
    body = head[4:] if signed else head[: 4 + 2 * width]
    if len(body) < 4 + 2 * width:
        raise _entry_bad(entry.name, Message("data descriptor cut short"))
    crc = int.from_bytes(body[:4], "little")
    csize = int.from_bytes(body[4 : 4 + width], "little")
    usize = int.from_bytes(body[4 + width : 4 + 2 * width], "little")
    if (crc, csize, usize) != (entry.crc, entry.compressed_size, entry.size):
        raise _entry_bad(entry.name, Message("data descriptor differs from the central directory"))
    return (4 if signed else 0) + 4 + 2 * width


def read_layout(archive: Path, codepage: str | None = None) -> list[ZipEntry]:
    """Every entry of archive, in central-directory order, once the whole layout is checked.

    Raises Malformed naming the archive or entry for anything two readers could read
    differently: see the module docstring; CharsetUndeclared for a name that only a code page
    reads, unless codepage names it.
    """
    size = archive.stat().st_size
    with open(archive, "rb") as fh:
        total, cd_offset, cd_end = _end_record(archive, fh, size)
        fh.seek(cd_offset)
        central = _central(archive, fh.read(cd_end - cd_offset), total, codepage)
        ordered = sorted(central, key=lambda pair: pair[0].header_offset)
        expected_at = 0
        placed: dict[int, ZipEntry] = {}
        for entry, blocks in ordered:
            if entry.header_offset != expected_at:
                problem = (
                    Message("overlaps the entry before it")
                    if entry.header_offset < expected_at
                    else Message("is preceded by bytes that belong to no entry")
                )
                raise _entry_bad(entry.name, problem)
            data_at, expected_at = _local(fh, entry, blocks)
            placed[entry.header_offset] = replace(entry, data_offset=data_at)
        if expected_at != cd_offset:
            raise _bad(
                archive, Message("bytes that belong to no entry lie before the central directory")
            )
    return [placed[entry.header_offset] for entry, _ in central]
