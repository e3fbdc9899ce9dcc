"""'auto' evidence type detection from name, media type and a bounded head."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.profiles import MEDIA_TYPE_FREE, PROFILE_VERSION, detect_evidence_type, sniff
from tests.profiles.profile_support import DATA


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("whatsapp/android_24h_dayfirst.txt", "chat-export"),
        ("whatsapp/android_12h_monthfirst.txt", "chat-export"),
        ("whatsapp/ios_bracketed.txt", "chat-export"),
        ("whatsapp/whatsapp_chat_ios.zip", "chat-export"),
        ("telegram/result_single_chat.json", "chat-export"),
        ("telegram/result_full_account.json", "chat-export"),
        ("skype/messages.json", "chat-export"),
        ("vk/messages0.html", "chat-export"),
        ("wallet/electrum_history.csv", "wallet-record"),
        ("wallet/qiwi_statement_cp1251.csv", "wallet-record"),
        ("wallet/webmoney_statement.csv", "wallet-record"),
        ("wallet/explorer_address.json", "wallet-record"),
        ("wallet/notes.txt", "wallet-record"),
        ("images/Apple.jpg", "screenshot"),
        ("images/broken.png", "screenshot"),
    ],
)
def test_samples(relative: str, expected: str) -> None:
    path = DATA / relative
    assert detect_evidence_type(path, path.name, "") == expected


def test_vault_name_uses_original_name(tmp_path: Path) -> None:
    vault = tmp_path / ("ab" * 32)  # vault copies are named by digest: no extension
    vault.write_bytes((DATA / "images" / "Apple.jpg").read_bytes())
    assert detect_evidence_type(vault, "IMG_0001.JPG", "image/jpeg") == "screenshot"
    vault.write_bytes(b"%PDF-1.7\n...")
    assert detect_evidence_type(vault, "protocol.pdf", "application/pdf") == "document"


def test_plain_text_is_document_and_unknown_is_other(tmp_path: Path) -> None:
    note = tmp_path / "n"
    note.write_text("Протокол осмотра места происшествия.\nНичего интересного.\n", "utf-8")
    assert detect_evidence_type(note, "protocol.txt", "text/plain") == "document"
    blob = tmp_path / "b"
    blob.write_bytes(b"\x00\x01\x02" * 100)
    assert detect_evidence_type(blob, "dump.bin", "application/octet-stream") == "other"


def test_a_list_of_hashes_is_not_a_wallet_record(tmp_path: Path) -> None:
    # sha256sum output has 64-hex strings but no wallet words: it stays a document
    note = tmp_path / "n"
    note.write_text("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.jpg\n")
    assert detect_evidence_type(note, "SHA256SUMS.txt", "text/plain") == "document"


def test_odt_zip_is_document_not_chat(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "d"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("notes.txt", "02.11.2026, 10:15 - A: b\n")
    assert detect_evidence_type(path, "report.zip", "application/zip") == "document"


def test_document_profile_from_metadata(tmp_path: Path) -> None:
    from evidence.profiles import build_profile

    path = tmp_path / "d"
    path.write_bytes(b"%PDF-1.7\n")
    meta = {"File:FileType": "PDF", "PDF:PageCount": 3, "PDF:Producer": "LibreOffice 7.6"}
    p = build_profile(path, "document", original_name="protocol.pdf", media_type="", metadata=meta)
    assert (p["kind"], p["pages"], p["producer"]) == ("document", 3, "LibreOffice 7.6")
    note = tmp_path / "n"
    note.write_text("Свидетель: Иванов, тел. +375 29 123-45-67\n", "utf-8")
    p = build_profile(note, "document", original_name="n.txt", media_type="", metadata={})
    assert [i["value"] for i in p["identifiers"]] == ["+375291234567"]
    other = build_profile(note, "other", original_name="n.txt", media_type="", metadata={})
    assert other == {"kind": "none", "profile_version": PROFILE_VERSION}


MEDIA_TYPES = ("", "image/png", "application/pdf", "application/zip", "text/csv", "text/plain")


@pytest.mark.parametrize(
    "relative",
    [
        "images/Apple.jpg",
        "images/broken.png",
        "whatsapp/whatsapp_chat_ios.zip",
        "wallet/electrum_history.csv",
        "telegram/result_single_chat.json",
        "vk/messages0.html",
    ],
)
@pytest.mark.parametrize("name", ["as-is", "evidence.pdf", "evidence.png", "evidence.csv", "x"])
def test_media_type_free_tags_hold_for_any_media_type(
    relative: str, name: str, tmp_path: Path
) -> None:
    # An ingest reuses the tag sniffed before exiftool (no media type) when it is one of these,
    # instead of sniffing again with the media type exiftool found: that must give the same tag.
    path = tmp_path / ("cd" * 32)  # a vault copy: named by digest
    path.write_bytes((DATA / relative).read_bytes())
    original = Path(relative).name if name == "as-is" else name
    before = sniff(path, original)
    after = {media: sniff(path, original, media) for media in MEDIA_TYPES}
    if before in MEDIA_TYPE_FREE:
        assert set(after.values()) == {before}
    else:  # the others may change with it (an image/ media type makes any file an image)
        assert after["image/png"] == "image"
