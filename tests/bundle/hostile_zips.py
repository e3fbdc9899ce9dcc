"""The hostile zips of the differential and VERIFY.txt tests, made from a golden bundle.

Each is a way for two readers to see two bundles: the attacker wants `custody verify` (or the
plain path of VERIFY.txt) to pass on one reading while `unzip`, `bsdtar` or Python's zipfile
writes other bytes or other names to disk.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.bundle.zipcraft import Entry, entries_of, unicode_path, write
from tests.helpers import DATA

FORGED = b"forged by the attacker\n"


@dataclass(frozen=True)
class Base:
    """A genuine bundle to attack: its zip, top folder, a photo (stored) and a chat (text)."""

    zip: Path
    top: str
    photo: str  # zip entry names
    chat: str
    fingerprint: str


GOLDEN = DATA / "bundles" / "request-v1.zip"
GOLDEN_FINGERPRINT = "2d167474954313be78ca159af3c83ae13cfaae79c52948ffc14f6315da4c0099"
TOP = "request-v1"
CHAT = f"{TOP}/data/d3a9658f08af/чат переписка.txt"
GOLDEN_BASE = Base(GOLDEN, TOP, f"{TOP}/data/2373c0b539fc/GPS.jpg", CHAT, GOLDEN_FINGERPRINT)


def golden_entries(work: Path, b: Base = GOLDEN_BASE) -> list[Entry]:
    """A genuine bundle's files as stored, UTF-8-flagged entries, in the bundle's order."""
    folder = work / "golden-files"
    if not folder.exists():
        with zipfile.ZipFile(b.zip) as zf:
            zf.extractall(folder)
    order = [n for n in zipfile.ZipFile(b.zip).namelist() if not n.endswith("/")]
    by_name = {e.name.decode(): e for e in entries_of(folder / b.top, b.top)}
    return [by_name[n] for n in order]


def _beside(path: str, name: str) -> bytes:
    """A name in the same folder as path."""
    return f"{path.rsplit('/', 1)[0]}/{name}".encode()


def _at(entries: list[Entry], name: str) -> int:
    return next(i for i, e in enumerate(entries) if e.name.decode() == name)


def _swap(entries: list[Entry], name: str, new: Entry) -> list[Entry]:
    out = list(entries)
    out[_at(out, name)] = new
    return out


def unicode_path_on_folder_entry(entries: list[Entry], b: Base) -> list[Entry]:
    """A folder entry (zipfile skips it) whose Unicode Path names the photo, with bytes."""
    raw = f"{b.top}/data/".encode()
    evil = Entry(raw, FORGED, flags=0, extra=unicode_path(raw, b.photo), mode=0o100644)
    return [*entries, evil]


def unicode_path_renames_photo(entries: list[Entry], b: Base) -> list[Entry]:
    """After the genuine photo, forged bytes under a harmless name; Unicode Path says b.photo."""
    raw = _beside(b.photo, "GPS.bak")
    return [*entries, Entry(raw, FORGED, flags=0, extra=unicode_path(raw, b.photo))]


def unicode_path_swaps_two_files(entries: list[Entry], b: Base) -> list[Entry]:
    """VERIFY.txt and cover.pdf each carry the other's name in a Unicode Path field."""
    a, b = f"{b.top}/VERIFY.txt", f"{b.top}/cover.pdf"
    ea, eb = entries[_at(entries, a)], entries[_at(entries, b)]
    out = _swap(entries, a, ea.with_(flags=0, extra=unicode_path(a.encode(), b)))
    return _swap(out, b, eb.with_(flags=0, extra=unicode_path(b.encode(), a)))


def stale_unicode_path(entries: list[Entry], b: Base) -> list[Entry]:
    """A Unicode Path made for another header name: Info-ZIP ignores it, others may not."""
    e = entries[_at(entries, b.photo)]
    field = unicode_path(b"something else", _beside(b.photo, "evil.jpg").decode())
    return _swap(entries, b.photo, e.with_(flags=0, extra=field))


def local_header_longer(entries: list[Entry], b: Base) -> list[Entry]:
    """Stored chat whose local header declares it longer, with the CRC of the longer data."""
    e = entries[_at(entries, b.chat)]
    longer = e.data + FORGED
    return _swap(
        entries,
        b.chat,
        e.with_(local_payload=longer, local_size=len(longer), local_crc=zlib.crc32(longer)),
    )


def local_crc_wrong(entries: list[Entry], b: Base) -> list[Entry]:
    """The local header's CRC-32 is not the central one's (and not the data's)."""
    e = entries[_at(entries, b.photo)]
    return _swap(entries, b.photo, e.with_(local_crc=zlib.crc32(e.data) ^ 1))


def local_method_differs(entries: list[Entry], b: Base) -> list[Entry]:
    """The local header says deflated, the central directory stored."""
    e = entries[_at(entries, b.chat)]
    return _swap(entries, b.chat, e.with_(local_method=8))


def local_name_differs(entries: list[Entry], b: Base) -> list[Entry]:
    """The local header names another file than the central directory."""
    e = entries[_at(entries, b.photo)]
    return _swap(entries, b.photo, e.with_(local_name=_beside(b.photo, "GPX.jpg")))


def hidden_entry_between(entries: list[Entry], b: Base) -> list[Entry]:
    """A whole local entry for a forged file hidden between two entries, not in the directory."""
    name = b.photo.encode()
    hidden = (
        struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            0x800,
            0,
            0,
            0,
            zlib.crc32(FORGED),
            len(FORGED),
            len(FORGED),
            len(name),
            0,
        )
        + name
        + FORGED
    )
    i = _at(entries, b.photo)
    out = list(entries)
    out[i] = out[i].with_(gap_before=hidden)
    return out


def deflate_stream_ends_early(entries: list[Entry], b: Base) -> list[Entry]:
    """Deflated chat whose stream ends before its compressed bytes do (bytes hidden after)."""
    e = entries[_at(entries, b.chat)]
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = c.compress(e.data) + c.flush() + FORGED
    return _swap(entries, b.chat, e.with_(method=8, raw_stored=stream))


def descriptor_disagrees(entries: list[Entry], b: Base) -> list[Entry]:
    """Flag bit 3 with a data descriptor that states another CRC-32 and sizes."""
    e = entries[_at(entries, b.photo)]
    descriptor = struct.pack("<4sIII", b"PK\x07\x08", 0, len(e.data) + 1, len(e.data) + 1)
    return _swap(entries, b.photo, e.with_(flags=0x808, descriptor=descriptor))


def case_collision(entries: list[Entry], b: Base) -> list[Entry]:
    """DATA/... beside data/...: one file on Windows and macOS."""
    upper = b.photo.replace("/data/", "/DATA/").upper().replace(b.top.upper(), b.top)
    return [*entries, Entry(upper.encode(), FORGED)]


def trailing_dot_folder(entries: list[Entry], b: Base) -> list[Entry]:
    """`data./` beside `data/`: Windows strips the dot."""
    return [*entries, Entry(b.photo.replace("/data/", "/data./").encode(), FORGED)]


def normalisation_collision(entries: list[Entry], b: Base) -> list[Entry]:
    """The chat's name in NFD beside the NFC one: macOS makes them one file."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", b.chat.replace("чат", "чӓт"))
    nfc = unicodedata.normalize("NFC", nfd)
    return [*entries, Entry(nfc.encode(), FORGED), Entry(nfd.encode(), FORGED + b"!")]


def homoglyph_manifest(entries: list[Entry], b: Base) -> list[Entry]:
    """A second manifest named with a Cyrillic а."""
    return [*entries, Entry(f"{b.top}/mаnifest.json".encode(), b"{}")]


def fetch_txt(entries: list[Entry], b: Base) -> list[Entry]:
    """A BagIt fetch.txt: files to download from elsewhere."""
    return [*entries, Entry(f"{b.top}/fetch.txt".encode(), b"http://evil.example/x 10 data/x\n")]


def windows_device_name(entries: list[Entry], b: Base) -> list[Entry]:
    """A payload file named like a Windows device."""
    return [*entries, Entry(_beside(b.photo, "NUL.txt"), FORGED)]


def photo_replaced(entries: list[Entry], b: Base) -> list[Entry]:
    """Plain substitution of the photo's bytes (the baseline every path must catch)."""
    return _swap(entries, b.photo, entries[_at(entries, b.photo)].with_(data=FORGED))


# Layout attacks that need options of the writer rather than other entries.
WRITER_ATTACKS: dict[str, Callable[[list[Entry], Path], Path]] = {
    "end-record-count-short": lambda e, p: write(p, e, count=len(e) - 1),
    "prefix-bytes": lambda e, p: write(p, e, prefix=b"MZ" + os.urandom(64)),
    "trailing-bytes": lambda e, p: write(p, e, suffix=b"PK\x03\x04 trailing"),
    "archive-comment": lambda e, p: write(p, e, comment=b"see also evil.example"),
    "gap-before-central-directory": lambda e, p: write(p, e, cd_gap=FORGED),
}

ENTRY_ATTACKS: dict[str, Callable[[list[Entry], Base], list[Entry]]] = {
    "unicode-path-on-folder-entry": unicode_path_on_folder_entry,
    "unicode-path-renames-photo": unicode_path_renames_photo,
    "unicode-path-swaps-two-files": unicode_path_swaps_two_files,
    "stale-unicode-path": stale_unicode_path,
    "local-header-longer": local_header_longer,
    "local-crc-wrong": local_crc_wrong,
    "local-method-differs": local_method_differs,
    "local-name-differs": local_name_differs,
    "hidden-entry-between": hidden_entry_between,
    "deflate-stream-ends-early": deflate_stream_ends_early,
    "descriptor-disagrees": descriptor_disagrees,
    "case-collision": case_collision,
    "trailing-dot-folder": trailing_dot_folder,
    "normalisation-collision": normalisation_collision,
    "homoglyph-manifest": homoglyph_manifest,
    "fetch-txt": fetch_txt,
    "windows-device-name": windows_device_name,
    "photo-replaced": photo_replaced,
}
ALL_ATTACKS = sorted([*WRITER_ATTACKS, *ENTRY_ATTACKS])


def hostile_zip(attack: str, work: Path, b: Base = GOLDEN_BASE) -> Path:
    """A genuine bundle (the golden one by default) with one attack applied, as a zip in work."""
    entries = golden_entries(work, b)
    path = work / f"{attack}.zip"
    if attack in WRITER_ATTACKS:
        return WRITER_ATTACKS[attack](entries, path)
    return write(path, ENTRY_ATTACKS[attack](entries, b))
