"""The cover sheet inside every bundle: what the request is, what it carries, how to check it.

A recipient may print it before opening anything: the manifest's SHA-256, the signer's
certificate fingerprint and the sender's trust-root (anchor) fingerprint are printed in full
(also in openssl's colon form) and as a QR code. Its plain-tools steps are VERIFY.txt's, command
for command (verifytext.plain_steps): both signatures, the tag manifest, then the payload
manifests, then the file count; so the paper path fails closed exactly as VERIFY.txt's does.
Every word comes from the message catalogue, in one language. Missing optional manifest fields
print as a dash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Preformatted,
    Spacer,
    Table,
    TableStyle,
)

from ..bundle.custodians import carried_anchor
from ..bundle.verifytext import colon_fingerprint, file_count, plain_steps, shell_lines
from .fonts import MONO, SANS
from .layout import (
    GRID,
    PAD,
    WIDTH,
    Furniture,
    build_pdf,
    field_table,
    grid_table,
    heading,
    hex_para,
    name_para,
    para,
    safe_text,
    styles,
)
from .locale import Locale

KIND = "Evidence bundle cover sheet"
COMMAND_WIDTH = 96  # characters of a command line: 96 monospace at 8 pt fit the page
QR_SIZE = 42 * mm
LISTED_ITEMS = 20  # more than this and the cover stops being a cover: see manifest.json


def qr_payload(manifest_sha256: str, signer_fingerprint: str, anchor: str | None = None) -> str:
    """The text in the QR code: the digests, labelled, one per line."""
    text = f"manifest.json SHA-256: {manifest_sha256}\nsigner.pem SHA-256: {signer_fingerprint}"
    return text + (f"\nanchor SHA-256: {anchor}" if anchor else "")


def qr_drawing(text: str, size: float = QR_SIZE) -> Drawing:
    """A QR code (reportlab's own widget, error correction M) scaled to size points."""
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    scale = [size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0]
    drawing = Drawing(size, size, transform=scale)
    # A Drawing otherwise selects Helvetica on entry, which would put it in the PDF.
    drawing.initialFontName = SANS
    drawing.add(widget)
    return drawing


def _get(data: Any, *path: str) -> Any:
    """A nested manifest field, or None when any step is missing or not a mapping."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return "–" if value is None or value == "" else str(value)


def _case_number(manifest: Mapping[str, Any]) -> str:
    case = manifest.get("case")
    number = case.get("number") if isinstance(case, Mapping) else case
    return _text(number)


def _items(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = manifest.get("items")
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _item_size(item: Mapping[str, Any]) -> int:
    size = item.get("size")
    return size if isinstance(size, int) and size >= 0 else 0


def _fingerprint(loc: Locale, label: str, value: str) -> list[Flowable]:
    st = styles()
    return [
        para(loc.t(label), st.small),
        hex_para(value, style=st.digest),
        para(colon_fingerprint(value), ParagraphStyle("colon", st.mono, fontSize=6.2)),
        Spacer(1, 2 * mm),
    ]


def _digest_block(
    loc: Locale, manifest_sha256: str, signer_fingerprint: str, anchor: str | None
) -> Table:
    st = styles()
    text: list[Flowable] = [
        para(loc.t("SHA-256 of manifest.json"), st.small),
        hex_para(manifest_sha256, style=st.digest),
        Spacer(1, 2 * mm),
        *_fingerprint(
            loc, "SHA-256 fingerprint of the signer's certificate (signer.pem)", signer_fingerprint
        ),
    ]
    if anchor:
        text += _fingerprint(
            loc, "SHA-256 fingerprint of the sending authority's trust root (anchor)", anchor
        )
    text.append(
        para(
            loc.t(
                "Compare the fingerprints with those in the covering letter of the request or "
                "in the seizure protocol, never with a copy that came with the bundle. The QR "
                "code holds the same values."
            ),
            st.small,
        )
    )
    qr = qr_drawing(qr_payload(manifest_sha256, signer_fingerprint, anchor))
    table = Table([[text, qr]], colWidths=[WIDTH - QR_SIZE - 8 * mm, QR_SIZE + 8 * mm])
    table.setStyle(
        TableStyle(
            [
                # Any table without FONT selects Helvetica, which would enter the PDF.
                ("FONT", (0, 0), (-1, -1), SANS, 9),
                ("BOX", (0, 0), (-1, -1), 1.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


# What each step of verifytext.plain_steps is for, and what it must print (step 4: {count}).
STEP_TEXT = (
    (
        "Step 0. Unzip into a new, empty folder and go into the bundle's folder.",
        "Expected: no message at all.",
    ),
    (
        "Step 1. Both signatures (of manifest.json and of the tag manifest), and that one "
        "certificate made both.",
        'Expected: "CMS Verification successful" twice, then "one signer".',
    ),
    (
        "Step 2. Who signed: the certificate that actually verified the signatures.",
        'Expected: the "sha256 Fingerprint" equals, character for character, the signer '
        "fingerprint in the covering letter (colon form above).",
    ),
    (
        "Step 3. Every file against the signed lists: first the tag manifest, then the lists of "
        "the evidence files.",
        'Expected: every line ends in "OK", and the last line is "all files OK".',
    ),
    (
        "Step 4. Nothing else in the folder.",
        "Expected: {count}",
    ),
)
CA_NOTE = (
    "The signer's certificate was issued by a certification authority: add -partial_chain to "
    "both openssl cms commands."
)


def _self_signed(manifest: Mapping[str, Any], fp: str) -> bool:
    pem = _get(manifest, "certificates", fp)
    if not isinstance(pem, str):
        return True
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return True
    return cert.issuer == cert.subject


def verify_section(loc: Locale, manifest: Mapping[str, Any], fp: str, name: str) -> list[Flowable]:
    """How to verify, on paper: the plain-tools steps of VERIFY.txt, command for command.

    Commands are printed one per line as a POSIX shell reads them (long ones continued with a
    backslash), so what is typed or pasted from the page is exactly VERIFY.txt's command.
    """
    st = styles()
    command = ParagraphStyle("command", st.mono, fontName=MONO, fontSize=7.4, leading=9)
    step_style = ParagraphStyle("step", st.body, spaceBefore=3, spaceAfter=1)
    out: list[Flowable] = [
        para(loc.t("How to verify"), st.h1),
        para(
            loc.t(
                "With OpenSSL and coreutils (Linux, macOS; any POSIX shell). Every step must "
                "give exactly what is expected; anything else means: do not rely on this "
                "bundle. VERIFY.txt in the bundle gives the same steps, the same steps for "
                "Windows, and the check with the custody program, which also checks every "
                "custody event and who signed it."
            ),
            st.body,
        ),
    ]
    count = file_count(manifest, cover=True)
    for (title, expected), commands in zip(STEP_TEXT, plain_steps(name), strict=True):
        lines = [
            f"$ {line}" if n == 0 else line
            for cmd in commands
            for n, line in enumerate(shell_lines(cmd, COMMAND_WIDTH))
        ]
        block = [
            para(loc.t(title), step_style),
            Preformatted("\n".join(lines), command),
            para(loc.t(expected, count=count), st.small),
        ]
        if commands[0].startswith("T=") and not _self_signed(manifest, fp):
            block.append(para(loc.t(CA_NOTE), st.small))
        out.append(KeepTogether(block))
    return out


def render_cover(
    manifest: Mapping[str, Any],
    manifest_sha256: str,
    signer_fingerprint: str,
    *,
    lang: str = "en",
    name: str = "BUNDLE",
) -> bytes:
    """The bundle's cover sheet as PDF bytes (manifest: the dict docs/bundle.md describes),
    wholly in lang; name is the bundle's folder (the zip's name without .zip)."""
    st = styles()
    loc = Locale(lang)
    items = _items(manifest)
    total = sum(_item_size(i) for i in items)
    issuer = manifest.get("issuer")
    issuer_text = ", ".join(
        _text(_get(issuer, k)) for k in ("name", "organisation", "country") if _get(issuer, k)
    )
    case = manifest.get("case")
    case_title = _get(case, "title")
    reference = _text(_get(manifest, "request", "reference"))
    kind = _get(manifest, "request", "kind")
    anchor = carried_anchor(manifest.get("trust"))
    story: list[Flowable] = [
        Paragraph(loc.t("EVIDENCE BUNDLE — COVER SHEET"), st.title),
        heading(loc.t("Request {reference}", reference=reference), st.h1),
        field_table(
            [
                (
                    loc.t("Request"),
                    loc.t("mutual legal assistance request") if kind == "MLA" else _text(kind),
                ),
                (loc.t("Reference"), reference),
                (loc.t("Date"), _text(_get(manifest, "request", "date"))),
                (loc.t("Legal basis"), _text(_get(manifest, "request", "legal_basis"))),
                (
                    loc.t("Requesting authority"),
                    _text(_get(manifest, "request", "requesting_authority")),
                ),
                (loc.t("Requested state"), _text(_get(manifest, "request", "requested_state"))),
                (loc.t("Addressee"), _text(_get(manifest, "request", "addressee"))),
                (loc.t("Issued by"), issuer_text or "–"),
                (
                    loc.t("Case"),
                    f"{_case_number(manifest)}" + (f" — {case_title}" if case_title else ""),
                ),
                (
                    loc.t("Manifest"),
                    loc.t(
                        "{id}, created {at}",
                        id=_text(manifest.get("manifest_id")),
                        at=loc.when(manifest.get("created_at"), " "),
                    ),
                ),
                (
                    loc.t("Evidence"),
                    loc.t("items: {n}; {size} in total", n=len(items), size=loc.size(total)),
                ),
            ]
        ),
        Spacer(1, 4 * mm),
        _digest_block(loc, manifest_sha256, signer_fingerprint, anchor),
        *verify_section(loc, manifest, signer_fingerprint, name),
    ]
    if items:
        story += [CondPageBreak(30 * mm), para(loc.t("Items"), st.h1)]
        widths = (250, 126, 134)
        rows = [
            (
                name_para(i.get("path") or i.get("original_name"), widths[0] - 2 * PAD),
                safe_text(loc.size(_item_size(i))),
                hex_para(_get(i, "digests", "sha256")),
            )
            for i in items[:LISTED_ITEMS]
        ]
        headers = [loc.t("File in the bundle"), loc.t("Size"), "SHA-256"]
        story.append(grid_table(headers, rows, widths))
        if len(items) > LISTED_ITEMS:
            more = len(items) - LISTED_ITEMS
            story.append(
                para(
                    loc.t("… and {n} more: every item is listed in manifest.json.", n=more),
                    st.small,
                )
            )
    furniture = Furniture(
        kind=loc.t(KIND),
        case_number=_case_number(manifest),
        generated_at=_text(manifest.get("created_at")),
        footer_note=f"manifest.json SHA-256 {manifest_sha256}",
        locale=loc,
    )
    author = issuer_text or "custody"
    return build_pdf(story, furniture, title=f"{loc.t(KIND)} {reference}", author=author)


def cover_renderer(lang: str, name: str) -> Callable[[dict[str, Any], str, str], bytes]:
    """The renderer `build_bundle` calls, for a bundle folder called name, in lang."""

    def render(manifest: dict[str, Any], manifest_sha256: str, signer_fingerprint: str) -> bytes:
        return render_cover(manifest, manifest_sha256, signer_fingerprint, lang=lang, name=name)

    return render
