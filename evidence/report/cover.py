"""The cover sheet inside every bundle: what the request is, what it carries, how to check it.

A recipient may print it before opening anything: the manifest's SHA-256 and the signer's
certificate fingerprint are printed in full and as a QR code, so the paper alone is enough
to check the files that came with it. Missing optional manifest fields print as a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from .fonts import SANS
from .layout import (
    GRID,
    WIDTH,
    Furniture,
    build_pdf,
    field_table,
    grid_table,
    hex_para,
    markup,
    para,
    safe_text,
    styles,
)

KIND = "Evidence bundle cover sheet"
QR_SIZE = 42 * mm
LISTED_ITEMS = 20  # more than this and the cover stops being a cover: see manifest.json


def qr_payload(manifest_sha256: str, signer_fingerprint: str) -> str:
    """The text in the QR code: both digests, labelled, one per line."""
    return f"manifest.json SHA-256: {manifest_sha256}\nsigner.pem SHA-256: {signer_fingerprint}"


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


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n:,} bytes ({n / factor:.1f} {unit})".replace(",", " ")
    return f"{n} bytes"


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


def _digest_block(manifest_sha256: str, signer_fingerprint: str) -> Table:
    st = styles()
    text = [
        para("SHA-256 of manifest.json", st.small),
        hex_para(manifest_sha256, style=st.digest),
        Spacer(1, 2 * mm),
        para("SHA-256 of the signer's certificate (signer.pem, DER)", st.small),
        hex_para(signer_fingerprint, style=st.digest),
        Spacer(1, 2 * mm),
        para(
            "Compare both with the values in the covering letter of the request. "
            "The QR code holds the same two values.",
            st.small,
        ),
    ]
    qr = qr_drawing(qr_payload(manifest_sha256, signer_fingerprint))
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


VERIFY_STEPS = (
    "<b>With custody:</b> <font name='DejaVuSansMono'>custody verify BUNDLE.zip</font> "
    "checks everything below and prints a verdict (add --report verification.pdf for paper).",
    "<b>Without custody</b> (OpenSSL and coreutils), after unzipping, in the bundle folder:",
    "1. <font name='DejaVuSansMono'>sha256sum manifest.json</font> must print the manifest "
    "SHA-256 above.",
    "2. <font name='DejaVuSansMono'>openssl x509 -in signer.pem -outform DER | sha256sum</font> "
    "must print the signer's SHA-256 above.",
    "3. <font name='DejaVuSansMono'>openssl cms -verify -binary -inform DER -in "
    "manifest.json.p7s -content manifest.json -CAfile signer.pem -purpose any "
    "-out /dev/null</font> must say <i>Verification successful</i>.",
    "4. <font name='DejaVuSansMono'>sha256sum -c manifest-sha256.txt</font> must report OK for "
    "every file under data/ (any BagIt tool does the same: "
    "<font name='DejaVuSansMono'>bagit.py --validate .</font>).",
    "VERIFY.txt in the bundle gives the same steps in full.",
)


def render_cover(
    manifest: Mapping[str, Any], manifest_sha256: str, signer_fingerprint: str
) -> bytes:
    """The bundle's cover sheet as PDF bytes (manifest: the dict docs/bundle.md describes)."""
    st = styles()
    items = _items(manifest)
    total = sum(_item_size(i) for i in items)
    issuer = manifest.get("issuer")
    issuer_text = ", ".join(
        _text(_get(issuer, k)) for k in ("name", "organisation", "country") if _get(issuer, k)
    )
    case = manifest.get("case")
    case_title = _get(case, "title")
    reference = _text(_get(manifest, "request", "reference"))
    story: list[Flowable] = [
        Paragraph("EVIDENCE BUNDLE — COVER SHEET", st.title),
        para(f"Request {reference}", st.h1),
        field_table(
            [
                ("Request", _text(_get(manifest, "request", "kind"))),
                ("Reference", reference),
                ("Date", _text(_get(manifest, "request", "date"))),
                ("Legal basis", _text(_get(manifest, "request", "legal_basis"))),
                ("Requesting authority", _text(_get(manifest, "request", "requesting_authority"))),
                ("Requested state", _text(_get(manifest, "request", "requested_state"))),
                ("Addressee", _text(_get(manifest, "request", "addressee"))),
                ("Issued by", issuer_text or "–"),
                ("Case", f"{_case_number(manifest)}" + (f" — {case_title}" if case_title else "")),
                (
                    "Manifest",
                    f"{_text(manifest.get('manifest_id'))}, "
                    f"created {_text(manifest.get('created_at'))}",
                ),
                ("Evidence", f"{len(items)} item(s), {_size(total)} in total"),
            ]
        ),
        Spacer(1, 4 * mm),
        _digest_block(manifest_sha256, signer_fingerprint),
        para("How to verify", st.h1),
        *[markup(step, ParagraphStyle("step", st.body, spaceAfter=2)) for step in VERIFY_STEPS],
    ]
    if items:
        story += [para("Items", st.h1)]
        rows = [
            (
                para(i.get("path") or i.get("original_name")),
                safe_text(_size(_item_size(i))),
                hex_para(_get(i, "digests", "sha256")),
            )
            for i in items[:LISTED_ITEMS]
        ]
        story.append(grid_table(["File in the bundle", "Size", "SHA-256"], rows, (250, 126, 134)))
        if len(items) > LISTED_ITEMS:
            more = len(items) - LISTED_ITEMS
            story.append(
                para(f"… and {more} more: every item is listed in manifest.json.", st.small)
            )
    furniture = Furniture(
        kind=KIND,
        case_number=_case_number(manifest),
        generated_at=_text(manifest.get("created_at")),
        footer_note=f"manifest.json sha256 {manifest_sha256}",
    )
    author = issuer_text or "custody"
    return build_pdf(story, furniture, title=f"Cover sheet {reference}", author=author)
