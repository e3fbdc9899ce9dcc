"""Asking a TSA for a token (RFC 3161 section 3.4, HTTP transport) and checking what comes back.

A response is kept only when (RFC 3161 section 2.4.2) its status is granted, the token's
message imprint is the digest we sent, and its nonce is the one we sent: a replayed or
misdirected token fails here, before anything is written.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, tsp

from ..errors import Finding, Malformed, OperationalError, UsageError, VerificationError
from ..message import Message
from ..timefmt import format_utc

TIMEOUT_S = 15.0
# A token is a few kilobytes; a TSA that sends megabytes is not one.
MAX_RESPONSE = 1 << 20
_ALGORITHMS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def tsa_url(url: str | None) -> str | None:
    """The TSA URL given (None: nothing is timestamped), refused unless http:// or https://."""
    if url is not None and not url.startswith(("http://", "https://")):
        raise UsageError(f"TSA URL {url!r} is not http:// or https://", "give the TSA's full URL")
    return url


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 section 2.4.2 TimeStampResp, with timeStampToken OPTIONAL as the RFC has it.

    asn1crypto's tsp.TimeStampResp makes the token mandatory, so a TSA's rejection (status
    only) could not be read, nor written by the local TSA: this one definition fixes that.
    """

    _fields: ClassVar[list[tuple[str, Any, dict[str, bool]] | tuple[str, Any]]] = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class Token:
    """An RFC 3161 TimeStampToken (CMS ContentInfo, DER) and what its TSTInfo states."""

    der: bytes
    gen_time: datetime
    algorithm: str
    imprint: bytes
    nonce: int | None
    serial: int
    policy: str

    @classmethod
    def parse(cls, der: bytes, source: str) -> Token:
        """Read a token; anything that is not a SignedData over a TSTInfo is rejected."""
        try:
            info = cms.ContentInfo.load(der, strict=True)  # no trailing bytes
            if info["content_type"].native != "signed_data":
                raise ValueError("not SignedData")
            encap = info["content"]["encap_content_info"]
            if encap["content_type"].native != "tst_info":
                raise ValueError("does not encapsulate a TSTInfo")
            tst = encap["content"].parsed
            if not isinstance(tst, tsp.TSTInfo):
                raise ValueError("does not encapsulate a TSTInfo")
            imprint = tst["message_imprint"]
            nonce = tst["nonce"].native
            return cls(
                der=bytes(der),
                gen_time=tst["gen_time"].native,
                algorithm=str(imprint["hash_algorithm"]["algorithm"].native),
                imprint=bytes(imprint["hashed_message"].native),
                nonce=None if nonce is None else int(nonce),
                serial=int(tst["serial_number"].native),
                policy=str(tst["policy"].dotted),
            )
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise Malformed(
                Message(
                    "{source}: not an RFC 3161 timestamp token ({why})", source=source, why=str(exc)
                )
            ) from None

    @property
    def gen_time_utc(self) -> str:
        """genTime as RFC 3339 UTC."""
        return format_utc(self.gen_time)

    def covers(self, data: bytes) -> bool:
        """Whether the token's message imprint is the digest of data."""
        hasher = _ALGORITHMS.get(self.algorithm)
        return hasher is not None and secrets.compare_digest(hasher(data).digest(), self.imprint)


def build_request(digest: bytes, algorithm: str, nonce: int) -> bytes:
    """DER TimeStampReq for a digest, asking for the TSA certificate (certReq) and with a nonce."""
    request: bytes = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                    "hashed_message": digest,
                }
            ),
            "nonce": core.Integer(nonce),
            "cert_req": True,
        }
    ).dump()
    return request


def request_token(url: str, data: bytes, algorithm: str = "sha256") -> Token:
    """A token over sha256(data) from the TSA at url, checked against what we asked for.

    Raises OperationalError when the TSA cannot be reached or refuses, VerificationError when
    it answers with a token for something else (wrong imprint or nonce).
    """
    if algorithm not in _ALGORITHMS:
        raise UsageError(f"hash {algorithm!r} is not supported for timestamps")
    digest = _ALGORITHMS[algorithm](data).digest()
    nonce = secrets.randbits(63) | (1 << 62)
    body = post_request(url, build_request(digest, algorithm, nonce))
    token = granted_token(url, body)
    problems = []
    if token.algorithm != algorithm or token.imprint != digest:
        problems.append(
            Finding("timestamp", url, Message("token's message imprint is not what we sent"))
        )
    if token.nonce != nonce:
        problems.append(Finding("timestamp", url, Message("token's nonce is not the one we sent")))
    if problems:
        raise VerificationError(f"TSA {url} answered with a token for another request", problems)
    return token


def post_request(url: str, request: bytes) -> bytes:
    """POST an RFC 3161 request (RFC 3161 section 3.4); the answer's bytes, bounded in size."""
    req = urllib.request.Request(
        url,
        data=request,
        method="POST",
        headers={"Content-Type": "application/timestamp-query"},
    )
    hint = "check --tsa / $CUSTODY_TSA_URL, or pass --tsa-optional to timestamp later"
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as response:
            body: bytes = response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        raise OperationalError(f"TSA {url} refused the request (HTTP {exc.code})", hint) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OperationalError(f"TSA {url} is unreachable ({reason})", hint) from None
    if len(body) > MAX_RESPONSE:
        raise OperationalError(f"TSA {url} sent more than {MAX_RESPONSE} bytes")
    return body


def granted_token(url: str, body: bytes) -> Token:
    """The token of a TimeStampResp that grants one; a refusal or garbage is an error naming
    the TSA."""
    try:
        response: Any = TimeStampResp.load(body)
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
        text = "; ".join(response["status"]["status_string"].native or [])
    except (ValueError, TypeError, KeyError) as exc:
        raise OperationalError(
            f"TSA {url} did not answer with an RFC 3161 response ({exc})"
        ) from None
    # Not token.native: converting a whole token to Python objects costs half a second.
    if status not in ("granted", "granted_with_mods") or isinstance(token, core.Void):
        raise OperationalError(
            f"TSA {url} refused the request ({status}{': ' + text if text else ''})"
        )
    return Token.parse(token.dump(), f"TSA {url}")
