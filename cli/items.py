"""`custody item ...`."""

from __future__ import annotations

import json

import click

from evidence.cases import get_case
from evidence.items import get_item, list_items
from evidence.profiles import EVIDENCE_TYPES

from .common import AppContext, as_option, json_option, pass_app, unlock
from .output import emit_json, fields, note, printable, table


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
        ("file modified", (it.original_times or {}).get("mtime") or "not recorded"),
        ("file created", (it.original_times or {}).get("birthtime") or "not recorded"),
    ]
    if it.analysis is not None:
        a = it.analysis
        pairs.append(
            ("profiled by", f"event #{a['seq']} ({a['action']}), parser version "
             f"{a['parser_version']}, {a['at']}, {a['by']}; type {a['type_source']}")
        )  # fmt: skip
    else:
        version = (it.profile or {}).get("profile_version")
        pairs.append(("profiled by", f"the ingest event, parser version {version}"))
    pairs += [(name, value) for name, value in it.digests.to_json().items()]
    click.echo(fields(pairs))
    if it.profile:
        click.echo("profile:")
        text = json.dumps(it.profile, ensure_ascii=False, indent=2)
        click.echo("\n".join(printable(line) for line in text.splitlines()))
    click.echo(f"metadata: {len(it.metadata)} tags (--json to see them)")


@item_group.command("retype")
@click.argument("item")
@click.argument("evidence_type", metavar="TYPE", type=click.Choice(EVIDENCE_TYPES))
@click.option("--reason", required=True, help="Why the type is corrected (goes into the event).")
@as_option
@json_option
@pass_app
def item_retype(
    app: AppContext, item: str, evidence_type: str, reason: str, as_key: str | None, as_json: bool
) -> None:
    """Correct an item's evidence type: a signed `retyped` event with the reason.

    The profile is rebuilt by today's parsers under the new type. The earlier type stays in the
    chain; `item show`, `identifiers`, bundles and reports use the latest.

    \b
    Example:
      custody item retype 3f2a9c photo --reason "camera original, not a screenshot" \\
          --as "A. Ivanov"
    """
    from evidence.analysis import retype  # the parsers load only for this command

    ws = app.open()
    signer = unlock(ws, as_key)
    before, event = retype(ws, signer, item, evidence_type, reason)
    if as_json:
        emit_json(
            {
                "item_id": before.item_id,
                "previous_type": before.evidence_type,
                "evidence_type": evidence_type,
                "seq": event.body["seq"],
                "parser_version": event.body["details"]["parser_version"],
            }
        )
        return
    note(
        f"item {before.item_id}: {before.evidence_type} -> {evidence_type} "
        f"(signed `retyped` event #{event.body['seq']})"
    )
