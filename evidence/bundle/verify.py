"""Verifying a bundle, zipped or unzipped, with nothing but the bundle itself (no workspace).

Every check runs and is listed, passed or failed; a failure never hides the checks after it.
A zip is first extracted into a temporary folder under the limits of `safezip`, hashing every
file in the same pass, and the folder is removed afterwards whatever happens.

This module holds only what the hashing needs, so that it starts within a few hundredths of a
second; the checks that come after it (`bagchecks`) are imported in a thread meanwhile.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Malformed, NotFoundError
from ..message import Message
from ..progress import Reporter, Silent
from .bagit import PAYLOAD_DIR, BagFile, hash_files
from .checklist import Checklist
from .names import is_excerpt_file, name_problems
from .packaging import NO_BAG, Change, Packaging, bag_prefix, names_codepage
from .safezip import ZipLimits, entries_of, extract
from .verdict import ItemVerdict, VerifyResult

if TYPE_CHECKING:
    from datetime import datetime

    from cryptography import x509

    from ..tlog.cosignature import CosignatureVerifier

__all__ = ["ItemVerdict", "VerifyResult", "verify_bundle"]


def _shown(name: str) -> str:
    # os.scandir hands undecodable bytes over as surrogates, which no terminal can print.
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(root: Path, checks: Checklist) -> list[tuple[str, Path]]:
    """Every regular file under root, relative, '/'-separated; links and devices are findings."""
    found: list[tuple[str, Path]] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + _shown(entry.name)
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    checks.fail(
                        "bag.structure", rel, Message("is a symbolic link; links are refused")
                    )
                elif stat.S_ISDIR(mode):
                    stack.append((Path(entry.path), rel + "/"))
                elif stat.S_ISREG(mode):
                    found.append((rel, Path(entry.path)))
                else:
                    checks.fail("bag.structure", rel, Message("is not a regular file"))
    return sorted(found)


def _bag_root(folder: Path) -> Path:
    """The folder holding bagit.txt: the one given, or its only subfolder (an unzip target)."""
    if (folder / "bagit.txt").exists():
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    if len(subfolders) == 1 and (subfolders[0] / "bagit.txt").is_file():
        return subfolders[0]
    return folder


def _from_folder(folder: Path, checks: Checklist, reporter: Reporter) -> dict[str, BagFile]:
    files = _walk(folder, checks)
    # A zip's names were vetted as it was read; a folder's may collide all the same (a
    # case-sensitive file system holds data/x and DATA/x side by side).
    for path, problem in name_problems(rel for rel, _ in files):
        checks.fail("bag.names", path, problem)
    results = hash_files([p for _, p in files], reporter, "verify")
    return {
        rel: BagFile(rel, size, digests)
        for (rel, _), (digests, size) in zip(files, results, strict=True)
    }


def _is_tag_file(name: str) -> bool:
    # tag files, and an excerpt's records and proof (read whole by the excerpt check); name is
    # relative to the bag
    return name.split("/", 1)[0] != PAYLOAD_DIR or is_excerpt_file(name)


def _from_zip(
    archive: Path, dest: Path, checks: Checklist, limits: ZipLimits | None, reporter: Reporter
) -> tuple[Path, dict[str, BagFile], Packaging] | None:
    try:
        codepage = names_codepage(archive)
        # Folder entries count too: an empty folder beside the bag is something else in the zip.
        bag = bag_prefix(entries_of(archive, codepage))
        top = bag or ""
        # Only tag files are written out; payload is hashed as it streams and never stored.
        # Every payload file's SHA-256 and SHA-512 are compared with the signed manifest (one
        # not described there fails item.coverage), so its CRC-32 adds nothing: skipped.
        extracted = extract(
            archive,
            dest,
            limits=limits,
            reporter=reporter,
            keep=lambda name: _is_tag_file(name.removeprefix(top)),
            digests_checked=lambda name: not _is_tag_file(name.removeprefix(top)),
            codepage=codepage,
        )
    except Malformed as exc:
        checks.fail("zip", archive.name, exc.message)
        return None
    if bag is None:  # after every entry is vetted: a hostile name is the first thing to say
        checks.fail("zip", archive.name, NO_BAG)
        return None
    where = (
        Message("in {folder}", folder=top) if top else Message("at the top of the zip (no folder)")
    )
    checks.ok(
        "zip",
        archive.name,
        Message("{n} files {where}, within every limit", n=len(extracted), where=where),
    )
    files = {
        e.name.removeprefix(top): BagFile(e.name.removeprefix(top), e.size, e.digests)
        for e in extracted
    }
    changes = (() if top else (Change.NO_TOP_FOLDER,)) + (
        () if codepage is None else (Change.CODEPAGE,)
    )
    return dest / top, files, Packaging(changes, codepage)


def verify_bundle(
    path: Path,
    *,
    trust: Sequence[x509.Certificate] = (),
    fingerprints: Sequence[str] = (),
    limits: ZipLimits | None = None,
    reporter: Reporter | None = None,
    now: datetime | None = None,
    tsa_trust: list[Any] | None = None,
    anchor: str | None = None,
    cosigners: Sequence[CosignatureVerifier] = (),
) -> VerifyResult:
    """Check a bundle zip or folder; returns every check, failures included, never raising
    for a problem of the bundle itself (only for one of ours: missing path, full disk).
    With tsa_trust (TSA CA certificates) the signature's RFC 3161 token is checked too; with
    anchor (the root's fingerprint, pinned from outside) every custodian is established; with
    cosigners (witness keys) the log's checkpoint must carry each one's cosignature.
    """
    reporter = reporter or Silent()
    checks = Checklist()
    if not path.exists():
        raise NotFoundError(f"{path}: no such file or folder")
    # What the checks after the hashing need is made ready while the files are hashed.
    preparing = threading.Thread(target=_prepare, name="verify-prepare", daemon=True)
    preparing.start()
    try:
        return _verify_path(
            path, checks, limits, reporter, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
    finally:
        preparing.join()


def _verify_path(
    path: Path,
    checks: Checklist,
    limits: ZipLimits | None,
    reporter: Reporter,
    trust: Sequence[x509.Certificate],
    fingerprints: Sequence[str],
    now: datetime | None,
    tsa_trust: list[Any] | None,
    anchor: str | None,
    cosigners: Sequence[CosignatureVerifier],
) -> VerifyResult:
    # The checks after the hashing are imported only once it is done (_prepare imports them
    # meanwhile in a thread): imported here first, they would hold the hashing back.
    if path.is_dir():
        root = _bag_root(path)
        files = _from_folder(root, checks, reporter)
        from .bagchecks import verify_bag

        result = verify_bag(
            str(path), root, files, checks, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
        return replace(result, packaging=Packaging((Change.FOLDER,)))
    with tempfile.TemporaryDirectory(prefix="custody-verify-") as tmp:
        opened = _from_zip(path, Path(tmp), checks, limits, reporter)
        if opened is None:
            return VerifyResult(str(path), checks.result(), (), None, None, None)
        root, files, packaging = opened
        from .bagchecks import verify_bag

        result = verify_bag(
            str(path), root, files, checks, trust, fingerprints, now, tsa_trust, anchor, cosigners
        )
        return replace(result, packaging=packaging)


def _prepare() -> None:
    """Import the checks that come after the hashing (bagchecks: x509, CMS, the manifest and
    log readers; ~0.25 s) and fill their first caches, beside the hashing instead of before or
    after it. Only caches are filled: a failure here is met again, and reported, where the
    check itself runs."""
    try:
        from .bagchecks import prepare

        prepare()
    except Exception:
        pass
