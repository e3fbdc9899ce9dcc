"""`custody identifiers`: the accounts, phones and wallets a case's evidence mentions."""

from __future__ import annotations

import click

from evidence.cases import get_case
from evidence.identifiers import collect_identifiers, identifiers_csv
from evidence.items import list_items

from .common import AppContext, json_option, pass_app
from .output import emit_csv, emit_json, table


@click.command("identifiers")
@click.option("--case", "case", required=True, help="Case whose items to read.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, for the annex of an MLA request.")
@pass_app
def identifiers_command(app: AppContext, case: str, as_json: bool, as_csv: bool) -> None:
    """List every phone, e-mail, account URL, wallet address and transaction id in a case.

    Normalised (E.164 phones, lower-case e-mails, canonical profile URLs) and de-duplicated,
    each with the items it appears in. Addresses whose checksum fails are kept and marked.

    \b
    Example:
      custody identifiers --case BY-2026-0042 --csv > annex-identifiers.csv
    """
    ledger = app.open().ledger
    get_case(ledger, case)
    rows = collect_identifiers(
        (item.item_id, item.profile) for item in list_items(ledger, case) if item.profile
    )
    if as_json:
        emit_json([r.to_json() for r in rows])
    elif as_csv:
        emit_csv(identifiers_csv(rows))
    else:
        valid = {True: "yes", False: "NO (checksum)", None: ""}
        lines = [(r.kind, r.value, valid[r.valid], ", ".join(r.item_ids)) for r in rows]
        click.echo(table(["KIND", "VALUE", "VALID", "ITEMS"], lines))
