"""`custody witness`: run another agency's C2SP tlog-witness that cosigns a ledger's checkpoints."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.errors import InputRejected, UsageError
from evidence.tlog.signedhead import SignedHead

from .common import json_option, read_passphrase
from .output import emit_json, note, table

if TYPE_CHECKING:
    # Imported where used: `custody audit`, `checkpoint`, `event` and `verify` take this
    # module's options, and the witness's HTTP client and server (urllib, http.server, ssl)
    # cost them a tenth of a second. The cosignature check (Ed25519) too, for `event`.
    from evidence.tlog.cosignature import CosignatureVerifier
    from evidence.witness import WitnessStore

WITNESS_URL_ENV = "CUSTODY_WITNESS_URL"


def witness_urls(given: tuple[str, ...]) -> list[str]:
    """--witness URLs, else those in $CUSTODY_WITNESS_URL (separated by spaces)."""
    return list(given) or os.environ.get(WITNESS_URL_ENV, "").split()


def witness_keys(values: tuple[str, ...]) -> list[CosignatureVerifier]:
    """--witness-key values as verifiers; a malformed one is a usage error (exit 2)."""
    from evidence.tlog.cosignature import CosignatureVerifier

    try:
        return [CosignatureVerifier.from_vkey(v) for v in values]
    except InputRejected as exc:
        raise UsageError(f"--witness-key: {exc.message}") from None


WITNESS_PASSPHRASE_ENV = "CUSTODY_WITNESS_PASSPHRASE"
passphrase_env_option = click.option(
    "--passphrase-env",
    "passphrase_env",
    default=WITNESS_PASSPHRASE_ENV,
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the witness key's passphrase (else it is asked for).",
)


def _open(root: Path, passphrase_env: str) -> WitnessStore:
    """Open the folder, asking for the key's passphrase only when it is encrypted; an old
    unencrypted key is read with a warning."""
    from evidence.witness import WitnessStore
    from evidence.witness.store import folder_key_encrypted

    passphrase = None
    if folder_key_encrypted(root):
        passphrase = read_passphrase("Witness key passphrase", env_name=passphrase_env)
    store = WitnessStore.open(root, passphrase)
    if store.unencrypted:
        note(
            f"warning: {root / 'witness.key'} is not encrypted (made before witness keys were); "
            "make a new witness folder to encrypt it"
        )
    return store


dir_option = click.option(
    "--dir",
    "root",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's folder (its key, the logs it trusts, its state).",
)


@click.group("witness")
def witness_group() -> None:
    """Run a witness: another agency's server that cosigns checkpoints that extend the last.

    A witness (C2SP tlog-witness) keeps, per ledger, the latest checkpoint it cosigned and
    refuses any that does not extend it (a fork, a rollback, a cut tail): once it cosigned,
    nobody can later present a shorter or different history as the ledger's.

    \b
    custody witness init --name witness.prokuratura.example --dir ./witness \\
        --log "custody/3f9a...+1a2b3c4d+Ag..."      # the ledger's checkpoint key
    custody witness serve --dir ./witness --listen 127.0.0.1:8390
    custody witness show --dir ./witness
    """


@witness_group.command("init")
@click.option("--name", required=True, help="The witness's name (a schema-less URL, no spaces).")
@dir_option
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="VKEY",
    help="A ledger checkpoint key to trust (`custody key show KEY` prints it); repeatable.",
)
@passphrase_env_option
def witness_init(name: str, root: Path, logs: tuple[str, ...], passphrase_env: str) -> None:
    """Make a witness folder with a new Ed25519 key; prints its verifier key.

    Give the printed verifier key to the ledger (`custody audit --witness-key`) and to
    recipients abroad (`custody verify --witness-key`). The key file is encrypted (PKCS#8,
    PBKDF2 as the custody keys) with a passphrase read from the variable --passphrase-env
    names, else asked for; `serve` asks for it once when it starts.
    """
    from evidence.witness import WitnessStore

    passphrase = read_passphrase(
        "New witness key passphrase", confirm=True, env_name=passphrase_env
    )
    store = WitnessStore.init(root, name, list(logs), passphrase)
    click.echo(store.cosigner.vkey)
    note(f"witness {name} in {root}; it trusts {len(store.logs)} ledger key(s)")


@witness_group.command("add-log")
@dir_option
@click.argument("vkey")
@passphrase_env_option
def witness_add_log(root: Path, vkey: str, passphrase_env: str) -> None:
    """Trust one more ledger checkpoint key (a running server sees it at the next request)."""
    store = _open(root, passphrase_env).add_log(vkey)
    note(f"witness {store.cosigner.name} trusts {len(store.logs)} ledger key(s)")


@witness_group.command("serve")
@dir_option
@click.option(
    "--listen",
    default="127.0.0.1:8390",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on.",
)
@passphrase_env_option
def witness_serve(root: Path, listen: str, passphrase_env: str) -> None:
    """Serve POST /add-checkpoint and GET /<sha256(origin)>/checkpoint until interrupted.

    The submission and monitoring prefix are both the server's root URL. A refused request is
    answered with the C2SP status code (404 unknown ledger, 403 bad signature, 409 stale old
    size with the size held, 422 a proof that does not verify: a fork or rollback).
    """
    from evidence.witness import Witness, WitnessServer

    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(f"--listen {listen!r} is not HOST:PORT")
    store = _open(root, passphrase_env)
    try:
        server = WitnessServer(Witness.of(store), host, int(port))
    except OSError as exc:
        raise UsageError(f"--listen {listen}: {exc.strerror or exc}") from None
    note(f"witness {store.cosigner.name} serving on {server.url}")
    click.echo(server.url, nl=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        note("witness stopped")


@witness_group.command("show")
@dir_option
@json_option
@passphrase_env_option
def witness_show(root: Path, as_json: bool, passphrase_env: str) -> None:
    """The witness's verifier key, the ledgers it trusts and the size it last cosigned."""
    store = _open(root, passphrase_env)
    rows = []
    for origin in dict.fromkeys(k.name for k in store.logs):  # one row per log, in order
        latest = store.latest(origin)
        size = SignedHead.parse(latest.text).size if latest is not None else None
        keys = [k.text() for k in store.logs if k.name == origin]
        rows.append({"origin": origin, "keys": keys, "cosigned_size": size})
    if as_json:
        emit_json({"name": store.cosigner.name, "vkey": store.cosigner.vkey, "logs": rows})
        return
    click.echo(f"witness:      {store.cosigner.name}")
    click.echo(f"verifier key: {store.cosigner.vkey}")
    click.echo(
        table(
            ["ledger origin", "cosigned size"],
            [
                [r["origin"], "-" if r["cosigned_size"] is None else r["cosigned_size"]]
                for r in rows
            ],
        )
    )
