"""Reading a Russian document back as a reader would: which Latin words are left in it.

Allowed: words of the recorded data (names, places, notes, as signed: printed as recorded),
identifiers (anything with a digit, a dot, a slash, an underscore or a colon: case numbers,
file names, check names, hashes), program output quoted «like this», the plain-tools commands
("$ " lines and their backslash continuations), and the names of standards and programs below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Standards, formats and programs: names, not words of any language.
STANDARD_NAMES = frozenset(
    {
        "SHA",
        "UTC",
        "PDF",
        "PAdES",
        "DER",
        "RFC",
        "BagIt",
        "JSON",
        "CMS",
        "OpenSSL",
        "openssl",
        "ZIP",
        "ECDSA",
        "PEM",
    }
    | {"coreutils", "Linux", "macOS", "POSIX", "Windows", "PowerShell", "custody", "ISO"}
)
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


def data_words(values: Iterable[Any]) -> set[str]:
    """Every Latin word in the recorded data (nested dicts and lists walked)."""
    words: set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack += value.values()
        elif isinstance(value, (list, tuple)):
            stack += value
        elif isinstance(value, str):
            words.update(_WORD.findall(value))
    return words


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """The Latin words of text a Russian document may not hold."""
    kept: list[str] = []
    continued = False
    for line in text.splitlines():
        command = continued or line.startswith("$ ")
        continued = command and line.rstrip().endswith("\\")
        if not command:
            kept.append(line)
    body = re.sub(r"«[^»]*»", " ", "\n".join(kept))
    found = []
    for token in body.split():
        if re.search(r"[0-9./_:@]", token):
            continue  # identifiers, file names, hashes, times
        for word in _WORD.findall(token):
            if word not in allowed and word not in STANDARD_NAMES:
                found.append(word)
    return found
