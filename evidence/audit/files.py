"""File audit: the workspace's folders and vault entries, as the file system holds them.

A vault entry must be a regular file (not a symlink to a copy elsewhere), with one link (not
hard-linked to a name outside the vault, through which it could be changed), read-only; no
folder on the way may be a symlink or writable by group or others. Nothing in the workspace
may be readable by others (confidentiality). These are lstat() calls, cheap enough to run on
every audit; re-hashing stays behind --fixity.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import Finding
from ..message import Command, Message

Add = Callable[[str, str, Message], None]


def _mode_problems(path: Path, st: os.stat_result) -> list[Message]:
    out: list[Message] = []
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        out.append(
            Message(
                "{path} is writable by group or others (mode {st_mode:04o})",
                path=path,
                st_mode=stat.S_IMODE(st.st_mode),
            )
        )
    elif st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Workspaces made before custody kept them private (umask 022) land here: say the fix.
        mode = stat.S_IMODE(st.st_mode)
        out.append(
            Message(
                "{path} is open to group or others (mode {mode:04o}{command})",
                path=path,
                mode=mode,
                command=Command("; chmod go-rwx"),
            )
        )
    return out


def _folder(path: Path, add: Add) -> bool:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        add("files", str(path), Message("is not a real folder (a symlink or a file)"))
        return False
    for problem in _mode_problems(path, st):
        add("files", str(path), problem)
    return True


def check_workspace(root: Path, add: Add) -> None:
    """The workspace folder and its fixed folders and files: real, and private to the owner."""
    _folder(root, add)
    for name in ("keys", "checkpoints", "vault", "vault/sha256", "vault/tmp"):
        _folder(root / name, add)
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        path = root / name
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode):
            add("files", str(path), Message("is not a regular file"))
        for problem in _mode_problems(path, st):
            add("files", str(path), problem)
    for folder in ("keys", "checkpoints"):
        for path in sorted((root / folder).glob("*")) if (root / folder).is_dir() else []:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode):
                add("files", str(path), Message("is not a regular file (symlink?)"))
            for problem in _mode_problems(path, st):
                add("files", str(path), problem)


def check_vault_entries(entries: Iterable[tuple[str, Path]], add: Add) -> None:
    """Each (subject, path): a regular read-only file with one link under real, closed folders."""
    seen: set[Path] = set()
    for subject, path in entries:
        folder = path.parent
        if folder not in seen:
            seen.add(folder)
            if not _folder(folder, add) and folder.exists():
                continue
        try:
            st = path.lstat()
        except FileNotFoundError:
            add("fixity", subject, Message("vault file missing: {path}", path=path))
            continue
        if stat.S_ISLNK(st.st_mode):
            add(
                "fixity",
                subject,
                Message("vault entry is a symlink, not the vault's own copy: {path}", path=path),
            )
            continue
        if not stat.S_ISREG(st.st_mode):
            add("fixity", subject, Message("vault entry is not a regular file: {path}", path=path))
            continue
        if st.st_nlink != 1:
            add(
                "fixity",
                subject,
                Message(
                    "vault file has {st_nlink} links (hard-linked elsewhere?)", st_nlink=st.st_nlink
                ),
            )
        if st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            add("fixity", subject, Message("vault file is writable: {path}", path=path))
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            add(
                "files",
                subject,
                Message(
                    "vault file is readable by others{command}: {path}",
                    command=Command(" (chmod go-rwx)"),
                    path=path,
                ),
            )


def orphan_notices(vault_root: Path, named: Iterable[Path]) -> list[Finding]:
    """Vault files no item names: a notice, not a finding (an interrupted ingest leaves one,
    and so does a file copied in by hand; neither changes what any item's digest proves)."""
    content = vault_root / "sha256"
    if not content.is_dir():
        return []
    known = set(named)
    out: list[Finding] = []
    for folder in sorted(p for p in content.iterdir() if p.is_dir() and not p.is_symlink()):
        for path in sorted(folder.iterdir()):
            if path not in known:
                out.append(Finding("vault", str(path), Message("vault file that no item names")))
    return out
