"""C2SP tlog-proof (c2sp.org/tlog-proof@v1): an inclusion proof bundled with its checkpoint.

c2sp.org/tlog-proof@v1
[extra <base64>]
index <leaf index>
<base64 hash>            (the inclusion proof, leaf's sibling first)
...
<blank line>
<checkpoint note, with its signature and cosignature lines>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Malformed
from ..message import Message
from .note import Note, b64, b64decode

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,18})")
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class TlogProof:
    """One leaf's inclusion proof and the checkpoint note it leads to."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: Note
    extra: bytes | None = None

    def to_bytes(self) -> bytes:
        """The proof file's bytes."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64(p) for p in self.proof)
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint.to_bytes()

    @classmethod
    def parse(cls, data: bytes, source: str) -> TlogProof:
        """Read a proof strictly; Malformed naming the source otherwise."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(Message("{source}: not UTF-8", source=source)) from None
        head, sep, rest = text.partition("\n\n")
        if not sep:
            raise Malformed(Message("{source}: no blank line before the checkpoint", source=source))
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise Malformed(
                Message("{source}: first line is not {header}", source=source, header=HEADER)
            )
        extra = None
        at = 1
        if len(lines) > at and lines[at].startswith("extra "):
            extra = b64decode(lines[at][6:], Message("{source}: extra", source=source))
            at += 1
        if len(lines) <= at or not (m := _INDEX.fullmatch(lines[at])):
            raise Malformed(Message("{source}: no `index N` line", source=source))
        hashes = lines[at + 1 :]
        if len(hashes) > MAX_PROOF_LINES:
            raise Malformed(
                Message(
                    "{source}: more than {limit} proof hashes", source=source, limit=MAX_PROOF_LINES
                )
            )
        what = Message("{source}: proof hash", source=source)
        proof = tuple(b64decode(h, what) for h in hashes)
        if any(len(p) != 32 for p in proof):
            raise Malformed(Message("{source}: a proof hash is not 32 bytes", source=source))
        return cls(int(m.group(1)), proof, Note.parse(rest.encode(), source), extra)
