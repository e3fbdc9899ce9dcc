"""`custody profile`: today's parsers over evidence already held."""

from __future__ import annotations

import click

from evidence.analysis import reprofile
from evidence.errors import OperationalError

from .common import AppContext, as_option, json_option, pass_app, quiet_option, unlock
from .output import ProgressBar, emit_json, note, printable, table


@click.command("profile")
@click.option("--case", "case", required=True, help="Case whose items are re-profiled.")
@as_option
@json_option
@quiet_option
@pass_app
def profile_command(
    app: AppContext, case: str, as_key: str | None, as_json: bool, quiet: bool
) -> None:
    """Re-run today's parsers on a case's items; sign a `profiled` event where the result changed.

    A type detected at ingest is detected again; a type given with --type or set by
    `custody item retype` is kept and only its profile refreshed. Items whose profile is
    unchanged get no event. Exit code 3 if a vault file is missing.

    \b
    Example:
      custody profile --case BY-2026-0042 --as "A. Ivanov"
    """
    ws = app.open()
    signer = unlock(ws, as_key)
    report = reprofile(ws, signer, case, reporter=ProgressBar(enabled=not (quiet or as_json)))
    if as_json:
        emit_json(report.to_json())
    else:
        rows = [
            (o.status, o.item_id, f"{o.previous_type} -> {o.evidence_type}"
             if o.previous_type != o.evidence_type else o.evidence_type,
             o.previous_version, o.parser_version, printable(o.original_name))
            for o in report.outcomes
            if o.status != "unchanged" or not quiet
        ]  # fmt: skip
        if rows:
            click.echo(table(["STATUS", "ITEM", "TYPE", "FROM V", "V", "NAME"], rows))
        if not quiet:
            note(
                f"{report.count('changed')} re-profiled (signed `profiled` events), "
                f"{report.count('unchanged')} unchanged, {report.count('missing')} missing"
            )
    missing = report.count("missing")
    if missing:
        raise OperationalError(
            f"{missing} item(s) have no vault file; not re-profiled",
            "run `custody audit --fixity`",
        )
