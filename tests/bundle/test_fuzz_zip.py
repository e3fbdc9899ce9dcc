"""Fuzzing verify with the zip itself damaged: its bytes, and hostile entries."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bundle.fuzz_support import FUZZ, Original, verdict, write_bag


def test_the_original_verifies(original: Original, example: Callable[[], Path]) -> None:
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(original.zip_bytes)
    result = verdict(original, archive, must_fail=False)
    assert result is not None and result.status == "verified", result
    bag = write_bag(original, original.files, example())
    result = verdict(original, bag, must_fail=False)
    assert result is not None and result.status == "verified", result


# -- (1) the zip file itself -------------------------------------------------------------------


def _zip_content(data: bytes) -> dict[str, bytes] | None:
    """Name -> bytes of every entry as the central directory describes it, or None if some
    entry cannot be read. Local-header fields the central directory repeats (the UTF-8 flag, the
    method) are ignored, as by every reader that trusts the directory. The CRC-32 is checked
    for tag files only: verify compares a payload file's SHA-256 and SHA-512 with the signed
    manifest instead (tests/bundle/test_verify_crc.py), so a payload entry whose CRC field alone
    is wrong holds the same bytes and still counts as unchanged."""
    out = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                start = info.header_offset
                if start < 0:
                    return None
                name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
                start += 30 + name_len + extra_len
                raw = data[start : start + info.compress_size]
                body = zlib.decompress(raw, -15) if info.compress_type else raw
                crc_bad = zlib.crc32(body) != info.CRC and "/data/" not in info.filename
                if crc_bad or len(body) != info.file_size:
                    return None
                out[info.filename] = body
    except Exception:
        return None
    return out


@st.composite
def byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """1-4 flips, overwrites, insertions, deletions or a truncation, often at a zip header."""
    headers = [m.start() for m in re.finditer(b"PK", data)]
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        if not n:
            break
        near_header = st.builds(int.__add__, st.sampled_from(headers), st.integers(0, 46))
        pos = min(draw(st.one_of(st.integers(0, n - 1), near_header)), n - 1)
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]))
        if op == "flip":
            data = data[:pos] + bytes([data[pos] ^ draw(st.integers(1, 255))]) + data[pos + 1 :]
        elif op == "overwrite":
            chunk = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from(
                        [
                            b"\xff\xff\xff\xff",
                            b"\x00\x00\x00\x00",
                            b"\xff\xff",
                            b"PK\x03\x04",
                            b"PK\x05\x06",
                        ]
                    ),
                )
            )
            data = data[:pos] + chunk + data[pos + len(chunk) :]
        elif op == "insert":
            data = data[:pos] + draw(st.binary(min_size=1, max_size=64)) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 64)) :]
        else:
            data = data[:pos]
    return data


@FUZZ
@given(data=st.data())
def test_damaged_zip_bytes(
    original: Original, example: Callable[[], Path], data: st.DataObject
) -> None:
    mutated = data.draw(byte_edits(original.zip_bytes))
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(mutated)
    unchanged = _zip_content(mutated) == _zip_content(original.zip_bytes)
    verdict(original, archive, must_fail=not unchanged)


def hostile_names(top: str) -> list[str]:
    """Entry names a hostile archive may hold, relative to nothing (the archive root)."""
    return [
        f"{top}/../evil.txt",
        "/tmp/evil.txt",
        f"{top}/data/../../evil.txt",
        "C:/evil.txt",
        f"{top}\\evil.txt",
        f"{top}/./bagit.txt",
        f"{top}//bagit.txt",
        f"{top}/bad\x01name",
        f"{top}/{'a' * 300}",
        f"{top}/{'d/' * 2100}deep.txt",
        f"{top}/{'e' * 250}/" * 20 + "long.txt",
        f"{top}/data/x/{'p/' * 2100}deep.bin",
        f"{top}/bagit.txt/inside",
        f"{top}/manifest.json",
        "other/bagit.txt",
        "loose.txt",
        f"{top}/extra.txt",
        f"{top}/data/extra.bin",
    ]


ATTRS = {
    "file": 0o100644 << 16,
    "symlink": 0o120777 << 16,
    "fifo": 0o010644 << 16,
    "dir": (0o040755 << 16) | 0x10,
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(data=st.data())
def test_hostile_zip_entries(
    original: Original, example: Callable[[], Path], data: st.DataObject
) -> None:
    extra = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(hostile_names(original.top)),
                st.sampled_from(sorted(ATTRS)),
                st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
                st.binary(max_size=64),
            ),
            min_size=1,
            max_size=3,
        )
    )
    drop = data.draw(st.sets(st.sampled_from(sorted(original.files)), max_size=2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, content in sorted(original.files.items()):
            if rel not in drop:
                zf.writestr(f"{original.top}/{rel}", content)
        for name, kind, method, content in extra:
            info = zipfile.ZipInfo(name)
            info.external_attr = ATTRS[kind]
            info.compress_type = method
            zf.writestr(info, content)
    folder = example()
    archive = folder / "bundle.zip"
    archive.write_bytes(buffer.getvalue())
    verdict(original, archive, must_fail=True)
