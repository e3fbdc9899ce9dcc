"""A genuine bundle unzipped and zipped again, unchanged, by any common tool, still verifies;
one changed byte is then reported as a digest mismatch of that file, never as "missing"."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence.bundle.verify import verify_bundle
from tests.bundle.bundle_support import rezip
from tests.bundle.hostile_zips import CHAT, GOLDEN, GOLDEN_FINGERPRINT, TOP, golden_entries
from tests.bundle.zipcraft import unicode_path, write


def _infozip(folder: Path, archive: Path) -> None:
    # Debian's zip 3.0 writes non-ASCII names as raw UTF-8 bytes, without the UTF-8 flag.
    subprocess.run(["zip", "-qr", str(archive), TOP], cwd=folder, check=True)


def _bsdtar(folder: Path, archive: Path) -> None:
    # libarchive writes data descriptors (flag bit 3) and the UTF-8 flag.
    subprocess.run(["bsdtar", "-a", "-cf", str(archive), TOP], cwd=folder, check=True)


def _zipfile(folder: Path, archive: Path) -> None:
    rezip(folder / TOP, archive)


def _cp437_unicode_path(folder: Path, archive: Path) -> None:
    # A Windows tool's way: the header name in cp437 ('?' where cp437 has no letter), the real
    # name in an Info-ZIP Unicode Path field.
    entries = []
    for e in golden_entries(folder.parent):
        data = (folder / e.name.decode()).read_bytes()
        raw = e.name.decode().encode("cp437", "replace")
        extra = unicode_path(raw, e.name.decode()) if raw != e.name else b""
        entries.append(e.with_(name=raw, flags=0, extra=extra, data=data, create_system=0))
    write(archive, entries)


REZIPPERS: dict[str, Callable[[Path, Path], None]] = {
    "zip -r": _infozip,
    "bsdtar": _bsdtar,
    "zipfile": _zipfile,
    "cp437 + Unicode Path": _cp437_unicode_path,
}


def _unzipped(tmp_path: Path) -> Path:
    folder = tmp_path / "unzipped"
    subprocess.run(["unzip", "-q", str(GOLDEN), "-d", str(folder)], check=True)
    return folder


@pytest.mark.parametrize("tool", sorted(REZIPPERS))
def test_rezipped_bundle_verifies(tool: str, tmp_path: Path) -> None:
    assert shutil.which("zip") and shutil.which("bsdtar"), "make system-deps installs them"
    folder = _unzipped(tmp_path)
    archive = tmp_path / "again.zip"
    REZIPPERS[tool](folder, archive)
    result = verify_bundle(archive, fingerprints=[GOLDEN_FINGERPRINT])
    failed = [f"{c.name}: {c.message}" for c in result.checks if c.status == "failed"]
    assert result.status == "verified", failed
    assert len(zipfile.ZipFile(archive).namelist()) >= 13


@pytest.mark.parametrize("tool", sorted(REZIPPERS))
def test_one_changed_byte_is_a_digest_mismatch(tool: str, tmp_path: Path) -> None:
    folder = _unzipped(tmp_path)
    chat = folder / CHAT
    data = bytearray(chat.read_bytes())
    data[5] ^= 0x01
    chat.write_bytes(bytes(data))
    archive = tmp_path / "tampered.zip"
    REZIPPERS[tool](folder, archive)
    result = verify_bundle(archive, fingerprints=[GOLDEN_FINGERPRINT])
    failed = [(c.name, c.subject, c.message) for c in result.checks if c.status == "failed"]
    assert result.status == "failed"
    item_files = [f for f in failed if f[0] == "item.files"]
    assert item_files, failed
    assert all("sha256 differs" in m or "sha512 differs" in m for _, _, m in item_files)
    assert not any("missing" in m or "extra file" in m for _, _, m in failed), failed
    assert {s for c, s, _ in failed if c == "bag.fixity"} == {CHAT.removeprefix(TOP + "/")}
