"""Screenshots and photos: a short summary of the exiftool metadata already gathered at ingest.

Input is the dict pyexiftool returns with common_args ["-G", "-n"] ("EXIF:Model",
"Composite:GPSLatitude", ...). Numbers come as floats there; every one that reaches the profile
is turned into a string first, because profiles are hashed as canonical JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evidence.profiles.limits import PROFILE_VERSION

EDITORS = (
    "photoshop", "gimp", "snapseed", "lightroom", "pixelmator", "affinity", "paint.net",
    "picsart", "facetune", "canva", "photoscape", "photopea", "luminar", "faceapp",
    "graphicconverter", "krita", "inkscape", "acdsee", "corel", "polarr", "vsco", "meitu",
    "picmonkey", "fotor", "airbrush",
)  # fmt: skip
_SIZE_KEYS = ("File:Image", "PNG:Image", "EXIF:ExifImage", "EXIF:Image", "RIFF:Image",
              "QuickTime:Image")  # fmt: skip
# camera originals carry DateTimeOriginal; an iPhone screenshot (PNG) only XMP DateCreated; an
# Android one at most a PNG tEXt "Creation Time"; screen recordings QuickTime's dates
_CAPTURE_KEYS = ("EXIF:DateTimeOriginal", "XMP:DateTimeOriginal", "EXIF:CreateDate",
                 "XMP:CreateDate", "XMP:DateCreated", "PNG:CreationTime",
                 "QuickTime:CreationDate", "QuickTime:CreateDate")  # fmt: skip
_TIME_RE = re.compile(
    r"^(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"\s*(Z|[+\-]\d{2}:?\d{2})?"
)
_SCREENSHOT_NAME_RE = re.compile(r"(?i)(screenshot|снимок экрана|скриншот|screen shot|scr_|скрин)")


def _first(meta: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = meta.get(key)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any, limit: int = 200) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float):
        return _decimal(value)
    return str(value).strip()[:limit] or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _decimal(value: float, places: int = 6) -> str:
    """A float as a fixed-point string (six places is ~0.1 m of latitude)."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exif_time(value: Any) -> str | None:
    """ "YYYY:MM:DD HH:MM:SS" (or ISO 8601) -> "YYYY-MM-DDTHH:MM:SS" (naive, as written)."""
    parsed = _time_and_zone(value)
    return parsed[0] if parsed else None


def _time_and_zone(value: Any) -> tuple[str, str | None] | None:
    """(naive ISO 8601 time, its offset "+03:00"/"Z" if written) of an EXIF/XMP/PNG time."""
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value.strip())
    if match is None:
        return None
    y, mo, d, h, mi, s, zone = match.groups()
    if zone and zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}", zone


def _capture(meta: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(capture time, its offset if written, the tag it came from)."""
    for key in _CAPTURE_KEYS:
        parsed = _time_and_zone(meta.get(key))
        if parsed is not None:
            return parsed[0], parsed[1], key
    return None, None, None


def _gps(meta: Mapping[str, Any]) -> dict[str, str] | None:
    lat = _first(meta, "Composite:GPSLatitude", "EXIF:GPSLatitude", "XMP:GPSLatitude")
    lon = _first(meta, "Composite:GPSLongitude", "EXIF:GPSLongitude", "XMP:GPSLongitude")
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return None
    if isinstance(lat, bool) or isinstance(lon, bool):
        return None
    if "Composite:GPSLatitude" not in meta:
        # without the composite tag the EXIF value is unsigned: apply the hemisphere refs
        if meta.get("EXIF:GPSLatitudeRef") == "S":
            lat = -abs(lat)
        if meta.get("EXIF:GPSLongitudeRef") == "W":
            lon = -abs(lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    out = {"latitude": _decimal(float(lat)), "longitude": _decimal(float(lon))}
    alt = _first(meta, "Composite:GPSAltitude", "EXIF:GPSAltitude")
    if isinstance(alt, (int, float)) and not isinstance(alt, bool):
        out["altitude_m"] = _decimal(float(alt), 1)
    when = _time_and_zone(_first(meta, "Composite:GPSDateTime"))
    if when is not None:
        out["time_utc"] = when[0] + "Z"  # GPS time is UTC (ISO 8601)
    return out


def _edit_signs(meta: Mapping[str, Any], captured: str | None, modified: str | None) -> list[str]:
    signs = []
    for key in ("EXIF:Software", "XMP:CreatorTool", "XMP:HistorySoftwareAgent", "IFD0:Software",
                "Photoshop:WriterName", "Photoshop:ReaderName", "PNG:Software"):  # fmt: skip
        value = _text(meta.get(key))
        if value and any(editor in value.lower() for editor in EDITORS):
            signs.append(f"{key.split(':', 1)[1]}: {value}")
    if captured and modified and captured != modified:
        signs.append(f"ModifyDate {modified} differs from DateTimeOriginal {captured}")
    return signs


def _screenshot_signs(meta: Mapping[str, Any], original_name: str) -> list[str]:
    signs = []
    comment = _text(_first(meta, "EXIF:UserComment", "XMP:UserComment"))
    if comment and "screenshot" in comment.lower():
        signs.append(f"UserComment: {comment}")
    if _SCREENSHOT_NAME_RE.search(original_name):
        signs.append(f"file name: {original_name[:200]}")
    file_type = _text(meta.get("File:FileType"))
    if file_type == "PNG" and not _first(meta, "EXIF:Make", "EXIF:Model"):
        signs.append("PNG without camera make/model")
    return signs


def image_profile(metadata: Mapping[str, Any], original_name: str) -> dict[str, Any]:
    """Summary of an image's exiftool metadata: size, device, times, GPS, signs of editing."""
    meta = metadata if isinstance(metadata, Mapping) else {}
    width = _int(_first(meta, *(key + "Width" for key in _SIZE_KEYS)))
    height = _int(_first(meta, *(key + "Height" for key in _SIZE_KEYS)))
    captured, captured_zone, captured_from = _capture(meta)
    modified = exif_time(_first(meta, "EXIF:ModifyDate", "XMP:ModifyDate"))
    signs = _edit_signs(meta, captured, modified)
    problems = [
        f"{key.split(':', 1)[1]}: {_text(meta[key])}"
        for key in ("ExifTool:Error", "ExifTool:Warning")
        if _text(meta.get(key))
    ]
    return {
        "kind": "image",
        "profile_version": PROFILE_VERSION,
        "file_type": _text(meta.get("File:FileType")),
        "width": width,
        "height": height,
        "make": _text(_first(meta, "EXIF:Make", "QuickTime:Make")),
        "model": _text(_first(meta, "EXIF:Model", "QuickTime:Model")),
        "software": _text(_first(meta, "EXIF:Software", "XMP:CreatorTool", "PNG:Software")),
        "captured_at": captured,
        "captured_from": captured_from.split(":", 1)[1] if captured_from else None,
        "modified_at": modified,
        "timezone": _text(_first(meta, "EXIF:OffsetTimeOriginal", "EXIF:OffsetTime"))
        or captured_zone
        or "unknown (EXIF times are device-local without offset)",
        "gps": _gps(meta),
        "looks_edited": bool(signs),
        "edit_signs": signs,
        "screenshot_signs": _screenshot_signs(meta, original_name),
        "metadata_problems": problems,
        "identifiers": [],
    }


def image_type(metadata: Mapping[str, Any], original_name: str) -> str:
    """`photo` for a camera original (make, model or GPS, and no sign of a screenshot), else
    `screenshot`: the evidence types an image may have."""
    meta = metadata if isinstance(metadata, Mapping) else {}
    camera = _first(meta, "EXIF:Make", "EXIF:Model", "QuickTime:Make", "QuickTime:Model")
    if (camera or _gps(meta)) and not _screenshot_signs(meta, original_name):
        return "photo"
    return "screenshot"
