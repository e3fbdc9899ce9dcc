"""A small RFC 3161 time-stamping authority on 127.0.0.1, for the tests and `make demo`.

It has its own CA and a TSA certificate with the critical timestamping EKU, answers
`application/timestamp-query` POSTs with a granted TimeStampResp, and can be told to misbehave
(a wrong nonce or imprint, by URL path) so that the client's checks are tested against a real
server. Certificates and keys are written unencrypted to the folder given: this TSA exists to
be thrown away, never to stand for an authority. Signing is ECDSA P-256 with SHA-256 over
signed attributes (content type, signing time, message digest, ESS signing-certificate-v2),
which is what `openssl ts -verify` and pyhanko expect; asn1crypto supplies the structures.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .client import TimeStampResp

POLICY = "1.3.6.1.4.1.55555.1.1"  # a private-use policy OID: "test TSA, no assurance"
# URL paths that make the TSA answer wrongly, for the client's hostile-response tests.
MODES = {"/tsr": "", "/wrong-nonce": "nonce", "/wrong-imprint": "imprint"}


@dataclass(frozen=True)
class TsaIdentity:
    """The TSA's CA and its own certificate and key."""

    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(
        cls,
        name: str = "Custody test TSA",
        *,
        expired: bool = False,
        eku: bool = True,
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ) -> TsaIdentity:
        """A fresh CA (or the one given) and TSA certificate; `expired`/`eku` make bad ones."""
        now = datetime.now(UTC)
        if ca is None:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
            ca_cert = (
                _builder(
                    ca_name, ca_name, ca_key, now - timedelta(days=1), now + timedelta(days=3650)
                )
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_key_usage(cert_sign=True), critical=True)
                .sign(ca_key, hashes.SHA256())
            )
        else:
            ca_cert, ca_key = ca
        key = ec.generate_private_key(ec.SECP256R1())
        start, end = now - timedelta(days=1), now + timedelta(days=365)
        if expired:
            start, end = now - timedelta(days=30), now - timedelta(days=1)
        builder = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]),
                ca_cert.subject,
                key,
                start,
                end,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
        )
        if eku:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        return cls(ca_cert, ca_key, builder.sign(ca_key, hashes.SHA256()), key)

    def write(self, directory: Path) -> None:
        """tsa-ca.pem (what verifiers trust) and tsa.pem (the TSA certificate)."""
        directory.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        (directory / "tsa-ca.pem").write_bytes(self.ca_cert.public_bytes(pem))
        (directory / "tsa.pem").write_bytes(self.cert.public_bytes(pem))

    def respond(self, request: bytes, mode: str = "") -> bytes:
        """A DER TimeStampResp for a DER TimeStampReq (a rejection when it cannot be read)."""
        try:
            req = tsp.TimeStampReq.load(request)
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = bytes(imprint["hashed_message"].native)
            nonce = req["nonce"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_request")
        if mode == "imprint":
            hashed = bytes(b ^ 0xFF for b in hashed)
        if mode == "nonce" and nonce is not None:
            nonce += 1
        now = datetime.now(UTC).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": POLICY,
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                    "hashed_message": hashed,
                }
            ),
            "serial_number": secrets.randbits(63),
            "gen_time": now,
            "tsa": asn1_x509.GeneralName(
                name="directory_name", value=asn1_x509.Name.load(self.cert.subject.public_bytes())
            ),
        }
        if nonce is not None:
            info["nonce"] = nonce
        token = self._sign(tsp.TSTInfo(info).dump(), now, bool(req["cert_req"].native))
        status = tsp.PKIStatusInfo({"status": "granted"})
        response: bytes = tsp.TimeStampResp({"status": status, "time_stamp_token": token}).dump()
        return response

    def _sign(self, content: bytes, now: datetime, with_cert: bool) -> cms.ContentInfo:
        cert = asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))
        signed_attrs = cms.CMSAttributes(
            [
                _attr("content_type", cms.ContentType("tst_info")),
                _attr("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
                _attr("message_digest", core.OctetString(hashlib.sha256(content).digest())),
                _attr("signing_certificate_v2", _ess_cert_id(cert)),
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {"issuer": cert.issuer, "serial_number": cert.serial_number}
                        )
                    }
                ),
                "digest_algorithm": sha256,
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed = {
            "version": "v3",
            "digest_algorithms": [sha256],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(content),
            },
            "signer_infos": [signer],
        }
        if with_cert:
            signed["certificates"] = [cert]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})


class LocalTsa:
    """The responder served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, identity: TsaIdentity, port: int = 0) -> None:
        self.identity = identity
        handler = type("Handler", (_Handler,), {"identity": identity})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The granted-token URL (…/tsr); …/wrong-nonce and …/wrong-imprint misbehave."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsr"

    def start(self) -> LocalTsa:
        """Start serving; returns self."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    identity: TsaIdentity

    def do_POST(self) -> None:
        mode = MODES.get(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if mode is None or not 0 < length <= 65536:
            self.send_error(404 if mode is None else 400)
            return
        body = self.identity.respond(self.rfile.read(length), mode)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and the demo read their own output, not the access log."""


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    start: datetime,
    end: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _attr(kind: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": [value]})


def _ess_cert_id(cert: asn1_x509.Certificate) -> tsp.SigningCertificateV2:
    issuer = asn1_x509.GeneralNames(
        [asn1_x509.GeneralName(name="directory_name", value=cert.issuer)]
    )
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                    "issuer_serial": {"issuer": issuer, "serial_number": cert.serial_number},
                }
            ]
        }
    )


def _rejection(fail: str) -> bytes:
    status = tsp.PKIStatusInfo({"status": "rejection", "fail_info": tsp.PKIFailureInfo({fail})})
    response: bytes = TimeStampResp({"status": status}).dump()
    return response
