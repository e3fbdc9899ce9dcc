"""The evidence types an item may have (light to import: the command line offers them)."""

from __future__ import annotations

EVIDENCE_TYPES = ("screenshot", "photo", "chat-export", "wallet-record", "document", "other")
IMAGE_TYPES = ("screenshot", "photo")
