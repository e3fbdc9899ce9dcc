"""PAdES signatures on our PDFs (ETSI EN 319 142): B-B, and B-T when a TSA is configured.

pyhanko does the PDF work: an incremental save adding a signature field over the whole file
(ByteRange), a CMS signature with the ESS signing-certificate-v2 attribute (PAdES baseline),
and with a TSA an RFC 3161 signature timestamp. Its HTTP time stampers need `requests` or
`aiohttp`; ours goes through evidence.timestamp's client instead, so a PDF is stamped by the
same code (nonce, imprint checks, errors) as checkpoints and bundles.

What the signature proves: that the holder of the signing key signed these exact bytes (any
change after signing breaks it) and, with B-T, that it existed at the TSA's genTime. It does
not prove the content is true: the report's verdict comes from the audit printed inside it.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from ..errors import InputRejected, OperationalError
from ..keys import Signer
from ..timestamp.client import granted_token, post_request

FIELD = "CustodySignature"


def _timestamper(url: str) -> Any:
    from pyhanko.sign.timestamps.api import TimeStamper

    class _Stamper(TimeStamper):
        def __init__(self) -> None:
            super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]

        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            body = post_request(url, req.dump())
            granted_token(url, body)  # refuses a rejection with our message, before pyhanko
            return tsp.TimeStampResp.load(body)

    return _Stamper()


def sign_pdf(
    pdf: bytes, signer: Signer, *, reason: str, location: str = "", tsa: str | None = None
) -> bytes:
    """The PDF with a PAdES signature by signer (B-T with a token from tsa, else B-B)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = asn1_x509.Certificate.load(
        signer.record.certificate.public_bytes(serialization.Encoding.DER)
    )
    key = asn1_keys.PrivateKeyInfo.load(
        signer.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location or None,
            name=signer.record.name,
        ),
        signer=signers.SimpleSigner(
            signing_cert=cert,
            signing_key=key,
            cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
        ),
        timestamper=_timestamper(tsa) if tsa else None,
    )
    out = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        asyncio.run(pdf_signer.async_sign_pdf(writer, output=out))
    except OperationalError:
        raise
    except Exception as exc:  # pyhanko's own errors carry no common base we could name
        raise OperationalError(f"cannot sign the PDF ({exc})") from None
    return out.getvalue()


@dataclass(frozen=True)
class PdfSignature:
    """What a PDF's signature says and whether it holds."""

    signer: str
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature verifies with the certificate inside
    trusted: bool  # the certificate chains to a root given (False when none was)
    covers_whole_file: bool  # nothing was appended after signing
    signing_time: datetime | None
    timestamp: datetime | None  # genTime of the signature timestamp (PAdES B-T), if any

    @property
    def ok(self) -> bool:
        """Intact, valid, and nothing appended."""
        return self.intact and self.valid and self.covers_whole_file


def read_signatures(
    pdf: bytes, trust: list[asn1_x509.Certificate] | None = None, source: str = "PDF"
) -> list[PdfSignature]:
    """Every signature in the PDF, validated with pyhanko (offline)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        raise InputRejected(f"{source}: not a readable PDF ({exc})") from None
    out = []
    for sig in embedded:
        context = ValidationContext(
            trust_roots=trust or [], allow_fetching=False, revocation_mode="soft-fail"
        )
        try:
            status = asyncio.run(
                async_validate_pdf_signature(sig, context, ts_validation_context=context)
            )
        except Exception as exc:
            raise InputRejected(f"{source}: signature cannot be read ({exc})") from None
        coverage = str(getattr(status.coverage, "name", status.coverage))
        ts = status.timestamp_validity
        out.append(
            PdfSignature(
                signer=status.signing_cert.subject.human_friendly,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted) and trust is not None,
                covers_whole_file=coverage == "ENTIRE_FILE",
                signing_time=status.signer_reported_dt,
                timestamp=None if ts is None else ts.timestamp,
            )
        )
    return out
