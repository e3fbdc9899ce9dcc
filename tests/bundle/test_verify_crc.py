"""A payload file's CRC-32 is not computed by verify: its SHA-256 and SHA-512 are checked against
the signed manifest, which catches every change the CRC would, and more. Tag files keep it."""

from __future__ import annotations

import struct
import subprocess
import zipfile
from pathlib import Path

from evidence.bundle.safezip import extract
from evidence.bundle.verify import verify_bundle
from tests.bundle.bundle_support import Built


def _stored(built: Built, out: Path) -> Path:
    """The bundle re-zipped without compression (still a genuine bundle), so that a byte of
    an entry can be changed in place."""
    with zipfile.ZipFile(built.zip_path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_STORED)
    assert verify_bundle(out).findings == []
    return out


def _member(zip_path: Path, part: str) -> tuple[zipfile.ZipInfo, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        info = next(i for i in zf.infolist() if part in i.filename and i.file_size > 200)
        return info, zf.read(info)


def _flip_stored_byte(zip_path: Path, info: zipfile.ZipInfo, body: bytes, out: Path) -> Path:
    data = zip_path.read_bytes()
    assert info.compress_type == zipfile.ZIP_STORED
    at = data.index(body[:64], info.header_offset) + len(body) // 2
    out.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    return out


def test_a_changed_payload_byte_fails_its_digests(built: Built, tmp_path: Path) -> None:
    good = _stored(built, tmp_path / "stored.zip")
    info, body = _member(good, "/data/")
    bad = _flip_stored_byte(good, info, body, tmp_path / "payload.zip")
    result = verify_bundle(bad)
    assert result.status == "failed"
    path = info.filename.split("/", 1)[1]
    messages = {(f.check, f.message) for f in result.findings}
    assert ("item.files", f"{path}: sha256 differs from the signed manifest") in messages
    assert ("item.files", f"{path}: sha512 differs from the signed manifest") in messages
    # Another reader sees the same damage through the CRC: the two agree it is not the file.
    with zipfile.ZipFile(bad) as zf:
        assert zf.testzip() == info.filename


def test_a_changed_tag_byte_is_still_a_bad_crc(built: Built, tmp_path: Path) -> None:
    good = _stored(built, tmp_path / "stored.zip")
    info, body = _member(good, "/VERIFY.txt")
    bad = _flip_stored_byte(good, info, body, tmp_path / "tag.zip")
    result = verify_bundle(bad)
    assert [f.check for f in result.findings] == ["zip"]
    assert f"{info.filename}" in result.findings[0].message
    assert "damaged (Bad CRC-32)" in result.findings[0].message


def test_extract_checks_every_crc_unless_told(built: Built, tmp_path: Path) -> None:
    good = _stored(built, tmp_path / "stored.zip")
    info, body = _member(good, "/data/")
    bad = _flip_stored_byte(good, info, body, tmp_path / "payload.zip")
    (tmp_path / "a").mkdir()
    try:
        extract(bad, tmp_path / "a")
    except Exception as exc:
        assert "Bad CRC-32" in str(exc)
    else:
        raise AssertionError("a damaged entry was extracted")
    (tmp_path / "b").mkdir()
    files = extract(bad, tmp_path / "b", digests_checked=lambda name: "/data/" in name)
    assert any(f.name == info.filename for f in files)


def _rewrite_crc(zip_path: Path, info: zipfile.ZipInfo, out: Path) -> Path:
    """The entry's CRC-32 field replaced, in its local header and its central entry alike (so
    the two headers still agree), its bytes untouched."""
    data = bytearray(zip_path.read_bytes())
    wrong = struct.pack("<I", info.CRC ^ 0xFFFFFFFF)
    data[info.header_offset + 14 : info.header_offset + 18] = wrong
    name = info.filename.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 16 : central + 20] = wrong
    out.write_bytes(bytes(data))
    return out


def test_a_wrong_crc_field_over_intact_payload_bytes_verifies(built: Built, tmp_path: Path) -> None:
    """Only the packaging's redundant checksum is wrong: every byte of the evidence still has
    its signed SHA-256 and SHA-512, so the contents are intact. unzip sees the same bytes and
    complains only about the checksum (the fuzz oracle in test_fuzz_zip.py counts it the same)."""
    good = _stored(built, tmp_path / "stored.zip")
    info, body = _member(good, "/data/")
    odd = _rewrite_crc(good, info, tmp_path / "crc.zip")
    assert verify_bundle(odd).findings == []  # as for the genuine bundle (_stored)
    listing = subprocess.run(["unzip", "-t", str(odd)], capture_output=True, text=True)
    assert listing.returncode != 0 and "bad CRC" in listing.stdout
    shown = subprocess.run(["unzip", "-p", str(odd), info.filename], capture_output=True)
    assert shown.stdout == body


def test_a_wrong_crc_field_on_a_tag_file_is_refused(built: Built, tmp_path: Path) -> None:
    good = _stored(built, tmp_path / "stored.zip")
    info, _ = _member(good, "/VERIFY.txt")
    result = verify_bundle(_rewrite_crc(good, info, tmp_path / "crc.zip"))
    assert [f.check for f in result.findings] == ["zip"]
    assert "damaged (Bad CRC-32)" in result.findings[0].message
