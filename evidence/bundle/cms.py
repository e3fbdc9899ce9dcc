"""Detached CMS SignedData (RFC 5652) over a manifest: made with `cryptography`, checked by hand.

`cryptography` signs CMS but cannot verify it, so verification parses the structure with
asn1crypto and checks each step of RFC 5652 sections 5.4 and 5.6 itself, with `cryptography`
doing the ECDSA arithmetic. The result is the same as
`openssl cms -verify -binary -inform DER -in X.p7s -content X` minus trust: who the signer is
must be established separately (a trusted certificate or a fingerprint checked out of band).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from ..errors import Finding, VerificationError
from ..keys import Signer, fingerprint, name_text
from ..message import Message

DER = Encoding.DER
MAX_P7S = 1 << 20  # a signature with one certificate is about 1 KiB; more is not ours


def sign_detached(signer: Signer, content: bytes) -> bytes:
    """DER CMS SignedData over content, detached, binary, SHA-256, signer certificate inside."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(signer.record.certificate, signer.private_key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.Binary,
                pkcs7.PKCS7Options.NoCapabilities,
            ],
        )
    )


@dataclass(frozen=True)
class CmsSigner:
    """Who produced a valid signature: the certificate carried in it, and the claimed time."""

    certificate: x509.Certificate
    signing_time: datetime | None
    # Certificates the SignedData carries besides the signer's: none in a bundle we make.
    others: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the signer certificate."""
        return fingerprint(self.certificate)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for --json output."""
        return {
            "fingerprint": self.fingerprint,
            "subject": name_text(self.certificate.subject),
            "signing_time": None if self.signing_time is None else self.signing_time.isoformat(),
        }


def _invalid(message: Message) -> VerificationError:
    return VerificationError(
        "the CMS signature over manifest.json is not valid",
        [Finding("cms.signature", "manifest.json.p7s", message)],
    )


def _attribute(attrs: Any, name: str) -> Any:
    """The single value of a signed attribute, or None; several values are refused (11.1, 11.2)."""
    found = [a for a in attrs if a["type"].native == name]
    if not found:
        return None
    if len(found) > 1 or len(found[0]["values"]) != 1:
        raise _invalid(Message("signed attribute {name} must occur once with one value", name=name))
    return found[0]["values"][0]


def _same_name(a: Any, b: Any) -> bool:
    """Two X.509 names equal: byte for byte, else by RFC 5280 comparison.

    asn1crypto's comparison applies stringprep (Unicode 3.2), which refuses characters assigned
    since, such as the bidi isolates U+2066-U+2069: a signer named with one would make its own
    signature unverifiable.
    """
    if a.dump() == b.dump():
        return True
    try:
        return bool(a == b)
    except ValueError:
        return False


def _signer_certificate(signed_data: Any, sid: Any) -> x509.Certificate:
    """The certificate in the SignedData that the SignerIdentifier names (RFC 5652 5.3)."""
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            matches = cert.serial_number == ias["serial_number"].native and _same_name(
                cert.issuer, ias["issuer"]
            )
        else:
            matches = cert.key_identifier == sid.chosen.native
        if matches:
            loaded = x509.load_der_x509_certificate(cert.dump())
            try:
                # cryptography parses these lazily: a damaged one must fail here, not later.
                name_text(loaded.subject)
                _ = loaded.not_valid_before_utc, loaded.not_valid_after_utc
            except ValueError as exc:
                raise _invalid(
                    Message("the signer certificate in the signature is damaged ({exc})", exc=exc)
                ) from None
            return loaded
    raise _invalid(Message("no certificate in the signature matches its signer identifier"))


def verify_detached(p7s: bytes, content: bytes) -> CmsSigner:
    """Check a detached SignedData over content; returns the signer or raises VerificationError.

    Trust is not decided here: the returned certificate is only the one the signature names.
    """
    if len(p7s) > MAX_P7S:
        raise _invalid(Message("{n} bytes: too large to be a signature", n=len(p7s)))
    try:
        return _verify(p7s, content)
    except VerificationError:
        raise
    except Exception as exc:  # asn1crypto parses lazily: any access may fail on garbage
        raise _invalid(
            Message(
                "not a well-formed DER CMS SignedData ({error}: {exc})",
                error=type(exc).__name__,
                exc=exc,
            )
        ) from None


def _verify(p7s: bytes, content: bytes) -> CmsSigner:
    # 1. ContentInfo must wrap SignedData (RFC 5652 section 3), with nothing after it.
    info = asn1_cms.ContentInfo.load(p7s, strict=True)
    if info["content_type"].native != "signed_data":
        raise _invalid(
            Message("content type is {kind}, not signed data", kind=info["content_type"].native)
        )
    signed_data = info["content"]
    # 2. Detached: eContentType id-data and no eContent (section 5.2).
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data":
        raise _invalid(Message("encapsulated content type is not id-data"))
    if encap["content"].native is not None:
        raise _invalid(Message("signature is not detached: it carries its own content"))
    # 3. Exactly one SignerInfo, digest SHA-256 (section 5.3).
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise _invalid(Message("{n} signers; exactly one is expected", n=len(signer_infos)))
    signer_info = signer_infos[0]
    if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
        raise _invalid(Message("digest algorithm is not SHA-256"))
    # 4. Signed attributes must be present, with content-type id-data (section 11.1).
    attrs = signer_info["signed_attrs"]
    if not attrs:
        raise _invalid(
            Message("no signed attributes: the signature would not bind a content digest")
        )
    content_type = _attribute(attrs, "content_type")
    if content_type is None or content_type.native != "data":
        raise _invalid(Message("signed content-type attribute is missing or not id-data"))
    # 5. The message-digest attribute equals SHA-256 of the content (sections 5.4 and 11.2).
    digest = _attribute(attrs, "message_digest")
    if digest is None:
        raise _invalid(Message("signed message-digest attribute is missing"))
    if digest.native != hashlib.sha256(content).digest():
        raise _invalid(
            Message("{content} does not match the digest that was signed", content="manifest.json")
        )
    # 6. The signer certificate is the one the SignerIdentifier names (section 5.3).
    cert = _signer_certificate(signed_data, signer_info["sid"])
    # 7. ECDSA over the DER encoding of the signed attributes as a SET OF, tag 0x31, not the
    #    [0] IMPLICIT tag they travel under (section 5.4).
    algorithm = signer_info["signature_algorithm"]["algorithm"].native
    if algorithm not in ("sha256_ecdsa", "ecdsa"):
        raise _invalid(
            Message(
                "signature algorithm {algorithm} is not ECDSA with SHA-256", algorithm=algorithm
            )
        )
    signed_bytes = attrs.untag().dump(force=True)
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _invalid(Message("signer certificate does not hold an ECDSA key"))
    try:
        public_key.verify(signer_info["signature"].native, signed_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _invalid(
            Message("the signature does not verify with the signer certificate's key")
        ) from None
    # 8. The signing time, if present, is the signer's claim of when it signed (section 11.3).
    signing_time = _attribute(attrs, "signing_time")
    when = None if signing_time is None else signing_time.native
    if when is not None and not isinstance(when, datetime):
        # asn1crypto gives year 0 as its own extended_datetime, which no comparison accepts.
        raise _invalid(
            Message(
                "signed signing-time attribute {when} is not a real date", when=Message.moment(when)
            )
        )
    others = tuple(
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in signed_data["certificates"] or []
        if choice.name != "certificate" or choice.chosen.dump() != cert.public_bytes(DER)
    )
    return CmsSigner(cert, when, others)
