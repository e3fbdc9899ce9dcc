"""Options and plumbing shared by every command: workspace, signer, passphrase, --json."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.errors import PassphraseError, UsageError
from evidence.keys import Signer
from evidence.workspace import Workspace, locate

F = TypeVar("F", bound=Callable[..., Any])

ENV_KEY = "CUSTODY_KEY"
ENV_PASSPHRASE = "CUSTODY_PASSPHRASE"


@dataclass
class AppContext:
    """What the root group knows: where the workspace is."""

    workspace_arg: str | None
    ledger_arg: str | None = None
    vault_arg: str | None = None

    @property
    def vault(self) -> Path | None:
        """The shared vault folder, if one was given."""
        return Path(self.vault_arg) if self.vault_arg else None

    def open(self) -> Workspace:
        """Open the workspace (closed by click when the command ends)."""
        ws = Workspace.open(
            locate(self.workspace_arg), ledger=self.ledger_arg or None, vault=self.vault
        )
        click.get_current_context().call_on_close(ws.close)
        return ws


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    """--json: machine-readable output on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def quiet_option(func: F) -> F:
    """--quiet: no progress bar, no chatter on stderr."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar or notes.")(func)


def as_option(func: F) -> F:
    """--as KEY: the signing actor (name, key id or fingerprint prefix); CUSTODY_KEY default."""
    return click.option(
        "--as",
        "as_key",
        envvar=ENV_KEY,
        metavar="KEY",
        help="Signing key: name, key id or fingerprint prefix (default: $CUSTODY_KEY).",
    )(func)


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """The passphrase from $CUSTODY_PASSPHRASE, else a hidden prompt; never from argv."""
    env = os.environ.get(ENV_PASSPHRASE)
    if env is not None:
        return env
    try:
        value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    except (click.Abort, EOFError):
        raise PassphraseError(
            "no passphrase given", f"type it at the prompt or set {ENV_PASSPHRASE}"
        ) from None
    return value


def unlock(ws: Workspace, as_key: str | None) -> Signer:
    """Resolve --as and decrypt that key with the passphrase."""
    if not as_key:
        raise UsageError("no signing key given", f"pass --as NAME or set {ENV_KEY}")
    record = ws.keys.resolve(as_key)
    return ws.keys.unlock(record, read_passphrase(f"Passphrase for {record.name}"))
