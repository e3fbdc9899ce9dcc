"""`bundle --excerpt`: only the disclosed records travel, with their proof; `custody verify`
checks them against the root signed in the item's chain. `bundle --case-jsonld` too."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.bundle.build import build_bundle
from evidence.bundle.verify import verify_bundle
from evidence.errors import UsageError, VerificationError
from evidence.events import item_events
from evidence.excerpt import read_secret
from evidence.excerpt.disclose import open_excerpt, record_excerpt
from evidence.excerpt.salts import item_key, salt
from evidence.keys import Signer
from tests.bundle.bundle_support import BAGIT_PY, REQUEST, REQUEST_ARGS, refresh_bag, rezip, unzip
from tests.bundle.test_verify_txt import plain_path
from tests.excerpt.excerpt_support import cli_args, ingest_chat, recorded
from tests.helpers import CASE, PASSPHRASE, World
from tests.test_caseuco import case_validate


@pytest.fixture
def prosecutor(world: World) -> Signer:
    """The prosecutor who signs the bundle."""
    record = world.ws.keys.create("Н. Петрова", "PGO", "BY", "prosecutor", PASSPHRASE)
    return world.ws.keys.unlock(record, PASSPHRASE)


def _bundle(world: World, prosecutor: Signer, tmp_path: Path, **options: object) -> Path:
    out = tmp_path / "request-0042.zip"
    build_bundle(world.ws, prosecutor, CASE, out, REQUEST, **options)  # type: ignore[arg-type]
    return out


def _everything(archive: Path) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return b"".join(zf.read(n) for n in zf.namelist())


def test_excerpt_travels_instead_of_the_file(
    world: World, prosecutor: Signer, tmp_path: Path, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir)
    chat = ingest_chat(world, tmp_path, messages=40)
    recorded(world, chat, "2-4,10", tmp_path / "made")
    out = _bundle(world, prosecutor, tmp_path, excerpt_specs=[f"{chat}:2-4,10"])

    result = verify_bundle(out, fingerprints=[prosecutor.record.fingerprint])
    assert result.status == "verified", [str(f) for f in result.findings]
    assert [v.summary() for v in result.excerpts] == [
        f"excerpt: 4 of 40 records (2-4,10) of item {chat} (sha256 "
        + result.excerpts[0].sha256[:12]
        + "…), each byte-exact and in place"
    ]
    assert len(result.items) == 4  # the other items travel whole
    bag = unzip(out, tmp_path / "unzipped")
    done = subprocess.run([str(BAGIT_PY), "--validate", str(bag)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((bag / "manifest.json").read_bytes())
    assert manifest["schema"] == "evidence-manifest/4"  # excerpts and the log
    assert chat not in {i["item_id"] for i in manifest["items"]}
    assert manifest["excerpts"][0]["records"] == "2-4,10"
    # nothing of the undisclosed records, their salts, the profile or the file's name travels
    everything = _everything(out)
    for number in (1, 5, 11, 39):
        assert f"сообщение {number}\n".encode() not in everything
    secret = read_secret(world.ws.vault.root)
    assert secret is not None
    sha = next(e.body["item_sha256"] for e in item_events(world.ws.ledger, chat))
    key = item_key(secret, sha)
    for index in range(40):
        found = salt(key, index).hex().encode() in everything
        assert found == (index + 1 in (2, 3, 4, 10))
    assert b"WhatsApp Chat with" not in everything
    # the chat's profile (first message at 14:00, 40 messages) is nowhere
    assert b'"2026-11-02T14:00:00"' not in everything and b'"message_count":40' not in everything
    # the ledger says which records left, in which bundle
    last = item_events(world.ws.ledger, chat)[-1]
    assert last.body["action"] == "exported"
    assert last.body["details"]["excerpt"] == "2-4,10"


def test_changed_record_in_a_refreshed_bag_fails(
    world: World, prosecutor: Signer, tmp_path: Path
) -> None:
    chat = ingest_chat(world, tmp_path)
    recorded(world, chat, "7", tmp_path / "made")
    out = _bundle(world, prosecutor, tmp_path, excerpt_specs=[f"{chat}:7"])
    bag = unzip(out, tmp_path / "unzipped")
    records = bag / "data" / chat / f"{chat}.records.txt"
    records.write_bytes(records.read_bytes().replace("сообщение 7".encode(), b"message 7!!"))
    refresh_bag(bag)  # the attacker rewrites the bag's checksums; the manifest stays signed
    result = verify_bundle(rezip(bag, tmp_path / "request-x.zip"))
    failed = [(f.check, f.message) for f in result.findings]
    assert failed == [
        ("cms.tags", "tagmanifest-sha256.txt does not match the digest that was signed"),
        ("excerpt", "its records or proof file differs from the manifest"),
    ]


def test_excerpt_must_be_recorded_first(world: World, prosecutor: Signer, tmp_path: Path) -> None:
    chat = ingest_chat(world, tmp_path)
    with pytest.raises(UsageError, match="has no recorded excerpt of records 1-2"):
        _bundle(world, prosecutor, tmp_path, excerpt_specs=[f"{chat}:1-2"])
    assert not (tmp_path / "request-0042.zip").exists()


def test_cli_bundle_excerpt_and_case_jsonld(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evidence_dir: Path
) -> None:
    world.ingest(evidence_dir)
    chat = ingest_chat(world, tmp_path)
    recorded(world, chat, "1-3", tmp_path / "made")
    world.ws.keys.create("Prosecutor", "PGO", "BY", "prosecutor", PASSPHRASE)
    monkeypatch.setenv("CUSTODY_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "request-0042.zip"
    args = [*cli_args(world), "bundle", CASE, "--as", "Prosecutor", "-o", str(out)]
    bad = CliRunner().invoke(cli, [*args, *REQUEST_ARGS, "--excerpt", chat])
    assert bad.exit_code == 2 and "write ITEM:RANGES" in bad.stderr
    dry = CliRunner().invoke(cli, [*args, *REQUEST_ARGS, "--excerpt", f"{chat}:1-3", "--dry-run"])
    assert dry.exit_code == 0 and "excerpt: records 1-3" in dry.stdout, dry.output
    made = CliRunner().invoke(
        cli, [*args, *REQUEST_ARGS, "--excerpt", f"{chat}:1-3", "--case-jsonld"]
    )
    assert made.exit_code == 0, made.output
    verified = CliRunner().invoke(cli, ["verify", str(out)])
    assert verified.exit_code == 4, verified.output  # intact; signer not pinned
    assert f"excerpt: 3 of 40 records (1-3) of item {chat}" in verified.stdout
    bag = unzip(out, tmp_path / "unzipped")
    assert "case.jsonld" in (bag / "tagmanifest-sha256.txt").read_text()
    graph = json.loads((bag / "case.jsonld").read_bytes())["@graph"]
    files = [n for n in graph if n["@type"] == "uco-observable:File"]
    assert len(files) == 4 and chat not in json.dumps(files)  # the excerpted item is not there
    # VERIFY.txt: the file count of its step 4 holds, and it says what the plain path cannot do
    verify_txt = (bag / "VERIFY.txt").read_text(encoding="utf-8")
    expected = re.search(r"Expected: (\d+)", verify_txt)
    assert expected is not None
    assert int(expected.group(1)) == sum(1 for p in bag.rglob("*") if p.is_file())
    assert f"data/{chat}/{chat}.records.txt  records 1-3 (3 of 40)" in verify_txt
    assert "They do NOT prove" in verify_txt and "check_excerpt.py" in verify_txt
    done = case_validate(bag / "case.jsonld")
    assert done.returncode == 0, done.stdout
    # the verification report shows what was disclosed; the custody report what was sent
    report = tmp_path / "verification.pdf"
    CliRunner().invoke(cli, ["verify", str(out), "--report", str(report)])
    assert "records (1-3) of item" in pdf_text(report)
    for lang, words in (("en", "Excerpts sent (1)"), ("ru", "Отправленные выписки (1)")):
        pdf = tmp_path / f"custody-{lang}.pdf"
        done_report = CliRunner().invoke(
            cli, [*cli_args(world), "report", CASE, "-o", str(pdf), "--lang", lang]
        )
        assert done_report.exit_code == 0, done_report.output
        text = pdf_text(pdf)
        assert words in text and "1-3 (3" in text and "No. 12/4-2026" in text
        assert "messages" in text and "transfer" in text  # the reason (wrapped in its cell)


def pdf_text(path: Path) -> str:
    """The PDF's text, as pdftotext reads it (layout kept, so table cells stay on their line)."""
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_excerpt_by_a_signer_the_root_does_not_vouch_for(
    world: World, prosecutor: Signer, tmp_path: Path
) -> None:
    # Recorded through the library (the CLI refuses such a key before its passphrase): the
    # audit names the event, and no bundle carries it abroad.
    chat = ingest_chat(world, tmp_path)
    stranger = world.ws.keys.unlock(
        world.ws.keys.create("Stranger", "IC", "BY", "investigator", PASSPHRASE, enrol=False),
        PASSPHRASE,
    )
    chosen = open_excerpt(world.ws, chat, ranges="1-2")
    event = record_excerpt(world.ws, stranger, chosen, "no right to sign")
    with pytest.raises(VerificationError, match="fails its audit") as refused:
        _bundle(world, prosecutor, tmp_path, excerpt_specs=[f"{chat}:1-2"])
    assert [f.subject for f in refused.value.findings] == [
        f"item {chat} event #{event.body['seq']}"
    ]
    assert not (tmp_path / "request-0042.zip").exists()


def test_plain_path_of_verify_txt_accepts_an_excerpt_bundle(
    world: World, prosecutor: Signer, tmp_path: Path
) -> None:
    chat = ingest_chat(world, tmp_path)
    recorded(world, chat, "3-5", tmp_path / "made")
    out = _bundle(world, prosecutor, tmp_path, excerpt_specs=[f"{chat}:3-5"], case_jsonld=True)
    with zipfile.ZipFile(out) as zf:
        files = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist()}
    original = SimpleNamespace(
        files=files, top="request-0042", fingerprint=prosecutor.record.fingerprint
    )
    accepted, transcript, _ = plain_path(original, out, tmp_path / "plain")  # type: ignore[arg-type]
    assert accepted, transcript
