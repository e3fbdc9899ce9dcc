"""`custody report`: the printable custody report of a case, or its JSON/CSV twin."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evidence.errors import VerificationError
from evidence.items import split_refs
from evidence.messages import LANGUAGES
from evidence.report.locale import make_locale
from evidence.report.model import FAILED
from evidence.report.produce import (
    FORMATS,
    custody_report,
    format_for,
    preparer_of,
    render,
    signed_pdf,
    write_file,
)

from .common import AppContext, as_option, pass_app, quiet_option, unlock
from .output import ProgressBar, note
from .timestamp import tsa_option, tsa_url


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
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", help="Language: en or ru.")
@click.option(
    "--tz",
    metavar="ZONE",
    help="Print times in this zone (Europe/Minsk, +03:00) with UTC beside "
    "(default: this computer's offset).",
)
@click.option(
    "--strict", is_flag=True, help="Exit 1 when the verdict is FAILED (file still written)."
)
@as_option
@tsa_option
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
    lang: str,
    tz: str | None,
    strict: bool,
    as_key: str | None,
    tsa: str | None,
    quiet: bool,
) -> None:
    """Write the custody report of CASE: verdict, items, every custody event, signers.

    The ledger is audited first and the verdict printed up front; the report is written
    even when the audit finds problems (it lists them), so the exit code is 0 once the file
    exists (--strict: 1 when the verdict is FAILED). --as names the person producing the
    report; a PDF is then signed with that key (PAdES; B-T with a timestamp when a TSA is
    given by --tsa or $CUSTODY_TSA_URL) and the passphrase is asked for.

    \b
    Examples:
      custody report BY-2026-0042 -o custody-report.pdf --fixity
      custody report BY-2026-0042 -o report.pdf --lang ru --tz Europe/Minsk --as "Evidence Room"
      custody report BY-2026-0042 --items 3f2a9c,7b1e04 -o part.pdf
      custody report BY-2026-0042 --format csv -o events.csv
      custody report BY-2026-0042 --format json -o - | jq .verdict
    """
    locale = make_locale(lang, tz)
    url = tsa_url(tsa)
    ws = app.open()
    kind = format_for(output, fmt)
    generated_by = signer = preparer = None
    if as_key:
        record = ws.keys.resolve(as_key)
        generated_by = f"{record.name} ({record.organisation})"
        if kind == "pdf":
            signer = unlock(ws, as_key)
            preparer = preparer_of(signer)
    chosen = split_refs(items)
    data = custody_report(
        ws,
        case,
        item_ids=chosen or None,
        fixity=fixity,
        checkpoint_file=checkpoint_file,
        generated_by=generated_by,
        reporter=ProgressBar(enabled=not quiet),
        locale=locale,
        preparer=preparer,
        signed=signer is not None,
    )
    content = render(data, kind)
    if kind == "pdf":
        content = signed_pdf(content, signer, url, f"Chain of custody report, case {case}")
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        _strict(strict, data.verdict.word)
        return
    target = output or Path(f"custody-report-{case.replace('/', '_')}.{kind}")
    write_file(target, content)
    if not quiet:
        signed = f", signed by {signer.record.name}" if signer is not None else ""
        note(
            f"custody: wrote {target} ({kind}, {len(data.items)} item(s), "
            f"{data.event_count} event(s), verdict {data.verdict.word}{signed})"
        )
    _strict(strict, data.verdict.word)


def _strict(strict: bool, word: str) -> None:
    if strict and word == FAILED:
        raise VerificationError(f"verdict {word} (--strict); the report lists every finding", [])
