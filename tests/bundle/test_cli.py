"""`custody bundle` and `custody verify` through click, and the installed script's exit codes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from evidence.bundle.verifytext import CMS_COMMANDS, TMP_COMMAND, colon_fingerprint
from evidence.keys import Signer
from evidence.trust.authority import enrol_key, local_authority
from tests.bundle.bundle_support import REQUEST_ARGS, Built, invoke, run_custody, tampered, unzip
from tests.helpers import CASE, PASSPHRASE, World, issue_certificate, make_ca


def bundle_args(world: World, out: Path, *extra: str) -> list[str]:
    return [
        "-w",
        str(world.ws.root),
        "bundle",
        CASE,
        "--as",
        "prosecutor",
        "-o",
        str(out),
        *REQUEST_ARGS,
        *extra,
    ]


ENV = {"CUSTODY_PASSPHRASE": PASSPHRASE}


@pytest.fixture
def prosecutor_named(seized: World) -> Signer:
    record = seized.ws.keys.create(
        "prosecutor", "Prosecutor General's Office", "BY", "prosecutor", PASSPHRASE
    )
    return seized.ws.keys.unlock(record, PASSPHRASE)


def test_bundle_command_writes_the_zip_and_prints_the_fingerprint(
    seized: World, prosecutor_named: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "request-0042.zip"
    code, result = invoke(bundle_args(seized, out), env=ENV)
    assert code == 0, result.output
    assert out.is_file()
    assert prosecutor_named.record.fingerprint in result.stdout
    assert "ITEM" in result.stdout and "data/" in result.stdout
    assert "by letter or phone" in result.stderr


def test_bundle_json(seized: World, prosecutor_named: Signer, tmp_path: Path) -> None:
    out = tmp_path / "request-0042.zip"
    code, result = invoke([*bundle_args(seized, out), "--json"], env=ENV)
    assert code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "request-0042"
    assert data["signer_fingerprint"] == prosecutor_named.record.fingerprint
    assert len(data["items"]) == 4
    assert result.stderr == ""


def test_bundle_failures_have_their_exit_codes(
    seized: World, prosecutor_named: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "r.zip"
    code, result = invoke(bundle_args(seized, out)[:-2], env=ENV)  # no --request-date is fine
    assert code == 0
    code, _ = invoke(bundle_args(seized, tmp_path / "r.zip"), env=ENV)
    assert code == 2  # exists already
    code, result = invoke(
        ["-w", str(seized.ws.root), "bundle", CASE, "--as", "prosecutor", "-o", "x.zip"], env=ENV
    )
    assert code == 2 and "--request-ref" in result.output
    code, _ = invoke(
        [*bundle_args(seized, tmp_path / "s.zip"), "--requested-state", "Russia"], env=ENV
    )
    assert code == 2
    code, _ = invoke(
        bundle_args(seized, tmp_path / "t.zip"), env={"CUSTODY_PASSPHRASE": "wrong passphrase"}
    )
    assert code == 3
    args = bundle_args(seized, tmp_path / "u.zip")
    args[args.index(CASE)] = "BY-2026-9999"
    code, _ = invoke(args, env=ENV)
    assert code == 3
    assert not (tmp_path / "s.zip").exists() and not (tmp_path / "t.zip").exists()


def test_verify_without_identity_exits_4_and_says_so(built: Built) -> None:
    code, result = invoke(["verify", str(built.zip_path)])
    assert code == 4
    fp = built.prosecutor.record.fingerprint
    assert "NOT ESTABLISHED" in result.stderr and fp in result.stderr
    assert colon_fingerprint(fp) in result.stdout
    for item in built.result.items:
        assert item.item_id in result.stdout
    assert "FAILED" not in result.stdout
    assert "Evidence Room" in result.stdout  # the last custodian, from the chain


def test_verify_with_fingerprint_exits_0(built: Built) -> None:
    fp = built.prosecutor.record.fingerprint
    for given in (fp, colon_fingerprint(fp), fp.upper()):
        code, result = invoke(["verify", str(built.zip_path), "--fingerprint", given])
        assert code == 0, result.output
        assert "verified" in result.stderr


def test_verify_with_wrong_fingerprint_exits_1(built: Built) -> None:
    code, result = invoke(["verify", str(built.zip_path), "--fingerprint", "ab" * 32])
    assert code == 1
    assert "signer.identity" in result.stderr and "matches none" in result.stderr


def test_verify_with_trusted_certificate(built: Built, tmp_path: Path, world: World) -> None:
    pem = tmp_path / "trusted.pem"
    pem.write_text(built.prosecutor.record.certificate_pem)
    code, result = invoke(["verify", str(built.zip_path), "--trust", str(pem)])
    assert code == 0, result.output
    other = tmp_path / "other.pem"
    other.write_text(world.expert.record.certificate_pem)
    code, _ = invoke(["verify", str(built.zip_path), "--trust", str(other)])
    assert code == 1
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n")
    code, _ = invoke(["verify", str(built.zip_path), "--trust", str(garbage)])
    assert code == 3


def test_verify_trusts_a_signer_issued_by_an_agency_ca(seized: World, tmp_path: Path) -> None:
    """The prosecutor's key certified by an agency CA: --trust CA.pem establishes the signer."""
    ca_key, ca = make_ca("PGO Belarus CA")
    record = seized.ws.keys.create("prosecutor", "PGO", "BY", "prosecutor", PASSPHRASE)
    signer = seized.ws.keys.unlock(record, PASSPHRASE)
    issued = issue_certificate(ca_key, ca, seized.ws.keys.csr(signer))
    seized.ws.keys.import_certificate_for(issued, "t", None)
    out = tmp_path / "ca.zip"
    # The CA-issued certificate is new to the workspace's root: it signs nothing until enrolled.
    code, result = invoke(bundle_args(seized, out), env=ENV)
    assert code == 2 and "may not sign" in result.stderr, result.output
    keys = seized.ws.keys
    authority = local_authority(keys)
    assert authority is not None
    enrol_key(keys, keys.unlock(authority, PASSPHRASE), keys.get(record.key_id))
    code, result = invoke(bundle_args(seized, out), env=ENV)
    assert code == 0, result.output
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    code, result = invoke(["verify", str(out), "--trust", str(ca_pem)])
    assert code == 0, result.output
    assert "issued by trusted CA" in result.stdout
    # openssl, as VERIFY.txt tells it for a CA-issued signer.
    bag = unzip(out, tmp_path / "ca")
    text = (bag / "VERIFY.txt").read_text()
    assert "-partial_chain" in text
    plain = subprocess.run(
        ["bash", "-c", f"{TMP_COMMAND}\n{CMS_COMMANDS[0]}"], cwd=bag, capture_output=True
    )
    assert plain.returncode != 0  # signer.pem alone is no trust anchor for a CA-issued cert
    partial = subprocess.run(
        ["bash", "-c", f"{TMP_COMMAND}\n{CMS_COMMANDS[0]} -partial_chain"],
        cwd=bag,
        capture_output=True,
    )
    assert partial.returncode == 0


def test_verify_tampered_exits_1_and_names_the_problem(built: Built, tmp_path: Path) -> None:
    def flip(bag: Path) -> None:
        victim = next(
            p for p in sorted((bag / "data").rglob("*")) if p.is_file() and p.stat().st_size
        )
        victim.write_bytes(b"X" + victim.read_bytes()[1:])

    archive = tampered(built, tmp_path, flip, refresh=False)
    code, result = invoke(
        ["verify", str(archive), "--fingerprint", built.prosecutor.record.fingerprint]
    )
    assert code == 1
    assert "FAILED" in result.stdout
    # The table fits the terminal: a long detail wraps, every word kept.
    assert "differs from the signed manifest" in " ".join(result.stdout.split())


def test_verify_folder_and_json(built: Built, bag: Path) -> None:
    code, result = invoke(["verify", str(bag), "--json"])
    assert code == 4
    data = json.loads(result.stdout)
    assert data["status"] == "signer-unverified"
    assert data["signer"]["fingerprint"] == built.prosecutor.record.fingerprint
    assert {c["status"] for c in data["checks"]} == {"ok", "warning", "skipped"}
    # Only the checkpoint's time-stamp is skipped: the test ledger's checkpoint has none.
    assert {c["check"] for c in data["checks"] if c["status"] == "skipped"} == {"log.timestamp"}
    assert len(data["items"]) == 4 and all(i["chain_ok"] for i in data["items"])
    assert data["packaging"] == {"changes": ["folder"], "codepage": None}
    # stdout is pure JSON; the notice that a folder is not the zip sent, and the one-line
    # verdict, stay on stderr.
    notice, verdict = result.stderr.splitlines()
    assert notice.startswith("notice: packaging changed, contents intact: it was checked as")
    assert "NOT ESTABLISHED" in verdict
    # The folder that holds the bag (where `unzip` was run) works too.
    code, _ = invoke(
        ["verify", str(bag.parent), "--quiet", "--fingerprint", built.prosecutor.record.fingerprint]
    )
    assert code == 0


def test_verify_missing_path_exits_3(tmp_path: Path) -> None:
    code, _ = invoke(["verify", str(tmp_path / "nope.zip")])
    assert code == 3


def test_verify_help_documents_exit_4() -> None:
    code, result = invoke(["verify", "--help"])
    assert code == 0
    assert "4  signature valid, signer identity not established" in result.stdout
    assert "--fingerprint" in result.stdout and "--trust" in result.stdout


def test_installed_script_maps_exit_codes(built: Built, tmp_path: Path) -> None:
    """cli.main.main maps errors; CliRunner on `cli` bypasses it, so run the real script."""
    fp = built.prosecutor.record.fingerprint
    unverified = run_custody(["verify", str(built.zip_path)])
    assert unverified.returncode == 4, unverified.stderr
    assert "NOT ESTABLISHED" in unverified.stderr
    ok = run_custody(["verify", str(built.zip_path), "--fingerprint", fp, "--quiet"])
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.zip"
    bad.write_bytes(built.zip_path.read_bytes()[:-100])
    failed = run_custody(["verify", str(bad), "--fingerprint", fp])
    assert failed.returncode == 1
    assert "verification FAILED" in failed.stderr and "zip" in failed.stderr
    missing = run_custody(["verify", str(tmp_path / "missing.zip")])
    assert missing.returncode == 3
    usage = run_custody(["verify"])
    assert usage.returncode == 2


def test_verify_report_written_for_good_and_tampered_bundles(built: Built, tmp_path: Path) -> None:
    fp = built.prosecutor.record.fingerprint
    good = tmp_path / "verification.pdf"
    code, result = invoke(
        ["verify", str(built.zip_path), "--fingerprint", fp, "--report", str(good)]
    )
    assert code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-raw", str(good), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")
    assert hashlib.sha256(built.zip_path.read_bytes()).hexdigest() in text
    assert "VERIFIED" in text

    def change_one_payload_byte(bag: Path) -> None:
        victim = sorted((bag / "data").rglob("*.jpg"))[0]
        data = bytearray(victim.read_bytes())
        data[-3] ^= 0x01
        victim.write_bytes(bytes(data))

    broken = tampered(built, tmp_path, change_one_payload_byte, refresh=False)
    bad = tmp_path / "failed.pdf"
    code, _ = invoke(["verify", str(broken), "--fingerprint", fp, "--report", str(bad)])
    assert code == 1
    failed = subprocess.run(["pdftotext", str(bad), "-"], capture_output=True, text=True).stdout
    assert "FAILED" in failed


def test_bundle_refuses_a_ledger_that_fails_its_audit(
    seized: World, prosecutor_named: Signer, tmp_path: Path
) -> None:
    import sqlite3

    conn = sqlite3.connect(seized.ws.ledger.path)
    conn.execute("DROP TRIGGER items_no_update")
    conn.execute("UPDATE items SET source = 'planted' WHERE rowid = 1")
    conn.commit()
    before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    out = tmp_path / "r.zip"
    code, result = invoke(bundle_args(seized, out), env=ENV)
    assert code == 1
    assert "fails its audit" in result.stderr and "source" in result.stderr
    assert not out.exists()
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_verify_quiet_prints_warnings_irregularities_and_the_status_line(built: Built) -> None:
    # The expert analysed an item the evidence room held: an irregular custody event.
    code, result = invoke(["verify", str(built.zip_path), "-q"])
    assert code == 4
    assert result.stdout == ""
    err = result.stderr
    assert "WARNING custody.irregular chains: 1 irregular custody event(s)" in err
    assert "who did not hold the item" in err and "IRREGULAR item" in err
    assert "WARNING custody.trust" in err  # custodians not established without --anchor
    warnings = err.count("WARNING ")
    assert warnings >= 2
    assert err.splitlines()[-1].endswith(f"(exit 4) (warnings: {warnings})")
    fp = built.prosecutor.record.fingerprint
    assert colon_fingerprint(fp) in err
    code, result = invoke(["verify", str(built.zip_path), "-q", "--fingerprint", fp])
    assert code == 0
    # The signer as people write a name (reading order), not RFC 4514's reversed subject.
    last = result.stderr.splitlines()[-1]
    assert "verified: intact, signed by Н. Петрова, prosecutor, Prosecutor General's Office" in last
    assert "CN=" not in last
    assert "IRREGULAR item" in result.stderr


def test_verify_lists_irregular_custody_events(built: Built) -> None:
    code, result = invoke(["verify", str(built.zip_path)])
    assert code == 4
    assert "IRREGULAR CUSTODY EVENT" in result.stdout
    assert "analysed recorded by P. Sidorov, who did not hold the item" in result.stdout


def test_verify_tables_fit_the_terminal_and_wide_shows_each_check_on_one_line(
    built: Built,
) -> None:
    fp = built.prosecutor.record.fingerprint
    code, result = invoke(
        ["verify", str(built.zip_path), "--fingerprint", fp], env={"COLUMNS": "80"}
    )
    assert code == 0
    tables = result.stdout.split("\nsigner:")[0]  # the signer's fields follow the tables
    assert max(len(line) for line in tables.splitlines()) <= 80, tables
    code, wide = invoke(
        ["verify", str(built.zip_path), "--fingerprint", fp, "--wide"], env={"COLUMNS": "80"}
    )
    assert code == 0
    assert max(len(line) for line in wide.stdout.split("\nsigner:")[0].splitlines()) > 80
    # Nothing is lost by wrapping: every word of every check's detail is there.
    assert " ".join(tables.split()).count("ok") == " ".join(
        wide.stdout.split("\nsigner:")[0].split()
    ).count("ok")
