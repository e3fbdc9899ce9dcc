"""Which names a bundle may hold: none that two file systems, or two readers, map to one file.

A recipient unzips on Windows or macOS (case-insensitive, and macOS normalises Unicode), or
copies the folder to a USB stick. Names that differ only in case (`Data/ID/IMG.JPG` beside
`data/id/img.jpg`), in Unicode normalisation (NFC/NFKC), or by a trailing dot or space (which
Windows strips: `data./`, `data /`) would then land on one file, and which of the two survives
depends on the order of extraction. Windows device names (`CON`, `NUL.txt`) open a device.
Outside `data/`, only the fixed set of tag files we write may appear: a homoglyph
`mаnifest.json` (Cyrillic а) or a BagIt `fetch.txt` (files to download from elsewhere) is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from ..message import Message
from .bagit import PAYLOAD_DIR, PAYLOAD_MANIFESTS, TAG_MANIFESTS, TAG_SIGNATURE

# The log's checkpoint, its note and one C2SP tlog-proof per event and trust record
# (logproofs.py).
LOG_DIR = "log"
_LOG_FILE = re.compile(
    r"log/checkpoint\.json|log/checkpoint\.note"
    r"|log/proofs/(?:[0-9a-f]{1,64}|trust)-[0-9]{6}\.tlog-proof"
)
# An excerpt's records and proof (bundle/excerpts.py), in the item's folder.
_EXCERPT_FILE = re.compile(r"data/([0-9a-f]{12})/\1\.(?:records\.txt|proof\.json)")
TAG_FILES = frozenset(
    {
        "bagit.txt",
        "bag-info.txt",
        *PAYLOAD_MANIFESTS,
        *TAG_MANIFESTS,
        "manifest.json",
        "manifest.json.p7s",
        "signer.pem",
        "cover.pdf",
        "VERIFY.txt",
        TAG_SIGNATURE,
        "case.jsonld",  # `bundle --case-jsonld`: the CASE/UCO graph of the items sent
    }
)
_WINDOWS_RESERVED = re.compile(
    r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?", re.IGNORECASE
)


def fold(path: str) -> str:
    """The key under which case-insensitive, normalising file systems store path."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", path).casefold())


def component_problem(part: str) -> Message | None:
    """Why one path component is unsafe on some file system, or None."""
    if part != part.rstrip(". "):
        return Message("ends in a dot or a space (Windows strips them)")
    if _WINDOWS_RESERVED.fullmatch(part.strip()):
        return Message("is a Windows device name")
    return None


def name_problems(
    paths: Iterable[str], aliases: Mapping[str, Iterable[str]] | None = None
) -> list[tuple[str, Message]]:
    """(path, problem) for every path that is unsafe or collides with another.

    paths are '/'-separated, folders included or not; aliases maps a path to the other names
    some reader gives the same entry (see ziplayout), which must not be another entry's name.
    """
    problems: list[tuple[str, Message]] = []
    owners: dict[str, str] = {}
    listed = list(dict.fromkeys(p.rstrip("/") for p in paths))
    for path in listed:
        for part in path.split("/"):
            problem = component_problem(part)
            if problem:
                problems.append(
                    (path, Message("component {part!r} {problem}", part=part, problem=problem))
                )
                break
        for prefix in _prefixes(path):
            key = fold(prefix)
            other = owners.setdefault(key, prefix)
            if other != prefix:
                problems.append(
                    (
                        path,
                        Message(
                            "{prefix!r} and {other!r} differ only in case or Unicode"
                            " normalisation: one file on Windows and macOS",
                            prefix=prefix,
                            other=other,
                        ),
                    )
                )
    for path, names in (aliases or {}).items():
        for alias in names:
            owner = owners.get(fold(alias.rstrip("/")))
            if owner is not None and owner != path.rstrip("/"):
                problems.append(
                    (
                        path,
                        Message(
                            "another zip reader names it {alias!r}, the name of another entry",
                            alias=alias,
                        ),
                    )
                )
    return list(dict.fromkeys(problems))


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def layout_problems(files: Iterable[str]) -> list[tuple[str, Message]]:
    """(path, problem) for bag files (relative to the bag root) outside the fixed layout."""
    problems: list[tuple[str, Message]] = []
    for path in files:
        top = path.split("/", 1)[0]
        if "/" not in path:
            if path == "fetch.txt":
                problems.append(
                    (path, Message("fetch.txt (files to fetch from elsewhere) is refused"))
                )
            elif path not in TAG_FILES:
                problems.append((path, Message("is not one of the tag files a bundle holds")))
        elif top == LOG_DIR:
            if not _LOG_FILE.fullmatch(path):
                problems.append((path, Message("is not one of the log files a bundle holds")))
        elif top != PAYLOAD_DIR:
            problems.append(
                (
                    path,
                    Message(
                        "lies in folder {folder!r}; only {data}/ and {log}/ hold files",
                        folder=top,
                        data=PAYLOAD_DIR,
                        log=LOG_DIR,
                    ),
                )
            )
        elif path.count("/") != 2:
            problems.append(
                (
                    path,
                    Message("payload files lie in {data}/<item id>/<file name>", data=PAYLOAD_DIR),
                )
            )
    return problems


def is_excerpt_file(path: str) -> bool:
    """Whether a bag path is where an excerpt's records or proof file lies."""
    return _EXCERPT_FILE.fullmatch(path) is not None
