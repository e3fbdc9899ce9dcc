"""Constants and the World record shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from evidence.ingest import IngestOptions, IngestReport, ingest
from evidence.keys import Signer
from evidence.workspace import AuthoritySetup, Workspace

DATA = Path(__file__).parent / "data"
PASSPHRASE = "correct horse battery"
CASE = "BY-2026-0042"
# The trust root of test workspaces: an authority key with the same passphrase as every test
# key, so that creating a key enrols it at once (the solo path).
AUTHORITY = AuthoritySetup("Test authority", PASSPHRASE, "Investigative Committee", "BY")


@dataclass
class World:
    """A workspace with a case and three actors, ready to ingest."""

    ws: Workspace
    investigator: Signer
    custodian: Signer
    expert: Signer

    def ingest(self, *paths: Path, options: IngestOptions | None = None) -> IngestReport:
        """Ingest paths into the case as the investigator."""
        opts = options or IngestOptions(case=CASE, source="Samsung A51, IMEI 356938035643809")
        return ingest(self.ws, self.investigator, list(paths), opts)


def make_ca(name: str = "Agency Test CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A real (test) certification authority: key and self-signed CA certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    csr_pem: bytes,
    valid: tuple[timedelta, timedelta] = (timedelta(days=-1), timedelta(days=30)),
) -> bytes:
    """The CA signs a CSR, as an agency would: PEM of the issued certificate.

    valid: from and until, relative to now.
    """
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.subject)
        .public_key(csr.public_key())
        .serial_number(2)
        .not_valid_before(now + valid[0])
        .not_valid_after(now + valid[1])
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def openssl_ts_verify(
    token: bytes, data: bytes, ca: Path, tmp: Path
) -> subprocess.CompletedProcess[str]:
    """`openssl ts -verify` of a token over data against ca: what a recipient with openssl sees."""
    (tmp / "token.tst").write_bytes(token)
    (tmp / "data.bin").write_bytes(data)
    command = ["openssl", "ts", "-verify", "-token_in", "-in", str(tmp / "token.tst")]
    command += ["-data", str(tmp / "data.bin"), "-CAfile", str(ca)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def wait_until_ready(
    ready: Sequence[Path], procs: Sequence[subprocess.Popen[Any]], timeout: float = 300
) -> None:
    """Wait until every child has written its ready file (it is set up and waits for the start
    signal), so that the children can be started together without guessing how long their
    start-up takes; a child that exits before that fails the test at once."""
    until = time.monotonic() + timeout
    while not all(path.exists() for path in ready):
        died = [p.args for p in procs if p.poll() is not None]
        assert not died, f"exited before it was ready: {died}"
        assert time.monotonic() < until, "children not ready in time"
        time.sleep(0.005)
