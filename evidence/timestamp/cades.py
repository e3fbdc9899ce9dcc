"""CAdES-T: a token over a CMS signature, carried as its unsigned signatureTimeStampToken.

RFC 3161 appendix A: the token's message imprint is the hash of the SignerInfo's `signature`
value, and the token travels as the unsigned attribute id-aa-signatureTimeStampToken
(1.2.840.113549.1.9.16.2.14). Being unsigned, adding it does not disturb the signature, and a
recipient without a TSA trust anchor still verifies the CMS as before. The bundle code calls
`add_signature_timestamp` after signing and `check_signature_timestamp` when verifying.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from ..errors import Finding, Malformed
from ..message import Message
from ..messages import Words
from .client import Token, request_token
from .verify import TokenCheck, verify_token

ATTRIBUTE = "signature_time_stamp_token"
# A manifest signed more than this long before its token is a finding (it could be backdated).
MAX_GAP = timedelta(hours=1)


def _signer_info(p7s: bytes, source: str) -> tuple[cms.ContentInfo, Any]:
    try:
        info = cms.ContentInfo.load(p7s)
        signers = info["content"]["signer_infos"]
        if info["content_type"].native != "signed_data" or len(signers) != 1:
            raise ValueError("not SignedData with one signer")
        return info, signers[0]
    except (ValueError, TypeError, KeyError) as exc:
        raise Malformed(
            Message("{source}: not a CMS signature ({why})", source=source, why=str(exc))
        ) from None


def add_signature_timestamp(p7s: bytes, url: str, source: str = "signature") -> bytes:
    """The same CMS with a token from the TSA at url over its signature value."""
    info, signer = _signer_info(p7s, source)
    token = request_token(url, bytes(signer["signature"].native))
    attribute = cms.CMSAttribute({"type": ATTRIBUTE, "values": [cms.ContentInfo.load(token.der)]})
    existing = [a for a in signer["unsigned_attrs"]] if signer["unsigned_attrs"].native else []
    signer["unsigned_attrs"] = cms.CMSAttributes([*existing, attribute])
    out: bytes = info.dump(force=False)
    return out


def signature_token(p7s: bytes, source: str = "signature") -> tuple[bytes | None, bytes]:
    """The signatureTimeStampToken (DER) if there is one, and the signature value it covers."""
    _, signer = _signer_info(p7s, source)
    value = bytes(signer["signature"].native)
    # Walked as parsed, never through .native: that decodes the whole token with its
    # certificates into Python values (0.4-0.6 CPU-s for a 1.9 KB signature) only to ask
    # whether there is any attribute. An absent field is asn1crypto's Void: empty.
    for attr in signer["unsigned_attrs"]:
        if attr["type"].native == ATTRIBUTE:
            values = attr["values"]
            if len(values) != 1:
                raise Malformed(
                    Message(
                        "{source}: signatureTimeStampToken has {n} values",
                        source=source,
                        n=len(values),
                    )
                )
            return values[0].dump(), value
    return None, value


def check_signature_timestamp(
    p7s: bytes,
    trust: list[asn1_x509.Certificate],
    claimed: datetime | None,
    source: str = "manifest.json.p7s",
) -> TokenCheck:
    """Verify the signature's token (a missing token is a finding when trust is asked for)."""
    try:
        der, value = signature_token(p7s, source)
    except Malformed as exc:
        return TokenCheck(source, findings=[Finding("timestamp", source, exc.message)])
    if der is None:
        return TokenCheck(
            source,
            findings=[Finding("timestamp", source, Message("signature carries no timestamp"))],
        )
    return verify_token(der, value, trust, source, claimed, MAX_GAP)


def verify_steps(p7s: bytes) -> str:
    """The VERIFY.txt section that checks the signature's token with openssl alone, in English
    then in Russian (the message catalogue), with the same commands.

    The token and the signature value sit at fixed offsets of manifest.json.p7s, known when
    the bundle is made; `tail -c` and `head -c` cut them out exactly, so the recipient needs
    no ASN.1 tool beyond `openssl ts -verify`. Empty when the signature has no token.
    """
    token, value = signature_token(p7s)
    if token is None:
        return ""
    # Each element's bytes occur once: both are DER with their own random content.
    t_at, v_at = p7s.find(token), p7s.find(value)
    commands = "".join(
        f"    {command}\n"
        for command in (
            f"tail -c +{v_at + 1} manifest.json.p7s | head -c {len(value)} > signature.bin",
            f"tail -c +{t_at + 1} manifest.json.p7s | head -c {len(token)} > token.tst",
            "openssl ts -verify -token_in -in token.tst -data signature.bin -CAfile tsa-ca.pem",
            'openssl ts -reply -token_in -in token.tst -token_out -text | grep "Time stamp"',
        )
    )
    return "".join("\n" + _steps(Words(lang), commands) for lang in ("en", "ru"))


def _steps(words: Words, commands: str) -> str:
    title = words.t("TRUSTED TIME OF THE SIGNATURE (RFC 3161)")
    return "".join(
        (
            f"{title}\n{'=' * len(title)}\n\n",
            words.t(
                "manifest.json.p7s carries a time-stamp token over its signature (CAdES-T). With"
                " the\ncertificate of the time-stamping authority's CA (tsa-ca.pem, obtained out"
                " of band), check it:\n"
            ),
            "\n",
            commands,
            "\n",
            words.t(
                '"Verification: OK" proves the signature existed at the printed time ("Time'
                " stamp\"), by the\nclock of that authority, whatever the signer's own clock"
                " said. `custody verify --tsa-trust\ntsa-ca.pem` makes the same check and"
                " compares that time with the manifest's created_at.\n"
            ),
        )
    )


__all__ = [
    "Token",
    "add_signature_timestamp",
    "check_signature_timestamp",
    "signature_token",
    "verify_steps",
]
