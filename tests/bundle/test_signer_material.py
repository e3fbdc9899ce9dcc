"""signer.pem holds exactly the certificate inside the CMS; extra certificates are findings."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from evidence.bundle.cms import sign_detached
from evidence.bundle.verify import verify_bundle
from evidence.canonical import canonical_bytes
from evidence.keys import Signer
from evidence.workspace import Workspace
from tests.bundle.bundle_support import Built, tampered
from tests.helpers import PASSPHRASE


def _attacker(tmp_path: Path) -> Signer:
    ws = Workspace.init(tmp_path / "attacker-ws")
    record = ws.keys.create(
        "Н. Петрова", "Prosecutor General's Office", "BY", "prosecutor", PASSPHRASE
    )
    return ws.keys.unlock(record, PASSPHRASE)


def _failed(path: Path, fingerprint: str) -> dict[str, list[str]]:
    result = verify_bundle(path, fingerprints=[fingerprint])
    out: dict[str, list[str]] = {}
    for c in result.checks:
        if c.status == "failed":
            out.setdefault(c.name, []).append(c.message)
    return out


def test_extra_certificate_appended_to_signer_pem(built: Built, tmp_path: Path) -> None:
    attacker = _attacker(tmp_path)

    def append(bag: Path) -> None:
        with open(bag / "signer.pem", "ab") as fh:
            fh.write(attacker.record.certificate_pem.encode())

    found = _failed(tampered(built, tmp_path, append), built.prosecutor.record.fingerprint)
    assert any("exactly one" in m for m in found["signer.certificate"]), found


def test_text_around_the_certificate_in_signer_pem(built: Built, tmp_path: Path) -> None:
    def wrap(bag: Path) -> None:
        pem = (bag / "signer.pem").read_bytes()
        (bag / "signer.pem").write_bytes(b"Bag Attributes: trust me\n" + pem)

    found = _failed(tampered(built, tmp_path, wrap), built.prosecutor.record.fingerprint)
    assert "signer.certificate" in found, found


def test_plain_path_forgery_with_the_genuine_certificate_first(
    built: Built, tmp_path: Path
) -> None:
    # The forgery: manifest rewritten, re-signed with the attacker's key, and signer.pem
    # the real certificate followed by the attacker's (what `openssl x509` prints is the first).
    attacker = _attacker(tmp_path)
    real = built.prosecutor.record.certificate.public_bytes(Encoding.PEM)

    def forge(bag: Path) -> None:
        manifest = json.loads((bag / "manifest.json").read_bytes())
        manifest["case"]["title"] = "rewritten by the attacker"
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(attacker, data))
        (bag / "signer.pem").write_bytes(real + attacker.record.certificate_pem.encode())

    found = _failed(tampered(built, tmp_path, forge), built.prosecutor.record.fingerprint)
    assert "signer.identity" in found, found
    assert any("not the certificate that signed" in m for m in found["signer.certificate"])
