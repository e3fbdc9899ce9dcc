"""Differential tests: what `custody verify` verified is what every common extractor writes.

Every hostile zip is extracted with Info-ZIP `unzip`, libarchive's `bsdtar` (reading the file,
which follows the central directory, and reading a pipe, which can only follow the local
headers) and Python's zipfile. Whenever any of them writes other names or other bytes than
the strict reader (`safezip.extract`, which verify uses) read, verify must fail.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence.bundle.safezip import extract
from evidence.bundle.verify import verify_bundle
from evidence.errors import EvidenceError
from tests.bundle.hostile_zips import ALL_ATTACKS, GOLDEN, GOLDEN_FINGERPRINT, hostile_zip

EXTRACTORS = ("unzip", "bsdtar", "bsdtar-stream", "zipfile")


def seen_by(extractor: str, archive: Path, dest: Path) -> dict[str, str] | None:
    """name -> SHA-256 of every regular file the extractor wrote (None: it wrote nothing)."""
    dest.mkdir(parents=True)
    if extractor == "zipfile":
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            pass
    elif extractor == "bsdtar-stream":
        tool = shutil.which("bsdtar")
        assert tool, "bsdtar is not installed (make system-deps)"
        with open(archive, "rb") as stream:
            subprocess.run(
                [tool, "-xf", "-", "-C", str(dest)], stdin=stream, capture_output=True, timeout=60
            )
    else:
        tool = shutil.which(extractor)
        assert tool, f"{extractor} is not installed (make system-deps)"
        args = (
            [tool, "-o", "-q", str(archive), "-d", str(dest)]
            if extractor == "unzip"
            else [tool, "-xf", str(archive), "-C", str(dest)]
        )
        subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    files = {
        p.relative_to(dest).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in dest.rglob("*")
        if p.is_file() and not p.is_symlink()
    }
    return files or None


def strict_view(archive: Path, dest: Path) -> dict[str, str] | None:
    """What verify read: the strict reader's names and SHA-256s, or None if it refused."""
    dest.mkdir(parents=True)
    try:
        return {e.name: e.digests.sha256 for e in extract(archive, dest)}
    except EvidenceError:
        return None


def test_golden_bundle_is_seen_alike_by_all(tmp_path: Path) -> None:
    strict = strict_view(GOLDEN, tmp_path / "strict")
    assert strict is not None
    for extractor in EXTRACTORS:
        assert seen_by(extractor, GOLDEN, tmp_path / extractor) == strict, extractor
    assert verify_bundle(GOLDEN, fingerprints=[GOLDEN_FINGERPRINT]).status == "verified"


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_verify_fails_whenever_an_extractor_sees_another_bundle(
    attack: str, tmp_path: Path
) -> None:
    archive = hostile_zip(attack, tmp_path)
    strict = strict_view(archive, tmp_path / "strict")
    views = {x: seen_by(x, archive, tmp_path / x) for x in EXTRACTORS}
    result = verify_bundle(archive, fingerprints=[GOLDEN_FINGERPRINT])
    differs = [x for x, view in views.items() if view is not None and view != strict]
    if differs or strict is None:
        assert result.status == "failed", (attack, differs)
    # Every attack here is hostile: none may verify, whatever the extractors did.
    assert result.status == "failed", attack
    # ...and at least one attack per family must really split the readers, or the test
    # would prove nothing: recorded in test_the_corpus_splits_the_readers.


def test_the_corpus_splits_the_readers(tmp_path: Path) -> None:
    # The attacks that made `custody verify` and `unzip` disagree before the strict reader.
    split = []
    for attack in ("unicode-path-renames-photo", "local-header-longer"):
        archive = hostile_zip(attack, tmp_path)
        python = seen_by("zipfile", archive, tmp_path / f"{attack}-py")
        infozip = seen_by("unzip", archive, tmp_path / f"{attack}-unzip")
        split.append(python != infozip)
    assert all(split)
