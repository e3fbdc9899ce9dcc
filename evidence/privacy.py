"""Confidentiality: a workspace and everything in it is its owner's alone, whatever the umask.

Evidence, the ledger and checkpoints name victims, suspects and accounts; on a shared
workstation another local user must read none of it. Every custody process therefore runs with
umask 077, folders are made 0700 and files 0600 (vault copies 0400); keys, checkpoint files and
export journals are written through `write_private`. `custody audit` reports anything in a
workspace that others can read or write (evidence/audit/files.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_umask() -> None:
    """Make every file this process creates from now on owner-only."""
    os.umask(PRIVATE_UMASK)


def open_private(path: Path, *, exclusive: bool = False) -> BinaryIO:
    """Open path for writing as an owner-only (0600) file, even if it exists with wider bits."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def make_private_dir(path: Path) -> None:
    """Create a folder (and its missing parents) and make it 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write an owner-only file durably: temp file, fsync, rename, then fsync of its folder, so
    a crash leaves the old file or the new one, never a torn one."""
    tmp = path.with_suffix(".tmp")
    with open_private(tmp) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
