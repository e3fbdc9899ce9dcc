"""RFC 3161 trusted time: asking a time-stamping authority (TSA) for tokens and checking them.

`client` builds the request (with a nonce), talks HTTP to the TSA and checks the response's
status, nonce and message imprint before a token is kept. `verify` checks a stored token:
imprint, the TSA's signature, its certificate's path to a trusted root, the critical
timestamping EKU and the certificate's validity at genTime. `cades` puts a token into a CMS
signature as its unsigned `signatureTimeStampToken` attribute (RFC 3161 appendix A, CAdES-T)
and takes it out again. `localtsa` is a small responder for tests and the demo.

The ASN.1 structures are asn1crypto's (`tsp`, `cms`), except TimeStampResp, redefined in
`client` with the token optional as RFC 3161 has it (asn1crypto's cannot hold a rejection);
signature and path validation is pyhanko's (`validate_tst_signed_data` over
pyhanko-certvalidator), the same stack that signs and validates our PDFs, so nothing here
parses or validates X.509 by hand.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Token, request_token, tsa_url
    from .verify import TokenCheck, load_trust, verify_token

# Names are handed on when first asked for (PEP 562): the audit reads the stored tokens' rows
# (timestamp.checkpoints) on every run, and must not load the HTTP client (urllib, ssl), CMS
# and pyhanko's asyncio validator unless a token is there to check (a tenth of a second).
_WHERE = {
    "Token": "client",
    "TokenCheck": "verify",
    "load_trust": "verify",
    "request_token": "client",
    "tsa_url": "client",
    "verify_token": "verify",
}

__all__ = [
    "Token",
    "TokenCheck",
    "load_trust",
    "request_token",
    "tsa_url",
    "verify_token",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
