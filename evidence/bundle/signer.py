"""Who signed: the CMS signatures of a bag (manifest.json, and the tag manifest in version 2),
the signer material (signer.pem and the certificates inside the CMS), the issuer the manifest
claims, the certificate's validity dates, and its identity against what the user trusts (a
certificate, an agency CA that issued it, or a fingerprint received out of band).

A valid CMS signature only proves possession of the key in the certificate it carries; anyone
can make a certificate in any name. Identity is established here or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from ..errors import UsageError, VerificationError
from ..keys import fingerprint, name_text, subject_attribute
from ..message import Command, Message
from .bagit import TAG_MANIFESTS, TAG_SIGNATURE
from .checklist import Checklist
from .cms import CmsSigner, verify_detached


@dataclass(frozen=True)
class SignerVerdict:
    """Who signed manifest.json, and whether that identity was established."""

    fingerprint: str
    subject: str
    established: bool
    basis: str
    name: str = ""  # as people write it: "Н. Петрова, prosecutor, Prosecutor General's Office, BY"

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return dict(self.__dict__)


_FINGERPRINT_PREFIX = re.compile(
    r"^\s*(?:(?:sha-?256|sha2-256)\s*)?(?:fingerprint)?\s*[=:]?\s*", re.IGNORECASE
)


def parse_fingerprint(text: str, option: str = "--fingerprint") -> str:
    """A SHA-256 fingerprint as a recipient may type or paste it, as 64 lowercase hex digits.

    Accepted: hex with or without colons, spaces, dashes or line breaks (the two halves of the
    cover sheet), and openssl's `sha256 Fingerprint=AB:CD:...`. Anything else is a UsageError
    (a mistyped value is not a failed verification).
    """
    body = _FINGERPRINT_PREFIX.sub("", text, count=1)
    digits = re.sub(r"[\s:\-]", "", body).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        shown = " ".join(text.split())[:100]
        found = len(re.sub(r"[^0-9a-fA-F]", "", body))
        raise UsageError(
            f"{option} {shown!r} is not a SHA-256 fingerprint ({found} hex digits, 64 needed)",
            "give all 64 hex digits (a short form such as the 16 of a key id is not enough),"
            " e.g. 3f2a...c9 or 3F:2A:...:C9, as the letter, protocol or `custody init` give it",
        )
    return digits


def check_signer(
    signer: CmsSigner,
    trust: Sequence[x509.Certificate],
    fingerprints: Sequence[str],
    checks: Checklist,
    now: datetime | None,
) -> SignerVerdict:
    """Validity dates of the signer certificate, and its identity against what the user trusts."""
    cert, fp = signer.certificate, signer.fingerprint
    now = now or datetime.now(UTC)
    when = signer.signing_time or now
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= when <= end:
        checks.fail(
            "signer.validity",
            fp[:16],
            Message(
                "signed {when:%Y-%m-%d}, outside {start:%Y-%m-%d} to {end:%Y-%m-%d}",
                when=Message.moment(when),
                start=start,
                end=end,
            ),
        )
    elif now > end:
        checks.warn(
            "signer.validity",
            fp[:16],
            Message("valid when signed; expired {end:%Y-%m-%d}", end=end),
        )
    else:
        checks.ok(
            "signer.validity",
            fp[:16],
            Message("valid {start:%Y-%m-%d} to {end:%Y-%m-%d}", start=start, end=end),
        )
    basis = Message("")
    for anchor in trust:
        if fingerprint(anchor) == fp:
            basis = Message("trusted certificate {name}", name=name_text(anchor.subject))
        elif _issued_by(cert, anchor):
            basis = Message("issued by trusted CA {name}", name=name_text(anchor.subject))
    wanted = {parse_fingerprint(f) for f in fingerprints}
    if fp in wanted:
        basis = basis or Message("fingerprint given out of band")
    subject = name_text(cert.subject)
    if basis:
        checks.ok(
            "signer.identity", fp[:16], Message("{subject}: {basis}", subject=subject, basis=basis)
        )
    elif trust or fingerprints:
        checks.fail(
            "signer.identity",
            fp[:16],
            Message("matches none of the trusted certificates or fingerprints given"),
        )
    else:
        checks.warn(
            "signer.identity",
            fp[:16],
            Message(
                "NOT ESTABLISHED: compare this fingerprint with the one the sender gives you by "
                "letter or phone{command}",
                command=Command(", then pass --fingerprint or --trust"),
            ),
        )
    return SignerVerdict(
        fp, subject, bool(basis), basis or Message("not established"), readable_name(cert)
    )


def readable_name(cert: x509.Certificate) -> str:
    """The subject in reading order (name, role, organisation, country), not RFC 4514's
    reversed one; the RFC 4514 text when the certificate names none of them."""
    parts = [
        subject_attribute(cert, oid)
        for oid in (
            NameOID.COMMON_NAME,
            NameOID.TITLE,
            NameOID.ORGANIZATION_NAME,
            NameOID.COUNTRY_NAME,
        )
    ]
    return ", ".join(p for p in parts if p) or name_text(cert.subject)


_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----"
)


def check_material(
    pem: bytes | None,
    signer: CmsSigner,
    trust: Sequence[x509.Certificate],
    checks: Checklist,
) -> None:
    """signer.pem holds exactly the certificate inside the CMS, and neither carries extras.

    openssl's `-CAfile signer.pem` trusts every certificate in the file, and a reader of
    `openssl x509 -in signer.pem` sees only the first: a genuine certificate followed by an
    attacker's would make the plain path print the genuine fingerprint for a forged signature.
    The only extras accepted are the certificates of a --trust CA that issued the signer.
    """
    chain = {fingerprint(a) for a in trust if _issued_by(signer.certificate, a)}
    for extra in signer.others:
        if fingerprint(extra) not in chain:
            checks.fail(
                "signer.certificate",
                "manifest.json.p7s",
                Message(
                    "the signature carries another certificate besides the signer's: {subject} "
                    "({extra})",
                    subject=name_text(extra.subject),
                    extra=fingerprint(extra)[:16],
                ),
            )
    if pem is None:
        checks.fail("signer.certificate", "signer.pem", Message("missing"))
        return
    blocks = _PEM_BLOCK.findall(pem)
    if _PEM_BLOCK.sub(b"", pem).strip() or not blocks:
        checks.fail(
            "signer.certificate", "signer.pem", Message("holds something else than certificates")
        )
        return
    try:
        certs = [x509.load_pem_x509_certificate(b) for b in blocks]
    except ValueError:
        checks.fail("signer.certificate", "signer.pem", Message("holds a damaged certificate"))
        return
    if fingerprint(certs[0]) != signer.fingerprint:
        checks.fail(
            "signer.certificate",
            "signer.pem",
            Message("is not the certificate that signed manifest.json"),
        )
    for extra in certs[1:]:
        if fingerprint(extra) not in chain:
            checks.fail(
                "signer.certificate",
                "signer.pem",
                Message(
                    "holds {n} certificates; exactly one (the signer's) is expected", n=len(certs)
                ),
            )
            break
    checks.ok(
        "signer.certificate", "signer.pem", Message("is the certificate in the signature, alone")
    )


def _issued_by(cert: x509.Certificate, anchor: x509.Certificate) -> bool:
    """True if anchor is a CA certificate and signed cert directly (one level of agency CA)."""
    try:
        constraints = anchor.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            return False
        cert.verify_directly_issued_by(anchor)
    except (x509.ExtensionNotFound, ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_signature(
    tags: dict[str, bytes],
    data: bytes | None,
    trust: Sequence[x509.Certificate],
    checks: Checklist,
) -> CmsSigner | None:
    """RFC 5652 verification of manifest.json.p7s, and signer.pem against the CMS certificate."""
    p7s = tags.get("manifest.json.p7s")
    if p7s is None or data is None:
        checks.fail(
            "cms.signature", "manifest.json.p7s", Message("signature or manifest.json missing")
        )
        return None
    try:
        signer = verify_detached(p7s, data)
    except VerificationError as exc:
        checks.extend(exc.findings)
        return None
    checks.ok(
        "cms.signature", "manifest.json", Message("valid CMS signature (RFC 5652), SHA-256, ECDSA")
    )
    check_material(tags.get("signer.pem"), signer, trust, checks)
    return signer


def check_tag_signature(
    tags: dict[str, bytes], signer: CmsSigner | None, version: str, checks: Checklist
) -> None:
    """Manifest v2: the tag manifest (listing cover.pdf, VERIFY.txt, bag-info.txt and the
    payload manifests) is signed by the certificate that signed manifest.json."""
    p7s, listing = tags.get(TAG_SIGNATURE), tags.get(TAG_MANIFESTS[0])
    if p7s is None and version == "evidence-manifest/1":
        checks.warn(
            "cms.tags",
            TAG_SIGNATURE,
            Message(
                "evidence-manifest/1 bundle: cover.pdf, VERIFY.txt and bag-info.txt are not signed"
            ),
        )
        return
    if p7s is None or listing is None:
        checks.fail(
            "cms.tags",
            TAG_SIGNATURE,
            Message(
                "missing: {version} signs {tag_manifests}",
                version=version,
                tag_manifests=TAG_MANIFESTS[0],
            ),
        )
        return
    try:
        tag_signer = verify_detached(p7s, listing)
    except VerificationError as exc:
        for f in exc.findings:
            # The same checks as manifest.json's signature, over the tag manifest.
            checks.fail("cms.tags", TAG_SIGNATURE, f.message.with_values(content=TAG_MANIFESTS[0]))
        return
    if signer is None or tag_signer.fingerprint != signer.fingerprint or tag_signer.others:
        checks.fail(
            "cms.tags",
            TAG_SIGNATURE,
            Message("is not signed by the certificate that signed manifest.json"),
        )
        return
    checks.ok(
        "cms.tags",
        TAG_SIGNATURE,
        Message("every tag file is signed ({tag_manifests})", tag_manifests=TAG_MANIFESTS[0]),
    )


def check_issuer(
    manifest: dict[str, Any],
    signer: CmsSigner | None,
    info: dict[str, list[str]],
    checks: Checklist,
) -> None:
    """The issuer the manifest names is the signer, by fingerprint and subject, and the bag's
    External-Identifier is the manifest's request reference."""
    issuer = manifest["issuer"]
    if signer is not None and issuer["fingerprint"] != signer.fingerprint:
        checks.fail(
            "manifest.issuer",
            "issuer",
            Message("names another certificate than the one that signed"),
        )
    elif signer is not None:
        # The name, organisation and country the manifest claims must be the certificate's.
        claimed = {
            "name": (issuer.get("name"), NameOID.COMMON_NAME),
            "organisation": (issuer.get("organisation"), NameOID.ORGANIZATION_NAME),
            "country": (issuer.get("country"), NameOID.COUNTRY_NAME),
        }
        subject = signer.certificate.subject
        wrong = [
            field
            for field, (value, oid) in claimed.items()
            if [a.value for a in subject.get_attributes_for_oid(oid)] != [value]
        ]
        if wrong:
            checks.fail(
                "manifest.issuer",
                "issuer",
                Message(
                    "{wrong} differ from the signer certificate's subject",
                    wrong=Message.joined(", ", [Message.word(w) for w in wrong]),
                ),
            )
        else:
            checks.ok("manifest.issuer", "issuer", Message("{name} signed it", name=issuer["name"]))
    reference = manifest["request"]["reference"]
    if info and info.get("External-Identifier") != [reference]:
        checks.fail(
            "bag.info",
            Message("External-Identifier"),
            Message("differs from the request {reference!r}", reference=reference),
        )
