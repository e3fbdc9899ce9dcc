"""exiftool only where it adds something; every limit that stops a parser is in the profile."""

from __future__ import annotations

import zipfile
from pathlib import Path

from evidence.items import list_items
from evidence.profiles import build_profile, needs_exiftool
from tests.helpers import CASE, DATA, World


def test_nested_json_never_reaches_exiftool_and_the_profile_says_why(
    world: World, tmp_path: Path
) -> None:
    # the 2 MB case that took exiftool to 4.7 GB: one million nested arrays
    path = tmp_path / "export.json"
    path.write_bytes(b"[" * 1_000_000 + b"]" * 1_000_000)
    assert not needs_exiftool(path, path.name)
    world.ingest(path)
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.metadata == {}  # exiftool was not asked
    assert item.evidence_type == "other"  # plain JSON holding no wallet data
    # read as a wallet record, the parser stops at its bound, says so, and scans the lines
    p = build_profile(path, "wallet-record", original_name=path.name, media_type="", metadata={})
    assert p["notices"][0].startswith("JSON nested too deeply: every line scanned")
    assert p["identifiers"] == []


def test_images_and_documents_still_get_exiftool(world: World, tmp_path: Path) -> None:
    image = DATA / "images" / "GPS.jpg"
    assert needs_exiftool(image, "IMG_0002.jpg")
    world.ingest(image)
    (item,) = list_items(world.ws.ledger, CASE)
    assert item.metadata.get("File:FileType") == "JPEG"


def test_zip_over_the_member_limit_is_an_error_not_an_empty_profile(tmp_path: Path) -> None:
    path = tmp_path / "dump.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(10_001):
            archive.writestr(f"f{n}", b"")
    p = build_profile(path, "other", original_name=path.name, media_type="", metadata={})
    assert p["kind"] == "archive"
    assert p["error"] == "zip has 10001 members, over the limit of 10000"


def test_ordinary_zip_gets_an_archive_profile(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.bin", b"\0" * 10)
        archive.writestr("b/c.bin", b"\0" * 5)
    p = build_profile(path, "other", original_name=path.name, media_type="", metadata={})
    assert (p["kind"], p["members_total"], p["declared_bytes"]) == ("archive", 2, 15)
