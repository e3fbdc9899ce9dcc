"""The excerpt secret and the per-record salts derived from it.

Where: `excerpt-secret` in the vault folder (`vault/` of the workspace, or the agency's shared
`$CUSTODY_VAULT`), owner-only (0600), 32 random bytes written as hex, created on first use.
It sits beside the evidence because whoever reads the vault reads every record anyway, and
every workstation that can make an excerpt needs the same secret; it never leaves the vault
folder, and back it up with the vault.

What it does: salt_i = SHA-256(k || i as 8 bytes, big-endian), k = HMAC-SHA256(secret,
"custody-excerpt-salt/1" || item SHA-256). A recipient gets the salts of the disclosed records
only; without the others an undisclosed record cannot be confirmed by guessing its text.

What its loss means: the signed commitments stay in the chains, but no excerpt can be proved
against them any more (their salts cannot be derived), and `audit --fixity` cannot recompute
them (it says so). `custody profile` then signs new commitments under a new secret for every
text item; excerpts sent earlier stay verifiable, since they carry their own salts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import OperationalError
from ..privacy import write_private

SECRET_NAME = "excerpt-secret"
SALT_SCHEME = "custody-excerpt-salt/1"
_LABEL = SALT_SCHEME.encode()


def secret_path(vault_root: Path) -> Path:
    """Where a vault's excerpt secret lives."""
    return vault_root / SECRET_NAME


def read_secret(vault_root: Path) -> bytes | None:
    """The vault's excerpt secret, or None if it was never made (or is gone)."""
    path = secret_path(vault_root)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationalError(f"{path}: cannot read the excerpt secret ({exc})") from None
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != 32:
        raise OperationalError(
            f"{path}: is not an excerpt secret (64 hex digits)",
            "restore it from the vault's backup; see docs/bundle.md, Excerpts",
        )
    return value


def ensure_secret(vault_root: Path) -> bytes:
    """The vault's excerpt secret, made now if there is none. Two processes making it at once
    agree: the file is linked into place only if absent, and whoever loses reads the winner's."""
    found = read_secret(vault_root)
    if found is not None:
        return found
    fresh = vault_root / f"{SECRET_NAME}-new-{os.getpid()}-{secrets.token_hex(4)}"
    write_private(fresh, secrets.token_bytes(32).hex().encode() + b"\n")
    try:
        os.link(fresh, secret_path(vault_root))
    except FileExistsError:
        pass
    finally:
        fresh.unlink(missing_ok=True)
    made = read_secret(vault_root)
    assert made is not None
    return made


def secret_id(secret: bytes) -> str:
    """A name for the secret, signed with each commitment (it tells nothing of the secret):
    audit can then say a commitment was made under another secret rather than fail to match."""
    return hashlib.sha256(b"custody-excerpt-secret-id/1" + secret).hexdigest()[:16]


def item_key(secret: bytes, item_sha256: str) -> bytes:
    """The salt key of one item: HMAC-SHA256(secret, label || item SHA-256 hex)."""
    return hmac.new(secret, _LABEL + item_sha256.encode(), hashlib.sha256).digest()


def salt(key: bytes, index: int) -> bytes:
    """The salt of record index (0-based) under an item's salt key."""
    return hashlib.sha256(key + index.to_bytes(8, "big")).digest()
