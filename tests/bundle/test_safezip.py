"""Hostile zips, built with zipfile directly: every one refused, nothing written outside dest."""

from __future__ import annotations

import hashlib
import os
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from evidence.bundle.safezip import ZipLimits as Limits
from evidence.bundle.safezip import extract
from evidence.errors import InputRejected


def make_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], **kw: int) -> Path:
    """A zip with these entries, written as given (duplicates and all)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression=kw.get("method", zipfile.ZIP_STORED)) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return path


def outside(root: Path, dest: Path) -> list[Path]:
    """Every file under root that is not under dest and not a zip we made."""
    return [
        p for p in root.rglob("*") if p.is_file() and dest not in p.parents and p.suffix != ".zip"
    ]


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def refused(archive: Path, dest: Path, match: str, limits: Limits | None = None) -> None:
    with pytest.raises(InputRejected, match=match):
        extract(archive, dest, limits=limits)
    assert outside(archive.parent, dest) == []


def test_good_zip_is_extracted_and_hashed_in_one_pass(tmp_path: Path, dest: Path) -> None:
    blobs = {f"b/data/{i}/f{i}.bin": os.urandom(100_000 * i) for i in range(5)}
    blobs["b/data/text.txt"] = "Привет\n".encode() * 50_000
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [("b/", b""), *blobs.items()]
    archive = make_zip(tmp_path / "good.zip", entries, method=zipfile.ZIP_DEFLATED)
    counted: list[int] = []

    class Counter:
        def start(self, total: int, label: str) -> None:
            counted.append(-total)

        def advance(self, done: int) -> None:
            counted.append(done)

        def finish(self) -> None:
            pass

    result = extract(archive, dest, reporter=Counter())
    assert {e.name for e in result} == set(blobs)
    for e in result:
        data = blobs[e.name]
        assert e.path.read_bytes() == data
        assert e.size == len(data)
        assert e.digests.sha256 == hashlib.sha256(data).hexdigest()
        assert e.digests.sha512 == hashlib.sha512(data).hexdigest()
    assert -counted[0] == sum(len(b) for b in blobs.values()) == sum(counted[1:])


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.txt", "'..'"),
        ("b/../../evil.txt", "'..'"),
        ("/tmp/evil.txt", "absolute path"),
        ("b\\..\\evil.txt", "backslash"),
        ("C:/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
        ("b//evil.txt", "empty or '.' component"),
        ("b/./evil.txt", "empty or '.' component"),
        ("b/evil\n.txt", "control character"),
        ("b/" + "x" * 300, "longer than 255 bytes"),
    ],
)
def test_unsafe_names(tmp_path: Path, dest: Path, name: str, problem: str) -> None:
    archive = make_zip(tmp_path / "slip.zip", [("b/ok.txt", b"ok"), (name, b"owned")])
    refused(archive, dest, problem)
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert list(dest.rglob("*.txt")) == []  # vetting happens before anything is written


def test_nul_in_name(tmp_path: Path, dest: Path) -> None:
    # zipfile cannot write a NUL into a name and silently cuts it on reading: patch the bytes.
    archive = make_zip(tmp_path / "nul.zip", [("b/evil.txtQ.jpg", b"x")])
    archive.write_bytes(archive.read_bytes().replace(b"evil.txtQ.jpg", b"evil.txt\x00.jpg"))
    refused(archive, dest, "NUL byte")


def test_symlink_entry(tmp_path: Path, dest: Path) -> None:
    link = zipfile.ZipInfo("b/passwd")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    archive = make_zip(tmp_path / "link.zip", [(link, b"/etc/passwd")])
    refused(archive, dest, "symbolic link")
    assert not (dest / "b" / "passwd").exists()


def test_device_entry(tmp_path: Path, dest: Path) -> None:
    fifo = zipfile.ZipInfo("b/fifo")
    fifo.create_system = 3
    fifo.external_attr = 0o010644 << 16
    refused(make_zip(tmp_path / "fifo.zip", [(fifo, b"")]), dest, "not a regular file")


def test_duplicate_names(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "dup.zip", [("b/a.txt", b"first"), ("b/a.txt", b"second")])
    refused(archive, dest, "appears twice")


def test_file_and_folder_with_the_same_name(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "clash.zip", [("b/a", b"file"), ("b/a/x", b"inside")])
    refused(archive, dest, "also a file")


def test_too_many_entries(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", [(f"b/{i}", b"") for i in range(11)])
    refused(archive, dest, "11 entries", Limits(max_entries=10))


def test_zip_bomb_by_ratio_is_stopped_while_streaming(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(
        tmp_path / "bomb.zip", [("b/zeros", bytes(50 << 20))], method=zipfile.ZIP_DEFLATED
    )
    assert archive.stat().st_size < 200_000
    refused(archive, dest, "compression ratio exceeds 100:1", Limits(max_ratio=100))
    # Stopped early: far less than the 50 MiB was written.
    written = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    assert written < 10 << 20


def test_total_size_limit(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(
        tmp_path / "big.zip", [("b/1", os.urandom(600_000)), ("b/2", os.urandom(600_000))]
    )
    refused(archive, dest, "declares 1200000 bytes in total", Limits(max_total_size=1_000_000))


def test_per_file_size_limit(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", [("b/1", os.urandom(600_000))])
    refused(archive, dest, "over the per-file limit", Limits(max_file_size=500_000))


def _patch_central_size(archive: Path, new_size: int) -> None:
    """Make the central directory lie about an entry's uncompressed size."""
    data = bytearray(archive.read_bytes())
    at = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, new_size)
    archive.write_bytes(bytes(data))


def test_header_understating_the_size_is_not_trusted(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(
        tmp_path / "liar.zip", [("b/x", b"A" * 5_000_000)], method=zipfile.ZIP_DEFLATED
    )
    _patch_central_size(archive, 100)  # the limits check would pass on this
    refused(archive, dest, "local header sizes differ", Limits(max_file_size=1000))
    assert not (dest / "b" / "x").exists()


def test_both_headers_understating_the_size(tmp_path: Path, dest: Path) -> None:
    # Local and central headers agree on the lie: the stream itself is cut at the declared size.
    archive = make_zip(
        tmp_path / "liar.zip", [("b/x", b"A" * 5_000_000)], method=zipfile.ZIP_DEFLATED
    )
    _patch_central_size(archive, 100)
    data = bytearray(archive.read_bytes())
    struct.pack_into("<I", data, data.index(b"PK\x03\x04") + 22, 100)
    archive.write_bytes(bytes(data))
    refused(archive, dest, "expands beyond", Limits(max_file_size=1000))
    assert (dest / "b" / "x").stat().st_size <= 4 << 20


def test_header_overstating_the_size(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "liar.zip", [("b/x", b"A" * 5000)], method=zipfile.ZIP_DEFLATED)
    _patch_central_size(archive, 6000)
    refused(archive, dest, "local header sizes differ")


def test_corrupted_entry_data(tmp_path: Path, dest: Path) -> None:
    payload = os.urandom(100_000)
    archive = make_zip(tmp_path / "crc.zip", [("b/x", payload)])
    data = archive.read_bytes()
    at = data.index(payload[:32])
    archive.write_bytes(data[: at + 50_000] + b"\x00" + data[at + 50_001 :])
    refused(archive, dest, "damaged.*CRC")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_zip(tmp_path: Path, dest: Path, keep: float) -> None:
    archive = make_zip(tmp_path / "t.zip", [("b/x", os.urandom(50_000)), ("b/y", b"y" * 10)])
    data = archive.read_bytes()
    archive.write_bytes(data[: int(len(data) * keep)])
    refused(archive, dest, "end record|not a zip file")


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x05\x06" + b"\x00" * 18])
def test_not_a_zip(tmp_path: Path, dest: Path, content: bytes) -> None:
    archive = tmp_path / "x.zip"
    archive.write_bytes(content)
    if content.startswith(b"PK\x05\x06"):
        assert extract(archive, dest) == []  # an empty zip is harmless
    else:
        refused(archive, dest, "end record|not a zip file")


def test_encrypted_entry(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "enc.zip", [("b/secret", b"x")])
    data = bytearray(archive.read_bytes())
    data[data.index(b"PK\x01\x02") + 8] |= 0x1  # zipfile clears the flag when writing
    archive.write_bytes(bytes(data))
    refused(archive, dest, "encrypted")


def test_other_compression_methods(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "bz.zip", [("b/x", b"x" * 1000)], method=zipfile.ZIP_BZIP2)
    refused(archive, dest, "compression method 12")


def test_one_bad_entry_among_many_stops_the_others(tmp_path: Path, dest: Path) -> None:
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        (f"b/{i}", os.urandom(2 << 20)) for i in range(6)
    ]
    entries.insert(3, ("b/bomb", bytes(20 << 20)))
    archive = make_zip(tmp_path / "mixed.zip", entries, method=zipfile.ZIP_DEFLATED)
    refused(archive, dest, "compression ratio", Limits(max_ratio=50))


def test_payload_can_be_hashed_without_being_written(tmp_path: Path, dest: Path) -> None:
    blob = os.urandom(300_000)
    archive = make_zip(tmp_path / "k.zip", [("b/data/x.bin", blob), ("b/tag.txt", b"tag")])
    result = {e.name: e for e in extract(archive, dest, keep=lambda n: n.endswith(".txt"))}
    assert result["b/data/x.bin"].path is None
    assert result["b/data/x.bin"].digests.sha512 == hashlib.sha512(blob).hexdigest()
    assert not (dest / "b" / "data").exists()
    assert (dest / "b" / "tag.txt").read_bytes() == b"tag"


def test_stored_entry_with_disagreeing_sizes(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "s.zip", [("b/x", b"x" * 1000)])
    data = bytearray(archive.read_bytes())
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 20, 10)  # compressed size
    archive.write_bytes(bytes(data))
    refused(archive, dest, "sizes differ")


def test_local_header_naming_another_file(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "l.zip", [("b/good.txt", b"x" * 1000)])
    data = archive.read_bytes()
    at = data.index(b"b/good.txt")  # the local header comes first
    archive.write_bytes(data[:at] + b"b/evil.txt" + data[at + 10 :])
    refused(archive, dest, "local header names another file")
