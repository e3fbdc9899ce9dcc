"""`custody event | transfer | receive | checkpoint | audit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evidence.cases import get_case
from evidence.custody import (
    EventRequest,
    append_events,
    receive,
    receive_problems,
    record_requests,
    transfer,
    transfer_problems,
)
from evidence.errors import UsageError, VerificationError
from evidence.eventfile import SEALING, check_rows, read_rows
from evidence.events import MANUAL_ACTIONS, SignedEvent, bodies_with_actions
from evidence.items import Item
from evidence.keys import KeyRecord
from evidence.seals import seal_warnings
from evidence.timefmt import format_local, local_text
from evidence.workspace import Workspace

from .common import (
    AppContext,
    CheckedCommand,
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
from .output import ProgressBar, emit_json, note, table
from .output import note as warn
from .timestamp import tsa_option, tsa_optional_option, tsa_url
from .view import table_width  # event_command has a `note` option
from .witness import witness_keys as parse_witness_keys
from .witness import witness_urls

location_option = click.option("--location", default="", help="Where it happens.")
purpose_option = click.option("--purpose", default="", help="Why it happens.")
note_option = click.option("--note", default="", help="Free-text note.")


def _echo_events(events: list[SignedEvent], as_json: bool, quiet: bool) -> None:
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    if quiet:
        return
    rows = [(e.body["item_id"], e.body["seq"], e.body["action"], e.hash[:16]) for e in events]
    click.echo(table(["ITEM", "#", "ACTION", "EVENT HASH"], rows))


def _prepare(
    ws: Workspace,
    refs: tuple[str, ...],
    case: str | None,
    all_items: bool,
    as_key: str | None,
    problems: Problems,
    *,
    analyses: bool = True,
) -> tuple[list[Item], KeyRecord | None]:
    """Items and signing key of a command line, every problem collected before any prompt."""
    targets = select_items(ws, refs, case, all_items, problems, analyses=analyses)
    record: KeyRecord | None = None
    with problems.check():
        record = signer_key(ws, as_key)
    return targets, record


@click.command("event", cls=CheckedCommand)
@selection_options
@click.option("--action", type=click.Choice(MANUAL_ACTIONS), help="What happened.")
@click.option(
    "--seal", help="Seal number (required with sealed and unsealed: the seal applied or broken)."
)
@click.option(
    "--from",
    "from_file",
    type=click.Path(path_type=Path),
    metavar="FILE.csv",
    help="Record one event per row of this CSV (columns item, action; optional seal, "
    "location, purpose, note) instead of ITEMS and --action.",
)
@as_option
@location_option
@purpose_option
@note_option
@json_option
@quiet_option
@pass_app
def event_command(
    app: AppContext,
    items: tuple[str, ...],
    case: str | None,
    all_items: bool,
    action: str | None,
    seal: str | None,
    from_file: Path | None,
    as_key: str | None,
    location: str,
    purpose: str,
    note: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Record a signed custody event on items (access, analysis, sealing...).

    ITEMS are ids, unique id prefixes or comma lists; or --case CASE --all. Anyone may record
    an event; one by someone who is not the custodian is marked so in the log, and so is an
    access, analysis or copy while the item is under seal. All the events of one command are
    recorded in one transaction.

    With --from FILE.csv, each row of the file is one event (header row: item, action, and
    any of seal, location, purpose, note; --location, --purpose and --note fill empty cells).
    Every row is checked before the passphrase is asked for, and nothing is written if one
    is wrong. Rows are recorded in file order, in transactions of 1,000 events: if the command
    is interrupted, the events recorded are the first batches, whole.

    \b
    Example:
      custody event 802cadf21848 --action analysed --as "P. Sidorov" \\
          --location "Forensic lab, Minsk" --purpose "EXIF examination"
      custody event --case BY-2026-0042 --all --action sealed --seal 0042117 --as "A. Ivanov"
      custody event --from inventory.csv --as "Evidence Room" --location "Room 3"
    """
    ws = app.open()
    problems = Problems()
    if from_file is not None:
        if items or case or all_items or action or seal is not None:
            problems.add("--from FILE.csv goes without ITEMS, --case, --all, --action and --seal")
        record = _checked_key(ws, as_key, problems)
        problems.raise_any()
        assert record is not None
        defaults = {"location": location, "purpose": purpose, "note": note}
        actor = {"name": record.name, "fingerprint": record.fingerprint}
        requests = check_rows(ws.ledger, from_file, read_rows(from_file), actor, defaults)
    else:
        if action is None:
            problems.add("missing option '--action'", "what happened: " + ", ".join(MANUAL_ACTIONS))
        elif action in ("sealed", "unsealed") and not (seal or "").strip():
            problems.add(f"--action {action} needs --seal NUMBER", "the number on the seal")
        elif action not in ("sealed", "unsealed") and seal is not None:
            problems.add("--seal goes only with --action sealed or unsealed")
        # An event names the item by id, case and digest only: no analysis is read for it.
        targets, record = _prepare(ws, items, case, all_items, as_key, problems, analyses=False)
        problems.raise_any()
        assert action is not None
        details = {"seal": seal.strip()} if seal else None
        fields: dict[str, Any] = {
            "location": location,
            "purpose": purpose,
            "note": note,
            "details": details,
        }
        requests = [EventRequest(t, action, fields) for t in targets]
    for warning in _seal_warnings(ws, requests):
        warn(f"warning: {warning}")
    signer = unlock(ws, as_key, record, items=[r.item for r in requests])
    if from_file is not None:
        events = record_requests(ws.ledger, signer, requests)
    else:
        # One transaction for all: the events of one command line are recorded together.
        events = append_events(
            ws.ledger,
            signer,
            [r.item for r in requests],
            requests[0].action,
            location=location,
            purpose=purpose,
            note=note,
            details=details,
        )
    _echo_events(events, as_json, quiet)


def _checked_key(ws: Workspace, as_key: str | None, problems: Problems) -> KeyRecord | None:
    with problems.check():
        return signer_key(ws, as_key)
    return None


def _seal_warnings(ws: Workspace, requests: list[EventRequest]) -> list[str]:
    """What each event would look like against its item's seal state, in order."""
    chains = bodies_with_actions(ws.ledger, [r.item.item_id for r in requests], SEALING)
    out = []
    for r in requests:
        seal = (r.fields.get("details") or {}).get("seal")
        out += seal_warnings({r.item.item_id: chains[r.item.item_id]}, r.action, seal)
        if r.action in SEALING:  # a later row on the same item sees this one
            chains[r.item.item_id].append({"action": r.action, "details": {"seal": seal}})
    return out


@click.command("transfer", cls=CheckedCommand)
@selection_options
@as_option
@click.option("--to", "to_key", required=True, metavar="KEY", help="Receiving custodian's key.")
@location_option
@purpose_option
@note_option
@json_option
@quiet_option
@pass_app
def transfer_command(
    app: AppContext,
    items: tuple[str, ...],
    case: str | None,
    all_items: bool,
    as_key: str | None,
    to_key: str,
    location: str,
    purpose: str,
    note: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Hand items over to another custodian (pending until they run `custody receive`).

    ITEMS are ids, unique id prefixes or comma lists; or --case CASE --all for every item.

    \b
    Example:
      custody transfer 802cadf21848 --as "A. Ivanov" --to "Evidence Room" \\
          --location "IC Minsk, room 214" --purpose "storage pending trial"
      custody transfer --case BY-2026-0042 --all --as "A. Ivanov" --to "Evidence Room"
    """
    ws = app.open()
    problems = Problems()
    receiver: KeyRecord | None = None
    with problems.check():
        receiver = ws.keys.resolve(to_key)
    targets, record = _prepare(ws, items, case, all_items, as_key, problems)
    if receiver is not None and record is not None:
        problems.errors += transfer_problems(ws.ledger, record, targets, receiver)
    problems.raise_any()
    assert receiver is not None
    signer = unlock(ws, as_key, record, items=targets)
    events = transfer(
        ws.ledger, signer, targets, receiver, location=location, purpose=purpose, note=note
    )
    _echo_events(events, as_json, quiet)


@click.command("receive", cls=CheckedCommand)
@selection_options
@as_option
@location_option
@note_option
@json_option
@quiet_option
@pass_app
def receive_command(
    app: AppContext,
    items: tuple[str, ...],
    case: str | None,
    all_items: bool,
    as_key: str | None,
    location: str,
    note: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Acknowledge a pending transfer: custody passes to you.

    ITEMS are ids, unique id prefixes or comma lists; or --case CASE --all.
    """
    ws = app.open()
    problems = Problems()
    targets, record = _prepare(ws, items, case, all_items, as_key, problems)
    passed_over: list[str] = []
    if record is not None:
        found = receive_problems(ws.ledger, record, targets)
        if all_items and len(found) < len(targets):
            # --all: receive what is pending to you, and name the rest, rather than refuse all.
            waiting = {t.item_id for t in targets} - {
                t.item_id for t in targets if receive_problems(ws.ledger, record, [t])
            }
            targets = [t for t in targets if t.item_id in waiting]
            passed_over = [p.message for p in found]
        else:
            problems.errors += found
    problems.raise_any()
    signer = unlock(ws, as_key, record, items=targets)
    _echo_events(receive(ws.ledger, signer, targets, location=location, note=note), as_json, quiet)
    for message in passed_over:
        warn(f"not received: {message}")


@click.command("checkpoint", cls=CheckedCommand)
@as_option
@tsa_option
@tsa_optional_option
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="URL",
    help="A witness that must cosign the checkpoint (repeatable; default: "
    "$CUSTODY_WITNESS_URL, several separated by spaces).",
)
@tz_option
@json_option
@quiet_option
@pass_app
def checkpoint_command(
    app: AppContext,
    as_key: str | None,
    tsa: str | None,
    tsa_optional: bool,
    witnesses: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    tz: str | None,
) -> None:
    """Sign the log's tree head and every chain head; also written to checkpoints/.

    Copy the checkpoint files off the machine: with them, `custody audit --checkpoint FILE`
    proves that no item or event was removed since. Refuses (exit 1) when the ledger has lost
    what the previous checkpoint recorded: signing over the loss would hide it; and (exit 2)
    when the trust root does not vouch for your key (not enrolled, or revoked). With a TSA
    (--tsa or $CUSTODY_TSA_URL) the checkpoint carries an RFC 3161 token; if the TSA cannot
    be reached nothing is written (exit 3), unless --tsa-optional records it as pending.

    The checkpoint is also a C2SP tlog-checkpoint note (checkpoints/checkpoint-NNNNNN.note).
    Each --witness (another agency's `custody witness serve`) must cosign it with a proof that
    the log extends what that witness saw last; a witness that refuses (a fork or rollback:
    exit 1) or cannot be reached (exit 3) fails the checkpoint and nothing is written.

    \b
    Example:
      custody checkpoint --as "Evidence Room" --witness http://witness.pgo.local:8390
    """
    url = tsa_url(tsa)
    urls = witness_urls(witnesses)
    display = zone(tz)
    # Imported here, not at the top: the commands that append (event, transfer, receive) do
    # not pay for checkpoints, timestamps and witnesses at start-up.
    from evidence.checkpoint import file_name
    from evidence.timestamp.checkpoints import create_stamped
    from evidence.tlog.ledgerlog import note_file
    from evidence.witness.client import cosign_with  # urllib only when a witness is used

    ws = app.open()
    signer = unlock(ws, as_key)
    stamped = create_stamped(
        ws.ledger,
        signer,
        ws.checkpoint_dir,
        url,
        tsa_optional,
        cosign_with(ws.ledger, urls) if urls else None,
    )
    cp = stamped.checkpoint
    if as_json:
        emit_json({**cp.to_json(), "timestamp": stamped.to_json(), "witnesses": urls})
        return
    if quiet:
        return
    click.echo(f"checkpoint #{cp.seq}: {cp.body['tree_size']} chains, {cp.body['events']} events")
    click.echo(f"root: {cp.root}")
    click.echo(f"file: {ws.checkpoint_dir / file_name(cp.seq)}")
    log = cp.log
    if log is not None:
        click.echo(f"log: {log.size} records, origin {log.origin}")
        click.echo(f"note: {note_file(ws.checkpoint_dir, cp.seq)}")
    for witness_url in urls:
        click.echo(f"cosigned by witness {witness_url}")
    if stamped.token is not None:
        click.echo(f"RFC 3161 time: {format_local(stamped.token.gen_time_utc, display)} ({url})")
    elif stamped.problem is not None:
        note(f"custody: timestamp pending ({stamped.problem}); run `custody timestamp --pending`")


@click.command("audit", cls=CheckedCommand)
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
@click.option(
    "--since-checkpoint",
    "since",
    type=click.IntRange(min=0),
    is_flag=False,
    flag_value=0,  # bare flag: the latest checkpoint
    default=None,
    metavar="[N]",
    help="Only what checkpoint N (default: the latest) does not cover, and the checkpoints "
    "since: incremental, for a daily audit.",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="URL",
    help="Also prove the ledger extends what this witness last cosigned (repeatable).",
)
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    metavar="VKEY",
    help="A witness's verifier key (`custody witness init` printed it); repeatable.",
)
@click.option("--wide", is_flag=True, help="Tables at full width, whatever the terminal.")
@tz_option
@json_option
@quiet_option
@pass_app
def audit_command(
    app: AppContext,
    case: str | None,
    fixity: bool,
    checkpoint_file: Path | None,
    anchor: str | None,
    since: int | None,
    witnesses: tuple[str, ...],
    witness_keys: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    wide: bool,
    tz: str | None,
) -> None:
    """Verify every signer's trust path, signature, chain link, row, checkpoint and file.

    Each signer must be vouched for by the workspace's trust root (enrolled by its authority,
    or issued by its CA) and not revoked at the event's time. Every stored column must match
    what was signed; the append-only triggers must be in place; the workspace must be private;
    with --fixity every vault file is re-hashed. --anchor pins the root: without it the root
    stored in the workspace is trusted (and named in the verdict). Lists every problem found,
    not only the first. Exit code 1 if any.

    --since-checkpoint verifies only the events after a checkpoint (the latest, or N, or that
    of --checkpoint FILE) and that the checkpoints since then are consistent with them: it
    costs what was added since, not the whole history. Events before the checkpoint are not
    re-read (but for the chains of items excerpted since: each new excerpt is checked against
    its item's signed commitment); the full audit (the default) re-reads everything. With
    --fixity it re-hashes the vault files of the items with new events only, and recomputes
    their record commitments.

    Every event, trust record and checkpoint is a leaf of one append-only log; each checkpoint
    must be consistent with the next and with today's log. --witness URL --witness-key VKEY
    fetches what that witness last cosigned: a ledger cut or rolled back below it, or forked,
    is a finding.

    \b
    Example:
      custody audit --fixity --anchor 3f9a...c2
      custody audit --witness http://witness.pgo.local:8390 --witness-key "w.example+1a2b3c4d+BA.."
      custody audit --case BY-2026-0042 --json
      custody audit --since-checkpoint
      custody audit --since-checkpoint --checkpoint /media/usb/checkpoint-000041.json
    """
    # Imported here: the parsers and every check (half a second) only when auditing.
    from evidence.audit import audit
    from evidence.audit.incremental import audit_since
    from evidence.audit.log import fetch_witnesses

    if anchor is not None:
        # A short or mistyped anchor is a usage error, not a replaced root (exit 2, before any
        # work). Imported only then: the bundle code costs a daily audit a twentieth of a second.
        from evidence.bundle.signer import parse_fingerprint

        anchor = parse_fingerprint(anchor, "--anchor")
    if witnesses and not witness_keys:
        raise UsageError("--witness needs --witness-key: a cosignature is checked by its key")
    cosigners = parse_witness_keys(witness_keys)
    display = zone(tz)
    ws = app.open()
    if case is not None:
        get_case(ws.ledger, case)
    progress = ProgressBar(enabled=not (quiet or as_json))
    views = fetch_witnesses(ws.ledger, anchor, witnesses)
    if since is not None:
        if case is not None:
            raise UsageError("--since-checkpoint audits the whole ledger, without --case")
        result = audit_since(
            ws,
            since or None,
            checkpoint_file=checkpoint_file,
            reporter=progress,
            anchor=anchor,
            witnesses=views,
            cosigners=cosigners,
            fixity=fixity,
        )
    else:
        result = audit(
            ws,
            case,
            fixity=fixity,
            checkpoint_file=checkpoint_file,
            reporter=progress,
            anchor=anchor,
            witnesses=views,
            cosigners=cosigners,
        )
    if as_json:
        emit_json(result.to_json())
    else:
        width = table_width(wide)
        rows = [
            (c.name, "ok" if c.ok else "FAILED", local_text(c.detail, display))
            for c in result.checks
        ]
        if not quiet:
            click.echo(table(["CHECK", "RESULT", "DETAIL"], rows, width))
        seals = [n for n in result.notices if n.check == "seals"]
        if seals:
            click.echo("")
            click.echo("Seal history inconsistent (custody facts to explain, not tampering):")
            click.echo(
                table(
                    ["ITEM / EVENT", "SEAL HISTORY"],
                    [(n.subject, local_text(n.message, display)) for n in seals],
                    width,
                )
            )
        orphans = [n for n in result.notices if n.check == "vault"]
        if orphans:
            click.echo("")
            click.echo("Vault files no item names (an interrupted ingest leaves one; notice):")
            click.echo(
                table(
                    ["FILE", "NOTICE"],
                    [(n.subject, local_text(n.message, display)) for n in orphans],
                    width,
                )
            )
        if result.findings:
            click.echo("")
            click.echo(
                table(
                    ["CHECK", "WHERE", "PROBLEM"],
                    [(f.check, f.subject, local_text(f.message, display)) for f in result.findings],
                    width,
                )
            )
    if not result.ok:
        raise VerificationError(f"audit failed: {len(result.findings)} problem(s) in {ws.root}", [])
    if not quiet and not as_json:
        note(f"audit passed: {result.items_checked} items, {result.events_checked} events")
