"""Recognising an evidence file's format from its name, media type and first bytes.

Only a bounded head of the file is read (Limits.sniff_bytes), and zips are judged by their
member list, so detection is cheap on any input and never raises.
"""

from __future__ import annotations

import csv
import pathlib
import re
import zipfile
import zlib
from dataclasses import dataclass

from evidence.profiles.archive import open_zip
from evidence.profiles.csv_rows import sniff_csv
from evidence.profiles.discord import is_discord_csv
from evidence.profiles.limits import Limits, ProfileFailure
from evidence.profiles.reading import decode_text, looks_binary, read_head
from evidence.profiles.signal import looks_like_signal
from evidence.profiles.statement_columns import layout_name
from evidence.profiles.statements import column_roles, is_statement
from evidence.profiles.telegram_html import export_pages, looks_like_telegram_html
from evidence.profiles.textscan import IdentifierScanner
from evidence.profiles.viber import looks_like_viber
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
                "signal-jsonl", "telegram-html", "telegram-html-zip", "meta-json",
                "discord-json", "discord-csv", "viber-csv"}  # fmt: skip
WALLET_FORMATS = {"statement-csv", "wallet-csv", "wallet-json", "wallet-text", "jsonrpc-json",
                  "trongrid-json"}  # fmt: skip


def _extension(original_name: str) -> str:
    return pathlib.PurePath(original_name.replace("\\", "/")).suffix.lower()


def _has_wallet_data(text: str) -> bool:
    scanner = IdentifierScanner(64)
    scanner.scan(text)
    lowered = text.lower()
    for ident in scanner.found:
        if ident.kind.endswith("-address") and ident.valid:
            return True
        if ident.kind == "ethereum-address" and ident.valid is None:
            return True  # 0x + 40 hex in one case: an address without an EIP-55 checksum
        if ident.kind == "e-wallet":
            return True
        if ident.kind == "txid" and any(word in lowered for word in _TX_WORDS):
            return True
    return False


def _whatsapp_lines(text: str) -> bool:
    lines = text.splitlines()[:30]
    hits = sum(1 for line in lines if ANDROID_HEADER.match(line) or IOS_HEADER.match(line))
    return hits >= 1 and hits * 3 >= min(len(lines), 9)


@dataclass(frozen=True)
class Detection:
    """A format tag and why the file was given it (what in its structure, keys or header)."""

    format: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """The profile's `detection` object."""
        return {"format": self.format, "reason": self.reason}


def _zip_format(path: pathlib.Path, limits: Limits) -> Detection:
    try:
        with open_zip(path, limits) as archive:
            names = [info.filename for info in archive.infolist()]
            if "mimetype" in names or "[Content_Types].xml" in names:
                return Detection("document", "zip of an office document (mimetype member)")
            pages = export_pages(names)
            if pages:
                with archive.open(pages[0]) as stream:
                    if looks_like_telegram_html(decode_text(stream.read(limits.sniff_bytes))):
                        return Detection(
                            "telegram-html-zip",
                            f"zip holding Telegram Desktop export pages ({pages[0]}...)",
                        )
            info = chat_member(archive.infolist())
            if info is None or info.file_size == 0:
                return Detection("zip", "zip with no chat text member")
            with archive.open(info) as stream:
                head = stream.read(limits.sniff_bytes)
    except (ProfileFailure, zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):  # fmt: skip
        return Detection("zip", "zip that could not be looked into")
    if _whatsapp_lines(decode_text(head)):
        return Detection("whatsapp-zip", f"{info.filename} holds WhatsApp message header lines")
    return Detection("zip", "zip whose text member is no known chat")


def sniff_format(path: pathlib.Path, original_name: str, media_type: str, limits: Limits) -> str:
    """The format tag of detect_format."""
    return detect_format(path, original_name, media_type, limits).format


def detect_format(
    path: pathlib.Path, original_name: str, media_type: str, limits: Limits
) -> Detection:
    """A format tag (image, whatsapp-text/-zip, telegram-json/-html/-html-zip, meta-json,
    discord-json/-csv, viber-csv, skype-json, vk-html, signal-jsonl, statement-csv, jsonrpc-json,
    trongrid-json, wallet-csv/-json/-text, document, text, json, csv, html, zip or other) and
    the reason, from the file's structure first and its name second."""
    ext = _extension(original_name)
    media = (media_type or "").lower()
    head = read_head(path, limits.sniff_bytes)
    if head.startswith(b"%PDF") or ext in DOCUMENT_EXTENSIONS:
        return Detection("document", "PDF magic bytes or office document extension")
    if media.startswith("image/") or ext in IMAGE_EXTENSIONS or head.startswith(_IMAGE_MAGIC):
        return Detection("image", "image magic bytes, media type or extension")
    if head.startswith(b"PK\x03\x04") or ext == ".zip" or media == "application/zip":
        return _zip_format(path, limits)
    if not head or looks_binary(head):
        return Detection("other", "empty" if not head else "binary content")
    text = decode_text(head)
    stripped = text.lstrip(" \t\r\n\ufeff\u200e\u200f")
    # before the JSON test: an iOS export's lines start with "[", like a JSON array
    if _whatsapp_lines(text):
        return Detection("whatsapp-text", "WhatsApp message header lines")
    if looks_like_viber(text):
        return Detection("viber-csv", "Viber message history rows (date, time, sender, "
                         "phone, text)")  # fmt: skip
    if looks_like_signal(text):
        return Detection("signal-jsonl", "signal-cli JSON envelopes, one a line")
    if ext == ".json" or stripped[:1] in ("{", "["):
        return _json_format(text)
    if ext in (".html", ".htm") or stripped[:200].lower().startswith(("<!doctype", "<html")):
        if looks_like_telegram_html(text):
            return Detection("telegram-html", "HTML with Telegram Desktop page_header and "
                             "message divs")  # fmt: skip
        if looks_like_vk_messages(text):
            return Detection("vk-html", "HTML with VK archive message__header divs")
        return Detection("html", "HTML of no known export")
    if (
        ext in (".csv", ".tsv")
        or media in ("text/csv", "text/tab-separated-values")
        # ";" (Russian Excel) or a tab (Excel's "Unicode text", UTF-16 with a .txt name)
        or any(mark in (text.splitlines()[0] if text else "") for mark in ";\t")
    ):
        _, delimiter = sniff_csv(head)
        for number, line in enumerate(text.splitlines()[:12], start=1):
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if is_discord_csv(cells):
                return Detection("discord-csv", "DiscordChatExporter CSV header (AuthorID, "
                                 "Author, Date, Content)")  # fmt: skip
            if is_statement(column_roles(cells)) or layout_name(cells):
                # Coinbase and Russian banks write a few lines about the account first
                layout = layout_name(cells) or "statement"
                return Detection("statement-csv", f"row {number} names {layout} columns")
        if ext in (".csv", ".tsv") or media.startswith("text/csv"):
            if _has_wallet_data(text):
                return Detection("wallet-csv", "CSV holding wallet addresses or txids")
            return Detection("csv", "CSV of no known layout")
    if _has_wallet_data(text):
        return Detection("wallet-text", "text holding wallet addresses or txids")
    return Detection("text", "plain text of no known export")


def _json_format(text: str) -> Detection:
    if _TELEGRAM_RE.search(text) and '"messages"' in text:
        return Detection("telegram-json", "Telegram Desktop result.json keys")
    if '"conversations"' in text and ('"MessageList"' in text or '"userId"' in text):
        return Detection("skype-json", "Skype export keys (conversations, MessageList)")
    if '"participants"' in text and '"sender_name"' in text and '"timestamp_ms"' in text:
        return Detection("meta-json", "participants and messages with sender_name and "
                         "timestamp_ms: a Meta (Instagram / Messenger) export")  # fmt: skip
    if '"guild"' in text and '"channel"' in text and '"messages"' in text:
        return Detection("discord-json", "guild, channel and messages: a DiscordChatExporter "
                         "JSON export")  # fmt: skip
    if '"jsonrpc"' in text and '"result"' in text:
        return Detection("jsonrpc-json", "a JSON-RPC response (jsonrpc, result)")
    if '"token_info"' in text and '"transaction_id"' in text:
        return Detection("trongrid-json", "TronGrid TRC-20 transfers (transaction_id, "
                         "token_info)")  # fmt: skip
    if _has_wallet_data(text):
        return Detection("wallet-json", "JSON holding wallet addresses or txids")
    return Detection("json", "JSON of no known export")


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
