"""C2SP tlog-checkpoint: the note text `origin`, `size`, base64 `root` (c2sp.org/tlog-checkpoint).

The log's own signature on it is a note signature of type 0x02 (`note.ecdsa_sign`) under the
key name = origin; witnesses add cosignatures (`cosignature`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Malformed
from ..merkle import EMPTY_ROOT
from ..message import Message
from .note import b64, b64decode

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class SignedHead:
    """What a checkpoint note says: log origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes

    @property
    def empty_root_problem(self) -> bool:
        """An empty tree whose root is not the hash of the empty string (tlog-witness: 422)."""
        return self.size == 0 and self.root != EMPTY_ROOT

    def text(self) -> str:
        """The note text (three lines, each ending in a newline; no extension lines)."""
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    @classmethod
    def parse(cls, text: str, source: str = "checkpoint") -> SignedHead:
        """The first three lines of a checkpoint note text; extension lines are refused."""
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise Malformed(
                Message("{source}: a checkpoint is three lines (origin, size, root)", source=source)
            )
        origin, size, root = lines[:3]
        if not origin or any(c.isspace() for c in origin):
            raise Malformed(
                Message("{source}: origin line is empty or holds a space", source=source)
            )
        if not _SIZE.fullmatch(size):
            raise Malformed(
                Message(
                    "{source}: tree size {size!r} is not a decimal number",
                    source=source,
                    size=size[:30],
                )
            )
        raw = b64decode(root, Message("{source}: root hash", source=source))
        if len(raw) != 32:
            raise Malformed(Message("{source}: root hash is not 32 bytes", source=source))
        return cls(origin, int(size), raw)
