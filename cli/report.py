"""`custody report`: the printable custody report of a case, or its JSON/CSV twin."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evidence.report.produce import FORMATS, custody_report, format_for, render, write_file

from .common import AppContext, as_option, pass_app, quiet_option
from .output import ProgressBar, note


@click.command("report")
@click.argument("case")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: custody-report-CASE.pdf; '-' for stdout).",
)
@click.option(
    "--items",
    "items",
    multiple=True,
    metavar="ITEM",
    help="Only these items (id or prefix; repeat or separate with commas).",
)
@click.option("--fixity", is_flag=True, help="Also re-hash every vault file of the case.")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check against a checkpoint file kept elsewhere.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="pdf, json or csv (default: from the file name, else pdf).",
)
@as_option
@quiet_option
@pass_app
def report_command(
    app: AppContext,
    case: str,
    output: Path | None,
    items: tuple[str, ...],
    fixity: bool,
    checkpoint_file: Path | None,
    fmt: str | None,
    as_key: str | None,
    quiet: bool,
) -> None:
    """Write the custody report of CASE: verdict, items, every custody event, signers.

    The ledger is audited first and the verdict printed up front; the report is written
    even when the audit finds problems (it lists them), so the exit code is 0 once the file
    exists. --as names the person producing the report (no passphrase: nothing is signed).

    \b
    Examples:
      custody report BY-2026-0042 -o custody-report.pdf --fixity
      custody report BY-2026-0042 --items 3f2a9c,7b1e04 -o part.pdf
      custody report BY-2026-0042 --format csv -o events.csv
      custody report BY-2026-0042 --format json -o - | jq .verdict
    """
    ws = app.open()
    generated_by = None
    if as_key:
        record = ws.keys.resolve(as_key)
        generated_by = f"{record.name} ({record.organisation}, key {record.fingerprint[:16]})"
    chosen = [ref.strip() for value in items for ref in value.split(",") if ref.strip()]
    kind = format_for(output, fmt)
    data = custody_report(
        ws,
        case,
        item_ids=chosen or None,
        fixity=fixity,
        checkpoint_file=checkpoint_file,
        generated_by=generated_by,
        reporter=ProgressBar(enabled=not quiet),
    )
    content = render(data, kind)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    target = output or Path(f"custody-report-{case.replace('/', '_')}.{kind}")
    write_file(target, content)
    if not quiet:
        note(
            f"custody: wrote {target} ({kind}, {len(data.items)} item(s), "
            f"{data.event_count} event(s), verdict {data.verdict.word})"
        )
