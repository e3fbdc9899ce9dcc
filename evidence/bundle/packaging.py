"""Telling a re-packed bundle from a forged one.

A recipient's colleague may unzip the bundle and zip it again from inside its folder, a
Russian-locale Windows zipper may write the names in code page 866 without saying so, or the
bundle may arrive as a folder. None of that touches a signed byte, so it must not read as
"verification FAILED": verify then checks every byte as usual and, when all of it holds, says
"packaging changed, contents intact" beside the verdict. What stays refused is any zip that two
readers could read as two bundles (ziplayout): a code page is only ever applied to names the
zip leaves undeclared, chosen as the one reading under which they are the names the bag's own
manifest lists (that manifest is then checked like every other byte), and every other reading
of those names must still name no other entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..errors import Malformed
from ..message import Message
from .bagit import PAYLOAD_DIR, PAYLOAD_MANIFESTS, BagReport, parse_manifest
from .safezip import entries_of, read_entry
from .ziplayout import READINGS, CharsetUndeclared, ZipEntry, read_layout

# Read whole to find the code page; a bag of a million files lists them in about 150 MB.
_MAX_MANIFEST = 256 << 20


class Change(StrEnum):
    """One way the bundle differs from what `custody bundle` packed."""

    FOLDER = "folder"  # an unpacked folder, not the zip
    NO_TOP_FOLDER = "no-top-folder"  # the bag's files at the top of the zip (zipped from inside)
    CODEPAGE = "codepage"  # names in a code page, without the UTF-8 flag


# What each change means, as documents print it (msgids of the message catalogue).
CHANGE_TEXT = {
    Change.FOLDER: "it was checked as a folder, not as the zip the sender made",
    Change.NO_TOP_FOLDER: "its files lie at the top of the zip, not in one folder (zipped again"
    " from inside the folder)",
    Change.CODEPAGE: "its file names are in code page {codepage} without the UTF-8 mark (zipped"
    " again by a tool set to another language); other unzip tools may show them garbled",
}
INTACT = "packaging changed, contents intact"
ALSO = "the bundle was also re-packed"


@dataclass(frozen=True)
class Packaging:
    """How the bundle reached us, where it differs from how it was packed."""

    changes: tuple[Change, ...] = ()
    codepage: str | None = None

    @property
    def changed(self) -> bool:
        """True when the bundle was re-packed (or arrived unpacked)."""
        return bool(self.changes)

    def describe(self, translate: Callable[[str], str] = str) -> list[str]:
        """One phrase per change, through translate (a catalogue's gettext)."""
        codepage = self.codepage or "?"
        return [translate(CHANGE_TEXT[c]).format(codepage=codepage) for c in self.changes]

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {"changes": [str(c) for c in self.changes], "codepage": self.codepage}


UNCHANGED = Packaging()


def bag_prefix(entries: list[ZipEntry]) -> str | None:
    """Where the bag lies in the zip: "" (its files at the top) or its one folder, with '/';
    None when the zip holds neither one folder nor the bag's files at its top."""
    names = [e.name for e in entries]
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1 or any("/" not in n for n in names):
        return None
    return tops.pop() + "/"


NO_BAG = Message(
    "must hold exactly one top-level folder (the bag), or the bag's own files at its top"
)


def _listed(archive: Path, raw: list[ZipEntry]) -> set[str] | None:
    """The payload paths the bag's manifest-sha256.txt lists, read with no name decoded."""
    wanted = PAYLOAD_MANIFESTS[0].encode()
    found = [
        e
        for e in raw
        if e.raw_name.removeprefix(b"./") == wanted or e.raw_name.split(b"/", 1)[1:] == [wanted]
    ]
    if len(found) != 1:
        return None
    data = read_entry(archive, found[0], _MAX_MANIFEST)
    return set(parse_manifest(data, PAYLOAD_MANIFESTS[0], BagReport()))


def names_codepage(archive: Path) -> str | None:
    """The code page of names the zip leaves undeclared, or None when it declares them all.

    The reading (of READINGS; the first of equals) under which most such names under data/ are
    paths the bag's manifest-sha256.txt lists; Malformed naming the first such entry when
    under none is any.
    """
    try:
        read_layout(archive)
        return None
    except CharsetUndeclared as exc:
        problem = exc
    # Every name read as latin-1 (any bytes decode): only to find the manifest and the names.
    raw = entries_of(archive, "latin_1")
    listed = _listed(archive, raw)
    # Undeclared: read as its latin-1 bytes (not as UTF-8 or from a Unicode Path field).
    undeclared = [
        e for e in raw if not e.raw_name.isascii() and e.raw_name.decode("latin_1").endswith(e.name)
    ]
    at_top = any(e.raw_name.removeprefix(b"./") == b"bagit.txt" for e in raw)
    best, score = None, 0
    for codepage in READINGS if listed is not None else ():
        try:
            paths = [e.raw_name.removeprefix(b"./").decode(codepage) for e in undeclared]
        except UnicodeDecodeError:
            continue
        in_bag = [p if at_top else p.partition("/")[2] for p in paths]
        payload = [p for p in in_bag if p.startswith(f"{PAYLOAD_DIR}/")]
        if not payload:
            return codepage  # only a folder's name: any reading verifies the same bytes
        # The reading that makes most names listed ones; a file added under another name is
        # then reported as such (item.coverage), like any file added.
        found = sum(1 for p in payload if p in (listed or set()))
        if found > score:
            best, score = codepage, found
    if best is not None:
        return best
    raise Malformed(
        Message(
            "{problem}; read in no common code page ({codepages}) is it a"
            " name that manifest-sha256.txt lists",
            problem=problem.message,
            codepages=", ".join(READINGS[1:]),
        ),
        problem.hint,
    )
