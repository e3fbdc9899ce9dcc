"""One read pass, several digests, and optionally a copy written from the same buffers.

hashlib releases the GIL on large buffers, so SHA-512 runs on one core while SHA-256 and the
copy run on the other: an ingest costs about one `cp`, not one `cp` plus two hash passes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 4 << 20
PRIMARY = ("sha256", "sha512")
LEGACY = ("md5", "sha1")

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


def copy_and_hash(
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

    def run_b(view: memoryview) -> None:
        for h in lane_b:
            h.update(view)
        if sink_fd is not None:
            while view:
                written = os.write(sink_fd, view)
                view = view[written:]

    total = 0
    buffers = [bytearray(CHUNK) for _ in range(2)]
    pending: list[list[Future[None]]] = [[], []]
    # One single-thread executor per lane keeps each hash's updates in order.
    with (
        ThreadPoolExecutor(1, thread_name_prefix="hash-a") as pool_a,
        ThreadPoolExecutor(1, thread_name_prefix="hash-b") as pool_b,
    ):
        slot = 0
        while True:
            for fut in pending[slot]:
                fut.result()
            target = memoryview(buffers[slot])
            if limit is not None:
                target = target[: max(0, limit - total)]
            n = source.readinto(target)  # type: ignore[attr-defined]
            if not n:
                break
            view = target[:n]
            pending[slot] = [pool_a.submit(run_a, view), pool_b.submit(run_b, view)]
            total += n
            if progress is not None:
                progress(n)
            slot ^= 1
        for group in pending:
            for fut in group:
                fut.result()
    sha512 = lane_a[0].hexdigest()
    sha256 = lane_b[0].hexdigest()
    sha1 = lane_a[1].hexdigest() if legacy else None
    md5 = lane_b[1].hexdigest() if legacy else None
    return Digests(sha256, sha512, md5, sha1), total


def hash_file(path: os.PathLike[str] | str, *, legacy: bool = False) -> Digests:
    """Digests of a file's content, one read pass."""
    with open(path, "rb", buffering=0) as fh:
        return copy_and_hash(fh, legacy=legacy)[0]
