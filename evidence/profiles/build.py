"""Building an item's content profile: which parser reads it (by its detected format and
evidence type), and the contract every caller relies on: never raise, stay within the limits,
answer an error profile when nothing can be read. `evidence.profiles` hands these names on.
"""

from __future__ import annotations

import collections.abc
import pathlib
from typing import Any

from evidence.profiles.archive import open_zip
from evidence.profiles.detect import Detection, detect_format, evidence_type_of, sniff_format
from evidence.profiles.image import image_profile, image_type
from evidence.profiles.kinds import IMAGE_TYPES
from evidence.profiles.limits import (
    DEFAULT_LIMITS,
    PROFILE_VERSION,
    Deadline,
    Limits,
    ProfileFailure,
    error_profile,
)
from evidence.profiles.reading import load_json
from evidence.profiles.routes import CHAT_ROUTES, WALLET_ROUTES, route
from evidence.profiles.signal import profile_signal
from evidence.profiles.skype import is_skype_export, profile_skype
from evidence.profiles.statements import profile_csv
from evidence.profiles.telegram import is_telegram_export, profile_telegram
from evidence.profiles.vk import profile_vk
from evidence.profiles.wallet import generic_profile, profile_wallet_json, profile_wallet_text
from evidence.profiles.whatsapp import profile_text, profile_zip

_CHAT_KINDS = {
    "whatsapp-text": "whatsapp-chat",
    "whatsapp-zip": "whatsapp-chat",
    "telegram-json": "telegram-chat",
    "skype-json": "skype-chat",
    "vk-html": "vk-chat",
    "signal-jsonl": "signal-chat",
    "telegram-html": "telegram-chat",
    "telegram-html-zip": "telegram-chat",
    "meta-json": "meta-chat",
    "discord-json": "discord-chat",
    "discord-csv": "discord-chat",
    "viber-csv": "viber-chat",
}


def detect_evidence_type(
    path: pathlib.Path,
    original_name: str,
    media_type: str,
    metadata: collections.abc.Mapping[str, Any] | None = None,
    *,
    sniffed: str | None = None,
) -> str:
    """The evidence type 'auto' stands for, judged from name, media type, a bounded head and,
    for images, the metadata (a camera original is a `photo`, not a `screenshot`).

    sniffed: the format tag sniff_format gave for these very arguments, if the caller has it.
    """
    try:
        if sniffed is None:
            sniffed = sniff_format(path, original_name, media_type, DEFAULT_LIMITS)
        kind = evidence_type_of(sniffed)
        if kind == "screenshot" and metadata is not None:
            return image_type(metadata, original_name)
        return kind
    except Exception:  # detection must never stop an ingest; "other" is the safe answer
        return "other"


# formats whose profile needs nothing from exiftool (it would only parse, say, a deeply nested
# JSON file itself, at gigabytes of memory)
_TEXT_FORMATS = {"json", "wallet-json", "telegram-json", "skype-json", "text", "wallet-text",
                 "whatsapp-text", "csv", "statement-csv", "wallet-csv", "html",
                 "vk-html", "signal-jsonl", "telegram-html", "meta-json", "discord-json",
                 "discord-csv", "jsonrpc-json", "trongrid-json", "viber-csv"}  # fmt: skip


# Formats sniff_format gives from a file's bytes or name alone, whatever the media type: a
# tag sniffed without one (as needs_exiftool does) holds for the media type exiftool finds too.
MEDIA_TYPE_FREE = frozenset(("document", "image"))


def sniff(path: pathlib.Path, original_name: str, media_type: str = "") -> str | None:
    """sniff_format's tag under the default limits; None if sniffing failed."""
    try:
        return sniff_format(path, original_name, media_type, DEFAULT_LIMITS)
    except Exception:  # unsure: each use decides what that means
        return None


def needs_exiftool(path: pathlib.Path, original_name: str, *, sniffed: str | None = None) -> bool:
    """False for text exports (chats, JSON, CSV, HTML): exiftool adds nothing there, and its
    JSON and HTML readers are unbounded in memory. Images, documents and binaries need it.

    sniffed: sniff(path, original_name) (no media type), if the caller has it.
    """
    fmt = sniffed if sniffed is not None else sniff(path, original_name)
    return fmt is None or fmt not in _TEXT_FORMATS  # unsure: ask exiftool, as before


def build_profile(
    path: pathlib.Path,
    evidence_type: str,
    *,
    original_name: str,
    media_type: str,
    metadata: collections.abc.Mapping[str, Any],
) -> dict[str, Any]:
    """The content profile of one vault file; never raises, bounded by the default Limits."""
    return build_profile_with_limits(
        path,
        evidence_type,
        original_name=original_name,
        media_type=media_type,
        metadata=metadata,
        limits=DEFAULT_LIMITS,
    )


def build_profile_with_limits(
    path: pathlib.Path,
    evidence_type: str,
    *,
    original_name: str,
    media_type: str,
    metadata: collections.abc.Mapping[str, Any],
    limits: Limits,
) -> dict[str, Any]:
    """build_profile with explicit bounds (tests and benchmarks use small ones)."""
    kind = {
        "screenshot": "image",
        "photo": "image",
        "wallet-record": "wallet-record",
        "document": "document",
    }.get(evidence_type, "none")
    detection = Detection("unknown", "not detected")
    fmt = "unknown"
    try:
        detection = Detection("image", "typed as an image")
        if evidence_type not in IMAGE_TYPES:
            detection = detect_format(path, original_name, media_type, limits)
            kind = _CHAT_KINDS.get(detection.format, kind)
        fmt = detection.format
        profile = _dispatch(path, evidence_type, fmt, original_name, metadata, limits)
        if evidence_type not in IMAGE_TYPES and profile.get("kind") != "none":
            profile["detection"] = detection.to_json()  # why the parser that read it was chosen
        safe: dict[str, Any] = json_safe(profile)
        return safe
    except ProfileFailure as exc:
        if evidence_type in ("chat-export", "wallet-record") and fmt not in _NOT_TEXT:
            # the layout is not one we know: every line is still read for identifiers
            fallback: dict[str, Any] = json_safe(
                generic_profile(
                    path, kind.replace("none", "text-scan"), str(exc), limits, detection
                )
            )
            return fallback
        return error_profile(kind, str(exc))
    except RecursionError:
        return error_profile(kind, "input nested too deeply")
    except MemoryError:
        return error_profile(kind, "input too large for memory")
    except Exception as exc:  # the contract is "never raise": a parser bug becomes an error
        return error_profile(kind, f"internal parser failure ({type(exc).__name__}: {exc})")


def _dispatch(
    path: pathlib.Path,
    evidence_type: str,
    fmt: str,
    original_name: str,
    metadata: collections.abc.Mapping[str, Any],
    limits: Limits,
) -> dict[str, Any]:
    deadline = Deadline(limits.max_seconds)
    if evidence_type in IMAGE_TYPES:
        return image_profile(metadata, original_name)
    wanted = CHAT_ROUTES if evidence_type == "chat-export" else WALLET_ROUTES
    if evidence_type in ("chat-export", "wallet-record") and fmt in wanted:
        routed = route(fmt, path, original_name, limits, deadline)
        if routed is not None:
            return routed
    if evidence_type == "chat-export":
        if fmt in ("whatsapp-zip", "zip"):
            # a zip detection could not look into (over a limit) still gets the reason why
            return profile_zip(path, limits, deadline)
        if fmt == "telegram-json":
            return profile_telegram(path, limits, deadline)
        if fmt == "skype-json":
            return profile_skype(path, limits, deadline)
        if fmt == "signal-jsonl":
            return profile_signal(path, limits, deadline)
        if fmt in ("json", "wallet-json"):
            # the head did not show the markers; the whole tree may still be an export
            try:
                data = load_json(path, limits)
            except ProfileFailure:
                data = None  # not JSON after all: a text export beginning with "[" is tried
            if is_telegram_export(data):
                return profile_telegram(path, limits, deadline)
            if is_skype_export(data):
                return profile_skype(path, limits, deadline)
        if fmt == "vk-html":
            return profile_vk(path, limits)
        if fmt in ("whatsapp-text", "text", "json", "wallet-json"):
            # an unrecognised .txt may still be a WhatsApp export with an odd first screen
            return profile_text(path, limits, deadline)
        raise ProfileFailure(
            "not a recognised chat export (WhatsApp, Telegram JSON or HTML, Instagram/Messenger,"
            f" Discord, Viber, Skype, VK, Signal); looks like {fmt}"
        )
    if evidence_type == "wallet-record":
        if fmt in ("statement-csv", "wallet-csv", "csv", "discord-csv", "viber-csv"):
            return profile_csv(path, limits, deadline, original_name)
        if fmt in ("wallet-json", "json", "telegram-json", "skype-json", "meta-json",
                   "discord-json", "jsonrpc-json", "trongrid-json"):  # fmt: skip
            return profile_wallet_json(path, limits, deadline)
        if fmt in ("wallet-text", "text", "whatsapp-text", "html", "telegram-html", "vk-html"):
            return profile_wallet_text(path, limits, deadline)
        raise ProfileFailure(f"not a CSV, JSON or text wallet record; looks like {fmt}")
    if evidence_type == "document":
        return _document(path, fmt, metadata, limits, deadline)
    if evidence_type == "other":
        if fmt == "zip":
            return _archive(path, limits)
        return {"kind": "none", "profile_version": PROFILE_VERSION}
    raise ProfileFailure(f"unknown evidence type {evidence_type!r}")


_NOT_TEXT = {"image", "document", "zip", "other", "whatsapp-zip", "telegram-html-zip"}


def _archive(path: pathlib.Path, limits: Limits) -> dict[str, Any]:
    # a zip that is no chat export: its member count, or the limit that stopped us opening it
    try:
        with open_zip(path, limits) as archive:
            infos = archive.infolist()
    except ProfileFailure as exc:
        return error_profile("archive", str(exc))
    return {
        "kind": "archive",
        "profile_version": PROFILE_VERSION,
        "format": "zip",
        "members_total": sum(1 for i in infos if not i.is_dir()),
        "declared_bytes": sum(i.file_size for i in infos),
    }


def _document(
    path: pathlib.Path,
    fmt: str,
    metadata: collections.abc.Mapping[str, Any],
    limits: Limits,
    deadline: Deadline,
) -> dict[str, Any]:
    def meta(*keys: str) -> str | int | None:
        for key in keys:
            value = metadata.get(key) if isinstance(metadata, collections.abc.Mapping) else None
            if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
                continue
            if isinstance(value, int):
                return value
            return str(value)[:300]
        return None

    out: dict[str, Any] = {
        "kind": "document",
        "profile_version": PROFILE_VERSION,
        "file_type": meta("File:FileType"),
        "pages": meta("PDF:PageCount", "XML:Pages", "FlashPix:Pages"),
        "title": meta("PDF:Title", "XMP:Title", "FlashPix:Title", "XML:Title"),
        "author": meta("PDF:Author", "XMP:Creator", "FlashPix:Author", "XML:Creator"),
        "creator_tool": meta("PDF:Creator", "XMP:CreatorTool", "XML:Application"),
        "producer": meta("PDF:Producer", "XMP:Producer"),
        "created": meta("PDF:CreateDate", "XMP:CreateDate", "XML:CreateDate"),
        "modified": meta("PDF:ModifyDate", "XMP:ModifyDate", "XML:ModifyDate"),
    }
    if fmt in ("text", "wallet-text", "whatsapp-text", "csv", "statement-csv", "wallet-csv"):
        found = profile_wallet_text(path, limits, deadline)
        for key in ("identifiers", "identifiers_total", "card_like_numbers_omitted", "truncated",
                    "records", "notices", "encoding", "encoding_reason"):  # fmt: skip
            out[key] = found[key]
    return out


def json_safe(value: Any) -> Any:
    """A copy holding only JSON types canonical JSON accepts: floats become decimal strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if value == value else None
    if isinstance(value, collections.abc.Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)
