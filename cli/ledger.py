"""`custody ledger copy`: move a ledger between SQLite and PostgreSQL."""

from __future__ import annotations

import click

from evidence.ledger.copy import copy_ledger

from .common import json_option
from .output import emit_json, printable


@click.group("ledger")
def ledger_group() -> None:
    """The ledger itself: copy it between a workspace file and a PostgreSQL server."""


@ledger_group.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@click.option(
    "--grant",
    "grant_to",
    multiple=True,
    metavar="ROLE",
    help="PostgreSQL DST created here: role the workstations connect as (SELECT, INSERT).",
)
@json_option
def ledger_copy(source: str, destination: str, grant_to: tuple[str, ...], as_json: bool) -> None:
    """Copy every row of ledger SRC into a new, empty ledger DST, byte for byte.

    SRC and DST are each a workspace folder (its ledger.db), a ledger.db file, or a
    postgresql:// URL. DST is created (a PostgreSQL DST: the schema is created if the database
    is empty; it must hold no custody rows). Every row is read back from DST and compared with
    SRC before the command reports success; `custody audit` then finds the same on both.
    Checkpoint files are not in the ledger: copy the checkpoints/ folder beside the new vault.

    \b
    Example:
      custody ledger copy ./custody-workspace postgresql://custody_admin@db/custody \\
          --grant custody
      custody ledger copy postgresql://custody@db/custody ./restored/ledger.db
    """
    report = copy_ledger(source, destination, grant_to)
    if as_json:
        emit_json(report.to_json())
        return
    for table, count in report.rows.items():
        click.echo(f"{table}: {count} row(s)")
    click.echo(printable(f"copied {report.source} -> {report.destination}; every row verified"))
