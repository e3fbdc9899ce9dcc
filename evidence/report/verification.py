"""The recipient's verification report: what `custody verify` found, on paper.

It is made from the bundle alone (the recipient has none of our data): the verdict table
per check and per item, who signed the manifest, and the SHA-256 of the bundle file itself,
so the paper names exactly the file it speaks about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from .. import __version__
from ..errors import Finding
from .layout import (
    FAIL_COLOUR,
    WIDTH,
    Furniture,
    build_pdf,
    field_table,
    grid_table,
    hex_para,
    markup,
    para,
    printable,
    safe_text,
    styles,
    verdict_box,
)
from .model import FAILED, VERIFIED, CheckLine

KIND = "Bundle verification report"


@dataclass(frozen=True)
class ItemCheck:
    """One item of the bundle and whether its file matched the signed manifest."""

    item_id: str
    path: str
    size: int | None
    sha256: str | None
    ok: bool
    detail: str


@dataclass(frozen=True)
class SignerIdentity:
    """Who signed the manifest, from the certificate inside the CMS signature."""

    name: str
    organisation: str
    country: str
    fingerprint: str


@dataclass(frozen=True)
class VerificationData:
    """Everything the verification report prints."""

    bundle_name: str
    bundle_sha256: str
    verified_at: str
    tool_version: str
    ok: bool
    checks: tuple[CheckLine, ...]
    findings: tuple[Finding, ...]
    items: tuple[ItemCheck, ...]
    signer: SignerIdentity | None
    case_number: str
    request_reference: str
    manifest_sha256: str | None
    verified_by: str = ""

    @property
    def word(self) -> str:
        """VERIFIED or FAILED, in words."""
        return VERIFIED if self.ok else FAILED


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    """The first attribute or key of obj that exists among names."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def _checks(values: Iterable[Any]) -> tuple[CheckLine, ...]:
    return tuple(
        CheckLine(str(_attr(c, "name", "check")), bool(_attr(c, "ok")), str(_attr(c, "detail")))
        for c in values
    )


def verification_data(result: Any, bundle_sha256: str, bundle_name: str = "") -> VerificationData:
    """Adapt a verification result (evidence.verify's, or a VerificationData) for printing."""
    if isinstance(result, VerificationData):
        return result
    from ..timefmt import utc_now

    signer = _attr(result, "signer")
    identity = None
    if signer is not None:
        identity = SignerIdentity(
            name=str(_attr(signer, "name", default="")),
            organisation=str(_attr(signer, "organisation", default="")),
            country=str(_attr(signer, "country", default="")),
            fingerprint=str(_attr(signer, "fingerprint", default="")),
        )
    items = tuple(
        ItemCheck(
            item_id=str(_attr(i, "item_id", default="")),
            path=str(_attr(i, "path", default="")),
            size=_attr(i, "size"),
            sha256=_attr(i, "sha256"),
            ok=bool(_attr(i, "ok", default=False)),
            detail=str(_attr(i, "detail", default="")),
        )
        for i in _attr(result, "items", default=()) or ()
    )
    return VerificationData(
        bundle_name=bundle_name or str(_attr(result, "source", "path", default="")),
        bundle_sha256=bundle_sha256,
        verified_at=str(_attr(result, "verified_at", default=None) or utc_now()),
        tool_version=__version__,
        ok=bool(_attr(result, "ok")),
        checks=_checks(_attr(result, "checks", default=()) or ()),
        findings=tuple(_attr(result, "findings", default=()) or ()),
        items=items,
        signer=identity,
        case_number=str(_attr(result, "case_number", "case", default="") or "–"),
        request_reference=str(_attr(result, "request_reference", "reference", default="") or "–"),
        manifest_sha256=_attr(result, "manifest_sha256"),
    )


def _verdict(data: VerificationData) -> list[Flowable]:
    st = styles()
    failed_items = sum(1 for i in data.items if not i.ok)
    lines = [
        f"{len(data.checks)} check(s), {len(data.findings)} finding(s); "
        f"{len(data.items) - failed_items} of {len(data.items)} item(s) match the signed manifest.",
    ]
    out: list[Flowable] = [KeepTogether([verdict_box(data.word, data.ok, lines)])]
    if data.checks:
        rows = [
            (para(c.name), para("PASSED" if c.ok else "FAILED", st.cell_bold), para(c.detail))
            for c in data.checks
        ]
        red = [
            ("TEXTCOLOR", (1, i), (1, i), FAIL_COLOUR)
            for i, c in enumerate(data.checks, start=1)
            if not c.ok
        ]
        out += [
            Spacer(1, 3 * mm),
            grid_table(["Check", "Result", "Detail"], rows, (110, 60, WIDTH - 170), extra=red),
        ]
    out.append(para(f"Findings ({len(data.findings)})", st.h2))
    if data.findings:
        rows = [(para(f.check), para(f.subject), para(f.message)) for f in data.findings]
        out.append(grid_table(["Check", "Subject", "Finding"], rows, (70, 150, WIDTH - 220)))
    else:
        out.append(para("None: every check passed.", st.body))
    return out


def _signer(data: VerificationData) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [para("Signer of the manifest", st.h1)]
    s = data.signer
    if s is None:
        return [*out, para("No signer could be read from manifest.json.p7s.", st.body)]
    return [
        *out,
        field_table(
            [
                ("Name", s.name or "–"),
                ("Organisation", s.organisation or "–"),
                ("Country", s.country or "–"),
                ("Certificate SHA-256", hex_para(s.fingerprint, style=st.digest)),
            ]
        ),
    ]


def _items(data: VerificationData) -> list[Flowable]:
    st = styles()
    rows = [
        (
            markup(f"{printable(i.item_id)}<br/>{printable(i.path)}", st.cell),
            safe_text("–" if i.size is None else f"{i.size:,}".replace(",", " ")),
            hex_para(i.sha256),
            para("OK" if i.ok else "FAILED", st.cell_bold),
            para(i.detail),
        )
        for i in data.items
    ]
    red = [
        ("TEXTCOLOR", (3, n), (3, n), FAIL_COLOUR)
        for n, i in enumerate(data.items, start=1)
        if not i.ok
    ]
    return [
        para(f"Items ({len(data.items)})", st.h1),
        grid_table(
            ["Item / file", "Size (bytes)", "SHA-256 (signed)", "Result", "Detail"],
            rows,
            (170, 56, 132, 42, WIDTH - 400),
            extra=red,
        ),
    ]


def render_verification_report(result: Any, bundle_sha256: str, bundle_name: str = "") -> bytes:
    """The verification report as PDF bytes.

    result: evidence.verify's result or a VerificationData; bundle_sha256: SHA-256 of the
    bundle file (or of its zip) as received; bundle_name: the file name to print.
    """
    data = verification_data(result, bundle_sha256, bundle_name)
    st = styles()
    pairs: list[tuple[str, Any]] = [
        ("Bundle", data.bundle_name or "–"),
        ("Bundle SHA-256", hex_para(data.bundle_sha256, style=st.digest)),
        ("Case", data.case_number),
        ("Request reference", data.request_reference),
        ("Manifest SHA-256", hex_para(data.manifest_sha256, style=st.digest)),
        ("Verified at", f"{data.verified_at} (UTC)"),
    ]
    if data.verified_by:
        pairs.append(("Verified by", data.verified_by))
    pairs.append(("Tool", f"custody (evidence toolkit) version {data.tool_version}"))
    story: list[Flowable] = [
        Paragraph("BUNDLE VERIFICATION REPORT", st.title),
        para(f"Request {data.request_reference} — case {data.case_number}", st.h1),
        field_table(pairs),
        Spacer(1, 4 * mm),
        *_verdict(data),
        *_signer(data),
        *_items(data),
        Spacer(1, 6 * mm),
        para(
            f"End of report: {len(data.items)} item(s), verdict {data.word}.",
            st.h2,
        ),
    ]
    furniture = Furniture(
        kind=KIND,
        case_number=data.case_number,
        generated_at=data.verified_at,
        footer_note=f"bundle sha256 {data.bundle_sha256}",
    )
    return build_pdf(
        story, furniture, title=f"{KIND} {data.request_reference}", author=data.verified_by
    )
