"""Image profiles from real exiftool output over real and malformed sample images."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from evidence.profiles import PROFILE_VERSION, build_profile
from tests.profiles.profile_support import DATA, assert_json_types

IMAGES = DATA / "images"
pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")


def metadata(path: Path) -> dict[str, Any]:
    import exiftool

    with exiftool.ExifToolHelper(common_args=["-G", "-n"]) as tool:
        found: dict[str, Any] = tool.get_metadata([str(path)])[0]
    return found


def image(name: str, original_name: str | None = None) -> dict[str, Any]:
    path = IMAGES / name
    return build_profile(
        path,
        "screenshot",
        original_name=original_name or name,
        media_type="image/jpeg",
        metadata=metadata(path),
    )


def test_iphone_photo_with_gps() -> None:
    p = image("Apple.jpg")
    assert p["kind"] == "image" and p["profile_version"] == PROFILE_VERSION
    assert (p["make"], p["model"], p["software"]) == ("Apple", "iPhone 7", "10.0.2")
    assert (p["width"], p["height"]) == (8, 8)
    assert p["captured_at"] == "2016-09-28T18:18:05"
    assert p["gps"]["latitude"] == "53.382847"
    assert p["gps"]["longitude"] == "-1.456678"  # west is negative
    assert p["looks_edited"] is False
    assert_json_types(p)


def test_fujifilm_gps_jpeg() -> None:
    p = image("GPS.jpg")
    assert p["model"] == "FinePixS1Pro"
    assert p["gps"]["latitude"].startswith("54.98")
    assert p["captured_at"] == "2002-07-13T15:58:28"


def test_editor_in_software_flags_edit() -> None:
    p = image("ExifTool.tif")
    assert p["looks_edited"] is True
    assert any("GraphicConverter" in s for s in p["edit_signs"])


def test_malformed_exif_reported_and_photoshop_detected() -> None:
    p = image("invalid-exif.jpg")
    assert p["kind"] == "image"
    assert any("Malformed APP1" in w for w in p["metadata_problems"])
    assert p["looks_edited"] is True  # Photoshop IRB writer name


@pytest.mark.parametrize(
    "name", ["broken.png", "truncated_jpeg.jpg", "truncated_image.png", "empty_gps_ifd.jpg"]
)
def test_malformed_images_never_raise(name: str) -> None:
    p = image(name)
    assert p["kind"] == "image"
    assert "error" not in p
    assert_json_types(p)


def test_empty_gps_ifd_gives_no_position() -> None:
    assert image("empty_gps_ifd.jpg")["gps"] is None


def test_screenshot_signs_from_name_and_png() -> None:
    p = image("PNG.png", original_name="Screenshot_20261102-101533.png")
    assert any("file name" in s for s in p["screenshot_signs"])
    assert "PNG without camera make/model" in p["screenshot_signs"]


def test_date_mismatch_flags_edit() -> None:
    meta = {
        "EXIF:DateTimeOriginal": "2026:11:02 10:15:33",
        "EXIF:ModifyDate": "2026:11:05 22:00:00",
        "Composite:GPSLatitude": 53.9,
        "Composite:GPSLongitude": 27.5667,
        "EXIF:ExposureTime": 0.05,
    }
    p = build_profile(
        IMAGES / "Apple.jpg", "screenshot", original_name="x.jpg", media_type="", metadata=meta
    )
    assert p["looks_edited"] is True
    assert "differs from DateTimeOriginal" in p["edit_signs"][0]
    assert p["gps"] == {"latitude": "53.9", "longitude": "27.5667"}
    assert_json_types(p)


def test_gps_time_is_iso_8601_utc() -> None:
    assert image("Google.jpg")["gps"]["time_utc"] == "2023-10-06T20:52:10Z"
    assert image("Apple.jpg")["gps"]["time_utc"] == "2016-09-28T17:17:58Z"


@pytest.mark.parametrize(
    ("tag", "value", "captured", "zone", "source"),
    [
        # iOS writes a screenshot's time only as XMP DateCreated, with its offset
        ("-XMP-photoshop:DateCreated", "2026:11:02 10:15:33+03:00", "2026-11-02T10:15:33",
         "+03:00", "DateCreated"),
        # Android screenshot tools write a PNG tEXt Creation Time
        ("-PNG:CreationTime", "2026:11:02 10:15:33", "2026-11-02T10:15:33",
         "unknown (EXIF times are device-local without offset)", "CreationTime"),
    ],
)  # fmt: skip
def test_screenshot_capture_time_from_xmp_or_png_text(
    tmp_path: Path, tag: str, value: str, captured: str, zone: str, source: str
) -> None:
    import subprocess

    shot = tmp_path / "IMG_0042.PNG"
    shutil.copy(IMAGES / "PNG.png", shot)
    subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", f"{tag}={value}", str(shot)],
                   check=True)  # fmt: skip
    p = build_profile(shot, "screenshot", original_name=shot.name, media_type="image/png",
                      metadata=metadata(shot))  # fmt: skip
    assert (p["captured_at"], p["timezone"], p["captured_from"]) == (captured, zone, source)
