"""The recipient's verification report and the cover sheet, from a real bundle."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle
from evidence.bundle.checklist import ORDER
from evidence.bundle.manifest import MlaRequest
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.messages import translations
from evidence.report.cover import render_cover
from evidence.report.locale import Locale
from evidence.report.verification import (
    CHECK_NAMES,
    CHECK_TEXT,
    render_verification_report,
    verification_data,
)

from .conftest import CASE, CHAT_NAME, INVESTIGATOR, CaseWorld, pdftotext, unwrapped
from .language_support import latin_words

REQUEST = MlaRequest(
    reference="MLA-BY-2026-0042/3",
    legal_basis="Minsk Convention 1993, art. 6",
    requesting_authority="Следственный комитет Республики Беларусь",
    requested_state="PL",
    addressee="Prokuratura Krajowa, Łódź",
    date="2026-11-25",
)


@pytest.fixture
def bundle(fresh_ws: CaseWorld) -> Path:
    out = fresh_ws.root / "request-0042.zip"
    build_bundle(fresh_ws.ws, fresh_ws.investigator, CASE, out, REQUEST, cover=render_cover)
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _flat(pdf: bytes) -> str:
    return " ".join(pdftotext(pdf, "-raw").split())


def test_verified_bundle_report(bundle: Path) -> None:
    result = verify_bundle(bundle)
    pdf = render_verification_report(result, _sha(bundle), verified_by="Jan Kowalski")
    text = _flat(pdf)
    assert result.status == "signer-unverified"  # self-signed: identity needs a fingerprint
    for expected in (
        "BUNDLE VERIFICATION REPORT",
        "INTACT — SIGNER NOT ESTABLISHED",
        "MLA-BY-2026-0042/3",
        "Jan Kowalski",
        CHAT_NAME,
        INVESTIGATOR,
        "page 1 of",
        "request MLA-BY-2026-0042/3",
    ):
        assert expected in text, expected
    raw = unwrapped(text)
    assert _sha(bundle) in raw
    assert result.signer is not None and result.signer.fingerprint in raw
    assert result.manifest_sha256 is not None and result.manifest_sha256 in raw
    for check in result.checks:
        assert check.name in text


def test_verified_when_the_fingerprint_is_known(bundle: Path) -> None:
    first = verify_bundle(bundle)
    assert first.signer is not None
    result = verify_bundle(bundle, fingerprints=[first.signer.fingerprint])
    assert result.status == "verified"
    text = _flat(render_verification_report(result, _sha(bundle)))
    assert "VERIFIED" in text and "FAILED" not in text and "NOT ESTABLISHED" not in text


def test_tampered_bundle_report_says_failed(bundle: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(CHAT_NAME):
                data = data.replace("карты".encode(), "счёта".encode())
            dst.writestr(info, data)
    result = verify_bundle(tampered)
    assert result.status == "failed"
    text = _flat(render_verification_report(result, _sha(tampered)))
    assert "FAILED" in text and "VERIFIED" not in text
    assert any(f.message in text for f in result.findings)


def test_report_data_copies_every_check(bundle: Path) -> None:
    result: VerifyResult = verify_bundle(bundle)
    data = verification_data(result, "0" * 64, verified_at="2026-12-01T08:00:00Z")
    assert len(data.checks) == len(result.checks) and len(data.items) == len(result.items)
    again = render_verification_report(data, "0" * 64)
    assert again == render_verification_report(replace(data), "0" * 64)


def test_bundle_carries_the_cover_sheet(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith("/cover.pdf") or n == "cover.pdf"]
        cover = zf.read(name)
        manifest = next(n for n in zf.namelist() if n.endswith("manifest.json"))
        manifest_sha = hashlib.sha256(zf.read(manifest)).hexdigest()
    text = _flat(cover)
    assert "EVIDENCE BUNDLE — COVER SHEET" in text
    assert "MLA-BY-2026-0042/3" in text and "Łódź" in text
    assert manifest_sha in unwrapped(text)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_repacked_bundle_report_says_packaging_changed(
    bundle: Path, tmp_path: Path, lang: str
) -> None:
    """Zipped again from inside its folder: the report's verdict says so, in its language,
    beside a verdict that still holds; no Latin word in the Russian one."""
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(folder)
    bag = next(folder.iterdir())
    again = tmp_path / "again.zip"
    with zipfile.ZipFile(again, "w") as zf:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(bag).as_posix())
    result = verify_bundle(again)
    assert result.status == "signer-unverified" and result.packaging.changed
    text = _flat(render_verification_report(result, _sha(again), locale=Locale(lang)))
    if lang == "en":
        assert "Packaging changed, contents intact: its files lie at the top of the zip" in text
    else:
        said = text[text.index("Упаковка изменена") :].split(".")[0]
        assert said.startswith("Упаковка изменена, содержимое не изменено: файлы лежат в корне")
        assert latin_words(said, set()) == [], said


def test_checks_are_named_in_words_in_each_language(bundle: Path) -> None:
    """Each check by its worded name from the catalogue: English sets the identifier the
    terminal and --json print small beside it; Russian prints no identifier, only Russian."""
    assert set(ORDER) <= set(CHECK_NAMES) == set(CHECK_TEXT)
    result = verify_bundle(bundle)
    english = _flat(render_verification_report(result, _sha(bundle)))
    russian = _flat(render_verification_report(result, _sha(bundle), locale=Locale("ru")))
    catalogue = translations("ru")
    words = russian.split()
    squashed = _squashed(russian)  # a name wrapped in its narrow column, hyphenated or not
    for check in result.checks:
        worded = CHECK_NAMES[check.name]
        assert _squashed(f"{worded} {check.name}") in _squashed(english), check.name
        assert catalogue.gettext(worded) != worded, worded
        assert _squashed(catalogue.gettext(worded)) in squashed, worded
        if check.name != "manifest.json":  # also a file name, a subject printed as it is
            assert check.name not in words, check.name


def _squashed(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and c != "-")
