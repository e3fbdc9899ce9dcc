"""`custody excerpt`: choose records of a text item to disclose, and sign that choice."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.excerpt.disclose import excerpt_files, open_excerpt, record_excerpt
from evidence.privacy import write_private

from .common import (
    AppContext,
    CheckedCommand,
    Problems,
    as_option,
    json_option,
    pass_app,
    signer_key,
    unlock,
)
from .output import emit_json, note, printable


@click.command("excerpt", cls=CheckedCommand)
@click.argument("item")
@click.option("--records", "ranges", metavar="RANGES", help="Record numbers, e.g. 120-180,212.")
@click.option("--match", metavar="REGEX", help="Records whose text matches (Python regex).")
@click.option(
    "--context", type=click.IntRange(0, 1000), default=0, help="With --match: N records each side."
)
@click.option("--dry-run", is_flag=True, help="Say which records would be disclosed; sign nothing.")
@click.option("--reason", default="", help="Why these records are disclosed (with --as).")
@as_option
@click.option(
    "--output",
    "-o",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="With --as: also write ITEM.records.txt and ITEM.proof.json into this folder.",
)
@json_option
@pass_app
def excerpt_command(
    app: AppContext,
    item: str,
    ranges: str | None,
    match: str | None,
    context: int,
    dry_run: bool,
    reason: str,
    as_key: str | None,
    folder: Path | None,
    as_json: bool,
) -> None:
    """Show, or sign, the records of a text item to disclose in an excerpt.

    Records are messages (with their continuation lines) of a chat export (of the chat text
    inside a zipped WhatsApp or Telegram export), rows of a CSV statement, lines of any other
    text file, numbered from 1 in file order (a run without
    --as shows each with its number). Without --as the records are shown; with --as and
    --reason a signed `excerpted`
    event records the choice, which `custody bundle --excerpt ITEM:RANGES` then sends with a
    Merkle proof instead of the whole file.

    \b
    Examples:
      custody excerpt 802cad --match "bc1qar0s|Кулешов" --context 2 --dry-run
      custody excerpt 802cad --records 120-180,212 --reason "messages about 0.4 BTC" \\
          --as "A. Ivanov"
    """
    ws = app.open()
    problems = Problems()
    if (ranges is None) == (match is None):
        problems.add("give either --records RANGES or --match REGEX")
    if context and match is None:
        problems.add("--context goes with --match")
    signing = as_key is not None and not dry_run
    if signing and not reason.strip():
        problems.add("--reason must say why these records are disclosed")
    if folder is not None and not signing:
        problems.add("--output goes with --as (the files carry the signed event)")
    if folder is not None and not folder.is_dir():
        problems.add(f"--output {folder}: no such folder")
    record = None
    if signing:
        with problems.check():
            record = signer_key(ws, as_key)
    problems.raise_any()
    chosen = open_excerpt(ws, item, ranges=ranges, match=match, context=context)
    summary = (
        f"{len(chosen.numbers):,} of {chosen.commitment.count:,} records ({chosen.ranges}) "
        f"of item {chosen.item.item_id} ({chosen.item.original_name})"
    )
    if not signing:
        if as_json:
            emit_json(chosen.to_json())
        elif dry_run:
            click.echo(printable(f"would disclose {summary}"))
        else:
            for number, data in zip(chosen.numbers, chosen.records(), strict=True):
                lines = data.decode("utf-8", "replace").rstrip("\r\n").split("\n")
                click.echo(f"{number:>7}  " + "\n         ".join(printable(x) for x in lines))
        return
    signer = unlock(ws, as_key, record)
    event = record_excerpt(ws, signer, chosen, reason, match=match, context=context)
    if folder is not None:
        for name, data in excerpt_files(chosen, event, signer.record.certificate_pem).items():
            write_private(folder / name, data)
    if as_json:
        emit_json({**chosen.to_json(), "seq": event.body["seq"], "event_hash": event.hash})
    else:
        note(printable(f"custody: excerpt of {summary} recorded as event #{event.body['seq']}"))
