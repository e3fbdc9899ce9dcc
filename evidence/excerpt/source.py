"""The bytes an item's records are cut from: the file itself, or the chat text inside its zip.

A WhatsApp export zip holds its chat as `_chat.txt` (iOS) or "WhatsApp Chat with ....txt"
(Android) beside the media; a zipped Telegram Desktop ChatExport folder holds its messages as
messages.html, messages2.html ... The zip's bytes are not text, so the commitment is to the
records of those members (the same members the profile reads: evidence.profiles.whatsapp.
chat_member and evidence.profiles.telegram_html.export_pages), each member split on its own,
in order, into one tree. The commitment names each member by the SHA-256 of its name and of
its bytes, its size and its record count: not by its name, because the commitment travels with
every excerpt and an Android member's name names the contact ("WhatsApp Chat with ...");
the profile signed in the same event lists the members by name with the same SHA-256.

Members are read in memory with the profiles' zip guards (evidence.profiles.archive): no name
leaves the zip, an encrypted, linked or bomb-like member is refused, and what inflates past its
declared size is cut off. A zip whose chat members cannot be read gets no commitment.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..message import Message
from ..profiles import DEFAULT_LIMITS
from ..profiles.archive import iter_member_bytes, member_refusal, open_zip, unsafe_name
from ..profiles.limits import ProfileFailure
from ..profiles.telegram_html import export_pages
from ..profiles.whatsapp import chat_member
from .split import ZIPPED

# Bigger sources are read whole into memory to be split: past this size no commitment is made.
MAX_COMMIT_BYTES = 512 * 1024 * 1024


class SourceError(ValueError):
    """The chat text inside a zip cannot be read (the message says which member and why)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Member:
    """One zip member whose records the commitment covers."""

    name: str
    sha256: str
    size: int
    records: int = 0

    def to_json(self) -> dict[str, Any]:
        """The form signed in the commitment (the name as its SHA-256 only)."""
        return {
            "name_sha256": name_sha256(self.name),
            "sha256": self.sha256,
            "size": self.size,
            "records": self.records,
        }


def name_sha256(name: str) -> str:
    """SHA-256 of a member's name (UTF-8), as the commitment names it."""
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


def member_json_ok(value: object) -> bool:
    """Whether a signed member entry has the four fields of Member.to_json, well typed."""
    if not isinstance(value, Mapping) or set(value) != {"name_sha256", "sha256", "size", "records"}:
        return False
    return all(isinstance(value[k], str) for k in ("name_sha256", "sha256")) and all(
        isinstance(value[k], int) and not isinstance(value[k], bool) for k in ("size", "records")
    )


@dataclass(frozen=True)
class Source:
    """The bytes records are cut from, as parts (one per member; one part for a plain file)."""

    parts: tuple[bytes, ...]
    members: tuple[Member, ...] = ()


def read_source(path: Path, layout: str) -> Source | None:
    """The item's record bytes: the file, or its chat members for the zipped layouts; None
    when too big to split in memory. SourceError when a zip's chat text cannot be read."""
    if layout not in ZIPPED:
        if path.stat().st_size > MAX_COMMIT_BYTES:
            return None
        return Source((path.read_bytes(),))
    try:
        with open_zip(path, DEFAULT_LIMITS) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            return _members(archive, _chosen(infos, layout))
    except (ProfileFailure, zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError,
            ValueError, NotImplementedError) as exc:  # fmt: skip
        raise SourceError(
            Message("the chat text inside the zip cannot be read ({why})", why=exc.message)
            if isinstance(exc, SourceError)
            # The zip reader's own diagnostic (zipfile, zlib, the profile's limits), in English.
            else Message("the chat text inside the zip cannot be read ({reason})", reason=str(exc))
        ) from None


def _chosen(infos: list[zipfile.ZipInfo], layout: str) -> list[zipfile.ZipInfo]:
    # the members the profile reads, in its order
    if layout == "whatsapp-zip":
        found = chat_member(infos)
        return [] if found is None else [found]
    by_name = {i.filename: i for i in infos}
    return [by_name[n] for n in export_pages(list(by_name))]


def _members(archive: zipfile.ZipFile, chosen: list[zipfile.ZipInfo]) -> Source | None:
    if not chosen:
        raise SourceError(Message("the zip holds no chat text member"))
    if sum(i.file_size for i in chosen) > MAX_COMMIT_BYTES:
        return None
    parts, members = [], []
    for info in chosen:
        refusal = unsafe_name(info.filename) or member_refusal(info, DEFAULT_LIMITS)
        if refusal is not None:
            raise SourceError(
                Message("member {name!r}: {refusal}", name=info.filename, refusal=refusal)
            )
        data = b"".join(iter_member_bytes(archive, info))
        parts.append(data)
        members.append(Member(info.filename, hashlib.sha256(data).hexdigest(), len(data)))
    return Source(tuple(parts), tuple(members))
