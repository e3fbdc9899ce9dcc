"""Building bundles: layout, manifest, export events, subsets, and the real tools accepting them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence.bundle.build import build_bundle, bundle_name
from evidence.bundle.manifest import SCHEMAS
from evidence.bundle.verifytext import CMS_COMMANDS, LIST_COMMAND, TMP_COMMAND
from evidence.canonical import canonical_bytes, is_canonical
from evidence.errors import UsageError, VerificationError
from evidence.events import item_events
from evidence.items import list_items
from evidence.keys import Signer
from evidence.report.produce import available_cover
from evidence.validation import schema_errors
from tests.bundle.bundle_support import BAGIT_PY, REQUEST, Built, unzip
from tests.helpers import CASE, World

TAG_FILES = {
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
    "manifest.json",
    "manifest.json.p7s",
    "signer.pem",
    "cover.pdf",
    "VERIFY.txt",
    "tagmanifest-sha256.txt.p7s",
}


def test_zip_holds_one_folder_named_after_the_bundle(built: Built) -> None:
    with zipfile.ZipFile(built.zip_path) as zf:
        names = zf.namelist()
    assert {n.split("/")[0] for n in names} == {"request-0042"}
    top = {n.split("/", 1)[1] for n in names if n.count("/") == 1}
    assert top == TAG_FILES
    payload = [n for n in names if n.startswith("request-0042/data/")]
    assert len(payload) == 4
    assert all(len(n.split("/")) == 4 for n in payload)  # data/<item-id>/<name>


def test_manifest_is_canonical_schema_valid_and_complete(built: Built, bag: Path) -> None:
    data = (bag / "manifest.json").read_bytes()
    assert is_canonical(data)
    manifest = json.loads(data)
    assert schema_errors(SCHEMAS["evidence-manifest/4"], manifest) == []
    assert manifest["schema"] == "evidence-manifest/4"
    assert manifest["request"] == REQUEST.to_json()
    assert manifest["issuer"]["fingerprint"] == built.prosecutor.record.fingerprint
    assert manifest["issuer"]["name"] == "Н. Петрова"
    assert hashlib.sha256(data).hexdigest() == built.result.manifest_sha256
    items = list_items(built.world.ws.ledger, CASE)
    assert {i["item_id"] for i in manifest["items"]} == {i.item_id for i in items}
    for entry in manifest["items"]:
        file = bag / entry["path"]
        content = file.read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["digests"]["sha256"]
        assert hashlib.sha512(content).hexdigest() == entry["digests"]["sha512"]
        assert len(content) == entry["size"]
    # Every actor who signed an event, and the issuer, and nobody else.
    world = built.world
    expected = {
        s.record.fingerprint
        for s in (world.investigator, world.custodian, world.expert, built.prosecutor)
    }
    assert set(manifest["certificates"]) == expected


def test_export_event_is_recorded_before_the_manifest(built: Built, bag: Path) -> None:
    manifest = json.loads((bag / "manifest.json").read_bytes())
    for entry in manifest["items"]:
        ledger_chain = item_events(built.world.ws.ledger, entry["item_id"])
        last = ledger_chain[-1]
        assert last.body["action"] == "exported"
        assert last.body["details"] == {"request_ref": REQUEST.reference, "bundle": "request-0042"}
        assert last.signer == built.prosecutor.record.fingerprint
        # The manifest holds the complete chain, ending with that very event.
        assert [c["hash"] for c in entry["custody"]] == [e.hash for e in ledger_chain]
        assert entry["custody"][-1]["signer"] == built.prosecutor.record.fingerprint


def test_tag_files_are_covered_by_both_tagmanifests(bag: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        listed = {}
        for line in (bag / f"tagmanifest-{algorithm}.txt").read_text().splitlines():
            digest, name = line.split("  ", 1)
            listed[name] = digest
        # The log's checkpoint, note and one inclusion proof per event are tag files too.
        log = {n for n in listed if n.startswith("log/")}
        assert {"log/checkpoint.json", "log/checkpoint.note"} < log
        assert set(listed) - log == TAG_FILES - {
            "tagmanifest-sha256.txt",
            "tagmanifest-sha512.txt",
            "tagmanifest-sha256.txt.p7s",
        }
        for name, digest in listed.items():
            assert hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest() == digest


def test_bag_info_fields(bag: Path, built: Built) -> None:
    info = dict(line.split(": ", 1) for line in (bag / "bag-info.txt").read_text().splitlines())
    assert info["External-Identifier"] == REQUEST.reference
    assert info["Source-Organization"] == "Prosecutor General's Office"
    manifest = json.loads((bag / "manifest.json").read_bytes())
    assert info["Bagging-Date"] == manifest["created_at"][:10]
    total = sum(i["size"] for i in manifest["items"])
    assert info["Payload-Oxum"] == f"{total}.4"


def test_bagit_python_validates_the_unzipped_bundle(bag: Path) -> None:
    proc = subprocess.run(
        [str(BAGIT_PY), "--validate", str(bag)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "is valid" in proc.stderr


def test_openssl_verifies_both_signatures_with_signer_pem(bag: Path) -> None:
    script = "\n".join([TMP_COMMAND, *CMS_COMMANDS])
    proc = subprocess.run(["bash", "-c", script], cwd=bag, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Verification successful") == 2
    assert "one signer" in proc.stdout
    # ... and refuses it when manifest.json changed by one byte.
    data = bytearray((bag / "manifest.json").read_bytes())
    data[10] ^= 0x01
    (bag / "manifest.json").write_bytes(bytes(data))
    proc = subprocess.run(["bash", "-c", script], cwd=bag, capture_output=True, text=True)
    assert proc.returncode != 0


def test_sha256sum_checks_the_payload_manifest(bag: Path) -> None:
    proc = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == 4


def test_verify_txt_list_command_checks_every_line(bag: Path) -> None:
    proc = subprocess.run(LIST_COMMAND, shell=True, cwd=bag, capture_output=True, text=True)
    assert proc.returncode == 0 and "all files OK" in proc.stdout, proc.stdout + proc.stderr
    # A last line without a newline is still checked.
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + "0" * 64 + "  data/x/planted.bin")
    proc = subprocess.run(LIST_COMMAND, shell=True, cwd=bag, capture_output=True, text=True)
    assert proc.returncode != 0 and "all files OK" not in proc.stdout


def test_verify_txt_names_the_steps_and_the_fingerprint(bag: Path, built: Built) -> None:
    text = (bag / "VERIFY.txt").read_text()
    fp = built.prosecutor.record.fingerprint
    assert fp in text
    assert all(c in text for c in CMS_COMMANDS) and LIST_COMMAND in text
    assert "sha256sum -c --strict manifest-sha256.txt" in text
    assert "КАК ПРОВЕРИТЬ" in text and "Get-FileHash" in text
    assert "another channel" in text
    assert built.result.manifest_sha256 in text
    assert "-partial_chain" not in text  # self-signed: signer.pem is its own anchor


def test_hostile_original_names_are_sanitised_and_kept(
    world: World, prosecutor: Signer, tmp_path: Path
) -> None:
    seized = tmp_path / "hostile"
    seized.mkdir()
    names = ["-rf переписка\n.txt", "..", "..%2e%0Aevil", "CON", "\u202egnp.exe"]
    for i, name in enumerate(names):
        folder = seized / str(i)
        folder.mkdir()
        (folder / (name if name != ".." else "..txt")).write_bytes(f"content {i}".encode())
    world.ingest(seized)
    out = tmp_path / "hostile.zip"
    build_bundle(world.ws, prosecutor, CASE, out, REQUEST)
    bag = unzip(out, tmp_path / "out")
    manifest = json.loads((bag / "manifest.json").read_bytes())
    originals = {i["original_name"] for i in manifest["items"]}
    assert "-rf переписка\n.txt" in originals and "CON" in originals
    for entry in manifest["items"]:
        name = entry["path"].split("/")[2]
        assert (bag / entry["path"]).is_file()
        assert not name.startswith(("-", ".", " ")) and "\n" not in name and "%" not in name
        assert "\u202e" not in name and name.upper() != "CON"
    proc = subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True)
    assert proc.returncode == 0
    proc = subprocess.run([str(BAGIT_PY), "--validate", str(bag)], capture_output=True)
    assert proc.returncode == 0


def test_subset_holds_only_those_items_and_their_signers(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    items = list_items(seized.ws.ledger, CASE)
    analysed = items[0]  # the only item the expert touched
    other = items[1]
    out = tmp_path / "subset.zip"
    result = build_bundle(seized.ws, prosecutor, CASE, out, REQUEST, item_refs=[other.item_id[:6]])
    assert [i.item_id for i in result.items] == [other.item_id]
    bag = unzip(out, tmp_path / "subset")
    data = (bag / "manifest.json").read_text()
    manifest = json.loads(data)
    assert [i["item_id"] for i in manifest["items"]] == [other.item_id]
    assert analysed.item_id not in data and analysed.sha256 not in data
    assert seized.expert.record.fingerprint not in manifest["certificates"]
    assert len(list((bag / "data").iterdir())) == 1
    # Only the exported item got the event.
    assert item_events(seized.ws.ledger, analysed.item_id)[-1].body["action"] == "analysed"


def test_damaged_vault_copy_stops_before_anything_is_recorded(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    item = list_items(seized.ws.ledger, CASE)[0]
    vault_copy = seized.ws.vault.path_for(item.sha256)
    os.chmod(vault_copy, 0o644)
    vault_copy.write_bytes(b"swapped")
    before = len(item_events(seized.ws.ledger, item.item_id))
    with pytest.raises(VerificationError) as exc:
        build_bundle(seized.ws, prosecutor, CASE, tmp_path / "x.zip", REQUEST)
    assert item.item_id in exc.value.findings[0].subject  # the audit or the re-hash names it
    assert len(item_events(seized.ws.ledger, item.item_id)) == before
    assert not (tmp_path / "x.zip").exists()
    assert not list(tmp_path.glob(".x.zip.*"))


def test_existing_output_is_never_overwritten(built: Built) -> None:
    before = built.zip_path.read_bytes()
    with pytest.raises(UsageError, match="exists already"):
        build_bundle(built.world.ws, built.prosecutor, CASE, built.zip_path, REQUEST)
    assert built.zip_path.read_bytes() == before


@pytest.mark.parametrize("name", ["x.tar", "a b.zip", "-x.zip", ".zip", "über.zip"])
def test_bundle_names_are_restricted(name: str) -> None:
    with pytest.raises(UsageError):
        bundle_name(Path(name))


def test_request_fields_are_checked(seized: World, prosecutor: Signer, tmp_path: Path) -> None:
    from dataclasses import replace

    for bad in (
        replace(REQUEST, requested_state="Russia"),
        replace(REQUEST, date="25.11.2026"),
        replace(REQUEST, reference="  "),
    ):
        with pytest.raises(UsageError):
            build_bundle(seized.ws, prosecutor, CASE, tmp_path / "r.zip", bad)
    assert not list(tmp_path.glob("*.zip"))


def test_incompressible_payload_is_stored_and_text_deflated(
    world: World, prosecutor: Signer, tmp_path: Path
) -> None:
    seized = tmp_path / "mixed"
    seized.mkdir()
    (seized / "random.bin").write_bytes(os.urandom(300_000))
    (seized / "chat.txt").write_text("Привет, скинь номер карты\n" * 20_000, encoding="utf-8")
    world.ingest(seized)
    result = build_bundle(world.ws, prosecutor, CASE, tmp_path / "m.zip", REQUEST)
    by_name = {i.original_name: i.compressed for i in result.items}
    assert by_name == {"random.bin": False, "chat.txt": True}
    with zipfile.ZipFile(tmp_path / "m.zip") as zf:
        methods = {i.filename.rsplit("/", 1)[1]: i.compress_type for i in zf.infolist()}
    assert methods["random.bin"] == zipfile.ZIP_STORED
    assert methods["chat.txt"] == zipfile.ZIP_DEFLATED


def test_cover_hook_receives_manifest_digest_and_fingerprint(bag: Path, built: Built) -> None:
    cover = (bag / "cover.pdf").read_bytes()
    assert cover.startswith(b"%PDF")
    assert built.result.manifest_sha256.encode() in cover
    assert built.prosecutor.record.fingerprint.encode() in cover
    assert built.result.cover


def test_real_cover_renderer_is_used_when_available(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    renderer = available_cover()
    if renderer is None:
        pytest.skip("evidence.report.cover is not installed")
    out = tmp_path / "with-cover.zip"
    build_bundle(seized.ws, prosecutor, CASE, out, REQUEST, cover=renderer)
    bag = unzip(out, tmp_path / "c")
    assert (bag / "cover.pdf").read_bytes().startswith(b"%PDF")
    proc = subprocess.run(
        ["pdftotext", str(bag / "cover.pdf"), "-"], capture_output=True, text=True
    )
    manifest_sha = hashlib.sha256((bag / "manifest.json").read_bytes()).hexdigest()
    assert manifest_sha[:16] in proc.stdout.replace(" ", "").replace("\n", "")


def test_without_cover_the_bag_is_still_complete(
    seized: World, prosecutor: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "plain.zip"
    build_bundle(seized.ws, prosecutor, CASE, out, REQUEST, cover=None)
    bag = unzip(out, tmp_path / "p")
    assert not (bag / "cover.pdf").exists()
    assert "cover.pdf" not in (bag / "VERIFY.txt").read_text()
    proc = subprocess.run([str(BAGIT_PY), "--validate", str(bag)], capture_output=True)
    assert proc.returncode == 0


def test_manifest_bytes_are_stable_through_a_round_trip(bag: Path) -> None:
    data = (bag / "manifest.json").read_bytes()
    assert canonical_bytes(json.loads(data)) == data
