"""A list of named checks, each passed, failed, warned or skipped, kept in one fixed order.

Verification records failures as it meets them and a pass message per check at the end; a pass
is only shown for a check that recorded no failure, so a late failure always wins.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Check, CheckStatus, Finding
from ..message import Message

ORDER = (
    "zip",
    "bag.structure",
    "bag.names",
    "bag.complete",
    "bag.fixity",
    "bag.info",
    "cms.signature",
    "cms.tags",
    "signer.certificate",
    "signer.validity",
    "signer.identity",
    "manifest.json",
    "manifest.schema",
    "manifest.issuer",
    "manifest.certificates",
    "item.files",
    "item.coverage",
    "item.chain",
    "item.facts",
    "custody.trust",
    "custody.irregular",
    "log.inclusion",
    "log.timestamp",
)


class Checklist:
    """Collects checks; `result()` returns them in ORDER, failures replacing passes."""

    def __init__(self) -> None:
        self._failed: list[Check] = []
        self._notes: dict[str, Check] = {}

    def fail(self, name: str, subject: str, message: Message) -> None:
        """Record a failed check."""
        self._failed.append(Check(name, CheckStatus.FAILED, subject, message))

    def extend(self, findings: Iterable[Finding]) -> None:
        """Record failures found elsewhere."""
        for f in findings:
            self.fail(f.check, f.subject, f.message)

    def ok(self, name: str, subject: str, message: Message) -> None:
        """Record that a check passed (shown only if it recorded no failure)."""
        self._notes.setdefault(name, Check(name, CheckStatus.OK, subject, message))

    def warn(self, name: str, subject: str, message: Message) -> None:
        """Record a check that holds with a reservation the reader must act on."""
        self._notes[name] = Check(name, CheckStatus.WARNING, subject, message)

    def skip(self, name: str, message: Message) -> None:
        """Record a check that could not run because an earlier one failed."""
        self._notes.setdefault(name, Check(name, CheckStatus.SKIPPED, "-", message))

    def result(self) -> tuple[Check, ...]:
        """Every check, in ORDER, then any others in the order they were met."""
        names = list(ORDER) + [
            c.name for c in [*self._failed, *self._notes.values()] if c.name not in ORDER
        ]
        out: list[Check] = []
        for name in dict.fromkeys(names):
            failed = [c for c in self._failed if c.name == name]
            if failed:
                out += failed
            elif name in self._notes:
                out.append(self._notes[name])
        return tuple(out)
