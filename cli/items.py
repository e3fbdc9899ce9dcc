"""`custody item list | show | amend | digests`."""

from __future__ import annotations

from datetime import tzinfo

import click

from evidence.cases import get_case
from evidence.corrections import add_legacy_digests, amend_item, current_items, facts_of
from evidence.custody import custody_state, identities
from evidence.events import SignedEvent, item_events
from evidence.excerpt import Commitment
from evidence.items import Item, get_item, list_items
from evidence.keys import KeyRecord
from evidence.profiles import EVIDENCE_TYPES, read_summary
from evidence.seals import seal_states
from evidence.timefmt import format_local, parse_rfc3339, parse_zone

from .common import (
    AppContext,
    CheckedGroup,
    Problems,
    as_option,
    json_option,
    pass_app,
    quiet_option,
    select_items,
    selection_options,
    signer_key,
    tz_option,
    unlock,
    zone,
)
from .output import emit_json, fields, note, printable, table
from .view import actor_label, display_width, human_size, table_width, wrap_columns


@click.group("item", cls=CheckedGroup)
def item_group() -> None:
    """Evidence items held in the vault, and corrections of what was recorded about them."""


WIDE = click.option("--wide", is_flag=True, help="Full lines, whatever the terminal's width.")


@item_group.command("list")
@click.option("--case", "case", help="Only this case's items.")
@WIDE
@json_option
@pass_app
def item_list(app: AppContext, case: str | None, wide: bool, as_json: bool) -> None:
    """List evidence items (of one case with --case), oldest first, with their facts as
    corrected (sizes in bytes with --json).

    The table fits the terminal ($COLUMNS): with --case the CASE column is left out, names
    wrap, and where even that does not fit each item is a headline with its name under it;
    --wide prints every column on one line.
    """
    ledger = app.open().ledger
    if case is not None:
        get_case(ledger, case)
    items = current_items(ledger, list_items(ledger, case))
    if as_json:
        emit_json([i.to_json() for i in items])
        return
    width = table_width(wide)
    if width is None:
        headers = ["ITEM", "CASE", "TYPE", "SIZE", "SHA-256", "NAME"]
        full = [
            (
                i.item_id,
                i.case_number,
                i.evidence_type,
                human_size(i.size),
                i.sha256[:16],
                i.original_name,
            )
            for i in items
        ]
        click.echo(table(headers, full))
        return
    # One case: its number is in the command line, not needed on every row.
    headers = ["ITEM", *([] if case else ["CASE"]), "TYPE", "SIZE", "SHA-256", "NAME"]
    rows: list[tuple[str, ...]] = [
        (
            i.item_id,
            *([] if case else [i.case_number]),
            i.evidence_type,
            human_size(i.size),
            i.sha256[:16],
            i.original_name,
        )
        for i in items
    ]
    text = table(headers, rows, width)
    if max(display_width(line) for line in text.splitlines()) > width:
        text = "\n".join(_item_block(i, width) for i in items)
    click.echo(text)


def _item_block(i: Item, width: int) -> str:
    """One item where a table row does not fit: a headline, its name and digest under it."""
    head = f"{i.item_id}  {i.case_number}  {i.evidence_type}  {human_size(i.size)}"
    lines = wrap_columns(printable(head), width, "", "    ")
    lines += wrap_columns(printable(f"name: {i.original_name}"), width, "    ", "      ")
    lines += wrap_columns(f"sha256: {i.sha256[:16]}", width, "    ", "      ")
    return "\n".join(lines)


@item_group.command("show")
@click.argument("item")
@tz_option
@click.option(
    "--wide",
    is_flag=True,
    help="Full lines, whatever the terminal's width; the record commitment's root in full.",
)
@json_option
@pass_app
def item_show(app: AppContext, item: str, tz: str | None, wide: bool, as_json: bool) -> None:
    """Show one item: digests, provenance as now corrected, the corrections, metadata summary,
    content profile and record commitment (count, rule version, root). Sizes in bytes with
    --json. Long values wrap to the terminal's width ($COLUMNS) under themselves; --wide prints
    each on one line."""
    display = zone(tz)
    width = table_width(wide)
    ws = app.open()
    held = get_item(ws.ledger, item)
    events = item_events(ws.ledger, held.item_id)
    facts = facts_of(held, events)
    it = facts.item
    state = custody_state(events, identities(ws.ledger))
    *_, seal = seal_states([*(e.body for e in events), {}])
    if as_json:
        emit_json(
            {
                **it.to_json(),
                "custody": state.to_json(),
                "seal": seal,
                "acquired_offset": facts.acquired_offset,
                "corrections": [c.to_json() for c in facts.history],
                "read": read_summary(it.profile or {}),  # null: the whole file was read
            }
        )
        return
    names = {r.fingerprint: r.name for r in ws.keys.list()}
    acquired_zone = parse_zone(facts.acquired_offset) if facts.acquired_offset else None
    pairs: list[tuple[str, object]] = [
        ("item", it.item_id),
        ("case", it.case_number),
        ("original name", it.original_name),
        ("original path", it.original_path),
        ("size", f"{human_size(it.size)} ({it.size} bytes)"),
        ("media type", it.media_type),
        ("evidence type", it.evidence_type),
        ("source", it.source),
        ("acquired at", format_local(it.acquired_at, display or acquired_zone, with_utc=True)),
        ("method", it.acquisition_method),
        ("ingested at", format_local(it.ingested_at, display, with_utc=True)),
        ("ingested by", actor_label(names.get(it.ingested_by, "unknown key"), it.ingested_by)),
        (
            "held by",
            _party(state.holder)
            + (f", transfer to {_party(state.pending_to)} pending" if state.pending_to else ""),
        ),
        ("seal", f"under seal {seal}" if seal else "not sealed"),
        ("file modified", _file_time(it, "mtime", display)),
        ("file created", _file_time(it, "birthtime", display)),
    ]
    if it.analysis is not None:
        a = it.analysis
        pairs.append(
            ("profiled by", f"event #{a['seq']} ({a['action']}), parser version "
             f"{a['parser_version']}, {format_local(a['at'], display)}, {a['by']}; "
             f"type {a['type_source']}")
        )  # fmt: skip
    else:
        version = (it.profile or {}).get("profile_version")
        pairs.append(("profiled by", f"the ingest event, parser version {version}"))
    summary = read_summary(it.profile or {})
    if summary is not None:
        pairs.append(("read", summary))  # a partial read or a fallback is said up front
    records = Commitment.from_json((it.analysis or {}).get("records"))
    if records is not None:
        pairs.append(("records", records.summary(wide)))
    pairs += [(name, value) for name, value in it.digests.to_json().items()]
    click.echo(fields(pairs, width))
    if facts.history:
        click.echo("corrections:")
        rows: list[tuple[object, ...]] = [
            (
                c.seq,
                format_local(c.at, display),
                actor_label(c.actor, c.fingerprint),
                c.field,
                _shown(c.field, c.old, display),
                _shown(c.field, c.new, display),
                c.reason,
            )
            for c in facts.history
        ]
        headers = ["#", "WHEN", "BY", "FACT", "FROM", "TO", "WHY"]
        text = table(headers, rows, width)
        if width is not None and max(display_width(x) for x in text.splitlines()) > width:
            # Too many columns for the terminal: each correction as labelled lines.
            blocks = []
            for row in rows:
                pairs = [(h.lower(), v) for h, v in zip(headers[1:], row[1:], strict=True)]
                body = fields(pairs, width - 4).splitlines()
                blocks.append("\n".join([f"#{row[0]}", *("    " + x for x in body)]))
            text = "\n".join(blocks)
        click.echo(text)
    if it.profile:
        click.echo("profile:")
        emit_json(it.profile)  # escapes C1 and bidi controls from the evidence
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


def _file_time(it: Item, which: str, display: tzinfo | None) -> str:
    """The original file's time as recorded at ingest, in the display zone."""
    value = (it.original_times or {}).get(which)
    return format_local(value, display, with_utc=True) if value else "not recorded"


def _party(party: dict[str, str] | None) -> str:
    return actor_label(party["name"], party["fingerprint"]) if party else "nobody"


def _pending(party: dict[str, str] | None) -> str:
    return f", transfer to {_party(party)} pending" if party else ""


def _shown(fact: str, value: str | None, display: tzinfo | None) -> str | None:
    """A corrected value for people: an acquisition time in the display zone, to the second."""
    if fact == "acquired_at" and value:
        return format_local(value, display)
    return value


def _echo_event(event: SignedEvent, what: str, as_json: bool, quiet: bool) -> None:
    if as_json:
        emit_json(event.to_json())
    elif not quiet:
        click.echo(
            f"item {event.body['item_id']}: {what} (event #{event.body['seq']}, {event.hash[:16]})"
        )


@item_group.command("amend")
@click.argument("item")
@click.option("--source", help="Corrected source: device, account, URL.")
@click.option("--acquired-at", help="Corrected seizure time, RFC 3339 with offset.")
@click.option("--method", help="Corrected acquisition method.")
@click.option("--reason", required=True, help="Why the recorded facts are wrong (signed).")
@as_option
@json_option
@quiet_option
@pass_app
def item_amend(
    app: AppContext,
    item: str,
    source: str | None,
    acquired_at: str | None,
    method: str | None,
    reason: str,
    as_key: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Correct an item's source, acquisition time or method with a signed `amended` event.

    Nothing recorded is edited: the correction is appended to the item's chain, and
    `item show`, manifests and reports show the current value beside who corrected it, when
    and why. An acquisition time after the ingest is refused.

    \b
    Example:
      custody item amend 802cadf21848 --acquired-at 2026-11-02T14:30:00+03:00 \\
          --reason "typo in the year; seizure protocol No 17" --as "A. Ivanov"
    """
    ws = app.open()
    problems = Problems()
    if source is None and acquired_at is None and method is None:
        problems.add("nothing to correct", "give --source, --acquired-at and/or --method")
    if not reason.strip():
        problems.add("--reason must say why the facts are corrected")
    if acquired_at is not None:
        with problems.check():
            parse_rfc3339(acquired_at, "--acquired-at")
    with problems.check():
        target = get_item(ws.ledger, item)
    record: KeyRecord | None = None
    with problems.check():
        record = signer_key(ws, as_key)
    problems.raise_any()
    signer = unlock(ws, as_key, record)
    event = amend_item(
        ws.ledger,
        signer,
        target,
        reason=reason,
        source=source,
        acquired_at=acquired_at,
        method=method,
    )
    changed = ", ".join(event.body["details"]["changes"])
    _echo_event(event, f"corrected {changed}", as_json, quiet)


@item_group.command("digests")
@selection_options
@click.option("--legacy", is_flag=True, help="Add MD5 and SHA-1 (required: the only ones to add).")
@as_option
@json_option
@quiet_option
@pass_app
def item_digests(
    app: AppContext,
    items: tuple[str, ...],
    case: str | None,
    all_items: bool,
    legacy: bool,
    as_key: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Add MD5 and SHA-1 to held items, for a recipient whose tools know nothing else.

    Each vault copy is re-read and checked against its SHA-256 and SHA-512 first; the new
    digests are signed in a `digests-added` event. Items that have them already are refused.

    \b
    Example:
      custody item digests 802cadf21848 --legacy --as "A. Ivanov"
      custody item digests --case BY-2026-0042 --all --legacy --as "A. Ivanov"
    """
    ws = app.open()
    problems = Problems()
    if not legacy:
        problems.add("--legacy is required: MD5 and SHA-1 are the only digests to add")
    targets = select_items(ws, items, case, all_items, problems)
    record: KeyRecord | None = None
    with problems.check():
        record = signer_key(ws, as_key)
    problems.raise_any()
    signer = unlock(ws, as_key, record)
    events = [
        add_legacy_digests(ws.ledger, signer, t, ws.vault.path_for(t.sha256), ws.vault.hasher)
        for t in targets
    ]
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    for event in events:
        added = ", ".join(event.body["details"]["digests"])
        _echo_event(event, f"{added} added", as_json, quiet)
