"""A workspace: ledger, vault and keys, found by flag, env or default.

On one workstation all three live in one folder (ledger.db, vault/, keys/). In an agency the
ledger is a PostgreSQL database (--ledger / $CUSTODY_LEDGER, a postgresql:// URL) and the vault a
shared folder (--vault / $CUSTODY_VAULT); the local folder then holds only the workstation's
keys. Checkpoint files go beside the vault they describe, so every workstation sees them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import OperationalError, UsageError
from .keys import KeyStore
from .ledger import BUSY_TIMEOUT_MS, Ledger, create_ledger, is_url, open_ledger
from .vault import Vault

DEFAULT_DIR = "custody-workspace"
ENV_HOME = "CUSTODY_HOME"
ENV_BUSY = "CUSTODY_BUSY_TIMEOUT_MS"
ENV_LEDGER = "CUSTODY_LEDGER"
ENV_VAULT = "CUSTODY_VAULT"


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
    checkpoint_dir: Path
    """Where checkpoint files are kept so they can be copied off the machine."""

    @classmethod
    def init(
        cls,
        root: Path,
        *,
        ledger: str | None = None,
        vault: Path | None = None,
        grant_to: tuple[str, ...] = (),
    ) -> Workspace:
        """Create a new workspace (and, for a server URL, the ledger schema on the server).

        Refuses a folder that already holds a ledger, and a database that already holds one.
        """
        ledger_at = _ledger_location(root, ledger)
        if not is_url(ledger_at) and Path(ledger_at).exists():
            raise UsageError(f"{root}: already a workspace", "use it, or choose another folder")
        if grant_to and not is_url(ledger_at):
            raise UsageError("--grant applies to a PostgreSQL ledger only")
        if root.exists() and not root.is_dir():
            raise OperationalError(f"{root}: exists and is not a folder")
        store = Vault(vault or root / "vault")
        # A server ledger first: it refuses a database that holds one already, before any
        # folder is made here; a file ledger last, inside the folders.
        opened = create_ledger(ledger_at, grant_to) if is_url(ledger_at) else None
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "keys").mkdir(mode=0o700, exist_ok=True)
            store.create()
            checkpoints = _checkpoint_dir(root, vault)
            checkpoints.mkdir(exist_ok=True)
        except OSError as exc:
            if opened is not None:
                opened.close()
            where = exc.filename or root
            raise OperationalError(f"{where}: cannot create workspace ({exc.strerror})") from None
        if opened is None:
            opened = create_ledger(ledger_at)
        return cls(root, opened, store, KeyStore(opened, root / "keys"), checkpoints)

    @classmethod
    def open(cls, root: Path, *, ledger: str | None = None, vault: Path | None = None) -> Workspace:
        """Open an existing workspace (a workstation of a server ledger gets its key folder)."""
        ledger_at = _ledger_location(root, ledger)
        if is_url(ledger_at) and not root.exists():
            try:
                root.mkdir(parents=True)
                (root / "keys").mkdir(mode=0o700)
            except OSError as exc:
                raise OperationalError(f"{root}: cannot create ({exc.strerror})") from None
        if not root.is_dir():
            raise OperationalError(
                f"{root}: no workspace here", "run `custody init` or pass --workspace DIR"
            )
        if vault is not None and not (vault / "sha256").is_dir():
            raise OperationalError(
                f"{vault}: not a custody vault", f"check --vault / ${ENV_VAULT}, or its mount"
            )
        opened = open_ledger(ledger_at, _busy_timeout())
        store = Vault(vault or root / "vault")
        return cls(
            root, opened, store, KeyStore(opened, root / "keys"), _checkpoint_dir(root, vault)
        )

    def close(self) -> None:
        """Close the ledger and stop the hashing threads."""
        self.ledger.close()
        self.vault.hasher.close()


def _ledger_location(root: Path, ledger: str | None) -> str:
    return ledger if ledger else str(root / "ledger.db")


def _checkpoint_dir(root: Path, vault: Path | None) -> Path:
    # With a shared vault, checkpoints are shared too: each workstation's audit compares the
    # server's checkpoint rows with the same files.
    return vault / "checkpoints" if vault is not None else root / "checkpoints"


def _busy_timeout() -> int:
    raw = os.environ.get(ENV_BUSY, "")
    if not raw:
        return BUSY_TIMEOUT_MS
    if not raw.isdigit():
        raise UsageError(f"{ENV_BUSY}={raw!r} is not a number of milliseconds")
    return int(raw)
