"""Content profiles: what an evidence item is, told without opening it.

A foreign prosecutor reading a manifest sees for each item a short, JSON-compatible summary:
the chat's platform, participants, message count and time span; the wallet addresses and
transaction ids a record holds; an image's device, capture time, GPS and signs of editing. The
investigator drafting a mutual legal assistance request gets the identifiers (phones, e-mails,
profile links, wallets) through evidence.identifiers.

Both entry points take hostile files: they never raise, read bounded amounts, stop at a time
budget, and answer {"kind", "profile_version", "error"} when they cannot parse. Profiles hold
only str, int, bool, None, lists and dicts (no floats): they are hashed as RFC 8785 JSON.
"""

from __future__ import annotations

from evidence.profiles.build import (
    EVIDENCE_TYPES,
    IMAGE_TYPES,
    MEDIA_TYPE_FREE,
    build_profile,
    build_profile_with_limits,
    detect_evidence_type,
    needs_exiftool,
    sniff,
)
from evidence.profiles.limits import DEFAULT_LIMITS, PROFILE_VERSION, Limits
from evidence.profiles.readlog import read_counts, read_summary

__all__ = [
    "DEFAULT_LIMITS",
    "EVIDENCE_TYPES",
    "IMAGE_TYPES",
    "MEDIA_TYPE_FREE",
    "PROFILE_VERSION",
    "Limits",
    "build_profile",
    "build_profile_with_limits",
    "detect_evidence_type",
    "needs_exiftool",
    "read_counts",
    "read_summary",
    "sniff",
]
