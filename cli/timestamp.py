"""`custody timestamp`: RFC 3161 tokens on checkpoints; and the --tsa options other commands use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.errors import UsageError, VerificationError
from evidence.timefmt import local_or_raw, local_text

from .common import AppContext, json_option, pass_app, tz_option, unlock, zone
from .output import emit_json, note, table
from .view import table_width

F = TypeVar("F", bound=Callable[..., Any])
TSA_URL_ENV = "CUSTODY_TSA_URL"


def tsa_url(option: str | None) -> str | None:
    """The TSA to use: --tsa, else $CUSTODY_TSA_URL, else none (nothing is timestamped)."""
    # The timestamp package (urllib, asyncio, CMS) is imported when a command uses it: the
    # commands that only share these options (event, transfer...) start without it.
    from evidence.timestamp import tsa_url as checked_tsa_url

    return checked_tsa_url(option or os.environ.get(TSA_URL_ENV) or None)


def tsa_option(func: F) -> F:
    """--tsa URL: the RFC 3161 TSA (default $CUSTODY_TSA_URL; none: nothing is timestamped)."""
    return click.option(
        "--tsa",
        "tsa",
        metavar="URL",
        help=f"RFC 3161 time-stamping authority (default: ${TSA_URL_ENV}).",
    )(func)


def tsa_optional_option(func: F) -> F:
    """--tsa-optional: keep going (pending) when the TSA cannot be reached."""
    return click.option(
        "--tsa-optional",
        is_flag=True,
        help="If the TSA is unreachable, record the checkpoint as pending "
        "(`custody timestamp --pending` completes it later).",
    )(func)


def tsa_trust_option(func: F) -> F:
    """--tsa-trust FILE: the CA certificate(s) a TSA must chain to."""
    return click.option(
        "--tsa-trust",
        "tsa_trust",
        type=click.Path(dir_okay=False, path_type=Path),
        help="PEM file of the CA(s) trusted to certify time-stamping authorities.",
    )(func)


def sign_as(as_key: str | None, pdf: bytes, reason: str) -> bytes:
    """A PDF signed with the workspace key --as names (B-T with $CUSTODY_TSA_URL); unchanged
    without --as. For commands that need no workspace otherwise (verify --report)."""
    if not as_key:
        return pdf
    from evidence.report.produce import signed_pdf  # reportlab and pyhanko only when signing

    app = click.get_current_context().find_object(AppContext)
    if app is None:  # the root group always provides one; a bare command has none
        raise UsageError("--as needs a workspace")
    signer = unlock(app.open(), as_key)
    return signed_pdf(pdf, signer, tsa_url(None), reason)


@click.command("timestamp")
@click.option("--pending", is_flag=True, help="Add tokens to checkpoints that have none yet.")
@tsa_option
@tsa_trust_option
@tz_option
@click.option("--wide", is_flag=True, help="Tables at full width, whatever the terminal.")
@json_option
@pass_app
def timestamp_command(
    app: AppContext,
    pending: bool,
    tsa: str | None,
    tsa_trust: Path | None,
    tz: str | None,
    wide: bool,
    as_json: bool,
) -> None:
    """List each checkpoint's RFC 3161 time, or (--pending) add the tokens still missing.

    Each checkpoint signs its token policy: required (fetched as it was made), deferred (the
    TSA was unreachable: --pending adds it, and both times are listed) or none. --pending
    refuses (exit 1) when a required token is missing: a later one cannot replace it.

    Every stored token is checked: its imprint over the checkpoint signature, the TSA's
    signature, its certificate's timestamping EKU and validity at genTime, and with
    --tsa-trust the path to that CA. Exit code 1 if any token fails. Times are shown to the
    second in --tz (default UTC); --json keeps them as stored.

    \b
    Examples:
      custody timestamp
      custody timestamp --pending --tsa http://tsa.agency.local/tsr
      custody timestamp --tsa-trust tsa-ca.pem --json
    """
    from evidence.timestamp import load_trust
    from evidence.timestamp.checkpoints import check_tokens, complete_pending, status

    trust = load_trust(tsa_trust) if tsa_trust is not None else None
    display = zone(tz)
    width = table_width(wide)
    ws = app.open()
    if pending:
        url = tsa_url(tsa)
        if url is None:
            raise UsageError("--pending needs a TSA", f"pass --tsa URL or set ${TSA_URL_ENV}")
        done = complete_pending(ws.ledger, ws.checkpoint_dir, url)
        note(f"custody: {len(done)} pending checkpoint(s) timestamped")
    entries = status(ws.ledger)
    checks = {
        c.subject: c
        for c in check_tokens(ws.ledger, [e.checkpoint for e in entries], ws.checkpoint_dir, trust)
    }
    findings = [f for c in checks.values() for f in c.findings]
    if as_json:
        emit_json(
            {
                "checkpoints": [e.to_json() for e in entries],
                "tokens": [c.to_json() for c in checks.values()],
                "ok": not findings,
            }
        )
    else:
        rows = []
        for e in entries:
            check = checks.get(f"checkpoint #{e.checkpoint.seq} token")
            result = "pending" if check is None else ("ok" if check.ok else "FAILED")
            if e.token is None and e.policy == "required":
                result = "MISSING"
            rows.append(
                (
                    f"#{e.checkpoint.seq}",
                    local_or_raw(e.checkpoint.body.get("created_at"), display, with_utc=True),
                    "-"
                    if e.token is None
                    else local_or_raw(e.token.gen_time_utc, display, with_utc=True),
                    e.policy or "-",
                    result,
                    e.tsa_url or "-",
                )
            )
        headers = ["CHECKPOINT", "SIGNED (CLAIMED)", "GENTIME (TSA)", "POLICY", "TOKEN", "TSA"]
        click.echo(table(headers, rows, width))
        if findings:
            click.echo("")
            click.echo(
                table(
                    ["CHECK", "WHERE", "PROBLEM"],
                    [(f.check, f.subject, local_text(f.message, display)) for f in findings],
                    width,
                )
            )
    if findings:
        raise VerificationError(f"{len(findings)} timestamp problem(s)", [])
