"""Bounded reading of untrusted files: heads for sniffing, JSON under a size cap, text decoding.

Encodings. Exports reach us in UTF-8 (with or without a BOM), UTF-16 with a BOM (older Windows
tools, Excel's "Unicode text"), windows-1251 (Russian Excel, bank and e-wallet statements, VK
archives) and KOI8-R (old mail and Unix tools). A BOM decides; else text that decodes as UTF-8
is UTF-8; else charset-normalizer judges the bytes among the single-byte code pages such files
use. Its verdict is a measured one (how chaotic the decoded text is, which language it reads
as), where a hand-written guess would only try code pages in a fixed order and always "succeed"
with the first: cp1251 and KOI8-R both decode any byte string. The choice and its reason go
into the profile (`encoding`, `encoding_reason`).
"""

from __future__ import annotations

import codecs
import io
import json
import pathlib
from dataclasses import dataclass
from typing import IO, Any

from charset_normalizer import from_bytes

from evidence.profiles.limits import Limits, ProfileFailure

# single-byte code pages of the exports we meet; mac_cyrillic and ISO 8859-5 are left out on
# purpose: they score like cp1251 on short Russian text and almost nobody writes them
_CANDIDATES = ["cp1251", "koi8_r", "cp866", "cp1252"]
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 byte order mark"),
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32LE byte order mark"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32BE byte order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16LE byte order mark"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16BE byte order mark"),
)


@dataclass(frozen=True)
class TextEncoding:
    """The codec a text file is read with, and why it was chosen."""

    codec: str  # a Python codec name; utf-8-sig, utf-16 and utf-32 drop their BOM
    reason: str

    def to_json(self) -> dict[str, str]:
        """The profile's `encoding` and `encoding_reason`."""
        name = {"utf-8-sig": "utf-8", "utf_8": "utf-8"}.get(self.codec, self.codec)
        return {"encoding": name.replace("_", "-"), "encoding_reason": self.reason}


UTF8 = TextEncoding("utf-8-sig", "decodes as UTF-8")


def detect_encoding(head: bytes) -> TextEncoding:
    """The encoding of a file judged from its first bytes (a BOM, UTF-8 validity, else
    charset-normalizer among cp1251, KOI8-R, cp866 and cp1252)."""
    for bom, codec, why in _BOMS:
        if head.startswith(bom):
            return TextEncoding(codec, why)
    try:
        head.decode("utf-8")
        return UTF8 if any(b > 127 for b in head) else TextEncoding("utf-8-sig", "ASCII only")
    except UnicodeDecodeError as exc:
        # a head cut in the middle of a multi-byte character is still UTF-8
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return UTF8
    matches = from_bytes(head, cp_isolation=_CANDIDATES)
    best = matches.best()
    if best is None:
        return TextEncoding("cp1251", "not UTF-8 and no code page fits; read as windows-1251")
    codec = best.encoding
    # equal scores: windows-1251 is what Russian-language Windows software writes
    for match in matches:
        if (
            match.encoding == "cp1251"
            and match.chaos <= best.chaos
            and match.coherence >= best.coherence
        ):
            codec = "cp1251"
    language = best.language if best.language and best.language != "Unknown" else "unknown"
    return TextEncoding(
        codec,
        f"not UTF-8; charset-normalizer: {codec} (language {language}, "
        f"{round(best.chaos * 100)}% noise)",
    )


def read_head(path: pathlib.Path, size: int) -> bytes:
    """Up to size bytes from the start of path (empty on any I/O error)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def looks_binary(head: bytes) -> bool:
    """True if head holds NUL bytes or too many control bytes to be a text export (UTF-16
    and UTF-32 text with a byte order mark are text)."""
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls * 20 > len(head)


def decode_text(data: bytes) -> str:
    """Text of data in the encoding detect_encoding finds (BOM dropped)."""
    return decode_with(data, detect_encoding(data))


def decode_with(data: bytes, encoding: TextEncoding) -> str:
    """data decoded with encoding; a head cut inside a character loses only that character."""
    return data.decode(encoding.codec, errors="replace").removeprefix("\ufeff")


def text_stream(binary: IO[bytes], encoding: TextEncoding) -> io.TextIOWrapper:
    """A text reader over binary in encoding, newlines kept as written (CSV needs them)."""
    return io.TextIOWrapper(binary, encoding=encoding.codec, errors="replace", newline="")


def load_json(path: pathlib.Path, limits: Limits) -> Any:
    """Parse a JSON file no larger than limits.max_json_bytes; ProfileFailure otherwise."""
    try:
        size = path.stat().st_size
        if size > limits.max_json_bytes:
            raise ProfileFailure(
                f"JSON file of {size} bytes is over the {limits.max_json_bytes}-byte limit; "
                "not loaded"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileFailure(f"cannot read file: {exc.strerror or exc}") from exc
    return parse_json_bytes(data)


def parse_json_bytes(data: bytes) -> Any:
    """json.loads with the failures of hostile input turned into ProfileFailure."""
    try:
        return json.loads(decode_text(data))
    except RecursionError as exc:
        raise ProfileFailure("JSON nested too deeply") from exc
    except ValueError as exc:
        raise ProfileFailure(f"malformed JSON: {str(exc)[:200]}") from exc
