"""`custody case ...`."""

from __future__ import annotations

import click

from evidence.cases import create_case, get_case, list_cases
from evidence.items import list_items
from evidence.timefmt import format_local

from .common import AppContext, CheckedGroup, json_option, pass_app, quiet_option, tz_option, zone
from .output import emit_json, fields, table


@click.group("case", cls=CheckedGroup)
def case_group() -> None:
    """Cases: the numbers evidence is filed under."""


@case_group.command("new")
@click.argument("number")
@click.option("--title", required=True, help="Short description of the case.")
@click.option("--jurisdiction", required=True, help="ISO 3166-1 alpha-2 country code, e.g. BY.")
@click.option("--legal-basis", default="", help="Legal basis notes (articles, treaties).")
@click.option("--by", "created_by", default="", help="Who opens the case (free text).")
@json_option
@quiet_option
@pass_app
def case_new(
    app: AppContext,
    number: str,
    title: str,
    jurisdiction: str,
    legal_basis: str,
    created_by: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Open a case.

    \b
    Example:
      custody case new BY-2026-0042 --title "VK account takeover, card theft" --jurisdiction BY
    """
    case = create_case(
        app.open().ledger, number, title, jurisdiction.upper(), legal_basis, created_by
    )
    if as_json:
        emit_json(case.to_json())
    elif not quiet:
        click.echo(f"case created: {case.number}")


@case_group.command("list")
@tz_option
@json_option
@pass_app
def case_list(app: AppContext, as_json: bool, tz: str | None) -> None:
    """List the cases in this workspace, oldest first (opened: the date in --tz)."""
    display = zone(tz)
    cases = list_cases(app.open().ledger)
    if as_json:
        emit_json([c.to_json() for c in cases])
        return
    rows = [
        (c.number, c.jurisdiction, format_local(c.created_at, display)[:10], c.title) for c in cases
    ]
    click.echo(table(["CASE", "JURISDICTION", "OPENED", "TITLE"], rows))


@case_group.command("show")
@click.argument("number")
@tz_option
@json_option
@pass_app
def case_show(app: AppContext, number: str, as_json: bool, tz: str | None) -> None:
    """Show a case and how many items it holds."""
    display = zone(tz)
    ledger = app.open().ledger
    case = get_case(ledger, number)
    items = list_items(ledger, number)
    if as_json:
        emit_json({**case.to_json(), "items": len(items), "bytes": sum(i.size for i in items)})
        return
    click.echo(
        fields(
            [
                ("case", case.number),
                ("title", case.title),
                ("jurisdiction", case.jurisdiction),
                ("legal basis", case.legal_basis),
                ("opened", format_local(case.created_at, display)),
                ("items", len(items)),
                ("bytes", sum(i.size for i in items)),
            ]
        )
    )
