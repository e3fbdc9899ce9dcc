"""A workspace: ledger, vault and keys, found by flag, env or default, with its trust root.

On one workstation all three live in one folder (ledger.db, vault/, keys/). In an agency the
ledger is a PostgreSQL database (--ledger / $CUSTODY_LEDGER, a postgresql:// URL) and the vault a
shared folder (--vault / $CUSTODY_VAULT); the local folder then holds only the workstation's
keys. Checkpoint files go beside the vault they describe, so every workstation sees them.

Its trust root is fixed when it is made: an authority key created there, or an agency CA
certificate (see evidence/trust/). A workspace made before trust roots opens as it is and
adopts a root with `adopt_authority`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509

from .errors import OperationalError, UsageError
from .keys import Identity, KeyRecord, NewPassphrase
from .ledger import BUSY_TIMEOUT_MS, Ledger, create_ledger, is_url, open_ledger
from .privacy import FILE_MODE, make_private_dir, private_umask, write_private
from .trust.authority import enrol_certificate
from .trust.keys import TrustedKeyStore
from .trust.store import load_state, set_anchor
from .vault import Vault

DEFAULT_DIR = "custody-workspace"


def locate(explicit: str | os.PathLike[str] | None) -> Path:
    """The workspace folder: the one given (the CLI's --workspace or $CUSTODY_HOME), else
    ./custody-workspace."""
    return Path(explicit) if explicit else Path(DEFAULT_DIR)


@dataclass(frozen=True)
class AuthoritySetup:
    """The authority key `custody init --authority NAME` creates as the workspace's root.

    The passphrase may be a function (the CLI's prompt): it is called only once the identity
    has passed its check, so a bad --country is refused before anyone types a passphrase.
    """

    name: str
    passphrase: str | Callable[[], str] = field(repr=False)  # never in a traceback or a log
    organisation: str = ""
    country: str = "ZZ"

    def check(self) -> tuple[Identity, NewPassphrase]:
        """The authority's identity, then its passphrase, each checked once, before anything
        is created."""
        identity = Identity(self.name, self.organisation or self.name, self.country, "authority")
        text = self.passphrase() if callable(self.passphrase) else self.passphrase
        return identity, NewPassphrase(text)


@dataclass
class Workspace:
    """An open workspace."""

    root: Path
    ledger: Ledger
    vault: Vault
    keys: TrustedKeyStore
    checkpoint_dir: Path
    """Where checkpoint files are kept so they can be copied off the machine."""

    @classmethod
    def init(
        cls,
        root: Path,
        authority: AuthoritySetup | None = None,
        trust_ca: x509.Certificate | None = None,
        *,
        ledger: str | None = None,
        vault: Path | None = None,
        grant_to: tuple[str, ...] = (),
    ) -> Workspace:
        """Create a new workspace, private to its owner, with its trust root (and, for a server
        URL, the ledger schema on the server).

        The root is an authority key made here, or an agency CA certificate. Without either,
        the workspace has no root and audit establishes no signer (a library-only case, kept
        for tools that fix the root themselves; the CLI always fixes one). Refuses a folder
        that already holds a ledger, and a database that already holds one.
        """
        if authority is not None and trust_ca is not None:
            raise UsageError("choose one trust root: --authority or --trust-ca, not both")
        ledger_at = _ledger_location(root, ledger)
        if not is_url(ledger_at) and Path(ledger_at).exists():
            raise UsageError(f"{root}: already a workspace", "use it, or choose another folder")
        if grant_to and not is_url(ledger_at):
            raise UsageError("--grant applies to a PostgreSQL ledger only")
        if root.exists() and not root.is_dir():
            raise OperationalError(f"{root}: exists and is not a folder")
        private_umask()
        checked = None if authority is None else authority.check()
        fresh = not root.exists()
        store = Vault(vault or root / "vault")
        # A server ledger first: it refuses a database that holds one already, before any
        # folder is made here; a file ledger last, inside the folders.
        opened = create_ledger(ledger_at, grant_to) if is_url(ledger_at) else None
        checkpoints = _checkpoint_dir(root, vault)
        try:
            make_private_dir(root)
            make_private_dir(root / "keys")
            store.create()
            make_private_dir(checkpoints)
        except OSError as exc:
            if opened is not None:
                opened.close()
            where = exc.filename or root
            raise OperationalError(f"{where}: cannot create workspace ({exc.strerror})") from None
        if opened is None:
            opened = create_ledger(ledger_at)
            os.chmod(ledger_at, FILE_MODE)
        ws = cls(root, opened, store, TrustedKeyStore(opened, root / "keys"), checkpoints)
        try:
            if checked is not None:
                ws.keys.create_key(*checked, anchor=True)
            elif trust_ca is not None:
                ws.set_ca_root(trust_ca)
            if is_url(ledger_at) or vault is not None:
                _remember(root, ledger_at if is_url(ledger_at) else None, vault)
        except BaseException:
            ws.close()
            _remove_new_workspace(root, fresh)
            raise
        return ws

    def set_ca_root(self, ca: x509.Certificate) -> None:
        """Make an agency CA certificate the workspace's root."""
        try:
            bc = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            bc = None
        if bc is None or not bc.ca:
            raise UsageError(
                "the --trust-ca certificate is not a CA certificate (basicConstraints)"
            )
        with self.ledger.atomic(exclusive=True):
            set_anchor(self.ledger, "ca", ca)

    def adopt_authority(self, authority: AuthoritySetup) -> tuple[KeyRecord, int]:
        """Give a workspace made before trust roots an authority root; enrol its existing keys.

        Each existing certificate gets an enrolment record with the reason "adopted": the
        authority vouches, at adoption time, for keys that signed before it existed. Returns
        the authority's record and how many certificates it enrolled.
        """
        if load_state(self.ledger).anchor is not None or (
            self.ledger.version >= 2 and self.ledger.rows("SELECT 1 FROM trust_anchor")
        ):
            raise UsageError(f"{self.root}: this workspace already has a trust root")
        identity, passphrase = authority.check()
        existing = self.keys.certificates()
        with self.ledger.atomic():
            self.ledger.upgrade()
        record = self.keys.create_key(identity, passphrase, anchor=True)
        signer = self.keys.unlock(record, passphrase)
        with self.ledger.atomic(exclusive=True):  # the records form one chain
            for cert in existing.values():
                enrol_certificate(self.keys, signer, cert, reason="adopted")
        return record, len(existing)

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        ledger: str | None = None,
        vault: Path | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> Workspace:
        """Open an existing workspace (a workstation of a server ledger gets its key folder).

        busy_timeout_ms: how long a writer waits for another one before giving up. Without
        ledger or vault, those recorded in the folder at init (workspace.json) are used."""
        remembered_ledger, remembered_vault = remembered(root)
        ledger = ledger or remembered_ledger
        vault = vault or remembered_vault
        ledger_at = _ledger_location(root, ledger)
        if is_url(ledger_at) and not root.exists():
            # A workstation's folder holds its private keys: owner-only, whatever the umask.
            private_umask()
            try:
                make_private_dir(root)
                make_private_dir(root / "keys")
            except OSError as exc:
                raise OperationalError(f"{root}: cannot create ({exc.strerror})") from None
        if not root.is_dir():
            raise OperationalError(
                f"{root}: no workspace here", "run `custody init` or pass --workspace DIR"
            )
        if vault is not None and not (vault / "sha256").is_dir():
            raise OperationalError(
                f"{vault}: not a custody vault", "check --vault / $CUSTODY_VAULT, or its mount"
            )
        private_umask()
        opened = open_ledger(ledger_at, busy_timeout_ms)
        store = Vault(vault or root / "vault")
        return cls(
            root,
            opened,
            store,
            TrustedKeyStore(opened, root / "keys"),
            _checkpoint_dir(root, vault),
        )

    def close(self) -> None:
        """Close the ledger and stop the hashing threads."""
        self.ledger.close()
        self.vault.hasher.close()


LOCATIONS = "workspace.json"


def without_password(url: str) -> str:
    """A ledger URL with any password taken out (libpq finds it in ~/.pgpass or $PGPASSWORD)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    # Only the userinfo changes: the host part stays as written (a socket path in brackets).
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


def _remember(root: Path, ledger: str | None, vault: Path | None) -> None:
    """Record where this workspace's ledger and vault are, so later commands find them without
    --ledger/--vault or their variables; never a password."""
    data = {
        "ledger": None if ledger is None else without_password(ledger),
        "vault": None if vault is None else str(vault.absolute()),
    }
    write_private(root / LOCATIONS, (json.dumps(data, indent=2) + "\n").encode())


def remembered(root: Path) -> tuple[str | None, Path | None]:
    """The ledger URL and vault folder recorded at init (None, None: the folder holds both)."""
    try:
        data = json.loads((root / LOCATIONS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        raise OperationalError(f"{root / LOCATIONS}: unreadable ({exc})") from None
    ledger, vault = data.get("ledger"), data.get("vault")
    return (
        ledger if isinstance(ledger, str) and ledger else None,
        Path(vault) if isinstance(vault, str) and vault else None,
    )


def _ledger_location(root: Path, ledger: str | None) -> str:
    return ledger if ledger else str(root / "ledger.db")


def _checkpoint_dir(root: Path, vault: Path | None) -> Path:
    # With a shared vault, checkpoints are shared too: each workstation's audit compares the
    # server's checkpoint rows with the same files.
    return vault / "checkpoints" if vault is not None else root / "checkpoints"


def _remove_new_workspace(root: Path, fresh: bool) -> None:
    # A workspace without the root it was meant to have must not be left behind.
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
        return
    for name in ("keys", "checkpoints", "vault"):
        shutil.rmtree(root / name, ignore_errors=True)
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        (root / name).unlink(missing_ok=True)
