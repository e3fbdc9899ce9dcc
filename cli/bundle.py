"""`custody bundle` and `custody verify`."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click
from cryptography import x509

from evidence.bundle.manifest import MlaRequest
from evidence.bundle.packaging import ALSO, INTACT
from evidence.bundle.signer import parse_fingerprint
from evidence.bundle.verify import VerifyResult, verify_bundle
from evidence.bundle.verifytext import colon_fingerprint
from evidence.errors import InputRejected, OperationalError, UsageError, VerificationError
from evidence.hashing import hash_file
from evidence.items import split_refs
from evidence.keys import fingerprint
from evidence.messages import LANGUAGES
from evidence.timefmt import local_text
from evidence.timestamp import load_trust
from evidence.trust.store import load_state

from .common import (
    ENV_TZ,
    AppContext,
    as_option,
    json_option,
    pass_app,
    quiet_option,
    remember_zone,
    tz_option,
    unlock,
    zone,
)
from .output import ProgressBar, emit_json, fields, note, printable, table
from .timestamp import sign_as, tsa_option, tsa_trust_option, tsa_url
from .view import table_width
from .witness import witness_keys as parse_witness_keys
from .witness import witness_urls

if TYPE_CHECKING:
    from evidence.bundle.build import BundlePlan

EXIT_SIGNER_UNVERIFIED = 4


@click.command("bundle")
@click.argument("case")
@as_option
@click.option(
    "--items",
    "item_refs",
    multiple=True,
    metavar="ITEM",
    help="Only these items (id or prefix; repeat or separate with commas); default: all.",
)
@click.option(
    "--excerpt",
    "excerpt_specs",
    multiple=True,
    metavar="ITEM:RANGES",
    help="Send only these records of ITEM, as recorded by `custody excerpt` (repeatable).",
)
@click.option(
    "--case-jsonld",
    is_flag=True,
    help="Add case.jsonld: the CASE/UCO graph of the items sent in full (a signed tag file).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip to write, e.g. request-0042.zip (required).",
)
@click.option("--request-ref", help="Reference number of the MLA request (required).")
@click.option("--legal-basis", help='Treaty or basis, e.g. "Minsk Convention 1993" (required).')
@click.option("--requesting-authority", help="Authority that sends the request (required).")
@click.option("--requested-state", help="Two-letter code of the requested state (required).")
@click.option("--addressee", help="Authority the request is addressed to (required).")
@click.option(
    "--request-date", metavar="YYYY-MM-DD", help="Date of the request (default: today, UTC)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything and show the items, sizes and audit verdict; sign and write nothing.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    help="Language of the cover sheet; VERIFY.txt gives this language first (default en).",
)
@json_option
@tsa_option
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="URL",
    help="Witness that cosigns the checkpoint the bundle carries (repeatable; default "
    "$CUSTODY_WITNESS_URL).",
)
@tz_option
@quiet_option
@pass_app
def bundle_command(
    app: AppContext,
    case: str,
    as_key: str | None,
    item_refs: tuple[str, ...],
    excerpt_specs: tuple[str, ...],
    case_jsonld: bool,
    output: Path | None,
    request_ref: str | None,
    legal_basis: str | None,
    requesting_authority: str | None,
    requested_state: str | None,
    addressee: str | None,
    request_date: str | None,
    dry_run: bool,
    as_json: bool,
    tsa: str | None,
    witnesses: tuple[str, ...],
    quiet: bool,
    lang: str,
    tz: str | None,  # for the findings of a failed audit (the error line; main.py)
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
    The export events are recorded with a new checkpoint over them (cosigned by --witness),
    which the bundle carries with an inclusion proof of every event, its own export events
    included; a bundle that is then not produced leaves a signed note in each chain saying so.

    Every option is checked, and every problem reported at once (exit 2), before the
    passphrase is asked for. --dry-run stops after the checks and the audit: it shows what
    the bundle would hold, signs nothing and records nothing.

    \b
    Example:
      custody bundle BY-2026-0042 --as prosecutor -o request-0042.zip \\
          --request-ref "No. 12/4-2026" --legal-basis "Minsk Convention 1993" \\
          --requesting-authority "Prosecutor General's Office of the Republic of Belarus" \\
          --requested-state RU --addressee "Prosecutor General's Office of the Russian Federation"
    """
    # Imported here: `custody verify` shares this module and must start hashing without them.
    from evidence.bundle.build import build_bundle, output_problems, plan_bundle
    from evidence.bundle.excerpts import parse_spec

    required = {
        "-o/--output": output,
        "--request-ref": request_ref,
        "--legal-basis": legal_basis,
        "--requesting-authority": requesting_authority,
        "--requested-state": requested_state,
        "--addressee": addressee,
    }
    problems = [f"missing option {name}" for name, value in required.items() if value is None]
    url = tsa_url(tsa)
    request = MlaRequest(
        reference=request_ref or "-",
        legal_basis=legal_basis or "-",
        requesting_authority=requesting_authority or "-",
        requested_state=(requested_state or "XX").upper(),
        addressee=addressee or "-",
        date=request_date or datetime.now(UTC).strftime("%Y-%m-%d"),
    )
    problems += request.problems()
    if output is not None:
        problems += output_problems(output)
    if not as_key and not dry_run:
        problems.append("no signing key given: pass --as NAME or set CUSTODY_KEY")
    for spec in excerpt_specs:
        try:
            parse_spec(spec)
        except UsageError as exc:
            problems.append(exc.message)
    if problems:
        raise UsageError("; ".join(problems), "see `custody bundle --help`")
    assert output is not None
    refs = split_refs(item_refs)
    ws = app.open()
    if dry_run:
        plan = plan_bundle(
            ws, case, output, request, item_refs=refs or None, excerpt_specs=excerpt_specs
        )
        _dry_run(plan, as_json)
        return
    signer = unlock(ws, as_key)
    # reportlab: not for `verify`
    from evidence.report.produce import available_cover, signing_cover
    from evidence.witness.client import cosign_with

    urls = witness_urls(witnesses)

    renderer = available_cover(lang, output.name[:-4])
    result = build_bundle(
        ws,
        signer,
        case,
        output,
        request,
        item_refs=refs or None,
        cover=signing_cover(renderer, signer, url),
        reporter=ProgressBar(enabled=not (quiet or as_json)),
        tsa=url,
        excerpt_specs=excerpt_specs,
        case_jsonld=case_jsonld,
        lang=lang,
        witness=cosign_with(ws.ledger, urls) if urls else None,
    )
    root = load_state(ws.ledger).anchor
    if as_json:
        emit_json({**result.to_json(), "anchor": root.fingerprint if root else None})
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
                ("as openssl prints it", colon_fingerprint(result.signer_fingerprint)),
                ("trust root", root.fingerprint if root else "none (the workspace has no root)"),
                ("as openssl prints it", colon_fingerprint(root.fingerprint) if root else "-"),
            ]
        )
    )
    if not quiet:
        note(
            "give the recipient the signer fingerprint and the trust root by letter or phone, "
            "not with the bundle"
        )


def _dry_run(plan: BundlePlan, as_json: bool) -> None:
    if as_json:
        emit_json(plan.to_json())
    else:
        rows = [(i.item_id, i.size, i.original_name) for i in plan.items]
        rows += [
            (e.item.item_id, len(e.files[e.entry["records_path"]]), f"excerpt: records {e.ranges}")
            for e in plan.excerpts
        ]
        click.echo(table(["ITEM", "SIZE", "FILE"], rows))
        click.echo(
            fields(
                [
                    ("bundle", plan.output),
                    ("items", len(plan.items)),
                    ("payload bytes", sum(i.size for i in plan.items)),
                    ("audit", "passed" if plan.audit_ok else "FAILED"),
                ]
            )
        )
    if not plan.audit_ok:
        raise VerificationError(
            f"case {plan.case.number} fails its audit; a bundle would not be made",
            list(plan.findings),
        )
    note("dry run: nothing was signed, recorded or written")


def _load_trust(paths: tuple[Path, ...]) -> list[x509.Certificate]:
    certs = []
    for path in paths:
        if path.name == "signer.pem" and (path.parent / "manifest.json.p7s").exists():
            raise UsageError(
                f"--trust {path}: this is the bundle's own signer.pem, which travels with the"
                " bundle: whoever could alter the bundle could replace it, so it establishes"
                " nothing",
                "use the certificate or fingerprint the sender gave you by letter or phone",
            )
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


def _render(result: VerifyResult, width: int | None, display: tzinfo | None) -> None:
    rows = [
        (c.status.upper(), c.name, printable(c.subject), printable(local_text(c.message, display)))
        for c in result.checks
    ]
    click.echo(table(["RESULT", "CHECK", "SUBJECT", "DETAIL"], rows, width))
    for excerpt in result.excerpts:
        click.echo(printable(excerpt.summary()))
    if result.items:
        click.echo()
        item_rows = [
            (
                v.item_id,
                printable(v.file),
                "ok" if v.digests_ok else "FAILED",
                "ok" if v.chain_ok else "FAILED",
                v.events,
                printable(v.last_custodian or "-"),
            )
            for v in result.items
        ]
        click.echo(
            table(
                ["ITEM", "FILE", "DIGESTS", "CHAIN", "EVENTS", "LAST CUSTODIAN"], item_rows, width
            )
        )
    if result.irregularities:
        click.echo()
        click.echo(
            table(
                ["ITEM", "EVENT", "IRREGULAR CUSTODY EVENT"],
                [
                    (i.item_id, i.seq, printable(local_text(i.message, display)))
                    for i in result.irregularities
                ],
                width,
            )
        )
    if result.signer is not None:
        click.echo()
        click.echo(
            fields(
                [
                    ("signer", result.signer.name or result.signer.subject),
                    ("certificate subject", result.signer.subject),
                    ("fingerprint", result.signer.fingerprint),
                    ("as openssl prints it", colon_fingerprint(result.signer.fingerprint)),
                    ("identity", result.signer.basis),
                ]
            )
        )


def _same_certificate(
    trust: list[x509.Certificate], paths: tuple[Path, ...], result: VerifyResult
) -> None:
    """Say plainly when --trust names the very certificate the bundle carries: a copy taken
    out of the bundle proves nothing (whoever could alter the bundle could replace it); only a
    certificate that came separately does, or the fingerprint compared with the letter."""
    signer = result.signer
    if signer is None:
        return
    for path, cert in zip(paths, trust, strict=False):
        if fingerprint(cert) == signer.fingerprint and cert.issuer == cert.subject:
            note(
                f"notice: --trust {path} is the bundle's own signer certificate: this proves "
                "nothing unless that file came separately from the bundle (by letter, from the "
                f"sender's site); compare its fingerprint {signer.fingerprint} "
                f"({colon_fingerprint(signer.fingerprint)}) with the one in the covering letter"
            )


def _key_name(as_key: str | None) -> str:
    """The --as key's holder, for "Verified by" (never the login name: not a person)."""
    app = click.get_current_context().find_object(AppContext)
    if not as_key or app is None:
        return ""
    return app.open().keys.resolve(as_key).name


def _warnings(result: VerifyResult, display: tzinfo | None) -> None:
    """What -q still prints: every warning and every irregular custody event, on stderr."""
    for c in result.checks:
        if c.status == "warning":
            note(f"WARNING {c.name} {c.subject}: {local_text(c.message, display)}")
    for i in result.irregularities:
        note(f"IRREGULAR item {i.item_id} event #{i.seq}: {local_text(i.message, display)}")


def _packaging(result: VerifyResult) -> None:
    """Say how the bundle was re-packed (or that it came as a folder), whatever -q says: a
    re-pack is not a forgery, and the reader must know which of the two the verdict is about."""
    if not result.packaging.changed:
        return
    lead = ALSO if result.status == "failed" else INTACT
    note(f"notice: {lead}: {'; '.join(result.packaging.describe())}")


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
    "--anchor",
    metavar="SHA256",
    help="The sender's trust root fingerprint (seizure protocol, request letter): every "
    "custodian in the chains must be established by it.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.pdf",
    help="Also write the verification report (PDF), whatever the verdict.",
)
@click.option(
    "--verifier",
    metavar="NAME",
    help="Who runs the verification, for the report (default: the --as key's name, else "
    "not stated).",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    help="Language of the --report PDF: en or ru.",
)
@click.option(
    "--tz",
    envvar=ENV_TZ,
    callback=remember_zone,
    metavar="ZONE",
    help="Show times in this zone, to the second (Europe/Minsk, +03:00), here and in the "
    "--report PDF, with UTC beside there (default: $CUSTODY_TZ, else UTC; --json keeps "
    "times as recorded).",
)
@click.option(
    "--as",
    "as_key",
    metavar="KEY",
    help="Sign the --report PDF (PAdES) with this key of your workspace.",
)
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    metavar="VKEY",
    help="A witness's verifier key: the bundle's checkpoint must carry its cosignature "
    "(repeatable).",
)
@click.option("--wide", is_flag=True, help="Tables at full width, whatever the terminal.")
@tsa_trust_option
@json_option
@quiet_option
def verify_command(
    bundle: Path,
    trust_paths: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    anchor: str | None,
    report_path: Path | None,
    verifier: str | None,
    as_key: str | None,
    witness_keys: tuple[str, ...],
    tsa_trust: Path | None,
    as_json: bool,
    quiet: bool,
    lang: str,
    tz: str | None,
    wide: bool,
) -> None:
    """Verify a bundle (zip or unzipped folder); needs no workspace.

    Checks and lists every one of: the zip's safety, the BagIt structure, completeness and
    Payload-Oxum, every payload and tag file digest, the CMS signature over manifest.json,
    the signer certificate (validity, and identity against --trust or --fingerprint), the
    manifest (canonical JSON, schema), each item's SHA-256 and SHA-512, and every custody
    event's signature, hash, link and order. Nothing stops at the first failure. With
    --tsa-trust, the signature's RFC 3161 token too: its time beside the signer's claim.
    Check log.inclusion: every custody event is proved (C2SP tlog-proof) in the sender's
    append-only log at the checkpoint the bundle carries; with --witness-key, that checkpoint
    must be cosigned by that witness. Check log.timestamp: that checkpoint's RFC 3161 token
    (imprint, TSA signature, genTime beside its signed time; with --tsa-trust, the TSA's chain).

    A bundle re-packed on the way (zipped again from inside its folder, names in a code page
    such as cp866 from a Windows zipper, or given as the unpacked folder) is checked byte for
    byte like any other; when everything holds, a notice says "packaging changed, contents
    intact" and the exit code is that of the verdict.

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
      custody verify request-0042.zip --fingerprint 3f2a...c9 --anchor 9b1e...07
      custody verify request-0042.zip --fingerprint "sha256 Fingerprint=3F:2A:...:C9"

    --fingerprint takes the fingerprint as you received it: hex with or without colons or
    spaces, in two halves as on the cover sheet, or as `openssl x509 -fingerprint` prints it.
    """
    # Usage problems first, all of them, before any work: a typo is not a failed verification.
    wanted = [parse_fingerprint(f) for f in fingerprints]
    from evidence.report.locale import make_locale  # no reportlab: the zone and language only

    locale = make_locale(lang, tz or "UTC")
    display = zone(tz)
    root = None if anchor is None else parse_fingerprint(anchor, "--anchor")
    trust = _load_trust(trust_paths)
    tsa_roots = load_trust(tsa_trust) if tsa_trust is not None else None
    cosigners = parse_witness_keys(witness_keys)
    reporter = ProgressBar(enabled=not (quiet or as_json))
    result = verify_bundle(
        bundle,
        trust=trust,
        fingerprints=wanted,
        reporter=reporter,
        tsa_trust=tsa_roots,
        anchor=root,
        cosigners=cosigners,
    )
    if as_json:
        emit_json(result.to_json())
    elif not quiet:
        _render(result, table_width(wide), display)
    else:  # -q: the problems only; failures are listed on stderr with the error below
        _warnings(result, display)
    _same_certificate(trust, trust_paths, result)
    if report_path is not None:
        # Imported here: reportlab costs a verify without --report a third of a second.
        from evidence.report.produce import write_file
        from evidence.report.verification import render_verification_report

        # The digest of the file as received; a folder has none, so its manifest's stands in.
        digest = hash_file(bundle).sha256 if bundle.is_file() else result.manifest_sha256 or ""
        used = [f"{f} ({colon_fingerprint(f)})" for f in wanted] + [
            f"{p.name}" for p in trust_paths
        ]
        report = render_verification_report(
            result,
            digest,
            verified_by=verifier or _key_name(as_key),
            verified_with="; ".join(used),
            locale=locale,
        )
        write_file(report_path, sign_as(as_key, report, f"Verification report of {bundle.name}"))
        if not quiet:
            note(f"verification report written: {report_path}")
    # The final status line is printed whatever -q says: it is the verdict.
    status = result.status
    _packaging(result)
    if status == "failed":
        raise VerificationError(f"{bundle}: verification FAILED", result.findings)
    warned = [c for c in result.checks if c.status == "warning"]
    with_warnings = f" (warnings: {len(warned)})" if warned else ""
    repacked = f"; {INTACT}" if result.packaging.changed else ""
    if status == "signer-unverified":
        fp = result.signer.fingerprint if result.signer else "?"
        note(
            f"{bundle}: intact and validly signed, but the signer is NOT ESTABLISHED: "
            f"compare fingerprint {fp} ({colon_fingerprint(fp)}) with the sender's by letter "
            f"or phone (exit 4){repacked}{with_warnings}"
        )
        raise click.exceptions.Exit(EXIT_SIGNER_UNVERIFIED)
    signer = (result.signer.name or result.signer.subject) if result.signer else "?"
    note(f"{bundle}: verified: intact, signed by {signer}{repacked}{with_warnings}")
