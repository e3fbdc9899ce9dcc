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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence.profiles.build import (
        MEDIA_TYPE_FREE,
        build_profile,
        build_profile_with_limits,
        detect_evidence_type,
        needs_exiftool,
        sniff,
    )
    from evidence.profiles.kinds import EVIDENCE_TYPES, IMAGE_TYPES
    from evidence.profiles.limits import DEFAULT_LIMITS, PROFILE_VERSION, Limits
    from evidence.profiles.readlog import read_counts, read_summary

# Names are handed on when first asked for (PEP 562): the parsers compile hundreds of patterns,
# and `custody ingest` starts exiftool before it loads them (the evidence types it offers on
# its command line come from kinds.py alone).
_WHERE = {
    "DEFAULT_LIMITS": "limits",
    "EVIDENCE_TYPES": "kinds",
    "IMAGE_TYPES": "kinds",
    "Limits": "limits",
    "MEDIA_TYPE_FREE": "build",
    "PROFILE_VERSION": "limits",
    "build_profile": "build",
    "build_profile_with_limits": "build",
    "detect_evidence_type": "build",
    "needs_exiftool": "build",
    "read_counts": "readlog",
    "read_summary": "readlog",
    "sniff": "build",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
