"""Recognising an evidence file's format from its name, media type and first bytes.

Only a bounded head of the file is read (Limits.sniff_bytes), and zips are judged by their
member list, so detection is cheap on any input and never raises.
"""

from __future__ import annotations

import csv
import pathlib
import re
import zipfile

from evidence.profiles.archive import open_zip
from evidence.profiles.csv_rows import sniff_csv
from evidence.profiles.limits import Limits, ProfileFailure
from evidence.profiles.reading import decode_text, looks_binary, read_head
from evidence.profiles.signal import looks_like_signal
from evidence.profiles.statements import column_roles, is_statement
from evidence.profiles.textscan import IdentifierScanner
from evidence.profiles.vk import looks_like_vk_messages
from evidence.profiles.whatsapp import ANDROID_HEADER, IOS_HEADER, chat_member

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".gif", ".bmp",
                    ".tif", ".tiff", ".avif", ".jfif"}  # fmt: skip
DOCUMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods",
                       ".ppt", ".pptx", ".odp", ".epub"}  # fmt: skip
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_TELEGRAM_RE = re.compile(
    r'"type"\s*:\s*"(?:personal_chat|private_group|private_supergroup|public_supergroup|'
    r'public_channel|private_channel|saved_messages|bot_chat)"|"personal_information"\s*:'
)
_TX_WORDS = ("txid", "tx hash", "tx_hash", "txhash", "transaction", "транзакц", "хеш")

CHAT_FORMATS = {"whatsapp-text", "whatsapp-zip", "telegram-json", "skype-json", "vk-html",
                "signal-jsonl"}  # fmt: skip
WALLET_FORMATS = {"statement-csv", "wallet-csv", "wallet-json", "wallet-text"}


def _extension(original_name: str) -> str:
    return pathlib.PurePath(original_name.replace("\\", "/")).suffix.lower()


def _has_wallet_data(text: str) -> bool:
    scanner = IdentifierScanner(64)
    scanner.scan(text)
    lowered = text.lower()
    for ident in scanner.found:
        if ident.kind.endswith("-address") and ident.valid:
            return True
        if ident.kind == "e-wallet":
            return True
        if ident.kind == "txid" and any(word in lowered for word in _TX_WORDS):
            return True
    return False


def _whatsapp_lines(text: str) -> bool:
    lines = text.splitlines()[:30]
    hits = sum(1 for line in lines if ANDROID_HEADER.match(line) or IOS_HEADER.match(line))
    return hits >= 1 and hits * 3 >= min(len(lines), 9)


def _zip_format(path: pathlib.Path, limits: Limits) -> str:
    try:
        with open_zip(path, limits) as archive:
            names = [info.filename for info in archive.infolist()]
            if "mimetype" in names or "[Content_Types].xml" in names:
                return "document"
            info = chat_member(archive.infolist())
            if info is None or info.file_size == 0:
                return "zip"
            with archive.open(info) as stream:
                head = stream.read(limits.sniff_bytes)
    except (ProfileFailure, zipfile.BadZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):  # fmt: skip
        return "zip"
    return "whatsapp-zip" if _whatsapp_lines(decode_text(head)) else "zip"


def sniff_format(path: pathlib.Path, original_name: str, media_type: str, limits: Limits) -> str:
    """A format tag: image, whatsapp-text/-zip, telegram-json, skype-json, vk-html,
    statement-csv, wallet-csv/-json/-text, document, text, json, csv, html, zip or other."""
    ext = _extension(original_name)
    media = (media_type or "").lower()
    head = read_head(path, limits.sniff_bytes)
    if head.startswith(b"%PDF") or ext in DOCUMENT_EXTENSIONS:
        return "document"
    if media.startswith("image/") or ext in IMAGE_EXTENSIONS or head.startswith(_IMAGE_MAGIC):
        return "image"
    if head.startswith(b"PK\x03\x04") or ext == ".zip" or media == "application/zip":
        return _zip_format(path, limits)
    if not head or looks_binary(head):
        return "other"
    text = decode_text(head)
    stripped = text.lstrip(" \t\r\n\ufeff\u200e\u200f")
    # before the JSON test: an iOS export's lines start with "[", like a JSON array
    if _whatsapp_lines(text):
        return "whatsapp-text"
    if looks_like_signal(text):
        return "signal-jsonl"
    if ext == ".json" or stripped[:1] in ("{", "["):
        if _TELEGRAM_RE.search(text) and '"messages"' in text:
            return "telegram-json"
        if '"conversations"' in text and ('"MessageList"' in text or '"userId"' in text):
            return "skype-json"
        return "wallet-json" if _has_wallet_data(text) else "json"
    if ext in (".html", ".htm") or stripped[:200].lower().startswith(("<!doctype", "<html")):
        return "vk-html" if looks_like_vk_messages(text) else "html"
    if (
        ext in (".csv", ".tsv")
        or media in ("text/csv", "text/tab-separated-values")
        or ";" in (text.splitlines()[0] if text else "")
    ):
        _, delimiter = sniff_csv(head)
        # Coinbase writes a few lines about the account before the header row
        for line in text.splitlines()[:12]:
            if is_statement(column_roles(next(csv.reader([line], delimiter=delimiter), []))):
                return "statement-csv"
        if ext in (".csv", ".tsv") or media.startswith("text/csv"):
            return "wallet-csv" if _has_wallet_data(text) else "csv"
    if _has_wallet_data(text):
        return "wallet-text"
    return "text"


def evidence_type_of(fmt: str) -> str:
    """The evidence type a format tag belongs to."""
    if fmt == "image":
        return "screenshot"
    if fmt in CHAT_FORMATS:
        return "chat-export"
    if fmt in WALLET_FORMATS:
        return "wallet-record"
    if fmt in ("document", "text"):
        return "document"
    return "other"
