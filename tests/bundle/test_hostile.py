"""Tampered and hostile bundles: each is refused with a finding that names the problem."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence.bundle.cms import sign_detached
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.canonical import canonical_bytes
from evidence.keys import Signer
from evidence.workspace import Workspace
from tests.bundle.bundle_support import Built, tampered
from tests.helpers import PASSPHRASE


@pytest.fixture
def intruder(tmp_path: Path) -> Signer:
    """A key from another workspace, with the same name as the real prosecutor."""
    ws = Workspace.init(tmp_path / "intruder-ws")
    record = ws.keys.create(
        "Н. Петрова", "Prosecutor General's Office", "BY", "prosecutor", PASSPHRASE
    )
    signer = ws.keys.unlock(record, PASSPHRASE)
    ws.close()
    return signer


def failed(result: VerifyResult) -> dict[str, list[str]]:
    """Failed checks by name -> messages (with subjects)."""
    out: dict[str, list[str]] = {}
    for c in result.checks:
        if c.status == "failed":
            out.setdefault(c.name, []).append(f"{c.subject}: {c.message}")
    return out


def check(
    built: Built, tmp: Path, edit: Callable[[Path], None], *, refresh: bool = True
) -> dict[str, list[str]]:
    """Verify a tampered copy with the real fingerprint; it must fail. Returns the failures."""
    archive = tampered(built, tmp, edit, refresh=refresh)
    result = verify_bundle(archive, fingerprints=[built.prosecutor.record.fingerprint])
    assert result.status == "failed"
    return failed(result)


def edit_manifest(change: Callable[[dict], None]) -> Callable[[Path], None]:  # type: ignore[type-arg]
    def edit(bag: Path) -> None:
        manifest = json.loads((bag / "manifest.json").read_bytes())
        change(manifest)
        (bag / "manifest.json").write_bytes(canonical_bytes(manifest))

    return edit


def test_untouched_bundle_passes(built: Built, tmp_path: Path) -> None:
    archive = tampered(built, tmp_path, lambda bag: None, refresh=False)
    result = verify_bundle(archive, fingerprints=[built.prosecutor.record.fingerprint])
    assert result.status == "verified", failed(result)


def test_manifest_not_json(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, lambda bag: (bag / "manifest.json").write_bytes(b"{not json"))
    assert any("not JSON" in m for m in found["manifest.json"])
    assert "cms.signature" in found


def test_manifest_not_canonical(built: Built, tmp_path: Path) -> None:
    def reindent(bag: Path) -> None:
        value = json.loads((bag / "manifest.json").read_bytes())
        (bag / "manifest.json").write_text(json.dumps(value, indent=2, ensure_ascii=False))

    found = check(built, tmp_path, reindent)
    assert any("not canonical" in m for m in found["manifest.json"])


def test_manifest_not_canonical_even_when_resigned(
    built: Built, tmp_path: Path, intruder: Signer
) -> None:
    def reindent_and_sign(bag: Path) -> None:
        value = json.loads((bag / "manifest.json").read_bytes())
        data = json.dumps(value, indent=1).encode()
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(intruder, data))
        (bag / "signer.pem").write_text(intruder.record.certificate_pem)

    found = check(built, tmp_path, reindent_and_sign)
    assert "cms.signature" not in found  # the intruder's signature itself is valid...
    assert any("not canonical" in m for m in found["manifest.json"])
    assert "signer.identity" in found  # ...but by the wrong key


def test_unknown_schema_version(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, edit_manifest(lambda m: m.update(schema="evidence-manifest/9")))
    assert any(
        "unknown schema version 'evidence-manifest/9'" in m for m in found["manifest.schema"]
    )


def test_schema_violation_is_named(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, edit_manifest(lambda m: m["request"].update(kind="rogatory")))
    assert any("request" in m for m in found["manifest.schema"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda p7s: b"garbage", "not a well-formed DER CMS SignedData"),
        (lambda p7s: p7s[: len(p7s) // 2], "not a well-formed DER CMS SignedData"),
        (lambda p7s: b"", "not a well-formed DER CMS SignedData"),
        (lambda p7s: p7s + b"\x00", "not a well-formed DER CMS SignedData"),
    ],
    ids=["garbage", "truncated", "empty", "trailing-byte"],
)
def test_p7s_damaged(
    built: Built, tmp_path: Path, content: Callable[[bytes], bytes], expected: str
) -> None:
    def damage(bag: Path) -> None:
        p7s = bag / "manifest.json.p7s"
        p7s.write_bytes(content(p7s.read_bytes()))

    found = check(built, tmp_path, damage)
    assert any(expected in m for m in found["cms.signature"])


def test_p7s_over_other_content(built: Built, tmp_path: Path) -> None:
    other = sign_detached(built.prosecutor, b'{"schema":"something else"}')
    found = check(built, tmp_path, lambda bag: (bag / "manifest.json.p7s").write_bytes(other))
    assert any("does not match the digest that was signed" in m for m in found["cms.signature"])


def test_p7s_signed_by_another_key(built: Built, tmp_path: Path, intruder: Signer) -> None:
    def resign(bag: Path) -> None:
        data = (bag / "manifest.json").read_bytes()
        (bag / "manifest.json.p7s").write_bytes(sign_detached(intruder, data))
        (bag / "signer.pem").write_text(intruder.record.certificate_pem)

    found = check(built, tmp_path, resign)
    assert any("names another certificate" in m for m in found["manifest.issuer"])
    assert any("matches none" in m for m in found["signer.identity"])


def test_certificate_swapped_in_signer_pem(built: Built, tmp_path: Path, intruder: Signer) -> None:
    found = check(
        built,
        tmp_path,
        lambda bag: (bag / "signer.pem").write_text(intruder.record.certificate_pem),
    )
    assert any("not the certificate that signed" in m for m in found["signer.certificate"])


def test_signer_pem_garbage(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, lambda bag: (bag / "signer.pem").write_bytes(b"\x00junk"))
    assert any("something else than certificates" in m for m in found["signer.certificate"])


def test_extra_payload_file_with_bag_manifests_updated(built: Built, tmp_path: Path) -> None:
    def plant(bag: Path) -> None:
        (bag / "data" / "planted").mkdir()
        (bag / "data" / "planted" / "evidence.jpg").write_bytes(b"fake")

    found = check(built, tmp_path, plant)
    assert found["item.coverage"] == [
        "data/planted/evidence.jpg: payload file not described in the signed manifest"
    ]


def test_extra_payload_file_without_bag_update(built: Built, tmp_path: Path) -> None:
    found = check(
        built, tmp_path, lambda bag: (bag / "data" / "x.bin").write_bytes(b"x"), refresh=False
    )
    assert any("not listed in manifest-sha256.txt" in m for m in found["bag.complete"])
    assert "item.coverage" in found
    assert "bag.info" in found  # Payload-Oxum no longer matches


def test_extra_tag_file(built: Built, tmp_path: Path) -> None:
    found = check(
        built, tmp_path, lambda bag: (bag / "README.exe").write_bytes(b"MZ"), refresh=False
    )
    assert any("README.exe" in m and "tagmanifest" in m for m in found["bag.complete"])


def _first_payload(bag: Path) -> Path:
    return sorted(p for p in (bag / "data").rglob("*") if p.is_file() and p.stat().st_size)[0]


def test_missing_payload_file(built: Built, tmp_path: Path) -> None:
    removed: list[str] = []

    def remove(bag: Path) -> None:
        victim = _first_payload(bag)
        removed.append(victim.relative_to(bag).as_posix())
        victim.unlink()

    found = check(built, tmp_path, remove)
    assert any(f"{removed[0]} is missing" in m for m in found["item.files"])


def test_payload_changed_by_one_byte(built: Built, tmp_path: Path) -> None:
    def flip(bag: Path) -> None:
        victim = _first_payload(bag)
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(data))

    found = check(built, tmp_path, flip, refresh=False)
    assert any("sha256" in m for m in found["bag.fixity"])
    assert any("sha256 differs from the signed manifest" in m for m in found["item.files"])
    assert any("sha512 differs from the signed manifest" in m for m in found["item.files"])


def test_payload_changed_with_bag_manifests_updated(built: Built, tmp_path: Path) -> None:
    def flip(bag: Path) -> None:
        victim = _first_payload(bag)
        victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")

    found = check(built, tmp_path, flip)
    assert "bag.fixity" not in found  # the attacker fixed the unsigned lists...
    assert "item.files" in found  # ...not the signed manifest


def test_custody_event_edited_inside_manifest(built: Built, tmp_path: Path) -> None:
    def edit(m: dict) -> None:  # type: ignore[type-arg]
        m["items"][0]["custody"][1]["event"]["note"] = "never happened"

    found = check(built, tmp_path, edit_manifest(edit))
    assert any("event 2" in m and "altered" in m for m in found["item.chain"])
    assert "cms.signature" in found


def test_custody_event_edited_rehashed_and_manifest_resigned(
    built: Built, tmp_path: Path, intruder: Signer
) -> None:
    def edit(bag: Path) -> None:
        manifest = json.loads((bag / "manifest.json").read_bytes())
        record = manifest["items"][0]["custody"][1]
        record["event"]["at"] = "2020-01-01T00:00:00.000000Z"
        from evidence.canonical import canonical_sha256

        record["hash"] = canonical_sha256(record["event"])
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(intruder, data))
        (bag / "signer.pem").write_text(intruder.record.certificate_pem)

    found = check(built, tmp_path, edit)
    chain = found["item.chain"]
    assert any("event 2" in m and "signature does not verify" in m for m in chain)
    assert any("event 3" in m and "prev does not link" in m for m in chain)


def test_custody_event_dropped_from_chain(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, edit_manifest(lambda m: m["items"][0]["custody"].pop(1)))
    assert any("seq is" in m for m in found["item.chain"])
    assert any("prev does not link" in m for m in found["item.chain"])


def test_export_event_dropped_from_chain(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, edit_manifest(lambda m: m["items"][0]["custody"].pop()))
    assert any("not the export for this request" in m for m in found["item.chain"])


def test_certificate_removed_from_manifest(built: Built, tmp_path: Path) -> None:
    investigator = built.world.investigator.record.fingerprint
    found = check(built, tmp_path, edit_manifest(lambda m: m["certificates"].pop(investigator)))
    assert any("certificate is not in the manifest" in m for m in found["item.chain"])


def test_item_metadata_edited_is_caught_by_the_ingest_event(built: Built, tmp_path: Path) -> None:
    found = check(built, tmp_path, edit_manifest(lambda m: m["items"][0]["metadata"].update(x="y")))
    assert any("metadata_sha256 differs" in m for m in found["item.facts"])


def test_bag_info_oxum_wrong(built: Built, tmp_path: Path) -> None:
    def lie(bag: Path) -> None:
        info = bag / "bag-info.txt"
        lines = [
            "Payload-Oxum: 1.1" if ln.startswith("Payload-Oxum") else ln
            for ln in info.read_text().splitlines()
        ]
        info.write_text("\n".join(lines) + "\n")

    found = check(built, tmp_path, lie, refresh=False)
    assert any("Payload-Oxum" in m for m in found["bag.info"])


def test_forged_bundle_with_a_lookalike_key_is_caught_only_by_identity(
    built: Built, tmp_path: Path, intruder: Signer
) -> None:
    """Everything re-made with a key of the same name: only the out-of-band fingerprint helps."""
    from evidence.events import SignedEvent

    def forge(bag: Path) -> None:
        # The sender's log proofs name the sender's checkpoint key: a forger drops them, and
        # labels the manifest as made before the log (version 4 would declare it).
        shutil.rmtree(bag / "log")
        manifest = json.loads((bag / "manifest.json").read_bytes())
        del manifest["log"]
        manifest["schema"] = "evidence-manifest/2"
        fp = intruder.record.fingerprint
        manifest["issuer"]["fingerprint"] = fp
        manifest["certificates"] = {fp: intruder.record.certificate_pem}
        for entry in manifest["items"]:
            prev = entry["digests"]["sha256"]
            for record in entry["custody"]:
                record["event"]["actor"] = intruder.actor
                record["event"]["prev"] = prev
                data = canonical_bytes(record["event"])
                ev = SignedEvent(record["event"], "", intruder.sign(data))
                from evidence.canonical import canonical_sha256

                record["hash"] = prev = canonical_sha256(record["event"])
                record["signature"] = ev.signature
                record["signer"] = fp
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(intruder, data))
        (bag / "signer.pem").write_text(intruder.record.certificate_pem)

    def sign_tags(bag: Path) -> None:
        listing = (bag / "tagmanifest-sha256.txt").read_bytes()
        (bag / "tagmanifest-sha256.txt.p7s").write_bytes(sign_detached(intruder, listing))

    archive = tampered(built, tmp_path, forge, after=sign_tags)
    unverified = verify_bundle(archive)
    # Internally consistent (item.facts is untouched): without a fingerprint, exit 4 not 0.
    assert unverified.status == "signer-unverified", failed(unverified)
    with_fp = verify_bundle(archive, fingerprints=[built.prosecutor.record.fingerprint])
    assert with_fp.status == "failed"
    assert set(failed(with_fp)) == {"signer.identity"}


def test_zip_with_two_top_level_folders(built: Built, tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(built.zip_path) as src, zipfile.ZipFile(archive, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("other/file.txt", b"x")
    result = verify_bundle(archive)
    assert result.status == "failed"
    assert any("exactly one top-level folder" in m for m in failed(result)["zip"])


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("request-0042/../../evil.txt", "path contains '..'"),
        ("/etc/evil", "absolute path"),
        ("request-0042\\..\\evil", "backslash"),
        ("C:/evil", "drive letter"),
    ],
)
def test_zip_slip_entries_are_refused_and_nothing_escapes(
    built: Built, tmp_path: Path, name: str, problem: str
) -> None:
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(built.zip_path) as src, zipfile.ZipFile(archive, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr(name, b"owned")
    result = verify_bundle(archive)
    assert result.status == "failed"
    assert any(problem in m for m in failed(result)["zip"])
    assert not (tmp_path.parent / "evil.txt").exists()
    assert not Path("/etc/evil").exists()


def test_truncated_zip(built: Built, tmp_path: Path) -> None:
    data = built.zip_path.read_bytes()
    archive = tmp_path / "truncated.zip"
    archive.write_bytes(data[: len(data) // 2])
    result = verify_bundle(archive)
    assert result.status == "failed"
    assert any("end record" in m for m in failed(result)["zip"])


def test_not_a_zip_at_all(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    archive.write_bytes(b"%PDF-1.4 not a zip")
    result = verify_bundle(archive)
    assert [c.name for c in result.checks if c.status == "failed"] == ["zip"]


def test_issuer_identity_differing_from_the_signing_certificate(
    built: Built, tmp_path: Path
) -> None:
    """Even signed by the right key, a manifest may not claim another name or office."""

    def claim_other_office(bag: Path) -> None:
        manifest = json.loads((bag / "manifest.json").read_bytes())
        manifest["issuer"]["organisation"] = "Supreme Court"
        manifest["issuer"]["country"] = "DE"
        data = canonical_bytes(manifest)
        (bag / "manifest.json").write_bytes(data)
        (bag / "manifest.json.p7s").write_bytes(sign_detached(built.prosecutor, data))

    found = check(built, tmp_path, claim_other_office)
    assert "cms.signature" not in found
    assert any("organisation, country differ" in m for m in found["manifest.issuer"])
