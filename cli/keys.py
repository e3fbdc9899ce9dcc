"""`custody init` and `custody key ...`."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.errors import OperationalError
from evidence.keys import ROLES, name_text
from evidence.workspace import Workspace, locate

from .common import AppContext, json_option, pass_app, read_passphrase, unlock
from .output import emit_json, fields, printable, table


@click.command("init")
@click.option(
    "--ledger", metavar="URL", help="As the root --ledger: the PostgreSQL ledger to create."
)
@click.option("--vault", metavar="DIR", help="As the root --vault: the shared vault folder.")
@click.option(
    "--grant",
    "grant_to",
    multiple=True,
    metavar="ROLE",
    help="PostgreSQL role the workstations connect as: gets SELECT and INSERT only.",
)
@pass_app
def init_command(
    app: AppContext, ledger: str | None, vault: str | None, grant_to: tuple[str, ...]
) -> None:
    """Create a workspace: ledger.db, vault/ and keys/.

    With --ledger URL (run once, by the administrator, as the database owner) it creates the
    ledger's tables and append-only triggers on the PostgreSQL server instead.

    \b
    Example:
      custody init
      custody --workspace /cases/BY-2026-0042 init
      custody init --ledger postgresql://custody_admin@db.agency.local/custody \\
          --vault /mnt/evidence-vault --grant custody
    """
    root = locate(app.workspace_arg)
    ledger = ledger or app.ledger_arg or None
    shared = Path(vault) if vault else app.vault
    ws = Workspace.init(root, ledger=ledger, vault=shared, grant_to=grant_to)
    where = ws.ledger.location
    ws.close()
    click.echo(printable(f"workspace created: {root}"))
    if ledger:
        click.echo(printable(f"ledger created: {where}"))


@click.group("key")
def key_group() -> None:
    """Actors' signing keys (ECDSA P-256) and their certificates."""


@key_group.command("new")
@click.option("--name", required=True, help="Person or office the key belongs to.")
@click.option("--org", "organisation", required=True, help="Organisation.")
@click.option("--country", required=True, help="Two-letter country code, e.g. BY.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Role in the case work.")
@json_option
@pass_app
def key_new(
    app: AppContext, name: str, organisation: str, country: str, role: str, as_json: bool
) -> None:
    """Create a key pair and a self-signed certificate.

    The private key is encrypted with a passphrase read from $CUSTODY_PASSPHRASE or a prompt.

    \b
    Example:
      custody key new --name "A. Ivanov" --org "Investigative Committee" \\
          --country BY --role investigator
    """
    ws = app.open()
    passphrase = read_passphrase(f"New passphrase for {name}", confirm=True)
    record = ws.keys.create(name, organisation, country.upper(), role, passphrase)
    if as_json:
        emit_json(record.to_json())
    else:
        click.echo(f"key created: {record.name} ({record.key_id})")
        click.echo(f"fingerprint: {record.fingerprint}")


@key_group.command("list")
@json_option
@pass_app
def key_list(app: AppContext, as_json: bool) -> None:
    """List the workspace's signing keys with their certificate fingerprints."""
    records = app.open().keys.list()
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    rows = [(r.key_id, r.name, r.role, r.country, r.fingerprint[:16]) for r in records]
    click.echo(table(["KEY ID", "NAME", "ROLE", "COUNTRY", "FINGERPRINT"], rows))


@key_group.command("show")
@click.argument("key")
@json_option
@pass_app
def key_show(app: AppContext, key: str, as_json: bool) -> None:
    """Show one key: identity, certificate fingerprint and validity."""
    record = app.open().keys.resolve(key)
    cert = record.certificate
    if as_json:
        data = record.to_json()
        data["not_before"] = cert.not_valid_before_utc.isoformat()
        data["not_after"] = cert.not_valid_after_utc.isoformat()
        data["issuer"] = name_text(cert.issuer)
        emit_json(data)
        return
    click.echo(
        fields(
            [
                ("key id", record.key_id),
                ("name", record.name),
                ("organisation", record.organisation),
                ("country", record.country),
                ("role", record.role),
                ("fingerprint", record.fingerprint),
                ("issuer", name_text(cert.issuer)),
                (
                    "valid",
                    f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}",
                ),
            ]
        )
    )


@key_group.command("export")
@click.argument("key")
@pass_app
def key_export(app: AppContext, key: str) -> None:
    """Print the key's current certificate (PEM), to hand to others out of band."""
    click.echo(app.open().keys.resolve(key).certificate_pem, nl=False)


@key_group.command("csr")
@click.argument("key")
@pass_app
def key_csr(app: AppContext, key: str) -> None:
    """Print a certificate signing request (PEM) for an agency CA."""
    ws = app.open()
    signer = unlock(ws, key)
    click.echo(ws.keys.csr(signer).decode(), nl=False)


@key_group.command("import-cert")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key", "key", help="Key the certificate was issued for (default: found by its public key)."
)
@json_option
@pass_app
def key_import_cert(app: AppContext, file: Path, key: str | None, as_json: bool) -> None:
    """Attach a certificate issued by a CA for one of our keys (PEM or DER).

    The certificate must carry the key's public key; it becomes the key's current certificate.
    Events signed under the old certificate stay verifiable.
    """
    ws = app.open()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise OperationalError(f"{file}: cannot read ({exc.strerror})") from None
    record = ws.keys.import_certificate_for(data, str(file), key)
    if as_json:
        emit_json(record.to_json())
    else:
        click.echo(f"certificate imported for {record.name}: {record.fingerprint}")
