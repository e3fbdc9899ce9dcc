"""Confidentiality and key protection: a second local user reads nothing of a workspace made
under umask 022; keys use PBKDF2-HMAC-SHA256 at 600,000 rounds and older keys still open;
passphrases never reach the exiftool child."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.errors import PassphraseError
from evidence.metadata import exiftool_session
from tests.helpers import PASSPHRASE, World
from tests.trust.trust_support import NEW_IVANOV

OTHER = "custody-other"
CUSTODY = str(Path(sys.executable).parent / "custody")


@pytest.fixture
def open_parent() -> Iterator[Path]:
    """A folder any local user may enter (pytest's own tmp is 0700, which would prove nothing)."""
    parent = Path(tempfile.mkdtemp(prefix="custody-privacy-", dir="/tmp"))
    os.chmod(parent, 0o755)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def _other_user() -> str:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root (to add and become a second local user) and runuser")
    try:
        pwd.getpwnam(OTHER)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER], check=True
        )
    return OTHER


def _as_other(user: str, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True)


def test_second_local_user_reads_nothing(open_parent: Path) -> None:
    user = _other_user()
    ws = open_parent / "ws"
    env = {**os.environ, "CUSTODY_HOME": str(ws), "CUSTODY_PASSPHRASE": PASSPHRASE}
    seized = open_parent / "seized.txt"
    seized.write_text("card 4276 0000 1111 2222\n")
    os.chmod(seized, 0o644)

    def run(*args: str) -> None:
        subprocess.run(
            [CUSTODY, *args],
            env=env,
            check=True,
            capture_output=True,
            preexec_fn=lambda: os.umask(0o022),
        )

    run("init", "--authority", "Evidence Room")
    run(*NEW_IVANOV)
    run("case", "new", "C-1", "--title", "t", "--jurisdiction", "BY")
    run("ingest", str(seized), "--case", "C-1", "--as", "A. Ivanov", "--source", "phone", "-q")
    run("checkpoint", "--as", "A. Ivanov")
    bundle = open_parent / "out.zip"
    run(
        "bundle",
        "C-1",
        "--as",
        "A. Ivanov",
        "-o",
        str(bundle),
        "--request-ref",
        "MLA-1",
        "--legal-basis",
        "Minsk Convention 1993",
        "--requesting-authority",
        "PGO",
        "--requested-state",
        "DE",
        "--addressee",
        "BMJ",
        "--quiet",
    )
    # The control: the same user reads a 0644 file beside the workspace.
    assert _as_other(user, "cat", str(seized)).returncode == 0
    files = [p for p in ws.rglob("*")] + [ws, bundle]
    assert len(files) > 10
    for path in files:
        mode = path.lstat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{path} is {mode:04o}"
    assert bundle.stat().st_mode & 0o777 == 0o600
    for path in [ws / "ledger.db", next((ws / "vault" / "sha256").rglob("*")), ws / "keys"]:
        result = _as_other(user, "ls", "-l", str(path))
        assert result.returncode != 0 and "Permission denied" in result.stderr, result
    assert "Permission denied" in _as_other(user, "cat", str(bundle)).stderr
    audit = subprocess.run([CUSTODY, "audit", "--fixity"], env=env, capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_new_keys_use_pbkdf2_600000_and_openssl_opens_them(open_parent: Path) -> None:
    """Made by the real command (no test shortcut): PBES2, PBKDF2-HMAC-SHA256, 600,000 rounds."""
    ws = open_parent / "ws"
    env = {**os.environ, "CUSTODY_HOME": str(ws), "CUSTODY_PASSPHRASE": PASSPHRASE}
    subprocess.run([CUSTODY, "init"], env=env, check=True, capture_output=True)
    (path,) = (ws / "keys").glob("*.key.pem")
    _, _, der = asn1_pem.unarmor(path.read_bytes())
    info = asn1_keys.EncryptedPrivateKeyInfo.load(der)
    params = info["encryption_algorithm"]["parameters"]
    kdf = params["key_derivation_func"]
    assert info["encryption_algorithm"]["algorithm"].native == "pbes2"
    assert kdf["algorithm"].native == "pbkdf2"
    assert kdf["parameters"]["iteration_count"].native == 600_000
    assert kdf["parameters"]["prf"]["algorithm"].native == "sha256"
    assert params["encryption_scheme"]["algorithm"].native == "aes256_cbc"
    opened = subprocess.run(
        ["openssl", "pkcs8", "-in", str(path), "-passin", "env:PW"],
        env={"PW": PASSPHRASE, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0 and "BEGIN PRIVATE KEY" in opened.stdout, opened.stderr
    wrong = subprocess.run(
        ["openssl", "pkcs8", "-in", str(path), "-passin", "pass:wrong passphrase"],
        capture_output=True,
    )
    assert wrong.returncode != 0


def test_keys_written_before_still_open(world: World) -> None:
    """A key file as the previous version wrote it (cryptography's PBKDF2 at 2,048 rounds)."""
    record = world.investigator.record
    legacy = world.investigator.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    path = world.ws.root / "keys" / f"{record.key_id}.key.pem"
    path.write_bytes(legacy)
    signer = world.ws.keys.unlock(record, PASSPHRASE)
    assert isinstance(signer.private_key, ec.EllipticCurvePrivateKey)


def test_passphrase_change(world: World) -> None:
    record = world.expert.record
    world.ws.keys.change_passphrase(record, PASSPHRASE, "a brand new passphrase")
    with pytest.raises(PassphraseError):
        world.ws.keys.unlock(record, PASSPHRASE)
    signer = world.ws.keys.unlock(record, "a brand new passphrase")
    assert signer.private_key.private_numbers() == world.expert.private_key.private_numbers()
    path = world.ws.root / "keys" / f"{record.key_id}.key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(path.parent.glob("*.tmp"))


def test_passphrase_never_reaches_exiftool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTODY_PASSPHRASE", "secret passphrase 123")
    monkeypatch.setenv("CUSTODY_AUTHORITY_PASSPHRASE", "authority secret 456")
    with exiftool_session() as reader:
        pid = reader._helper._process.pid
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"PATH=" in environ  # the control: we are reading the right process
        assert b"secret passphrase 123" not in environ
        assert b"authority secret 456" not in environ
        assert b"CUSTODY_" not in environ
    assert os.environ["CUSTODY_PASSPHRASE"] == "secret passphrase 123"  # ours is untouched
