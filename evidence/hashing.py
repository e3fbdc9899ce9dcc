"""One read pass, several digests, and optionally a copy written from the same buffers.

hashlib releases the GIL on large buffers, so SHA-512 runs on one core while SHA-256 and the
copy run on the other: reading, both digests and the copy take less time than `sha256sum`
alone (docs/benchmarks.md), instead of a copy plus two hash passes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 4 << 20
# For one large stream whose hashing shares the interpreter with other work (verify imports
# its later checks meanwhile): each 4 MiB handed to a lane costs a turn of the interpreter
# lock, up to 5 ms when another thread holds it, against ~6 ms of SHA-512; 16 MiB makes that
# a fifth at most.
LARGE_CHUNK = 16 << 20
# Written copies are handed to the disk every WRITEBACK bytes (see _writeback).
WRITEBACK = 64 << 20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Digests:
    """Hex digests of one byte stream; md5/sha1 only when asked for."""

    sha256: str
    sha512: str
    md5: str | None = None
    sha1: str | None = None

    def to_json(self) -> dict[str, str]:
        """Only the digests that were computed, by algorithm name."""
        out = {"sha256": self.sha256, "sha512": self.sha512}
        if self.md5 is not None:
            out["md5"] = self.md5
        if self.sha1 is not None:
            out["sha1"] = self.sha1
        return out

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Digests:
        """Inverse of to_json."""
        return cls(data["sha256"], data["sha512"], data.get("md5"), data.get("sha1"))


def _lanes(legacy: bool) -> tuple[list[hashlib._Hash], list[hashlib._Hash]]:
    # Lane A: SHA-512 (the slowest); lane B: SHA-256 and the copy; legacy digests balance them.
    lane_a = [hashlib.sha512()]
    lane_b = [hashlib.sha256()]
    if legacy:
        lane_a.append(hashlib.sha1())
        lane_b.append(hashlib.md5(usedforsecurity=False))
    return lane_a, lane_b


class Hasher:
    """Reusable one-pass hashing: its two lane threads and buffers live as long as it does.

    Creating threads and 4 MiB buffers per file would cost more than hashing a screenshot, so
    an ingest keeps one Hasher for the whole run. Reads smaller than SMALL are hashed inline.
    """

    SMALL = 256 << 10

    def __init__(self, chunk: int = CHUNK) -> None:
        self.chunk = chunk  # bytes per read (two buffers of it); see LARGE_CHUNK
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
        self._buffers: list[bytearray] | None = None

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the lane threads."""
        if self._pools is not None:
            for pool in self._pools:
                pool.shutdown()
            self._pools = None

    def _lanes(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor, list[bytearray]]:
        if self._pools is None or self._buffers is None:
            # One single-thread executor per lane keeps each hash's updates in order.
            self._pools = (
                ThreadPoolExecutor(1, thread_name_prefix="hash-a"),
                ThreadPoolExecutor(1, thread_name_prefix="hash-b"),
            )
            self._buffers = [bytearray(self.chunk) for _ in range(2)]
        return self._pools[0], self._pools[1], self._buffers

    def copy_and_hash(
        self,
        source: BinaryIO,
        sink_fd: int | None = None,
        *,
        legacy: bool = False,
        progress: Progress | None = None,
        limit: int | None = None,
    ) -> tuple[Digests, int]:
        """Read source once; hash it with every algorithm and write it to sink_fd if given.

        Stops after `limit` bytes if given (a file that keeps growing must not keep us reading).
        Returns the digests and the number of bytes read.
        """
        lane_a, lane_b = _lanes(legacy)

        def run_a(view: memoryview) -> None:
            for h in lane_a:
                h.update(view)

        flushed = [0, 0]  # bytes written, bytes handed to the disk

        def run_b(view: memoryview) -> None:
            for h in lane_b:
                h.update(view)
            if sink_fd is not None:
                while view:
                    written = os.write(sink_fd, view)
                    view = view[written:]
                    flushed[0] += written
                if flushed[0] - flushed[1] >= WRITEBACK:
                    _writeback(sink_fd, flushed[1], flushed[0] - flushed[1])
                    flushed[1] = flushed[0]

        total = 0
        first = source.read(self.SMALL if limit is None else min(self.SMALL, limit))
        if first:
            view = memoryview(first)
            run_a(view)
            run_b(view)
            total = len(first)
            if progress is not None:
                progress(total)
        if len(first) == self.SMALL and (limit is None or total < limit):
            total += self._threaded(source, run_a, run_b, progress, limit, total)
        sha512 = lane_a[0].hexdigest()
        sha256 = lane_b[0].hexdigest()
        sha1 = lane_a[1].hexdigest() if legacy else None
        md5 = lane_b[1].hexdigest() if legacy else None
        return Digests(sha256, sha512, md5, sha1), total

    def _threaded(
        self,
        source: BinaryIO,
        run_a: Callable[[memoryview], None],
        run_b: Callable[[memoryview], None],
        progress: Progress | None,
        limit: int | None,
        done: int,
    ) -> int:
        # Double buffering: while the lanes work on one buffer, the next read fills the other.
        pool_a, pool_b, buffers = self._lanes()
        total = 0
        pending: list[list[Future[None]]] = [[], []]
        slot = 0
        try:
            while True:
                for fut in pending[slot]:
                    fut.result()
                pending[slot] = []
                target = memoryview(buffers[slot])
                if limit is not None:
                    target = target[: max(0, limit - done - total)]
                n = source.readinto(target)  # type: ignore[attr-defined]
                if not n:
                    break
                view = target[:n]
                pending[slot] = [pool_a.submit(run_a, view), pool_b.submit(run_b, view)]
                total += n
                if progress is not None:
                    progress(n)
                slot ^= 1
        finally:
            for group in pending:
                for fut in group:
                    fut.result()
        return total


def _writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a range of a copy to the disk, without waiting (Linux sync_file_range with
    SYNC_FILE_RANGE_WRITE). The vault's barrier still makes the copy durable before any row
    points at it; it then finds most of a large file already written instead of all of it.
    A no-op where the call is missing."""
    call = _sync_file_range()
    if call is not None:
        call(fd, offset, length, 2)  # SYNC_FILE_RANGE_WRITE; a failure is the barrier's to see


_RANGE: list[Callable[[int, int, int, int], int] | None] = []


def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if not _RANGE:
        found = None
        try:
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            func = libc.sync_file_range
            func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            func.restype = ctypes.c_int
            found = func
        except (OSError, AttributeError):
            found = None
        _RANGE.append(found)
    return _RANGE[0]


def copy_and_hash(
    source: BinaryIO,
    sink_fd: int | None = None,
    *,
    legacy: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
    chunk: int = CHUNK,
) -> tuple[Digests, int]:
    """One-off `Hasher.copy_and_hash` (use a Hasher when hashing many files)."""
    with Hasher(chunk) as hasher:
        return hasher.copy_and_hash(source, sink_fd, legacy=legacy, progress=progress, limit=limit)


def hash_file(
    path: os.PathLike[str] | str, *, legacy: bool = False, hasher: Hasher | None = None
) -> Digests:
    """Digests of a file's content, one read pass."""
    with open(path, "rb", buffering=0) as fh:
        if hasher is not None:
            return hasher.copy_and_hash(fh, legacy=legacy)[0]
        return copy_and_hash(fh, legacy=legacy)[0]
