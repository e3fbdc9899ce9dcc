"""RFC 3161 tokens against a real local TSA, cross-checked with `openssl ts -verify`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evidence.errors import OperationalError, UsageError, VerificationError
from evidence.timestamp import Token, load_trust, request_token, tsa_url, verify_token
from evidence.timestamp.client import MAX_RESPONSE
from evidence.timestamp.localtsa import LocalTsa, TsaIdentity, _rejection
from tests.conftest import TsaFixture
from tests.helpers import openssl_ts_verify

DATA = b"checkpoint signature bytes"


def messages(check: object) -> list[str]:
    return [f.message for f in check.findings]  # type: ignore[attr-defined]


def test_good_token_verifies_here_and_with_openssl(local_tsa: TsaFixture, tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    token = request_token(local_tsa.url, DATA)
    assert before - timedelta(seconds=1) <= token.gen_time <= datetime.now(UTC)
    check = verify_token(token.der, DATA, load_trust(local_tsa.ca), "cp")
    assert check.ok, check.findings
    assert check.tsa == "CN=Custody test TSA"
    result = openssl_ts_verify(token.der, DATA, local_tsa.ca, tmp_path)
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr


def test_token_over_other_data_is_a_finding(local_tsa: TsaFixture, tmp_path: Path) -> None:
    token = request_token(local_tsa.url, DATA)
    check = verify_token(token.der, DATA + b"!", load_trust(local_tsa.ca), "cp")
    assert messages(check) == [
        "token's message imprint is not the digest of what it should time-stamp"
    ]
    assert openssl_ts_verify(token.der, DATA + b"!", local_tsa.ca, tmp_path).returncode != 0


def test_one_flipped_byte_in_the_token_is_a_finding(local_tsa: TsaFixture, tmp_path: Path) -> None:
    token = bytearray(request_token(local_tsa.url, DATA).der)
    token[-10] ^= 0x01  # inside the ECDSA signature value
    check = verify_token(bytes(token), DATA, load_trust(local_tsa.ca), "cp")
    assert "TSA signature does not verify" in messages(check)
    assert openssl_ts_verify(bytes(token), DATA, local_tsa.ca, tmp_path).returncode != 0


def test_garbage_token_is_a_finding_not_a_crash(local_tsa: TsaFixture) -> None:
    good = request_token(local_tsa.url, DATA).der
    junks = (b"", b"\x30\x03\x02\x01\x01", b"\x00" * 40, b"not der at all", good + b"\x00")
    for junk in junks:
        check = verify_token(junk, DATA, load_trust(local_tsa.ca), "cp")
        assert not check.ok
        assert "not an RFC 3161 timestamp token" in messages(check)[0]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("wrong-nonce", "token's nonce is not the one we sent"),
        ("wrong-imprint", "token's message imprint is not what we sent"),
    ],
)
def test_a_tsa_answering_another_request_is_refused(
    local_tsa: TsaFixture, path: str, message: str
) -> None:
    with pytest.raises(VerificationError) as caught:
        request_token(local_tsa.url.replace("/tsr", f"/{path}"), DATA)
    assert [f.message for f in caught.value.findings] == [message]


def test_unreachable_or_wrong_tsa_is_an_operational_error(local_tsa: TsaFixture) -> None:
    with pytest.raises(OperationalError, match=r"TSA http://127\.0\.0\.1:9/tsr is unreachable"):
        request_token("http://127.0.0.1:9/tsr", DATA)
    with pytest.raises(OperationalError, match=r"refused the request \(HTTP 404\)"):
        request_token(local_tsa.url.replace("/tsr", "/nothing"), DATA)
    with pytest.raises(UsageError, match="not http"):
        tsa_url("ftp://tsa.example/")


def _serve(identity: TsaIdentity) -> Iterator[LocalTsa]:
    server = LocalTsa(identity).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("expired", "TSA certificate was not valid at genTime"),
        ("no-eku", "TSA certificate has no extended key usage (timestamping is required)"),
        ("other-tsa", "is not issued by a trusted root"),
    ],
)
def test_hostile_tsa_certificates_are_findings(kind: str, expected: str, tmp_path: Path) -> None:
    trusted = TsaIdentity.create("Trusted")
    trusted.write(tmp_path)
    ca = (trusted.ca_cert, trusted.ca_key)
    identity = {
        "expired": lambda: TsaIdentity.create("Old", expired=True, ca=ca),
        "no-eku": lambda: TsaIdentity.create("Plain", eku=False, ca=ca),
        "other-tsa": lambda: TsaIdentity.create("Stranger"),
    }[kind]()
    for server in _serve(identity):
        token = request_token(server.url, DATA)
    check = verify_token(token.der, DATA, load_trust(tmp_path / "tsa-ca.pem"), "cp")
    assert len(check.findings) == 1 and expected in check.findings[0].message, check.findings
    assert openssl_ts_verify(token.der, DATA, tmp_path / "tsa-ca.pem", tmp_path).returncode != 0


def test_claimed_time_against_gen_time(local_tsa: TsaFixture) -> None:
    token = request_token(local_tsa.url, DATA)
    trust = load_trust(local_tsa.ca)
    now = datetime.now(UTC)
    assert verify_token(token.der, DATA, trust, "cp", now, timedelta(hours=1)).ok
    ahead = verify_token(token.der, DATA, trust, "cp", now + timedelta(hours=2))
    assert "is before the claimed time" in messages(ahead)[0]
    late = verify_token(token.der, DATA, trust, "cp", now - timedelta(days=3), timedelta(hours=1))
    assert "after the claimed time" in messages(late)[0]


def test_token_parse_reads_what_the_tsa_stated(local_tsa: TsaFixture) -> None:
    token = request_token(local_tsa.url, DATA)
    again = Token.parse(token.der, "stored")
    assert again == token and again.covers(DATA) and not again.covers(b"x")
    assert again.policy == "1.3.6.1.4.1.55555.1.1"


def test_trust_file_that_is_not_a_certificate(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(OperationalError, match=r"ca\.pem: not a PEM or DER certificate"):
        load_trust(tmp_path / "ca.pem")
    with pytest.raises(OperationalError, match=r"missing\.pem: cannot read"):
        load_trust(tmp_path / "missing.pem")


class _Junk(BaseHTTPRequestHandler):
    """A server that answers every request with whatever `body` is."""

    body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>proxy login</html>", "did not answer with an RFC 3161 response"),
        (_rejection("bad_alg"), "refused the request (rejection)"),
        (b"\x30" * (MAX_RESPONSE + 10), "sent more than"),
    ],
)
def test_a_server_that_is_no_tsa(body: bytes, message: str) -> None:
    handler = type("Handler", (_Junk,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(OperationalError, match=re.escape(message)):
            request_token(f"http://127.0.0.1:{server.server_address[1]}/tsr", DATA)
    finally:
        server.shutdown()
        server.server_close()
