"""File metadata through exiftool: long-lived exiftool processes, never one per file.

An ingest hands exiftool small chunks of files as soon as they are in the vault
(`exiftool_pool`): up to one process per core, each started when the ones before are busy, so
exiftool works from the first file on while the next files are copied and hashed.

Files are always handed to exiftool by their vault path (a hex digest), so a hostile original
name (leading '-', newline) can never be taken for an option. The child gets a scrubbed
environment (`child_environment`): a passphrase in CUSTODY_PASSPHRASE must not be readable in
its /proc/PID/environ.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import exiftool
from exiftool.exceptions import ExifToolException

from .errors import OperationalError

# Tags that describe the vault copy, not the evidence: they would differ per workspace.
_VAULT_TAGS = {
    "SourceFile",
    "File:FileName",
    "File:Directory",
    "File:FileModifyDate",
    "File:FileAccessDate",
    "File:FileInodeChangeDate",
    "File:FilePermissions",
}
# What exiftool (Perl) needs to run and decode names; nothing else reaches it.
_CHILD_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PERL5LIB")
_MAX_INT = 2**53 - 1
_MAX_TEXT = 4096
READ_BLOCK = 1 << 20


def _clean(value: Any) -> Any:
    # Canonical JSON has no room for integers beyond 2**53 or NaN; long binary blobs are noise.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_INT else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return str(value)


class MetadataReader:
    """A running exiftool process; `read` takes many files per call."""

    def __init__(self, helper: exiftool.ExifToolHelper) -> None:
        self._helper = helper

    def read(self, paths: list[Path]) -> list[dict[str, Any]]:
        """Metadata per path, in order; a file exiftool cannot read gets {"error": ...}."""
        if not paths:
            return []
        try:
            results = self._helper.get_metadata([str(p) for p in paths])
        except (ExifToolException, ValueError) as exc:
            if len(paths) == 1:
                return [{"error": f"exiftool: {exc}"}]
            # One bad file must not cost the others their metadata.
            return [self.read([p])[0] for p in paths]
        by_source = {str(r.get("SourceFile")): r for r in results}
        out = []
        for p in paths:
            raw = by_source.get(str(p))
            if raw is None:
                out.append({"error": "exiftool returned nothing for this file"})
            else:
                out.append({k: _clean(v) for k, v in raw.items() if k not in _VAULT_TAGS})
        return out


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a child process may see: an allow-list, never a secret."""
    return {k: environ[k] for k in _CHILD_ENV if k in environ}


@contextmanager
def _scrubbed_environment() -> Iterator[None]:
    # pyexiftool passes no env= to Popen, so the child inherits os.environ at spawn time:
    # narrow it for exactly that moment.
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(child_environment(saved))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _start() -> exiftool.ExifToolHelper:
    """One exiftool process (-stay_open), started with a scrubbed environment."""
    try:
        helper = exiftool.ExifToolHelper(common_args=["-G", "-n"], check_execute=False)
        # A chunk's JSON in one or two reads, not one per 4 KB: each read needs the interpreter
        # lock, and exiftool waits for its next chunk until the reply has been read whole.
        helper.block_size = READ_BLOCK
        with _scrubbed_environment():
            helper.run()
    except (FileNotFoundError, ExifToolException) as exc:
        raise OperationalError(
            f"exiftool could not be started ({exc})",
            "install it: apt-get install -y libimage-exiftool-perl",
        ) from None
    return helper


@contextmanager
def exiftool_session() -> Iterator[MetadataReader]:
    """Start one exiftool process (with a scrubbed environment) for the duration of the block."""
    helper = _start()
    try:
        yield MetadataReader(helper)
    finally:
        helper.terminate()


class MetadataPool:
    """Up to `size` exiftool processes reading chunks of files in the background.

    `submit` is called from one thread (the ingest's): that is where processes are started, as
    the environment is narrowed around each start. A process is added only when every running
    one has a chunk waiting, so a run with few images starts one.
    """

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._helpers: list[exiftool.ExifToolHelper] = []
        self._idle: queue.SimpleQueue[MetadataReader] = queue.SimpleQueue()
        self._executor = ThreadPoolExecutor(self._size, thread_name_prefix="exiftool")
        self._submitted: list[Future[list[dict[str, Any]]]] = []

    def submit(self, paths: list[Path]) -> Future[list[dict[str, Any]]]:
        """Metadata of these files (as MetadataReader.read), read by the next free process."""
        if not paths:
            done: Future[list[dict[str, Any]]] = Future()
            done.set_result([])
            return done
        self._submitted = [f for f in self._submitted if not f.done()]
        if len(self._helpers) < self._size and len(self._submitted) >= len(self._helpers):
            helper = _start()
            self._helpers.append(helper)
            self._idle.put(MetadataReader(helper))
        future = self._executor.submit(self._read, paths)
        self._submitted.append(future)
        return future

    def _read(self, paths: list[Path]) -> list[dict[str, Any]]:
        reader = self._idle.get()
        try:
            return reader.read(paths)
        finally:
            self._idle.put(reader)

    def close(self) -> None:
        """Wait for the chunks submitted, then stop every process."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        for helper in self._helpers:
            helper.terminate()


@contextmanager
def exiftool_pool(size: int | None = None) -> Iterator[MetadataPool]:
    """A MetadataPool of up to `size` processes (default: one per core, at most 4)."""
    pool = MetadataPool(size or min(os.cpu_count() or 1, 4))
    try:
        yield pool
    finally:
        pool.close()
