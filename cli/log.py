"""`custody log`: custody timelines for people, fitted to the terminal, or as JSON."""

from __future__ import annotations

from datetime import tzinfo

import click

from evidence.timefmt import format_local, local_text, localise_times
from evidence.timeline import Entry, ItemTimeline, timelines

from .common import (
    AppContext,
    CheckedCommand,
    Problems,
    json_option,
    pass_app,
    quiet_option,
    select_items,
    selection_options,
    tz_option,
    zone,
)
from .output import emit_json, printable, table
from .view import actor_label, display_width, terminal_width, wrap_columns


@click.command("log", cls=CheckedCommand)
@selection_options
@click.option("--wide", is_flag=True, help="Every column at full width, whatever the terminal.")
@tz_option
@json_option
@quiet_option
@pass_app
def log_command(
    app: AppContext,
    items: tuple[str, ...],
    case: str | None,
    all_items: bool,
    wide: bool,
    tz: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Show custody timelines: when, action, who, from -> to, where, why and notes, signature.

    ITEMS are ids, unique id prefixes or comma lists; --case CASE alone shows every item of
    the case. The table fits the terminal (text wraps); --wide shows everything on one line
    per event. Actors are named, with the start of their certificate fingerprint. Marked:
    events by someone who did not hold the item (NOT CUSTODIAN), accesses, analyses or
    copies while the item was under seal (UNDER SEAL), and events dated before what the
    ledger shows came first (BACKDATED). With -q only problems are printed
    (signatures that do not verify, backdated events, transfers not yet received).

    \b
    Example:
      custody log 802cadf21848 --tz +03:00
      custody log --case BY-2026-0042 --wide
    """
    ws = app.open()
    problems = Problems()
    with problems.check():
        display = zone(tz)
    targets = select_items(ws, items, case, all_items or (case is not None and not items), problems)
    problems.raise_any()
    lines = timelines(ws, targets)
    if as_json:
        emit_json([t.to_json() for t in lines])
        return
    if not quiet:
        click.echo(log_table(lines, display, None if wide else terminal_width(), wide))
    for t in lines:
        if quiet:  # the table showed these already
            for e in t.events:
                if not e.signature_ok:
                    click.echo(f"item {t.item.item_id} event #{e.seq}: signature INVALID")
                if e.time_problem:
                    click.echo(
                        printable(
                            f"item {t.item.item_id} event #{e.seq}: BACKDATED "
                            f"({local_text(e.time_problem, display)})"
                        )
                    )
        if t.pending_to:
            click.echo(
                printable(
                    f"item {t.item.item_id}: transfer to {t.pending_to} PENDING (not yet received)"
                )
            )


def log_table(
    lines: list[ItemTimeline], display: tzinfo | None, width: int | None, wide: bool
) -> str:
    """The custody log for people, no wider than width (None: unbounded).

    A table when it fits (or with --wide); else one block per event, its fields wrapped
    under a headline, which reads far better than a table squeezed into narrow columns.
    """
    events = [(t, e, _marks(e)) for t in lines for e in t.events]
    rows = [
        (
            format_local(e.at, display),
            e.item_id if wide else e.item_id[:8],
            e.seq,
            " ".join([e.action, *marks]),
            _who(e),
            f"{e.from_name} -> {e.to_name}" if e.to_name else "",
            e.location,
            " / ".join(part for part in (e.purpose, _change(e, display), e.note) if part),
            "ok" if e.signature_ok else "INVALID",
        )
        for _, e, marks in events
    ]
    headers = ["WHEN", "ITEM", "#", "ACTION", "WHO", "FROM -> TO", "WHERE", "WHY / NOTE", "SIG"]
    text = table(headers, rows)
    if width is not None and max(display_width(line) for line in text.splitlines()) > width:
        text = "\n\n".join(_block(e, marks, display, width) for _, e, marks in events)
    shown = {m.split()[0] for _, _, marks in events for m in marks}
    shown |= {"NOT"} if any(e.out_of_custody for _, e, _ in events) else set()
    shown |= {"UNESTABLISHED"} if any(e.signer_problem for _, e, _ in events) else set()
    legend = [
        line
        for m in sorted(shown)
        if m in LEGEND
        for line in (wrap_columns(LEGEND[m], width, "", "  ") if width else [LEGEND[m]])
    ]
    return "\n".join([text, *([""] if legend else []), *legend])


LEGEND = {
    "UNDER": "UNDER SEAL: accessed, analysed or copied while the item was sealed",
    "NOT": "NOT CUSTODIAN: recorded by someone who did not hold the item then",
    "BACKDATED": "BACKDATED: dated before an event or a checkpoint the ledger shows came first; "
    "`custody audit` names it",
    "UNESTABLISHED": "UNESTABLISHED: signed by a key the trust root did not let sign then "
    "(not enrolled, revoked); `custody audit` names it",
}


def _change(e: Entry, display: tzinfo | None) -> str:
    """What a correction changed, its times in the --tz zone to the second."""
    return localise_times(e.change, lambda at: format_local(at, display))


def _marks(e: Entry) -> list[str]:
    marks = []
    if e.seal:
        marks.append(f"(seal {e.seal})")
    if e.while_sealed:
        marks.append(f"UNDER SEAL {e.while_sealed}")
    if e.time_problem:
        marks.append("BACKDATED")
    return marks


def _who(e: Entry) -> str:
    who = actor_label(e.actor, e.actor_fingerprint)
    if e.signer_problem is not None:
        who += " UNESTABLISHED"
    return f"{who} NOT CUSTODIAN" if e.out_of_custody else who


def _block(e: Entry, marks: list[str], display: tzinfo | None, width: int) -> str:
    sig = "signature ok" if e.signature_ok else "signature INVALID"
    head = (
        f"{format_local(e.at, display)}  {e.item_id[:8]} #{e.seq}  {' '.join([e.action, *marks])}"
    )
    fields = [
        ("by", _who(e)),
        ("moved", f"{e.from_name} -> {e.to_name}" if e.to_name else ""),
        ("where", e.location),
        ("why", e.purpose),
        ("changed", _change(e, display)),
        ("note", e.note),
    ]
    out = wrap_columns(f"{head}  [{sig}]", width, "", "    ")
    for label, value in fields:
        if value:
            out += wrap_columns(printable(f"{label}: {value}"), width, "    ", "      ")
    return "\n".join(out)
