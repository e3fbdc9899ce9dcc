"""The write-once vault: content-addressed, read-only copies of evidence, vault/sha256/ab/cdef...

A file enters by temp file and rename, so a reader (or a crash) never sees half a file. Files are
made read-only and never rewritten: a second copy of the same bytes is simply dropped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import Finding, InputRejected, OperationalError, VerificationError
from .hashing import Digests, Hasher, Progress
from .message import Message


@dataclass(frozen=True)
class Stored:
    """The result of storing one file: its digests, size, vault path and whether it was new."""

    digests: Digests
    size: int
    path: Path
    new: bool


class Vault:
    """A vault folder inside a workspace."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.hasher = Hasher()
        self._folders: set[Path] = set()  # sha256/ab folders known to exist (one mkdir each)

    def path_for(self, sha256: str) -> Path:
        """Where the content with this SHA-256 lives."""
        return self.root / "sha256" / sha256[:2] / sha256[2:]

    def create(self) -> None:
        """Make the folder layout."""
        (self.root / "sha256").mkdir(mode=0o700, parents=True, exist_ok=True)
        self.tmp.mkdir(mode=0o700, exist_ok=True)

    def sweep(self, older_than: float = 3600.0) -> int:
        """Remove temp files an interrupted ingest left behind; returns how many.

        Only files older than `older_than` seconds: a younger one may belong to an ingest that
        another process is running right now.
        """
        removed = 0
        if self.tmp.is_dir():
            limit = time.time() - older_than
            for leftover in self.tmp.iterdir():
                if leftover.lstat().st_mtime < limit:
                    leftover.unlink()
                    removed += 1
        return removed

    def store(
        self,
        source: BinaryIO,
        name: str,
        *,
        legacy: bool = False,
        progress: Progress | None = None,
        hasher: Hasher | None = None,
    ) -> Stored:
        """Copy an open file into the vault while hashing it; refuse it if it changed meanwhile.

        Safe to call from several threads at once when each passes its own hasher (the
        vault's own one is for one thread at a time).

        Changed means any of size, mtime, ctime, inode or device differ before and after the
        read: a file rewritten with its size and mtime put back still has a new ctime (which
        no user can set), and its digest would be that of neither state.

        The copy is not fsynced here: the caller calls `barrier()` once per batch before
        committing the ledger rows that point at the new files.
        """
        before = os.fstat(source.fileno())
        tmp = self.tmp / f"{uuid.uuid4().hex}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                # One byte past the size seen at the start is enough to prove it grew.
                digests, size = (hasher or self.hasher).copy_and_hash(
                    source, fd, legacy=legacy, progress=progress, limit=before.st_size + 1
                )
            finally:
                os.close(fd)
            after = os.fstat(source.fileno())
            if _identity(before) != _identity(after) or size != after.st_size:
                raise InputRejected(
                    f"{name}: file changed while it was being read",
                    "stop whatever is writing to it, then ingest again",
                )
            final = self.path_for(digests.sha256)
            if final.exists():
                tmp.unlink()
                # Reusing a copy whose size is wrong would point new rows at damaged bytes.
                if final.stat().st_size != size:
                    raise VerificationError(
                        f"{final}: vault copy of {name} is damaged (size differs)",
                        [Finding("fixity", str(final), Message("size differs from the content's"))],
                    )
                return Stored(digests, size, final, new=False)
            if final.parent not in self._folders:
                final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._folders.add(final.parent)
            os.chmod(tmp, 0o400)
            os.replace(tmp, final)
            return Stored(digests, size, final, new=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def barrier(self, paths: list[Path]) -> str:
        """Make vault files durable before the ledger points at them (one sync per batch).

        syncfs(2) flushes only the vault's file system, so an ingest on a workstation that is
        busy writing elsewhere does not wait for all of it; where syncfs is missing, sync(2).
        Returns which of the two ran ("" when there was nothing to flush).
        """
        if not paths:
            return ""
        if _syncfs(self.root):
            return "syncfs"
        os.sync()
        return "sync"

    def is_read_only(self, sha256: str) -> bool:
        """True if the stored file carries no write permission bits."""
        mode = self.path_for(sha256).stat().st_mode
        return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What must not change while a file is read (st_ctime_ns: no one can set it back)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _syncfs(folder: Path) -> bool:
    # Python has no os.syncfs; libc has had it since glibc 2.14.
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OperationalError(f"{folder}: could not flush the vault ({os.strerror(err)})")
        return True
    finally:
        os.close(fd)
