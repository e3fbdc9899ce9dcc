"""What an attacker with write access to a workspace, but no key and no passphrase, can do.

Everything here uses plain sqlite3 on ledger.db and plain file operations; library functions
are used only to compute bytes the attacker could compute alone (canonical JSON, hashes,
signatures with the attacker's own key).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from evidence.cli.main import cli

from evidence.audit import AuditResult
from evidence.keys import KeyRecord, Signer, fingerprint, key_id_of
from evidence.trust.records import certificate_pem
from tests.helpers import PASSPHRASE

# `custody key new` for the investigator most tests use.
NEW_IVANOV = [
    *("key", "new", "--name", "A. Ivanov", "--org", "IC"),
    *("--country", "BY", "--role", "investigator"),
]


def attacker(ledger_path: Path, *, drop_triggers: bool = True) -> sqlite3.Connection:
    """A raw connection to ledger.db, with the append-only triggers dropped first if asked."""
    conn = sqlite3.connect(ledger_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # an attacker's edits need no durability
    if drop_triggers:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in names:
            conn.execute(f"DROP TRIGGER {name}")
    return conn


def forged_key(
    name: str, *, role: str = "custodian", org: str = "Investigative Committee"
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The attacker's own key, with a certificate naming a real actor (self-signed, valid)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BY"),
            x509.NameAttribute(NameOID.TITLE, role),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def insert_certificate(
    conn: sqlite3.Connection, cert: x509.Certificate, key_id: str, added_at: str
) -> None:
    """INSERT a certificates row, as `key import-cert` would have written it."""
    conn.execute(
        "INSERT INTO certificates (fingerprint, key_id, pem, not_before, not_after, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            fingerprint(cert),
            key_id,
            certificate_pem(cert),
            cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            added_at,
        ),
    )


def signer_for(
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    name: str,
    key_id: str | None = None,
) -> Signer:
    """A Signer object over the attacker's key (it only computes signatures)."""
    record = KeyRecord(
        key_id=key_id or key_id_of(key.public_key()),
        name=name,
        organisation="Investigative Committee",
        country="BY",
        role="custodian",
        created_at="2026-01-01T00:00:00.000000Z",
        fingerprint=fingerprint(cert),
        certificate_pem=certificate_pem(cert),
    )
    return Signer(record, key)


def audit_cli(workspace: Path, *args: str) -> tuple[int, str]:
    """`custody audit` as a user runs it: exit code and output."""
    result = CliRunner().invoke(
        cli,
        ["--workspace", str(workspace), "audit", *args],
        env={"CUSTODY_PASSPHRASE": PASSPHRASE},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout + result.stderr


def expect(result: AuditResult, check: str, fragment: str) -> None:
    """The audit failed with a finding of this check whose message holds fragment."""
    assert not result.ok
    hits = [f for f in result.findings if f.check == check and fragment in f.message]
    assert hits, [str(f) for f in result.findings]


def expect_exit_1(workspace: Path, fragment: str, *args: str) -> None:
    """`custody audit` exits 1 and names the problem."""
    code, out = audit_cli(workspace, *args)
    assert code == 1, out
    assert fragment in out, out
