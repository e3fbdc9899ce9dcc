"""The recipient's verification report: verdict per check and item, signer, bundle SHA-256."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from evidence.errors import Finding
from evidence.report.model import CheckLine
from evidence.report.verification import (
    ItemCheck,
    SignerIdentity,
    VerificationData,
    render_verification_report,
)

from .conftest import CHAT_NAME, page_count, pdftotext, unwrapped

BUNDLE_SHA = hashlib.sha256(b"bundle").hexdigest()
SIGNER_FP = hashlib.sha256(b"signer").hexdigest()
ITEM_SHA = hashlib.sha256(b"item").hexdigest()


def data(ok: bool) -> VerificationData:
    return VerificationData(
        bundle_name="request-0042.zip",
        bundle_sha256=BUNDLE_SHA,
        verified_at="2026-12-01T08:00:00.000000Z",
        tool_version="0.1.0",
        ok=ok,
        checks=(
            CheckLine("bagit", True, "bag valid"),
            CheckLine("payload", ok, "every file matches" if ok else "1 file differs"),
        ),
        findings=() if ok else (Finding("payload", f"data/a/{CHAT_NAME}", "SHA-256 differs"),),
        items=(
            ItemCheck("0123456789ab", f"data/0123456789ab/{CHAT_NAME}", 2048, ITEM_SHA, ok, ""),
        ),
        signer=SignerIdentity("А. Иванов", "Следственный комитет", "BY", SIGNER_FP),
        case_number="BY-2026-0042",
        request_reference="MLA-BY-2026-0042/3",
        manifest_sha256=hashlib.sha256(b"m").hexdigest(),
        verified_by="Jan Kowalski",
    )


def test_verified_report() -> None:
    pdf = render_verification_report(data(True), BUNDLE_SHA)
    text = pdftotext(pdf, "-raw")
    flat = " ".join(text.split())
    for expected in (
        "BUNDLE VERIFICATION REPORT",
        "VERIFIED",
        "request-0042.zip",
        "MLA-BY-2026-0042/3",
        "А. Иванов",
        "Следственный комитет",
        CHAT_NAME,
        "bagit PASSED bag valid",
        "1 of 1 item(s) match the signed manifest",
        "page 1 of 1",
    ):
        assert expected in flat, expected
    assert "FAILED" not in flat
    raw = unwrapped(text)
    assert BUNDLE_SHA in raw and SIGNER_FP in raw and ITEM_SHA in raw
    assert page_count(pdf) == 1


def test_failed_report_lists_findings() -> None:
    text = " ".join(pdftotext(render_verification_report(data(False), BUNDLE_SHA), "-raw").split())
    assert "FAILED" in text and "VERIFIED" not in text
    assert "Findings (1)" in text
    assert "SHA-256 differs" in text
    assert "0 of 1 item(s) match the signed manifest" in text


def test_adapts_a_result_object_by_its_fields() -> None:
    result = SimpleNamespace(
        ok=False,
        checks=[SimpleNamespace(name="cms-signature", ok=False, detail="signature invalid")],
        findings=[Finding("cms-signature", "manifest.json.p7s", "signature invalid")],
        items=[],
        signer=None,
        case_number="BY-2026-0042",
        request_reference="MLA-1",
        manifest_sha256=None,
        source="x.zip",
    )
    text = " ".join(pdftotext(render_verification_report(result, BUNDLE_SHA)).split())
    assert "cms-signature FAILED signature invalid" in text
    assert "No signer could be read" in text
    assert "x.zip" in text
