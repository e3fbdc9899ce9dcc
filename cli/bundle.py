"""`custody bundle` and `custody verify`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from cryptography import x509

from evidence.bundle.build import available_cover, build_bundle
from evidence.bundle.manifest import MlaRequest
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.bundle.verifytext import colon_fingerprint
from evidence.errors import InputRejected, OperationalError, VerificationError
from evidence.hashing import hash_file
from evidence.timestamp import load_trust, tsa_url

from .common import AppContext, as_option, json_option, pass_app, quiet_option, unlock
from .output import ProgressBar, emit_json, fields, note, table
from .timestamp import sign_as, tsa_option, tsa_trust_option

EXIT_SIGNER_UNVERIFIED = 4


@click.command("bundle")
@click.argument("case")
@as_option
@click.option(
    "--items",
    "item_refs",
    multiple=True,
    metavar="ITEM",
    help="Only these items (repeatable); default: every item of the case.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip to write, e.g. request-0042.zip.",
)
@click.option("--request-ref", required=True, help="Reference number of the MLA request.")
@click.option("--legal-basis", required=True, help='Treaty or basis, e.g. "Minsk Convention 1993".')
@click.option("--requesting-authority", required=True, help="Authority that sends the request.")
@click.option("--requested-state", required=True, help="Two-letter code of the requested state.")
@click.option("--addressee", required=True, help="Authority the request is addressed to.")
@click.option(
    "--request-date", metavar="YYYY-MM-DD", help="Date of the request (default: today, UTC)."
)
@json_option
@tsa_option
@quiet_option
@pass_app
def bundle_command(
    app: AppContext,
    case: str,
    as_key: str | None,
    item_refs: tuple[str, ...],
    output: Path,
    request_ref: str,
    legal_basis: str,
    requesting_authority: str,
    requested_state: str,
    addressee: str,
    request_date: str | None,
    as_json: bool,
    tsa: str | None,
    quiet: bool,
) -> None:
    """Export a case's evidence as a signed bundle for a mutual legal assistance request.

    Audits the case first and re-hashes every vault copy: a ledger or vault that fails
    exports nothing (exit 1). Then records a signed `exported` event on every included
    item, and writes one zip: a BagIt
    bag with the files, manifest.json (case, request, digests, metadata and every item's full
    custody chain), its CMS signature manifest.json.p7s, signer.pem, a cover sheet and
    VERIFY.txt telling the recipient how to check it with `custody verify` or with openssl and
    sha256sum alone. Give the recipient your certificate fingerprint by another channel.
    With a TSA (--tsa or $CUSTODY_TSA_URL) the signature carries an RFC 3161 token (CAdES-T).

    \b
    Example:
      custody bundle BY-2026-0042 --as prosecutor -o request-0042.zip \\
          --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \\
          --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \\
          --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
    """
    from evidence.report.produce import signing_cover  # reportlab: not for `verify`

    url = tsa_url(tsa)
    ws = app.open()
    signer = unlock(ws, as_key)
    request = MlaRequest(
        reference=request_ref,
        legal_basis=legal_basis,
        requesting_authority=requesting_authority,
        requested_state=requested_state.upper(),
        addressee=addressee,
        date=request_date or datetime.now(UTC).strftime("%Y-%m-%d"),
    )
    result = build_bundle(
        ws,
        signer,
        case,
        output,
        request,
        item_refs=list(item_refs) or None,
        cover=signing_cover(available_cover(), signer, url),
        reporter=ProgressBar(enabled=not (quiet or as_json)),
        tsa=url,
    )
    if as_json:
        emit_json(result.to_json())
        return
    rows = [(i.item_id, i.size, i.path) for i in result.items]
    click.echo(table(["ITEM", "SIZE", "FILE IN BUNDLE"], rows))
    click.echo(
        fields(
            [
                ("bundle", result.path),
                ("size", result.size),
                ("manifest sha256", result.manifest_sha256),
                ("signer fingerprint", result.signer_fingerprint),
            ]
        )
    )
    if not quiet:
        note("give the recipient the signer fingerprint by letter or phone, not with the bundle")


def _load_trust(paths: tuple[Path, ...]) -> list[x509.Certificate]:
    certs = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OperationalError(f"{path}: cannot read ({exc.strerror})") from None
        try:
            if b"-----BEGIN" in data:
                certs += x509.load_pem_x509_certificates(data)
            else:
                certs.append(x509.load_der_x509_certificate(data))
        except ValueError:
            raise InputRejected(f"{path}: not an X.509 certificate (PEM or DER)") from None
    return certs


def _printable(text: str) -> str:
    # Names inside a bundle are hostile: a newline or escape sequence must not reach the terminal.
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _render(result: VerifyResult) -> None:
    rows = [
        (c.status.upper(), c.name, _printable(c.subject), _printable(c.message))
        for c in result.checks
    ]
    click.echo(table(["RESULT", "CHECK", "SUBJECT", "DETAIL"], rows))
    if result.items:
        click.echo()
        item_rows = [
            (
                v.item_id,
                _printable(v.file),
                "ok" if v.digests_ok else "FAILED",
                "ok" if v.chain_ok else "FAILED",
                v.events,
                _printable(v.last_custodian or "-"),
            )
            for v in result.items
        ]
        click.echo(
            table(["ITEM", "FILE", "DIGESTS", "CHAIN", "EVENTS", "LAST CUSTODIAN"], item_rows)
        )
    if result.signer is not None:
        click.echo()
        click.echo(
            fields(
                [
                    ("signer", result.signer.subject),
                    ("fingerprint", result.signer.fingerprint),
                    ("as openssl prints it", colon_fingerprint(result.signer.fingerprint)),
                    ("identity", result.signer.basis),
                ]
            )
        )


@click.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option(
    "--trust",
    "trust_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CERT.pem",
    help="Certificate (or agency CA) you trust for the signer; repeatable.",
)
@click.option(
    "--fingerprint",
    "fingerprints",
    multiple=True,
    metavar="SHA256",
    help="Signer certificate fingerprint you received out of band; repeatable.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.pdf",
    help="Also write the verification report (PDF), whatever the verdict.",
)
@click.option(
    "--as",
    "as_key",
    metavar="KEY",
    help="Sign the --report PDF (PAdES) with this key of your workspace.",
)
@tsa_trust_option
@json_option
@quiet_option
def verify_command(
    bundle: Path,
    trust_paths: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    report_path: Path | None,
    as_key: str | None,
    tsa_trust: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Verify a bundle (zip or unzipped folder); needs no workspace.

    Checks and lists every one of: the zip's safety, the BagIt structure, completeness and
    Payload-Oxum, every payload and tag file digest, the CMS signature over manifest.json,
    the signer certificate (validity, and identity against --trust or --fingerprint), the
    manifest (canonical JSON, schema), each item's SHA-256 and SHA-512, and every custody
    event's signature, hash, link and order. Nothing stops at the first failure. With
    --tsa-trust, the signature's RFC 3161 token too: its time beside the signer's claim.

    \b
    Exit codes:
      0  everything holds and the signer is the one you trust
      1  verification failed: the bundle was altered, damaged or is hostile
      2  usage error
      3  operational error (file not found, disk full...)
      4  signature valid, signer identity not established: everything holds,
         but no --trust or --fingerprint was given; compare the printed
         fingerprint with the sender's by letter or phone

    \b
    Example:
      custody verify request-0042.zip --fingerprint 3f2a...c9
      custody verify request-0042/ --trust prosecutor-general.pem
      custody verify request-0042.zip --fingerprint 3f2a...c9 --report verification.pdf
    """
    trust = _load_trust(trust_paths)
    tsa_roots = load_trust(tsa_trust) if tsa_trust is not None else None
    reporter = ProgressBar(enabled=not (quiet or as_json))
    result = verify_bundle(
        bundle, trust=trust, fingerprints=fingerprints, reporter=reporter, tsa_trust=tsa_roots
    )
    if as_json:
        emit_json(result.to_json())
    else:
        _render(result)
    if report_path is not None:
        # Imported here: reportlab costs a verify without --report a third of a second.
        from evidence.report.produce import write_file
        from evidence.report.verification import render_verification_report

        # The digest of the file as received; a folder has none, so its manifest's stands in.
        digest = hash_file(bundle).sha256 if bundle.is_file() else result.manifest_sha256 or ""
        pdf = render_verification_report(result, digest)
        write_file(report_path, sign_as(as_key, pdf, f"Verification report of {bundle.name}"))
        if not quiet:
            note(f"verification report written: {report_path}")
    status = result.status
    if status == "failed":
        raise VerificationError(f"{bundle}: verification FAILED", result.findings)
    if status == "signer-unverified":
        if not quiet:
            fp = result.signer.fingerprint if result.signer else "?"
            note(
                f"{bundle}: intact and validly signed, but the signer is NOT ESTABLISHED: "
                f"compare fingerprint {fp} with the sender's by letter or phone (exit 4)"
            )
        raise click.exceptions.Exit(EXIT_SIGNER_UNVERIFIED)
    if not quiet:
        signer = result.signer.subject if result.signer else "?"
        note(f"{bundle}: verified: intact, signed by {signer}")


# Registered by cli/main.py as one entry.
BUNDLE_COMMANDS = (bundle_command, verify_command)
