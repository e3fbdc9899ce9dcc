"""What a custody report says, as typed records: the renderers read these, never the database.

`collect_custody_report` (collect.py) fills them from a workspace; tests and the benchmark
build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..audit import AuditResult
from ..cases import Case
from ..errors import Check, Finding
from ..excerpt.sent import ExcerptSent
from ..timeline import Irregularity, ItemTimeline
from .locale import Locale

VERIFIED, FAILED, NOT_AUDITED = "VERIFIED", "FAILED", "NOT AUDITED"

# A printed check line is the audit's own record (verification checks are adapted to it).
CheckLine = Check


@dataclass(frozen=True)
class Verdict:
    """The audit outcome printed up front: every check and every finding."""

    audited: bool  # False: no ledger audit ran; the report must not claim VERIFIED
    checks: tuple[CheckLine, ...]
    findings: tuple[Finding, ...]
    events_checked: int
    items_checked: int
    checkpoint_root: str | None
    checkpoint_seq: int | None
    fixity_checked: bool

    @property
    def ok(self) -> bool:
        """True when an audit ran and every check passed."""
        return self.audited and not self.findings and all(c.ok for c in self.checks)

    @property
    def word(self) -> str:
        """VERIFIED, FAILED or NOT AUDITED: the verdict in words, never only in colour."""
        if not self.audited:
            return NOT_AUDITED
        return VERIFIED if self.ok else FAILED

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the JSON twin."""
        return {
            "verdict": self.word,
            "ok": self.ok,
            "audited": self.audited,
            "fixity_checked": self.fixity_checked,
            "events_checked": self.events_checked,
            "items_checked": self.items_checked,
            "checkpoint_root": self.checkpoint_root,
            "checkpoint_seq": self.checkpoint_seq,
            # custody-report/1 and /2 keep the check shape /1 was published with; moving it to the
            # shared one (evidence.errors.check_json) needs a custody-report version bump.
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "findings": [
                {"check": f.check, "subject": f.subject, "message": f.message}
                for f in self.findings
            ],
        }


def verdict_from_audit(result: AuditResult) -> Verdict:
    """Adapt an evidence.audit.AuditResult (checks, findings, counts, checkpoint) to a Verdict."""
    checks = tuple(result.checks)
    return Verdict(
        audited=True,
        checks=checks,
        findings=tuple(result.findings),
        events_checked=int(result.events_checked),
        items_checked=int(result.items_checked),
        checkpoint_root=result.checkpoint_root,
        checkpoint_seq=result.checkpoint_seq,
        fixity_checked=any(c.name == "fixity" for c in checks),
    )


@dataclass(frozen=True)
class SignerInfo:
    """An actor whose certificate signed events in the report."""

    name: str
    organisation: str
    country: str
    role: str
    fingerprint: str
    not_before: str
    not_after: str
    events_signed: int

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the JSON twin."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Preparer:
    """Who prepared the report (--as): printed in the signature and stamp block."""

    name: str
    role: str
    organisation: str
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the JSON twin."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class CustodyReportData:
    """Everything the custody report prints, in print order."""

    case: Case
    generated_at: str
    generated_by: str
    tool_version: str
    verdict: Verdict
    items: tuple[ItemTimeline, ...]
    signers: tuple[SignerInfo, ...]
    checkpoint_root: str | None
    selected_items: bool = False  # True when --items narrowed the report to some items
    locale: Locale = field(default_factory=Locale)
    preparer: Preparer | None = None
    signed: bool = False  # the PDF will carry the preparer's PAdES signature
    excerpts: tuple[ExcerptSent, ...] = ()  # excerpts sent abroad (evidence.excerpt.sent)

    @property
    def event_count(self) -> int:
        """Events printed across all items."""
        return sum(len(t.events) for t in self.items)

    @property
    def irregularities(self) -> tuple[Irregularity, ...]:
        """Every irregular custody event of the items printed, item by item."""
        return tuple(i for t in self.items for i in t.irregularities)
