"""Reading zip exports member by member, in memory, with every member checked before it is read.

Nothing is ever extracted to disk, so a hostile member name ("../../etc/passwd", "/abs", "C:\\x")
cannot land anywhere; such names are still reported, because a forged export is itself a finding.
Bombs are stopped by the declared total size, the per-member compression ratio, and by counting
what is actually inflated (a member that inflates past its declared size is cut off).
"""

from __future__ import annotations

import hashlib
import pathlib
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from evidence.message import Message
from evidence.profiles.limits import Deadline, Limits, MiB, ProfileFailure

_CHUNK = 1 * MiB


@dataclass(frozen=True)
class MemberReport:
    """One zip member as listed in a profile."""

    name: str
    size: int
    sha256: str | None
    problem: str | None = None

    def to_json(self) -> dict[str, object]:
        """JSON object for the profile."""
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "problem": self.problem,
        }


def unsafe_name(name: str) -> Message | None:
    """Why a member name could escape an extraction root, or None if it could not."""
    if "\x00" in name:
        return Message("NUL in member name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return Message("absolute member path")
    if ".." in name.replace("\\", "/").split("/"):
        return Message("'..' in member path")
    return None


def open_zip(path: pathlib.Path, limits: Limits) -> zipfile.ZipFile:
    """Open a zip and check member count and declared total size; ProfileFailure if refused."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ProfileFailure(f"not a readable zip: {exc}") from exc
    infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        archive.close()
        raise ProfileFailure(
            f"zip has {len(infos)} members, over the limit of {limits.max_zip_members}"
        )
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_zip_total:
        archive.close()
        raise ProfileFailure(
            f"zip declares {declared} uncompressed bytes, over the limit of {limits.max_zip_total}"
        )
    return archive


def member_refusal(info: zipfile.ZipInfo, limits: Limits) -> Message | None:
    """Why a member must not be inflated (encrypted, link, bomb-like ratio), or None."""
    if info.flag_bits & 0x1:
        return Message("encrypted member, not read")
    if stat.S_ISLNK(info.external_attr >> 16):
        return Message("symbolic link member, not followed")
    if info.file_size > MiB:
        if info.compress_size <= 0:
            return Message("declared size without compressed data")
        ratio = info.file_size // info.compress_size
        if ratio > limits.max_zip_ratio:
            return Message(
                "compression ratio {ratio}:1 over the limit {limit}:1",
                ratio=ratio,
                limit=limits.max_zip_ratio,
            )
    return None


def iter_member_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Chunks of a member, cut off with ProfileFailure if it inflates past its declared size."""
    seen = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return
            seen += len(chunk)
            if seen > info.file_size:
                raise ProfileFailure("member inflates past its declared size")
            yield chunk


def hash_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, deadline: Deadline
) -> MemberReport:
    """SHA-256 of one member read in memory, or the reason it was not read."""
    problem = unsafe_name(info.filename)
    refusal = member_refusal(info, limits)
    if refusal is not None:
        return MemberReport(
            info.filename, info.file_size, None, "; ".join(filter(None, [problem, refusal]))
        )
    digest = hashlib.sha256()
    try:
        for chunk in iter_member_bytes(archive, info):
            digest.update(chunk)
            if deadline.expired():
                return MemberReport(info.filename, info.file_size, None, "time limit reached")
    except ProfileFailure as exc:
        return MemberReport(info.filename, info.file_size, None, str(exc))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        # zipfile reports CRC mismatches and unsupported methods this way
        return MemberReport(info.filename, info.file_size, None, f"unreadable: {exc}")
    return MemberReport(info.filename, info.file_size, digest.hexdigest(), problem)
