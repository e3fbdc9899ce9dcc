"""A witness's folder: its identity, the logs it witnesses, and per-log state kept durably.

witness.json        {"name": ..., "logs": ["<log vkey>", ...]}   (the logs it trusts)
witness.key         Ed25519 private key, PKCS#8 PEM encrypted like the custody keys (PBKDF2-
                    HMAC-SHA256, AES-256-CBC: keyfile.py), owner-only; folders made before
                    hold it unencrypted, and still open (`unencrypted` says so)
state/<sha256(origin) hex>.checkpoint
                    the latest checkpoint it cosigned for that origin: the note with the
                    log's signature and its own cosignature, written temp-fsync-rename
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ..errors import InputRejected, NotFoundError, PassphraseError, UsageError
from ..keyfile import encrypt_private_key
from ..privacy import make_private_dir, write_private
from ..tlog.cosignature import Cosigner
from ..tlog.note import Note, VerifierKey, ecdsa_public, key_name_problem

CONFIG = "witness.json"
KEY = "witness.key"


def origin_hash(origin: str) -> str:
    """Lowercase hex SHA-256 of an origin: its name in the monitoring URL and the state folder."""
    return hashlib.sha256(origin.encode()).hexdigest()


@dataclass(frozen=True)
class WitnessStore:
    """An opened witness folder."""

    root: Path
    cosigner: Cosigner
    logs: tuple[VerifierKey, ...]
    unencrypted: bool = False

    @classmethod
    def init(
        cls, root: Path, name: str, logs: list[str], passphrase: str | None = None
    ) -> WitnessStore:
        """Make a new witness folder with a fresh Ed25519 key, encrypted with `passphrase`
        (None: unencrypted, for tests); refuses an existing one."""
        problem = key_name_problem(name)
        if problem is not None:
            raise UsageError(
                f"witness name: {problem}", "use a schema-less URL such as witness.example.org"
            )
        keys = [_log_key(v) for v in logs]
        if (root / CONFIG).exists():
            raise UsageError(f"{root} already holds a witness", "choose a new folder")
        make_private_dir(root)
        make_private_dir(root / "state")
        key = ed25519.Ed25519PrivateKey.generate()
        if passphrase is None:
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        else:
            pem = encrypt_private_key(key, passphrase)
        write_private(root / KEY, pem)
        store = cls(root, Cosigner(name, key), tuple(keys), passphrase is None)
        store._save()
        return store

    @classmethod
    def open(cls, root: Path, passphrase: str | None = None) -> WitnessStore:
        """Open a witness folder made by `init`; an encrypted key needs its passphrase."""
        name, logs = _config(root)
        try:
            pem = (root / KEY).read_bytes()
        except OSError as exc:
            raise InputRejected(f"{root / KEY}: cannot read ({exc})") from None
        plain = not key_encrypted(pem)
        if not plain and passphrase is None:
            raise PassphraseError(
                f"{root / KEY} is encrypted; its passphrase is needed",
                "give it at the prompt or in the variable --passphrase-env names",
            )
        try:
            key = serialization.load_pem_private_key(
                pem, None if plain else (passphrase or "").encode()
            )
        except (ValueError, TypeError):
            raise PassphraseError(
                f"{root / KEY}: wrong passphrase, or not a private key", "try again"
            ) from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise InputRejected(f"{root / KEY}: not an Ed25519 key")
        return cls(root, Cosigner(name, key), logs, plain)

    def reread(self) -> WitnessStore:
        """The same witness with its configuration read again (a log added meanwhile)."""
        _, logs = _config(self.root)
        return WitnessStore(self.root, self.cosigner, logs, self.unencrypted)

    def _save(self) -> None:
        config = {"name": self.cosigner.name, "logs": [k.text() for k in self.logs]}
        write_private(self.root / CONFIG, json.dumps(config, indent=1).encode() + b"\n")

    def add_log(self, vkey: str) -> WitnessStore:
        """Trust one more log key (a vkey of type 0x02; its name is the log's origin)."""
        key = _log_key(vkey)
        if key in self.logs:
            return self
        store = WitnessStore(self.root, self.cosigner, (*self.logs, key), self.unencrypted)
        store._save()
        return store

    def keys_for(self, origin: str) -> list[VerifierKey]:
        """The log keys trusted for an origin."""
        return [k for k in self.logs if k.name == origin]

    def state_path(self, origin: str) -> Path:
        """Where the latest cosigned checkpoint of an origin is kept."""
        return self.root / "state" / f"{origin_hash(origin)}.checkpoint"

    def latest(self, origin: str) -> Note | None:
        """The latest checkpoint cosigned for an origin, or None."""
        return self.latest_by_hash(origin_hash(origin))

    def latest_by_hash(self, digest: str) -> Note | None:
        """The same, by the origin's hex SHA-256 (as the monitoring URL gives it)."""
        path = self.root / "state" / f"{digest}.checkpoint"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return Note.parse(data, str(path))

    def record(self, origin: str, note: Note) -> None:
        """Persist the new latest checkpoint before answering (temp, fsync, rename)."""
        write_private(self.state_path(origin), note.to_bytes())


def key_encrypted(pem: bytes) -> bool:
    """Whether a PEM private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo)."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem


def folder_key_encrypted(root: Path) -> bool:
    """Whether a witness folder's key is encrypted (False when unreadable: open says why)."""
    try:
        return key_encrypted((root / KEY).read_bytes())
    except OSError:
        return False


def _config(root: Path) -> tuple[str, tuple[VerifierKey, ...]]:
    path = root / CONFIG
    try:
        config = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise NotFoundError(
            f"{root} is not a witness folder", "make one with `custody witness init`"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputRejected(f"{path}: cannot read ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise InputRejected(f"{path}: not a witness configuration")
    logs = config.get("logs", [])
    if not isinstance(logs, list) or not all(isinstance(v, str) for v in logs):
        raise InputRejected(f"{path}: logs is not a list of verifier keys")
    return config["name"], tuple(_log_key(v) for v in logs)


def _log_key(text: str) -> VerifierKey:
    key = VerifierKey.parse(text)
    ecdsa_public(key)  # refuses anything but a P-256 note key whose ID matches
    return key
