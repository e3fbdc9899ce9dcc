"""Finding the files an ingest takes: walking the named paths without following links, and what
was passed over and why.

Shared by the ingest and its dry run, so both see exactly the same files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from .errors import InputRejected, NotFoundError, OperationalError

T = TypeVar("T")


def display_name(path: Path | str) -> str:
    """A file name safe to store and print: undecodable bytes shown as \\xNN escapes."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Outcome:
    """What happened to one input file."""

    path: str
    status: str  # "ingested" | "existing" | "refused" | "skipped"
    item_id: str | None = None
    sha256: str | None = None
    size: int | None = None
    evidence_type: str | None = None
    reason: str | None = None
    # For an item already held: the stated facts that differ from the held ones.
    differs: tuple[str, ...] = ()
    profile: str | None = None  # dry run: the kind of content profile it would get

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ()}


@dataclass(frozen=True)
class Candidate:
    """A regular file found by the scan, with its size then."""

    path: Path
    size: int


def check_named(path: Path) -> None:
    """Refuse (before anything is written) a named path that is missing, a link or not a file."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise NotFoundError(f"{display_name(path)}: no such file or folder") from None
    except OSError as exc:
        raise OperationalError(f"{display_name(path)}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InputRejected(
            f"{display_name(path)}: is a symbolic link; links are not followed",
            "ingest the file it points to by its real path",
        )
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise InputRejected(f"{display_name(path)}: not a regular file or folder (fifo, device?)")
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(st.st_mode) else 0)):
        raise OperationalError(f"{display_name(path)}: permission denied")


def scan(paths: list[Path]) -> tuple[list[Candidate], list[Outcome]]:
    """Every regular file under paths (links not followed), and what was passed over and why.

    Links, fifos, sockets and devices are "skipped" (not evidence files); a file or folder we
    could not read is "refused" (evidence we failed to take, so the run ends with exit 3).
    The walk is iterative: a folder nested thousands deep must not exhaust the stack.
    """
    for path in paths:
        check_named(path)
    found: list[Candidate] = []
    passed_over: list[Outcome] = []
    stack = list(reversed(paths))
    while stack:
        path = stack.pop()
        try:
            st = path.lstat()
        except OSError as exc:
            passed_over.append(Outcome(display_name(path), "refused", reason=str(exc.strerror)))
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                children = sorted(os.scandir(path), key=lambda e: e.name, reverse=True)
            except OSError as exc:
                reason = f"folder not readable: {exc.strerror}"
                passed_over.append(Outcome(display_name(path), "refused", reason=reason))
                continue
            stack.extend(Path(child.path) for child in children)
        elif stat.S_ISLNK(st.st_mode):
            passed_over.append(
                Outcome(display_name(path), "skipped", reason="symbolic link, not followed")
            )
        elif not stat.S_ISREG(st.st_mode):
            reason = "not a regular file (fifo, socket or device)"
            passed_over.append(Outcome(display_name(path), "skipped", reason=reason))
        elif not os.access(path, os.R_OK):
            passed_over.append(Outcome(display_name(path), "refused", reason="permission denied"))
        else:
            found.append(Candidate(path, st.st_size))
    return found, passed_over


def open_regular(path: Path) -> int:
    """Open a scanned file for reading, refusing one that became a link or fifo meanwhile."""
    # O_NOFOLLOW and O_NONBLOCK: a path swapped for a link or a fifo after the scan cannot
    # make us follow it or hang on it.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputRejected(f"{display_name(path)}: no longer a regular file")
    return fd


def read_scanned(path: Path, read: Callable[[BinaryIO], T]) -> T | str:
    """read(file) on a scanned file, or why the file was refused (a str: gone, now a link or a
    fifo, unreadable), for the ingest and its dry run alike."""
    try:
        with os.fdopen(open_regular(path), "rb", buffering=0) as fh:
            return read(fh)
    except InputRejected as exc:
        return exc.message
    except OSError as exc:
        return str(exc.strerror)
