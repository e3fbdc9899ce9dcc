"""`custody ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.errors import OperationalError
from evidence.metadata import start_early
from evidence.profiles import EVIDENCE_TYPES

from .common import (
    AppContext,
    CheckedCommand,
    Problems,
    as_option,
    json_option,
    pass_app,
    quiet_option,
    signer_key,
    unlock_later,
)
from .output import ProgressBar, emit_json, note, printable, table
from .view import human_size

# The ingest itself (the parsers, the ledger, the keys) is imported once exiftool has been
# started (ingest_command), so that exiftool loads meanwhile.
if TYPE_CHECKING:
    from evidence.ingest import IngestReport
    from evidence.keys import KeyRecord
    from evidence.metadata import ExiftoolProcess


@click.command("ingest", cls=CheckedCommand)
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
@click.option("--strict", is_flag=True, help="Refuse (exit 2) an acquisition time in the future.")
@click.option(
    "--dry-run", is_flag=True, help="Show what would be ingested, held or refused; write nothing."
)
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
    strict: bool,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Hash, copy into the vault, and sign the first custody events of files and folders.

    Each file gets a signed `ingested` event (the file: digests, names, source, acquisition,
    original modification time) and a signed `profiled` event (its evidence type and content
    profile, which `custody profile` and `custody item retype` may later supersede).
    Folders are walked recursively; links are not followed. Re-ingesting the same bytes into
    the same case creates nothing new (and says so when the source, time or method given
    differ from the held item's: correct those with `custody item amend`). An acquisition
    time in the future is warned about (refused with --strict). Every option is checked
    before the passphrase is asked for. Exit code 3 if any file was refused.

    \b
    Example:
      custody ingest phone-dump/ chat.txt --case BY-2026-0042 --as "A. Ivanov" \\
          --source "Samsung A51 seized 2026-11-02, IMEI 356938035643809" \\
          --acquired-at 2026-11-02T14:30:00+03:00 --method "UFED 7.6 logical"
      custody ingest phone-dump/ --case BY-2026-0042 --source "..." --dry-run
    """
    # exiftool (Perl) loads while the ingest's modules are imported, the workspace opens, the
    # command line is checked and the files are scanned: the ingest uses this process for its
    # first chunk, and stops it.
    early = None if dry_run else start_early()
    try:
        report = _run(app, paths, case, as_key, source, evidence_type, acquired_at, method,
                      legacy_digests, strict, dry_run, quiet or as_json, early)  # fmt: skip
    except BaseException:
        if early is not None:
            early.stop()  # if the ingest did not begin (it stops what it was given; once)
        raise
    _show(report, as_json=as_json, quiet=quiet, dry_run=dry_run)


def _run(
    app: AppContext,
    paths: tuple[Path, ...],
    case: str,
    as_key: str | None,
    source: str,
    evidence_type: str,
    acquired_at: str | None,
    method: str | None,
    legacy_digests: bool,
    strict: bool,
    dry_run: bool,
    silent: bool,
    early: ExiftoolProcess | None,
) -> IngestReport:
    from evidence.cases import get_case
    from evidence.ingest import IngestOptions, ingest
    from evidence.preview import preview_ingest
    from evidence.scan import check_named

    ws = app.open()
    options = IngestOptions(
        case=case,
        source=source,
        evidence_type=evidence_type,
        acquired_at=acquired_at,
        method=method,
        legacy_digests=legacy_digests,
        strict=strict,
    )
    problems = Problems()
    errors, _ = options.check()
    for error in errors:
        problems.add(error)
    with problems.check():
        get_case(ws.ledger, case)
    for path in paths:
        with problems.check():
            check_named(path)
    record: KeyRecord | None = None
    if not dry_run:
        with problems.check():
            record = signer_key(ws, as_key)
    problems.raise_any()
    bar = ProgressBar(enabled=not silent)
    if dry_run:
        return preview_ingest(ws, list(paths), options, bar)
    signer = unlock_later(ws, as_key, record)  # decrypted while the files are read
    return ingest(ws, signer, list(paths), options, bar, early)


def _show(report: IngestReport, *, as_json: bool, quiet: bool, dry_run: bool) -> None:
    if as_json:
        emit_json({**report.to_json(), "dry_run": dry_run})
    elif not quiet:
        shown = ("new", "ingested", "existing")
        rows: list[tuple[object, ...]] = [
            (o.status, o.item_id, o.evidence_type, o.profile, human_size(o.size or 0), o.path)
            for o in report.outcomes
            if o.status in shown
        ]
        headers = ["STATUS", "ITEM", "TYPE", "PROFILE", "SIZE", "FILE"]
        if not dry_run:
            rows = [r[:3] + r[4:] for r in rows]
            headers.remove("PROFILE")
        if rows:
            click.echo(table(headers, rows))
    # Problems are always named, even with --quiet: an investigator must never believe a
    # whole dump was taken when part of it was not, or that a correction was recorded.
    for warning in report.warnings:
        note(f"warning: {warning}")
    for o in report.outcomes:
        if o.status in ("refused", "skipped"):
            note(f"{o.status}: {printable(o.path)}: {o.reason}")
        elif o.status == "existing" and o.differs:
            note(
                f"held already as item {o.item_id} with another {', '.join(o.differs)}: "
                f"{printable(o.path)}; the held facts are kept, correct them with "
                f"`custody item amend {o.item_id} ... --reason ...`"
            )
    if not (quiet or as_json):
        if dry_run:
            note(
                f"dry run: {report.count('new')} would be ingested, {report.count('existing')} "
                f"already held, {report.count('refused')} refused, {report.count('skipped')} "
                "skipped; nothing was written"
            )
        else:
            note(
                f"{report.count('ingested')} ingested, {report.count('existing')} already held, "
                f"{report.count('refused')} refused, {report.count('skipped')} skipped"
            )
    refused = report.count("refused")
    if refused and not dry_run:
        raise OperationalError(f"{refused} file(s) refused; the others were ingested")
