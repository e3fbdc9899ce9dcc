"""The foreign recipient's side: fingerprints as people type them, --trust misuse, the report,
older bundles, and nothing from a bundle reaching the terminal raw."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from evidence.bundle.signer import parse_fingerprint
from evidence.bundle.verifytext import colon_fingerprint
from evidence.errors import UsageError
from tests.bundle.bundle_support import Built, invoke, unzip
from tests.bundle.hostile_zips import GOLDEN, GOLDEN_FINGERPRINT

FP = GOLDEN_FINGERPRINT


@pytest.mark.parametrize(
    "typed",
    [
        FP,
        FP.upper(),
        ":".join(FP[i : i + 2] for i in range(0, 64, 2)).upper(),
        f"sha256 Fingerprint={':'.join(FP[i : i + 2] for i in range(0, 64, 2)).upper()}",
        f"SHA256 Fingerprint={FP}\n",
        f"{FP[:32]}\n{FP[32:]}",  # the two halves as printed on the cover sheet
        " ".join(FP[i : i + 4] for i in range(0, 64, 4)),
    ],
)
def test_fingerprint_as_people_type_it(typed: str) -> None:
    assert parse_fingerprint(typed) == FP


@pytest.mark.parametrize("typed", ["", FP[:-1], FP + "0", "sha1 Fingerprint=AB:CD", FP[:-1] + "g"])
def test_malformed_fingerprint_is_a_usage_error(typed: str) -> None:
    with pytest.raises(UsageError, match="not a SHA-256 fingerprint"):
        parse_fingerprint(typed)


def test_cli_accepts_the_openssl_form_and_refuses_a_typo_with_exit_2() -> None:
    colon = ":".join(FP[i : i + 2] for i in range(0, 64, 2)).upper()
    code, result = invoke(["verify", str(GOLDEN), "--fingerprint", f"sha256 Fingerprint={colon}"])
    assert code == 0, result.output
    code, result = invoke(["verify", str(GOLDEN), "--fingerprint", FP[:40]])
    assert code == 2
    assert "FAILED" not in result.output
    assert "not a SHA-256 fingerprint" in result.output


def test_golden_v1_bundle_still_verifies_and_says_its_aids_are_unsigned() -> None:
    code, result = invoke(["verify", str(GOLDEN), "--fingerprint", FP, "--json"])
    assert code == 0, result.output
    assert '"evidence-manifest/1' in result.output or "valid evidence-manifest/1" in result.output
    assert "cover.pdf, VERIFY.txt and bag-info.txt are not signed" in result.output


def test_trust_in_the_bundles_own_signer_pem_is_refused(built: Built, tmp_path: Path) -> None:
    bag = unzip(built.zip_path, tmp_path / "u")
    code, result = invoke(["verify", str(built.zip_path), "--trust", str(bag / "signer.pem")])
    assert code == 2
    assert "own signer.pem" in result.output and "establishes nothing" in result.output


def test_report_names_the_verifier_what_was_trusted_and_every_sha256(tmp_path: Path) -> None:
    assert shutil.which("pdftotext")
    report = tmp_path / "r.pdf"
    code, result = invoke(
        [
            "verify",
            str(GOLDEN),
            "--fingerprint",
            FP,
            "--report",
            str(report),
            "--verifier",
            "Прокурор А. Смирнов",
        ]
    )
    assert code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(report), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert "ПрокурорА.Смирнов" in flat
    assert FP in flat and colon_fingerprint(FP) in flat  # hex and as openssl prints it
    # Both items' SHA-256, as the signed manifest gives them.
    assert "4fb0a681632d618a2a35f463127e3e39ab5eac683f88e7945f9b3ea82692d843" in flat
    assert "ccb250326c16a9ed4af14ca2f261444570c9c73c40645f2cd1836e4b9880c7a4" in flat


def test_trust_in_a_copy_of_the_bundles_certificate_says_it_proves_nothing(
    built: Built, tmp_path: Path
) -> None:
    bag = unzip(built.zip_path, tmp_path / "u")
    copy = tmp_path / "prosecutor.pem"  # copied out, renamed: looks like one that came apart
    copy.write_bytes((bag / "signer.pem").read_bytes())
    code, result = invoke(["verify", str(built.zip_path), "--trust", str(copy), "-q"])
    assert code == 0
    fp = built.prosecutor.record.fingerprint
    assert "is the bundle's own signer certificate: this proves nothing" in result.stderr
    assert fp in result.stderr and colon_fingerprint(fp) in result.stderr
