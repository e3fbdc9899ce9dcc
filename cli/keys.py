"""`custody init` and `custody key ...`: the trust root, keys, enrolment and revocation."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from cryptography import x509

from evidence.errors import OperationalError, PassphraseError, UsageError
from evidence.keys import (
    ROLES,
    UNSPECIFIED_COUNTRY,
    Identity,
    KeyRecord,
    NewPassphrase,
    Signer,
    load_certificate,
    name_text,
)
from evidence.keystore import KeyStore
from evidence.timefmt import format_local, format_utc, local_or_raw
from evidence.tlog.ledgerlog import workspace_vkey
from evidence.trust.authority import enrol_key, local_authority, revoke_key
from evidence.trust.store import load_state, trust_status, workspace_view
from evidence.workspace import AuthoritySetup, Workspace, locate

from .common import (
    ENV_PASSPHRASE,
    AppContext,
    CheckedCommand,
    CheckedGroup,
    as_option,
    busy_timeout_ms,
    json_option,
    pass_app,
    quiet_option,
    read_passphrase,
    tz_option,
    unlock,
    zone,
)
from .output import emit_json, fields, printable, table

ENV_AUTHORITY_PASSPHRASE = "CUSTODY_AUTHORITY_PASSPHRASE"
DEFAULT_AUTHORITY = "Workspace authority"


def _authority_passphrase(name: str, *, confirm: bool = False) -> str:
    """$CUSTODY_AUTHORITY_PASSPHRASE, else $CUSTODY_PASSPHRASE, else a prompt."""
    env = os.environ.get(ENV_AUTHORITY_PASSPHRASE)
    if env is not None:
        return env
    return read_passphrase(f"Passphrase for the authority {name}", confirm=confirm)


@contextlib.contextmanager
def _authority_errors() -> Iterator[None]:
    """A wrong authority passphrase names the variable the authority's passphrase comes from."""
    try:
        yield
    except PassphraseError as exc:
        raise PassphraseError(
            f"{exc.message} (the authority's key)",
            f"check ${ENV_AUTHORITY_PASSPHRASE} (else $CUSTODY_PASSPHRASE is used) or type it "
            "again",
        ) from None


def _read_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OperationalError(f"{path}: cannot read ({exc.strerror})") from None
    return load_certificate(data, str(path))


@click.command("init", cls=CheckedCommand)
@click.option(
    "--authority",
    metavar="NAME",
    help=f"Create an authority key as the trust root (default: {DEFAULT_AUTHORITY!r}).",
)
@click.option(
    "--trust-ca",
    "trust_ca",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Make an agency CA certificate (PEM or DER) the trust root instead.",
)
@click.option("--org", "organisation", default="", help="Organisation of the authority key.")
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
@click.option(
    "--country",
    default=UNSPECIFIED_COUNTRY,
    help="Country of the authority key (ISO 3166-1 alpha-2; default ZZ, unspecified).",
)
@json_option
@quiet_option
@pass_app
def init_command(
    app: AppContext,
    authority: str | None,
    trust_ca: Path | None,
    organisation: str,
    country: str,
    ledger: str | None,
    vault: str | None,
    grant_to: tuple[str, ...],
    as_json: bool,
    quiet: bool,
) -> None:
    """Create a workspace (ledger.db, vault/, keys/), private to you, with its trust root.

    The root is an authority key made here (--authority NAME), or an agency CA certificate
    (--trust-ca FILE). Only certificates the root vouches for may sign events: enrolled by the
    authority (`custody key new` does it at once on this workstation), or issued by the CA.
    Write the printed anchor fingerprint into the seizure protocol; `custody audit --anchor`
    checks the workspace against it. Run on a workspace made before trust roots, --authority
    adopts a root and enrols its existing keys. For an agency, --ledger creates the schema on a
    PostgreSQL server (as its administrator) and --vault names the shared vault folder.

    With --ledger URL (run once, by the administrator, as the database owner) it creates the
    ledger's tables and append-only triggers on the PostgreSQL server instead.

    \b
    Example:
      custody init --authority "Evidence Room"
      custody --workspace /cases/BY-2026-0042 init --trust-ca agency-ca.pem
      custody init --authority "Evidence Room" \\
          --ledger postgresql://custody_admin@db.agency.local/custody \\
          --vault /mnt/evidence-vault --grant custody
    """
    root = locate(app.workspace_arg)
    if authority is not None and trust_ca is not None:
        raise UsageError("choose one trust root: --authority or --trust-ca, not both")
    ca = None if trust_ca is None else _read_certificate(trust_ca)
    name = authority or DEFAULT_AUTHORITY
    setup = None
    if ca is None:
        # The library checks the identity, then asks for the passphrase: a bad --country is
        # refused before anyone types one.
        setup = AuthoritySetup(
            name, lambda: _authority_passphrase(name, confirm=True), organisation, country.upper()
        )
    ledger = ledger or app.ledger_arg or None
    shared = Path(vault) if vault else app.vault
    adopted = None
    where = None
    if ledger is None and (root / "ledger.db").exists() and setup is not None:
        ws = Workspace.open(root, busy_timeout_ms=busy_timeout_ms())
        try:
            adopted = ws.adopt_authority(setup)[1]
            state = load_state(ws.ledger)
        finally:
            ws.close()
    else:
        ws = Workspace.init(
            root, authority=setup, trust_ca=ca, ledger=ledger, vault=shared, grant_to=grant_to
        )
        state = load_state(ws.ledger)
        where = ws.ledger.location
        ws.close()
    assert state.anchor is not None
    anchor = state.anchor
    if as_json:
        emit_json(
            {
                "workspace": str(root),
                "anchor": {"kind": anchor.kind, "fingerprint": anchor.fingerprint},
                "adopted_certificates": adopted,
            }
        )
        return
    # The anchor is printed even with -q: it is what the seizure protocol must record.
    if not quiet:
        if adopted is None:
            click.echo(printable(f"workspace created: {root}"))
            if ledger:
                click.echo(printable(f"ledger created: {where}"))
        else:
            click.echo(f"trust root adopted: {adopted} existing certificate(s) enrolled")
    what = "authority key" if anchor.kind == "authority" else "agency CA"
    click.echo(f"trust anchor ({what}): {anchor.fingerprint}")
    if not quiet:
        click.echo("write the anchor into the seizure protocol; audit with --anchor to pin it")


@click.group("key", cls=CheckedGroup)
def key_group() -> None:
    """Actors' signing keys (ECDSA P-256) and their certificates."""


@key_group.command("new")
@click.option("--name", required=True, help="Person or office the key belongs to.")
@click.option("--org", "organisation", required=True, help="Organisation.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 country code, e.g. BY.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Role in the case work.")
@click.option(
    "--no-enrol", "no_enrol", is_flag=True, help="Do not enrol it now (`custody key enrol` later)."
)
@json_option
@quiet_option
@pass_app
def key_new(
    app: AppContext,
    name: str,
    organisation: str,
    country: str,
    role: str,
    no_enrol: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Create a key pair and a self-signed certificate; the workspace's authority enrols it.

    The private key is encrypted with a passphrase read from $CUSTODY_PASSPHRASE or a prompt.
    When the authority key is kept in this workspace it enrols the new key at once, unlocked
    with $CUSTODY_AUTHORITY_PASSPHRASE, else $CUSTODY_PASSPHRASE, else a prompt. Under a CA
    root, send `custody key csr` to the CA instead.

    \b
    Example:
      custody key new --name "A. Ivanov" --org "Investigative Committee" \\
          --country BY --role investigator
    """
    ws = app.open()
    # Options first, so a bad --country is refused before the passphrase is asked for.
    identity = Identity(name, organisation, country.upper(), role)
    passphrase = NewPassphrase(read_passphrase(f"New passphrase for {name}", confirm=True))
    authority = None if no_enrol else local_authority(ws.keys)
    authority_passphrase = None if authority is None else _authority_passphrase(authority.name)
    with _authority_errors() if authority is not None else contextlib.nullcontext():
        record = ws.keys.create_key(
            identity,
            passphrase,
            authority_passphrase=authority_passphrase,
            enrol=authority is not None,
        )
    if as_json:
        emit_json(
            {**record.to_json(), "enrolled_by": None if authority is None else authority.name}
        )
    elif not quiet:
        click.echo(f"key created: {record.name} ({record.key_id})")
        click.echo(f"fingerprint: {record.fingerprint}")
        if authority is not None:
            click.echo(printable(f"enrolled by: {authority.name}"))


@key_group.command("list")
@tz_option
@json_option
@pass_app
def key_list(app: AppContext, as_json: bool, tz: str | None) -> None:
    """List the workspace's signing keys: certificate fingerprints and standing with the root.

    TRUST is root, enrolled (or CA-issued), revoked TIME (in --tz; --json: its UTC date), or
    not enrolled (it may sign nothing audit accepts until `custody key enrol`).
    """
    display = zone(tz)
    ws = app.open()
    records = ws.keys.list()
    view = workspace_view(ws.ledger, ws.keys.certificates())
    if as_json:
        status = {r.key_id: trust_status(view, r.fingerprint) for r in records}
        emit_json([{**r.to_json(), "trust": status[r.key_id]} for r in records])
        return
    rows = [
        (
            r.key_id,
            r.name,
            r.role,
            r.country,
            r.fingerprint[:16],
            trust_status(view, r.fingerprint, lambda at: local_or_raw(at, display)),
        )
        for r in records
    ]
    click.echo(table(["KEY ID", "NAME", "ROLE", "COUNTRY", "FINGERPRINT", "TRUST"], rows))


@key_group.command("show")
@click.argument("key")
@tz_option
@json_option
@pass_app
def key_show(app: AppContext, key: str, as_json: bool, tz: str | None) -> None:
    """Show one key: identity, certificate fingerprint, validity, and the C2SP verifier key of
    its checkpoints (give it to a witness: `custody witness add-log --dir D VKEY`).

    KEY is a name or the start of one (`Петрова` finds "Петрова Е."), a key id or a
    fingerprint prefix.
    """
    display = zone(tz)
    ws = app.open()
    record = ws.keys.resolve(key)
    cert = record.certificate
    vkey = workspace_vkey(ws.ledger, cert.public_key())
    if as_json:
        data: dict[str, str | None] = {**record.to_json()}
        data["not_before"] = cert.not_valid_before_utc.isoformat()
        data["not_after"] = cert.not_valid_after_utc.isoformat()
        data["issuer"] = name_text(cert.issuer)
        data["note_key"] = vkey
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
                    f"{format_local(format_utc(cert.not_valid_before_utc), display)} to "
                    f"{format_local(format_utc(cert.not_valid_after_utc), display)}",
                ),
                *([("checkpoint note key", vkey)] if vkey else []),
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
    signer = unlock(ws, key, to_sign=False)  # a CSR is how an unvouched key gets vouched for
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


def _authority(ws: Workspace, as_key: str | None) -> tuple[KeyRecord, str]:
    """The signing authority (--as, else the workspace's own) and its passphrase."""
    record = ws.keys.resolve(as_key) if as_key else local_authority(ws.keys)
    if record is None:
        raise PassphraseError(
            "no authority key in this workspace", "pass --as with the authority's key"
        )
    return record, _authority_passphrase(record.name)


def _by_authority(
    app: AppContext,
    key: str | Path,
    as_key: str | None,
    as_json: bool,
    verb: str,
    act: Callable[[KeyStore, Signer, KeyRecord], list[str]],
) -> None:
    """Unlock the authority, let it act on the key's certificates, say what it did.

    key is a key of this workspace, or the certificate file of one from another workstation,
    filed only once the authority is unlocked.
    """
    ws = app.open()
    cert = _read_certificate(key) if isinstance(key, Path) else None
    record = None if cert is not None else ws.keys.resolve(str(key))
    authority, passphrase = _authority(ws, as_key)
    with _authority_errors():
        signer = ws.keys.unlock(authority, passphrase)
    if cert is not None:
        record = ws.keys.register(cert, str(key))
    assert record is not None
    done = act(ws.keys, signer, record)
    if as_json:
        emit_json({"key": record.to_json(), verb: done, "by": authority.name})
        return
    for fp in done:
        # Names may come from a certificate made elsewhere: never raw on the terminal.
        click.echo(printable(f"{verb}: {record.name} {fp} by {authority.name}"))


@key_group.command("enrol")
@click.argument("key", required=False)
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Certificate (PEM or DER) of a key kept on another workstation, to file and enrol.",
)
@click.option("--reason", default="", help="Why (signed into the record), e.g. the order number.")
@as_option
@json_option
@pass_app
def key_enrol(
    app: AppContext,
    key: str | None,
    cert_file: Path | None,
    reason: str,
    as_key: str | None,
    as_json: bool,
) -> None:
    """The authority vouches for a key: a signed enrolment record; only then may it sign events.

    `custody key new` enrols at once on the authority's workstation; use this for a key made
    with --no-enrol, a certificate imported later, or (--cert) a key from another workstation.

    \b
    Example:
      custody key enrol "A. Ivanov" --as "Evidence Room"
      custody key enrol --cert sidorov.pem --reason "order No. 311"
    """
    if (key is None) == (cert_file is None):
        raise UsageError("name a KEY of this workspace, or give --cert FILE (not both)")
    _by_authority(
        app,
        cert_file or key or "",
        as_key,
        as_json,
        "enrolled",
        lambda ks, by, r: enrol_key(ks, by, r, reason),
    )


@key_group.command("revoke")
@click.argument("key")
@click.option("--reason", required=True, help="Why (signed into the record).")
@as_option
@json_option
@pass_app
def key_revoke(app: AppContext, key: str, reason: str, as_key: str | None, as_json: bool) -> None:
    """The authority revokes a key: anything it signs from now on is an audit finding.

    \b
    Example:
      custody key revoke "A. Ivanov" --reason "left the unit" --as "Evidence Room"
    """
    _by_authority(
        app, key, as_key, as_json, "revoked", lambda ks, by, r: revoke_key(ks, by, r, reason)
    )


@key_group.command("passphrase")
@click.argument("key")
@pass_app
def key_passphrase(app: AppContext, key: str) -> None:
    """Change the passphrase of one key (re-encrypted with the current KDF).

    The old passphrase comes from $CUSTODY_PASSPHRASE or a prompt, the new one from
    $CUSTODY_NEW_PASSPHRASE or a prompt.
    """
    ws = app.open()
    record = ws.keys.resolve(key)
    old = read_passphrase(f"Current passphrase for {record.name}")
    new = os.environ.get("CUSTODY_NEW_PASSPHRASE")
    if new is None:
        try:
            new = click.prompt(
                f"New passphrase for {record.name}",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        except (click.Abort, EOFError):
            raise PassphraseError(
                "no new passphrase given", f"type it, or set {ENV_PASSPHRASE}"
            ) from None
    ws.keys.change_passphrase(record, old, str(new))
    click.echo(printable(f"passphrase changed: {record.name}"))
