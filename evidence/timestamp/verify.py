"""Checking a stored RFC 3161 token: what it covers, who signed it, and whether to trust it.

Every problem is a Finding (never the first only): the imprint is not the digest of the data,
the TSA's signature does not verify, the TSA certificate has no path to the trusted roots,
lacks the critical timestamping EKU (RFC 3161 section 2.3), or was not valid at genTime; and,
when a claimed time is given, genTime before it (the signer's clock was ahead) or too long
after it. pyhanko's `validate_tst_signed_data` does the CMS and path work; the EKU and validity
checks are repeated here with `cryptography` so that each failure gets its own plain message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..errors import Finding, InputRejected, Malformed
from ..message import Message
from ..timefmt import format_utc
from .client import Token

# How far the signer's clock may run ahead of the TSA's before genTime < claimed is a finding.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenCheck:
    """The outcome: genTime and TSA when the token could be read, and every finding."""

    subject: str
    gen_time: str | None = None
    tsa: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No finding."""
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "subject": self.subject,
            "gen_time": self.gen_time,
            "tsa": self.tsa,
            "ok": self.ok,
            "findings": [f.to_json() for f in self.findings],
        }


def load_trust(path: Path) -> list[asn1_x509.Certificate]:
    """The trusted TSA root(s): every certificate in a PEM (or one DER) file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputRejected(f"{path}: cannot read ({exc.strerror})") from None
    try:
        if asn1_pem.detect(raw):
            certs = [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(raw, True)]
        else:
            certs = [asn1_x509.Certificate.load(raw)]
        for cert in certs:
            _ = cert.subject.human_friendly  # force a parse now, not mid-validation
    except (ValueError, TypeError, KeyError) as exc:
        raise InputRejected(f"{path}: not a PEM or DER certificate ({exc})") from None
    if not certs:
        raise InputRejected(f"{path}: holds no certificate")
    return certs


def verify_token(
    der: bytes,
    data: bytes,
    trust: list[asn1_x509.Certificate] | None,
    subject: str,
    claimed: datetime | None = None,
    max_gap: timedelta | None = None,
) -> TokenCheck:
    """Check a token over data against the trusted roots; return genTime and every finding.

    With trust None the TSA certificate's path is not judged (nothing to judge it against);
    everything else is.
    """
    try:
        token = Token.parse(der, subject)
    except Malformed as exc:
        return TokenCheck(subject, findings=[Finding("timestamp", subject, exc.message)])
    findings: list[Finding] = []

    def add(message: Message) -> None:
        findings.append(Finding("timestamp", subject, message))

    if not token.covers(data):
        add(Message("token's message imprint is not the digest of what it should time-stamp"))
    status, tsa_cert = _pyhanko_status(token, trust or [])
    if status is None:
        add(Message("token's signature cannot be checked (malformed SignedData)"))
    elif not (status.get("intact") and status.get("valid")):
        add(Message("TSA signature does not verify"))
    if tsa_cert is not None:
        before = len(findings)
        _check_tsa_certificate(tsa_cert, token.gen_time, trust, add)
        problem = None if status is None or trust is None else status.get("trust_problem_indic")
        if problem is not None and len(findings) == before:
            add(Message("TSA certificate not trusted ({reason})", reason=_words(problem)))
    if claimed is not None:
        if token.gen_time < claimed - CLOCK_SKEW:
            add(
                Message(
                    "genTime {gen_time} is before the claimed time {claimed}",
                    gen_time=Message.moment(token.gen_time_utc),
                    claimed=Message.moment(format_utc(claimed)),
                )
            )
        elif max_gap is not None and token.gen_time - claimed > max_gap:
            add(
                Message(
                    "genTime {gen_time} is {gap} after the claimed time {claimed}",
                    gen_time=Message.moment(token.gen_time_utc),
                    gap=token.gen_time - claimed,
                    claimed=Message.moment(format_utc(claimed)),
                )
            )
    tsa = tsa_cert.subject.rfc4514_string() if tsa_cert is not None else None
    return TokenCheck(subject, token.gen_time_utc, tsa, findings)


def _pyhanko_status(
    token: Token, trust: list[asn1_x509.Certificate]
) -> tuple[dict[str, Any] | None, x509.Certificate | None]:
    """pyhanko's verdict on the SignedData (signature, path, EKU) at genTime, and the TSA cert."""
    from pyhanko.sign.validation.generic_cms import (
        extract_certs_for_validation,
        validate_tst_signed_data,
    )
    from pyhanko_certvalidator import ValidationContext

    try:
        signed = cms.ContentInfo.load(token.der)["content"]
        tsa = extract_certs_for_validation(signed).signer_cert
        tsa_cert = x509.load_der_x509_certificate(tsa.dump())
    except Exception:  # pyhanko raises several kinds on a malformed SignedData
        return None, None
    # Validity and path are judged at genTime, without fetching anything (offline, hostile).
    context = ValidationContext(
        trust_roots=trust, moment=token.gen_time, allow_fetching=False, revocation_mode="soft-fail"
    )

    def imprint(algorithm: str) -> bytes:
        # The imprint is checked by the caller with its own message; here only the signature.
        return token.imprint

    try:
        status = asyncio.run(validate_tst_signed_data(signed, context, imprint))
    except Exception:
        return None, tsa_cert
    return dict(status), tsa_cert


def _check_tsa_certificate(
    cert: x509.Certificate,
    gen_time: datetime,
    trust: list[asn1_x509.Certificate] | None,
    add: Callable[[Message], None],
) -> None:
    """The common reasons pyhanko rejects a path, each said plainly."""
    roots = {c.subject.dump() for c in trust or []}
    if (
        trust is not None
        and cert.issuer.public_bytes() not in roots
        and cert.subject.public_bytes() not in roots
    ):
        add(
            Message(
                "TSA certificate ({subject}) is not issued by a trusted root",
                subject=cert.subject.rfc4514_string(),
            )
        )
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        add(
            Message(
                "TSA certificate was not valid at genTime {gen_time} (valid {start} to {end})",
                gen_time=Message.moment(format_utc(gen_time)),
                start=Message.moment(format_utc(cert.not_valid_before_utc)),
                end=Message.moment(format_utc(cert.not_valid_after_utc)),
            )
        )
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        add(Message("TSA certificate has no extended key usage (timestamping is required)"))
        return
    if list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING] or not eku.critical:
        add(
            Message(
                "TSA certificate's extended key usage is not the critical timestamping EKU alone"
            )
        )


def _words(indication: Any) -> str:
    return str(getattr(indication, "name", indication)).lower().replace("_", " ")
