"""The purposes custody itself writes into custody events, said in the report's language.

A purpose is recorded and signed in the words it was given, and a report prints it as recorded:
evidence content is never rewritten. The purposes the tool writes by itself (an ingest, a
receipt, an export, a re-profile) are nobody's words but the tool's, in English; a Russian
report says them in Russian, from the catalogue. The signed event keeps its English, and the
JSON and CSV twins print it as signed.
"""

from __future__ import annotations

import re

from ..messages import Words

# Every purpose custody writes on its own (tests/report/test_purposes.py finds each one the
# library writes and requires it here).
FIXED = (
    "ingest into the evidence vault",
    "acknowledge receipt of custody",
    "content profile by the parsers of this version",
    "evidence type corrected",
    "legacy digests for a recipient's tools",
)
PATTERNS = (
    (
        "excerpt sent with MLA request {reference} to {state}",
        re.compile(r"excerpt sent with MLA request (?P<reference>.+) to (?P<state>\S+)"),
    ),
    (
        "sent with MLA request {reference} to {state}",
        re.compile(r"sent with MLA request (?P<reference>.+) to (?P<state>\S+)"),
    ),
    (
        "export for MLA request {reference} failed",
        re.compile(r"export for MLA request (?P<reference>.+) failed"),
    ),
    (
        "content profile by parser version {version}",
        re.compile(r"content profile by parser version (?P<version>\S+)"),
    ),
)


def tool_purpose(words: Words, purpose: str) -> str:
    """purpose in the words' language when custody wrote it by itself, else as recorded."""
    if purpose in FIXED:
        return words.t(purpose)
    for msgid, pattern in PATTERNS:
        if found := pattern.fullmatch(purpose):
            return words.t(msgid, **found.groupdict())
    return purpose
