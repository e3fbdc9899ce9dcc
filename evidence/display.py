"""Text from evidence, a ledger or a bundle made safe to show to people.

Names, chats and certificate subjects are evidence and are stored exactly; only what is shown
is escaped: on a terminal (the CLI) and in the texts we write for people to read (VERIFY.txt),
so that a value cannot break a line, send escape sequences, or reorder text with bidi controls.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC starts CSI and OSC sequences; U+009B is CSI on its own), and the
# bidirectional controls that reorder what is displayed (U+202E shows "gpj.exe" as "exe.jpg").
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# In JSON, C0 controls are escaped by json.dumps already; the others are escaped here too, which
# leaves the JSON value unchanged.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to show: C0, C1 and bidi control characters written as escapes."""
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    # A lone surrogate (a manifest may carry "\ud800") cannot be written as UTF-8: escape it.
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def json_safe(text: str) -> str:
    """Serialised JSON with C1 and bidi controls written as \\u escapes (same JSON value)."""
    escaped = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")
