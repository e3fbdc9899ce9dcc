"""`custody ingest`."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.errors import OperationalError
from evidence.ingest import IngestOptions, ingest
from evidence.profiles import EVIDENCE_TYPES

from .common import AppContext, as_option, json_option, pass_app, quiet_option, unlock
from .output import ProgressBar, emit_json, note, printable, table


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "case", required=True, help="Case number the files belong to.")
@as_option
@click.option("--source", required=True, help="Where it came from: device, account, URL.")
@click.option(
    "--type",
    "evidence_type",
    type=click.Choice(("auto", *EVIDENCE_TYPES)),
    default="auto",
    show_default=True,
    help="Evidence type, or detect it from the content.",
)
@click.option("--acquired-at", help="When it was seized, RFC 3339 with offset.")
@click.option("--method", help="How it was acquired (tool, procedure, protocol number).")
@click.option("--legacy-digests", is_flag=True, help="Also compute MD5 and SHA-1.")
@json_option
@quiet_option
@pass_app
def ingest_command(
    app: AppContext,
    paths: tuple[Path, ...],
    case: str,
    as_key: str | None,
    source: str,
    evidence_type: str,
    acquired_at: str | None,
    method: str | None,
    legacy_digests: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Hash, copy into the vault, and sign the first custody events of files and folders.

    Each file gets a signed `ingested` event (the file: digests, names, source, acquisition,
    original modification time) and a signed `profiled` event (its evidence type and content
    profile, which `custody profile` and `custody item retype` may later supersede).
    Folders are walked recursively; links are not followed. Re-ingesting the same bytes into
    the same case creates nothing new. Exit code 3 if any file was refused.

    \b
    Example:
      custody ingest phone-dump/ chat.txt --case BY-2026-0042 --as "A. Ivanov" \\
          --source "Samsung A51 seized 2026-11-02, IMEI 356938035643809" \\
          --acquired-at 2026-11-02T14:30:00+03:00 --method "UFED 7.6 logical"
    """
    ws = app.open()
    signer = unlock(ws, as_key)
    options = IngestOptions(
        case=case,
        source=source,
        evidence_type=evidence_type,
        acquired_at=acquired_at,
        method=method,
        legacy_digests=legacy_digests,
    )
    report = ingest(ws, signer, list(paths), options, ProgressBar(enabled=not (quiet or as_json)))
    if as_json:
        emit_json(report.to_json())
    else:
        rows = [
            (o.status, o.item_id, o.evidence_type, o.size, o.path)
            for o in report.outcomes
            if o.status in ("ingested", "existing")
        ]
        if rows:
            click.echo(table(["STATUS", "ITEM", "TYPE", "SIZE", "FILE"], rows))
    # Files passed over are always named, even with --quiet: an investigator must never
    # believe a whole dump was taken when part of it was not.
    for o in report.outcomes:
        if o.status in ("refused", "skipped"):
            note(f"{o.status}: {printable(o.path)}: {o.reason}")
    if not (quiet or as_json):
        note(
            f"{report.count('ingested')} ingested, {report.count('existing')} already held, "
            f"{report.count('refused')} refused, {report.count('skipped')} skipped"
        )
    refused = report.count("refused")
    if refused:
        raise OperationalError(f"{refused} file(s) refused; the others were ingested")
