"""The recipient's verification report: what `custody verify` found, on paper.

It is made from the bundle alone (the recipient has none of our data): the same verdict
table `custody verify` prints, per check and per item, who signed the manifest, and the
SHA-256 of the bundle file itself, so the paper names exactly the file it speaks about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from .. import __version__
from ..bundle.verify import VerifyResult
from ..timefmt import utc_now
from .layout import (
    FAIL_COLOUR,
    WIDTH,
    Furniture,
    build_pdf,
    field_table,
    grid_table,
    hex_para,
    para,
    styles,
    verdict_box,
)

KIND = "Bundle verification report"
WARN_COLOUR = colors.HexColor("#8a5a00")

# custody verify's three outcomes, in words (a photocopy loses colour).
WORDS = {
    "verified": "VERIFIED",
    "signer-unverified": "INTACT — SIGNER NOT ESTABLISHED",
    "failed": "FAILED",
}


@dataclass(frozen=True)
class CheckRow:
    """One line of the verdict table: RESULT, CHECK, SUBJECT, DETAIL, as custody verify prints."""

    status: str  # ok | failed | warning | skipped
    name: str
    subject: str
    message: str


@dataclass(frozen=True)
class ItemRow:
    """One item: its file, whether digests and chain hold, its events and last custodian."""

    item_id: str
    file: str
    digests_ok: bool
    chain_ok: bool
    events: int
    last_custodian: str | None
    sha256: str | None = None


@dataclass(frozen=True)
class SignerRow:
    """Who signed manifest.json and on what basis that identity was (or was not) established."""

    subject: str
    fingerprint: str
    established: bool
    basis: str


@dataclass(frozen=True)
class VerificationData:
    """Everything the verification report prints."""

    source: str
    bundle_sha256: str
    verified_at: str
    tool_version: str
    status: str  # verified | signer-unverified | failed
    checks: tuple[CheckRow, ...]
    items: tuple[ItemRow, ...]
    signer: SignerRow | None
    manifest_sha256: str | None
    request_ref: str | None
    verified_by: str = ""
    verified_with: str = ""  # the fingerprints or --trust files the identity was checked against

    @property
    def word(self) -> str:
        """The verdict in words."""
        return WORDS.get(self.status, "FAILED")


def verification_data(
    result: VerifyResult,
    bundle_sha256: str,
    *,
    verified_at: str | None = None,
    verified_by: str = "",
    verified_with: str = "",
) -> VerificationData:
    """Report data from a bundle verification result (checks, items and signer as they are)."""
    signer = result.signer
    return VerificationData(
        source=result.source,
        bundle_sha256=bundle_sha256,
        verified_at=verified_at or utc_now(),
        tool_version=__version__,
        status=result.status,
        checks=tuple(CheckRow(c.status, c.name, c.subject, c.message) for c in result.checks),
        items=tuple(
            ItemRow(
                i.item_id, i.file, i.digests_ok, i.chain_ok, i.events, i.last_custodian, i.sha256
            )
            for i in result.items
        ),
        signer=None
        if signer is None
        else SignerRow(signer.subject, signer.fingerprint, signer.established, signer.basis),
        manifest_sha256=result.manifest_sha256,
        request_ref=result.request_ref,
        verified_by=verified_by,
        verified_with=verified_with,
    )


def _verdict(data: VerificationData) -> list[Flowable]:
    st = styles()
    failed = [c for c in data.checks if c.status == "failed"]
    good = sum(1 for i in data.items if i.digests_ok and i.chain_ok)
    lines = [
        f"{len(data.checks)} check line(s), {len(failed)} failed; "
        f"{good} of {len(data.items)} item(s) intact with an unbroken custody chain."
    ]
    state: bool | None = data.status == "verified"
    if data.status == "signer-unverified":
        state = None
        fp = data.signer.fingerprint if data.signer else "?"
        lines.append(
            "The files are intact and the manifest validly signed, but the signer's identity "
            f"was not established: compare fingerprint {fp} with the sender's by letter or phone."
        )
    out: list[Flowable] = [KeepTogether([verdict_box(data.word, state, lines)]), Spacer(1, 3 * mm)]
    rows = [
        (
            para(c.status.upper(), st.cell_bold),
            para(c.name),
            para(c.subject),
            para(c.message),
        )
        for c in data.checks
    ]
    colour = {"failed": FAIL_COLOUR, "warning": WARN_COLOUR}
    marks = [
        ("TEXTCOLOR", (0, n), (0, n), colour[c.status])
        for n, c in enumerate(data.checks, start=1)
        if c.status in colour
    ]
    out.append(
        grid_table(
            ["Result", "Check", "Subject", "Detail"],
            rows,
            (50, 90, 130, WIDTH - 270),
            extra=marks,
            caption="Checks (as printed by custody verify)",
        )
    )
    return out


def _items(data: VerificationData) -> list[Flowable]:
    st = styles()
    if not data.items:
        return [para("Items", st.h1), para("No item could be read from the manifest.", st.body)]
    rows = [
        (
            para(i.item_id),
            para(i.file),
            "ok" if i.digests_ok else "FAILED",
            "ok" if i.chain_ok else "FAILED",
            str(i.events),
            para(i.last_custodian or "–"),
        )
        for i in data.items
    ]
    marks = [
        ("TEXTCOLOR", (col, n), (col, n), FAIL_COLOUR)
        for n, i in enumerate(data.items, start=2)
        for col, ok in ((2, i.digests_ok), (3, i.chain_ok))
        if not ok
    ]
    return [
        Spacer(1, 4 * mm),
        grid_table(
            ["Item", "File", "Digests", "Chain", "Events", "Last custodian"],
            rows,
            (62, 200, 48, 48, 40, WIDTH - 398),
            extra=marks,
            caption=f"Items ({len(data.items)})",
        ),
        Spacer(1, 3 * mm),
        grid_table(
            ["Item", "SHA-256 in the signed manifest"],
            [(para(i.item_id), hex_para(i.sha256 or "–", style=st.digest)) for i in data.items],
            (62, WIDTH - 62),
            caption="Item digests",
        ),
    ]


def _signer(data: VerificationData) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [para("Signer of the manifest", st.h1)]
    s = data.signer
    if s is None:
        return [*out, para("No signer could be read from manifest.json.p7s.", st.body)]
    basis = s.basis if s.established else f"NOT ESTABLISHED ({s.basis})"
    return [
        *out,
        field_table(
            [
                ("Signer", s.subject),
                ("Certificate SHA-256", hex_para(s.fingerprint, style=st.digest)),
                ("Identity", basis),
            ]
        ),
    ]


def render_verification_report(
    result: VerifyResult | VerificationData,
    bundle_sha256: str,
    *,
    verified_at: str | None = None,
    verified_by: str = "",
    verified_with: str = "",
) -> bytes:
    """The verification report as PDF bytes.

    result: evidence.bundle.verify.verify_bundle's result; bundle_sha256: SHA-256 of the bundle file
    as received (of the zip; for a folder, whatever digest the caller chose to name it by).
    """
    data = (
        result
        if isinstance(result, VerificationData)
        else verification_data(
            result,
            bundle_sha256,
            verified_at=verified_at,
            verified_by=verified_by,
            verified_with=verified_with,
        )
    )
    st = styles()
    reference = data.request_ref or "–"
    pairs: list[tuple[str, Any]] = [
        ("Bundle", data.source or "–"),
        ("Bundle SHA-256", hex_para(data.bundle_sha256, style=st.digest)),
        ("Request reference", reference),
        ("Manifest SHA-256", hex_para(data.manifest_sha256, style=st.digest)),
        ("Verified at", f"{data.verified_at} (UTC)"),
    ]
    if data.verified_by:
        pairs.append(("Verified by", data.verified_by))
    if data.verified_with:
        pairs.append(("Signer checked against", data.verified_with))
    pairs.append(("Tool", f"custody (evidence toolkit) version {data.tool_version}"))
    story: list[Flowable] = [
        Paragraph("BUNDLE VERIFICATION REPORT", st.title),
        para(f"Request {reference}", st.h1),
        field_table(pairs),
        Spacer(1, 4 * mm),
        *_verdict(data),
        *_items(data),
        *_signer(data),
        Spacer(1, 6 * mm),
        para(f"End of report: {len(data.items)} item(s), verdict {data.word}.", st.h2),
    ]
    furniture = Furniture(
        kind=KIND,
        case_number=reference,
        generated_at=data.verified_at,
        footer_note=f"bundle sha256 {data.bundle_sha256}",
        label="request",
    )
    author = data.verified_by or "custody verify"
    return build_pdf(story, furniture, title=f"{KIND} {reference}", author=author)
