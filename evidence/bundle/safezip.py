"""Extracting an untrusted zip into a folder we own, hashing every file on the way.

zipfile.extractall is not enough for hostile input: it trusts the sizes in the headers, follows
no policy on entry counts or compression ratios, and silently cuts names at NUL. Here the whole
layout is first checked by `ziplayout` (one reading that every extractor must share), every
entry vetted (names, types, duplicates, declared sizes), then streamed with the limits enforced
on the bytes actually produced, never on what the headers say. Every file is hashed (SHA-256
and SHA-512) in the same pass that writes it.
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Malformed, OperationalError
from ..hashing import CHUNK, LARGE_CHUNK, Digests, copy_and_hash
from ..message import Message
from ..progress import Reporter, Silent
from .names import name_problems
from .ziplayout import DEFLATED, STORED, ZipEntry, read_layout

_ALLOWED_METHODS = {STORED: "stored", DEFLATED: "deflated"}
# Our longest name is under 300 bytes; PATH_MAX (4096) must still hold the temporary folder.
MAX_NAME_BYTES = 1024


@dataclass(frozen=True)
class ZipLimits:
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


def _reject(name: str, problem: Message) -> Malformed:
    return Malformed(
        Message("zip entry {name!r}: {problem}", name=name, problem=problem),
        "the bundle is damaged or hostile",
    )


def _check_name(entry: ZipEntry) -> str:
    """The entry's path without a trailing '/', or Malformed saying why it is unsafe."""
    raw = entry.name
    if "\x00" in raw:
        raise _reject(raw, Message("name contains a NUL byte"))
    if "\\" in raw:
        raise _reject(raw, Message("name contains a backslash (a Windows path separator)"))
    if raw.startswith("/"):
        raise _reject(raw, Message("absolute path"))
    if len(raw) >= 2 and raw[1] == ":" and raw[0].isalpha():
        raise _reject(raw, Message("name starts with a drive letter"))
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in raw):
        raise _reject(raw, Message("name contains a control character"))
    name = raw.removesuffix("/") if entry.is_dir else raw
    parts = name.split("/")
    if ".." in parts:
        raise _reject(raw, Message("path contains '..'"))
    if any(part in ("", ".") for part in parts):
        raise _reject(raw, Message("path has an empty or '.' component"))
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in parts):
        raise _reject(raw, Message("a path component is longer than 255 bytes"))
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise _reject(raw, Message("path is longer than {limit} bytes", limit=MAX_NAME_BYTES))
    return name


def _vet(entries: list[ZipEntry], limits: ZipLimits) -> list[str]:
    """Check every central-directory entry before anything is written; returns the names."""
    if len(entries) > limits.max_entries:
        raise Malformed(
            Message(
                "zip holds {n} entries; at most {limit} accepted",
                n=len(entries),
                limit=limits.max_entries,
            )
        )
    names: list[str] = []
    seen: set[str] = set()
    files: set[str] = set()
    declared = 0
    for entry in entries:
        name = _check_name(entry)
        mode = entry.mode
        if stat.S_ISLNK(mode):
            raise _reject(name, Message("is a symbolic link"))
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _reject(name, Message("is not a regular file or folder"))
        if entry.is_dir and stat.S_IFMT(mode) == stat.S_IFREG:
            raise _reject(name, Message("is a folder entry with the mode of a file"))
        if entry.method not in _ALLOWED_METHODS:
            raise _reject(
                name,
                Message("compression method {method} is not accepted", method=entry.method),
            )
        if entry.method == STORED and entry.compressed_size != entry.size:
            raise _reject(name, Message("stored, yet its two declared sizes differ"))
        if entry.is_dir and entry.size:
            raise _reject(name, Message("is a folder entry that holds data"))
        if name in seen:
            raise _reject(name, Message("appears twice in the archive"))
        seen.add(name)
        if not entry.is_dir:
            files.add(name)
            if entry.size > limits.max_file_size:
                raise _reject(
                    name,
                    Message("declares {size} bytes, over the per-file limit", size=entry.size),
                )
            declared += entry.size
        names.append(name)
    aliases = {name: entry.aliases for name, entry in zip(names, entries, strict=True)}
    for path, problem in name_problems(names, aliases):
        raise _reject(path, problem)
    for name in files:
        parents = name.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in files:
                raise _reject(name, Message("lies inside a path that is also a file"))
    if declared > limits.max_total_size:
        raise Malformed(
            Message(
                "zip declares {n} bytes in total; at most {limit} accepted",
                n=declared,
                limit=limits.max_total_size,
            )
        )
    return names


class _Stopped(Malformed):
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
                raise _Stopped(Message("extraction stopped: another entry was refused"))
            self.used += n
            if self.used > self.limit:
                raise Malformed(
                    Message(
                        "zip expands beyond {limit} bytes in total; refused as a zip bomb",
                        limit=self.limit,
                    )
                )


class _Bounded:
    """A zip entry stream that enforces the limits on the bytes it actually produces."""

    def __init__(
        self, stream: _EntryReader, entry: ZipEntry, limits: ZipLimits, budget: _Budget
    ) -> None:
        self.stream = stream
        self.entry = entry
        self.limits = limits
        self.budget = budget
        self.produced = 0

    def read(self, size: int) -> bytes:
        """Up to size bytes, under the same limits as readinto."""
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])

    def readinto(self, buffer: Any) -> int:
        """Read like a file; raise Malformed as soon as a limit is crossed."""
        n = self.stream.readinto(buffer)
        self.produced += n
        name = self.entry.name
        if self.produced > self.entry.size:
            raise _reject(name, Message("expands beyond the size its header declares"))
        if self.produced > self.limits.max_file_size:
            raise _reject(name, Message("expands beyond the per-file limit"))
        ratio_cap = self.limits.max_ratio * max(self.entry.compressed_size, 1)
        if self.produced > self.limits.ratio_floor and self.produced > ratio_cap:
            raise _reject(
                name,
                Message(
                    "compression ratio exceeds {ratio}:1 (zip bomb)", ratio=self.limits.max_ratio
                ),
            )
        self.budget.take(n)
        return n


class _EntryReader:
    """The bytes of one entry read straight from the archive at the offset the layout checked.

    Stored data is a plain sequential read (zipfile copies every chunk three times); deflated
    data is inflated here so that the stream must end exactly at the last compressed byte: a
    deflate stream that ends early would leave bytes some reader might still use.
    The CRC-32 is checked at the end, unless the caller checks the entry's SHA-256 and SHA-512
    against signed values (check_crc false): a stronger check of the very same bytes.
    """

    def __init__(self, archive: Path, entry: ZipEntry, *, check_crc: bool = True) -> None:
        self.entry = entry
        self.left = entry.compressed_size
        self.check_crc = check_crc
        self.crc = 0
        self.pending = b""
        self.checked = False
        self.inflater = zlib.decompressobj(-15) if entry.method == DEFLATED else None
        self.fh = open(archive, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self.fh.seek(entry.data_offset)

    def _raw(self, size: int) -> bytes:
        want = min(size, self.left)
        if want == 0:
            return b""
        data = self.fh.read(want) or b""
        if not data:
            raise _reject(self.entry.name, Message("damaged (archive ends inside it)"))
        self.left -= len(data)
        return data

    def _inflated(self, size: int) -> bytes:
        assert self.inflater is not None
        while not self.pending and not self.inflater.eof:
            chunk = self._raw(CHUNK) if self.left else b""
            if not chunk and not self.inflater.unconsumed_tail:
                raise _reject(self.entry.name, Message("damaged (deflate stream cut short)"))
            source = self.inflater.unconsumed_tail + chunk
            self.pending = self.inflater.decompress(source, max(size, CHUNK))
        if self.inflater.eof and (self.left or self.inflater.unused_data):
            raise _reject(self.entry.name, Message("deflate stream ends before its data does"))
        return self.pending

    def _finished(self) -> bool:
        if self.inflater is None:
            return self.left == 0
        return self.inflater.eof and not self.pending

    def readinto(self, buffer: Any) -> int:
        """Read the next chunk of the entry; at its end, check the CRC-32."""
        view = memoryview(buffer)
        n = 0
        if self.inflater is None:
            limit = min(len(view), self.left)
            if limit:
                n = self.fh.readinto(view[:limit]) or 0
                if n == 0:
                    raise _reject(self.entry.name, Message("damaged (archive ends inside it)"))
                self.left -= n
        else:
            data = self._inflated(len(view))
            n = min(len(view), len(data))
            view[:n] = data[:n]
            self.pending = data[n:]
        if n and self.check_crc:
            self.crc = zlib.crc32(view[:n], self.crc)
        if self._finished() and not self.checked:
            self.checked = True
            if self.check_crc and self.crc != self.entry.crc:
                raise _reject(self.entry.name, Message("damaged (Bad CRC-32)"))
        return n

    def close(self) -> None:
        """Close the archive handle."""
        self.fh.close()


def entries_of(archive: Path, codepage: str | None = None) -> list[ZipEntry]:
    """The archive's entries (ziplayout.read_layout), without the "./" of a folder zipped from
    inside it: that entry names the folder itself, which no extractor writes."""
    return [e for e in read_layout(archive, codepage) if not (e.name == "./" and e.size == 0)]


def read_entry(archive: Path, entry: ZipEntry, limit: int) -> bytes:
    """The bytes of one (small) entry, CRC-32 checked; Malformed beyond limit bytes."""
    if entry.size > limit:
        raise _reject(
            entry.name,
            Message("declares {size} bytes; at most {limit} read", size=entry.size, limit=limit),
        )
    stream = _EntryReader(archive, entry)
    bounded = _Bounded(stream, entry, ZipLimits(max_file_size=limit), _Budget(limit))
    out = bytearray()
    buffer = bytearray(CHUNK)
    try:
        while n := bounded.readinto(buffer):
            out += buffer[:n]
    except zlib.error as exc:
        raise _reject(entry.name, Message("damaged ({why})", why=str(exc))) from None
    finally:
        stream.close()
    if len(out) != entry.size:
        raise _reject(
            entry.name,
            Message("holds {n} bytes, its header declares {size}", n=len(out), size=entry.size),
        )
    return bytes(out)


def extract(
    archive: Path,
    dest: Path,
    *,
    limits: ZipLimits | None = None,
    reporter: Reporter | None = None,
    workers: int | None = None,
    keep: Callable[[str], bool] | None = None,
    digests_checked: Callable[[str], bool] | None = None,
    folders: list[str] | None = None,
    codepage: str | None = None,
) -> list[Extracted]:
    """Extract archive into the empty folder dest; returns every file, hashed, and appends the
    name of every folder entry to `folders` when given.

    Files for which keep(name) is false are hashed but not written (verification needs only
    the digests of a payload, and then a bomb cannot fill the disk either). For files for
    which digests_checked(name) is true the caller promises to compare both the SHA-256 and
    the SHA-512 returned with signed values and fail on any difference: their CRC-32, which
    only guards against accidents, is not computed (it cost a third of a 1 GiB verify).
    Names the zip does not declare a character set for are read in codepage (see ziplayout).
    Raises Malformed, naming the entry and the problem, for anything unsafe or damaged;
    dest may then hold partial output, so it should be a temporary folder the caller removes.
    """
    keep = keep or (lambda name: True)
    checked = digests_checked or (lambda name: False)
    limits = limits or ZipLimits()
    reporter = reporter or Silent()
    layout = entries_of(archive, codepage)
    names = _vet(layout, limits)
    entries = list(zip(layout, names, strict=True))
    if folders is not None:
        folders.extend(n for e, n in entries if e.is_dir)
    declared = sum(e.size for e, _ in entries if not e.is_dir)
    to_write = sum(e.size for e, n in entries if not e.is_dir and keep(n))
    free = shutil.disk_usage(dest).free
    if to_write > free:
        raise OperationalError(
            f"{dest}: {to_write} bytes needed to check the bundle, {free} free",
            "set TMPDIR to a folder on a larger disk",
        )
    for entry, name in entries:
        if keep(name):
            target = dest / (name if entry.is_dir else os.path.dirname(name))
            target.mkdir(parents=True, exist_ok=True)
    budget = _Budget(limits.max_total_size)
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            reporter.advance(n)

    def one(entry: ZipEntry, name: str) -> Extracted:
        target = dest / name if keep(name) else None
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = None if target is None else os.open(target, flags, 0o600)
        stream = _EntryReader(archive, entry, check_crc=not checked(name))
        try:
            bounded = _Bounded(stream, entry, limits, budget)
            chunk = LARGE_CHUNK if entry.size >= 8 * LARGE_CHUNK else CHUNK
            digests, size = copy_and_hash(bounded, fd, progress=advance, chunk=chunk)  # type: ignore[arg-type]
        except zlib.error as exc:
            raise _reject(name, Message("damaged ({why})", why=str(exc))) from None
        finally:
            stream.close()
            if fd is not None:
                os.close(fd)
        if size != entry.size:
            raise _reject(
                name,
                Message("holds {n} bytes, its header declares {size}", n=size, size=entry.size),
            )
        return Extracted(name, target, size, digests)

    files = [(e, n) for e, n in entries if not e.is_dir]
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
