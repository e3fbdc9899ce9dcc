"""`custody witness`, `checkpoint --witness` and `audit --witness` through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner
from evidence.cli.main import cli

from evidence.witness import Witness, WitnessServer, WitnessStore
from tests.test_cli import Shell, _ingest

WITNESS_PASSPHRASE = "witness passphrase"
ENV = {"CUSTODY_WITNESS_PASSPHRASE": WITNESS_PASSPHRASE}


def _witness(*args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(
        cli, ["witness", *args], catch_exceptions=False, env=ENV if env is None else env
    )
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout if code == 0 else result.stderr


def test_witness_story_and_a_rolled_back_workspace(sh: Shell, photo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "witness"
    vkey = _witness("init", "--name", "witness.prokuratura.example", "--dir", str(folder)).strip()
    assert vkey.startswith("witness.prokuratura.example+")
    _witness("init", "--name", "again", "--dir", str(folder), code=2)
    shown = json.loads(sh("key", "show", "Evidence Room", "--json").stdout)
    assert shown["note_key"].startswith("custody/")
    _witness("add-log", "--dir", str(folder), shown["note_key"])
    server = WitnessServer(Witness(folder, WITNESS_PASSPHRASE)).start()
    try:
        _ingest(sh, photo)
        # Without the key trusted for "A. Ivanov" the witness refuses: exit 3, named.
        refused = sh("checkpoint", "--as", "A. Ivanov", "--witness", server.url, code=3)
        assert "refused the checkpoint (HTTP 403" in refused.stderr
        out = sh("checkpoint", "--as", "Evidence Room", env={"CUSTODY_WITNESS_URL": server.url})
        assert f"cosigned by witness {server.url}" in out.stdout
        assert "note: " in out.stdout
        shown_w = json.loads(_witness("show", "--dir", str(folder), "--json"))
        assert shown_w["vkey"] == vkey and shown_w["logs"][0]["cosigned_size"] > 0
        audit = sh("audit", "--witness", server.url, "--witness-key", vkey)
        assert "witness" in audit.stdout
        sh("audit", "--witness", server.url, code=2)  # a cosignature needs its key
        saved = tmp_path / "saved"
        shutil.copytree(sh.root, saved, symlinks=True)
        item = json.loads(sh("item", "list", "--json").stdout)[0]["item_id"]
        sh("event", item, "--action", "accessed", "--purpose", "look", "--as", "Evidence Room")
        sh("checkpoint", "--as", "Evidence Room", "--witness", server.url)
        # The whole workspace put back as it was before the last cosigned checkpoint.
        shutil.rmtree(sh.root)
        shutil.copytree(saved, sh.root, symlinks=True)
        rolled = sh("audit", "--witness", server.url, "--witness-key", vkey, code=1)
        assert "rollback: it cosigned a log of" in rolled.stdout + rolled.stderr
        again = sh("checkpoint", "--as", "Evidence Room", "--witness", server.url, code=1)
        assert "larger than this ledger's" in again.stderr
    finally:
        server.stop()


def test_unreachable_witness_is_an_operational_error(sh: Shell, photo: Path) -> None:
    _ingest(sh, photo)
    result = sh("checkpoint", "--as", "Evidence Room", "--witness", "http://127.0.0.1:9", code=3)
    assert "cannot be reached" in result.stderr
    assert sh("audit").exit_code == 0  # nothing was written


def test_malformed_witness_key_is_a_usage_error(sh: Shell, tmp_path: Path) -> None:
    result = sh("audit", "--witness", "http://127.0.0.1:9", "--witness-key", "nonsense", code=2)
    assert "--witness-key: verifier key 'nonsense' is not name+keyid+base64" in result.stderr
    bundle = tmp_path / "missing.zip"
    verify = CliRunner().invoke(cli, ["verify", str(bundle), "--witness-key", "a+00000000+AQ=="])
    assert verify.exit_code == 2 and "--witness-key" in verify.stderr


def test_witness_key_is_encrypted_and_needs_its_passphrase(tmp_path: Path) -> None:
    folder = tmp_path / "witness"
    env = {"WITNESS_SECRET": "s3cret passphrase"}
    vkey = _witness(
        "init",
        "--name",
        "w.example",
        "--dir",
        str(folder),
        "--passphrase-env",
        "WITNESS_SECRET",
        env=env,
    ).strip()
    pem = (folder / "witness.key").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    # openssl reads it with the passphrase (PKCS#8, PBES2) and not without.
    done = subprocess.run(
        [
            "openssl",
            "pkey",
            "-in",
            str(folder / "witness.key"),
            "-passin",
            "env:WITNESS_SECRET",
            "-noout",
        ],
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(
        _witness(
            "show", "--dir", str(folder), "--json", "--passphrase-env", "WITNESS_SECRET", env=env
        )
    )
    assert shown["vkey"] == vkey
    wrong = _witness(
        "show",
        "--dir",
        str(folder),
        "--passphrase-env",
        "WITNESS_SECRET",
        code=3,
        env={"WITNESS_SECRET": "not it"},
    )
    assert "wrong passphrase" in wrong
    # No variable and no terminal: no passphrase given, exit 3, nothing served.
    missing = _witness("serve", "--dir", str(folder), "--listen", "127.0.0.1:0", code=3, env={})
    assert "no passphrase given" in missing and "CUSTODY_WITNESS_PASSPHRASE" in missing


def test_old_unencrypted_witness_folder_opens_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    store = WitnessStore.init(folder, "old.example", [])  # as folders were made before
    result = CliRunner().invoke(cli, ["witness", "show", "--dir", str(folder)], env={})
    assert result.exit_code == 0, result.stderr
    assert store.cosigner.vkey in result.stdout
    assert "witness.key is not encrypted" in result.stderr
