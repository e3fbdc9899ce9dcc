"""`custody event | transfer | receive | log | checkpoint | audit`."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.audit import audit
from evidence.cases import get_case
from evidence.checkpoint import create_checkpoint, file_name
from evidence.custody import append_events, receive, transfer
from evidence.errors import UsageError, VerificationError
from evidence.events import MANUAL_ACTIONS, SignedEvent
from evidence.items import Item, get_item, list_items
from evidence.timeline import timelines
from evidence.workspace import Workspace

from .common import AppContext, as_option, json_option, pass_app, quiet_option, unlock
from .output import ProgressBar, emit_json, note, table

location_option = click.option("--location", default="", help="Where it happens.")
purpose_option = click.option("--purpose", default="", help="Why it happens.")
note_option = click.option("--note", default="", help="Free-text note.")


def _items(ws: Workspace, refs: tuple[str, ...]) -> list[Item]:
    return [get_item(ws.ledger, ref) for ref in refs]


def _echo_events(events: list[SignedEvent], as_json: bool) -> None:
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    rows = [(e.body["item_id"], e.body["seq"], e.body["action"], e.hash[:16]) for e in events]
    click.echo(table(["ITEM", "#", "ACTION", "EVENT HASH"], rows))


@click.command("event")
@click.argument("items", nargs=-1, required=True)
@click.option("--action", required=True, type=click.Choice(MANUAL_ACTIONS), help="What happened.")
@as_option
@location_option
@purpose_option
@note_option
@json_option
@pass_app
def event_command(
    app: AppContext,
    items: tuple[str, ...],
    action: str,
    as_key: str | None,
    location: str,
    purpose: str,
    note: str,
    as_json: bool,
) -> None:
    """Record a signed custody event on items (access, analysis, sealing...).

    Anyone may record an event; one by someone who is not the custodian is marked so in the log.

    \b
    Example:
      custody event 802cadf21848 --action analysed --as "P. Sidorov" \\
          --location "Forensic lab, Minsk" --purpose "EXIF examination"
    """
    ws = app.open()
    targets = _items(ws, items)
    signer = unlock(ws, as_key)
    events = append_events(
        ws.ledger, signer, targets, action, location=location, purpose=purpose, note=note
    )
    _echo_events(events, as_json)


@click.command("transfer")
@click.argument("items", nargs=-1, required=True)
@as_option
@click.option("--to", "to_key", required=True, metavar="KEY", help="Receiving custodian's key.")
@location_option
@purpose_option
@note_option
@json_option
@pass_app
def transfer_command(
    app: AppContext,
    items: tuple[str, ...],
    as_key: str | None,
    to_key: str,
    location: str,
    purpose: str,
    note: str,
    as_json: bool,
) -> None:
    """Hand items over to another custodian (pending until they run `custody receive`).

    \b
    Example:
      custody transfer 802cadf21848 --as "A. Ivanov" --to "Evidence Room" \\
          --location "IC Minsk, room 214" --purpose "storage pending trial"
    """
    ws = app.open()
    targets = _items(ws, items)
    receiver = ws.keys.resolve(to_key)
    signer = unlock(ws, as_key)
    events = transfer(
        ws.ledger, signer, targets, receiver, location=location, purpose=purpose, note=note
    )
    _echo_events(events, as_json)


@click.command("receive")
@click.argument("items", nargs=-1, required=True)
@as_option
@location_option
@note_option
@json_option
@pass_app
def receive_command(
    app: AppContext,
    items: tuple[str, ...],
    as_key: str | None,
    location: str,
    note: str,
    as_json: bool,
) -> None:
    """Acknowledge a pending transfer: custody passes to you."""
    ws = app.open()
    targets = _items(ws, items)
    signer = unlock(ws, as_key)
    _echo_events(receive(ws.ledger, signer, targets, location=location, note=note), as_json)


@click.command("log")
@click.argument("item", required=False)
@click.option("--case", "case", help="Every item of this case.")
@json_option
@pass_app
def log_command(app: AppContext, item: str | None, case: str | None, as_json: bool) -> None:
    """Show custody timelines: when, action, who, from -> to, where, why, signature status."""
    if (item is None) == (case is None):
        raise UsageError("give either ITEM or --case CASE")
    ws = app.open()
    if case is not None:
        get_case(ws.ledger, case)
        targets = list_items(ws.ledger, case)
    else:
        targets = [get_item(ws.ledger, item or "")]
    lines = timelines(ws, targets)
    if as_json:
        emit_json([t.to_json() for t in lines])
        return
    rows = []
    for t in lines:
        for e in t.entries:
            who = e.actor if e.by_custodian else f"{e.actor} (not custodian)"
            moves = f"{e.from_name} -> {e.to_name}" if e.to_name else ""
            sig = "ok" if e.signature_ok else "INVALID"
            rows.append(
                (
                    e.at[:19] + "Z",
                    t.item.item_id,
                    e.seq,
                    e.action,
                    who,
                    moves,
                    e.location,
                    e.purpose,
                    sig,
                )
            )
    click.echo(
        table(
            ["WHEN (UTC)", "ITEM", "#", "ACTION", "WHO", "FROM -> TO", "WHERE", "WHY", "SIG"], rows
        )
    )
    for t in lines:
        if t.pending_to:
            click.echo(
                f"item {t.item.item_id}: transfer to {t.pending_to} PENDING (not yet received)"
            )


@click.command("checkpoint")
@as_option
@json_option
@pass_app
def checkpoint_command(app: AppContext, as_key: str | None, as_json: bool) -> None:
    """Sign a Merkle tree head over every chain head; also written to checkpoints/.

    Copy the checkpoint files off the machine: with them, `custody audit --checkpoint FILE`
    proves that no item or event was removed since. Refuses (exit 1) when the ledger has lost
    what the previous checkpoint recorded: signing over the loss would hide it; and (exit 2)
    when the trust root does not vouch for your key (not enrolled, or revoked).
    """
    ws = app.open()
    signer = unlock(ws, as_key)
    cp = create_checkpoint(ws.ledger, signer, ws.checkpoint_dir)
    if as_json:
        emit_json(cp.to_json())
        return
    click.echo(f"checkpoint #{cp.seq}: {cp.body['tree_size']} chains, {cp.body['events']} events")
    click.echo(f"root: {cp.root}")
    click.echo(f"file: {ws.checkpoint_dir / file_name(cp.seq)}")


@click.command("audit")
@click.option("--case", "case", help="Only this case.")
@click.option("--fixity", is_flag=True, help="Also re-hash every vault file.")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check against a checkpoint file kept elsewhere.",
)
@click.option(
    "--anchor",
    metavar="FP",
    help="Trust root fingerprint pinned from outside (seizure protocol); fails if it differs.",
)
@json_option
@quiet_option
@pass_app
def audit_command(
    app: AppContext,
    case: str | None,
    fixity: bool,
    checkpoint_file: Path | None,
    anchor: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Verify every signer's trust path, signature, chain link, row, checkpoint and file.

    Each signer must be vouched for by the workspace's trust root (enrolled by its authority,
    or issued by its CA) and not revoked at the event's time. Every stored column must match
    what was signed; the append-only triggers must be in place; the workspace must be private;
    with --fixity every vault file is re-hashed. --anchor pins the root: without it the root
    stored in the workspace is trusted (and named in the verdict). Lists every problem found,
    not only the first. Exit code 1 if any.

    \b
    Example:
      custody audit --fixity --anchor 3f9a...c2
      custody audit --case BY-2026-0042 --json
    """
    ws = app.open()
    if case is not None:
        get_case(ws.ledger, case)
    result = audit(
        ws,
        case,
        fixity=fixity,
        checkpoint_file=checkpoint_file,
        reporter=ProgressBar(enabled=not (quiet or as_json)),
        anchor=anchor,
    )
    if as_json:
        emit_json(result.to_json())
    else:
        rows = [(c.name, "ok" if c.ok else "FAILED", c.detail) for c in result.checks]
        click.echo(table(["CHECK", "RESULT", "DETAIL"], rows))
        if result.findings:
            click.echo("")
            click.echo(
                table(
                    ["CHECK", "WHERE", "PROBLEM"],
                    [(f.check, f.subject, f.message) for f in result.findings],
                )
            )
    if not result.ok:
        raise VerificationError(f"audit failed: {len(result.findings)} problem(s) in {ws.root}", [])
    if not quiet and not as_json:
        note(f"audit passed: {result.items_checked} items, {result.events_checked} events")
