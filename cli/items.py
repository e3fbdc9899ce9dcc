"""`custody item ...`."""

from __future__ import annotations

import click

from evidence.cases import get_case
from evidence.items import get_item, list_items

from .common import AppContext, json_option, pass_app
from .output import emit_json, fields, table


@click.group("item")
def item_group() -> None:
    """Evidence items held in the vault."""


@item_group.command("list")
@click.option("--case", "case", help="Only this case's items.")
@json_option
@pass_app
def item_list(app: AppContext, case: str | None, as_json: bool) -> None:
    """List evidence items (of one case with --case), oldest first."""
    ledger = app.open().ledger
    if case is not None:
        get_case(ledger, case)
    items = list_items(ledger, case)
    if as_json:
        emit_json([i.to_json() for i in items])
        return
    rows = [
        (i.item_id, i.case_number, i.evidence_type, i.size, i.sha256[:16], i.original_name)
        for i in items
    ]
    click.echo(table(["ITEM", "CASE", "TYPE", "SIZE", "SHA-256", "NAME"], rows))


@item_group.command("show")
@click.argument("item")
@json_option
@pass_app
def item_show(app: AppContext, item: str, as_json: bool) -> None:
    """Show one item: digests, provenance, metadata summary and content profile."""
    it = get_item(app.open().ledger, item)
    if as_json:
        emit_json(it.to_json())
        return
    pairs: list[tuple[str, object]] = [
        ("item", it.item_id),
        ("case", it.case_number),
        ("original name", it.original_name),
        ("original path", it.original_path),
        ("size", it.size),
        ("media type", it.media_type),
        ("evidence type", it.evidence_type),
        ("source", it.source),
        ("acquired at", it.acquired_at),
        ("method", it.acquisition_method),
        ("ingested at", it.ingested_at),
        ("ingested by", it.ingested_by),
    ]
    pairs += [(name, value) for name, value in it.digests.to_json().items()]
    click.echo(fields(pairs))
    if it.profile:
        click.echo("profile:")
        emit_json(it.profile)  # escapes C1 and bidi controls from the evidence
    click.echo(f"metadata: {len(it.metadata)} tags (--json to see them)")
