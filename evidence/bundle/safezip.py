"""Extracting an untrusted zip into a folder we own, hashing every file on the way.

zipfile.extractall is not enough for hostile input: it trusts the sizes in the headers, follows
no policy on entry counts or compression ratios, and silently cuts names at NUL. Here every entry
is vetted from the central directory first (names, types, duplicates, declared sizes), then
streamed with the limits enforced on the bytes actually produced, never on what the headers say.
Every file is hashed (SHA-256 and SHA-512) in the same pass that writes it.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InputRejected, OperationalError
from ..hashing import Digests, copy_and_hash
from ..progress import Reporter, Silent

# What zipfile may raise on a damaged or malicious archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    struct.error,
)
_ALLOWED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# Our longest name is under 300 bytes; PATH_MAX (4096) must still hold the temporary folder.
MAX_NAME_BYTES = 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on what an archive may make us write; all are checked while streaming."""

    max_entries: int = 100_000
    max_file_size: int = 64 << 30
    max_total_size: int = 256 << 30
    # Deflate cannot exceed about 1032:1, so an honest entry never trips this; anything
    # beyond it is a bomb made by other means.
    max_ratio: int = 1100
    # Small entries (a run of zeros, an empty JSON list) may compress far better; harmless.
    ratio_floor: int = 1 << 20

    def to_json(self) -> dict[str, int]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Extracted:
    """One file of the archive, hashed; path is None when it was only hashed, not written."""

    name: str
    path: Path | None
    size: int
    digests: Digests


def _reject(name: str, problem: str) -> InputRejected:
    return InputRejected(f"zip entry {name!r}: {problem}", "the bundle is damaged or hostile")


def _check_name(info: zipfile.ZipInfo) -> str:
    """The entry's path without a trailing '/', or InputRejected saying why it is unsafe."""
    raw = info.orig_filename
    if "\x00" in raw:
        raise _reject(raw, "name contains a NUL byte")
    if "\\" in raw:
        raise _reject(raw, "name contains a backslash (a Windows path separator)")
    if raw.startswith("/"):
        raise _reject(raw, "absolute path")
    if len(raw) >= 2 and raw[1] == ":" and raw[0].isalpha():
        raise _reject(raw, "name starts with a drive letter")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise _reject(raw, "name contains a control character")
    name = raw.removesuffix("/") if info.is_dir() else raw
    parts = name.split("/")
    if ".." in parts:
        raise _reject(raw, "path contains '..'")
    if any(part in ("", ".") for part in parts):
        raise _reject(raw, "path has an empty or '.' component")
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in parts):
        raise _reject(raw, "a path component is longer than 255 bytes")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise _reject(raw, f"path is longer than {MAX_NAME_BYTES} bytes")
    return name


def _vet(infos: list[zipfile.ZipInfo], limits: Limits, archive_size: int) -> list[str]:
    """Check every central-directory entry before anything is written; returns the names."""
    if len(infos) > limits.max_entries:
        raise InputRejected(
            f"zip holds {len(infos)} entries; at most {limits.max_entries} accepted"
        )
    names: list[str] = []
    seen: set[str] = set()
    dirs: set[str] = set()
    files: set[str] = set()
    declared = 0
    for info in infos:
        name = _check_name(info)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _reject(name, "is a symbolic link")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _reject(name, "is not a regular file or folder")
        if info.flag_bits & 0x1:
            raise _reject(name, "is encrypted")
        if info.compress_type not in _ALLOWED_METHODS:
            raise _reject(name, f"compression method {info.compress_type} is not accepted")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _reject(name, "stored, yet its two declared sizes differ")
        if name in seen:
            raise _reject(name, "appears twice in the archive")
        seen.add(name)
        if info.is_dir():
            dirs.add(name)
        else:
            files.add(name)
            if info.file_size > limits.max_file_size:
                raise _reject(name, f"declares {info.file_size} bytes, over the per-file limit")
            if info.compress_size > archive_size:
                raise _reject(name, "declares more compressed bytes than the archive holds")
            # zipfile shifts every offset by the bytes it thinks precede the archive; a
            # forged central-directory offset makes that shift negative.
            if not 0 <= info.header_offset < archive_size:
                raise _reject(name, "damaged (its local header lies outside the archive)")
            declared += info.file_size
        names.append(name)
    for name in files:
        parents = name.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in files:
                raise _reject(name, "lies inside a path that is also a file")
    if declared > limits.max_total_size:
        raise InputRejected(
            f"zip declares {declared} bytes in total; at most {limits.max_total_size} accepted"
        )
    return names


class _Stopped(InputRejected):
    """Raised in the other workers once one entry has been refused."""


class _Budget:
    """Bytes written so far across every worker thread, and a stop flag for the others."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.stopped = False
        self.lock = threading.Lock()

    def take(self, n: int) -> None:
        with self.lock:
            if self.stopped:
                raise _Stopped("extraction stopped: another entry was refused")
            self.used += n
            if self.used > self.limit:
                raise InputRejected(
                    f"zip expands beyond {self.limit} bytes in total; refused as a zip bomb"
                )


class _Bounded:
    """A zip entry stream that enforces the limits on the bytes it actually produces."""

    def __init__(
        self, stream: IO[bytes], info: zipfile.ZipInfo, limits: Limits, budget: _Budget
    ) -> None:
        self.stream = stream
        self.info = info
        self.limits = limits
        self.budget = budget
        self.produced = 0

    def read(self, size: int) -> bytes:
        """Up to size bytes, under the same limits as readinto."""
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])

    def readinto(self, buffer: Any) -> int:
        """Read like a file; raise InputRejected as soon as a limit is crossed."""
        n: int = self.stream.readinto(buffer)  # type: ignore[attr-defined]
        self.produced += n
        name = self.info.filename
        if self.produced > self.info.file_size:
            raise _reject(name, "expands beyond the size its header declares")
        if self.produced > self.limits.max_file_size:
            raise _reject(name, "expands beyond the per-file limit")
        ratio_cap = self.limits.max_ratio * max(self.info.compress_size, 1)
        if self.produced > self.limits.ratio_floor and self.produced > ratio_cap:
            raise _reject(name, f"compression ratio exceeds {self.limits.max_ratio}:1 (zip bomb)")
        self.budget.take(n)
        return n


class _StoredReader:
    """The bytes of a stored entry read straight from the archive, CRC-32 checked at the end.

    zipfile's reader copies every chunk three times; for stored entries (most of a bundle's
    payload) reading the archive directly is a plain sequential read.
    """

    def __init__(self, archive: Path, info: zipfile.ZipInfo) -> None:
        self.info = info
        self.left = info.file_size
        self.crc = 0
        self.fh = open(archive, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        try:
            self._seek_to_data()
        except BaseException:
            self.fh.close()
            raise

    def _seek_to_data(self) -> None:
        # The local header repeats the name; its own lengths say where the data begins.
        self.fh.seek(self.info.header_offset)
        header = self.fh.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _reject(self.info.orig_filename, "damaged (no local header where it should be)")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        encoding = "utf-8" if self.info.flag_bits & 0x800 else "cp437"
        if self.fh.read(name_len) != self.info.orig_filename.encode(encoding):
            raise _reject(self.info.orig_filename, "damaged (local header names another file)")
        self.fh.seek(extra_len, os.SEEK_CUR)

    def readinto(self, buffer: Any) -> int:
        """Read the next chunk of the entry; at its end, check the CRC-32."""
        view = memoryview(buffer)[: min(len(buffer), self.left)]
        if not view:
            return 0
        n = self.fh.readinto(view) or 0
        if n == 0:
            raise _reject(self.info.orig_filename, "damaged (archive ends inside it)")
        self.crc = zlib.crc32(view[:n], self.crc)
        self.left -= n
        if self.left == 0 and self.crc != self.info.CRC:
            raise _reject(self.info.orig_filename, "damaged (Bad CRC-32)")
        return n

    def close(self) -> None:
        """Close the archive handle."""
        self.fh.close()


def _open_archive(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise
    except _ZIP_ERRORS as exc:
        raise InputRejected(f"{archive}: not a readable zip file ({exc})") from None


def extract(
    archive: Path,
    dest: Path,
    *,
    limits: Limits | None = None,
    reporter: Reporter | None = None,
    workers: int | None = None,
    keep: Callable[[str], bool] | None = None,
) -> list[Extracted]:
    """Extract archive into the empty folder dest; returns every file, hashed.

    Files for which keep(name) is false are hashed but not written (verification needs only
    the digests of a payload, and then a bomb cannot fill the disk either).
    Raises InputRejected, naming the entry and the problem, for anything unsafe or damaged;
    dest may then hold partial output, so it should be a temporary folder the caller removes.
    """
    keep = keep or (lambda name: True)
    limits = limits or Limits()
    reporter = reporter or Silent()
    with _open_archive(archive) as zf:
        try:
            infos = zf.infolist()
        except _ZIP_ERRORS as exc:  # pragma: no cover - infolist only reads parsed data
            raise InputRejected(f"{archive}: not a readable zip file ({exc})") from None
        names = _vet(infos, limits, archive.stat().st_size)
    entries = [(info, name) for info, name in zip(infos, names, strict=True)]
    declared = sum(i.file_size for i, _ in entries if not i.is_dir())
    to_write = sum(i.file_size for i, n in entries if not i.is_dir() and keep(n))
    free = shutil.disk_usage(dest).free
    if to_write > free:
        raise OperationalError(
            f"{dest}: {to_write} bytes needed to check the bundle, {free} free",
            "set TMPDIR to a folder on a larger disk",
        )
    for info, name in entries:
        if keep(name):
            target = dest / (name if info.is_dir() else os.path.dirname(name))
            target.mkdir(parents=True, exist_ok=True)
    budget = _Budget(limits.max_total_size)
    lock = threading.Lock()
    local = threading.local()

    def advance(n: int) -> None:
        with lock:
            reporter.advance(n)

    opened: list[zipfile.ZipFile] = []

    def one(info: zipfile.ZipInfo, name: str) -> Extracted:
        # One ZipFile per thread: a shared one serialises every read behind its lock.
        zf = getattr(local, "zf", None)
        if zf is None:
            zf = local.zf = _open_archive(archive)
            with lock:
                opened.append(zf)
        target = dest / name if keep(name) else None
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = None if target is None else os.open(target, flags, 0o600)
        stream: Any = None
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                stream = _StoredReader(archive, info)
            else:
                stream = zf.open(info)
            bounded = _Bounded(stream, info, limits, budget)
            digests, size = copy_and_hash(bounded, fd, progress=advance)  # type: ignore[arg-type]
        except _ZIP_ERRORS as exc:
            raise _reject(name, f"damaged ({exc})") from None
        finally:
            if stream is not None:
                stream.close()
            if fd is not None:
                os.close(fd)
        if size != info.file_size:
            raise _reject(name, f"holds {size} bytes, its header declares {info.file_size}")
        return Extracted(name, target, size, digests)

    files = [(i, n) for i, n in entries if not i.is_dir()]
    reporter.start(declared, "verify")
    try:
        with ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1)) as pool:
            futures = [pool.submit(one, i, n) for i, n in files]
            wait(futures, return_when=FIRST_EXCEPTION)
            budget.stopped = any(f.done() and f.exception() is not None for f in futures)
            wait(futures)
        errors = [f.exception() for f in futures if f.exception() is not None]
        real = [e for e in errors if not isinstance(e, _Stopped)]
        if real or errors:
            raise (real or errors)[0]  # type: ignore[misc]
        return [f.result() for f in futures]
    finally:
        reporter.finish()
        for handle in opened:
            handle.close()
