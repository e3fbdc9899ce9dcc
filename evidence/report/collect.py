"""Reading a workspace into CustodyReportData: items, their timelines, signers, the verdict."""

from __future__ import annotations

from collections import Counter

from cryptography import x509
from cryptography.x509.oid import NameOID

from .. import __version__
from ..audit import AuditResult
from ..cases import get_case
from ..events import events_in_chunks
from ..excerpt.sent import ExcerptSent, excerpts_of
from ..items import select
from ..keys import subject_attribute
from ..timefmt import format_utc, utc_now
from ..timeline import ItemTimeline, timelines
from ..workspace import Workspace
from .locale import Locale
from .model import (
    CustodyReportData,
    Preparer,
    SignerInfo,
    Verdict,
    verdict_from_audit,
)


def signer_info(fingerprint: str, cert: x509.Certificate | None, count: int) -> SignerInfo:
    """Identity of a signer from its certificate (or a stub when the certificate is missing)."""
    if cert is None:
        return SignerInfo("(certificate not in ledger)", "", "", "", fingerprint, "", "", count)
    return SignerInfo(
        name=_subject_text(cert, NameOID.COMMON_NAME),
        organisation=_subject_text(cert, NameOID.ORGANIZATION_NAME),
        country=_subject_text(cert, NameOID.COUNTRY_NAME),
        role=_subject_text(cert, NameOID.TITLE),
        fingerprint=fingerprint,
        not_before=format_utc(cert.not_valid_before_utc),
        not_after=format_utc(cert.not_valid_after_utc),
        events_signed=count,
    )


def collect_custody_report(
    ws: Workspace,
    case_number: str,
    item_ids: list[str] | None = None,
    audit: AuditResult | None = None,
    *,
    generated_by: str | None = None,
    generated_at: str | None = None,
    locale: Locale | None = None,
    preparer: Preparer | None = None,
    pdf_signed: bool = False,
) -> CustodyReportData:
    """Read a case from the workspace into report data.

    audit is the case's AuditResult (or None: the report then says NOT AUDITED); its list of
    badly signed events spares verifying every signature a second time.
    item_ids narrows the report to some items (ids or unique prefixes of this case).
    Who generated it is the --as actor, never the computer's login: an OS user name is not a
    person a court can summon.
    """
    loc = locale or Locale()
    case = get_case(ws.ledger, case_number)
    items = select(ws.ledger, case_number, item_ids or None, allow_empty=True)
    certs = ws.keys.certificates()
    out: list[ItemTimeline] = []
    signed: Counter[str] = Counter()
    # evidence.timeline decides signature and custodian status, so paper and
    # `custody log` can never disagree about an event.
    unverified = audit.unverified if audit is not None else None
    excerpts: list[ExcerptSent] = []
    by_id = {item.item_id: item for item in items}
    # One pass over the case's events, 100 items at a time: only one chunk's signed events
    # are held (about 4 KB an event), and each item's events serve its timeline and its
    # excerpts alike.
    for chains in events_in_chunks(ws.ledger, by_id, size=100):
        for t in timelines(ws, [by_id[i] for i in chains], unverified, chains):
            signed.update(line.actor_fingerprint for line in t.events)
            out.append(t)
            excerpts += excerpts_of(t.item.item_id, chains[t.item.item_id])
        del chains  # before the next chunk is read
    signers = tuple(signer_info(fp, certs.get(fp), n) for fp, n in sorted(signed.items()))
    verdict = verdict_from_audit(audit) if audit is not None else not_audited()
    return CustodyReportData(
        case=case,
        generated_at=generated_at or utc_now(),
        generated_by=generated_by or loc.t("not stated"),
        tool_version=__version__,
        verdict=verdict,
        items=tuple(out),
        signers=signers,
        checkpoint_root=verdict.checkpoint_root,
        selected_items=bool(item_ids),
        locale=loc,
        preparer=preparer,
        signed=pdf_signed,
        excerpts=tuple(excerpts),
    )


def not_audited() -> Verdict:
    """The verdict when no audit ran: counts only, and never VERIFIED."""
    return Verdict(
        audited=False,
        checks=(),
        findings=(),
        events_checked=0,
        items_checked=0,
        checkpoint_root=None,
        checkpoint_seq=None,
        fixity_checked=False,
    )


def _subject_text(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    return subject_attribute(cert, oid) or ""
