"""The message catalogue of every document (gettext .po files, see catalogue.py)."""

from __future__ import annotations

from .catalogue import LANGUAGES, Words, message_ids, translations

__all__ = ["LANGUAGES", "Words", "message_ids", "translations"]
