"""The bundle cover sheet: request, counts, digests in text and as a QR code, tolerant input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget

from evidence.report.cover import qr_drawing, qr_payload, render_cover

from .conftest import CHAT_NAME, page_count, pdffonts, pdftotext, unwrapped

MANIFEST_SHA = hashlib.sha256(b"manifest").hexdigest()
SIGNER_FP = hashlib.sha256(b"signer").hexdigest()


def manifest(items: int = 3) -> dict[str, Any]:
    return {
        "schema": "evidence-manifest/1",
        "manifest_id": "0f3c9a",
        "created_at": "2026-11-25T19:36:33.123456Z",
        "issuer": {
            "name": "А. Иванов",
            "organisation": "Следственный комитет Республики Беларусь",
            "country": "BY",
            "fingerprint": SIGNER_FP,
        },
        "case": {"number": "BY-2026-0042", "title": "Мошенничество с криптовалютой"},
        "request": {
            "kind": "MLA",
            "reference": "MLA-BY-2026-0042/3",
            "date": "2026-11-25",
            "legal_basis": "Minsk Convention 1993, art. 6",
            "requesting_authority": "Следственный комитет Республики Беларусь",
            "requested_state": "PL",
            "addressee": "Prokuratura Krajowa, Łódź",
        },
        "items": [
            {
                "path": f"data/item{n}/{CHAT_NAME}",
                "size": 1024 * (n + 1),
                "digests": {"sha256": hashlib.sha256(bytes([n])).hexdigest()},
            }
            for n in range(items)
        ],
    }


def test_cover_content(tmp_path: Path) -> None:
    pdf = render_cover(manifest(), MANIFEST_SHA, SIGNER_FP)
    text = pdftotext(pdf, "-raw")
    flat = " ".join(text.split())
    for expected in (
        "EVIDENCE BUNDLE — COVER SHEET",
        "MLA-BY-2026-0042/3",
        "Minsk Convention 1993, art. 6",
        "Следственный комитет Республики Беларусь",
        "Prokuratura Krajowa, Łódź",
        "items: 3; 6 144 bytes (6.0 KiB) in total",
        CHAT_NAME,
        "openssl cms -verify",
        "sha256sum -c --strict tagmanifest-sha256.txt && sha256sum -c --strict manifest-sha256.txt",
        "page 1 of 2",
    ):
        assert expected in flat, expected
    raw = unwrapped(text)
    assert MANIFEST_SHA in raw and SIGNER_FP in raw
    path = tmp_path / "cover.pdf"
    path.write_bytes(pdf)
    assert {row[0].split("+")[-1] for row in pdffonts(path)} <= {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "DejaVuSansMono",
    }


def test_qr_code_holds_both_digests() -> None:
    drawing = qr_drawing(qr_payload(MANIFEST_SHA, SIGNER_FP))
    (widget,) = [c for c in drawing.contents if isinstance(c, QrCodeWidget)]
    assert MANIFEST_SHA in widget.value and SIGNER_FP in widget.value


def test_missing_optional_fields_do_not_break_it() -> None:
    pdf = render_cover({}, MANIFEST_SHA, SIGNER_FP)
    text = pdftotext(pdf)
    assert "items: 0; 0 bytes in total" in text
    assert "page 1 of 1" in text
    odd = {"items": "not a list", "request": None, "case": "BY-1", "issuer": {"name": None}}
    assert "BY-1" in pdftotext(render_cover(odd, MANIFEST_SHA, SIGNER_FP))


def test_many_items_listed_up_to_a_limit() -> None:
    pdf = render_cover(manifest(items=60), MANIFEST_SHA, SIGNER_FP)
    text = pdftotext(pdf)
    assert "items: 60" in text
    assert "and 40 more: every item is listed in manifest.json" in text
    assert page_count(pdf) <= 3
