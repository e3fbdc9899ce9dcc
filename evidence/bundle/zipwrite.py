"""Writing a bundle's zip: tag files and payload streamed from the vault, each payload file
re-checked against its digests as it is copied, into a temporary file flushed to disk (moving it
into place is the export's last step: see exports.py). Bundles are readable by their owner only
(0600), whatever the umask: they hold evidence."""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import Finding, VerificationError
from ..hashing import CHUNK, Digests
from ..items import Item
from ..message import Message
from ..progress import Reporter

PROBE = 1 << 20
# Deflate only what it shrinks by a tenth: JPEG, MP4, ZIP and random data would cost time for
# nothing, and storing them also makes verification of the zip a plain read.
DEFLATE_BELOW = 0.9


def _zinfo(name: str, when: datetime, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, when.timetuple()[:6])
    info.compress_type = method
    info.external_attr = 0o100644 << 16
    info.create_system = 3  # Unix, so unzip applies the mode above
    return info


def _method(path: Path) -> int:
    with open(path, "rb") as fh:
        sample = fh.read(PROBE)
    if len(sample) < 64:
        return zipfile.ZIP_STORED
    return (
        zipfile.ZIP_DEFLATED
        if len(zlib.compress(sample, 1)) < DEFLATE_BELOW * len(sample)
        else zipfile.ZIP_STORED
    )


def _copy_checked(source: Path, sink: Any, expected: Digests, reporter: Reporter) -> None:
    """Copy source into an open zip entry while a second thread re-hashes what was copied."""
    sha = hashlib.sha256()
    buffers = [bytearray(CHUNK), bytearray(CHUNK)]
    with open(source, "rb", buffering=0) as src, ThreadPoolExecutor(1) as pool:
        pending: list[Any] = [None, None]
        slot = 0
        while True:
            if pending[slot] is not None:
                pending[slot].result()
            n = src.readinto(buffers[slot])
            if not n:
                break
            view = memoryview(buffers[slot])[:n]
            pending[slot] = pool.submit(sha.update, view)
            sink.write(view)
            reporter.advance(n)
            slot ^= 1
        for fut in pending:
            if fut is not None:
                fut.result()
    if sha.hexdigest() != expected.sha256:
        raise VerificationError(
            "a vault copy changed while the bundle was written; no bundle was made",
            [Finding("vault", str(source), Message("SHA-256 differs from the ledger"))],
        )


def write_zip(
    tmp: Path,
    name: str,
    sources: Sequence[tuple[str, Path, Item]],
    tags: dict[str, bytes],
    when: datetime,
    reporter: Reporter,
) -> dict[str, bool]:
    """Write the zip to tmp (which must not exist) and flush it to disk; removed on failure."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    compressed: dict[str, bool] = {}
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                first = ("bagit.txt", "bag-info.txt")
                for tag in first:
                    zf.writestr(_zinfo(f"{name}/{tag}", when, zipfile.ZIP_STORED), tags[tag])
                reporter.start(sum(item.size for _, _, item in sources), "bundle")
                try:
                    for bag_path, vault_path, item in sources:
                        method = _method(vault_path)
                        compressed[item.item_id] = method == zipfile.ZIP_DEFLATED
                        info = _zinfo(f"{name}/{bag_path}", when, method)
                        big = item.size >= zipfile.ZIP64_LIMIT
                        with zf.open(info, "w", force_zip64=big) as sink:
                            _copy_checked(vault_path, sink, item.digests, reporter)
                finally:
                    reporter.finish()
                for tag, content in tags.items():
                    if tag not in first:
                        method = zipfile.ZIP_DEFLATED if len(content) > 1024 else zipfile.ZIP_STORED
                        zf.writestr(_zinfo(f"{name}/{tag}", when, method), content)
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return compressed
