"""A workspace: ledger.db, vault/ and keys/ in one folder, found by flag, env or default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import OperationalError, UsageError
from .keys import KeyStore
from .ledger import BUSY_TIMEOUT_MS, Ledger
from .vault import Vault

DEFAULT_DIR = "custody-workspace"
ENV_HOME = "CUSTODY_HOME"
ENV_BUSY = "CUSTODY_BUSY_TIMEOUT_MS"


def locate(explicit: str | os.PathLike[str] | None) -> Path:
    """The workspace folder: --workspace, else $CUSTODY_HOME, else ./custody-workspace."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_HOME)
    return Path(env) if env else Path(DEFAULT_DIR)


@dataclass
class Workspace:
    """An open workspace."""

    root: Path
    ledger: Ledger
    vault: Vault
    keys: KeyStore

    @classmethod
    def init(cls, root: Path) -> Workspace:
        """Create a new workspace; refuses a folder that already holds a ledger."""
        ledger_path = root / "ledger.db"
        if ledger_path.exists():
            raise UsageError(f"{root}: already a workspace", "use it, or choose another folder")
        if root.exists() and not root.is_dir():
            raise OperationalError(f"{root}: exists and is not a folder")
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "keys").mkdir(mode=0o700, exist_ok=True)
            (root / "checkpoints").mkdir(exist_ok=True)
            vault = Vault(root / "vault")
            vault.create()
        except OSError as exc:
            raise OperationalError(f"{root}: cannot create workspace ({exc.strerror})") from None
        ledger = Ledger.create(ledger_path)
        return cls(root, ledger, vault, KeyStore(ledger, root / "keys"))

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """Open an existing workspace."""
        if not root.is_dir():
            raise OperationalError(
                f"{root}: no workspace here", "run `custody init` or pass --workspace DIR"
            )
        ledger = Ledger.open(root / "ledger.db", _busy_timeout())
        vault = Vault(root / "vault")
        return cls(root, ledger, vault, KeyStore(ledger, root / "keys"))

    @property
    def checkpoint_dir(self) -> Path:
        """Where checkpoint files are kept so they can be copied off the machine."""
        return self.root / "checkpoints"

    def close(self) -> None:
        """Close the ledger and stop the hashing threads."""
        self.ledger.close()
        self.vault.hasher.close()


def _busy_timeout() -> int:
    raw = os.environ.get(ENV_BUSY, "")
    if not raw:
        return BUSY_TIMEOUT_MS
    if not raw.isdigit():
        raise UsageError(f"{ENV_BUSY}={raw!r} is not a number of milliseconds")
    return int(raw)
