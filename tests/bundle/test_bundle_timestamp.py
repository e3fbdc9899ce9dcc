"""A bundle whose manifest signature carries an RFC 3161 token (CAdES-T): made against the
local TSA, checked by `custody verify --tsa-trust` and by VERIFY.txt's openssl steps."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evidence.keys import Signer
from evidence.report.pades import read_signatures
from evidence.timestamp.localtsa import TsaIdentity
from tests.bundle.bundle_support import REQUEST_ARGS, invoke, unzip
from tests.conftest import TsaFixture
from tests.helpers import CASE, PASSPHRASE, World

ENV = {"CUSTODY_PASSPHRASE": PASSPHRASE}


def _bundle(world: World, out: Path, *extra: str) -> None:
    args = ["-w", str(world.ws.root), "bundle", CASE, "--as", "Н. Петрова", "-o", str(out)]
    code, result = invoke([*args, *REQUEST_ARGS, *extra], env=ENV)
    assert code == 0, result.output


@pytest.fixture
def stamped(seized: World, prosecutor: Signer, local_tsa: TsaFixture, tmp_path: Path) -> Path:
    out = tmp_path / "request-0042.zip"
    _bundle(seized, out, "--tsa", local_tsa.url)
    return out


def test_verify_reports_the_trusted_time(
    stamped: Path, prosecutor: Signer, local_tsa: TsaFixture
) -> None:
    fp = prosecutor.record.fingerprint
    code, result = invoke(
        ["verify", str(stamped), "--fingerprint", fp, "--tsa-trust", str(local_tsa.ca)]
    )
    assert code == 0, result.output
    assert "RFC 3161 time" in result.stdout and "signer's claimed time" in result.stdout
    # Both times to the second, as people compare them (the token keeps its own precision).
    stamp = re.search(r"RFC 3161 time (\S+ \S+) by .*claimed time (\S+ \S+)", result.stdout)
    assert stamp is not None, result.stdout
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", t) for t in stamp.groups())
    # Without --tsa-trust nothing changes for a recipient who has no TSA anchor.
    assert invoke(["verify", str(stamped), "--fingerprint", fp])[0] == 0


def test_verify_txt_openssl_steps_work_as_written(
    stamped: Path, local_tsa: TsaFixture, tmp_path: Path
) -> None:
    bag = unzip(stamped, tmp_path / "x")
    shutil.copy(local_tsa.ca, bag / "tsa-ca.pem")
    text = (bag / "VERIFY.txt").read_text()
    section = text.split("TRUSTED TIME OF THE SIGNATURE (RFC 3161)")[1]
    english, russian = section.split("ДОВЕРЕННОЕ ВРЕМЯ ПОДПИСИ (RFC 3161)")
    commands = [line.strip() for line in english.splitlines() if line.startswith("    ")]
    assert len(commands) == 4
    # The Russian half gives the same commands (a translation, through the catalogue).
    assert [line.strip() for line in russian.splitlines() if line.startswith("    ")] == commands
    assert "«Verification: OK» доказывает" in russian
    done = subprocess.run(
        " && ".join(commands), shell=True, cwd=bag, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Verification: OK" in done.stdout and "Time stamp:" in done.stdout
    # The signature and file steps before this section are run literally, against every
    # hostile bundle too, by tests/bundle/test_verify_txt.py.
    # The cover sheet is a PAdES B-T PDF signed by the bundle's signer.
    (sig,) = read_signatures((bag / "cover.pdf").read_bytes())
    assert sig.ok and sig.timestamp is not None and "Н. Петрова" in sig.signer


def test_untrusted_tsa_or_missing_token_fails(
    seized: World, prosecutor: Signer, stamped: Path, tmp_path: Path
) -> None:
    fp = prosecutor.record.fingerprint
    TsaIdentity.create("Other").write(tmp_path / "other")
    code, result = invoke(
        [
            "verify",
            str(stamped),
            "--fingerprint",
            fp,
            "--tsa-trust",
            str(tmp_path / "other" / "tsa-ca.pem"),
        ]
    )
    assert code == 1 and "is not issued by a trusted root" in result.output
    plain = tmp_path / "plain.zip"
    _bundle(seized, plain)
    assert "TRUSTED TIME" not in (unzip(plain, tmp_path / "p") / "VERIFY.txt").read_text()
    code, result = invoke(
        [
            "verify",
            str(plain),
            "--fingerprint",
            fp,
            "--tsa-trust",
            str(tmp_path / "other" / "tsa-ca.pem"),
        ]
    )
    assert code == 1 and "signature carries no timestamp" in result.output


def test_unreachable_tsa_exports_nothing(seized: World, prosecutor: Signer, tmp_path: Path) -> None:
    out = tmp_path / "r.zip"
    before = seized.ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"]
    args = ["-w", str(seized.ws.root), "bundle", CASE, "--as", "Н. Петрова", "-o", str(out)]
    code, result = invoke([*args, *REQUEST_ARGS, "--tsa", "http://127.0.0.1:9/tsr"], env=ENV)
    assert code == 3 and "is unreachable" in result.output
    assert not out.exists()
    assert seized.ws.ledger.rows("SELECT COUNT(*) AS n FROM events")[0]["n"] == before


def test_signed_verification_report(
    seized: World, prosecutor: Signer, stamped: Path, tmp_path: Path
) -> None:
    report = tmp_path / "verification.pdf"
    fp = prosecutor.record.fingerprint
    args = ["-w", str(seized.ws.root), "verify", str(stamped), "--fingerprint", fp]
    code, result = invoke([*args, "--report", str(report), "--as", "Н. Петрова"], env=ENV)
    assert code == 0, result.output
    (sig,) = read_signatures(report.read_bytes())
    assert sig.ok and "Н. Петрова" in sig.signer
    done = subprocess.run(["pdfsig", str(report)], capture_output=True, text=True, check=False)
    assert "Signature is Valid" in done.stdout
